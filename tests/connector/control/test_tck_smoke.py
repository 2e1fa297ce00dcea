from __future__ import annotations

from .tck_harness import message


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
