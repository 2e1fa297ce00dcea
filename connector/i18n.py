"""The two languages of user-facing text: French by default, English with `--lang en` or `JNT_LANG=en`."""

from __future__ import annotations

from .settings import ui_lang


def t(fr: str, en: str, lang: str | None = None) -> str:
    return en if (lang or ui_lang()) == "en" else fr
