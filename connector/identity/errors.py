"""The one error type of the identity layer. Every refusal names the check that failed (a stable code such as
`audience` or `revoked`, used in HTTP bodies, logs and tests) and carries its message in French and English, so
the caller can act on it and the HTTP layer can answer without a traceback."""

from __future__ import annotations


class IdentityError(Exception):
    """A key, DID, credential or token problem. `check` is a stable machine-readable code."""

    def __init__(self, check: str, fr: str, en: str) -> None:
        super().__init__(en)
        self.check = check
        self.fr = fr
        self.en = en

    def message(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr

    def as_dict(self) -> dict[str, object]:
        return {"check": self.check, "message": {"fr": self.fr, "en": self.en}}

    def __repr__(self) -> str:
        return f"IdentityError({self.check!r}, {self.en!r})"
