"""JSON-LD processing with the contexts shipped in the package: the product never fetches a context over the
network. Also applies the fix DSP 2025-1 policies need: the DSP ODRL profile context defines only `use`, the
operators and the logical terms, so bare names such as `"leftOperand": "dateTime"` or `"action": "read"` would
expand to document-relative IRIs; expanding with `@vocab` set to the ODRL namespace makes them ODRL terms."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib.resources import files
from typing import Any

from pyld import jsonld

from .vocab import ODRL

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
DSP_ODRL_PROFILE = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"
W3C_ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"

_SHIPPED = {
    DSP_CONTEXT: "dspace-2025-1.jsonld",
    DSP_ODRL_PROFILE: "dspace-2025-1-odrl-profile.jsonld",
    W3C_ODRL_CONTEXT: "w3c-odrl.jsonld",
    "https://www.w3.org/ns/odrl.jsonld": "w3c-odrl.jsonld",
    "http://www.w3.org/ns/odrl/2/odrl.jsonld": "w3c-odrl.jsonld",
    "https://www.w3.org/ns/odrl/2/odrl.jsonld": "w3c-odrl.jsonld",
}


class ContextNotShipped(ValueError):
    pass


@cache
def _shipped_document(url: str) -> dict[str, Any]:
    name = _SHIPPED[url]
    return json.loads((files("policies") / "data" / "contexts" / name).read_text(encoding="utf-8"))


def shipped_context(url: str) -> dict[str, Any]:
    return _shipped_document(url)


def document_loader(url: str, options: dict | None = None) -> dict[str, Any]:
    if url not in _SHIPPED:
        raise ContextNotShipped(
            f"JSON-LD context <{url}> is not shipped with JNT Data Space and is never fetched over the network; "
            f"use one of: {', '.join(sorted(set(_SHIPPED) - {'https://www.w3.org/ns/odrl.jsonld'}))}"
        )
    # The "static" tag lets pyld cache the processed context: shipped contexts never change within a process.
    # A fresh copy each time: pyld's `@import` processing edits the document it is given in place, and a cached
    # document edited once is refused the next time ("protected term redefinition").
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_shipped_document(url)),
            "tag": "static"}


def _with_policy_context(doc: Any) -> Any:
    """A policy standing alone with only the DSP context gets the DSP ODRL profile too (inside DSP messages the
    profile is imported by the message's scoped context; outside, `permission` etc. would be undefined)."""
    if not isinstance(doc, dict) or "@context" not in doc:
        return doc
    ctx = doc["@context"]
    ctx_list = ctx if isinstance(ctx, list) else [ctx]
    if DSP_CONTEXT in ctx_list and DSP_ODRL_PROFILE not in ctx_list:
        return {**doc, "@context": [*ctx_list, DSP_ODRL_PROFILE]}
    return doc


def flatten(doc: Any) -> list[dict[str, Any]]:
    """The document's node objects, flattened and expanded (absolute IRIs), ODRL terms resolved."""
    options = {
        "expandContext": {"@vocab": ODRL},
        "documentLoader": document_loader,
        "base": "",
    }
    flat = jsonld.flatten(_with_policy_context(doc), None, options)
    return flat if isinstance(flat, list) else flat.get("@graph", [])


def compact(expanded: Any, context: Any) -> dict[str, Any]:
    return jsonld.compact(expanded, context, {"documentLoader": document_loader})


JsonLdError = jsonld.JsonLdError
