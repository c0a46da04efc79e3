"""Pass / fail / pending shown the same way everywhere: colour and a word and an icon.

Icons are Material Symbols (Streamlit ships the font), never emoji: an emoji is an empty box where
no emoji font is installed, and the word beside the icon says the verdict even without colour."""
from __future__ import annotations

VERDICT_STYLE = {
    "reachable": ("check_circle", "green", "reachable"),
    "pass": ("check_circle", "green", "pass"),
    "borderline": ("hourglass_empty", "orange", "borderline"),
    "pending": ("hourglass_empty", "orange", "pending"),
    "judged later": ("schedule", "gray", "judged later"),
    "out of reach": ("cancel", "red", "out of reach"),
    "fail": ("cancel", "red", "fail"),
    "reference": ("info", "gray", "reference"),
    # a project's health on Home
    "on track": ("check_circle", "green", "on track"),
    "attention": ("warning", "orange", "attention"),
    "failing": ("cancel", "red", "failing"),
}


def badge(verdict: str) -> str:
    """Markdown for a coloured badge with icon and word (never colour alone)."""
    icon, colour, word = VERDICT_STYLE.get(verdict, ("circle", "gray", verdict))
    return f":{colour}-badge[:material/{icon}: {word}]"
