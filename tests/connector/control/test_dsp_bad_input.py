"""Bad input on every DSP endpoint of a connector in TCK mode: the catalogue request, the initial contract request,
the follow-up negotiation messages (counter-request, events, verification, termination), the transfer request and
the transfer messages (start, completion, suspension, termination).

Each bad message — not JSON, not a JSON object, another content type, over the size limit, nested too deep,
unstorable strings, ``@context`` missing or not the DSP context, schema-invalid, the wrong form for the endpoint,
an unknown offer or agreement, a pid of another process or a pid that does not match — is answered with a 4xx
(404 only for a process id we do not have) and a schema-valid DSP error body of the endpoint's kind
(``CatalogError``, ``ContractNegotiationError``, ``TransferError``) with a ``code`` and ``reason`` strings, never a
500; and nothing is written: the store's rows (negotiations, transfers, messages seen, agreements, datasets,
offers) are counted, and the processes' state, intent and version read, before and after.

Then interoperability: a ContractRequestMessage and the messages that follow sent as expanded JSON-LD, or compacted
under a peer's own prefixes, are accepted and the negotiation proceeds as with the compact form."""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql

from connector.dsp.schemas import DEFAULT_SIZE_LIMIT, validate_message
from connector.identity.storage import make_engine
from connector.store.schema import Agreement, Dataset, MessageSeen, Negotiation, Offer, Transfer

from .conftest import POSTGRES
from .dsp_forms import expand, prefixed
from .tck_harness import CTX, CounterParty, Cut, message, request_message
from .tck_kit import accepted, counter_request, termination, verification

JSON = "application/json"
CNE, TE, CE = "ContractNegotiationError", "TransferError", "CatalogError"
FORMAT = "HttpData-PULL"
PADDING = "https://example.org/padding"  # an extension key: allowed by the schemas, so only the size is at fault


# -- the connector under test, with a process in each useful state -----------------------------------------------
@dataclass(frozen=True)
class Pids:
    provider: str
    consumer: str


@dataclass
class World:
    cut: Cut
    peer: CounterParty
    offered: Pids  # negotiation ACN0302, OFFERED (no further reaction)
    requested: Pids  # negotiation ACN0202, REQUESTED (no reaction)
    started: Pids  # transfer ATP0201, STARTED (no further reaction)
    transfer_requested: Pids  # transfer ATP0205, REQUESTED (no reaction)


def _negotiation(cut: Cut, peer: CounterParty, dataset: str) -> Pids:
    request = request_message(dataset, f"CD123:{dataset}:456", peer.url)
    answer = cut.post("/negotiations/request", request)
    assert answer.status_code == 201, answer.text
    return Pids(answer.json()["providerPid"], request["consumerPid"])


def _transfer(cut: Cut, peer: CounterParty, agreement: str) -> Pids:
    request = transfer_request(peer.url, agreement)
    answer = cut.post("/transfers/request", request)
    assert answer.status_code == 201, answer.text
    return Pids(answer.json()["providerPid"], request["consumerPid"])


def transfer_request(callback: str, agreement: str = "ATP0205") -> dict[str, Any]:
    return message("TransferRequestMessage", consumerPid=str(uuid.uuid4()), agreementId=agreement, format=FORMAT,
                   callbackAddress=callback)


def quiet(cut: Cut, timeout: float = 5.0) -> None:
    """Wait until the CUT has no pending intent (nothing it is about to send)."""
    deadline = time.monotonic() + timeout
    while cut.plane.store.next_due() is not None:
        assert time.monotonic() < deadline, "the connector never became idle"
        time.sleep(0.02)


@contextmanager
def make_world(tmp_path, database_url: str | None = None) -> Iterator[World]:
    peer = CounterParty()
    cut = Cut(tmp_path, database_url=database_url)
    try:
        offered = _negotiation(cut, peer, "ACN0302")
        peer.expect(rf"/negotiations/{offered.consumer}/offers", "ContractOfferMessage")
        requested = _negotiation(cut, peer, "ACN0202")
        started = _transfer(cut, peer, "ATP0201")
        peer.expect(rf"/transfers/{started.consumer}/start", "TransferStartMessage")
        transfer_requested = _transfer(cut, peer, "ATP0205")
        quiet(cut)
        cut.wait_state("negotiations", offered.provider, "OFFERED")
        cut.wait_state("negotiations", requested.provider, "REQUESTED")
        cut.wait_state("transfers", started.provider, "STARTED")
        cut.wait_state("transfers", transfer_requested.provider, "REQUESTED")
        yield World(cut, peer, offered, requested, started, transfer_requested)
    finally:
        cut.stop()
        peer.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with make_world(tmp_path_factory.mktemp("bad-input")) as made:
        yield made


