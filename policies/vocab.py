"""Namespaces and the fixed vocabulary the engine speaks: ODRL 2.2 core terms, the JNT profile namespace,
and the transitive `odrl:includedIn` closure of actions (shipped as data, derived from the W3C vocabulary)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

ODRL = "http://www.w3.org/ns/odrl/2/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCT = "http://purl.org/dc/terms/"
CC = "http://creativecommons.org/ns#"
DSPACE = "https://w3id.org/dspace/2025/1/"
# The JNT policy profile: left operands and values the ODRL Common Vocabulary does not define.
JNT = "https://w3id.org/jnt/odrl/"
JNT_PROFILE = "https://w3id.org/jnt/odrl/profile/2025-1"
DPV = "https://w3id.org/dpv#"
DPV_LEGACY = "http://www.w3.org/ns/dpv#"
GEO = "http://www.opengis.net/ont/geosparql#"

POLICY_CLASSES = {
    ODRL + "Policy": "Set",
    ODRL + "Set": "Set",
    ODRL + "Offer": "Offer",
    ODRL + "Agreement": "Agreement",
    ODRL + "Request": "Request",
    ODRL + "Privacy": "Privacy",
    ODRL + "Ticket": "Ticket",
    ODRL + "Assertion": "Assertion",
}

OPERATORS = frozenset(
    ODRL + name
    for name in (
        "eq", "neq", "lt", "lteq", "gt", "gteq",
        "isA", "hasPart", "isPartOf", "isAllOf", "isAnyOf", "isNoneOf",
    )
)
LOGICAL_OPERATORS = (ODRL + "and", ODRL + "or", ODRL + "xone", ODRL + "andSequence")
CONFLICT_TERMS = {ODRL + "perm": "perm", ODRL + "prohibit": "prohibit", ODRL + "invalid": "invalid"}

USE = ODRL + "use"
TRANSFER = ODRL + "transfer"

# Prefixes accepted in compact IRIs written by hand (CLI requests, templates) and used to shorten IRIs in
# explanations.
PREFIXES = {
    "odrl": ODRL,
    "xsd": XSD,
    "rdf": RDF,
    "dct": DCT,
    "cc": CC,
    "dspace": DSPACE,
    "jnt": JNT,
    "dpv": DPV,
    "geo": GEO,
}


def short(iri: str) -> str:
    """The local name of an ODRL term, or a compact IRI for the other known namespaces."""
    if iri.startswith(ODRL):
        return iri[len(ODRL):]
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def expand_curie(text: str) -> str:
    """Expand `odrl:read` / `jnt:recipientCategory`; absolute IRIs and unknown prefixes are returned as is."""
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return text


@cache
def _closure() -> dict[str, frozenset[str]]:
    raw = json.loads((files("policies") / "data" / "action-closure.json").read_text(encoding="utf-8"))
    return {action: frozenset(included) for action, included in raw.items()}


def known_actions() -> frozenset[str]:
    return frozenset(_closure())


def action_closure(action: str) -> frozenset[str]:
    """Every action that `action` is included in (itself first among them): a permission or prohibition on
    any of these also governs `action`. Deprecated actions are mapped to their replacement. An action outside
    the ODRL vocabulary (a profile action) is included only in itself."""
    return _closure().get(action, frozenset((action,)))


def canonical_action(action: str) -> str:
    """Replace a deprecated ODRL action (e.g. `write`) by its `skos:exactMatch` replacement (`modify`)."""
    included = _closure().get(action)
    if included is None or action in included:
        return action
    # The closure of a deprecated action starts from its replacement: the one member that is not `use`/`transfer`
    # unless that is all there is.
    candidates = sorted(included, key=lambda a: len(_closure().get(a, ())))
    return candidates[-1]
