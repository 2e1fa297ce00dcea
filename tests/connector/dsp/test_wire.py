"""The DSP interop layer: every message type, sent canonical, expanded, compacted with prefixes or with the DSP
context as a string, comes out as the canonical message the schemas describe; broken JSON-LD is refused with a
reason a peer can act on."""

from __future__ import annotations

import copy
import json
import re
from importlib.resources import files

import pytest
from pyld import jsonld

from connector.dsp.schemas import SCHEMA_FILES, MessageError, validate_message
from connector.dsp.wire import canonical_message, validate_incoming
from policies.jsonld import DSP_CONTEXT, DSP_ODRL_PROFILE, document_loader, shipped_context
from policies.vocab import DCT, DSPACE, ODRL, XSD

DSP = DSP_CONTEXT
DCAT = "http://www.w3.org/ns/dcat#"
PURPOSE = "https://w3id.org/jnt/dsp#purpose"
PREFIXES = {"dspace": DSPACE, "odrl": ODRL, "dcat": DCAT, "dct": DCT}
READABLE = re.compile(r"^[^\s:][^:]*: \S.*$")

# Copies of the DSP 2025-1 examples (../shared/spec/dsp-2025-1/*/example/), one or more per message type.
EXAMPLES: dict[str, dict] = {
    "catalog/example/catalog-error.json": {
        "@context": [DSP],
        "@type": "CatalogError",
        "code": "123-A",
        "reason": ["Catalog not provisioned for this requester."],
    },
    "catalog/example/catalog-request-message.json": {
        "@context": [DSP],
        "@type": "CatalogRequestMessage", "filter": [],
    },
    "catalog/example/catalog.json": {
        "@context": [DSP],
        "@id": "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57",
        "@type": "Catalog",
        "participantId": "urn:example:DataProviderA",
        "service": [{"@id": "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77",
                     "@type": "DataService",
                     "endpointURL": "https://provider-a.com/connector"}],
        "dataset": [{"@id": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88",
                     "@type": "Dataset",
                     "hasPolicy": [{"@id": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88",
                                    "@type": "Offer",
                                    "permission": [{"action": "use",
                                                    "constraint": [{"leftOperand": "spatial",
                                                                    "operator": "eq",
                                                                    "rightOperand": "http://example.org/EU"}]}]}],
                     "distribution": [{"@type": "Distribution",
                                       "format": "HttpData-PULL",
                                       "accessService": "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77"}]}],
    },
    "catalog/example/dataset-request-message.json": {
        "@context": [DSP],
        "@type": "DatasetRequestMessage", "dataset": "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57",
    },
    "catalog/example/dataset.json": {
        "@context": [DSP],
        "@id": "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57",
        "@type": "Dataset",
        "hasPolicy": [{"@type": "Offer",
                       "@id": "urn:uuid:2828282:3dd1add8-4d2d-569e-d634-8394a8836a88",
                       "permission": [{"action": "use",
                                       "constraint": [{"leftOperand": "spatial",
                                                       "rightOperand": "_:EU",
                                                       "operator": "eq"}]}]}],
        "distribution": [{"@type": "Distribution",
                          "format": "HttpData-PULL",
                          "accessService": {"@id": "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77",
                                            "@type": "DataService",
                                            "endpointURL": "https://provider-a.com/connector"}}],
    },
    "catalog/example/nested-catalog.json": {
        "@context": [DSP],
        "@id": "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57",
        "@type": "Catalog",
        "participantId": "urn:example:DataProviderA",
        "catalog": [{"@id": "02e83f88-f025-4a1c-89f2-8723c98fa92b",
                     "@type": "Catalog",
                     "distribution": [{"@type": "Distribution",
                                       "format": "Catalog",
                                       "accessService": "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77"}],
                     "service": [{"@id": "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77",
                                  "@type": "DataService",
                                  "endpointURL": "https://provder-a.com/subcatalog"}]}],
    },
    "negotiation/example/contract-agreement-message-full.json": {
        "@context": [DSP],
        "@type": "ContractAgreementMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "agreement": {"@id": "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
                      "@type": "Agreement",
                      "target": "urn:uuid:3dd1add4-4d2d-569e-d634-8394a8836d23",
                      "profile": "https://test.com/profile",
                      "timestamp": "2023-01-01T01:00:00Z",
                      "assigner": "http://example.com/Provider",
                      "assignee": "http://example.com/Consumer",
                      "permission": [{"action": "use",
                                      "constraint": [{"leftOperand": "dateTime",
                                                      "operator": "lteq",
                                                      "rightOperand": "2023-12-31T06:00Z"}]},
                                     {"action": "use",
                                      "constraint": [{"and": [{"leftOperand": "partner",
                                                               "operator": "eq",
                                                               "rightOperand": "gold"},
                                                              {"leftOperand": "partner",
                                                               "operator": "eq",
                                                               "rightOperand": "silver"}]}]},
                                     {"action": "use",
                                      "constraint": [{"or": [{"leftOperand": "partner",
                                                              "operator": "eq",
                                                              "rightOperand": "gold"},
                                                             {"leftOperand": "partner",
                                                              "operator": "eq",
                                                              "rightOperand": "silver"}]}]},
                                     {"action": "use",
                                      "constraint": [{"leftOperand": "partner",
                                                      "operator": "eq",
                                                      "rightOperand": "gold"}]},
                                     {"action": "use",
                                      "constraint": [{"andSequence": [{"leftOperand": "partner",
                                                                       "operator": "eq",
                                                                       "rightOperand": "gold"},
                                                                      {"leftOperand": "partner",
                                                                       "operator": "eq",
                                                                       "rightOperand": "silver"}]}]},
                                     {"action": "use",
                                      "constraint": [{"xone": [{"leftOperand": "partner",
                                                                "operator": "eq",
                                                                "rightOperand": "gold"},
                                                               {"leftOperand": "partner",
                                                                "operator": "eq",
                                                                "rightOperand": "silver"}]}]},
                                     {"action": "use",
                                      "constraint": [{"or": [{"and": [{"leftOperand": "constraint1",
                                                                       "operator": "eq",
                                                                       "rightOperand": "value1"},
                                                                      {"leftOperand": "constraint2",
                                                                       "operator": "eq",
                                                                       "rightOperand": "value2"}]},
                                                             {"leftOperand": "partner",
                                                              "operator": "eq",
                                                              "rightOperand": "silver"}]}]}]},
    },
    "negotiation/example/contract-agreement-message.json": {
        "@context": [DSP],
        "@type": "ContractAgreementMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "agreement": {"@id": "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
                      "@type": "Agreement",
                      "target": "urn:uuid:3dd1add4-4d2d-569e-d634-8394a8836d23",
                      "timestamp": "2023-01-01T01:00:00Z",
                      "assigner": "http://example.com/Provider",
                      "assignee": "http://example.com/Consumer",
                      "permission": [{"action": "use",
                                      "constraint": [{"leftOperand": "dateTime",
                                                      "operator": "lteq",
                                                      "rightOperand": "2023-12-31T06:00Z"}]}]},
    },
    "negotiation/example/contract-agreement-verification-message.json": {
        "@context": [DSP],
        "@type": "ContractAgreementVerificationMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
    },
    "negotiation/example/contract-negotiation-error.json": {
        "@context": [DSP],
        "@type": "ContractNegotiationError",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "code": "99",
        "reason": ["Catalog not provisioned for this requester."],
    },
    "negotiation/example/contract-negotiation-event-message.json": {
        "@context": [DSP],
        "@type": "ContractNegotiationEventMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "eventType": "ACCEPTED",
    },
    "negotiation/example/contract-negotiation-termination-message.json": {
        "@context": [DSP],
        "@type": "ContractNegotiationTerminationMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "code": "99",
        "reason": ["License model does not fit."],
    },
    "negotiation/example/contract-negotiation.json": {
        "@context": [DSP],
        "@type": "ContractNegotiation",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "state": "REQUESTED",
    },
    "negotiation/example/contract-offer-message.json": {
        "@context": [DSP],
        "@type": "ContractOfferMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "offer": {"@type": "Offer",
                  "@id": "urn:uuid:6bcea82e-c509-443d-ba8c-8eef25984c07",
                  "target": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88",
                  "permission": [{"action": "use",
                                  "constraint": [{"leftOperand": "dateTime",
                                                  "operator": "lteq",
                                                  "rightOperand": "2023-12-31T06:00Z"}]}]},
    },
    "negotiation/example/contract-offer-message_initial.json": {
        "@context": [DSP],
        "@type": "ContractOfferMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "offer": {"@type": "Offer",
                  "@id": "urn:uuid:d526561f-528e-4d5a-ae12-9a9dd9b7a518",
                  "target": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88",
                  "permission": [{"action": "use"}]},
        "callbackAddress": "https://example.com/callback",
    },
    "negotiation/example/contract-request-message.json": {
        "@context": [DSP],
        "@type": "ContractRequestMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "offer": {"@type": "Offer",
                  "@id": "urn:uuid:d526561f-528e-4d5a-ae12-9a9dd9b7a815",
                  "target": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88",
                  "permission": [{"action": "use",
                                  "constraint": [{"leftOperand": "dateTime",
                                                  "operator": "lteq",
                                                  "rightOperand": "2023-12-31T06:00Z"}]}]},
    },
    "negotiation/example/contract-request-message_initial.json": {
        "@context": [DSP],
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "offer": {"@type": "Offer",
                  "@id": "urn:uuid:2828282:3dd1add8-4d2d-569e-d634-8394a8836a89",
                  "target": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88",
                  "permission": [{"action": "use"}]},
        "callbackAddress": "https://example.com/callback",
    },
    "transfer/example/transfer-completion-message.json": {
        "@context": [DSP],
        "@type": "TransferCompletionMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
    },
    "transfer/example/transfer-error.json": {
        "@context": [DSP],
        "@type": "TransferError",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "code": "99",
        "reason": ["Internal error"],
    },
    "transfer/example/transfer-process.json": {
        "@context": [DSP],
        "@type": "TransferProcess",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "state": "REQUESTED",
    },
    "transfer/example/transfer-request-message.json": {
        "@context": [DSP],
        "@type": "TransferRequestMessage",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "agreementId": "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
        "format": "example:HTTP_PUSH",
        "dataAddress": {"@type": "DataAddress",
                        "endpointType": "https://w3id.org/idsa/v4.1/HTTP",
                        "endpoint": "http://example.com",
                        "endpointProperties": [{"@type": "EndpointProperty",
                                                "name": "authorization",
                                                "value": "TOKEN-ABCDEFG"},
                                               {"@type": "EndpointProperty",
                                                "name": "authType",
                                                "value": "bearer"}]},
        "callbackAddress": "https://example.com/callback",
    },
    "transfer/example/transfer-start-message.json": {
        "@context": [DSP],
        "@type": "TransferStartMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "dataAddress": {"@type": "DataAddress",
                        "endpointType": "https://w3id.org/idsa/v4.1/HTTP",
                        "endpoint": "http://example.com",
                        "endpointProperties": [{"@type": "EndpointProperty",
                                                "name": "authorization",
                                                "value": "TOKEN-ABCDEFG"},
                                               {"@type": "EndpointProperty",
                                                "name": "authType",
                                                "value": "bearer"}]},
    },
    "transfer/example/transfer-suspension-message.json": {
        "@context": [DSP],
        "@type": "TransferSuspensionMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "code": "99",
        "reason": ["Policy violation"],
    },
    "transfer/example/transfer-termination-message.json": {
        "@context": [DSP],
        "@type": "TransferTerminationMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "code": "99",
        "reason": ["Policy violation"],
    },
}


