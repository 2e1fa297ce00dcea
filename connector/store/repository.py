"""The control plane's repository: processes (negotiations, transfers), agreements and the idempotency record.

Rules, after Eclipse EDC (design/STYLE.md):

* every business update (state, intent, fields) is a compare-and-set on ``version``: ``UPDATE ... WHERE id = ? AND
  version = ?``; a stale version raises ``ConcurrentUpdate`` and nothing is written;
* a pending ``intent`` (REQUESTING, OFFERING, ...) is work: ``claim_due`` leases due processes to one worker,
  atomically, in one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED) AND <lease free>
  RETURNING``. On PostgreSQL the sub-select skips rows another replica is claiming; SQLite has no row locks (the
  clause is not rendered) but serialises writers, and the single statement re-checks the lease, so a process is
  never leased twice. Lease operations (claim, release, reschedule) are guarded by the lease owner and do not
  change ``version``;
* lookups by pid are scoped to the counterparty: an unknown pid and another counterparty's pid both give None
  (the DSP answers 404 in both cases, revealing nothing).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.identity.storage import make_engine

from .schema import Agreement, MessageSeen, Negotiation, Transfer, utcnow

Kind = Literal["negotiation", "transfer"]
P = TypeVar("P", Negotiation, Transfer)
MODELS: dict[str, type[Negotiation] | type[Transfer]] = {"negotiation": Negotiation, "transfer": Transfer}
# Columns a caller may change through `update`; identity, lease and bookkeeping columns have their own methods.
UPDATABLE = frozenset({
    "state", "intent", "provider_pid", "consumer_pid", "counterparty_address", "error_detail", "offer",
    "agreement_id", "dataset_id", "format", "data_address", "next_attempt_at", "retry_count", "context",
})


class ConcurrentUpdate(Exception):
    """The process changed since it was read (stale ``version``), or it no longer exists."""


def _value(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


def message_digest(message: Mapping[str, Any]) -> str:
    """A stable key for a message without an id: SHA-256 of its canonical JSON."""
    canonical = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Store:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Store:
        return cls(make_engine(url), **kwargs)

    def _session(self) -> Session:
        return self._sessions()

    # -- processes --------------------------------------------------------------------------------------------
    def create_negotiation(self, *, role: str, counterparty_did: str, state: str, **fields: Any) -> Negotiation:
        return self._create(Negotiation, role=role, counterparty_did=counterparty_did, state=state, **fields)

    def create_transfer(self, *, role: str, counterparty_did: str, state: str, agreement_id: str,
                        **fields: Any) -> Transfer:
        return self._create(Transfer, role=role, counterparty_did=counterparty_did, state=state,
                            agreement_id=agreement_id, **fields)

    def _create(self, model: type[P], **fields: Any) -> P:
        """Insert a process; our own pid is generated (``urn:uuid:...``) when not given. An existing pid of the same
        role raises ``IntegrityError`` (a replayed request: look it up and answer idempotently)."""
        values = {key: _value(value) for key, value in fields.items()}
        own_pid = "provider_pid" if values["role"] == "provider" else "consumer_pid"
        values.setdefault(own_pid, f"urn:uuid:{uuid.uuid4()}")
        values.setdefault("id", str(uuid.uuid4()))
        now = self.clock()
        if values.get("intent") is not None:
            values.setdefault("next_attempt_at", now)
        process = model(retry_count=0, version=1, created_at=now, updated_at=now, **values)
        with self._session() as session, session.begin():
            session.add(process)
        return process

    def get(self, kind: Kind, process_id: str) -> Negotiation | Transfer | None:
        with self._session() as session:
            return session.get(MODELS[kind], process_id)

    def get_by_pid(self, kind: Kind, role: str, pid: str,
                   counterparty_did: str | None) -> Negotiation | Transfer | None:
        """The process of ours (`role`) whose own pid is `pid`, if `counterparty_did` is its counterparty (None: any
        counterparty, when identities are not verified)."""
        model = MODELS[kind]
        own_pid = model.provider_pid if _value(role) == "provider" else model.consumer_pid
        query = select(model).where(model.role == _value(role), own_pid == pid)
        if counterparty_did is not None:
            query = query.where(model.counterparty_did == counterparty_did)
        with self._session() as session:
            return session.scalars(query).one_or_none()

    def update(self, kind: Kind, process_id: str, version: int, **changes: Any) -> Negotiation | Transfer:
        """Compare-and-set: apply `changes` if the process is still at `version`; the new row is returned."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        model = MODELS[kind]
        values = {key: _value(value) for key, value in changes.items()}
        statement = (
            update(model).where(model.id == process_id, model.version == version)
            .values(**values, version=model.version + 1, updated_at=self.clock()).returning(model)
        )
        with self._session() as session, session.begin():
            row = session.scalars(statement, execution_options={"synchronize_session": False}).one_or_none()
        if row is None:
            raise ConcurrentUpdate(f"{kind} {process_id} is no longer at version {version}")
        return row

    def set_state(self, kind: Kind, process_id: str, version: int, state: str, *, intent: str | None = None,
                  **changes: Any) -> Negotiation | Transfer:
        """Record a new state (and the next intent, None when there is nothing to do)."""
        return self.set_intent(kind, process_id, version, intent, state=state, **changes)

    def set_intent(self, kind: Kind, process_id: str, version: int, intent: str | None, *,
                   delay: float = 0.0, **changes: Any) -> Negotiation | Transfer:
        """Persist an intent, due now (or after `delay` seconds), with a fresh retry count."""
        due = self.clock() + timedelta(seconds=delay) if intent is not None else None
        return self.update(kind, process_id, version, intent=intent, next_attempt_at=due, retry_count=0,
                           error_detail=None, **changes)

    def find_by_counterparty_pid(self, kind: Kind, role: str, counterparty_pid: str,
                                 counterparty_did: str | None) -> Negotiation | Transfer | None:
        """Our process (`role`) in which the counterparty chose `counterparty_pid` (a replayed initial message);
        `counterparty_did` None matches any counterparty (identities not verified)."""
        model = MODELS[kind]
        other = model.consumer_pid if _value(role) == "provider" else model.provider_pid
        query = select(model).where(model.role == _value(role), other == counterparty_pid)
        if counterparty_did is not None:
            query = query.where(model.counterparty_did == counterparty_did)
        with self._session() as session:
            return session.scalars(query.limit(1)).one_or_none()

    def list(self, kind: Kind, *, role: str | None = None, state: str | None = None, offset: int = 0,
             limit: int = 50) -> list[Negotiation | Transfer]:
        """Processes, newest first, optionally of one role or state (management API)."""
        model = MODELS[kind]
        query = select(model).order_by(model.created_at.desc(), model.id)
        if role is not None:
            query = query.where(model.role == _value(role))
        if state is not None:
            query = query.where(model.state == _value(state))
        with self._session() as session:
            return list(session.scalars(query.offset(offset).limit(limit)))

    def count(self, kind: Kind, *, state: str | None = None) -> int:
        model = MODELS[kind]
        query = select(func.count(model.id))
        if state is not None:
            query = query.where(model.state == _value(state))
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def apply(self, kind: Kind, process_id: str, version: int, *, message_key: str | None = None,
              message_type: str | None = None, agreement: Agreement | None = None,
              **changes: Any) -> Negotiation | Transfer | None:
        """One unit of work for an incoming message: record it as seen, store the agreement it led to (if any) and
        compare-and-set the process, all in one transaction. None if the message was seen already (nothing is
        written); ConcurrentUpdate if the process changed since it was read (nothing is written)."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        model = MODELS[kind]
        values = {key: _value(value) for key, value in changes.items()}
        now = self.clock()
        statement = (
            update(model).where(model.id == process_id, model.version == version)
            .values(**values, version=model.version + 1, updated_at=now).returning(model)
        )
        try:
            with self._session() as session, session.begin():
                if message_key is not None:
                    session.execute(insert(MessageSeen).values(
                        process_kind=kind, process_id=process_id, message_key=message_key,
                        message_type=message_type, received_at=now))
                row = session.scalars(statement, execution_options={"synchronize_session": False}).one_or_none()
                if row is None:
                    raise ConcurrentUpdate(f"{kind} {process_id} is no longer at version {version}")
                if agreement is not None:
                    session.add(agreement)
        except IntegrityError:
            if message_key is not None and self.seen(kind, process_id, message_key):
                return None
            raise
        return row

    def seen(self, kind: Kind, process_id: str, message_key: str) -> bool:
        with self._session() as session:
            return session.get(MessageSeen, (kind, process_id, message_key)) is not None

    def create_with(self, kind: Kind, *, agreement: Agreement | None = None, **fields: Any) -> Negotiation | Transfer:
        """Insert a process (and the agreement it already holds) in one transaction."""
        model = MODELS[kind]
        values = {key: _value(value) for key, value in fields.items()}
        own_pid = "provider_pid" if values["role"] == "provider" else "consumer_pid"
        values.setdefault(own_pid, f"urn:uuid:{uuid.uuid4()}")
        values.setdefault("id", str(uuid.uuid4()))
        now = self.clock()
        if values.get("intent") is not None:
            values.setdefault("next_attempt_at", now)
        process = model(retry_count=0, version=1, created_at=now, updated_at=now, **values)
        with self._session() as session, session.begin():
            session.add(process)
            if agreement is not None:
                session.add(agreement)
        return process

    def expedite(self, kind: Kind, process_id: str) -> None:
        """Make a pending intent due now (after the response that created the process has gone out)."""
        model = MODELS[kind]
        now = self.clock()
        with self._session() as session, session.begin():
            session.execute(update(model).where(model.id == process_id, model.intent.is_not(None),
                                                model.next_attempt_at > now).values(next_attempt_at=now),
                            execution_options={"synchronize_session": False})

    def next_due(self) -> datetime | None:
        """When the earliest pending intent (negotiation or transfer) is due; None when there is no work."""
        with self._session() as session:
            times = [session.scalar(select(func.min(m.next_attempt_at)).where(m.intent.is_not(None)))
                     for m in (Negotiation, Transfer)]
        times = [t for t in times if t is not None]
        if not times:
            return None
        return min(t if t.tzinfo else t.replace(tzinfo=UTC) for t in times)

    # -- leases -----------------------------------------------------------------------------------------------
    def claim_due(self, kind: Kind, owner: str, lease_seconds: float, limit: int = 10) -> list[Negotiation | Transfer]:
        """Lease up to `limit` processes with a due intent and a free (or expired) lease to `owner`."""
        model = MODELS[kind]
        now = self.clock()
        free = or_(model.lease_owner.is_(None), model.lease_expires_at <= now)
        due = select(model.id).where(
            model.intent.is_not(None), model.next_attempt_at <= now, free,
        ).order_by(model.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
        statement = (
            update(model).where(model.id.in_(due), free)
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds)).returning(model)
        )
        with self._session() as session, session.begin():
            return list(session.scalars(statement, execution_options={"synchronize_session": False}))

    def _leased(self, kind: Kind, process_id: str, owner: str, **values: Any) -> bool:
        model = MODELS[kind]
        with self._session() as session, session.begin():
            result = session.execute(
                update(model).where(and_(model.id == process_id, model.lease_owner == owner)).values(**values),
                execution_options={"synchronize_session": False},
            )
        return result.rowcount == 1

    def release_owned(self, owner_prefix: str) -> int:
        """Free every lease whose owner starts with `owner_prefix` (a replica restarting after a crash)."""
        count = 0
        with self._session() as session, session.begin():
            for model in (Negotiation, Transfer):
                count += session.execute(
                    update(model).where(model.lease_owner.startswith(owner_prefix, autoescape=True))
                    .values(lease_owner=None, lease_expires_at=None),
                    execution_options={"synchronize_session": False}).rowcount
        return count

    def release(self, kind: Kind, process_id: str, owner: str) -> bool:
        """Give the lease back; False if `owner` no longer holds it."""
        return self._leased(kind, process_id, owner, lease_owner=None, lease_expires_at=None)

    def reschedule(self, kind: Kind, process_id: str, owner: str, error: str | None, *, retry_count: int,
                   base_delay: float = 1.0, max_delay: float = 300.0) -> bool:
        """A transient failure: keep the intent, record the error, retry after an exponential backoff
        (`base_delay * 2**retry_count`, at most `max_delay`) and release the lease. `retry_count` is the count
        read at claim time; the caller moves to TERMINATING once its retry budget is spent."""
        delay = min(max_delay, base_delay * 2 ** retry_count)
        return self._leased(
            kind, process_id, owner, retry_count=retry_count + 1, error_detail=error,
            next_attempt_at=self.clock() + timedelta(seconds=delay), lease_owner=None, lease_expires_at=None,
        )

    # -- agreements -------------------------------------------------------------------------------------------
    def save_agreement(self, *, id: str, negotiation_id: str, provider_did: str, consumer_did: str, target: str,
                       policy: dict[str, Any], signed_jws: str | None = None,
                       timestamp: datetime | None = None) -> Agreement:
        agreement = Agreement(id=id, negotiation_id=negotiation_id, provider_did=provider_did,
                              consumer_did=consumer_did, target=target, policy=policy, signed_jws=signed_jws,
                              timestamp=timestamp or self.clock())
        with self._session() as session, session.begin():
            session.add(agreement)
        return agreement

    def get_agreement(self, agreement_id: str) -> Agreement | None:
        with self._session() as session:
            return session.get(Agreement, agreement_id)

    # -- idempotency ------------------------------------------------------------------------------------------
    def remember_message(self, kind: Kind, process_id: str, message_key: str,
                         message_type: str | None = None) -> bool:
        """Record a processed message (its id, or `message_digest(message)`); False if it was seen already."""
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(MessageSeen).values(
                    process_kind=kind, process_id=process_id, message_key=message_key,
                    message_type=message_type, received_at=self.clock(),
                ))
        except IntegrityError:
            return False
        return True
