"""The errors of the federated catalogue, as values a user can act on: a query parameter that breaks a rule
(`QueryError`: which parameter, which rule, what to send instead, in French and English; HTTP 400), and why a
connector could not be crawled (`CrawlError`: a stable code such as `unreachable`, `timeout`, `http-status`,
`invalid-json`, `invalid-catalog`, recorded in the connector's status)."""

from __future__ import annotations

from typing import Any


class QueryError(ValueError):
    """A query parameter that breaks a rule. `parameter` names it, `rule` is a stable code (`number`, `range`,
    `order`, `unknown-value`, `unknown-parameter`, `repeated`, `exclusive`, `too-long`...)."""

    status = 400

    def __init__(self, parameter: str, rule: str, fr: str, en: str, value: Any = None) -> None:
        self.parameter = parameter
        self.rule = rule
        self.fr = fr
        self.en = en
        self.value = value
        super().__init__(f"{parameter}: {en}")

    def message(self, lang: str = "fr") -> str:
        return f"{self.parameter} : {self.fr}" if lang == "fr" else f"{self.parameter}: {self.en}"

    def to_json(self) -> dict[str, Any]:
        return {"error": "invalid-parameter", "parameter": self.parameter, "rule": self.rule,
                "message": {"fr": self.message("fr"), "en": self.message("en")}}


class CrawlError(Exception):
    """Why a connector's catalogue could not be read. `code` is stable (`unreachable`, `timeout`, `http-status`,
    `too-large`, `invalid-json`, `invalid-catalog`, `participant-mismatch`, `bad-link`, `too-many-pages`);
    `problems` lists the places at fault for an invalid catalogue."""

    def __init__(self, code: str, fr: str, en: str, *, status: int | None = None,
                 problems: list[str] | None = None) -> None:
        self.code = code
        self.fr = fr
        self.en = en
        self.status = status
        self.problems = problems or []
        super().__init__(f"{code}: {en}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": {"fr": self.fr, "en": self.en}}
        if self.status is not None:
            out["status"] = self.status
        if self.problems:
            out["problems"] = self.problems
        return out
