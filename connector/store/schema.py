"""The connector's tables (SQLAlchemy 2 typed ORM): contract negotiations, agreements, transfer processes, the
idempotency record of the protocol messages already processed, published datasets and offers, the audit log
(hash-chained records and the head of the chain; ``connector.audit`` writes and verifies them), the data plane's
token grants, use counters and pending pushes (provider side), the copies received as consumer with their
deletion duty, and the runs of access plans (consumer side) with their items.

Portable types only (SQLite and PostgreSQL): states, roles and intents are plain strings (the enums live in
``connector.dsp.states``), JSON documents use ``sqlalchemy.JSON``, and every timestamp is a timezone-aware UTC
``datetime`` (``UTCDateTime``: SQLite stores naive UTC text, PostgreSQL ``timestamptz``).

The schema itself is created by the Alembic migrations (``connector.store.migrate.upgrade``), never by
``create_all``; ``tests/connector/store`` checks that the migrated schema matches these models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend: aware values are converted to UTC when written (naive ones
    are refused), and values read back are aware (SQLite returns naive text, which is UTC by construction)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store only takes timezone-aware (UTC) datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class _Process:
    """Columns shared by negotiations and transfers: identity of the process on both sides, the persisted state and
    intent (EDC shape: an ``-ING`` intent is work for a worker), retry bookkeeping, the worker lease and the
    optimistic ``version`` (every business update is a compare-and-set on it)."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # provider | consumer: our side of the process
    provider_pid: Mapped[str | None] = mapped_column(String(255))
    consumer_pid: Mapped[str | None] = mapped_column(String(255))
    counterparty_did: Mapped[str] = mapped_column(String(512))
    counterparty_address: Mapped[str | None] = mapped_column(String(2048))  # its DSP endpoint (callback address)
    state: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(32))
    error_detail: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def local_pid(self) -> str | None:
        return self.provider_pid if self.role == "provider" else self.consumer_pid


