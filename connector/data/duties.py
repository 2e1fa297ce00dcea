"""Duties the consumer fulfils on the data it received. An agreement whose policy carries a duty (inside a
permission) or an obligation to delete (`odrl:delete`) bounded in time — `odrl:dateTime` (the template's
"delete at the end of validity": `dateTime gteq <end>`) or `odrl:elapsedTime` (a duration from the agreement) — gives
a *delete-by* date (`delete_by`). Each copy received under it is recorded with that date (`received_copies`); the
`Sweeper`, a thread of the connector, deletes the copies whose date has passed and appends `duty.deleted` to the
audit log. A sweep is idempotent and safe across replicas: a copy is leased before it is deleted, the file is
removed before the copy is closed, and a sweep interrupted between the two simply finds the file gone next time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import sessionmaker

from connector.store.schema import ReceivedCopy, utcnow
from policies import Constraint, LogicalConstraint, Policy, PolicyError, parse_policy
from policies.values import ValueFormatError, parse_datetime, parse_duration

log = logging.getLogger(__name__)

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
ODRL = "http://www.w3.org/ns/odrl/2/"
DELETE = ODRL + "delete"
DATE_TIME = ODRL + "dateTime"
ELAPSED_TIME = ODRL + "elapsedTime"
DUTY_DELETED = "duty.deleted"
SWEEP_INTERVAL = 60.0  # seconds between sweeps (a sweep is also run when the thread starts)
LEASE_SECONDS = 120.0  # a copy being deleted is left alone by other sweepers for this long
BATCH = 100


def _leaves(constraints: Iterable[Constraint | LogicalConstraint]) -> Iterable[Constraint]:
    for constraint in constraints:
        if isinstance(constraint, LogicalConstraint):
            yield from _leaves(constraint.operands)
        else:
            yield constraint


def _policy(policy: Policy | Mapping[str, Any]) -> Policy | None:
    if isinstance(policy, Policy):
        return policy
    doc = dict(policy)
    doc.setdefault("@context", [DSP_CONTEXT])
    try:
        return parse_policy(doc)
    except PolicyError:  # an agreement we stored ourselves after checking it: should never happen
        log.error("agreement %s: unreadable policy, no duty derived", doc.get("@id"))
        return None


def delete_by(policy: Policy | Mapping[str, Any], agreement_start: datetime) -> datetime | None:
    """The date by which data received under `policy` (an agreement, parsed or as JSON-LD) must be deleted: the
    earliest time bound of its deletion duties and obligations; `elapsedTime` counts from `agreement_start`. None
    when the agreement carries no deletion duty bounded in time."""
    parsed = _policy(policy)
    if parsed is None:
        return None
    start = (_datetime(parsed.timestamp) if parsed.timestamp else None) or agreement_start
    rules = [duty for permission in parsed.permissions for duty in permission.duties] + list(parsed.obligations)
    dates: list[datetime] = []
    for rule in rules:
        if not any(action.iri == DELETE for action in rule.actions):
            continue
        for leaf in _leaves(rule.constraints):
            for value in leaf.right_operand[:1]:
                when = _bound(leaf.left_operand, str(value), start)
                if when is not None:
                    dates.append(when)
    return min(dates) if dates else None


def _datetime(text: str) -> datetime | None:
    try:
        return parse_datetime(text)
    except ValueFormatError:
        return None


def _bound(operand: str, value: str, start: datetime) -> datetime | None:
    if operand == DATE_TIME:
        return _datetime(value)
    if operand == ELAPSED_TIME:
        try:
            return start + parse_duration(value)
        except (ValueFormatError, OverflowError):
            return None
    return None


def remove_copy(path: Path, root: Path | None = None) -> bool:
    """Delete a received file (True if it was there), then its folder if that is now empty and inside `root`."""
    try:
        path.unlink()
        existed = True
    except FileNotFoundError:
        existed = False
    if root is not None:
        parent = path.parent
        try:
            if parent.resolve() != root.resolve() and parent.resolve().is_relative_to(root.resolve()):
                parent.rmdir()
        except OSError:  # not empty, or gone: nothing to tidy
            pass
    return existed


class Sweeper:
    """Deletes the received copies whose delete-by date has passed. `run_once` is one sweep (also `jnt connector
    purge`); `start` runs sweeps every `interval` seconds in a thread until `stop`; `wake` runs one at once."""

    def __init__(self, engine: Engine, audit: Any | None = None, *, root: Path | None = None,
                 interval: float = SWEEP_INTERVAL, lease_seconds: float = LEASE_SECONDS,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.audit, self.root = engine, audit, root
        self.interval, self.lease_seconds, self.clock = interval, lease_seconds, clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one sweep --------------------------------------------------------------------------------------------------
    def due(self, now: datetime | None = None, limit: int = BATCH) -> list[ReceivedCopy]:
        """Copies whose date has passed, not deleted, and not leased by a sweep under way."""
        now = now or self.clock()
        query = (select(ReceivedCopy).where(
            ReceivedCopy.delete_by <= now, ReceivedCopy.deleted_at.is_(None),
            or_(ReceivedCopy.lease_until.is_(None), ReceivedCopy.lease_until <= now),
        ).order_by(ReceivedCopy.delete_by).limit(limit))
        with self._sessions() as session:
            return list(session.scalars(query))

    def run_once(self, now: datetime | None = None) -> list[ReceivedCopy]:
        """Delete every copy due at `now` (default: the clock); the copies deleted."""
        now = now or self.clock()
        swept: list[ReceivedCopy] = []
        for copy in self.due(now):
            if not self._lease(copy.id, now):
                continue  # another sweeper took it
            try:
                existed = remove_copy(Path(copy.path), self.root)
            except OSError as exc:  # left leased: retried when the lease runs out
                log.error("received copy %s: cannot delete %s: %s", copy.id, copy.path, exc)
                continue
            self._audit(copy, existed)
            with self._sessions() as session, session.begin():
                session.execute(update(ReceivedCopy).where(ReceivedCopy.id == copy.id,
                                                           ReceivedCopy.deleted_at.is_(None))
                                .values(deleted_at=now, deleted_reason="delete-by", lease_until=None))
            copy.deleted_at, copy.deleted_reason, copy.lease_until = now, "delete-by", None
            swept.append(copy)
        return swept

    def _lease(self, copy_id: str, now: datetime) -> bool:
        with self._sessions() as session, session.begin():
            result = session.execute(update(ReceivedCopy).where(
                ReceivedCopy.id == copy_id, ReceivedCopy.deleted_at.is_(None),
                or_(ReceivedCopy.lease_until.is_(None), ReceivedCopy.lease_until <= now),
            ).values(lease_until=now + timedelta(seconds=self.lease_seconds)))
        return result.rowcount == 1

    def _audit(self, copy: ReceivedCopy, existed: bool) -> None:
        if self.audit is None:
            return
        when = copy.delete_by.strftime("%Y-%m-%d %H:%M:%S UTC") if copy.delete_by else "-"
        gone_fr = "" if existed else " (fichier déjà absent)"
        gone_en = "" if existed else " (file already gone)"
        self.audit.append(
            DUTY_DELETED, actor=self.audit.did, agreement_id=copy.agreement_id, transfer_id=copy.transfer_id,
            dataset_id=copy.dataset_id, decision="none",
            explanation=(f"devoir de suppression rempli : copie reçue supprimée, échéance {when}{gone_fr}",
                         f"deletion duty fulfilled: received copy deleted, due {when}{gone_en}"),
            details={"copy": copy.id, "path": copy.path, "bytes": copy.size, "sha256": copy.sha256,
                     "deleteBy": copy.delete_by.isoformat() if copy.delete_by else None, "fileExisted": existed})

    # -- the thread -------------------------------------------------------------------------------------------------
    def start(self) -> Sweeper:
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="jnt-duty-sweeper", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                swept = self.run_once()
                if swept:
                    log.info("deletion duties: %d received copies deleted", len(swept))
            except Exception:  # a database hiccup must not end the sweeps
                log.exception("deletion-duty sweep failed")
            self._wake.wait(self.interval)
            self._wake.clear()


