"""The audit log of one participant: ``append`` a signed, hash-chained record; ``query`` them newest first;
``verify`` the chain (``connector.audit.verify``).

Appends are serialised by the database, so that threads, processes and replicas sharing one database write one
chain: on PostgreSQL the append locks the ``audit_head`` row (``SELECT ... FOR UPDATE``), on SQLite it opens the
transaction with ``BEGIN IMMEDIATE`` (the write lock, taken before the head is read). Inside the lock it reads
the head, builds record ``head.seq + 1`` on ``head.hash``, signs it, inserts it and moves the head onto it; the
commit releases the lock. Within one process, appends that arrive while a transaction is under way are written
together in the next one (group commit: one lock and one commit for up to ``MAX_BATCH`` records); each caller
returns once its own record is committed. A failed append writes nothing and raises (a failed transaction fails
every append in it): the caller (the data plane) must not serve data it could not record."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from connector.store.schema import AuditHead, AuditRecord, utcnow

from .chain import GENESIS, SIGNATURE_TYPE, canonical_json, format_time, record_hash, signature_claims
from .errors import AuditError
from .events import DECISIONS, EVENT_PATTERN, MAX_EVENT_LENGTH
from .redaction import redact, redact_text
from .verify import VerifyReport, verify_chain

HEAD_ID = 1
MAX_LIMIT = 1000
MAX_BATCH = 100  # records per transaction when appends queue up
# A \u0000 escape in JSON text (preceded by an even number of backslashes): PostgreSQL cannot store NUL.
_ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
_RECORDS = AuditRecord.__table__
_HEAD = AuditHead.__table__
# Built once: statements with bound parameters are compiled once and reused from SQLAlchemy's cache.
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_INSERT_RECORD = insert(_RECORDS)
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == HEAD_ID)
              .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")))

log = logging.getLogger("jnt.audit")


class Signer(Protocol):
    """What signs the records: ``connector.identity.KeyStore`` (the participant's keys)."""

    @property
    def active_kid(self) -> str: ...

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str: ...


def _text(value: str | None, limit: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise AuditError("field", f"texte attendu, reçu {type(value).__name__}",
                         f"text expected, got {type(value).__name__}")
    # PostgreSQL text cannot hold NUL; the value must read back exactly as it was hashed.
    value = redact_text(value.replace("\x00", "\ufffd"))
    return value[:limit] if limit is not None else value


def _details(details: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`details` as they will read back from the database (plain JSON), without secrets."""
    if details is None:
        return None
    if not isinstance(details, Mapping):
        raise AuditError("details", "les détails d'un enregistrement sont un objet JSON",
                         "the details of a record are a JSON object")
    try:
        text = _ESCAPED_NUL.sub(r"\1\\ufffd", canonical_json(redact(details)))
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise AuditError("details", f"détails non sérialisables en JSON : {exc}",
                         f"details not serialisable as JSON: {exc}") from None


def _header(jws: str) -> dict[str, Any]:
    # What jwt.get_unverified_header does, without its per-character validation (a tenth of an append).
    segment = jws.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def record_json(record: AuditRecord) -> dict[str, Any]:
    """A record as JSON (management API, `jnt audit list --json`)."""
    return {
        "seq": record.seq, "id": record.id, "at": format_time(record.at), "event": record.event,
        "actor": record.actor, "agreementId": record.agreement_id, "transferId": record.transfer_id,
        "datasetId": record.dataset_id, "decision": record.decision,
        "explanation": {"fr": record.explanation_fr, "en": record.explanation_en},
        "details": record.details, "prevHash": record.prev_hash, "hash": record.hash, "kid": record.kid,
        "signature": record.signature,
    }


@dataclass
class _Pending:
    """An append waiting to be written: its fields, then its record or its error."""

    fields: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    record: AuditRecord | None = None
    error: BaseException | None = None
    lead: bool = False  # this caller writes the queue (and its own record)


def _append_error(exc: Exception) -> AuditError:
    if isinstance(exc, AuditError):
        error = AuditError(exc.code, exc.fr, exc.en)
    elif isinstance(exc, IntegrityError):
        error = AuditError("append", f"enregistrement d'audit refusé par la base : {exc.orig}",
                           f"audit record refused by the database: {exc.orig}")
    else:
        error = AuditError("append", f"écriture du journal d'audit impossible : {exc}",
                           f"cannot write the audit log: {exc}")
    error.__cause__ = exc
    return error


class AuditLog:
    """The audit log in `engine` (migrated to revision 0003 or later), signed by `signer` for `did`. Without a
    signer the log is read-only (query, verify)."""

    def __init__(self, engine: Engine, signer: Signer | None, did: str | None = None, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        did = did or getattr(signer, "did", None)
        if not did:
            raise ValueError("AuditLog needs the participant's DID (did=...)")
        self.engine, self.signer, self.did, self.clock = engine, signer, did, clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._mutex = threading.Lock()
        self._queue: list[_Pending] = []
        self._writing = False
        # Called with each record once committed (metrics count decisions); a failing listener is logged, never
        # raised to the caller: the record is written.
        self.listeners: list[Callable[[AuditRecord], None]] = []

    # -- writing ------------------------------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it holds the database's write lock from its start (on PostgreSQL
        ``_write`` locks the head row)."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # The write lock first: a deferred transaction would read the head, then find another writer
                # ahead of it when it tries to write (SQLITE_BUSY with no retry).
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    def append(self, event: str, *, actor: str | None = None, agreement_id: str | None = None,
               transfer_id: str | None = None, dataset_id: str | None = None, decision: str | None = None,
               explanation: tuple[str, str] | None = None,
               details: Mapping[str, Any] | None = None) -> AuditRecord:
        """Record `event` (e.g. ``data.access``) as the next record of the chain; returns it (detached).
        `explanation` is ``(fr, en)``; `decision` is ``permit``, ``deny`` or ``none`` (None: ``none``)."""
        if self.signer is None:
            raise AuditError("read-only", "journal d'audit ouvert en lecture seule (aucune clé de signature)",
                             "audit log opened read-only (no signing key)")
        if not isinstance(event, str) or len(event) > MAX_EVENT_LENGTH or not EVENT_PATTERN.match(event):
            raise AuditError("event", f"nom d'événement invalide : {event!r} (forme domaine.action, p. ex. "
                             "data.access)", f"invalid event name: {event!r} (form area.what, e.g. data.access)")
        decision = "none" if decision is None else decision
        if decision not in DECISIONS:
            raise AuditError("decision", f"décision invalide : {decision!r} (permit, deny ou none)",
                             f"invalid decision: {decision!r} (permit, deny or none)")
        fr, en = explanation if explanation is not None else (None, None)
        fields: dict[str, Any] = {
            "id": str(uuid.uuid4()), "event": event, "actor": _text(actor, 512),
            "agreement_id": _text(agreement_id, 255), "transfer_id": _text(transfer_id, 255),
            "dataset_id": _text(dataset_id, 1024), "decision": decision, "explanation_fr": _text(fr),
            "explanation_en": _text(en), "details": _details(details),
        }
        record = self._submit(_Pending(fields))
        for listener in self.listeners:
            try:
                listener(record)
            except Exception:
                log.exception("audit log listener failed on record %s", record.seq)
        return record

    # Group commit: appends waiting while another thread of this process writes are written by that thread in its
    # next transaction, so that a busy connector pays one lock, one round of statements and one commit per batch,
    # not per record (on PostgreSQL the lock is held through the commit's WAL flush, which bounds the rate of
    # one-record transactions). Every caller still returns only once its own record is committed.

    def _submit(self, pending: _Pending) -> AuditRecord:
        with self._mutex:
            self._queue.append(pending)
            if not self._writing:
                self._writing = pending.lead = True
        if not pending.lead:
            pending.done.wait()  # written by the leader, or made the leader
        if pending.lead:
            self._lead(pending)
        if pending.error is not None:
            raise pending.error
        assert pending.record is not None
        return pending.record

    def _lead(self, own: _Pending) -> None:
        """Write queued appends, a batch per transaction, until `own` is written; then hand the queue to the
        oldest waiting append, so that no caller writes for the others for ever."""
        while own.record is None and own.error is None:
            with self._mutex:
                batch = self._queue[:MAX_BATCH]
                del self._queue[:MAX_BATCH]
            try:
                for item, record in zip(batch, self._write(batch), strict=True):
                    item.record = record
            except Exception as exc:  # each caller gets its own error value, the cause chained
                for item in batch:
                    item.error = _append_error(exc)
            except BaseException:  # interrupted: nobody may be left waiting for this thread
                with self._mutex:
                    batch += self._queue
                    self._queue.clear()
                    self._writing = False
                for item in batch:
                    item.error = AuditError("interrupted", "écriture du journal d'audit interrompue",
                                            "audit log write interrupted")
                    item.done.set()
                raise
            for item in batch:
                if item is not own:
                    item.done.set()
        with self._mutex:
            if self._queue:
                successor = self._queue[0]
                successor.lead = True
                successor.done.set()
            else:
                self._writing = False

    def _write(self, batch: list[_Pending]) -> list[AuditRecord]:
        """One transaction: lock the head, chain and sign the records, insert them, move the head onto the last."""
        written = []
        with self._locked() as connection:
            head = connection.execute(_READ_HEAD if connection.dialect.name == "sqlite" else _LOCK_HEAD).one_or_none()
            if head is None:
                raise AuditError("no-head", "tête du journal d'audit absente : base non migrée (`jnt db upgrade`) "
                                 "ou altérée", "audit log head missing: database not migrated (`jnt db upgrade`) "
                                 "or tampered with")
            seq, prev_hash = head.seq, head.hash
            for item in batch:
                # The time is taken under the lock: on one host, times never go backwards along the chain.
                fields = {**item.fields, "seq": seq + 1, "prev_hash": prev_hash, "at": self.clock()}
                fields["hash"], fields["kid"], fields["signature"] = self._sign(fields)
                written.append(fields)
                seq, prev_hash = fields["seq"], fields["hash"]
            connection.execute(_INSERT_RECORD, written)  # one multi-row statement for the batch
            connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev_hash})
        return [AuditRecord(**fields) for fields in written]

    def _sign(self, fields: dict[str, Any]) -> tuple[str, str, str]:
        assert self.signer is not None
        # The kid is hashed too; a key rotated between reading it and signing gives another kid: sign again.
        for _ in range(3):
            kid = self.signer.active_kid
            digest = record_hash({**fields, "kid": kid})
            signature = self.signer.sign(signature_claims(self.did, digest, fields["seq"]), typ=SIGNATURE_TYPE)
            if _header(signature).get("kid") == kid:
                return digest, kid, signature
        raise AuditError("signing", "clé de signature instable (rotations répétées)",
                         "signing key unstable (repeated rotations)")

    # -- reading ------------------------------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the newest record (``(0, GENESIS)`` for an empty log): note it somewhere else to
        check later that the log was not cut back to an earlier point (``verify(checkpoint=...)``)."""
        with self.engine.connect() as connection:
            row = connection.execute(_READ_HEAD).one_or_none()
        return (row.seq, row.hash) if row is not None else (0, GENESIS)

    def _filtered(self, statement: Any, *, agreement_id: str | None, transfer_id: str | None,
                  dataset_id: str | None, event: str | None, actor: str | None, decision: str | None,
                  since: datetime | None, until: datetime | None) -> Any:
        for column, value in ((AuditRecord.agreement_id, agreement_id), (AuditRecord.transfer_id, transfer_id),
                              (AuditRecord.dataset_id, dataset_id), (AuditRecord.actor, actor),
                              (AuditRecord.decision, decision)):
            if value is not None:
                statement = statement.where(column == value)
        if event is not None:
            # "data." or "data.*": every event of an area.
            prefix = event.removesuffix("*")
            statement = statement.where(AuditRecord.event.startswith(prefix, autoescape=True)
                                        if prefix.endswith(".") else AuditRecord.event == event)
        if since is not None:
            statement = statement.where(AuditRecord.at >= since)
        if until is not None:
            statement = statement.where(AuditRecord.at < until)
        return statement

    def query(self, *, agreement_id: str | None = None, transfer_id: str | None = None,
              dataset_id: str | None = None, event: str | None = None, actor: str | None = None,
              decision: str | None = None, since: datetime | None = None, until: datetime | None = None,
              offset: int = 0, limit: int = 100) -> list[AuditRecord]:
        """Records matching every filter given, newest first. `event` ``data.`` (or ``data.*``) matches a whole
        area; `since` is inclusive, `until` exclusive; at most `limit` (≤ 1000) records after `offset`."""
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise AuditError("paging", f"pagination invalide : 1 ≤ limit ≤ {MAX_LIMIT}, offset ≥ 0",
                             f"invalid paging: 1 ≤ limit ≤ {MAX_LIMIT}, offset ≥ 0")
        statement = self._filtered(select(AuditRecord), agreement_id=agreement_id, transfer_id=transfer_id,
                                   dataset_id=dataset_id, event=event, actor=actor, decision=decision,
                                   since=since, until=until)
        with self._sessions() as session:
            return list(session.scalars(statement.order_by(AuditRecord.seq.desc()).offset(offset).limit(limit)))

    def count(self, *, agreement_id: str | None = None, transfer_id: str | None = None,
              dataset_id: str | None = None, event: str | None = None, actor: str | None = None,
              decision: str | None = None, since: datetime | None = None, until: datetime | None = None) -> int:
        """How many records `query` would page through with the same filters."""
        statement = self._filtered(select(func.count()).select_from(AuditRecord), agreement_id=agreement_id,
                                   transfer_id=transfer_id, dataset_id=dataset_id, event=event, actor=actor,
                                   decision=decision, since=since, until=until)
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())

    def get(self, seq: int) -> AuditRecord | None:
        with self._sessions() as session:
            return session.get(AuditRecord, seq)

    # -- checking -----------------------------------------------------------------------------------------------

    def verify(self, keys: Any, *, checkpoint: tuple[int, str] | None = None) -> VerifyReport:
        """Check the whole chain against the participant's public `keys` (see ``verify_chain``)."""
        return verify_chain(self.engine, self.did, keys, checkpoint=checkpoint)
