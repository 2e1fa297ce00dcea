"""The kit's side of the TP and TP_C scenarios: its messages built as the TCK's ``TransferFunctions`` builds them
(random top-level ``@id``, bare UUID pids, a TransferRequestMessage without ``dataAddress``, termination and
suspension ``code:"1"`` without reason, the start message's ``DataAddress`` pointing at ``http://example.com``) and
the checks it makes on the answers of the connector under test (CUT): 2xx with a schema-valid ``TransferProcess`` for
a success, 4xx other than 404 with a schema-valid ``TransferError`` for a refusal, and its state checks — a GET on
``<base>/transfers/:providerPid`` (TP) or on ``<callbackAddress>/transfers/:consumerPid`` (TP_C, the non-spec
endpoint), polled until the wait time runs out."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from connector.dsp.schemas import validate_message

from .tck_harness import CounterParty, Cut, message
from .tck_kit import TCK_ID

FORMAT = "HttpData-PULL"  # <TEST>_FORMAT in the kit's sample configuration
WAIT = 5.0  # dataspacetck.dsp.default.wait (15 s in the kit; our connector is local and chains 50 ms apart)

#: The path segment of each message, after ``/transfers/:pid/`` (PROTOCOL.md §3.4, §3.5).
PATHS = {
    "TransferStartMessage": "start",
    "TransferSuspensionMessage": "suspension",
    "TransferCompletionMessage": "completion",
    "TransferTerminationMessage": "termination",
}


@dataclass(frozen=True)
class Tp:
    """One transfer process as the kit sees it: both pids, the address at which it reaches the CUT (the CUT's DSP
    base in TP, the ``callbackAddress`` the CUT sent in TP_C) and the CUT's role."""

    ppid: str
    cpid: str
    address: str
    cut_role: str  # provider (TP) | consumer (TP_C)

    @property
    def cut_pid(self) -> str:
        """The pid in the paths of the CUT's endpoints."""
        return self.ppid if self.cut_role == "provider" else self.cpid

    @property
    def kit_pid(self) -> str:
        """The pid in the paths of the kit's callback endpoints (where the CUT sends its messages)."""
        return self.cpid if self.cut_role == "provider" else self.ppid


# -- the kit's messages ------------------------------------------------------------------------------------------
def transfer_request(consumer_pid: str, agreement_id: str, fmt: str, callback: str) -> dict[str, Any]:
    return message("TransferRequestMessage", consumerPid=consumer_pid, agreementId=agreement_id, format=fmt,
                   callbackAddress=callback)


def data_address() -> dict[str, Any]:
    return {"@type": "DataAddress", "endpoint": "http://example.com", "endpointType": "https://w3id.org/idsa/v4.1/HTTP"}


def start(tp: Tp, address: dict[str, Any] | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"providerPid": tp.ppid, "consumerPid": tp.cpid}
    if address is not None:
        fields["dataAddress"] = address
    return message("TransferStartMessage", **fields)


def suspension(tp: Tp) -> dict[str, Any]:
    return message("TransferSuspensionMessage", providerPid=tp.ppid, consumerPid=tp.cpid, code="1")


def completion(tp: Tp) -> dict[str, Any]:
    return message("TransferCompletionMessage", providerPid=tp.ppid, consumerPid=tp.cpid)


def termination(tp: Tp) -> dict[str, Any]:
    return message("TransferTerminationMessage", providerPid=tp.ppid, consumerPid=tp.cpid, code="1")


def kit_sends(cut: Cut, tp: Tp, doc: dict[str, Any]) -> httpx.Response:
    """TCK→CUT: the message to ``<address>/transfers/:pid/<start|suspension|completion|termination>``."""
    return cut.http.post(f"{tp.address}/transfers/{tp.cut_pid}/{PATHS[doc['@type']]}", json=doc)


