"""Syntax colours are readable on the page's code background (WCAG AA)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSS = ROOT / "static" / "css"


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def tints() -> tuple[str, str]:
    """The code background (--tint) in site.css, light then dark."""
    light, dark = re.findall(r"--tint: (#[0-9a-fA-F]{6})", (CSS / "site.css").read_text())[:2]
    return light, dark


def test_every_token_colour_passes_aa_on_the_code_background() -> None:
    light_css, dark_css = (
        (CSS / "highlight.css").read_text().split("@media (prefers-color-scheme: dark)")
    )
    failures = []
    for css, background in zip((light_css, dark_css), tints(), strict=True):
        for selector, colour in re.findall(
            r"(\.highlight \.\w+) \{[^}]*?(?<![-\w])color: (#\w+)", css
        ):
            ratio = contrast(colour, background)
            if ratio < 4.5:
                failures.append(f"{selector} {colour} on {background}: {ratio:.2f}")
    assert failures == []
    # Those the issue found at about 4.2:1 are among the checked.
    assert {".highlight .nd", ".highlight .c1", ".highlight .go"} <= set(
        re.findall(r"(\.highlight \.\w+) \{", light_css)
    )
