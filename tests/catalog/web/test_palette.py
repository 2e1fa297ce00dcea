"""The colours of the shared stylesheet meet WCAG 2.1 AA: every colour is a custom property of `:root` (no stray
literal elsewhere), every property used is defined, and each pair of text and background colours the pages use has a
contrast ratio of at least 4.5:1 (3:1 for focus rings and map strokes, which are not text)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

CSS = (resources.files("catalog.web") / "static" / "site.css").read_text(encoding="utf-8")
ROOT = re.search(r":root\s*\{(.*?)\}", CSS, re.DOTALL)
PALETTE = dict(re.findall(r"--([a-z0-9-]+)\s*:\s*(#[0-9a-fA-F]{6})\s*;", ROOT.group(1))) if ROOT else {}

# (foreground, background) pairs of text as the pages draw it.
TEXT_PAIRS = [
    ("ink", "paper"), ("ink", "surface"), ("ink", "brand-soft"), ("ink", "chip-bg"), ("ink", "map-bg"),
    ("muted", "paper"), ("muted", "surface"), ("muted", "chip-bg"),
    ("link", "paper"), ("link", "surface"), ("link", "chip-bg"), ("link-visited", "paper"),
    ("brand-ink", "brand"), ("brand", "paper"), ("brand", "brand-soft"),
    ("ok", "ok-bg"), ("ok", "paper"), ("ok", "surface"), ("no", "no-bg"), ("no", "paper"), ("no", "surface"),
    ("warn", "warn-bg"), ("warn", "paper"), ("warn", "surface"), ("map-label", "map-land"), ("map-label", "map-bg"),
]
# Non-text contrast (WCAG 1.4.11): focus indicators, control borders, map strokes.
GRAPHIC_PAIRS = [("focus", "paper"), ("focus", "surface"), ("focus-on-brand", "brand"), ("line", "paper"),
                 ("map-extent", "map-bg"), ("map-extent", "map-land"), ("focus", "map-land")]


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert contrast("#777777", "#ffffff") < 4.5


def test_every_colour_is_in_the_palette():
    assert len(PALETTE) >= 20
    outside = CSS[:ROOT.start()] + CSS[ROOT.end():]
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(", outside)
    used = set(re.findall(r"var\(--([a-z0-9-]+)\)", CSS))
    assert used <= set(PALETTE), used - set(PALETTE)


@pytest.mark.parametrize("fg,bg", TEXT_PAIRS)
def test_text_contrast(fg, bg):
    assert contrast(PALETTE[fg], PALETTE[bg]) >= 4.5, (fg, bg, round(contrast(PALETTE[fg], PALETTE[bg]), 2))


@pytest.mark.parametrize("fg,bg", GRAPHIC_PAIRS)
def test_non_text_contrast(fg, bg):
    assert contrast(PALETTE[fg], PALETTE[bg]) >= 3.0, (fg, bg, round(contrast(PALETTE[fg], PALETTE[bg]), 2))
