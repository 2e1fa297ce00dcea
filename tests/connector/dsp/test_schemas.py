"""DSP message validation against the shipped 2025-1 schemas, checked with the spec's own examples."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

import connector.dsp.schemas as dsp_schemas
from connector.dsp.schemas import (
    CONTEXT_URL,
    SCHEMA_FILES,
    MessageError,
    check_size,
    parse_message,
    schema_for,
    validate_message,
)

SPEC = Path(__file__).resolve().parents[3].parent / "shared" / "spec" / "dsp-2025-1"
SHIPPED = Path(dsp_schemas.__file__).resolve().parent / "schemas"
FOLDERS = ("catalog", "common", "negotiation", "transfer")
FIXED = {
    "transfer/transfer-error-schema.json",
    "transfer/transfer-suspension-message-schema.json",
    "transfer/transfer-termination-message-schema.json",
}

# example file -> @type it must validate as (the two DID-document service entries are not DSP messages)
EXAMPLES = {
    "catalog/example/catalog-error.json": "CatalogError",
    "catalog/example/catalog-request-message.json": "CatalogRequestMessage",
    "catalog/example/catalog.json": "Catalog",
    "catalog/example/dataset-request-message.json": "DatasetRequestMessage",
    "catalog/example/dataset.json": "Dataset",
    "catalog/example/nested-catalog.json": "Catalog",
    "common/example/protocol-version.json": "VersionResponse",
    "negotiation/example/contract-agreement-message-full.json": "ContractAgreementMessage",
    "negotiation/example/contract-agreement-message.json": "ContractAgreementMessage",
    "negotiation/example/contract-agreement-verification-message.json": (
        "ContractAgreementVerificationMessage"
    ),
    "negotiation/example/contract-negotiation-error.json": "ContractNegotiationError",
    "negotiation/example/contract-negotiation-event-message.json": "ContractNegotiationEventMessage",
    "negotiation/example/contract-negotiation-termination-message.json": (
        "ContractNegotiationTerminationMessage"
    ),
    "negotiation/example/contract-negotiation.json": "ContractNegotiation",
    "negotiation/example/contract-offer-message.json": "ContractOfferMessage",
    "negotiation/example/contract-offer-message_initial.json": "ContractOfferMessage",
    "negotiation/example/contract-request-message.json": "ContractRequestMessage",
    "negotiation/example/contract-request-message_initial.json": "ContractRequestMessage",
    "transfer/example/transfer-completion-message.json": "TransferCompletionMessage",
    "transfer/example/transfer-error.json": "TransferError",
    "transfer/example/transfer-process.json": "TransferProcess",
    "transfer/example/transfer-request-message.json": "TransferRequestMessage",
    "transfer/example/transfer-start-message.json": "TransferStartMessage",
    "transfer/example/transfer-suspension-message.json": "TransferSuspensionMessage",
    "transfer/example/transfer-termination-message.json": "TransferTerminationMessage",
}
READABLE = re.compile(r"^[^\s:][^:]*: \S.*$")


def example(name: str) -> dict:
    return json.loads((SPEC / name).read_text(encoding="utf-8"))


def reasons_of(doc, expected_type=None) -> list[str]:
    with pytest.raises(MessageError) as info:
        validate_message(doc, expected_type)
    reasons = info.value.reasons
    assert reasons and all(READABLE.match(r) for r in reasons), reasons
    assert all("Traceback" not in r and len(r) < 400 for r in reasons)
    return reasons


@pytest.fixture(autouse=True)
def _spec_present(shared_dir):
    assert SPEC.is_dir()


def test_every_example_has_a_pair():
    found = {str(p.relative_to(SPEC)) for p in SPEC.glob("*/example/*.json")}
    assert set(EXAMPLES) == found - {"common/example/catalogservice-did-service.json",
                                     "common/example/dataservice-did-service.json"}
    assert len(EXAMPLES) == 25


@pytest.mark.parametrize(("name", "type_name"), sorted(EXAMPLES.items()))
def test_spec_examples_validate(name, type_name):
    doc = example(name)
    validate_message(doc, type_name)
    if "@type" in doc:
        validate_message(doc)


def test_shipped_schemas_are_the_spec_copies_with_only_the_ref_fixed():
    upstream = {str(p.relative_to(SPEC)) for f in FOLDERS for p in (SPEC / f).glob("*.json")}
    shipped = {str(p.relative_to(SHIPPED)) for f in FOLDERS for p in (SHIPPED / f).glob("*.json")}
    assert shipped == upstream
    for name in sorted(upstream):
        original = (SPEC / name).read_text(encoding="utf-8")
        copy_ = (SHIPPED / name).read_text(encoding="utf-8")
        if name in FIXED:
            assert "#definitions/" in original
            assert copy_ == original.replace("#definitions/", "#/definitions/")
        else:
            assert copy_ == original, name
        assert "#definitions/" not in copy_
    assert (SHIPPED / "LICENSE").read_text() == (SPEC / "LICENSE").read_text()
    assert "#/definitions/" in (SHIPPED / "NOTICE.md").read_text()


def test_schema_map_points_at_real_schemas():
    for type_name, file_name in SCHEMA_FILES.items():
        schema = schema_for(type_name)
        assert schema["$id"] == "https://w3id.org/dspace/2025/1/" + file_name
        assert (SHIPPED / file_name).is_file()
    with pytest.raises(KeyError):
        schema_for("NoSuchMessage")


def test_validators_are_cached_per_type():
    assert dsp_schemas._validator("TransferStartMessage") is dsp_schemas._validator("TransferStartMessage")
    assert dsp_schemas._registry() is dsp_schemas._registry()


def test_missing_pid():
    doc = example("transfer/example/transfer-start-message.json")
    del doc["consumerPid"]
    assert "consumerPid: required property missing" in reasons_of(doc)


def test_context_not_an_array():
    doc = example("negotiation/example/contract-agreement-verification-message.json")
    doc["@context"] = CONTEXT_URL
    assert reasons_of(doc) == ["@context: must be an array"]


def test_context_without_the_dsp_url():
    doc = example("transfer/example/transfer-completion-message.json")
    doc["@context"] = ["https://w3id.org/dspace/2024/1/context.json"]
    assert reasons_of(doc) == [f"@context: must contain '{CONTEXT_URL}'"]


def test_context_missing_even_where_the_schema_does_not_ask():
    doc = example("catalog/example/dataset.json")
    del doc["@context"]
    assert "@context: required property missing" in reasons_of(doc)


def test_wrong_and_unknown_type():
    doc = example("transfer/example/transfer-start-message.json")
    with pytest.raises(MessageError) as info:
        validate_message(doc, "TransferCompletionMessage")
    assert info.value.code == "wrong-type"
    assert info.value.reasons == ["@type: must be 'TransferCompletionMessage', got 'TransferStartMessage'"]
    doc["@type"] = "dspace:TransferStartMessage"
    with pytest.raises(MessageError) as info:
        validate_message(doc)
    assert info.value.code == "unknown-type"
    assert "dspace:TransferStartMessage" in info.value.reasons[0]
    del doc["@type"]
    assert reasons_of(doc) == ["@type: required property missing"]
    with pytest.raises(ValueError, match="no schema"):
        validate_message(doc, "Nope")


def test_contract_request_with_both_callback_and_provider_pid():
    doc = example("negotiation/example/contract-request-message.json")
    assert "providerPid" in doc
    doc["callbackAddress"] = "https://consumer.example/cb"
    reasons = reasons_of(doc)
    assert len(reasons) == 1
    assert reasons[0].startswith("callbackAddress, providerPid: exactly one is allowed")


def test_contract_request_with_neither():
    doc = example("negotiation/example/contract-request-message_initial.json")
    del doc["callbackAddress"]
    assert reasons_of(doc)[0].startswith("callbackAddress, providerPid: one is required")


def test_contract_offer_with_both_callback_and_consumer_pid():
    doc = example("negotiation/example/contract-offer-message_initial.json")
    doc["consumerPid"] = "urn:uuid:c1"
    assert reasons_of(doc)[0].startswith("callbackAddress, consumerPid: exactly one is allowed")


def test_bad_event_type_and_nested_path():
    doc = example("negotiation/example/contract-negotiation-event-message.json")
    doc["eventType"] = "REJECTED"
    assert reasons_of(doc) == ["eventType: must be one of 'ACCEPTED', 'FINALIZED'"]
    doc = example("negotiation/example/contract-request-message.json")
    doc["offer"]["permission"][0]["action"] = 42
    assert any(r.startswith("offer.permission[0].action: must be a string") for r in reasons_of(doc))


def test_several_reasons_at_once():
    doc = copy.deepcopy(example("negotiation/example/contract-agreement-message.json"))
    del doc["providerPid"]
    doc["consumerPid"] = ["not", "a", "string"]
    reasons = reasons_of(doc)
    assert "providerPid: required property missing" in reasons
    assert "consumerPid: must be a string" in reasons


@pytest.mark.parametrize("garbage", [None, [], "ContractRequestMessage", 42, ["@type"]])
def test_garbage_documents(garbage):
    with pytest.raises(MessageError) as info:
        validate_message(garbage)
    assert info.value.code == "invalid-message"
    assert info.value.reasons[0].startswith("(root): must be a JSON object")


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe garbage", b"not json", b"{\"@type\": }"])
def test_garbage_bodies(raw):
    with pytest.raises(MessageError) as info:
        parse_message(raw)
    assert info.value.code == "invalid-json"
    assert info.value.reasons[0].startswith("(body): not valid JSON")


def test_parse_message_round_trip():
    raw = (SPEC / "transfer/example/transfer-request-message.json").read_bytes()
    assert parse_message(raw, "TransferRequestMessage")["@type"] == "TransferRequestMessage"


def test_size_limit():
    check_size(b"x" * 1_000_000)
    with pytest.raises(MessageError) as info:
        check_size(b"x" * 1_000_001)
    assert info.value.code == "too-large"
    assert "1000001 bytes" in info.value.reasons[0]
    with pytest.raises(MessageError):
        parse_message(b"{}" + b" " * 100, limit=50)
    check_size(b"12345", limit=5)


def test_message_error_reads_well():
    err = MessageError("invalid-message", ["a: b", "c: d"])
    assert str(err) == "invalid-message: a: b; c: d"
    assert isinstance(err, ValueError)
