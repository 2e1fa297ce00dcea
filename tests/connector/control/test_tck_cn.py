"""The official kit's CN scenarios (``TCK.md`` §9.3): our connector is the provider, the kit the consumer. One test
per scenario, in the kit's order; every message the CUT sends is schema-checked by the counter-party, every answer
by ``tck_kit``. Plus the kit's late handler registration: a callback answered 404 is retried."""

from __future__ import annotations

import time

from .tck_kit import (
    QUIET,
    accepted,
    acknowledged,
    counter_request,
    expect_agreement,
    expect_event,
    expect_offer,
    expect_termination,
    kit_state,
    refused,
    request_as_consumer,
    state_now,
    termination,
    verification,
)


def test_CN_01_01(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0101")
    expect_offer(tck_peer, ppid, cpid, "ACN0101")
    acknowledged(cut.post(f"/negotiations/{ppid}/termination", termination(ppid, cpid)))
    assert state_now(cut, ppid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_01_02(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0102")
    expect_offer(tck_peer, ppid, cpid, "ACN0102")
    body = acknowledged(cut.post(f"/negotiations/{ppid}/request",
                                 counter_request(ppid, cpid, "CD123:ACN0102:456", "ACN0102")))
    assert body["state"] == "REQUESTED", body
    sent = expect_termination(tck_peer, cpid)
    assert sent["providerPid"] == ppid and sent["consumerPid"] == cpid, sent
    cut.wait_state("negotiations", ppid, "TERMINATED")


def test_CN_01_03(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0103")
    expect_offer(tck_peer, ppid, cpid, "ACN0103")
    acknowledged(cut.post(f"/negotiations/{ppid}/events", accepted(ppid, cpid)))
    expect_agreement(tck_peer, ppid, cpid, "ACN0103")
    acknowledged(cut.post(f"/negotiations/{ppid}/agreement/verification", verification(ppid, cpid)))
    expect_event(tck_peer, cpid, "FINALIZED")
    cut.wait_state("negotiations", ppid, "FINALIZED")
    tck_peer.expect_nothing(QUIET)


def test_CN_01_04(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0104")
    sent = expect_agreement(tck_peer, ppid, cpid, "ACN0104")
    assert sent["agreement"]["assigner"] and sent["agreement"]["assignee"] and sent["agreement"]["timestamp"]
    cut.wait_state("negotiations", ppid, "AGREED")  # the kit's empty 200 counts as an acknowledgement
    acknowledged(cut.post(f"/negotiations/{ppid}/agreement/verification", verification(ppid, cpid)))
    expect_event(tck_peer, cpid, "FINALIZED")
    cut.wait_state("negotiations", ppid, "FINALIZED")


def test_CN_02_01(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0201")
    sent = expect_termination(tck_peer, cpid)
    assert sent["providerPid"] == ppid and sent["code"], sent
    cut.wait_state("negotiations", ppid, "TERMINATED")


def test_CN_02_02(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0202")
    acknowledged(cut.post(f"/negotiations/{ppid}/termination", termination(ppid, cpid)))
    assert state_now(cut, ppid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_02_03(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0203")
    expect_agreement(tck_peer, ppid, cpid, "ACN0203")
    acknowledged(cut.post(f"/negotiations/{ppid}/termination", termination(ppid, cpid)))  # in AGREED
    assert state_now(cut, ppid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_02_04(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0204")
    expect_offer(tck_peer, ppid, cpid, "ACN0204")
    acknowledged(cut.post(f"/negotiations/{ppid}/termination", termination(ppid, cpid)))
    assert state_now(cut, ppid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_02_05(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0205")
    expect_offer(tck_peer, ppid, cpid, "ACN0205")
    expect_termination(tck_peer, cpid)
    cut.wait_state("negotiations", ppid, "TERMINATED")


def test_CN_02_06(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0206")
    expect_offer(tck_peer, ppid, cpid, "ACN0206")
    acknowledged(cut.post(f"/negotiations/{ppid}/events", accepted(ppid, cpid)))
    expect_termination(tck_peer, cpid)
    cut.wait_state("negotiations", ppid, "TERMINATED")


def test_CN_02_07(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0207")
    expect_agreement(tck_peer, ppid, cpid, "ACN0207")
    acknowledged(cut.post(f"/negotiations/{ppid}/agreement/verification", verification(ppid, cpid)))
    expect_termination(tck_peer, cpid)
    cut.wait_state("negotiations", ppid, "TERMINATED")


def test_CN_03_01(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0301")
    expect_agreement(tck_peer, ppid, cpid, "ACN0301")
    acknowledged(cut.post(f"/negotiations/{ppid}/agreement/verification", verification(ppid, cpid)))
    expect_event(tck_peer, cpid, "FINALIZED")
    cut.wait_state("negotiations", ppid, "FINALIZED")
    refused(cut.post(f"/negotiations/{ppid}/termination", termination(ppid, cpid)), ppid, cpid)
    assert state_now(cut, ppid) == "FINALIZED"


def test_CN_03_02(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0302")
    expect_offer(tck_peer, ppid, cpid, "ACN0302")
    # in OFFERED
    refused(cut.post(f"/negotiations/{ppid}/agreement/verification", verification(ppid, cpid)), ppid, cpid)
    assert kit_state(cut, ppid) == "OFFERED"
    tck_peer.expect_nothing(QUIET)


def test_CN_03_03(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0303")
    expect_offer(tck_peer, ppid, cpid, "ACN0303")
    acknowledged(cut.post(f"/negotiations/{ppid}/events", accepted(ppid, cpid)))
    # in ACCEPTED
    refused(cut.post(f"/negotiations/{ppid}/agreement/verification", verification(ppid, cpid)), ppid, cpid)
    assert state_now(cut, ppid) == "ACCEPTED"
    tck_peer.expect_nothing(QUIET)


def test_CN_03_04(cut, tck_peer):
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0304")
    expect_offer(tck_peer, ppid, cpid, "ACN0304")
    body = acknowledged(cut.post(f"/negotiations/{ppid}/request",
                                 counter_request(ppid, cpid, "CD123:ACN0304:456", "ACN0304")))
    assert body["state"] == "REQUESTED", body
    refused(cut.post(f"/negotiations/{ppid}/request",  # REQUESTED -> REQUESTED
                     counter_request(ppid, cpid, "CD123:ACN0304:456", "ACN0304")), ppid, cpid)
    assert state_now(cut, ppid) == "REQUESTED"
    tck_peer.expect_nothing(QUIET)


def test_callback_answered_404_is_retried(cut, tck_peer):
    """The kit registers its handler for the next message only after it has seen the previous state change: a chained
    Termination (CN:02-05) may get 404 "No handler registered" first. The CUT retries it, 404 included."""
    ppid, cpid = request_as_consumer(cut, tck_peer, "ACN0205")
    tck_peer.reject[rf"/negotiations/{cpid}/termination"] = 404
    expect_offer(tck_peer, ppid, cpid, "ACN0205")
    dispatcher = cut.plane.dispatcher
    deadline = time.monotonic() + 5
    while dispatcher.retries == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dispatcher.retries >= 1, "the termination was never refused with 404"
    assert cut.state("negotiations", ppid) == "OFFERED"  # not given up
    tck_peer.reject.clear()  # the handler is registered now
    expect_termination(tck_peer, cpid)
    cut.wait_state("negotiations", ppid, "TERMINATED")
    assert dispatcher.failures == 0
