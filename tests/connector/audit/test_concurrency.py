"""Concurrent appends form one chain: many threads of one process, and two processes (two replicas) sharing one
database, on SQLite and PostgreSQL. Every append is kept, numbers have no gap, and the chain verifies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from connector.audit import AuditError, AuditLog

THREADS = 8
PER_THREAD = 25
PER_PROCESS = 60

_REPLICA = r"""
import sys, time
from pathlib import Path
from connector.audit import AuditError, AuditLog
from connector.identity import Participant
from connector.identity.storage import make_engine

url, data_dir, go, name, count = sys.argv[1:6]
participant = Participant.load(data_dir, b"correct horse battery staple")
engine = make_engine(url)
log = AuditLog(engine, participant.keys, participant.did)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
for i in range(int(count)):
    log.append("data.access", actor=name, transfer_id=f"{name}-{i}", decision="permit")
engine.dispose()
"""


def _check_one_chain(log: AuditLog, participant, expected: int) -> list:
    report = log.verify(participant.keys)
    assert report.ok, report
    assert report.count == expected and report.head_seq == expected
    records = log.query(limit=1000)
    assert sorted(r.seq for r in records) == list(range(1, expected + 1))
    return records


def test_appends_from_many_threads_form_one_chain(log, participant):
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                log.append("data.access", actor=f"thread-{n}", transfer_id=f"{n}-{i}", decision="permit")
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    records = _check_one_chain(log, participant, THREADS * PER_THREAD)
    assert Counter(r.actor for r in records) == {f"thread-{n}": PER_THREAD for n in range(THREADS)}
    assert len({r.transfer_id for r in records}) == THREADS * PER_THREAD


def test_two_replicas_sharing_the_database_form_one_chain(database_url, log, participant, tmp_path):
    log.append("agreement.signed", actor="before")
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    replicas = [subprocess.Popen([sys.executable, "-c", _REPLICA, database_url, str(participant.data_dir), str(go),
                                  name, str(PER_PROCESS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env) for name in ("replica-a", "replica-b")]
    try:
        for replica in replicas:  # both have opened their keys and engines before either appends
            assert replica.stdout.readline().strip() == "ready", replica.stderr.read()
        go.touch()
        for replica in replicas:
            _, stderr = replica.communicate(timeout=120)
            assert replica.returncode == 0, stderr
    finally:
        for replica in replicas:
            if replica.poll() is None:
                replica.kill()
    records = _check_one_chain(log, participant, 1 + 2 * PER_PROCESS)
    by_replica = Counter(r.actor for r in records)
    assert by_replica == {"before": 1, "replica-a": PER_PROCESS, "replica-b": PER_PROCESS}
    # The two really ran at the same time: their records interleave along the chain.
    order = [r.actor for r in sorted(records, key=lambda r: r.seq) if r.actor != "before"]
    switches = sum(1 for a, b in zip(order, order[1:], strict=False) if a != b)
    assert switches >= 2, order


class _FailingOnce:
    """The participant's keys, except that one signature fails (an HSM hiccup)."""

    def __init__(self, keys, fail_at: int) -> None:
        self.keys, self.calls, self.fail_at = keys, 0, fail_at
        self.lock = threading.Lock()

    @property
    def active_kid(self) -> str:
        return self.keys.active_kid

    def sign(self, claims, typ="JWT"):
        with self.lock:
            self.calls += 1
            if self.calls == self.fail_at:
                raise RuntimeError("signing device unavailable")
        return self.keys.sign(claims, typ=typ)


def test_a_failed_write_fails_its_callers_and_no_one_waits_for_ever(engine, participant):
    log = AuditLog(engine, _FailingOnce(participant.keys, fail_at=THREADS * 3), participant.did)
    outcomes: list[object] = []
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(10):
            try:
                outcomes.append(log.append("data.access", actor=f"thread-{n}", transfer_id=f"{n}-{i}"))
            except AuditError as exc:
                outcomes.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert len(outcomes) == THREADS * 10
    failed = [o for o in outcomes if isinstance(o, AuditError)]
    assert failed and all("signing device unavailable" in e.en for e in failed)
    written = [o for o in outcomes if not isinstance(o, AuditError)]
    # What was reported written is exactly what the chain holds, and it verifies.
    records = _check_one_chain(log, participant, len(written))
    assert {r.transfer_id for r in records} == {r.transfer_id for r in written}


def test_verify_while_appends_go_on_sees_one_consistent_chain(engine, log, participant):
    from connector.audit import verify_chain

    fill_stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            while not fill_stop.is_set():
                log.append("data.access", decision="permit")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        reports = []
        while len(reports) < 5 or log.head()[0] < 30:
            reports.append(verify_chain(engine, participant.did, participant.keys, batch=7))
    finally:
        fill_stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert all(report.ok for report in reports), [r for r in reports if not r.ok]
    assert len({report.count for report in reports}) > 1  # the log grew while it was being checked