# -- the kit's checks --------------------------------------------------------------------------------------------
def acknowledged(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """A success: the expected status and a schema-valid TransferProcess body."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    validate_message(body)
    assert body["@type"] == "TransferProcess", body
    return body


def refused(response: httpx.Response, tp: Tp) -> dict[str, Any]:
    """A negative test's pass condition: 4xx but not 404 (the kit fails on 2xx, 404 and 5xx), with a schema-valid
    TransferError body naming the transfer process."""
    assert 400 <= response.status_code < 500 and response.status_code != 404, (response.status_code, response.text)
    body = response.json()
    validate_message(body)
    assert body["@type"] == "TransferError", body
    assert body["providerPid"] == tp.ppid and body["consumerPid"] == tp.cpid, body
    return body


def _read(cut: Cut, tp: Tp) -> dict[str, Any]:
    response = cut.http.get(f"{tp.address}/transfers/{tp.cut_pid}")
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    validate_message(body)
    assert body["@type"] == "TransferProcess", body
    return body


def state_now(cut: Cut, tp: Tp) -> str:
    """One GET: the state, with both pids checked. Right after the CUT's acknowledgement of a kit message this is
    stricter than the kit (which polls): it proves that the transition was committed before the ACK."""
    body = _read(cut, tp)
    assert body["providerPid"] == tp.ppid and body["consumerPid"] == tp.cpid, body
    return body["state"]


def wait_state(cut: Cut, tp: Tp, state: str, timeout: float = WAIT) -> None:
    """The kit's TP state check (thenVerifyProviderState / thenVerifyConsumerState): polled until the wait time runs
    out. Used for states reached by a message of the CUT, committed when the kit's acknowledgement is processed.
    Both pids must be the kit's too (the CUT has correlated the process)."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = _read(cut, tp)
        if body["state"] == state and body["providerPid"] == tp.ppid and body["consumerPid"] == tp.cpid:
            return
        time.sleep(0.02)
    raise AssertionError(f"transfer {tp.cut_pid}: {body}, expected state {state} with pids {tp.ppid}, {tp.cpid}")


# -- steps shared by the scenarios -------------------------------------------------------------------------------
def request_as_consumer(cut: Cut, kit: CounterParty, agreement_id: str, fmt: str = FORMAT) -> Tp:
    """TP: TCK→TransferRequestMessage (bare UUID consumerPid, the seeded agreement, the kit's callback address); the
    CUT answers 201 TransferProcess(REQUESTED) naming the kit's consumerPid and its own new providerPid."""
    request = transfer_request(str(uuid.uuid4()), agreement_id, fmt, kit.url)
    body = acknowledged(cut.post("/transfers/request", request), status=201)
    assert body["consumerPid"] == request["consumerPid"] and body["state"] == "REQUESTED", body
    assert body["providerPid"] and body["providerPid"] != request["consumerPid"], body
    return Tp(ppid=body["providerPid"], cpid=request["consumerPid"], address=cut.base, cut_role="provider")


def trigger_transfer(cut: Cut, kit: CounterParty, agreement_id: str, fmt: str = FORMAT) -> Tp:
    """TP_C: the kit's transfer webhook (plain JSON), then CUT→TransferRequestMessage to ``/transfers/request``
    (answered 200 TransferProcess(REQUESTED) by the kit). Checks the request: the webhook's agreement and format, a
    consumerPid, a callback address, no providerPid and, for a pull format, no dataAddress."""
    answer = cut.http.post(cut.connector.base_url + "/tck/transfers/requests", json={
        "providerId": TCK_ID, "agreementId": agreement_id, "format": fmt, "connectorAddress": kit.url})
    assert 200 <= answer.status_code < 300, answer.text
    sent = kit.expect("/transfers/request", "TransferRequestMessage")
    assert sent["agreementId"] == agreement_id and sent["format"] == fmt, sent
    assert sent["consumerPid"] and sent.get("callbackAddress") and "providerPid" not in sent, sent
    assert "dataAddress" not in sent, sent  # pull: the provider supplies it in its start message
    return Tp(ppid=kit.pid, cpid=sent["consumerPid"], address=sent["callbackAddress"].rstrip("/"),
              cut_role="consumer")


def expect_message(kit: CounterParty, tp: Tp, type_name: str) -> dict[str, Any]:
    """CUT→``type_name`` to ``<kit>/transfers/:pid/<path>``, naming both pids."""
    sent = kit.expect(rf"/transfers/{re.escape(tp.kit_pid)}/{PATHS[type_name]}", type_name)
    assert sent["providerPid"] == tp.ppid and sent["consumerPid"] == tp.cpid, sent
    return sent


def expect_start(kit: CounterParty, tp: Tp) -> dict[str, Any]:
    """CUT→TransferStartMessage. From a provider of a pull transfer it carries the DataAddress (spec: MUST)."""
    sent = expect_message(kit, tp, "TransferStartMessage")
    if tp.cut_role == "provider":
        address = sent.get("dataAddress")
        assert address and address["@type"] == "DataAddress" and address["endpointType"], sent
        assert address["endpoint"].startswith("http"), sent
    return sent


def expect_suspension(kit: CounterParty, tp: Tp) -> dict[str, Any]:
    return expect_message(kit, tp, "TransferSuspensionMessage")


def expect_completion(kit: CounterParty, tp: Tp) -> dict[str, Any]:
    return expect_message(kit, tp, "TransferCompletionMessage")


def expect_termination(kit: CounterParty, tp: Tp) -> dict[str, Any]:
    return expect_message(kit, tp, "TransferTerminationMessage")
