"""Appending and reading the audit log on SQLite and PostgreSQL: the chain verifies with the participant's public
keys in every form, queries filter and page newest first, bad input is refused with a reason, secrets never reach
the database, and the database itself refuses to change or remove a record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from connector.audit import GENESIS, REDACTED, SIGNATURE_TYPE, AuditError, AuditLog, record_hash, record_json

from .helpers import DID, fill


def test_records_form_a_signed_chain_that_verifies(log, participant):
    records = fill(log, 7)
    assert [r.seq for r in records] == list(range(1, 8))
    assert records[0].prev_hash == GENESIS
    for before, after in zip(records, records[1:], strict=False):
        assert after.prev_hash == before.hash
    first = records[0]
    assert first.hash == record_hash({c: getattr(first, c) for c in (
        "seq", "id", "at", "event", "actor", "agreement_id", "transfer_id", "dataset_id", "decision",
        "explanation_fr", "explanation_en", "details", "prev_hash", "kid")})
    header = jwt.get_unverified_header(first.signature)
    assert header["kid"] == first.kid == participant.keys.active_kid and header["typ"] == SIGNATURE_TYPE
    claims = jwt.decode(first.signature, options={"verify_signature": False})
    assert claims == {"iss": DID, "sub": first.hash, "seq": 1}
    assert log.head() == (7, records[-1].hash)
    # The same verdict from every source of public keys.
    for keys in (participant.keys.public_jwks(), participant.keys, participant.did_document()):
        report = log.verify(keys)
        assert report.ok and report.count == 7 and report.first_broken_seq is None and report.head_seq == 7
        assert report.reason("fr") == "chaîne intègre : 7 enregistrements"
        assert report.reason("en") == "chain intact: 7 records"


def test_what_is_read_back_is_what_was_hashed(log, participant):
    appended = log.append("data.access", actor="did:web:egis.example", decision="permit",
                          explanation=("Permis : utiliser — finalité « simulation »", "Permitted: use"),
                          details={"unicode": "Saint-Nazaire — é ü 水", "float": 0.1, "big": 2**53 + 1,
                                   "nested": {"b": [1, {"c": None}], "a": True}, "tuple": (1, 2), "nul": "a\x00b"})
    stored = log.get(appended.seq)
    assert stored is not None
    assert stored.details == appended.details == {
        "unicode": "Saint-Nazaire — é ü 水", "float": 0.1, "big": 2**53 + 1,
        "nested": {"b": [1, {"c": None}], "a": True}, "tuple": [1, 2], "nul": "a\ufffdb"}
    assert stored.at == appended.at and stored.at.tzinfo is not None
    assert stored.hash == appended.hash and record_json(stored) == record_json(appended)
    assert log.verify(participant.keys).ok


def test_an_empty_log_verifies(log, participant):
    assert log.head() == (0, GENESIS)
    report = log.verify(participant.keys)
    assert report.ok and report.count == 0 and report.head_seq == 0


def test_query_filters_and_pages_newest_first(log):
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    ticks = iter(start + timedelta(minutes=i) for i in range(100))
    log.clock = lambda: next(ticks)
    fill(log, 10)
    every = log.query()
    assert [r.seq for r in every] == list(range(10, 0, -1))
    assert [r.seq for r in log.query(limit=3)] == [10, 9, 8]
    assert [r.seq for r in log.query(offset=3, limit=3)] == [7, 6, 5]
    assert [r.seq for r in log.query(agreement_id="urn:uuid:agreement-1")] == [10, 8, 6, 4, 2]
    assert [r.seq for r in log.query(transfer_id="urn:uuid:transfer-0", agreement_id="urn:uuid:agreement-0")] == \
        [7, 1]
    assert [r.seq for r in log.query(event="data.refused")] == [9, 4]
    assert [r.seq for r in log.query(event="data.")] == [9, 8, 4, 3]
    assert [r.seq for r in log.query(event="data.*")] == [9, 8, 4, 3]
    assert [r.seq for r in log.query(decision="deny")] == [9, 4]
    assert [r.seq for r in log.query(since=start + timedelta(minutes=7))] == [10, 9, 8]
    assert [r.seq for r in log.query(until=start + timedelta(minutes=2))] == [2, 1]
    assert log.query(dataset_id="urn:jnt:other") == []
    assert log.count() == 10 and log.count(event="data.") == 4 and log.count(agreement_id="urn:uuid:agreement-1") == 5
    with pytest.raises(AuditError):
        log.query(limit=0)
    with pytest.raises(AuditError):
        log.query(limit=1001)


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"event": "Data Access"}, "event"),
    ({"event": "access"}, "event"),
    ({"event": "data." + "x" * 64}, "event"),
    ({"event": "data.access", "decision": "maybe"}, "decision"),
    ({"event": "data.access", "details": {"when": datetime.now(UTC)}}, "details"),
    ({"event": "data.access", "details": ["not", "an", "object"]}, "details"),
    ({"event": "data.access", "details": {"x": float("nan")}}, "details"),
])
def test_bad_input_is_refused_with_a_reason_and_writes_nothing(log, kwargs, code):
    kwargs = dict(kwargs)
    event = kwargs.pop("event")
    with pytest.raises(AuditError) as info:
        log.append(event, **kwargs)
    assert info.value.code == code and info.value.fr and info.value.en
    assert log.head() == (0, GENESIS)


def test_a_log_without_signer_is_read_only(engine, log, participant):
    fill(log, 2)
    reader = AuditLog(engine, None, DID)
    assert [r.seq for r in reader.query()] == [2, 1]
    assert reader.verify(participant.keys.public_jwks()).ok
    with pytest.raises(AuditError) as info:
        reader.append("data.access")
    assert info.value.code == "read-only"


def test_secrets_never_reach_the_database(log, engine):
    token = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256")
    log.append("data.access", explanation=(f"jeton présenté : {token}", "header: Authorization: Bearer abcdefgh1234"),
               details={"edr": {"authorization": token, "endpoint": "https://ddtm44.example/data"},
                        "api_key": "s3cr3t", "Password": "hunter2", "headers": [{"X-Api-Key": "k"}],
                        "echo": f"received {token}", "client_secret": "zzz"})
    with engine.connect() as connection:
        dump = " ".join(str(v) for row in connection.execute(text("SELECT * FROM audit_records")) for v in row)
    for secret in (token, "s3cr3t", "hunter2", "abcdefgh1234", "zzz"):
        assert secret not in dump
    record = log.query()[0]
    assert record.details["edr"] == {"authorization": REDACTED, "endpoint": "https://ddtm44.example/data"}
    assert record.details["headers"] == [{"X-Api-Key": REDACTED}]
    assert REDACTED in record.explanation_fr and REDACTED in record.explanation_en


def _insert(seq: int, prev: str) -> str:
    return ("INSERT INTO audit_records (seq, id, at, event, decision, prev_hash, hash, kid, signature) "
            f"VALUES ({seq}, 'x{seq}', '2026-01-01 00:00:00', 'data.access', 'none', :{prev}, :{prev}, 'k', 's')")


def test_the_database_refuses_to_change_or_remove_records(log, engine):
    records = fill(log, 3)
    refused = [
        "UPDATE audit_records SET explanation_fr = 'rien' WHERE seq = 2",
        "DELETE FROM audit_records WHERE seq = 3",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET seq = 2, hash = :h2",  # rewinding the head
        "UPDATE audit_head SET seq = 4, hash = :h2",  # pointing it past the end
        # Records that do not continue the chain: a fork, a wrong link, a gap.
        _insert(2, "h1"), _insert(4, "h2"), _insert(5, "h3"), _insert(1, "h1"),
    ]
    if engine.dialect.name == "postgresql":
        refused.append("TRUNCATE audit_records")
    params = {"h1": records[0].hash, "h2": records[1].hash, "h3": records[2].hash}
    for statement in refused:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(statement), params)
    assert log.head() == (3, records[-1].hash)
    assert [r.hash for r in reversed(log.query())] == [r.hash for r in records]
    # The log itself still writes: the next record continues the chain (one statement, or several at once).
    with engine.begin() as connection:
        connection.execute(text(_insert(4, "h3")), params)
        connection.execute(text("UPDATE audit_head SET seq = 4, hash = :h3"), params)
