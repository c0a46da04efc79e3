"""Every setting is documented: the README's settings table lists each one with its meaning."""
from __future__ import annotations

from lifecycle import config


def test_every_setting_is_in_the_readme_table():
    readme = (config.REPO_ROOT / "README.md").read_text()
    for name, meaning in config.SETTINGS.items():
        assert f"| `{name}` | {meaning} |" in readme, f"{name} is missing from the README's settings table"