class Negotiation(_Process, Base):
    __tablename__ = "negotiations"
    __table_args__ = (
        UniqueConstraint("role", "provider_pid"),
        UniqueConstraint("role", "consumer_pid"),
        Index(None, "intent", "next_attempt_at"),
    )

    offer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    agreement_id: Mapped[str | None] = mapped_column(String(255))
    dataset_id: Mapped[str | None] = mapped_column(String(1024))
    # What the consumer declared with its request (purpose IRI, territory...): evaluated with its verified claims.
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Transfer(_Process, Base):
    __tablename__ = "transfers"
    __table_args__ = (
        UniqueConstraint("role", "provider_pid"),
        UniqueConstraint("role", "consumer_pid"),
        Index(None, "intent", "next_attempt_at"),
    )

    agreement_id: Mapped[str] = mapped_column(String(255), index=True)
    format: Mapped[str | None] = mapped_column(String(255))
    data_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    negotiation_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_did: Mapped[str] = mapped_column(String(512))
    consumer_did: Mapped[str] = mapped_column(String(512))
    target: Mapped[str] = mapped_column(String(1024))  # the dataset the agreement is about
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    signed_jws: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MessageSeen(Base):
    """One row per protocol message already processed for a process (its id, or a digest of its canonical JSON):
    a repeated message is recognised and answered without a second transition."""

    __tablename__ = "messages_seen"

    process_kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # negotiation | transfer
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    message_type: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dataset(Base):
    """A dataset this connector publishes: its sheet (``catalog.sheet.Sheet`` as JSON), the DSP transfer formats it
    is served in, and where its data comes from (the data plane's source description)."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    sheet: Mapped[dict[str, Any]] = mapped_column(JSON)
    formats: Mapped[list[str]] = mapped_column(JSON)
    data_source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Offer(Base):
    """An offer of a dataset: its ODRL policy as DSP JSON-LD (without ``target``: the catalogue adds it)."""

    __tablename__ = "offers"

    id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditRecord(Base):
    """One record of the tamper-evident audit log. ``hash`` is the SHA-256 of the canonical JSON of every other
    column but ``signature`` (``connector.audit.chain``), ``prev_hash`` the hash of record ``seq - 1``, and
    ``signature`` a compact JWS by the participant's key ``kid`` over ``{iss, sub: hash, seq}``. The database refuses
    UPDATE and DELETE on this table (triggers of migration 0003)."""

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str | None] = mapped_column(String(512))
    agreement_id: Mapped[str | None] = mapped_column(String(255), index=True)
    transfer_id: Mapped[str | None] = mapped_column(String(255), index=True)
    dataset_id: Mapped[str | None] = mapped_column(String(1024), index=True)
    decision: Mapped[str] = mapped_column(String(8))  # permit | deny | none
    explanation_fr: Mapped[str | None] = mapped_column(Text)
    explanation_en: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    kid: Mapped[str] = mapped_column(String(600))
    signature: Mapped[str] = mapped_column(Text)


class AuditHead(Base):
    """The one row (``id`` = 1) naming the newest audit record: appends lock it to serialise writers (replicas
    included), and ``verify`` compares it with the last record, so that deleting the newest records is detected.
    The database only lets it move forward, onto an existing record's hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class EdrGrant(Base):
    """One data-plane token pair of a transfer (provider side): the refresh token's SHA-256 digest, the id of the
    access token issued with it, its generation (0 at the start, +1 per refresh), and when it was first used and
    retired. See `connector.data.edr`."""

    __tablename__ = "edr_grants"

    refresh_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(64), index=True)
    access_jti: Mapped[str] = mapped_column(String(64), unique=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AgreementUsage(Base):
    """How many data requests an agreement has served (provider side): the `count` left operand."""

    __tablename__ = "agreement_usage"

    agreement_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ReceivedCopy(Base):
    """A copy of a transfer's data this connector received as consumer (`connector.data.consumer`): where it lies,
    what it is (size, SHA-256, media type, the provider's attribution text), and the deletion duty of its agreement
    (`delete_by`, None when the agreement carries none). The sweeper (`connector.data.duties`) leases a copy whose
    date has passed (`lease_until`), deletes the file, audits `duty.deleted` and sets `deleted_at`; a copy
    overwritten by a later fetch to the same path is closed with `deleted_reason` `replaced`."""

    __tablename__ = "received_copies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(64), index=True)
    agreement_id: Mapped[str] = mapped_column(String(255), index=True)
    dataset_id: Mapped[str | None] = mapped_column(String(1024))
    provider_did: Mapped[str | None] = mapped_column(String(512))
    path: Mapped[str] = mapped_column(String(4096))
    sub_path: Mapped[str | None] = mapped_column(String(1024))  # the file asked for inside a folder source
    media_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    attribution: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delete_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_reason: Mapped[str | None] = mapped_column(String(32))  # delete-by | replaced | discarded


class DataPush(Base):
    """The push of a provider transfer in an HTTP-push format (`connector.data.push`): one row per transfer, put back
    to `pending` each time the transfer (re)enters STARTED (`round` + 1). A worker leases a due row, sends the data
    to the consumer's endpoint, and records the outcome: `done` (the transfer is then completed), `failed` (the
    transfer is terminated with the reason), or `interrupted` (the transfer left STARTED meanwhile). `counted_use`
    is the use of the agreement the round counted, so that a retry is not counted twice."""

    __tablename__ = "data_pushes"
    __table_args__ = (Index(None, "state", "next_attempt_at"),)

    transfer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16))  # pending | done | failed | interrupted
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    counted_use: Mapped[int | None] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bytes_sent: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlanRun(Base):
    """One run of an access plan by this connector as consumer (`connector.control.brokering`): the plan as it was
    posted (its items, alternatives and gaps), what the consumer declares in each contract request (`purpose`,
    `territory`), the options of the run (`fetch`, `use_alternatives`, `parallel`) and its status — `running` until
    every item has ended, then `completed`, `completed-with-failures`, `failed`, or `cancelled` by the operator."""

    __tablename__ = "plan_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(255), index=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    consumer_did: Mapped[str | None] = mapped_column(String(512))
    usecase: Mapped[str | None] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(String(1024))
    territory: Mapped[str | None] = mapped_column(Text)  # declared: a territory code, or WKT for a bbox
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PlanItem(Base):
    """One géo-concept of a plan run and where it stands: its `step` (pending, negotiating, agreed, transferring,
    started, fetched, failed, skipped), the candidate being tried (0: the plan's choice, then its alternatives), the
    negotiation and transfer of that attempt, the copy received, why it failed, and every attempt so far
    (`attempts`). The ids of a step's process are written (compare-and-set on `version`) *before* the process is
    created, so a restart creates it at most once. `lease_owner` marks the worker pulling the data."""

    __tablename__ = "plan_items"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("plan_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    geoconcept_id: Mapped[str] = mapped_column(String(255))
    step: Mapped[str] = mapped_column(String(16))
    candidate: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    negotiation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    agreement_id: Mapped[str | None] = mapped_column(String(255))
    transfer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    copy_id: Mapped[str | None] = mapped_column(String(36))
    received_path: Mapped[str | None] = mapped_column(String(4096))
    received_size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
