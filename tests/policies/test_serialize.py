"""Writing policies back out: compact DSP-shaped JSON-LD that parses back to the same model, and Turtle that
parses back to the same rules."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from policies import (
    Literal,
    LogicalConstraint,
    Policy,
    World,
    compile_policy,
    parse_policy,
    request_from_json,
)
from policies.serialize import to_jsonld, to_turtle
from policies.templates import Restrictions, offer_template
from policies.values import Kind, coerce

DSP = "https://w3id.org/dspace/2025/1/context.jsonld"
W3C = "http://www.w3.org/ns/odrl.jsonld"
ODRL = "http://www.w3.org/ns/odrl/2/"
XSD = "http://www.w3.org/2001/XMLSchema#"
NANTES_WKT = "POLYGON((-1.556 47.216, -1.551 47.216, -1.551 47.221, -1.556 47.221, -1.556 47.216))"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _templates() -> dict[str, Policy]:
    every = Restrictions(
        categories=["public", "private"],
        recipients=["did:web:a.example", "did:web:b.example"],
        purposes=["flood-risk-simulation", "research"],
        valid_from=at(2026, 1, 1),
        valid_until=at(2027, 1, 1),
        max_count=5,
        territories=["44109", "44184"],
        actions=["aggregate", "read"],
        no_distribute=True,
        delete_at_end=True,
    )
    return {
        "etalab": offer_template("etalab-2.0", "public", uid="urn:offer:etalab"),
        "odbl": offer_template("odbl-1.0", "public", uid="urn:offer:odbl", target="urn:data:x"),
        "cc-by": offer_template("cc-by-4.0", "public", uid="urn:offer:cc-by", assigner="did:web:p.example"),
        "cc0": offer_template("cc0-1.0", "public", uid="urn:offer:cc0"),
        "restricted": offer_template(
            "restricted",
            "restricted",
            every,
            uid="urn:offer:restricted",
            target="urn:data:x",
            assigner="did:web:p.example",
        ),
        "duration": offer_template(
            "restricted",
            "restricted",
            Restrictions(duration="P1M", delete_at_end=True),
            uid="urn:offer:duration",
        ),
        "non-public": offer_template(
            "restricted", "non-public", Restrictions(recipients=["did:web:a.example"]), uid="urn:offer:np"
        ),
    }


PROHIBITION_AND_REMEDY = {
    "@context": [DSP],
    "@id": "urn:agreement:1",
    "@type": "Agreement",
    "target": "urn:data:x",
    "assigner": "did:web:provider.example",
    "assignee": "did:web:consumer.example",
    "odrl:timestamp": {"@value": "2026-01-01T10:00:00Z", "@type": "xsd:dateTime"},
    "odrl:conflict": {"@id": "odrl:prohibit"},
    "permission": [
        {
            "@id": "urn:perm:1",
            "action": "use",
            "duty": [
                {
                    "@id": "urn:duty:pay",
                    "action": "compensate",
                    "constraint": [
                        {
                            "leftOperand": "count",
                            "operator": "gt",
                            "rightOperand": {"@value": "3", "@type": "xsd:integer"},
                        }
                    ],
                }
            ],
        }
    ],
    "prohibition": [
        {
            "@id": "urn:proh:1",
            "action": "distribute",
            "odrl:remedy": [{"@id": "urn:remedy:1", "action": "delete"}],
        }
    ],
    "obligation": [
        {
            "@id": "urn:obligation:1",
            "action": "inform",
            "odrl:consequence": [{"@id": "urn:consequence:1", "action": "compensate"}],
        }
    ],
}

LOGICAL = {
    "@context": [DSP],
    "@id": "urn:set:logical",
    "@type": "Set",
    "permission": [
        {
            "action": "use",
            "constraint": [
                {
                    "or": [
                        {"leftOperand": "purpose", "operator": "isA", "rightOperand": "risk-management"},
                        {
                            "xone": [
                                {
                                    "leftOperand": "count",
                                    "operator": "lt",
                                    "rightOperand": {"@value": "3", "@type": "xsd:integer"},
                                },
                                {"leftOperand": "industry", "operator": "eq", "rightOperand": "utilities"},
                            ]
                        },
                    ]
                },
                {
                    "andSequence": {
                        "@list": [
                            {
                                "leftOperand": "dateTime",
                                "operator": "gteq",
                                "rightOperand": {"@value": "2026-01-01", "@type": "xsd:date"},
                            },
                            {
                                "leftOperand": "elapsedTime",
                                "operator": "lteq",
                                "rightOperand": {"@value": "P1Y", "@type": "xsd:duration"},
                            },
                        ]
                    }
                },
                {
                    "leftOperand": "spatial",
                    "operator": "isPartOf",
                    "rightOperand": {
                        "@value": {
                            "type": "Polygon",
                            "coordinates": [
                                [[-1.6, 47.2], [-1.5, 47.2], [-1.5, 47.25], [-1.6, 47.25], [-1.6, 47.2]]
                            ],
                        },
                        "@type": "@json",
                    },
                },
            ],
        }
    ],
}

REFINED_ACTION = {
    "@context": W3C,
    "uid": "urn:set:print",
    "@type": "Set",
    "permission": [
        {
            "target": "urn:doc",
            "action": [
                {
                    "rdf:value": {"@id": "odrl:print"},
                    "refinement": [
                        {"leftOperand": "fileFormat", "operator": "eq", "rightOperand": "application/pdf"}
                    ],
                }
            ],
        }
    ],
}

COLLECTIONS = {
    "@context": W3C,
    "uid": "urn:set:collections",
    "@type": "Set",
    "permission": [
        {
            "action": "read",
            "target": {"@id": "urn:collection:flood", "@type": "AssetCollection"},
            "assignee": {
                "@id": "urn:public-bodies",
                "@type": "PartyCollection",
                "refinement": [
                    {
                        "leftOperand": "https://w3id.org/jnt/odrl/recipientCategory",
                        "operator": "eq",
                        "rightOperand": {"@id": "https://w3id.org/jnt/odrl/category/public-body"},
                    }
                ],
            },
        }
    ],
}

INHERITING = {
    "@context": [DSP],
    "@id": "urn:set:child",
    "@type": "Set",
    "profile": "https://w3id.org/jnt/odrl/profile/2025-1",
    "odrl:inheritFrom": [{"@id": "urn:set:parent"}],
    "action": "read",
    "permission": [
        {
            "constraint": [
                {
                    "leftOperand": "recipient",
                    "operator": "isAnyOf",
                    "rightOperand": [{"@id": "did:web:a.example"}, {"@id": "did:web:b.example"}],
                }
            ]
        }
    ],
}

DOCUMENTS = {
    "prohibition-remedy": PROHIBITION_AND_REMEDY,
    "logical": LOGICAL,
    "refined-action": REFINED_ACTION,
    "collections": COLLECTIONS,
    "inheriting": INHERITING,
}


def _all() -> dict[str, Policy]:
    return {**_templates(), **{name: parse_policy(doc) for name, doc in DOCUMENTS.items()}}


ALL = _all()


# ------------------------------------------------------------------------------------------------------------
# JSON-LD


@pytest.mark.parametrize("name", sorted(ALL))
def test_jsonld_round_trip(name):
    policy = ALL[name]
    doc = to_jsonld(policy)
    assert doc["@context"] == [DSP]
    assert doc["@id"] == policy.uid
    again = parse_policy(doc)
    assert again == policy
    # Through text too, as a connector sends it.
    assert parse_policy(json.dumps(doc)) == policy


def test_jsonld_shape_of_an_open_offer():
    assert to_jsonld(ALL["etalab"]) == {
        "@context": [DSP],
        "@id": "urn:offer:etalab",
        "@type": "Offer",
        "profile": "https://w3id.org/jnt/odrl/profile/2025-1",
        "permission": [{"action": "use", "duty": [{"action": "odrl:attribute"}]}],
    }


def test_jsonld_shape_details():
    doc = to_jsonld(ALL["prohibition-remedy"])
    assert doc["@type"] == "Agreement"
    assert doc["target"] == "urn:data:x" and doc["assignee"] == "did:web:consumer.example"
    assert doc["odrl:conflict"] == {"@id": ODRL + "prohibit"}
    assert doc["odrl:timestamp"] == {"@value": "2026-01-01T10:00:00Z", "@type": "xsd:dateTime"}
    assert doc["prohibition"][0]["odrl:remedy"] == [{"@id": "urn:remedy:1", "action": "odrl:delete"}]
    assert doc["obligation"][0]["odrl:consequence"] == [
        {"@id": "urn:consequence:1", "action": "odrl:compensate"}
    ]
    without = to_jsonld(ALL["etalab"], with_context=False)
    assert "@context" not in without and without["@id"] == "urn:offer:etalab"


def test_jsonld_of_a_refined_action_and_collections():
    action = to_jsonld(ALL["refined-action"])["permission"][0]["action"]
    assert action["http://www.w3.org/1999/02/22-rdf-syntax-ns#value"] == {"@id": ODRL + "print"}
    assert action["odrl:refinement"][0]["leftOperand"] == "odrl:fileFormat"
    rule = to_jsonld(ALL["collections"])["permission"][0]
    assert rule["target"] == {"@id": "urn:collection:flood", "@type": "odrl:AssetCollection"}
    assert rule["assignee"]["@type"] == "odrl:PartyCollection" and rule["assignee"]["odrl:refinement"]


def test_round_tripped_policy_decides_alike():
    policy = ALL["logical"]
    again = parse_policy(to_jsonld(policy))
    requests = [
        ({"purpose": "flood-risk-simulation", "area": "44109"}, World(now=at(2026, 2, 1))),
        ({"purpose": "flood-risk-simulation", "territory": "44184"}, World(now=at(2026, 2, 1))),
        (
            {
                "purpose": "urban-planning",
                "industry": "utilities",
                "area": NANTES_WKT,
            },
            World(now=at(2026, 2, 1), count=5),
        ),
        ({"purpose": "urban-planning"}, World(now=at(2026, 2, 1))),
    ]
    outcomes = []
    for request, world in requests:
        first = compile_policy(policy).decide(request_from_json(request), world)
        second = compile_policy(again).decide(request_from_json(request), world)
        assert first.to_json("en") == second.to_json("en")
        outcomes.append(first.outcome)
    assert outcomes == ["not-applicable", "not-applicable", "permit", "not-applicable"]


# ------------------------------------------------------------------------------------------------------------
# Turtle


def _semantic(value):
    """The model with unordered collections sorted (an RDF graph has no order) and date-time literals compared
    as instants (rdflib rewrites their lexical form, see test_parse.test_turtle_keeps_datetime_lexical_form).
    andSequence operands are sorted too: their order is lost on the way to Turtle (see
    test_and_sequence_is_written_as_a_list)."""
    if isinstance(value, Literal) and value.datatype in (XSD + "dateTime", XSD + "date"):
        return Literal(coerce(value, Kind.DATETIME).isoformat(), value.datatype)
    if isinstance(value, tuple):
        return tuple(sorted((_semantic(v) for v in value), key=repr))
    if isinstance(value, Policy):
        # timestamp is a plain string in the model
        value = dataclasses.replace(
            value, timestamp=value.timestamp and _semantic(Literal(value.timestamp, XSD + "dateTime")).lexical
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: _semantic(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        )
    return value


@pytest.mark.parametrize("name", sorted(ALL))
def test_turtle_round_trip_gives_the_same_rules(name):
    policy = ALL[name]
    text = to_turtle(policy)
    assert text.startswith("@prefix")
    again = parse_policy(text, format="turtle")
    assert again.uid == policy.uid and again.type == policy.type
    assert _semantic(again) == _semantic(policy)
    assert sorted(r.uid or "" for r in again.rules) == sorted(r.uid or "" for r in policy.rules)


def test_turtle_is_sniffed_without_format():
    assert _semantic(parse_policy(to_turtle(ALL["restricted"]))) == _semantic(ALL["restricted"])


def test_turtle_uses_prefixes():
    text = to_turtle(ALL["restricted"])
    assert "@prefix odrl: <http://www.w3.org/ns/odrl/2/>" in text
    assert "odrl:Offer" in text and "odrl:isPartOf" in text
    assert "jnt:recipientCategory" in text


def test_and_sequence_order_is_kept_in_jsonld():
    again = parse_policy(to_jsonld(ALL["logical"]))
    sequence = next(
        c
        for c in again.permissions[0].constraints
        if isinstance(c, LogicalConstraint) and c.operator == ODRL + "andSequence"
    )
    assert [c.left_operand for c in sequence.operands] == [ODRL + "dateTime", ODRL + "elapsedTime"]


def test_and_sequence_is_written_as_a_list():
    doc = to_jsonld(ALL["logical"])
    sequence = next(c for c in doc["permission"][0]["constraint"] if "andSequence" in c)
    assert isinstance(sequence["andSequence"], dict) and "@list" in sequence["andSequence"]
    assert "odrl:andSequence (" in to_turtle(ALL["logical"])
