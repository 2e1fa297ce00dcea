"""DSP 2025-1 documents in the JSON-LD forms other than the canonical compact one: expanded (what an RDF-minded peer
sends, or what the kit does before checking a body) and compacted under a peer's own prefixes. Only the contexts
shipped in ``policies`` are used, never fetched.

The reference expansion uses the DSP context with its ``@import`` of the ODRL profile merged in by hand, as
``tests/connector/dsp/test_wire.py`` does: pyld 3 edits an imported context in place and caches it per importing
context, so expanding through the context URL would depend on what was expanded before in the process."""

from __future__ import annotations

import copy
from typing import Any

from pyld import jsonld

from policies.jsonld import DSP_CONTEXT, DSP_ODRL_PROFILE, document_loader, shipped_context
from policies.vocab import DCT, DSPACE, ODRL

DCAT = "http://www.w3.org/ns/dcat#"


def merged_context() -> dict[str, Any]:
    """The shipped DSP context, every type-scoped ``@import`` of the ODRL profile replaced by the profile's terms."""
    profile = copy.deepcopy(shipped_context(DSP_ODRL_PROFILE))["@context"]
    merged: dict[str, Any] = {}
    for term, definition in copy.deepcopy(shipped_context(DSP_CONTEXT))["@context"].items():
        scoped = definition.get("@context") if isinstance(definition, dict) else None
        if isinstance(scoped, dict) and "@import" in scoped:
            local = {key: value for key, value in scoped.items() if key != "@import"}
            definition = {**definition, "@context": {**profile, **local}}
        merged[term] = definition
    return merged


def expand(doc: dict[str, Any], *, odrl_vocab: bool = True) -> list[dict[str, Any]]:
    """``doc`` (canonical compact form) expanded. With ``odrl_vocab`` bare names (``"action": "use"``) become ODRL
    IRIs, as ``policies`` reads DSP policies."""
    options: dict[str, Any] = {"documentLoader": document_loader, "base": None}
    if odrl_vocab:
        options["expandContext"] = {"@vocab": ODRL}
    context = doc.get("@context")
    assert context == [DSP_CONTEXT] or context == DSP_CONTEXT, context
    return jsonld.expand({**copy.deepcopy(doc), "@context": [merged_context()]}, options)


def prefixed(doc: dict[str, Any], prefix: str = "ds") -> dict[str, Any]:
    """``doc`` compacted under a peer's own prefixes (``ds:consumerPid``, ``odrl:permission``...) instead of the DSP
    context: the same graph, another compaction (its context in an array, as DSP 2025-1 requires)."""
    prefixes = {prefix: DSPACE, "odrl": ODRL, "dcat": DCAT, "dct": DCT}
    # A copy: pyld's context cache may hand out the very `@context` object of an earlier compaction with the same
    # context, so editing the result would edit the next one.
    compacted = copy.deepcopy(jsonld.compact(expand(doc), prefixes, {"documentLoader": document_loader, "base": None}))
    compacted["@context"] = [compacted["@context"]]  # DSP 2025-1: `@context` is always an array
    return compacted