def _context_without_import() -> dict:
    """The shipped DSP context with its ``@import`` of the ODRL profile merged in by hand.

    pyld 3 edits an ``@import``-ed context document in place and caches it per importing context, so expanding
    several message types through the context URL in one process gives wrong terms (``Dataset`` loses
    ``distribution``); the tests' reference expansion must not depend on that."""
    def read(name: str) -> dict:
        return json.loads((files("policies") / "data" / "contexts" / name).read_text(encoding="utf-8"))

    profile = read("dspace-2025-1-odrl-profile.jsonld")["@context"]
    merged = {}
    for term, definition in read("dspace-2025-1.jsonld")["@context"].items():
        scoped = definition.get("@context") if isinstance(definition, dict) else None
        if isinstance(scoped, dict) and "@import" in scoped:
            local = {k: v for k, v in scoped.items() if k != "@import"}
            definition = {**definition, "@context": {**profile, **local}}
        merged[term] = definition
    return merged


CONTEXT_WITHOUT_IMPORT = _context_without_import()


def expand(doc: dict, odrl_vocab: bool = True) -> list:
    """What an RDF-minded peer sends: the message expanded by pyld with the shipped loader. With ``odrl_vocab``
    bare names such as ``"leftOperand": "dateTime"`` become ODRL IRIs (how ``policies`` reads DSP policies);
    without, they stay relative IRIs as a strict JSON-LD processor leaves them."""
    options = {"documentLoader": document_loader, "base": None}
    if odrl_vocab:
        options["expandContext"] = {"@vocab": ODRL}
    expanded = jsonld.expand({**copy.deepcopy(doc), "@context": [CONTEXT_WITHOUT_IMPORT]}, options)
    assert len(expanded) == 1 and not any(k.startswith("@context") for k in expanded[0])
    return expanded


