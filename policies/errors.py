"""Errors of the policy layer: every problem names the element at fault (a path into the policy), the rule it
breaks, in French and English, so a user can act on it without reading a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One defect in a policy or a request."""

    path: str  # e.g. "permission[0].constraint[1].leftOperand"
    code: str  # stable machine code, e.g. "unknown-left-operand"
    message_fr: str
    message_en: str

    def message(self, lang: str = "fr") -> str:
        text = self.message_fr if lang == "fr" else self.message_en
        return f"{self.path}: {text}" if self.path else text

    def to_json(self, lang: str = "fr") -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message_fr if lang == "fr" else self.message_en}


class PolicyError(ValueError):
    """A policy (or request) that cannot be loaded or evaluated; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("; ".join(p.message("en") for p in self.problems))

    def message(self, lang: str = "fr") -> str:
        return "\n".join(p.message(lang) for p in self.problems)


def problem(path: str, code: str, fr: str, en: str) -> Problem:
    return Problem(path=path, code=code, message_fr=fr, message_en=en)
