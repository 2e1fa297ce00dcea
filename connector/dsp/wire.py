"""The interop layer for incoming DSP 2025-1 messages: whatever JSON-LD form a peer sends, the rest of the
connector sees one shape, the compact form with ``"@context": [DSP context]`` that the official JSON schemas
describe. Canonical messages pass through untouched (the common case costs a dict lookup); any other form —
expanded JSON-LD, compact IRIs under another context, the DSP context given as a string — is expanded with pyld
against the contexts shipped in ``policies`` (never fetched), compacted against the DSP context, and its array
and value shapes fitted to the message's schema. Bare names are read as ODRL terms on the way in and written
back as bare names on the way out (``@vocab`` = ODRL), the reading ``policies.jsonld`` gives DSP policies.

pyld 3 resolves the DSP context's ``@import`` of its ODRL profile by updating the cached imported document in
place and keys the result by the importing active context, so once two type-scoped contexts (say ``Dataset`` and
``ContractRequestMessage``) have been processed in one process their terms leak into each other. This module
therefore hands pyld the DSP context with the import already merged, under private URLs that no other code
loads, so neither the shared context cache nor the shipped documents are touched.
"""

from __future__ import annotations

import copy
import json
import math
import re
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema.exceptions import ValidationError
from pyld import jsonld

from policies.jsonld import _SHIPPED, DSP_CONTEXT, DSP_ODRL_PROFILE, ContextNotShipped, document_loader
from policies.vocab import ODRL

from .schemas import (
    DEFAULT_SIZE_LIMIT,
    SCHEMA_FILES,
    MessageError,
    _path,
    _validator,
    check_size,
    validate_message,
)

__all__ = ["CANONICAL_CONTEXTS", "MAX_DEPTH", "canonical_message", "check_plain", "validate_incoming"]

#: A message whose ``@context`` is a list of these URLs, holding the DSP context, is already canonical.
CANONICAL_CONTEXTS = frozenset({DSP_CONTEXT, DSP_ODRL_PROFILE})

# Private names under which pyld sees the import-free DSP context and a pristine profile (see module docstring).
_PRIVATE = {
    DSP_CONTEXT: "urn:jnt:dsp-wire:dspace-2025-1.jsonld",
    DSP_ODRL_PROFILE: "urn:jnt:dsp-wire:dspace-2025-1-odrl-profile.jsonld",
}
_PUBLIC = {private: public for public, private in _PRIVATE.items()}
_ODRL_VOCAB = {"@vocab": ODRL}
# JSON-LD 1.1 API error codes raised while processing a context (the rest concern the document's nodes).
_CONTEXT_ERRORS = frozenset({
    "context overflow", "cyclic IRI mapping", "invalid @import value", "invalid @prefix value",
    "invalid @propagate value", "invalid @protected value", "invalid @version value", "invalid base direction",
    "invalid base IRI", "invalid container mapping", "invalid context entry", "invalid context nullification",
    "invalid default language", "invalid IRI mapping", "invalid keyword alias", "invalid language mapping",
    "invalid local context", "invalid remote context", "invalid reverse property", "invalid scoped context",
    "invalid term definition", "invalid type mapping", "invalid vocab mapping", "keyword redefinition",
    "loading remote context failed", "processing mode conflict", "protected term redefinition",
})
_MAX_SHAPE_PASSES = 32  # one pass per nesting level of mis-shaped values; messages are far shallower
#: Nesting of JSON arrays and objects a message may have. DSP messages, expanded JSON-LD included, stay below 20;
#: the recursive stages after parsing (JSON-LD, the schemas, the policy engine) overflow the stack near 200.
MAX_DEPTH = 64
# NUL cannot be stored in a PostgreSQL text column; a lone surrogate is not a character (it cannot be encoded in
# UTF-8, neither in the database nor in an answer quoting it).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@cache
def _pristine(url: str) -> dict[str, Any]:
    """A shipped context document read from disk: the cached copies in ``policies`` may have been edited by
    pyld's ``@import`` handling."""
    path = files("policies") / "data" / "contexts" / _SHIPPED[url]
    return json.loads(path.read_text(encoding="utf-8"))


def _merge_imports(node: Any) -> Any:
    """A copy of a context in which every ``@import`` is replaced by the imported terms, the local definitions
    winning (JSON-LD 1.1 context processing, step 5.6)."""
    if isinstance(node, list):
        return [_merge_imports(item) for item in node]
    if not isinstance(node, dict):
        return node
    merged = {key: _merge_imports(value) for key, value in node.items()}
    imported = merged.pop("@import", None)
    if imported is not None:
        merged = {**copy.deepcopy(_pristine(imported)["@context"]), **merged}
    return merged