@pytest.fixture(scope="module")
def pg_world(tmp_path_factory):
    """The same on PostgreSQL, whose columns have a length and whose text cannot hold NUL."""
    admin = make_engine(POSTGRES)
    schema = f"jnt_bad_input_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sql(f'CREATE SCHEMA "{schema}"'))
    try:
        with make_world(tmp_path_factory.mktemp("bad-input-pg"),
                        f"{POSTGRES}?options=-csearch_path%3D{schema}") as made:
            yield made
    finally:
        with admin.begin() as connection:
            connection.execute(sql(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def snapshot(cut: Cut) -> tuple[dict[str, int], dict[tuple[str, str], tuple]]:
    """Row counts of the store's tables, and each process's pids, state, intent and version."""
    with cut.plane.store.engine.connect() as connection:
        counts = {model.__tablename__: connection.scalar(select(func.count()).select_from(model))
                  for model in (Negotiation, Transfer, MessageSeen, Agreement, Dataset, Offer)}
        processes = {}
        for model in (Negotiation, Transfer):
            rows = connection.execute(select(model.id, model.provider_pid, model.consumer_pid, model.state,
                                             model.intent, model.version))
            for row in rows:
                processes[(model.__tablename__, row.id)] = tuple(row[1:])
    return counts, processes


# -- the endpoints and a valid message for each (bad cases are made from it) ---------------------------------------
@dataclass(frozen=True)
class Endpoint:
    path: Callable[[World], str]
    error: str
    valid: Callable[[World], dict[str, Any]]
    required: tuple[str, ...] = ()
    kind: str | None = None  # "negotiation" / "transfer": a process endpoint (the pid is in the path)
    process: Callable[[World], Pids] | None = None


def _termination_message(type_name: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: message(type_name, providerPid=w.started.provider, consumerPid=w.started.consumer)


ENDPOINTS: dict[str, Endpoint] = {
    "catalog": Endpoint(lambda w: "/catalog/request", CE, lambda w: message("CatalogRequestMessage")),
    "negotiation-request": Endpoint(
        lambda w: "/negotiations/request", CNE,
        lambda w: request_message("ACN0202", "CD123:ACN0202:456", w.peer.url),
        required=("consumerPid", "offer")),
    "counter-request": Endpoint(
        lambda w: f"/negotiations/{w.offered.provider}/request", CNE,
        lambda w: counter_request(w.offered.provider, w.offered.consumer, "CD123:ACN0302:456", "ACN0302"),
        required=("consumerPid", "offer"), kind="negotiation", process=lambda w: w.offered),
    "events": Endpoint(
        lambda w: f"/negotiations/{w.offered.provider}/events", CNE,
        lambda w: accepted(w.offered.provider, w.offered.consumer),
        required=("providerPid", "consumerPid", "eventType"), kind="negotiation", process=lambda w: w.offered),
    "verification": Endpoint(
        lambda w: f"/negotiations/{w.offered.provider}/agreement/verification", CNE,
        lambda w: verification(w.offered.provider, w.offered.consumer),
        required=("providerPid", "consumerPid"), kind="negotiation", process=lambda w: w.offered),
    "negotiation-termination": Endpoint(
        lambda w: f"/negotiations/{w.offered.provider}/termination", CNE,
        lambda w: termination(w.offered.provider, w.offered.consumer),
        required=("providerPid", "consumerPid"), kind="negotiation", process=lambda w: w.offered),
    "transfer-request": Endpoint(
        lambda w: "/transfers/request", TE, lambda w: transfer_request(w.peer.url),
        required=("consumerPid", "agreementId", "format", "callbackAddress")),
    "transfer-start": Endpoint(
        lambda w: f"/transfers/{w.started.provider}/start", TE, _termination_message("TransferStartMessage"),
        required=("providerPid", "consumerPid"), kind="transfer", process=lambda w: w.started),
    "transfer-completion": Endpoint(
        lambda w: f"/transfers/{w.started.provider}/completion", TE, _termination_message("TransferCompletionMessage"),
        required=("providerPid", "consumerPid"), kind="transfer", process=lambda w: w.started),
    "transfer-suspension": Endpoint(
        lambda w: f"/transfers/{w.started.provider}/suspension", TE,
        lambda w: message("TransferSuspensionMessage", providerPid=w.started.provider,
                          consumerPid=w.started.consumer, code="1"),
        required=("providerPid", "consumerPid"), kind="transfer", process=lambda w: w.started),
    "transfer-termination": Endpoint(
        lambda w: f"/transfers/{w.started.provider}/termination", TE,
        lambda w: message("TransferTerminationMessage", providerPid=w.started.provider,
                          consumerPid=w.started.consumer, code="1"),
        required=("providerPid", "consumerPid"), kind="transfer", process=lambda w: w.started),
}
PROCESS_ENDPOINTS = [name for name, endpoint in ENDPOINTS.items() if endpoint.kind]


# -- the bad cases --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sent:
    body: bytes | Iterator[bytes]
    content_type: str | None = JSON
    path: str | None = None  # instead of the endpoint's


Build = Callable[[World, Endpoint, dict[str, Any]], Sent]


@dataclass(frozen=True)
class Case:
    endpoint: str
    name: str
    build: Build
    status: int
    code: str

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.name}"


def raw(data: bytes, content_type: str | None = JSON) -> Build:
    return lambda w, e, valid: Sent(data, content_type)


def edited(change: Callable[[World, dict[str, Any]], Any], content_type: str | None = JSON) -> Build:
    """The valid message changed in place by ``change`` (its return value, if not None, replaces it)."""
    def build(w: World, e: Endpoint, valid: dict[str, Any]) -> Sent:
        doc = copy.deepcopy(valid)
        doc = change(w, doc) or doc
        return Sent(json.dumps(doc).encode(), content_type)
    return build


def text(change: Callable[[str], str]) -> Build:
    """The valid message's JSON text changed by ``change``."""
    return lambda w, e, valid: Sent(change(json.dumps(valid)).encode())


def setting(key: str, value: Any) -> Callable[[World, dict[str, Any]], None]:
    return lambda w, doc: doc.__setitem__(key, value)


def removing(*keys: str) -> Callable[[World, dict[str, Any]], None]:
    def change(w: World, doc: dict[str, Any]) -> None:
        for key in keys:
            doc.pop(key, None)
    return change


def oversized(w: World, e: Endpoint, valid: dict[str, Any]) -> Sent:
    return Sent(json.dumps({**valid, PADDING: "x" * DEFAULT_SIZE_LIMIT}).encode())


def oversized_chunked(w: World, e: Endpoint, valid: dict[str, Any]) -> Sent:
    data = json.dumps({**valid, PADDING: "x" * DEFAULT_SIZE_LIMIT}).encode()
    return Sent(iter([data[i:i + 65536] for i in range(0, len(data), 65536)]))  # no Content-Length: chunked


def nested(depth: int) -> Build:
    return text(lambda t: t[:-1] + f', "{PADDING}": ' + "[" * depth + "]" * depth + "}")


def old_namespace(w: World, e: Endpoint, valid: dict[str, Any]) -> Sent:
    """The message under the DSP 0.8 namespace (``ds:`` = ``https://w3id.org/dspace/v0.8/``): not 2025-1."""
    doc = prefixed(valid)
    doc["@context"][0]["ds"] = "https://w3id.org/dspace/v0.8/"
    return Sent(json.dumps(doc).encode())


OTHER_TYPE = {"catalog": "ContractRequestMessage", "negotiation-request": "CatalogRequestMessage",
              "counter-request": "ContractOfferMessage", "events": "ContractAgreementVerificationMessage",
              "verification": "ContractNegotiationEventMessage",
              "negotiation-termination": "TransferTerminationMessage", "transfer-request": "ContractRequestMessage",
              "transfer-start": "TransferCompletionMessage", "transfer-completion": "TransferStartMessage",
              "transfer-suspension": "TransferTerminationMessage",
              "transfer-termination": "ContractNegotiationTerminationMessage"}

GENERIC: list[tuple[str, Build, int, str]] = [
    ("garbage", raw(b"\x00\xff{not json at all"), 400, "invalid-json"),
    ("empty-body", raw(b""), 400, "invalid-json"),
    ("truncated", text(lambda t: t[:-1]), 400, "invalid-json"),
    ("html", raw(b"<html><body>hello</body></html>"), 400, "invalid-json"),
    ("json-array-of-numbers", raw(b"[1, 2, 3]"), 400, "invalid-message"),
    ("json-string", raw(b'"CatalogRequestMessage"'), 400, "invalid-message"),
    ("json-null", raw(b"null"), 400, "invalid-message"),
    ("json-number", raw(b"42"), 400, "invalid-message"),
    ("nan", text(lambda t: t[:-1] + f', "{PADDING}": NaN}}'), 400, "invalid-json"),
    ("infinite-number", text(lambda t: t[:-1] + f', "{PADDING}": 1e999}}'), 400, "invalid-json"),
    ("nested-100", nested(100), 400, "invalid-message"),
    ("nested-100000", nested(100_000), 400, "invalid-json"),
    ("lone-surrogate", edited(setting(PADDING, "\ud800")), 400, "invalid-message"),
    ("nul-character", edited(setting(PADDING, "a\x00b")), 400, "invalid-message"),
    ("content-type-text", edited(lambda w, d: None, "text/plain"), 415, "unsupported-media-type"),
    ("content-type-form", edited(lambda w, d: None, "application/x-www-form-urlencoded"), 415,
     "unsupported-media-type"),
    ("content-type-xml", edited(lambda w, d: None, "application/xml"), 415, "unsupported-media-type"),
    ("oversized", oversized, 413, "too-large"),
    ("oversized-chunked", oversized_chunked, 413, "too-large"),
    ("no-context", edited(removing("@context")), 400, "invalid-message"),
    ("context-number", edited(setting("@context", 42)), 400, "invalid-message"),
    ("context-dsp-url-not-in-array", edited(setting("@context", CTX[0])), 400, "invalid-message"),
    ("context-unknown-url", edited(setting("@context", "https://example.org/context.jsonld")), 400,
     "invalid-message"),
    ("context-array-without-dsp", edited(setting("@context", ["https://example.org/context.jsonld"])), 400,
     "invalid-jsonld"),
    ("context-array-plus-unknown", edited(setting("@context", [*CTX, "https://example.org/context.jsonld"])), 400,
     "invalid-jsonld"),
    ("context-object", edited(setting("@context", {"@vocab": "https://example.org/terms/"})), 400,
     "invalid-message"),
    ("context-vocab-elsewhere", edited(setting("@context", [{"@vocab": "https://example.org/terms/"}])), 400,
     "unknown-type"),
    ("context-dsp-0.8-namespace", old_namespace, 400, "unknown-type"),
    ("no-type", edited(removing("@type")), 400, "invalid-message"),
    ("unknown-type", edited(setting("@type", "FooMessage")), 400, "unknown-type"),
    ("type-not-a-string", edited(setting("@type", ["CatalogRequestMessage"])), 400, "unknown-type"),
]


def _other_type(w: World, doc: dict[str, Any], endpoint: str) -> None:
    doc["@type"] = OTHER_TYPE[endpoint]


def _error_type(w: World, doc: dict[str, Any], endpoint: str) -> None:
    doc["@type"] = ENDPOINTS[endpoint].error


def generic_cases() -> list[Case]:
    cases = []
    for endpoint, spec in ENDPOINTS.items():
        for name, build, status, code in GENERIC:
            cases.append(Case(endpoint, name, build, status, code))
        cases.append(Case(endpoint, "another-message-type",
                          edited(lambda w, d, e=endpoint: _other_type(w, d, e)), 400, "wrong-type"))
        cases.append(Case(endpoint, "error-type", edited(lambda w, d, e=endpoint: _error_type(w, d, e)), 400,
                          "wrong-type"))
        for key in spec.required:
            cases.append(Case(endpoint, f"missing-{key}", edited(removing(key)), 400, "invalid-message"))
            cases.append(Case(endpoint, f"{key}-a-number", edited(setting(key, 42)), 400, "invalid-message"))
        if endpoint != "catalog":  # the catalogue stores nothing from its request
            cases.append(Case(endpoint, "message-id-too-long", edited(setting("@id", "urn:x:" + "x" * 300)), 400,
                              "invalid-message"))
    return cases


# Pid cases for process endpoints: the path names one process, the body another one or a pid that does not match.
def _other_process(w: World, endpoint: str) -> Pids:
    spec = ENDPOINTS[endpoint]
    return w.requested if spec.kind == "negotiation" else w.transfer_requested


def pids_of_another_process(endpoint: str) -> Build:
    def change(w: World, doc: dict[str, Any]) -> None:
        other = _other_process(w, endpoint)
        doc["providerPid"], doc["consumerPid"] = other.provider, other.consumer
    return edited(change)


def in_path(pid_of: Callable[[World, Endpoint], str]) -> Callable[[str], Build]:
    """A valid message about the process, sent to the path of ``pid_of(world, endpoint)`` instead of the process's
    own pid (and naming it as providerPid, where the message has one)."""
    def for_endpoint(endpoint: str) -> Build:
        def build(w: World, e: Endpoint, valid: dict[str, Any]) -> Sent:
            own = e.process(w).provider
            pid = pid_of(w, e)
            doc = {**valid, "providerPid": pid} if "providerPid" in valid else valid
            return Sent(json.dumps(doc).encode(), JSON, e.path(w).replace(own, pid))
        return build
    return for_endpoint


PID_CASES: list[tuple[str, Callable[[str], Build], int, str]] = [
    ("pids-of-another-process", pids_of_another_process, 400, "pid-mismatch"),
    ("providerPid-mismatch", lambda e: edited(setting("providerPid", f"urn:uuid:{uuid.uuid4()}")), 400,
     "pid-mismatch"),
    ("consumerPid-mismatch", lambda e: edited(setting("consumerPid", f"urn:uuid:{uuid.uuid4()}")), 400,
     "pid-mismatch"),
    ("providerPid-of-another-process", lambda e: edited(
        lambda w, d: d.__setitem__("providerPid", _other_process(w, e).provider)), 400, "pid-mismatch"),
    ("consumerPid-of-another-process", lambda e: edited(
        lambda w, d: d.__setitem__("consumerPid", _other_process(w, e).consumer)), 400, "pid-mismatch"),
    ("unknown-pid-in-path", in_path(lambda w, e: f"urn:uuid:{uuid.uuid4()}"), 404, "not-found"),
    ("consumer-pid-in-path", in_path(lambda w, e: e.process(w).consumer), 404, "not-found"),
]


def pid_cases() -> list[Case]:
    cases = []
    for endpoint in PROCESS_ENDPOINTS:
        for name, build, status, code in PID_CASES:
            if name.startswith("providerPid") and "providerPid" not in ENDPOINTS[endpoint].required:
                continue  # a counter-request's providerPid is the one the path names; see SPECIFIC
            cases.append(Case(endpoint, name, build(endpoint), status, code))
        kind = ENDPOINTS[endpoint].kind
        other_kind = (lambda w, e: w.started.provider) if kind == "negotiation" else (
            lambda w, e: w.offered.provider)
        cases.append(Case(endpoint, "pid-of-the-other-protocol-in-path", in_path(other_kind)(endpoint), 404,
                          "not-found"))
    return cases


def _offer(**changes: Any) -> Callable[[World, dict[str, Any]], None]:
    def change(w: World, doc: dict[str, Any]) -> None:
        doc["offer"].update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            del doc["offer"][key]
    return change


def _with_offered_provider_pid(w: World, doc: dict[str, Any]) -> None:
    doc["providerPid"] = w.offered.provider


def _follow_up_form(w: World, doc: dict[str, Any]) -> None:
    del doc["callbackAddress"]
    doc["providerPid"] = w.offered.provider


def _counter_with_callback(w: World, doc: dict[str, Any]) -> None:
    del doc["providerPid"]
    doc["callbackAddress"] = w.peer.url


def _bad_data_address(w: World, doc: dict[str, Any]) -> None:
    doc["dataAddress"] = {"endpoint": "http://example.com"}  # no @type, no endpointType


SPECIFIC: list[Case] = [
    # the initial ContractRequestMessage
    Case("negotiation-request", "callbackAddress-and-providerPid", edited(_with_offered_provider_pid), 400,
         "invalid-message"),
    Case("negotiation-request", "neither-callbackAddress-nor-providerPid", edited(removing("callbackAddress")), 400,
         "invalid-message"),
    Case("negotiation-request", "follow-up-form", edited(_follow_up_form), 400, "invalid-message"),
    Case("negotiation-request", "unknown-offer", edited(_offer(**{"@id": "urn:uuid:no-such-offer"})), 400,
         "unknown-offer"),
    Case("negotiation-request", "offer-of-another-dataset", edited(_offer(target="ACN0101")), 400, "unknown-offer"),
    Case("negotiation-request", "offer-of-an-unknown-dataset", edited(_offer(target="CAT0103")), 400,
         "unknown-offer"),
    Case("negotiation-request", "offer-without-rules", edited(_offer(permission=None)), 400, "invalid-message"),
    Case("negotiation-request", "offer-without-id", edited(_offer(**{"@id": None})), 400, "invalid-message"),
    Case("negotiation-request", "offer-not-an-object", edited(setting("offer", "CD123:ACN0202:456")), 400,
         "invalid-message"),
    Case("negotiation-request", "consumerPid-too-long", edited(setting("consumerPid", "c" * 256)), 400,
         "invalid-message"),
    Case("negotiation-request", "callbackAddress-too-long",
         edited(setting("callbackAddress", "http://example.org/" + "c" * 2048)), 400, "invalid-message"),
    *[Case("negotiation-request", f"callbackAddress-{name}", edited(setting("callbackAddress", value)), 400,
           "invalid-callback-address")
      for name, value in [("not-a-url", "not a url"), ("relative", "/negotiations"), ("ftp", "ftp://example.org/"),
                          ("no-host", "http://"), ("bad-port", "http://example.org:99999/"),
                          ("with-spaces", "http://example.org/a b"), ("empty", "")]],
    # the counter-request (follow-up ContractRequestMessage)
    Case("counter-request", "missing-providerPid", edited(removing("providerPid")), 400, "invalid-message"),
    Case("counter-request", "callbackAddress-instead-of-providerPid", edited(_counter_with_callback), 400,
         "invalid-message"),
    Case("counter-request", "callbackAddress-and-providerPid", edited(lambda w, d: d.__setitem__(
        "callbackAddress", w.peer.url)), 400, "invalid-message"),
    Case("counter-request", "providerPid-mismatch", edited(setting("providerPid", f"urn:uuid:{uuid.uuid4()}")), 400,
         "pid-mismatch"),
    Case("counter-request", "providerPid-of-another-process", edited(lambda w, d: d.__setitem__(
        "providerPid", w.requested.provider)), 400, "pid-mismatch"),
    Case("counter-request", "offer-without-rules", edited(_offer(permission=None)), 400, "invalid-message"),
    # events
    Case("events", "unknown-event-type", edited(setting("eventType", "REJECTED")), 400, "invalid-message"),
    Case("events", "lower-case-event-type", edited(setting("eventType", "accepted")), 400, "invalid-message"),
    Case("events", "state-as-event-type", edited(setting("eventType", "VERIFIED")), 400, "invalid-message"),
    # termination, suspension: code a string, reason a non-empty array
    *[Case(endpoint, name, edited(setting(key, value)), 400, "invalid-message")
      for endpoint in ("negotiation-termination", "transfer-suspension", "transfer-termination")
      for name, key, value in [("code-a-number", "code", 1), ("reason-empty", "reason", [])]],
    # the transfer request
    Case("transfer-request", "unknown-agreement", edited(setting("agreementId", "urn:uuid:no-such-agreement")), 400,
         "unknown-agreement"),
    Case("transfer-request", "agreement-where-we-are-the-consumer", edited(setting("agreementId", "ATPC0101")), 400,
         "unknown-agreement"),
    Case("transfer-request", "unsupported-format", edited(setting("format", "Carrier-Pigeon-PUSH")), 400,
         "unsupported-format"),
    Case("transfer-request", "agreementId-too-long", edited(setting("agreementId", "a" * 256)), 400,
         "invalid-message"),
    Case("transfer-request", "format-too-long", edited(setting("format", "f" * 256)), 400, "invalid-message"),
    Case("transfer-request", "callbackAddress-not-a-url", edited(setting("callbackAddress", "not a url")), 400,
         "invalid-callback-address"),
    Case("transfer-request", "malformed-dataAddress", edited(_bad_data_address), 400, "invalid-message"),
    Case("transfer-start", "malformed-dataAddress", edited(_bad_data_address), 400, "invalid-message"),
]

CASES = generic_cases() + pid_cases() + SPECIFIC


def send(w: World, endpoint: Endpoint, sent: Sent):
    headers = {"content-type": sent.content_type} if sent.content_type else {}
    return w.cut.http.post(w.cut.base + (sent.path or endpoint.path(w)), content=sent.body, headers=headers)


def check_error(response, status: int, error_type: str, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    validate_message(body, error_type)
    assert body["@type"] == error_type and body["@context"] == CTX, body
    assert body["code"] == code, body
    assert body["reason"] and all(isinstance(r, str) and r for r in body["reason"]), body
    assert all(len(r) < 600 for r in body["reason"]), body
    return body


def test_the_cases_cover_every_endpoint():
    assert {case.endpoint for case in CASES} == set(ENDPOINTS)
    assert len({case.id for case in CASES}) == len(CASES)


# What reaches the store when it is not refused: identifiers, addresses, strings.
STORE_SENSITIVE = [case for case in CASES
                   if any(word in case.name for word in ("too-long", "surrogate", "nul-", "Pid", "pid", "unknown",
                                                         "callbackAddress", "agreement"))]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_input_is_refused_and_writes_nothing(world, case):
    refused_without_writing(world, case)


@pytest.mark.parametrize("case", STORE_SENSITIVE, ids=lambda case: case.id)
def test_bad_input_is_refused_and_writes_nothing_on_postgresql(pg_world, case):
    refused_without_writing(pg_world, case)


def refused_without_writing(world: World, case: Case) -> None:
    endpoint = ENDPOINTS[case.endpoint]
    valid = endpoint.valid(world)
    validate_message(valid)  # the case breaks exactly what it says
    sent = case.build(world, endpoint, valid)
    before = snapshot(world.cut)
    response = send(world, endpoint, sent)
    check_error(response, case.status, endpoint.error, case.code)
    assert snapshot(world.cut) == before
    assert world.peer.messages.empty(), "a refused message made the connector send something"
    assert not world.peer.errors, world.peer.errors


def test_json_variants_of_the_media_type_are_accepted(world):
    for content_type in ("application/json; charset=utf-8", "application/ld+json", "APPLICATION/JSON",
                         "application/vnd.example+json", None):
        sent = Sent(json.dumps(message("CatalogRequestMessage")).encode(), content_type)
        response = send(world, ENDPOINTS["catalog"], sent)
        assert response.status_code == 200, (content_type, response.text)


def test_a_body_of_exactly_the_size_limit_is_read(world):
    doc = message("CatalogRequestMessage")
    doc[PADDING] = ""
    doc[PADDING] = "x" * (DEFAULT_SIZE_LIMIT - len(json.dumps(doc).encode()))
    data = json.dumps(doc).encode()
    assert len(data) == DEFAULT_SIZE_LIMIT
    response = send(world, ENDPOINTS["catalog"], Sent(data))
    assert response.status_code == 200, response.text[:300]


def test_a_replayed_initial_request_answers_the_same_process_and_writes_nothing(world):
    request = request_message("ACN0202", "CD123:ACN0202:456", world.peer.url, consumer_pid=world.requested.consumer)
    before = snapshot(world.cut)
    response = world.cut.post("/negotiations/request", request)
    assert response.status_code == 201, response.text
    assert response.json()["providerPid"] == world.requested.provider
    transfer = transfer_request(world.peer.url)
    transfer["consumerPid"] = world.transfer_requested.consumer
    response = world.cut.post("/transfers/request", transfer)
    assert response.status_code == 201, response.text
    assert response.json()["providerPid"] == world.transfer_requested.provider
    assert snapshot(world.cut) == before


# -- interoperability: other JSON-LD forms of the same messages -----------------------------------------------------
FORMS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "compact": lambda doc: doc,
    "expanded": expand,
    "expanded-node": lambda doc: expand(doc)[0],
    "expanded-strict": lambda doc: expand(doc, odrl_vocab=False),
    "prefixed-ds": prefixed,
    "prefixed-dspace": lambda doc: prefixed(doc, "dspace"),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_a_negotiation_in_another_json_ld_form_proceeds_as_in_compact_form(cut, tck_peer, form):
    """CN:01-03 (request → Offer, ACCEPTED → Agreement, verification → FINALIZED) with every message of the kit's
    side sent in ``form``: the same answers, states and stored offer as with the compact form."""
    to_form = FORMS[form]
    request = request_message("ACN0103", "CD123:ACN0103:456", tck_peer.url)
    sent = to_form(request)
    if form != "compact":  # really another form: no compact key left
        assert "consumerPid" not in (sent[0] if isinstance(sent, list) else sent), sent
    answer = cut.http.post(cut.base + "/negotiations/request", json=sent)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    validate_message(body, "ContractNegotiation")
    assert body["consumerPid"] == request["consumerPid"] and body["state"] == "REQUESTED", body
    ppid, cpid = body["providerPid"], request["consumerPid"]

    offer = tck_peer.expect(rf"/negotiations/{cpid}/offers", "ContractOfferMessage")
    assert offer["providerPid"] == ppid and offer["offer"]["target"] == "ACN0103", offer
    answer = cut.http.post(f"{cut.base}/negotiations/{ppid}/events", json=to_form(accepted(ppid, cpid)))
    assert answer.status_code == 200 and answer.json()["state"] == "ACCEPTED", answer.text
    tck_peer.expect(rf"/negotiations/{cpid}/agreement", "ContractAgreementMessage")
    cut.wait_state("negotiations", ppid, "AGREED")
    answer = cut.http.post(f"{cut.base}/negotiations/{ppid}/agreement/verification",
                           json=to_form(verification(ppid, cpid)))
    assert answer.status_code == 200 and answer.json()["state"] == "VERIFIED", answer.text
    event = tck_peer.expect(rf"/negotiations/{cpid}/events", "ContractNegotiationEventMessage")
    assert event["eventType"] == "FINALIZED", event
    cut.wait_state("negotiations", ppid, "FINALIZED")

    stored = cut.plane.store.get_by_pid("negotiation", "provider", ppid, None)
    assert stored.consumer_pid == cpid and stored.dataset_id == "ACN0103"
    assert stored.counterparty_address == tck_peer.url.rstrip("/")
    assert stored.offer == request["offer"]


@pytest.mark.parametrize("form", ["expanded", "prefixed-ds"])
def test_bad_input_in_another_json_ld_form_is_refused_the_same(world, form):
    """The checks apply to the message's meaning, whatever its form: both callbackAddress and providerPid, an
    unknown offer, pids of another process."""
    to_form = FORMS[form]
    cases = [
        ("/negotiations/request",
         {**request_message("ACN0202", "CD123:ACN0202:456", world.peer.url), "providerPid": world.offered.provider},
         CNE, "invalid-message"),
        ("/negotiations/request", request_message("ACN0202", "urn:uuid:no-such-offer", world.peer.url), CNE,
         "unknown-offer"),
        (f"/negotiations/{world.offered.provider}/termination",
         termination(world.requested.provider, world.requested.consumer), CNE, "pid-mismatch"),
        (f"/transfers/{world.started.provider}/completion",
         message("TransferCompletionMessage", providerPid=world.started.provider, consumerPid="urn:uuid:other"),
         TE, "pid-mismatch"),
    ]
    for path, doc, error_type, code in cases:
        before = snapshot(world.cut)
        response = world.cut.http.post(world.cut.base + path, json=to_form(doc))
        check_error(response, 400, error_type, code)
        assert snapshot(world.cut) == before
