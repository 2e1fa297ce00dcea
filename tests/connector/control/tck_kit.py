"""The kit's side of the CN and CN_C scenarios: its messages built as the TCK's ``NegotiationFunctions`` builds them
(random top-level ``@id``, bare ids, offers with ``permission:[{"action":"use"}]``, counter-offers and offers with
``assigner`` / ``assignee``, termination ``code:"1"`` without reason) and the checks it makes on the answers of the
connector under test (CUT): 2xx with a schema-valid ``ContractNegotiation`` for a success, 4xx other than 404 with a
schema-valid ``ContractNegotiationError`` for a refusal, and its state checks — one GET after a 100 ms pause."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from connector.dsp.schemas import validate_message

from .tck_harness import CounterParty, Cut, message, request_message

AGENT_ID = "CONNECTOR_UNDER_TEST"  # dataspacetck.dsp.connector.agent.id
TCK_ID = "TCK_PARTICIPANT"
STATE_CHECK_PAUSE = 0.1  # thenVerifyProviderState / thenVerifyConsumerState: one GET after 100 ms
QUIET = 0.25  # no further message within this time (the harness chains messages 50 ms apart)


def offer_policy(offer_id: str, target: str, assigner: str, assignee: str) -> dict[str, Any]:
    return {"@type": "Offer", "@id": offer_id, "permission": [{"action": "use"}], "target": target,
            "assignee": assignee, "assigner": assigner}


# -- the kit as consumer (CN) ------------------------------------------------------------------------------------
def contract_request(dataset: str, offer_id: str, callback: str) -> dict[str, Any]:
    return request_message(dataset, offer_id, callback)


def counter_request(ppid: str, cpid: str, offer_id: str, dataset: str) -> dict[str, Any]:
    return message("ContractRequestMessage", providerPid=ppid, consumerPid=cpid,
                   offer=offer_policy(offer_id, dataset, assigner=AGENT_ID, assignee=TCK_ID))


def accepted(ppid: str, cpid: str) -> dict[str, Any]:
    return message("ContractNegotiationEventMessage", providerPid=ppid, consumerPid=cpid, eventType="ACCEPTED")


def verification(ppid: str, cpid: str) -> dict[str, Any]:
    return message("ContractAgreementVerificationMessage", providerPid=ppid, consumerPid=cpid)


# -- the kit as provider (CN_C) ----------------------------------------------------------------------------------
def offer(ppid: str, cpid: str, dataset: str) -> dict[str, Any]:
    return message("ContractOfferMessage", providerPid=ppid, consumerPid=cpid,
                   offer=offer_policy(f"offer{dataset}", dataset, assigner=TCK_ID, assignee=AGENT_ID))


def agreement(ppid: str, cpid: str, dataset: str) -> dict[str, Any]:
    # Java's ISO_INSTANT prints up to nanoseconds, more than Python's datetime holds.
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
    policy = {"@type": "Agreement", "@id": str(uuid.uuid4()), "target": dataset, "permission": [{"action": "use"}],
              "timestamp": timestamp, "assignee": AGENT_ID, "assigner": TCK_ID}
    return message("ContractAgreementMessage", providerPid=ppid, consumerPid=cpid, agreement=policy)


def finalized(ppid: str, cpid: str) -> dict[str, Any]:
    return message("ContractNegotiationEventMessage", providerPid=ppid, consumerPid=cpid, eventType="FINALIZED")


def termination(ppid: str, cpid: str) -> dict[str, Any]:
    return message("ContractNegotiationTerminationMessage", providerPid=ppid, consumerPid=cpid, code="1")


# -- the kit's checks --------------------------------------------------------------------------------------------
def acknowledged(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """A success: the expected status and a schema-valid ContractNegotiation body."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    validate_message(body)
    assert body["@type"] == "ContractNegotiation", body
    return body


def refused(response: httpx.Response, ppid: str, cpid: str) -> dict[str, Any]:
    """A negative test's pass condition: 4xx but not 404 (the kit fails on 2xx, 404 and 5xx), with a schema-valid
    ContractNegotiationError body naming the negotiation."""
    assert 400 <= response.status_code < 500 and response.status_code != 404, (response.status_code, response.text)
    body = response.json()
    validate_message(body)
    assert body["@type"] == "ContractNegotiationError", body
    assert body["providerPid"] == ppid and body["consumerPid"] == cpid, body
    return body


