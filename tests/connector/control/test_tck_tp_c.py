"""The official kit's TP_C scenarios (``TCK.md`` §9.3): our connector is the consumer, started by the kit's
transfer webhook under the seeded agreements ``ATPC0101``…; the kit is the provider and reads our state at
``<callbackAddress>/transfers/:consumerPid``. One test per scenario, in the kit's order; every message the CUT sends
is schema-checked by the counter-party, every answer by ``tck_transfers``. Plus TP_C:02-04, disabled in the kit.

As the kit does, the first message after the webhook follows the CUT's request at once: it may arrive before the CUT
has processed the kit's acknowledgement (and learnt the kit's providerPid)."""

from __future__ import annotations

import pytest

from .tck_harness import Cut
from .tck_kit import QUIET
from .tck_transfers import (
    Tp,
    acknowledged,
    completion,
    data_address,
    expect_completion,
    expect_start,
    expect_suspension,
    expect_termination,
    kit_sends,
    refused,
    start,
    state_now,
    suspension,
    termination,
    trigger_transfer,
    wait_state,
)


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    """One connector under test for the whole group, as the kit runs all its scenarios against one connector: each
    scenario has its own agreement (or a fresh transfer under it), fresh pids and a fresh counter-party."""
    connector = Cut(tmp_path_factory.mktemp("cut"))
    yield connector
    connector.stop()


def test_TP_C_01_01(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0101")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_01_02(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0102")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, completion(tp)))
    assert state_now(cut, tp) == "COMPLETED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_01_03(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0103")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, suspension(tp)))
    assert state_now(cut, tp) == "SUSPENDED"
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_01_04(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0104")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, suspension(tp)))
    assert state_now(cut, tp) == "SUSPENDED"
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))  # the provider resumes
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, completion(tp)))
    assert state_now(cut, tp) == "COMPLETED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_01_05(cut, tck_peer):
    # The kit's sample configuration reuses ATPC0104 here (sic); the properties `jnt connector tck` writes use
    # ATPC0105. Both are seeded without reactions.
    tp = trigger_transfer(cut, tck_peer, "ATPC0105")
    acknowledged(kit_sends(cut, tp, termination(tp)))  # in REQUESTED
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_02_01(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0201")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    expect_termination(tck_peer, tp)
    wait_state(cut, tp, "TERMINATED")
    tck_peer.expect_nothing(QUIET)


def test_TP_C_02_02(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0202")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    expect_completion(tck_peer, tp)
    wait_state(cut, tp, "COMPLETED")
    tck_peer.expect_nothing(QUIET)


def test_TP_C_02_03(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0203")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    expect_suspension(tck_peer, tp)
    expect_termination(tck_peer, tp)
    wait_state(cut, tp, "TERMINATED")
    tck_peer.expect_nothing(QUIET)


def test_TP_C_02_04(cut, tck_peer):
    """Disabled in the kit (``@Disabled``), run here: on start the consumer suspends, resumes through
    ``<provider>/transfers/:providerPid/start`` (SUSPENDED→STARTED by the consumer) and completes."""
    tp = trigger_transfer(cut, tck_peer, "ATPC0204")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    expect_suspension(tck_peer, tp)
    expect_start(tck_peer, tp)
    expect_completion(tck_peer, tp)
    wait_state(cut, tp, "COMPLETED")
    tck_peer.expect_nothing(QUIET)


def test_TP_C_02_05(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0205")
    expect_termination(tck_peer, tp)  # unsolicited, after the request's acknowledgement
    wait_state(cut, tp, "TERMINATED")
    tck_peer.expect_nothing(QUIET)


def test_TP_C_03_01(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0301")
    wait_state(cut, tp, "REQUESTED")
    error = refused(kit_sends(cut, tp, completion(tp)), tp)  # REQUESTED -> COMPLETED
    assert any("in state REQUESTED" in reason for reason in error["reason"]), error
    assert state_now(cut, tp) == "REQUESTED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_03_01_before_the_request_is_acknowledged(cut, tck_peer):
    """The kit answers as soon as it has read our request, possibly before we have processed its acknowledgement
    (we do not know its providerPid yet). The refusal still names both pids and the state REQUESTED."""
    tck_peer.reject["/transfers/request"] = 503  # the acknowledgement never arrives
    answer = cut.http.post(cut.connector.base_url + "/tck/transfers/requests", json={
        "providerId": "TCK_PARTICIPANT", "agreementId": "ATPC0301", "format": "HttpData-PULL",
        "connectorAddress": tck_peer.url})
    assert answer.status_code == 200, answer.text
    tp = Tp(ppid=tck_peer.pid, cpid=answer.json()["consumerPid"], address=cut.base, cut_role="consumer")
    error = refused(kit_sends(cut, tp, completion(tp)), tp)
    assert any("in state REQUESTED" in reason for reason in error["reason"]), error


def test_TP_C_03_02(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0302")
    wait_state(cut, tp, "REQUESTED")
    refused(kit_sends(cut, tp, suspension(tp)), tp)  # REQUESTED -> SUSPENDED
    assert state_now(cut, tp) == "REQUESTED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_03_03(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0303")
    wait_state(cut, tp, "REQUESTED")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, suspension(tp)))
    assert state_now(cut, tp) == "SUSPENDED"
    refused(kit_sends(cut, tp, completion(tp)), tp)  # SUSPENDED -> COMPLETED
    assert state_now(cut, tp) == "SUSPENDED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_03_04(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0304")
    wait_state(cut, tp, "REQUESTED")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    refused(kit_sends(cut, tp, start(tp)), tp)  # TERMINATED -> STARTED
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_03_05(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0305")
    wait_state(cut, tp, "REQUESTED")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    refused(kit_sends(cut, tp, suspension(tp)), tp)  # TERMINATED -> SUSPENDED
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_TP_C_03_06(cut, tck_peer):
    tp = trigger_transfer(cut, tck_peer, "ATPC0306")
    wait_state(cut, tp, "REQUESTED")
    acknowledged(kit_sends(cut, tp, start(tp, data_address())))
    assert state_now(cut, tp) == "STARTED"
    acknowledged(kit_sends(cut, tp, termination(tp)))
    assert state_now(cut, tp) == "TERMINATED"
    refused(kit_sends(cut, tp, completion(tp)), tp)  # TERMINATED -> COMPLETED
    assert state_now(cut, tp) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)
