"""Validation of DSP 2025-1 wire messages against the official JSON schemas shipped in ``schemas/``.

The schemas (Draft 2019-09) refer to each other by their published ``$id`` under
``https://w3id.org/dspace/2025/1/``; a ``referencing.Registry`` maps that prefix to the shipped folder so
nothing is fetched. Registry and validators are built once and cached per ``@type``. On top of the schemas we
check what a schema cannot say readably: ``@context`` is an array holding the DSP context URL on every typed
message, and a ContractRequestMessage (ContractOfferMessage) carries exactly one of ``callbackAddress``
(initial message) and ``providerPid`` (``consumerPid``). Every failure is a :class:`MessageError` whose
reasons read ``<JSON path>: <rule>``, ready for a ContractNegotiationError / TransferError / CatalogError
body.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

__all__ = [
    "BASE_URI",
    "CONTEXT_URL",
    "DEFAULT_SIZE_LIMIT",
    "SCHEMA_FILES",
    "MessageError",
    "check_size",
    "parse_message",
    "schema_for",
    "validate_message",
]

BASE_URI = "https://w3id.org/dspace/2025/1/"
CONTEXT_URL = "https://w3id.org/dspace/2025/1/context.jsonld"
DEFAULT_SIZE_LIMIT = 1_000_000

#: ``@type`` -> schema file, relative to ``schemas/`` (and to ``BASE_URI``). ``VersionResponse`` has no
#: ``@type`` on the wire (``/.well-known/dspace-version``): validate it with
#: ``expected_type="VersionResponse"``.
SCHEMA_FILES: dict[str, str] = {
    "CatalogRequestMessage": "catalog/catalog-request-message-schema.json",
    "DatasetRequestMessage": "catalog/dataset-request-message-schema.json",
    "Catalog": "catalog/catalog-schema.json",
    "Dataset": "catalog/dataset-schema.json",
    "CatalogError": "catalog/catalog-error-schema.json",
    "ContractRequestMessage": "negotiation/contract-request-message-schema.json",
    "ContractOfferMessage": "negotiation/contract-offer-message-schema.json",
    "ContractAgreementMessage": "negotiation/contract-agreement-message-schema.json",
    "ContractAgreementVerificationMessage": "negotiation/contract-agreement-verification-message-schema.json",
    "ContractNegotiationEventMessage": "negotiation/contract-negotiation-event-message-schema.json",
    "ContractNegotiationTerminationMessage": (
        "negotiation/contract-negotiation-termination-message-schema.json"
    ),
    "ContractNegotiation": "negotiation/contract-negotiation-schema.json",
    "ContractNegotiationError": "negotiation/contract-negotiation-error-schema.json",
    "TransferRequestMessage": "transfer/transfer-request-message-schema.json",
    "TransferStartMessage": "transfer/transfer-start-message-schema.json",
    "TransferSuspensionMessage": "transfer/transfer-suspension-message-schema.json",
    "TransferCompletionMessage": "transfer/transfer-completion-message-schema.json",
    "TransferTerminationMessage": "transfer/transfer-termination-message-schema.json",
    "TransferProcess": "transfer/transfer-process-schema.json",
    "TransferError": "transfer/transfer-error-schema.json",
    "VersionResponse": "common/protocol-version-schema.json",
}
_UNTYPED = frozenset({"VersionResponse"})

# Initial message vs. follow-up: which pid replaces the callbackAddress (PROTOCOL.md §4, the schemas' oneOf).
_ONE_OF_CALLBACK = {"ContractRequestMessage": "providerPid", "ContractOfferMessage": "consumerPid"}

_MAX_REASONS = 20
_MAX_REPR = 80


class MessageError(ValueError):
    """A DSP message that cannot be accepted; ``reasons`` are ``<path>: <rule>`` strings for an error body."""

    def __init__(self, code: str, reasons: list[str]) -> None:
        self.code = code
        self.reasons = list(reasons)
        super().__init__(f"{code}: " + "; ".join(self.reasons))


def _schema_root():
    return resources.files(__package__).joinpath("schemas")


@cache
def _registry() -> Registry:
    resources_ = []
    root = _schema_root()
    for folder in ("catalog", "common", "negotiation", "transfer"):
        for entry in root.joinpath(folder).iterdir():
            if entry.name.endswith(".json"):
                contents = json.loads(entry.read_text(encoding="utf-8"))
                uri = contents.get("$id") or f"{BASE_URI}{folder}/{entry.name}"
                resources_.append((uri, Resource.from_contents(contents, default_specification=DRAFT201909)))
    return Registry().with_resources(resources_).crawl()


def schema_for(type_name: str) -> dict[str, Any]:
    """The root schema of a message type, e.g. ``schema_for("TransferStartMessage")``; KeyError if unknown."""
    return _registry().contents(BASE_URI + SCHEMA_FILES[type_name])


@cache
def _validator(type_name: str) -> Draft201909Validator:
    return Draft201909Validator(schema_for(type_name), registry=_registry())


def check_size(raw: bytes, limit: int = DEFAULT_SIZE_LIMIT) -> None:
    """Refuse a body larger than ``limit`` bytes before parsing it."""
    if len(raw) > limit:
        raise MessageError("too-large", [f"(body): {len(raw)} bytes, more than the limit of {limit} bytes"])


def parse_message(raw: bytes, expected_type: str | None = None, limit: int = DEFAULT_SIZE_LIMIT) -> dict:
    """Size check, JSON parsing and :func:`validate_message` of a raw request body."""
    check_size(raw, limit)
    try:
        doc = json.loads(raw)
    except RecursionError:
        raise MessageError("invalid-json", ["(body): nested too deeply"]) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise MessageError("invalid-json", [f"(body): not valid JSON ({exc})"]) from None
    validate_message(doc, expected_type)
    return doc


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _path(parts) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


_ARTICLE = {"array": "an array", "object": "an object", "integer": "an integer"}


def _rule(error: ValidationError) -> tuple[str, str]:
    """(path, rule) of one jsonschema error, in words."""
    path = _path(error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind == "required":
        match = re.match(r"^'(.*)' is a required property$", error.message)
        missing = match.group(1) if match else ", ".join(
            p for p in value if isinstance(error.instance, dict) and p not in error.instance)
        return (f"{path}.{missing}" if path != "(root)" else missing), "required property missing"
    if kind == "type":
        types = value if isinstance(value, list) else [value]
        return path, "must be " + " or ".join(_ARTICLE.get(t, f"a {t}") for t in types)
    if kind == "const":
        return path, f"must be {_short(value)}"
    if kind == "enum":
        return path, "must be one of " + ", ".join(_short(v) for v in value)
    if kind == "contains":
        wanted = value.get("const", value) if isinstance(value, dict) else value
        return path, f"must contain {_short(wanted)}"
    if kind == "minItems":
        return path, f"must have at least {value} item{'s' if value != 1 else ''}"
    if kind == "pattern":
        return path, f"must match the pattern {value}"
    if kind in ("oneOf", "anyOf") and error.context:
        deepest = best_match(error.context)
        sub_path, sub_rule = _rule(deepest)
        return sub_path, f"{sub_rule} (no alternative of {kind} matched)"
    if kind == "oneOf":
        return path, "must match exactly one alternative, it matches several"
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return path, f"{kind}: {message}"


def _context_reasons(doc: dict) -> list[str]:
    if "@context" not in doc:
        return ["@context: required property missing"]
    context = doc["@context"]
    if not isinstance(context, list):
        return ["@context: must be an array"]
    if CONTEXT_URL not in context:
        return [f"@context: must contain {_short(CONTEXT_URL)}"]
    return []


def _callback_reasons(type_name: str, doc: dict) -> list[str]:
    pid = _ONE_OF_CALLBACK.get(type_name)
    if pid is None:
        return []
    has_callback, has_pid = "callbackAddress" in doc, pid in doc
    if has_callback and has_pid:
        return [f"callbackAddress, {pid}: exactly one is allowed (callbackAddress on the initial message, "
                f"{pid} afterwards), both were given"]
    if not has_callback and not has_pid:
        return [f"callbackAddress, {pid}: one is required (callbackAddress on the initial message, "
                f"{pid} afterwards)"]
    return []


def validate_message(doc: dict, expected_type: str | None = None) -> None:
    """Check ``doc`` against the schema of its ``@type`` (or ``expected_type``); MessageError if it fails."""
    if not isinstance(doc, dict):
        raise MessageError("invalid-message", [f"(root): must be a JSON object, got {type(doc).__name__}"])
    declared = doc.get("@type")
    if expected_type is not None and expected_type not in SCHEMA_FILES:
        raise ValueError(f"no schema for the message type {expected_type!r}")
    if expected_type in _UNTYPED and declared is None:
        type_name = expected_type
    elif declared is None:
        raise MessageError("invalid-message", ["@type: required property missing"])
    elif not isinstance(declared, str) or declared not in SCHEMA_FILES:
        raise MessageError("unknown-type", [f"@type: unknown message type {_short(declared)}"])
    elif expected_type is not None and declared != expected_type:
        raise MessageError("wrong-type", [f"@type: must be {_short(expected_type)}, got {_short(declared)}"])
    else:
        type_name = declared

    reasons: list[str] = []
    if type_name not in _UNTYPED:
        reasons += _context_reasons(doc)
    extra = _callback_reasons(type_name, doc)
    reasons += extra
    errors = sorted(_validator(type_name).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    said_context = any(r.startswith("@context") for r in reasons)
    for error in errors:
        if said_context and error.absolute_path and error.absolute_path[0] == "@context":
            continue  # already said in our own words
        if extra and error.validator == "oneOf" and not error.absolute_path:
            continue  # the callbackAddress rule, already said
        path, rule = _rule(error)
        if path == "@context" and any(r.startswith("@context") for r in reasons):
            continue
        reason = f"{path}: {rule}"
        if reason not in reasons:
            reasons.append(reason)
    if reasons:
        if len(reasons) > _MAX_REASONS:
            reasons = reasons[:_MAX_REASONS] + [f"... and {len(reasons) - _MAX_REASONS} more"]
        raise MessageError("invalid-message", reasons)
