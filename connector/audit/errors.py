"""The one error of the audit log: something the caller must act on (a bad event name, a database that was never
migrated, keys that cannot be obtained), with the reason in French and English. A broken chain is not an error:
``verify`` reports it as a value."""

from __future__ import annotations


class AuditError(Exception):
    def __init__(self, code: str, fr: str, en: str) -> None:
        self.code, self.fr, self.en = code, fr, en
        super().__init__(en)

    def message(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr
