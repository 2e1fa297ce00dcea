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

import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine, Row, Table, and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

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


def _instance(model: type[Any], row: Row[Any] | None) -> Any:
    """A detached model object from a row of its table (SQLAlchemy Core: no session, no unit of work — the hot
    paths of a busy connector spent most of their time there)."""
    return None if row is None else model(**row._mapping)


def _insert_values(instance: Any) -> dict[str, Any]:
    """An object's column values for an INSERT; unset values of columns with a default are left to the default."""
    table: Table = type(instance).__table__
    values = {}
    for column in table.columns:
        value = getattr(instance, column.key)
        if value is not None or column.default is None:
            values[column.key] = value
    return values


_INSERT_SEEN = insert(MessageSeen.__table__)
_INSERT_AGREEMENT = insert(Agreement.__table__)


@functools.lru_cache(maxsize=256)
def _cas_update(kind: Kind, keys: tuple[str, ...], release: bool) -> Any:
    """The compare-and-set UPDATE of `keys` (parameters ``v_<key>``, ``b_id``, ``b_version``, ``b_now`` and, with
    `release`, ``b_owner``), built once: building a statement costs more than running it."""
    table = MODELS[kind].__table__
    c = table.c
    values: dict[str, Any] = {key: bindparam(f"v_{key}", type_=c[key].type) for key in keys}
    if release:
        mine = c.lease_owner == bindparam("b_owner", type_=c.lease_owner.type)
        values["lease_owner"] = case((mine, None), else_=c.lease_owner)
        values["lease_expires_at"] = case((mine, None), else_=c.lease_expires_at)
    return (update(table).where(c.id == bindparam("b_id", type_=c.id.type),
                                c.version == bindparam("b_version", type_=c.version.type))
            .values(**values, version=c.version + 1, updated_at=bindparam("b_now", type_=c.updated_at.type))
            .returning(*c))


@functools.lru_cache(maxsize=32)
def _lookup(kind: Kind, column: str, role: bool, scoped: bool) -> Any:
    """SELECT of a process by `column` (parameter ``b_value``), with ``b_role`` and ``b_did`` (the counterparty)
    when asked: built once."""
    c = MODELS[kind].__table__.c
    query = select(MODELS[kind].__table__).where(c[column] == bindparam("b_value", type_=c[column].type))
    if role:
        query = query.where(c.role == bindparam("b_role", type_=c.role.type))
    if scoped:
        query = query.where(c.counterparty_did == bindparam("b_did", type_=c.counterparty_did.type))
    return query.limit(1)


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

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Store:
        return cls(make_engine(url), **kwargs)

    def _one(self, model: type[Any], query: Any, params: dict[str, Any] | None = None) -> Any:
        with self.engine.connect() as connection:
            return _instance(model, connection.execute(query, params).first())

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
        values.update(retry_count=0, version=1, created_at=now, updated_at=now)
        with self.engine.begin() as connection:
            connection.execute(insert(model.__table__), values)
        return model(**values)

    def get(self, kind: Kind, process_id: str) -> Negotiation | Transfer | None:
        return self._one(MODELS[kind], _lookup(kind, "id", False, False), {"b_value": process_id})

    def get_by_pid(self, kind: Kind, role: str, pid: str,
                   counterparty_did: str | None) -> Negotiation | Transfer | None:
        """The process of ours (`role`) whose own pid is `pid`, if `counterparty_did` is its counterparty (None: any
        counterparty, when identities are not verified)."""
        own_pid = "provider_pid" if _value(role) == "provider" else "consumer_pid"
        return self._one(MODELS[kind], _lookup(kind, own_pid, True, counterparty_did is not None),
                         {"b_value": pid, "b_role": _value(role), "b_did": counterparty_did})

    def update(self, kind: Kind, process_id: str, version: int, **changes: Any) -> Negotiation | Transfer:
        """Compare-and-set: apply `changes` if the process is still at `version`; the new row is returned."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        model = MODELS[kind]
        table = model.__table__
        values = {key: _value(value) for key, value in changes.items()}
        statement = (
            update(table).where(table.c.id == process_id, table.c.version == version)
            .values(**values, version=table.c.version + 1, updated_at=self.clock()).returning(*table.c)
        )
        with self.engine.begin() as connection:
            row = connection.execute(statement).first()
        if row is None:
            raise ConcurrentUpdate(f"{kind} {process_id} is no longer at version {version}")
        return _instance(model, row)

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
        other = "consumer_pid" if _value(role) == "provider" else "provider_pid"
        return self._one(MODELS[kind], _lookup(kind, other, True, counterparty_did is not None),
                         {"b_value": counterparty_pid, "b_role": _value(role), "b_did": counterparty_did})

    def list(self, kind: Kind, *, role: str | None = None, state: str | None = None, offset: int = 0,
             limit: int = 50) -> list[Negotiation | Transfer]:
        """Processes, newest first, optionally of one role or state (management API)."""
        model = MODELS[kind]
        table = model.__table__
        query = select(table).order_by(table.c.created_at.desc(), table.c.id)
        if role is not None:
            query = query.where(table.c.role == _value(role))
        if state is not None:
            query = query.where(table.c.state == _value(state))
        with self.engine.connect() as connection:
            return [_instance(model, row) for row in connection.execute(query.offset(offset).limit(limit))]

    def count(self, kind: Kind, *, state: str | None = None) -> int:
        table = MODELS[kind].__table__
        query = select(func.count()).select_from(table)
        if state is not None:
            query = query.where(table.c.state == _value(state))
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)

    def counts_by_state(self) -> list[tuple[Kind, str, str, int]]:
        """(kind, role, state, count) of every process kind (metrics)."""
        out: list[tuple[Kind, str, str, int]] = []
        with self.engine.connect() as connection:
            for kind, model in (("negotiation", Negotiation), ("transfer", Transfer)):
                c = model.__table__.c
                query = select(c.role, c.state, func.count()).group_by(c.role, c.state)
                out.extend((kind, role, state, count) for role, state, count in connection.execute(query))
        return out

    def pending_by_kind(self) -> dict[Kind, int]:
        """How many processes of each kind have a message waiting to be sent (the dispatcher's queue)."""
        pending: dict[Kind, int] = {}
        with self.engine.connect() as connection:
            for kind, model in (("negotiation", Negotiation), ("transfer", Transfer)):
                c = model.__table__.c
                pending[kind] = int(connection.execute(
                    select(func.count()).select_from(model.__table__).where(c.intent.is_not(None))).scalar() or 0)
        return pending

    def apply(self, kind: Kind, process_id: str, version: int, *, message_key: str | None = None,
              message_type: str | None = None, agreement: Agreement | None = None, release_lease: str | None = None,
              **changes: Any) -> Negotiation | Transfer | None:
        """One unit of work for an incoming message: record it as seen, store the agreement it led to (if any) and
        compare-and-set the process, all in one transaction. None if the message was seen already (nothing is
        written); ConcurrentUpdate if the process changed since it was read (nothing is written). With
        `release_lease`, the lease is given back in the same statement if that owner still holds it."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        model = MODELS[kind]
        now = self.clock()
        params = {f"v_{key}": _value(value) for key, value in changes.items()}
        params.update(b_id=process_id, b_version=version, b_now=now, b_owner=release_lease)
        statement = _cas_update(kind, tuple(sorted(changes)), release_lease is not None)
        try:
            with self.engine.begin() as connection:
                if message_key is not None:
                    connection.execute(_INSERT_SEEN, {
                        "process_kind": kind, "process_id": process_id, "message_key": message_key,
                        "message_type": message_type, "received_at": now})
                row = connection.execute(statement, params).first()
                if row is None:
                    raise ConcurrentUpdate(f"{kind} {process_id} is no longer at version {version}")
                if agreement is not None:
                    connection.execute(_INSERT_AGREEMENT, _insert_values(agreement))
        except IntegrityError:
            if message_key is not None and self.seen(kind, process_id, message_key):
                return None
            raise
        return _instance(model, row)

    def seen(self, kind: Kind, process_id: str, message_key: str) -> bool:
        table = MessageSeen.__table__
        with self.engine.connect() as connection:
            return connection.execute(select(table.c.message_key).where(
                table.c.process_kind == kind, table.c.process_id == process_id,
                table.c.message_key == message_key)).first() is not None

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
        values.update(retry_count=0, version=1, created_at=now, updated_at=now)
        with self.engine.begin() as connection:
            connection.execute(insert(model.__table__), values)
            if agreement is not None:
                connection.execute(insert(Agreement.__table__), _insert_values(agreement))
        return model(**values)

    def expedite(self, kind: Kind, process_id: str) -> None:
        """Make a pending intent due now (after the response that created the process has gone out)."""
        table = MODELS[kind].__table__
        now = self.clock()
        with self.engine.begin() as connection:
            connection.execute(update(table).where(table.c.id == process_id, table.c.intent.is_not(None),
                                                   table.c.next_attempt_at > now).values(next_attempt_at=now))

    def next_due(self) -> datetime | None:
        """When the earliest pending intent (negotiation or transfer) is due; None when there is no work."""
        dues = self.next_due_by_kind()
        return min(dues.values()) if dues else None

    def next_due_by_kind(self) -> dict[Kind, datetime]:
        """For each kind with pending intents, when the earliest can be claimed: its due time, or, if it is leased,
        the end of the lease (so that processes in flight do not count as due work)."""
        kinds: list[tuple[Kind, Any]] = []
        for kind, model in (("negotiation", Negotiation), ("transfer", Transfer)):
            c = model.__table__.c
            claimable = case((or_(c.lease_owner.is_(None), c.lease_expires_at <= c.next_attempt_at),
                              c.next_attempt_at), else_=c.lease_expires_at)
            kinds.append((kind, select(func.min(claimable)).where(c.intent.is_not(None)).scalar_subquery()))
        with self.engine.connect() as connection:  # one statement for both kinds
            row = connection.execute(select(*(query for _, query in kinds))).one()
        dues: dict[Kind, datetime] = {}
        for (kind, _), due in zip(kinds, row, strict=True):
            if due is not None:
                dues[kind] = due if due.tzinfo else due.replace(tzinfo=UTC)
        return dues

    # -- leases -----------------------------------------------------------------------------------------------
    def claim_due(self, kind: Kind, owner: str, lease_seconds: float, limit: int = 10) -> list[Negotiation | Transfer]:
        """Lease up to `limit` processes with a due intent and a free (or expired) lease to `owner`."""
        model = MODELS[kind]
        table = model.__table__
        c = table.c
        now = self.clock()
        free = or_(c.lease_owner.is_(None), c.lease_expires_at <= now)
        due = select(c.id).where(
            c.intent.is_not(None), c.next_attempt_at <= now, free,
        ).order_by(c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
        statement = (
            update(table).where(c.id.in_(due), free)
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds)).returning(*c)
        )
        with self.engine.begin() as connection:
            return [_instance(model, row) for row in connection.execute(statement)]

    def _leased(self, kind: Kind, process_id: str, owner: str, **values: Any) -> bool:
        table = MODELS[kind].__table__
        with self.engine.begin() as connection:
            result = connection.execute(
                update(table).where(and_(table.c.id == process_id, table.c.lease_owner == owner)).values(**values))
        return result.rowcount == 1

    def release_owned(self, owner_prefix: str) -> int:
        """Free every lease whose owner starts with `owner_prefix` (a replica restarting after a crash)."""
        count = 0
        with self.engine.begin() as connection:
            for model in (Negotiation, Transfer):
                c = model.__table__.c
                count += connection.execute(
                    update(model.__table__).where(c.lease_owner.startswith(owner_prefix, autoescape=True))
                    .values(lease_owner=None, lease_expires_at=None)).rowcount
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
        with self.engine.begin() as connection:
            connection.execute(insert(Agreement.__table__), _insert_values(agreement))
        return agreement

    def get_agreement(self, agreement_id: str) -> Agreement | None:
        table = Agreement.__table__
        return self._one(Agreement, select(table).where(table.c.id == agreement_id))

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
