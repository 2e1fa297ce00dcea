"""The official kit's TP scenarios (``TCK.md`` §9.3): our connector is the provider, the kit the consumer, under
the seeded agreements ``ATP0101``… (no prior negotiation). One test per scenario, in the kit's order; every message
the CUT sends is schema-checked by the counter-party, every answer by ``tck_transfers``. Plus TP:02-04, disabled in
the kit, and the kit's late handler registration: a chained callback answered 404 is retried."""

from __future__ import annotations

import time

import pytest

from .tck_harness import Cut
from .tck_kit import QUIET
from .tck_transfers import (
    acknowledged,
    completion,
    expect_completion,
    expect_start,
    expect_suspension,
    expect_termination,
    kit_sends,
    refused,
    request_as_consumer,
    start,
    state_now,
    suspension,
    termination,
    wait_state,
)


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    """One connector under test for the whole group, as the kit runs all its scenarios against one connector: each
    scenario has its own agreement (or a fresh transfer under it), fresh pids and a fresh counter-party."""
    connector = Cut(tmp_path_factory.mktemp("cut"))
    yield connector
    connector.stop()


def test_TP_01_01(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0101")
    expect_start(tck_peer, tp)
    expect_termination(tck_peer, tp)
    wait_state(cut, tp, "TERMINATED")
    tck_peer.expect_nothing(QUIET)


def test_TP_01_02(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0102")
    expect_start(tck_peer, tp)
    expect_completion(tck_peer, tp)
    wait_state(cut, tp, "COMPLETED")
    tck_peer.expect_nothing(QUIET)


def test_TP_01_03(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0103")
    expect_start(tck_peer, tp)
    expect_suspension(tck_peer, tp)
    expect_termination(tck_peer, tp)
    wait_state(cut, tp, "TERMINATED")
    tck_peer.expect_nothing(QUIET)


def test_TP_01_04(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0104")
    expect_start(tck_peer, tp)
    expect_suspension(tck_peer, tp)
    expect_start(tck_peer, tp)  # the provider resumes, again with the pull DataAddress
    expect_completion(tck_peer, tp)
    wait_state(cut, tp, "COMPLETED")
    tck_peer.expect_nothing(QUIET)


def test_TP_01_05(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0105")
    sent = expect_termination(tck_peer, tp)  # in REQUESTED, without starting
    assert sent["code"], sent
    wait_state(cut, tp, "TERMINATED")
    tck_peer.expect_nothing(QUIET)


def test_TP_02_01(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0201")
    expect_start(tck_peer, tp)
    wait_state(cut, tp, "STARTED")
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_02_02(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0202")
    expect_start(tck_peer, tp)
    wait_state(cut, tp, "STARTED")
    acknowledged(kit_sends(cut, tp, completion(tp)))
    assert state_now(cut, tp) == "COMPLETED"
    tck_peer.expect_nothing(QUIET)


def test_TP_02_03(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0203")
    expect_start(tck_peer, tp)
    wait_state(cut, tp, "STARTED")
    acknowledged(kit_sends(cut, tp, suspension(tp)))
    assert state_now(cut, tp) == "SUSPENDED"
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_02_04(cut, tck_peer):
    """Disabled in the kit (``@Disabled``), run here: the consumer resumes a suspended transfer through
    ``<base>/transfers/:providerPid/start`` (SUSPENDED→STARTED by the consumer), then completes it."""
    tp = request_as_consumer(cut, tck_peer, "ATP0204")
    expect_start(tck_peer, tp)
    wait_state(cut, tp, "STARTED")
    acknowledged(kit_sends(cut, tp, suspension(tp)))
    assert state_now(cut, tp) == "SUSPENDED"
    acknowledged(kit_sends(cut, tp, start(tp)))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, completion(tp)))
    assert state_now(cut, tp) == "COMPLETED"
    tck_peer.expect_nothing(QUIET)


def test_TP_02_05(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0205")
    assert state_now(cut, tp) == "REQUESTED"
    acknowledged(kit_sends(cut, tp, termination(tp)))  # in REQUESTED
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_03_01(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0301")
    assert state_now(cut, tp) == "REQUESTED"
    error = refused(kit_sends(cut, tp, completion(tp)), tp)  # REQUESTED -> COMPLETED
    assert any("in state REQUESTED" in reason for reason in error["reason"]), error
    assert state_now(cut, tp) == "REQUESTED"
    tck_peer.expect_nothing(QUIET)


def test_TP_03_02(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0302")
    assert state_now(cut, tp) == "REQUESTED"
    refused(kit_sends(cut, tp, suspension(tp)), tp)  # REQUESTED -> SUSPENDED
    assert state_now(cut, tp) == "REQUESTED"
    tck_peer.expect_nothing(QUIET)


def test_TP_03_03(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0303")
    expect_start(tck_peer, tp)
    wait_state(cut, tp, "STARTED")
    acknowledged(kit_sends(cut, tp, suspension(tp)))
    assert state_now(cut, tp) == "SUSPENDED"
    refused(kit_sends(cut, tp, completion(tp)), tp)  # SUSPENDED -> COMPLETED
    assert state_now(cut, tp) == "SUSPENDED"
    tck_peer.expect_nothing(QUIET)


def test_TP_03_04(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0304")
    expect_start(tck_peer, tp)
    wait_state(cut, tp, "STARTED")
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    refused(kit_sends(cut, tp, start(tp)), tp)  # TERMINATED -> STARTED
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_03_05(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0305")
    expect_start(tck_peer, tp)
    wait_state(cut, tp, "STARTED")
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    refused(kit_sends(cut, tp, suspension(tp)), tp)  # TERMINATED -> SUSPENDED
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_03_06(cut, tck_peer):
    tp = request_as_consumer(cut, tck_peer, "ATP0306")
    expect_start(tck_peer, tp)
    wait_state(cut, tp, "STARTED")
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    refused(kit_sends(cut, tp, completion(tp)), tp)  # TERMINATED -> COMPLETED
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_chained_callback_answered_404_is_retried(cut, tck_peer):
    """The kit registers its handler for the next message only after it has seen the previous state change: in
    TP:01-03 the chained suspension may get 404 "No handler registered" first. The CUT retries it, 404 included,
    and the chain goes on."""
    dispatcher = cut.plane.dispatcher
    retries, failures = dispatcher.retries, dispatcher.failures  # the connector is shared by the group
    tp = request_as_consumer(cut, tck_peer, "ATP0103")
    tck_peer.reject[rf"/transfers/{tp.cpid}/suspension"] = 404
    expect_start(tck_peer, tp)
    deadline = time.monotonic() + 5
    while dispatcher.retries == retries and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dispatcher.retries > retries, "the suspension was never refused with 404"
    assert state_now(cut, tp) == "STARTED"  # not given up
    tck_peer.reject.clear()  # the handler is registered now
    expect_suspension(tck_peer, tp)
    expect_termination(tck_peer, tp)
    wait_state(cut, tp, "TERMINATED")
    assert dispatcher.failures == failures