def prefixed(doc: dict) -> dict:
    """The message compacted with plain prefixes instead of the DSP context (``dspace:consumerPid``...)."""
    compacted = jsonld.compact(expand(doc), PREFIXES, {"documentLoader": document_loader, "base": None})
    assert compacted["@type"].startswith("dspace:") or compacted["@type"].startswith("dcat:")
    return compacted


def with_string_context(doc: dict) -> dict:
    return {**copy.deepcopy(doc), "@context": DSP}


FORMS = {
    "expanded": expand,
    "expanded-strict": lambda doc: expand(doc, odrl_vocab=False),
    "expanded-node": lambda doc: expand(doc)[0],
    "prefixed": prefixed,
    "string-context": with_string_context,
}


def refused(doc, code: str) -> list[str]:
    with pytest.raises(MessageError) as info:
        canonical_message(doc)
    assert info.value.code == code, info.value
    reasons = info.value.reasons
    assert reasons and all(READABLE.match(r) and len(r) < 400 for r in reasons), reasons
    return reasons


def test_examples_cover_every_message_type():
    types = {doc["@type"] for doc in EXAMPLES.values()}
    assert types == set(SCHEMA_FILES) - {"VersionResponse"}


def test_examples_are_copies_of_the_spec(shared_dir):
    spec = shared_dir / "spec" / "dsp-2025-1"
    for name, doc in EXAMPLES.items():
        assert json.loads((spec / name).read_text(encoding="utf-8")) == doc, name


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_canonical_messages_pass_untouched(name):
    doc = EXAMPLES[name]
    validate_message(doc)
    assert canonical_message(doc) is doc
    with_profile = {**doc, "@context": [DSP, DSP_ODRL_PROFILE]}
    assert canonical_message(with_profile) is with_profile


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_form_becomes_the_canonical_message(name, form):
    original = EXAMPLES[name]
    sent = FORMS[form](original)
    before = copy.deepcopy(sent)
    canonical = canonical_message(sent)
    assert sent == before  # the input is not edited
    assert canonical == original
    assert list(canonical)[0] == "@context"
    validate_message(canonical, original["@type"])


