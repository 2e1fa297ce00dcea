"""What an access decision is about: the evaluation request (who asks to do what, on which asset, for which
purpose, over which area) and the state of the world (time, uses so far, agreement start, collection
memberships, duty states). Both are plain typed values built once, so evaluating many decisions is cheap."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .vocab import USE, expand_curie


@dataclass(slots=True)
class Area:
    """A requested area: a shapely geometry and the words that name it in explanations."""

    geometry: Any
    label: str
    territory_iri: str | None = None


@dataclass(slots=True)
class Request:
    action: str = USE
    target: str | None = None
    assignee: str | None = None  # the requesting party (its DID)
    purpose: str | None = None  # purpose IRI (see policies.purposes)
    category: str | None = None  # recipient category IRI (from the verified membership credential)
    industry: str | None = None
    delivery_channel: str | None = None
    file_format: str | None = None
    area: Area | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # left operand IRI -> value, for profile extensions

    def __post_init__(self) -> None:
        self.action = expand_curie(self.action) if ":" in self.action else "http://www.w3.org/ns/odrl/2/" + self.action


@dataclass(slots=True)
class World:
    now: datetime | None = None
    agreement_start: datetime | None = None
    count: int = 0  # uses of the action already recorded (the requested one not included)
    memberships: dict[str, set[str]] = field(default_factory=dict)  # party or asset -> collections it is partOf
    duty_states: dict[str, str] = field(default_factory=dict)  # duty uid -> fulfilled | violated | not-set
    performed: set[str] = field(default_factory=set)  # actions already performed (duty fulfilment)

    def __post_init__(self) -> None:
        # A time without a zone is UTC (docs/policy-profile.md), never the machine's local time.
        if self.now is not None and self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=UTC)
        if self.agreement_start is not None and self.agreement_start.tzinfo is None:
            self.agreement_start = self.agreement_start.replace(tzinfo=UTC)

    def current_time(self) -> datetime:
        return self.now if self.now is not None else datetime.now(UTC)