def kit_state(cut: Cut, pid: str) -> str:
    """The kit's CN state check: a single GET after 100 ms, no polling. Used where the state is the one reached by
    a message of the CUT (committed when the kit's acknowledgement is processed)."""
    time.sleep(STATE_CHECK_PAUSE)
    return cut.state("negotiations", pid)


def state_now(cut: Cut, pid: str) -> str:
    """A single GET right after the CUT's acknowledgement of a kit message: stricter than the kit, it proves that the
    transition was committed before the ACK."""
    return cut.state("negotiations", pid)


# -- steps shared by the scenarios -------------------------------------------------------------------------------
def request_as_consumer(cut: Cut, kit: CounterParty, dataset: str) -> tuple[str, str]:
    """TCK→ContractRequestMessage (offer ``CD123:<dataset>:456``); the CUT answers 201 ContractNegotiation(REQUESTED).
    Returns (providerPid, consumerPid)."""
    request = contract_request(dataset, f"CD123:{dataset}:456", kit.url)
    body = acknowledged(cut.post("/negotiations/request", request), status=201)
    assert body["consumerPid"] == request["consumerPid"] and body["state"] == "REQUESTED", body
    return body["providerPid"], request["consumerPid"]


def expect_offer(kit: CounterParty, ppid: str, cpid: str, dataset: str) -> dict[str, Any]:
    """CUT→ContractOfferMessage, with the kit's constraints: consumerPid present, callbackAddress absent (oneOf)."""
    sent = kit.expect(rf"/negotiations/{cpid}/offers", "ContractOfferMessage")
    assert sent["consumerPid"] == cpid and sent["providerPid"] == ppid, sent
    assert "callbackAddress" not in sent, sent
    assert sent["offer"]["target"] == dataset and sent["offer"].get("permission"), sent
    return sent


def expect_agreement(kit: CounterParty, ppid: str, cpid: str, dataset: str) -> dict[str, Any]:
    sent = kit.expect(rf"/negotiations/{cpid}/agreement", "ContractAgreementMessage")
    assert sent["consumerPid"] == cpid and sent["providerPid"] == ppid, sent
    assert sent["agreement"]["target"] == dataset, sent
    return sent


def expect_event(kit: CounterParty, pid: str, event_type: str) -> dict[str, Any]:
    sent = kit.expect(rf"/negotiations/{pid}/events", "ContractNegotiationEventMessage")
    assert sent["eventType"] == event_type, sent
    return sent


def expect_termination(kit: CounterParty, pid: str) -> dict[str, Any]:
    return kit.expect(rf"/negotiations/{pid}/termination", "ContractNegotiationTerminationMessage")


def trigger_negotiation(cut: Cut, kit: CounterParty, dataset: str) -> tuple[str, str]:
    """The kit's negotiation webhook, then CUT→ContractRequestMessage to ``/negotiations/request`` (answered 200
    ContractNegotiation(REQUESTED) by the kit). Checks the kit's constraints on the request: offer ``@id`` starting
    with ``offer`` (the kit strips it to find the dataset), ``target`` = the dataset, a permission, a callback
    address and no providerPid. Returns (providerPid, consumerPid)."""
    answer = cut.http.post(cut.connector.base_url + "/tck/negotiations/requests", json={
        "providerId": TCK_ID, "offerId": f"offer{dataset}", "datasetId": dataset, "connectorAddress": kit.url})
    assert 200 <= answer.status_code < 300, answer.text
    sent = kit.expect("/negotiations/request", "ContractRequestMessage")
    assert sent["offer"]["@id"] == f"offer{dataset}" and sent["offer"]["@id"].startswith("offer"), sent
    assert sent["offer"]["target"] == dataset and sent["offer"].get("permission"), sent
    assert sent.get("callbackAddress") and "providerPid" not in sent, sent
    return kit.pid, sent["consumerPid"]
