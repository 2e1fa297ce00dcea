"""The official kit's CN_C scenarios (``TCK.md`` §9.3): our connector is the consumer, started by the kit's
negotiation webhook; the kit is the provider. One test per scenario, in the kit's order; every message the CUT
sends is schema-checked by the counter-party, every answer by ``tck_kit``."""

from __future__ import annotations

from .tck_kit import (
    QUIET,
    acknowledged,
    agreement,
    expect_event,
    expect_termination,
    finalized,
    kit_state,
    offer,
    refused,
    state_now,
    termination,
    trigger_negotiation,
)


def expect_verification(kit, ppid: str, cpid: str) -> dict:
    sent = kit.expect(rf"/negotiations/{ppid}/agreement/verification", "ContractAgreementVerificationMessage")
    assert sent["providerPid"] == ppid and sent["consumerPid"] == cpid, sent
    return sent


def test_CN_C_01_01(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0101")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0101")))
    expect_event(tck_peer, ppid, "ACCEPTED")
    acknowledged(cut.post(f"/negotiations/{cpid}/agreement", agreement(ppid, cpid, "ACNC0101")))
    expect_verification(tck_peer, ppid, cpid)
    acknowledged(cut.post(f"/negotiations/{cpid}/events", finalized(ppid, cpid)))
    assert state_now(cut, cpid) == "FINALIZED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_01_02(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0102")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0102")))
    sent = tck_peer.expect(rf"/negotiations/{ppid}/request", "ContractRequestMessage")
    assert sent["providerPid"] == ppid and sent["consumerPid"] == cpid, sent
    assert "callbackAddress" not in sent, sent
    assert sent["offer"]["target"] == "ACNC0102", sent
    acknowledged(cut.post(f"/negotiations/{cpid}/termination", termination(ppid, cpid)))
    assert state_now(cut, cpid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_01_03(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0103")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0103")))
    sent = expect_termination(tck_peer, ppid)
    assert sent["providerPid"] == ppid and sent["consumerPid"] == cpid, sent
    assert kit_state(cut, cpid) == "TERMINATED"


def test_CN_C_01_04(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0104")
    acknowledged(cut.post(f"/negotiations/{cpid}/agreement", agreement(ppid, cpid, "ACNC0104")))  # in REQUESTED
    expect_verification(tck_peer, ppid, cpid)
    acknowledged(cut.post(f"/negotiations/{cpid}/events", finalized(ppid, cpid)))
    assert state_now(cut, cpid) == "FINALIZED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_02_01(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0201")
    acknowledged(cut.post(f"/negotiations/{cpid}/termination", termination(ppid, cpid)))
    assert state_now(cut, cpid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_02_02(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0202")
    sent = expect_termination(tck_peer, ppid)  # unsolicited, after the request's acknowledgement
    assert sent["providerPid"] == ppid and sent["consumerPid"] == cpid, sent
    assert kit_state(cut, cpid) == "TERMINATED"


def test_CN_C_02_03(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0203")
    acknowledged(cut.post(f"/negotiations/{cpid}/agreement", agreement(ppid, cpid, "ACNC0203")))
    expect_termination(tck_peer, ppid)
    assert kit_state(cut, cpid) == "TERMINATED"


def test_CN_C_02_04(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0204")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0204")))
    assert state_now(cut, cpid) == "OFFERED"
    acknowledged(cut.post(f"/negotiations/{cpid}/termination", termination(ppid, cpid)))
    assert state_now(cut, cpid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_02_05(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0205")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0205")))
    expect_event(tck_peer, ppid, "ACCEPTED")
    acknowledged(cut.post(f"/negotiations/{cpid}/termination", termination(ppid, cpid)))
    assert state_now(cut, cpid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_02_06(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0206")
    acknowledged(cut.post(f"/negotiations/{cpid}/agreement", agreement(ppid, cpid, "ACNC0206")))
    expect_verification(tck_peer, ppid, cpid)
    acknowledged(cut.post(f"/negotiations/{cpid}/termination", termination(ppid, cpid)))
    assert state_now(cut, cpid) == "TERMINATED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_03_01(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0301")
    error = refused(cut.post(f"/negotiations/{cpid}/events", finalized(ppid, cpid)), ppid, cpid)  # in REQUESTED
    assert any("in state REQUESTED" in reason for reason in error["reason"]), error
    assert kit_state(cut, cpid) == "REQUESTED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_03_01_before_the_request_is_acknowledged(cut, tck_peer):
    """The kit answers as soon as it has read our request, possibly before we have processed its acknowledgement
    (we do not know its providerPid yet). The refusal still names both pids and the state REQUESTED."""
    tck_peer.reject["/negotiations/request"] = 503  # the acknowledgement never arrives
    answer = cut.http.post(cut.connector.base_url + "/tck/negotiations/requests", json={
        "providerId": "TCK_PARTICIPANT", "offerId": "offerACNC0301", "datasetId": "ACNC0301",
        "connectorAddress": tck_peer.url})
    cpid, ppid = answer.json()["consumerPid"], tck_peer.pid
    error = refused(cut.post(f"/negotiations/{cpid}/events", finalized(ppid, cpid)), ppid, cpid)
    assert any("in state REQUESTED" in reason for reason in error["reason"]), error


def test_CN_C_03_02(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0302")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0302")))
    assert state_now(cut, cpid) == "OFFERED"
    # in OFFERED
    refused(cut.post(f"/negotiations/{cpid}/agreement", agreement(ppid, cpid, "ACNC0302")), ppid, cpid)
    assert state_now(cut, cpid) == "OFFERED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_03_03(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0303")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0303")))
    refused(cut.post(f"/negotiations/{cpid}/events", finalized(ppid, cpid)), ppid, cpid)  # in OFFERED
    assert state_now(cut, cpid) == "OFFERED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_03_04(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0304")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0304")))
    expect_event(tck_peer, ppid, "ACCEPTED")
    refused(cut.post(f"/negotiations/{cpid}/events", finalized(ppid, cpid)), ppid, cpid)  # in ACCEPTED
    assert kit_state(cut, cpid) == "ACCEPTED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_03_05(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0305")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0305")))
    expect_event(tck_peer, ppid, "ACCEPTED")
    # in ACCEPTED
    refused(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0305")), ppid, cpid)
    assert kit_state(cut, cpid) == "ACCEPTED"
    tck_peer.expect_nothing(QUIET)


def test_CN_C_03_06(cut, tck_peer):
    ppid, cpid = trigger_negotiation(cut, tck_peer, "ACNC0306")
    acknowledged(cut.post(f"/negotiations/{cpid}/offers", offer(ppid, cpid, "ACNC0306")))
    expect_event(tck_peer, ppid, "ACCEPTED")
    acknowledged(cut.post(f"/negotiations/{cpid}/agreement", agreement(ppid, cpid, "ACNC0306")))
    # in AGREED, not verified
    refused(cut.post(f"/negotiations/{cpid}/events", finalized(ppid, cpid)), ppid, cpid)
    assert state_now(cut, cpid) == "AGREED"
    tck_peer.expect_nothing(QUIET)
