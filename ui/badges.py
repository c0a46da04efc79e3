"""Pass / fail / pending shown the same way everywhere: colour and a word and an icon."""
from __future__ import annotations

VERDICT_STYLE = {
    "reachable": ("✅", "green", "reachable"),
    "pass": ("✅", "green", "pass"),
    "borderline": ("⏳", "orange", "borderline"),
    "pending": ("⏳", "orange", "pending"),
    "judged later": ("⏳", "gray", "judged later"),
    "out of reach": ("❌", "red", "out of reach"),
    "fail": ("❌", "red", "fail"),
    "reference": ("ℹ️", "gray", "reference"),
}


def badge(verdict: str) -> str:
    """Markdown for a coloured badge with icon and word (never colour alone)."""
    icon, colour, word = VERDICT_STYLE.get(verdict, ("•", "gray", verdict))
    return f":{colour}-badge[{icon} {word}]"