def test_order_of_processing_does_not_matter_and_shipped_contexts_stay_untouched():
    profile_before = copy.deepcopy(shipped_context(DSP_ODRL_PROFILE))
    names = sorted(EXAMPLES)
    for sequence in (names, names[::-1]):
        for name in sequence:
            assert canonical_message(with_string_context(EXAMPLES[name])) == EXAMPLES[name], name
    assert shipped_context(DSP_ODRL_PROFILE) == profile_before


def test_contract_request_with_a_constraint_round_trips():
    request = {
        "@context": [DSP],
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "offer": {
            "@type": "Offer",
            "@id": "urn:uuid:d526561f-528e-4d5a-ae12-9a9dd9b7a815",
            "target": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88",
            "permission": [{
                "action": "read",
                "constraint": [{"leftOperand": "dateTime", "operator": "lteq", "rightOperand": "2030-12-31"}],
            }],
        },
        "callbackAddress": "https://consumer.example/callback",
    }
    expanded = expand(request)
    permission = expanded[0][DSPACE + "offer"][0][ODRL + "permission"][0]
    assert permission[ODRL + "action"] == [{"@id": ODRL + "read"}]
    assert permission[ODRL + "constraint"][0][ODRL + "leftOperand"] == [{"@id": ODRL + "dateTime"}]
    sent = jsonld.compact(expanded, PREFIXES, {"documentLoader": document_loader})
    assert sent["dspace:offer"]["odrl:permission"]["odrl:constraint"]["odrl:operator"] == {"@id": "odrl:lteq"}
    for form in (expanded, sent):
        canonical = canonical_message(form)
        assert canonical == request
        constraint = canonical["offer"]["permission"][0]["constraint"][0]
        assert constraint == {"leftOperand": "dateTime", "operator": "lteq", "rightOperand": "2030-12-31"}
        validate_message(canonical, "ContractRequestMessage")


