"""Full-text search the same way on SQLite and PostgreSQL: accent-insensitive, case-insensitive French, with prefix
matching so that a query word finds its plurals and derived forms ("crue" finds "Crues", "inond" finds
"Inondation").

Indexed text is folded (lower case, accents removed) and cut into words of letters and digits only, so both
engines see the same words: SQLite FTS5 with the `unicode61 remove_diacritics 2` tokenizer, and PostgreSQL
`to_tsvector('simple', ...)` over the folded text (no `unaccent` extension needed, and the generated column stays
immutable). A query word loses a final plural `s` / `x` (for words of four letters or more) and becomes a prefix,
so "inondations" and "inondation" find the same datasets; all words must match (AND)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
_WORD = re.compile(r"[^\W_]+")
# The combining-mark blocks: what NFKD splits off accented letters (é -> e + U+0301).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """Lower case without accents ('Réseau Électrique' -> 'reseau electrique'); the same result as
    `catalog.geoconcepts.fold` for French text, about ten times faster (the indexer folds every dataset's text)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return _COMBINING.sub("", unicodedata.normalize("NFKD", lowered))


def words(text: str) -> list[str]:
    """The folded words of `text` (letters and digits; every other character separates)."""
    return _WORD.findall(fold(text))


def normalise(parts: Iterable[str | None]) -> str:
    """The text to index: the folded words of every part, separated by spaces."""
    return " ".join(w for part in parts if part for w in words(part))


def _stem(word: str) -> str:
    if len(word) >= 4 and word[-1] in "sx" and word[-2] != "s":
        return word[:-1]
    return word


def query_terms(text: str) -> list[str]:
    """The search terms of a user query: folded words, plural endings removed, repeats dropped, at most
    `MAX_TERMS`."""
    out: list[str] = []
    for word in words(text):
        term = _stem(word)
        if term not in out:
            out.append(term)
    return out[:MAX_TERMS]


def fts5_match(terms: Iterable[str]) -> str:
    """An FTS5 MATCH expression: every term as a quoted prefix (terms are letters and digits only)."""
    return " ".join(f'"{term}"*' for term in terms)


def tsquery(terms: Iterable[str]) -> str:
    """A PostgreSQL `to_tsquery('simple', ...)` expression: every term as a prefix, all required."""
    return " & ".join(f"{term}:*" for term in terms)
