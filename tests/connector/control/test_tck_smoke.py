from __future__ import annotations

from .tck_harness import message, request_message


def test_cn_01_03(cut, tck_peer):
    request = request_message("ACN0103", "CD123:ACN0103:456", tck_peer.url)
    answer = cut.post("/negotiations/request", request)
    assert answer.status_code == 201, answer.text
    ppid, cpid = answer.json()["providerPid"], request["consumerPid"]
    offer = tck_peer.expect(rf"/negotiations/{cpid}/offers", "ContractOfferMessage")
    assert "callbackAddress" not in offer and offer["consumerPid"] == cpid
    ack = cut.post(f"/negotiations/{ppid}/events", message("ContractNegotiationEventMessage", providerPid=ppid,
                                                            consumerPid=cpid, eventType="ACCEPTED"))
    assert ack.status_code == 200, ack.text
    agreement = tck_peer.expect(rf"/negotiations/{cpid}/agreement", "ContractAgreementMessage")
    assert agreement["agreement"]["target"] == "ACN0103"
    ack = cut.post(f"/negotiations/{ppid}/agreement/verification",
                   message("ContractAgreementVerificationMessage", providerPid=ppid, consumerPid=cpid))
    assert ack.status_code == 200, ack.text
    event = tck_peer.expect(rf"/negotiations/{cpid}/events", "ContractNegotiationEventMessage")
    assert event["eventType"] == "FINALIZED"
    cut.wait_state("negotiations", ppid, "FINALIZED")


def test_cn_c_01_01(cut, tck_peer):
    answer = cut.http.post(cut.connector.base_url + "/tck/negotiations/requests", json={
        "providerId": "TCK_PARTICIPANT", "offerId": "offerACNC0101", "datasetId": "ACNC0101",
        "connectorAddress": tck_peer.url})
    assert answer.status_code == 200, answer.text
    request = tck_peer.expect("/negotiations/request", "ContractRequestMessage")
    cpid, ppid = request["consumerPid"], tck_peer.pid
    assert request["offer"]["@id"].startswith("offer")
    ack = cut.post(f"/negotiations/{cpid}/offers", message("ContractOfferMessage", providerPid=ppid, consumerPid=cpid,
                   offer={"@id": "offerACNC0101", "@type": "Offer", "target": "ACNC0101",
                          "permission": [{"action": "use"}]}))
    assert ack.status_code == 200, ack.text
    tck_peer.expect(rf"/negotiations/{ppid}/events", "ContractNegotiationEventMessage")
    ack = cut.post(f"/negotiations/{cpid}/agreement", message(
        "ContractAgreementMessage", providerPid=ppid, consumerPid=cpid,
        agreement={"@id": "urn:uuid:a1", "@type": "Agreement", "target": "ACNC0101", "assigner": "TCK_PARTICIPANT",
                   "assignee": "CONNECTOR_UNDER_TEST", "timestamp": "2026-11-28T10:00:00Z",
                   "permission": [{"action": "use"}]}))
    assert ack.status_code == 200, ack.text
    tck_peer.expect(rf"/negotiations/{ppid}/agreement/verification", "ContractAgreementVerificationMessage")
    ack = cut.post(f"/negotiations/{cpid}/events", message("ContractNegotiationEventMessage", providerPid=ppid,
                                                            consumerPid=cpid, eventType="FINALIZED"))
    assert ack.status_code == 200, ack.text
    cut.wait_state("negotiations", cpid, "FINALIZED")


def test_tp_01_04(cut, tck_peer):
    cpid = "a2d1c0de-0000-4000-8000-000000000001"
    answer = cut.post("/transfers/request", message("TransferRequestMessage", consumerPid=cpid, agreementId="ATP0104",
                                                    format="HttpData-PULL", callbackAddress=tck_peer.url))
    assert answer.status_code == 201, answer.text
    ppid = answer.json()["providerPid"]
    start = tck_peer.expect(rf"/transfers/{cpid}/start", "TransferStartMessage")
    assert start["dataAddress"]["endpoint"]
    tck_peer.expect(rf"/transfers/{cpid}/suspension", "TransferSuspensionMessage")
    tck_peer.expect(rf"/transfers/{cpid}/start", "TransferStartMessage")
    tck_peer.expect(rf"/transfers/{cpid}/completion", "TransferCompletionMessage")
    cut.wait_state("transfers", ppid, "COMPLETED")
