"""The connectors the federated catalogue crawls: who they are (`ConnectorRef`: DID, DSP base URL, name and
category from the trust authority's directory or a static list), how their last crawls went (`ConnectorStatus`:
last success, last error, dataset count, latency, consecutive failures, next attempt, stale data), and how long to
wait before trying a failing connector again (`Backoff`, exponential)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class ConnectorRef:
    """A connector to crawl: its participant's DID (the audience of the tokens sent to it and the expected
    `participantId` of its catalogue) and its DSP base URL (`POST {address}/catalog/request`)."""

    did: str
    address: str
    name: str | None = None
    category: str | None = None  # public | private, from the membership credential
    kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"did": self.did, "address": self.address, "name": self.name, "category": self.category,
                "kind": self.kind}


@dataclass(frozen=True)
class Backoff:
    """Delay before the next attempt on a failing connector: `base` seconds after the first failure, times
    `factor` after each further one, at most `maximum`."""

    base: float = 30.0
    factor: float = 2.0
    maximum: float = 3600.0

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.maximum, self.base * self.factor ** (failures - 1))

    def next_attempt(self, failures: int, now: datetime) -> datetime:
        return now + timedelta(seconds=self.delay(failures))


@dataclass(frozen=True)
class ConnectorStatus:
    did: str
    address: str
    name: str | None
    category: str | None
    kind: str | None
    source: str
    added_at: datetime
    last_attempt: datetime | None
    last_success: datetime | None
    last_error_code: str | None
    last_error: dict[str, Any] | None
    consecutive_failures: int
    next_attempt: datetime | None
    latency_ms: float | None
    dataset_count: int
    pages: int | None
    stale: bool
    catalog_title: str | None
    problems: list[dict[str, Any]]
    page_digests: tuple[str, ...] = ()  # of the last good crawl: the same pages again mean nothing changed

    @property
    def state(self) -> str:
        """`pending` (never crawled), `ok` (last crawl succeeded), `failing` (no success yet) or `stale` (failing,
        last good data kept)."""
        if self.last_attempt is None:
            return "pending"
        if self.consecutive_failures == 0:
            return "ok"
        return "stale" if self.last_success is not None else "failing"

    def due(self, now: datetime) -> bool:
        """Whether the backoff lets the crawler try this connector at `now`."""
        return self.next_attempt is None or self.next_attempt <= now

    def to_json(self) -> dict[str, Any]:
        return {
            "did": self.did, "address": self.address, "name": self.name, "category": self.category,
            "kind": self.kind, "source": self.source, "state": self.state, "stale": self.stale,
            "dataset_count": self.dataset_count, "last_attempt": iso(self.last_attempt),
            "last_success": iso(self.last_success), "latency_ms": self.latency_ms, "pages": self.pages,
            "consecutive_failures": self.consecutive_failures, "next_attempt": iso(self.next_attempt),
            "last_error": self.last_error, "catalog_title": self.catalog_title, "problems": self.problems,
            "added_at": iso(self.added_at),
        }