@cache
def _private_document(url: str) -> dict[str, Any]:
    return _merge_imports(_pristine(_PUBLIC[url]))


def _loader(url: str, options: dict | None = None) -> dict[str, Any]:
    if url not in _PUBLIC:
        return document_loader(url, options)  # the shipped contexts; refuses anything else, never fetches
    # "static": pyld caches the processed context for the life of the process.
    return {"contextUrl": None, "documentUrl": url, "document": _private_document(url), "tag": "static"}


def _is_canonical(doc: Any) -> bool:
    context = doc.get("@context") if isinstance(doc, dict) else None
    return (
        isinstance(context, list)
        and DSP_CONTEXT in context
        and all(isinstance(item, str) and item in CANONICAL_CONTEXTS for item in context)
    )


def _is_plain_json(doc: dict) -> bool:
    """No ``@context`` and a key, or an ``@type``, that is neither a keyword nor an IRI: not JSON-LD at all (a
    VersionResponse, or a message that forgot its context, which validation then reports as such)."""
    if "@context" in doc:
        return False
    type_name = doc.get("@type")
    return (any(not key.startswith("@") and ":" not in key for key in doc)
            or (isinstance(type_name, str) and ":" not in type_name))


def _to_private(node: Any) -> Any:
    """The document with the shipped context URLs, wherever a context is referenced, renamed to private ones."""
    if isinstance(node, list):
        return [_to_private(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("@context", "@import"):
            if isinstance(value, str):
                value = _PRIVATE.get(value, value)
            elif isinstance(value, list):
                value = [_PRIVATE.get(item, item) if isinstance(item, str) else item for item in value]
        out[key] = _to_private(value)
    return out


def _public_text(text: str) -> str:
    for private, public in _PUBLIC.items():
        text = text.replace(private, public)
    return text


def _causes(exc: BaseException):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _jsonld_failure(exc: Exception) -> MessageError:
    for cause in _causes(exc):
        if isinstance(cause, ContextNotShipped):
            url = next((c.details["url"] for c in _causes(exc)
                        if isinstance(getattr(c, "details", None), dict) and "url" in c.details), None)
            return MessageError("invalid-jsonld", [
                f"@context: the JSON-LD context <{url or '?'}> is not available offline; only the DSP 2025-1 "
                f"context <{DSP_CONTEXT}>, its ODRL profile <{DSP_ODRL_PROFILE}> and the W3C ODRL context are "
                "shipped, and no context is fetched over the network"])
    if isinstance(exc, jsonld.JsonLdError):
        code = exc.code or exc.type
        message = exc.args[0] if exc.args else ""
        details = exc.details if isinstance(exc.details, dict) else {}
        hint = {k: v for k, v in details.items() if k in ("term", "url", "keyword", "value") and v is not None}
        text = f"{code}: {message}" + (f" ({json.dumps(hint, default=str)[:160]})" if hint else "")
        path = "@context" if code in _CONTEXT_ERRORS else "(root)"
        return MessageError("invalid-jsonld", [f"{path}: not valid JSON-LD, {_public_text(text)}"])
    return MessageError("invalid-jsonld", [f"(root): not valid JSON-LD ({type(exc).__name__})"])


def _one_node(doc: Any) -> list[dict]:
    """The document expanded, checked to be exactly one top-level node."""
    try:
        expanded = jsonld.expand(
            _to_private(doc), {"documentLoader": _loader, "base": None, "expandContext": _ODRL_VOCAB})
    except (jsonld.JsonLdError, TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        raise _jsonld_failure(exc) from None
    if len(expanded) != 1:
        if not expanded:
            raise MessageError("invalid-message", [
                "(root): holds no JSON-LD node (empty, or no property maps to an IRI under its @context)"])
        raise MessageError("invalid-message", [
            f"(root): holds {len(expanded)} top-level JSON-LD nodes, a DSP message is exactly one node"])
    return expanded


def _value_of(node: Any) -> Any:
    if isinstance(node, dict) and "@value" in node and set(node) <= {"@value", "@type", "@language"}:
        return node["@value"]
    return None


def _shape_fixes(error: ValidationError):
    """(path, replacement) for a schema error that is only a JSON-LD shape difference."""
    if error.validator in ("oneOf", "anyOf"):
        # An alternative failing on the value itself ("must be a string") is just another alternative; only
        # mismatches below the value say something about its shape.
        depth = len(error.absolute_path)
        for sub in error.context or ():
            if len(sub.absolute_path) > depth:
                yield from _shape_fixes(sub)
        return
    if error.validator != "type" or not error.absolute_path:
        return
    path, wanted, instance = tuple(error.absolute_path), error.validator_value, error.instance
    if wanted == "array":
        if isinstance(instance, dict) and set(instance) == {"@list"} and isinstance(instance["@list"], list):
            yield path, instance["@list"]
        elif not isinstance(instance, list):
            yield path, [instance]  # one value and a one-item array are the same in JSON-LD
    elif wanted == "string" and isinstance(_value_of(instance), str):
        yield path, _value_of(instance)  # a typed or tagged literal where the schema wants its lexical form


def _fit_to_schema(doc: dict) -> dict:
    type_name = doc.get("@type")
    if not isinstance(type_name, str) or type_name not in SCHEMA_FILES:
        return doc  # validate_message says what is wrong with the type
    validator = _validator(type_name)
    for _ in range(_MAX_SHAPE_PASSES):
        fixes: dict[tuple, Any] = {}
        for error in validator.iter_errors(doc):
            for path, value in _shape_fixes(error):
                fixes.setdefault(path, value)
        if not fixes:
            break
        for path, value in fixes.items():
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = value
    return doc


def canonical_message(doc: Any) -> dict:
    """The canonical compact form of a DSP message given in any JSON-LD form (see the module docstring).

    A canonical message is returned as is, without JSON-LD processing; anything else is a new dict. Raises
    :class:`MessageError` ``invalid-jsonld`` when pyld refuses the document (e.g. an unknown remote context)
    and ``invalid-message`` when it is not one JSON object / one JSON-LD node. Schema validation is left to
    :func:`validate_message`.
    """
    if _is_canonical(doc):
        return doc
    if isinstance(doc, list):
        if not all(isinstance(item, dict) for item in doc):
            raise MessageError("invalid-message", ["(root): must be a JSON object (or an array of one)"])
    elif not isinstance(doc, dict):
        raise MessageError("invalid-message", [f"(root): must be a JSON object, got {type(doc).__name__}"])
    elif _is_plain_json(doc):
        return doc
    expanded = _one_node(doc)
    try:
        compacted = jsonld.compact(expanded, [_PRIVATE[DSP_CONTEXT], _ODRL_VOCAB], {
            "documentLoader": _loader, "base": None, "skipExpansion": True})
    except (jsonld.JsonLdError, TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        raise _jsonld_failure(exc) from None
    compacted.pop("@context", None)
    return _fit_to_schema({"@context": [DSP_CONTEXT], **compacted})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of the range of a double")
    return value


def _where(path: tuple) -> str:
    text = _path(path)
    return text if len(text) <= 120 else "..." + text[-117:]


def check_plain(doc: Any) -> None:
    """Refuse a parsed body nested deeper than :data:`MAX_DEPTH` or holding a string (key or value) with a NUL or
    a lone surrogate: no DSP message has them, and they would break a later stage (stack overflow, database or
    UTF-8 encoding errors). Iterative, so that the check itself cannot overflow."""
    stack: list[tuple[Any, int, tuple]] = [(doc, 1, ())]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            bad = _UNSTORABLE.search(value)
            if bad:
                raise MessageError("invalid-message", [
                    f"{_where(path)}: holds U+{ord(bad.group()):04X}, not allowed in a string"])
            continue
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        if depth > MAX_DEPTH:
            raise MessageError("invalid-message", [f"{_where(path)}: nested deeper than {MAX_DEPTH} levels"])
        for key, item in items:
            bad = _UNSTORABLE.search(key) if isinstance(key, str) else None
            if bad:
                raise MessageError("invalid-message", [
                    f"{_where(path)}: a key holds U+{ord(bad.group()):04X}, not allowed in a string"])
            stack.append((item, depth + 1, (*path, key)))


def validate_incoming(raw: bytes, expected_type: str | None = None, limit: int = DEFAULT_SIZE_LIMIT) -> dict:
    """What a DSP endpoint does with a request body: size check, JSON parsing (strict: no ``NaN``, no infinite
    number), :func:`check_plain`, :func:`canonical_message`, :func:`validate_message`. Returns the canonical
    message; MessageError with the same codes as :func:`parse_message` plus ``invalid-jsonld``."""
    check_size(raw, limit)
    try:
        doc = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise MessageError("invalid-json", [f"(body): nested deeper than {MAX_DEPTH} levels"]) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise MessageError("invalid-json", [f"(body): not valid JSON ({exc})"]) from None
    check_plain(doc)
    if isinstance(doc, dict) and "@context" in doc and not isinstance(doc["@context"], list):
        # DSP 2025-1 schemas: the context is an array holding the DSP context (expanded JSON-LD has none at all).
        raise MessageError("invalid-message", [f"@context: must be an array (holding \"{DSP_CONTEXT}\"), got "
                                               f"{type(doc['@context']).__name__}"])
    doc = canonical_message(doc)
    validate_message(doc, expected_type)
    return doc
