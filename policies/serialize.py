"""Writing a policy back out: compact JSON-LD in the DSP 2025-1 shape (`@context` = the DSP context, policy-level
`target` / `assigner` / `assignee`, rules with `action`, `constraint`, `duty`), and Turtle. ODRL terms the DSP
context does not define are written as `odrl:` compact IRIs, so any JSON-LD processor reads them right; profile
terms are written as full IRIs."""

from __future__ import annotations

from typing import Any

from .jsonld import DSP_CONTEXT, DSP_ODRL_PROFILE, document_loader
from .model import IRI, Action, AnyConstraint, Asset, Constraint, Literal, Party, Policy, Rule, Value
from .vocab import ODRL, RDF, XSD

_DSP_TERMS = {ODRL + "use": "use"}
_DSP_OPERATORS = {ODRL + o: o for o in ("eq", "neq", "lt", "lteq", "gt", "gteq", "isA", "hasPart", "isPartOf",
                                        "isAllOf", "isAnyOf", "isNoneOf")}
_LOGICAL = {ODRL + o: o for o in ("and", "or", "xone", "andSequence")}


def _term(iri: str) -> str:
    if iri in _DSP_TERMS:
        return _DSP_TERMS[iri]
    if iri.startswith(ODRL):
        return "odrl:" + iri[len(ODRL):]
    return iri


def _value(value: Value) -> Any:
    if isinstance(value, IRI):
        return {"@id": value.value}
    if value.datatype is None and value.language is None:
        return value.lexical
    out: dict[str, Any] = {"@value": value.lexical}
    if value.datatype:
        out["@type"] = "xsd:" + value.datatype[len(XSD):] if value.datatype.startswith(XSD) else value.datatype
    if value.language:
        out["@language"] = value.language
    return out


def _constraint(c: AnyConstraint) -> dict[str, Any]:
    if not isinstance(c, Constraint):
        operands = [_constraint(x) for x in c.operands]
        # Only andSequence is ordered: JSON-LD arrays are sets unless written as @list.
        value = {"@list": operands} if c.operator == ODRL + "andSequence" else operands
        return {_LOGICAL[c.operator]: value, **({"@id": c.uid} if c.uid else {})}
    out: dict[str, Any] = {}
    if c.uid:
        out["@id"] = c.uid
    out["leftOperand"] = _term(c.left_operand)
    out["operator"] = _DSP_OPERATORS.get(c.operator, c.operator)
    if c.right_operand_reference:
        out["odrl:rightOperandReference"] = {"@id": c.right_operand_reference}
    else:
        values = [_value(v) for v in c.right_operand]
        out["rightOperand"] = values[0] if len(values) == 1 else values
    if c.unit:
        out["odrl:unit"] = {"@id": c.unit}
    if c.data_type:
        out["odrl:dataType"] = {"@id": c.data_type}
    return out


def _action(action: Action) -> Any:
    if not action.refinements:
        return _term(action.iri)
    return {RDF + "value": {"@id": action.iri}, "odrl:refinement": [_constraint(c) for c in action.refinements]}


def _party(party: Party | Asset) -> Any:
    if not party.collection and not party.refinements:
        return party.iri
    out: dict[str, Any] = {}
    if party.iri:
        out["@id"] = party.iri
    out["@type"] = "odrl:PartyCollection" if isinstance(party, Party) else "odrl:AssetCollection"
    if party.source:
        out["odrl:source"] = {"@id": party.source}
    if party.refinements:
        out["odrl:refinement"] = [_constraint(c) for c in party.refinements]
    return out


def _one_or_many(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else items


def _rule(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rule.uid:
        out["@id"] = rule.uid
    if rule.actions:
        out["action"] = _one_or_many([_action(a) for a in rule.actions])
    for key, items in (("target", rule.targets), ("assignee", rule.assignees), ("assigner", rule.assigners)):
        if items:
            out[key] = _one_or_many([_party(p) for p in items])
    if rule.informed_parties:
        out["odrl:informedParty"] = _one_or_many([_party(p) for p in rule.informed_parties])
    if rule.constraints:
        out["constraint"] = [_constraint(c) for c in rule.constraints]
    if rule.duties:
        out["duty"] = [_rule(d) for d in rule.duties]
    if rule.remedies:
        out["odrl:remedy"] = [_rule(d) for d in rule.remedies]
    if rule.consequences:
        out["odrl:consequence"] = [_rule(d) for d in rule.consequences]
    return out


def to_jsonld(policy: Policy, *, with_context: bool = True) -> dict[str, Any]:
    """The policy as a compact JSON-LD object in the DSP 2025-1 shape."""
    out: dict[str, Any] = {}
    if with_context:
        out["@context"] = [DSP_CONTEXT]
    out["@id"] = policy.uid
    out["@type"] = policy.type if policy.type in ("Offer", "Agreement", "Set") else "odrl:" + policy.type
    if policy.profiles:
        out["profile"] = _one_or_many(list(policy.profiles))
    for key, items in (("target", policy.targets), ("assigner", policy.assigners), ("assignee", policy.assignees)):
        if items:
            out[key] = _one_or_many([_party(p) for p in items])
    if policy.actions:
        out["action"] = _one_or_many([_action(a) for a in policy.actions])
    if policy.timestamp:
        out["odrl:timestamp"] = {"@value": policy.timestamp, "@type": "xsd:dateTime"}
    if policy.inherit_from:
        out["odrl:inheritFrom"] = [{"@id": uid} for uid in policy.inherit_from]
    if policy.conflict:
        out["odrl:conflict"] = {"@id": ODRL + policy.conflict}
    for key, rules in (("permission", policy.permissions), ("prohibition", policy.prohibitions),
                       ("obligation", policy.obligations)):
        if rules:
            out[key] = [_rule(r) for r in rules]
    return out


def to_turtle(policy: Policy) -> str:
    import rdflib
    from pyld import jsonld

    doc = to_jsonld(policy)
    doc["@context"] = [DSP_CONTEXT, DSP_ODRL_PROFILE]
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": document_loader,
                                 "expandContext": {"@vocab": ODRL}})
    graph = rdflib.Graph()
    graph.parse(data=nquads, format="nt")  # no named graph: N-Quads here are N-Triples
    graph.bind("odrl", ODRL)
    graph.bind("xsd", XSD)
    graph.bind("jnt", "https://w3id.org/jnt/odrl/")
    return graph.serialize(format="turtle")


__all__ = ["Literal", "to_jsonld", "to_turtle"]