def test_extension_keys_survive():
    request = copy.deepcopy(EXAMPLES["negotiation/example/contract-request-message_initial.json"])
    request[PURPOSE] = "https://w3id.org/jnt/purposes/research"
    request["offer"]["permission"][0][PURPOSE] = {"@id": "https://w3id.org/jnt/purposes/research"}
    for sent in (expand(request), prefixed(request), with_string_context(request)):
        assert canonical_message(sent) == request
    # a peer's own prefix for the extension: the key comes back as the full IRI, its meaning unchanged
    peer = {**copy.deepcopy(request), "@context": [DSP, {"jnt": "https://w3id.org/jnt/dsp#"}]}
    peer["jnt:purpose"] = peer.pop(PURPOSE)
    assert canonical_message(peer) == request


def test_a_logical_constraint_with_one_operand_is_still_an_array():
    agreement = copy.deepcopy(EXAMPLES["negotiation/example/contract-agreement-message.json"])
    operand = agreement["agreement"]["permission"][0]["constraint"][0]
    agreement["agreement"]["permission"][0]["constraint"] = [{"and": [operand]}, {"or": [operand]}]
    expanded = expand(agreement)
    # the DSP context does not declare `and`/`or` as sets, so plain compaction would give one object
    plain = jsonld.compact(expanded, DSP, {"documentLoader": document_loader})
    assert not isinstance(plain["agreement"]["permission"][0]["constraint"][0]["and"], list)
    # a peer using an RDF list for `or` (ordered operands)
    rule = expanded[0][DSPACE + "agreement"][0][ODRL + "permission"][0]
    logical_or = rule[ODRL + "constraint"][1]
    logical_or[ODRL + "or"] = [{"@list": logical_or[ODRL + "or"]}]
    canonical = canonical_message(expanded)
    assert canonical == agreement
    validate_message(canonical)


def test_a_typed_literal_where_the_schema_wants_a_string():
    agreement = EXAMPLES["negotiation/example/contract-agreement-message.json"]
    expanded = expand(agreement)
    timestamp = expanded[0][DSPACE + "agreement"][0][DSPACE + "timestamp"]
    assert timestamp == [{"@value": "2023-01-01T01:00:00Z"}]
    timestamp[0]["@type"] = XSD + "dateTime"
    canonical = canonical_message(expanded)
    assert canonical["agreement"]["timestamp"] == "2023-01-01T01:00:00Z"
    assert canonical == agreement


@pytest.mark.parametrize("doc", [5, "a string", None, True, [1, 2]], ids=repr)
def test_not_a_json_object(doc):
    assert refused(doc, "invalid-message")[0].startswith("(root): must be a JSON object")


def test_several_top_level_nodes():
    two = expand(EXAMPLES["transfer/example/transfer-completion-message.json"]) * 2
    assert refused(two, "invalid-message") == [
        "(root): holds 2 top-level JSON-LD nodes, a DSP message is exactly one node"]
    graph = {"@context": {"dspace": DSPACE}, "@graph": [
        {"@type": "dspace:TransferCompletionMessage", "dspace:consumerPid": "a"},
        {"@type": "dspace:TransferCompletionMessage", "dspace:consumerPid": "b"},
    ]}
    assert "2 top-level JSON-LD nodes" in refused(graph, "invalid-message")[0]
    assert "no JSON-LD node" in refused([], "invalid-message")[0]


def test_unknown_remote_context_is_refused_without_fetching():
    doc = {**EXAMPLES["transfer/example/transfer-completion-message.json"],
           "@context": [DSP, "https://peer.example/contexts/extra.jsonld"]}
    [reason] = refused(doc, "invalid-jsonld")
    assert reason.startswith("@context: the JSON-LD context <https://peer.example/contexts/extra.jsonld> is not "
                             "available offline")
    assert DSP in reason and DSP_ODRL_PROFILE in reason and "no context is fetched" in reason


