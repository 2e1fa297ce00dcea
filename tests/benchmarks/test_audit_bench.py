"""Benchmarks of the audit log (issue 6) on SQLite, the default database: appends per second from one thread (each
append is one transaction under the write lock — head read, record hashed and signed with Ed25519, insert, head
moved, commit), appends per second from 8 threads sharing the log, and records verified per second by `verify`
(hash, link and signature of every record). Real participant keys, a migrated database file in WAL mode.

Benchmarks, not timed tests: nothing asserts on a duration; each one checks that the chain it wrote verifies and
holds every record. Results: docs/benchmarks.md ("Audit log")."""

from __future__ import annotations

import threading

import pytest

from connector.audit import AuditLog
from connector.identity import Participant
from connector.identity.storage import make_engine
from connector.store import upgrade

PASS = b"correct horse battery staple"
BATCH = 500
THREADS = 8


@pytest.fixture
def audit(tmp_path):
    participant = Participant.init(tmp_path / "participant", "did:web:ddtm44.example", PASS)
    engine = make_engine(f"sqlite:///{tmp_path / 'jnt.sqlite'}")
    upgrade(engine)
    yield AuditLog(engine, participant.keys, participant.did), participant
    engine.dispose()


def _append(log: AuditLog, i: int) -> None:
    log.append("data.access", actor="did:web:region-pdl.example", agreement_id="urn:uuid:agreement-1",
               transfer_id="urn:uuid:transfer-1", dataset_id="urn:jnt:ddtm44:ppri-loire", decision="permit",
               explanation=("Permis : utiliser — la finalité « simulation du risque inondation » est autorisée",
                            "Permitted: use — the purpose 'flood-risk simulation' is allowed"),
               details={"i": i, "bytes": 1_048_576, "bbox": [-1.8, 47.1, -1.4, 47.3], "format": "GeoJSON"})


def test_audit_appends_per_second(benchmark, audit):
    log, participant = audit
    counter = iter(range(10**9))

    def batch() -> None:
        for _ in range(BATCH):
            _append(log, next(counter))

    benchmark.pedantic(batch, rounds=5, iterations=1, warmup_rounds=1)
    written = log.head()[0]
    report = log.verify(participant.keys)
    assert report.ok and report.count == written == 6 * BATCH
    benchmark.extra_info["appends_per_s"] = BATCH / benchmark.stats.stats.mean
    benchmark.extra_info["records"] = written


def test_audit_appends_per_second_from_threads(benchmark, audit):
    log, participant = audit
    per_thread = BATCH // THREADS * 2

    def burst() -> None:
        def worker() -> None:
            for i in range(per_thread):
                _append(log, i)

        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    benchmark.pedantic(burst, rounds=3, iterations=1)
    report = log.verify(participant.keys)
    assert report.ok and report.count == 3 * THREADS * per_thread
    benchmark.extra_info["appends_per_s"] = THREADS * per_thread / benchmark.stats.stats.mean
    benchmark.extra_info["threads"] = THREADS


def test_audit_verify_records_per_second(benchmark, audit):
    log, participant = audit
    for i in range(2000):
        _append(log, i)
    jwks = participant.keys.public_jwks()
    report = benchmark.pedantic(log.verify, args=(jwks,), rounds=3, iterations=1)
    assert report.ok and report.count == 2000
    benchmark.extra_info["records_verified_per_s"] = 2000 / benchmark.stats.stats.mean