@pytest.mark.parametrize(("doc", "path", "problem"), [
    ({"@context": [DSP, {"ContractRequestMessage": "https://peer.example/Other"}],
      "@type": "ContractRequestMessage"}, "@context", "protected term redefinition"),
    ({"@context": {"@vocab": 5}, "@type": "X"}, "@context", "invalid vocab mapping"),
    ({"@id": 5, DSPACE + "consumerPid": "x"}, "(root)", "invalid @id value"),
    ({"@type": 5, DSPACE + "consumerPid": "x"}, "(root)", "invalid type value"),
], ids=["protected-term", "bad-vocab", "bad-id", "bad-type"])
def test_invalid_jsonld(doc, path, problem):
    [reason] = refused(doc, "invalid-jsonld")
    assert reason.startswith(f"{path}: not valid JSON-LD, {problem}")
    assert "urn:jnt" not in reason


def test_plain_json_without_context_is_left_to_validation():
    doc = {k: v for k, v in EXAMPLES["transfer/example/transfer-completion-message.json"].items()
           if k != "@context"}
    assert canonical_message(doc) is doc
    with pytest.raises(MessageError) as info:
        validate_incoming(json.dumps(doc).encode())
    assert info.value.reasons == ["@context: required property missing"]


def test_a_message_without_context_and_only_keywords_is_told_its_context_is_missing():
    doc = {"@id": "urn:uuid:1", "@type": "CatalogRequestMessage"}
    assert canonical_message(doc) is doc  # not read as JSON-LD under the ODRL vocabulary
    with pytest.raises(MessageError) as info:
        validate_incoming(json.dumps(doc).encode())
    assert info.value.reasons == ["@context: required property missing"]


@pytest.mark.parametrize("raw, code, reason", [
    (b'{"a": NaN}', "invalid-json", "(body): not valid JSON (NaN is not a JSON number)"),
    (b'{"a": -Infinity}', "invalid-json", "(body): not valid JSON (-Infinity is not a JSON number)"),
    (b'{"a": 1e999}', "invalid-json", "(body): not valid JSON (1e999 is out of the range of a double)"),
    (b'{"a": [' + b"[" * 70 + b"]" * 70 + b"]}", "invalid-message", "nested deeper than 64 levels"),
    (b"[" * 100_000 + b"]" * 100_000, "invalid-json", "(body): nested deeper than 64 levels"),
    (b'{"a": ["x", "\\ud800"]}', "invalid-message", "a[1]: holds U+D800, not allowed in a string"),
    (b'{"a": {"b\\u0000": 1}}', "invalid-message", "a: a key holds U+0000, not allowed in a string"),
])
def test_bodies_that_no_later_stage_could_handle_are_refused(raw, code, reason):
    with pytest.raises(MessageError) as info:
        validate_incoming(raw)
    assert info.value.code == code
    [said] = info.value.reasons
    assert said.endswith(reason), said


def test_validate_incoming():
    original = EXAMPLES["negotiation/example/contract-request-message.json"]
    raw = json.dumps(expand(original)).encode()
    assert validate_incoming(raw, "ContractRequestMessage") == original
    assert validate_incoming(json.dumps(original).encode()) == original
    version = {"protocolVersions": [{"version": "2025-1", "path": "/dsp", "binding": "HTTPS"}]}
    assert validate_incoming(json.dumps(version).encode(), "VersionResponse") == version
    for raw_, code in ((b"{", "invalid-json"), (b"\xff", "invalid-json"), (b" " * 11, "too-large"),
                       (b'{"@context": ["https://peer.example/c.jsonld"]}', "invalid-jsonld"),
                       (b'{"@context": "https://w3id.org/dspace/2025/1/context.jsonld"}', "invalid-message"),
                       (b"[]", "invalid-message")):
        with pytest.raises(MessageError) as info:
            validate_incoming(raw_, limit=10 if code == "too-large" else 1000)
        assert info.value.code == code
    with pytest.raises(MessageError) as info:
        validate_incoming(raw, "TransferRequestMessage")
    assert info.value.code == "wrong-type"
    broken = copy.deepcopy(original)
    del broken["consumerPid"]
    with pytest.raises(MessageError) as info:
        validate_incoming(json.dumps(expand(broken)).encode())
    assert "consumerPid: required property missing" in info.value.reasons
