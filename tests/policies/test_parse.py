"""Reading policies: the same policy written with the W3C ODRL context, the DSP 2025-1 context, as expanded
JSON-LD and as Turtle gives the same model; bad input is refused with a problem naming the element at
fault."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from policies import (
    IRI,
    Action,
    Constraint,
    Literal,
    LogicalConstraint,
    Policy,
    PolicyError,
    World,
    compile_policy,
    parse_policies,
    parse_policy,
    request_from_json,
)

DSP = "https://w3id.org/dspace/2025/1/context.jsonld"
W3C = "http://www.w3.org/ns/odrl.jsonld"
ODRL = "http://www.w3.org/ns/odrl/2/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PURPOSE = "https://w3id.org/jnt/purpose/"


def canon(value):
    """The model with every unordered collection sorted (RDF graphs have no order; andSequence keeps its
    own)."""
    if isinstance(value, LogicalConstraint) and value.operator == ODRL + "andSequence":
        return dataclasses.replace(value, operands=tuple(canon(v) for v in value.operands))
    if isinstance(value, tuple):
        return tuple(sorted((canon(v) for v in value), key=repr))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: canon(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        )
    return value


# ------------------------------------------------------------------------------------------------------------
# One policy, four syntaxes


W3C_DOC = {
    "@context": W3C,
    "uid": "urn:policy:flood",
    "@type": "Offer",
    "target": "urn:data:flood",
    "assigner": "did:web:provider.example",
    "permission": [
        {
            "uid": "urn:rule:use",
            "action": "use",
            "constraint": [
                {
                    "leftOperand": "purpose",
                    "operator": "isAnyOf",
                    "rightOperand": [
                        {"@id": PURPOSE + "flood-risk-simulation"},
                        {"@id": PURPOSE + "crisis-management"},
                    ],
                },
                {
                    "leftOperand": "dateTime",
                    "operator": "lt",
                    "rightOperand": {"@value": "2027-01-01", "@type": "xsd:date"},
                },
                {
                    "leftOperand": "count",
                    "operator": "lteq",
                    "rightOperand": {"@value": "5", "@type": "xsd:integer"},
                },
            ],
            "duty": [{"uid": "urn:duty:attribute", "action": "attribute"}],
        }
    ],
    "prohibition": [{"uid": "urn:rule:no-distribute", "action": "distribute"}],
}

DSP_DOC = {
    "@context": [DSP],
    "@id": "urn:policy:flood",
    "@type": "Offer",
    "target": "urn:data:flood",
    "assigner": "did:web:provider.example",
    "permission": [
        {
            "@id": "urn:rule:use",
            "action": "use",
            "constraint": [
                {
                    "leftOperand": "purpose",
                    "operator": "isAnyOf",
                    "rightOperand": [
                        {"@id": PURPOSE + "flood-risk-simulation"},
                        {"@id": PURPOSE + "crisis-management"},
                    ],
                },
                {
                    "leftOperand": "dateTime",
                    "operator": "lt",
                    "rightOperand": {"@value": "2027-01-01", "@type": "xsd:date"},
                },
                {
                    "leftOperand": "count",
                    "operator": "lteq",
                    "rightOperand": {"@value": "5", "@type": "xsd:integer"},
                },
            ],
            "duty": [{"@id": "urn:duty:attribute", "action": "attribute"}],
        }
    ],
    "prohibition": [{"@id": "urn:rule:no-distribute", "action": "distribute"}],
}


def _o(name: str) -> str:
    return ODRL + name


EXPANDED_DOC = [
    {
        "@id": "urn:policy:flood",
        "@type": [_o("Offer")],
        _o("target"): [{"@id": "urn:data:flood"}],
        _o("assigner"): [{"@id": "did:web:provider.example"}],
        _o("permission"): [
            {
                "@id": "urn:rule:use",
                _o("action"): [{"@id": _o("use")}],
                _o("constraint"): [
                    {
                        _o("leftOperand"): [{"@id": _o("purpose")}],
                        _o("operator"): [{"@id": _o("isAnyOf")}],
                        _o("rightOperand"): [
                            {"@id": PURPOSE + "flood-risk-simulation"},
                            {"@id": PURPOSE + "crisis-management"},
                        ],
                    },
                    {
                        _o("leftOperand"): [{"@id": _o("dateTime")}],
                        _o("operator"): [{"@id": _o("lt")}],
                        _o("rightOperand"): [{"@value": "2027-01-01", "@type": XSD + "date"}],
                    },
                    {
                        _o("leftOperand"): [{"@id": _o("count")}],
                        _o("operator"): [{"@id": _o("lteq")}],
                        _o("rightOperand"): [{"@value": "5", "@type": XSD + "integer"}],
                    },
                ],
                _o("duty"): [{"@id": "urn:duty:attribute", _o("action"): [{"@id": _o("attribute")}]}],
            }
        ],
        _o("prohibition"): [{"@id": "urn:rule:no-distribute", _o("action"): [{"@id": _o("distribute")}]}],
    }
]

TURTLE_DOC = """
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix purpose: <https://w3id.org/jnt/purpose/> .

<urn:policy:flood> a odrl:Offer ;
    odrl:target <urn:data:flood> ;
    odrl:assigner <did:web:provider.example> ;
    odrl:permission <urn:rule:use> ;
    odrl:prohibition <urn:rule:no-distribute> .

<urn:rule:use> a odrl:Permission ;
    odrl:action odrl:use ;
    odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isAnyOf ;
                      odrl:rightOperand ( purpose:flood-risk-simulation purpose:crisis-management ) ] ,
                    [ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ;
                      odrl:rightOperand "2027-01-01"^^xsd:date ] ,
                    [ odrl:leftOperand odrl:count ; odrl:operator odrl:lteq ; odrl:rightOperand 5 ] ;
    odrl:duty <urn:duty:attribute> .

<urn:duty:attribute> odrl:action odrl:attribute .
<urn:rule:no-distribute> odrl:action odrl:distribute .
"""


@pytest.fixture(scope="module")
def from_w3c() -> Policy:
    return parse_policy(W3C_DOC)


def test_w3c_form_reads_the_expected_model(from_w3c):
    p = from_w3c
    assert p.uid == "urn:policy:flood" and p.type == "Offer"
    assert [t.iri for t in p.targets] == ["urn:data:flood"]
    assert [a.iri for a in p.assigners] == ["did:web:provider.example"]
    (perm,) = p.permissions
    assert perm.uid == "urn:rule:use" and perm.actions == (Action(_o("use")),)
    assert perm.constraints == (
        Constraint(
            _o("purpose"),
            _o("isAnyOf"),
            (IRI(PURPOSE + "flood-risk-simulation"), IRI(PURPOSE + "crisis-management")),
        ),
        Constraint(_o("dateTime"), _o("lt"), (Literal("2027-01-01", XSD + "date"),)),
        Constraint(_o("count"), _o("lteq"), (Literal("5", XSD + "integer"),)),
    )
    assert [(d.uid, d.action.iri) for d in perm.duties] == [("urn:duty:attribute", _o("attribute"))]
    assert [(r.uid, r.action.iri) for r in p.prohibitions] == [("urn:rule:no-distribute", _o("distribute"))]


@pytest.mark.parametrize(
    "source",
    [DSP_DOC, EXPANDED_DOC, json.dumps(DSP_DOC), json.dumps(W3C_DOC).encode()],
    ids=["dsp", "expanded", "dsp-text", "w3c-bytes"],
)
def test_jsonld_forms_are_equal(source, from_w3c):
    assert parse_policy(source) == from_w3c


def test_turtle_form_is_equal(from_w3c):
    from_turtle = parse_policy(TURTLE_DOC)
    assert canon(from_turtle) == canon(from_w3c)
    assert from_turtle.uid == from_w3c.uid
    assert [r.uid for r in from_turtle.rules] == ["urn:rule:use", "urn:rule:no-distribute"]
    # The rdf:List keeps its order.
    purpose = next(c for c in from_turtle.permissions[0].constraints if c.left_operand == _o("purpose"))
    assert purpose.right_operand == (
        IRI(PURPOSE + "flood-risk-simulation"),
        IRI(PURPOSE + "crisis-management"),
    )


def test_files_are_read_by_suffix(tmp_path, from_w3c):
    ttl = tmp_path / "policy.ttl"
    ttl.write_text(TURTLE_DOC, encoding="utf-8")
    js = tmp_path / "policy.jsonld"
    js.write_text(json.dumps(DSP_DOC), encoding="utf-8")
    assert canon(parse_policy(ttl)) == canon(from_w3c)
    assert parse_policy(js) == from_w3c


def test_all_forms_decide_alike():
    request = request_from_json({"purpose": "crisis-management"})
    world = World(now=datetime(2026, 6, 1, tzinfo=UTC), count=4)
    for source in (W3C_DOC, DSP_DOC, EXPANDED_DOC, TURTLE_DOC):
        decision = compile_policy(parse_policy(source)).decide(request, world)
        assert decision.outcome == "permit"
        assert [d.duty.uid for d in decision.duties] == ["urn:duty:attribute"]


def test_turtle_keeps_datetime_lexical_form():
    jsonld = {
        "@context": [DSP],
        "@id": "urn:p:z",
        "@type": "Set",
        "permission": [
            {
                "action": "use",
                "constraint": [
                    {
                        "leftOperand": "dateTime",
                        "operator": "lt",
                        "rightOperand": {"@value": "2027-01-01T00:00:00Z", "@type": "xsd:dateTime"},
                    }
                ],
            }
        ],
    }
    turtle = """@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    <urn:p:z> a odrl:Set ; odrl:permission [ odrl:action odrl:use ; odrl:constraint [
      odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ;
      odrl:rightOperand "2027-01-01T00:00:00Z"^^xsd:dateTime ] ] ."""
    assert parse_policy(turtle) == parse_policy(jsonld)


# ------------------------------------------------------------------------------------------------------------
# Right operands: several values or an rdf:List; rightOperandReference


def _turtle_isanyof(right: str) -> str:
    return f"""@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
    <urn:p:list> a odrl:Set ; odrl:permission [ odrl:action odrl:use ; odrl:constraint [
        odrl:leftOperand odrl:fileFormat ; odrl:operator odrl:isAnyOf ; odrl:rightOperand {right} ] ] ."""


def test_several_right_operands_or_a_list_are_the_same_set():
    several = parse_policy(_turtle_isanyof('"text/csv", "application/geo+json"'))
    as_list = parse_policy(_turtle_isanyof('( "text/csv" "application/geo+json" )'))
    assert canon(several) == canon(as_list)
    (constraint,) = as_list.permissions[0].constraints
    assert constraint.right_operand == (Literal("text/csv"), Literal("application/geo+json"))
    for policy in (several, as_list):
        compiled = compile_policy(policy)
        assert compiled.decide(request_from_json({"fileFormat": "application/geo+json"})).permitted
        assert not compiled.decide(request_from_json({"fileFormat": "application/pdf"})).permitted


def test_right_operand_reference_for_a_territory():
    doc = {
        "@context": [DSP],
        "@id": "urn:p:ref",
        "@type": "Set",
        "permission": [
            {
                "action": "use",
                "constraint": [
                    {
                        "leftOperand": "spatial",
                        "operator": "isPartOf",
                        "odrl:rightOperandReference": {"@id": "https://w3id.org/jnt/territory/commune/44109"},
                    }
                ],
            }
        ],
    }
    (constraint,) = parse_policy(doc).permissions[0].constraints
    assert constraint.right_operand_reference == "https://w3id.org/jnt/territory/commune/44109"
    compiled = compile_policy(parse_policy(doc))
    assert compiled.decide(request_from_json({"territory": "44109"})).permitted
    assert not compiled.decide(request_from_json({"territory": "44184"})).permitted


# ------------------------------------------------------------------------------------------------------------
# Refined actions


PRINT_REFINED = {
    "@context": W3C,
    "uid": "urn:p:print",
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


def test_refined_action_under_the_w3c_context():
    (perm,) = parse_policy(PRINT_REFINED).permissions
    assert perm.actions == (
        Action(_o("print"), (Constraint(_o("fileFormat"), _o("eq"), (Literal("application/pdf"),)),)),
    )
    assert perm.constraints == ()
    turtle = """@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
    @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
    <urn:p:print> a odrl:Set ; odrl:permission [ odrl:target <urn:doc> ; odrl:action [ rdf:value odrl:print ;
        odrl:refinement [ odrl:leftOperand odrl:fileFormat ; odrl:operator odrl:eq ;
                          odrl:rightOperand "application/pdf" ] ] ] ."""
    assert parse_policy(turtle) == parse_policy(PRINT_REFINED)


def test_refined_action_without_value_is_refused():
    doc = {
        **PRINT_REFINED,
        "permission": [
            {"action": [{"refinement": PRINT_REFINED["permission"][0]["action"][0]["refinement"]}]}
        ],
    }
    problem = _problems(doc)[0]
    assert problem.code == "bad-action" and problem.path == "permission[0].action"


# ------------------------------------------------------------------------------------------------------------
# Bad input


def _problems(source, **kwargs):
    with pytest.raises(PolicyError) as info:
        parse_policy(source, **kwargs)
    problems = info.value.problems
    assert problems
    for p in problems:
        assert p.message_fr and p.message_en
        assert "Traceback" not in info.value.message("fr") and "Traceback" not in info.value.message("en")
    return problems


def _offer(*constraints, **extra) -> dict:
    return {
        "@context": [DSP],
        "@id": "urn:p:bad",
        "@type": "Offer",
        "permission": [{"action": "use", "constraint": list(constraints)}],
        **extra,
    }


def _one(source, code: str, path: str | None = None, **kwargs):
    problems = _problems(source, **kwargs)
    assert [p.code for p in problems] == [code], problems
    if path is not None:
        assert problems[0].path == path
    return problems[0]


def test_malformed_json():
    p = _one('{"@context": [', "malformed-json", "")
    assert "line 1, column" in p.message_en and "ligne 1, colonne" in p.message_fr


def test_malformed_jsonld():
    p = _one({"@context": 5, "@id": "urn:p"}, "malformed-jsonld", "")
    assert p.message_en.startswith("invalid JSON-LD: ")
    assert "@context" in p.message_en


def test_malformed_jsonld_message_is_not_a_python_tuple():
    p = _one({"@context": 5, "@id": "urn:p"}, "malformed-jsonld", "")
    assert "('" not in p.message_en and "',)" not in p.message_en


def test_context_not_shipped_is_never_fetched():
    p = _one({"@context": "https://example.org/my-context.jsonld", "@id": "urn:p"}, "malformed-jsonld", "")
    assert "https://example.org/my-context.jsonld" in p.message_en
    assert "never fetched over the network" in p.message_en
    assert DSP in p.message_en and W3C in p.message_en  # the accepted contexts are listed


def test_malformed_turtle():
    p = _one(
        "@prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n<urn:p> a odrl:Set ; odrl:permission [ odrl:action",
        "malformed-turtle",
        "",
    )
    assert p.message_en.startswith("invalid Turtle: ") and p.message_fr.startswith("Turtle invalide : ")
    _one("<urn:p> a <urn:x> ; ;;", "malformed-turtle", format="turtle")


def test_unknown_operator():
    p = _one(
        _offer({"leftOperand": "count", "operator": "term-lteq", "rightOperand": 5}),
        "unknown-operator",
        "permission[0].constraint[0].operator",
    )
    assert "term-lteq" in p.message_en and p.path.endswith(".operator")


def test_unknown_left_operand():
    p = _one(
        _offer(
            {"leftOperand": "count", "operator": "lteq", "rightOperand": 5},
            {"leftOperand": "payAmount", "operator": "lteq", "rightOperand": 5},
        ),
        "unknown-left-operand",
        "permission[0].constraint[1].leftOperand",
    )
    assert "payAmount" in p.message_en and "the JNT profile knows" in p.message_en


def test_operator_not_allowed_for_operand():
    p = _one(
        _offer({"leftOperand": "dateTime", "operator": "isA", "rightOperand": "2026-01-01"}),
        "operator-not-allowed",
        "permission[0].constraint[0].operator",
    )
    assert "operator 'isA' does not apply to 'dateTime'" in p.message_en
    _one(
        _offer({"leftOperand": "recipient", "operator": "lt", "rightOperand": "did:web:a"}),
        "operator-not-allowed",
    )


def test_both_right_operands():
    _one(
        _offer(
            {
                "leftOperand": "purpose",
                "operator": "eq",
                "rightOperand": "research",
                "odrl:rightOperandReference": {"@id": "urn:purpose:ref"},
            }
        ),
        "both-right-operands",
        "permission[0].constraint[0]",
    )


def test_missing_right_operand():
    _one(
        _offer({"leftOperand": "purpose", "operator": "eq"}),
        "missing-right-operand",
        "permission[0].constraint[0].rightOperand",
    )


def test_missing_left_operand_and_operator():
    _one(
        _offer({"operator": "eq", "rightOperand": "research"}),
        "missing-left-operand",
        "permission[0].constraint[0].leftOperand",
    )
    _one(
        _offer({"leftOperand": "purpose", "rightOperand": "research"}),
        "missing-operator",
        "permission[0].constraint[0].operator",
    )


@pytest.mark.parametrize(
    ("constraint", "fragment"),
    [
        ({"leftOperand": "count", "operator": "lteq", "rightOperand": "five"}, "'five' is not a number"),
        ({"leftOperand": "count", "operator": "lteq", "rightOperand": "2.5"}, "not a whole number"),
        (
            {
                "leftOperand": "dateTime",
                "operator": "lt",
                "rightOperand": {"@value": "2026-13-45", "@type": "xsd:date"},
            },
            "'2026-13-45' is not an xsd:dateTime or xsd:date",
        ),
        (
            {"leftOperand": "dateTime", "operator": "lt", "rightOperand": {"@id": "urn:not-a-date"}},
            "is an IRI",
        ),
        (
            {"leftOperand": "elapsedTime", "operator": "lteq", "rightOperand": "30 days"},
            "is not an xsd:duration",
        ),
        ({"leftOperand": "purpose", "operator": "eq", "rightOperand": "floods"}, "unknown purpose 'floods'"),
        (
            {"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "99999"},
            "unknown territory '99999'",
        ),
        (
            {"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "POLYGON((0 0, 1 1"},
            "invalid WKT",
        ),
        (
            {"leftOperand": "deliveryChannel", "operator": "eq", "rightOperand": "carrier-pigeon"},
            "unknown delivery channel 'carrier-pigeon'",
        ),
        ({"leftOperand": "fileFormat", "operator": "eq", "rightOperand": "pdf"}, "is not an IANA media type"),
        (
            {
                "leftOperand": "https://w3id.org/jnt/odrl/recipientCategory",
                "operator": "eq",
                "rightOperand": "startup",
            },
            "unknown recipient category 'startup'",
        ),
    ],
)
def test_bad_values(constraint, fragment):
    p = _one(_offer(constraint), "bad-value", "permission[0].constraint[0].rightOperand")
    assert fragment in p.message_en, p.message_en


def test_one_value_expected_for_eq():
    _one(
        _offer({"leftOperand": "purpose", "operator": "eq", "rightOperand": ["research", "urban-planning"]}),
        "one-value-expected",
        "permission[0].constraint[0].rightOperand",
    )


def test_every_problem_is_reported_at_once():
    problems = _problems(
        _offer(
            {"leftOperand": "count", "operator": "term-lteq", "rightOperand": 5},
            {"leftOperand": "purpose", "operator": "eq", "rightOperand": "floods"},
            {"leftOperand": "payAmount", "operator": "eq", "rightOperand": 1},
        )
    )
    assert [(p.path, p.code) for p in problems] == [
        ("permission[0].constraint[0].operator", "unknown-operator"),
        ("permission[0].constraint[1].rightOperand", "bad-value"),
        ("permission[0].constraint[2].leftOperand", "unknown-left-operand"),
    ]


def test_problem_in_a_duty_names_its_path():
    doc = {
        "@context": [DSP],
        "@id": "urn:p:duty",
        "@type": "Set",
        "permission": [
            {
                "action": "use",
                "duty": [
                    {
                        "action": "compensate",
                        "constraint": [{"leftOperand": "count", "operator": "gt", "rightOperand": "x"}],
                    }
                ],
            }
        ],
    }
    _one(doc, "bad-value", "permission[0].duty[0].constraint[0].rightOperand")


def test_misplaced_duty_on_a_prohibition():
    doc = {
        "@context": [DSP],
        "@id": "urn:p:m",
        "@type": "Set",
        "prohibition": [{"action": "use", "duty": [{"action": "attribute"}]}],
    }
    _one(doc, "misplaced", "prohibition[0].duty")


def test_unknown_conflict_strategy():
    _one(
        {
            "@context": [DSP],
            "@id": "urn:p:c",
            "@type": "Set",
            "permission": [{"action": "use"}],
            "odrl:conflict": {"@id": "odrl:whatever"},
        },
        "unknown-conflict",
        "conflict",
    )


def test_policy_without_id():
    _one({"@context": [DSP], "@type": "Offer", "permission": [{"action": "use"}]}, "missing-uid", "@id")


def test_policy_without_rules():
    _one({"@context": [DSP], "@id": "urn:p:empty", "@type": "Offer"}, "no-rule", "")


def test_document_without_policy():
    _one({"@context": [DSP], "@id": "urn:not-a-policy", "dct:title": "nothing"}, "no-policy", "")


def test_several_policies_where_one_is_expected():
    doc = {
        "@context": [DSP],
        "@graph": [
            {"@id": "urn:p:1", "@type": "Offer", "permission": [{"action": "use"}]},
            {"@id": "urn:p:2", "@type": "Offer", "permission": [{"action": "read"}]},
        ],
    }
    p = _one(doc, "policy-count", "")
    assert "urn:p:1" in p.message_en and "urn:p:2" in p.message_en
    assert sorted(x.uid for x in parse_policies(doc)) == ["urn:p:1", "urn:p:2"]


def _set(uid: str, parent: str | None = None) -> Policy:
    doc = {"@context": [DSP], "@id": uid, "@type": "Set", "permission": [{"action": "use"}]}
    if parent:
        doc["odrl:inheritFrom"] = {"@id": parent}
    return parse_policy(doc)


def test_cyclic_inheritance():
    a, b = _set("urn:p:a", "urn:p:b"), _set("urn:p:b", "urn:p:a")
    with pytest.raises(PolicyError) as info:
        compile_policy(a, resolver={"urn:p:a": a, "urn:p:b": b}.get)
    (problem,) = info.value.problems
    assert problem.code == "cyclic-inheritance" and problem.path == "inheritFrom"
    assert "urn:p:a → urn:p:b → urn:p:a" in problem.message_en


def test_self_inheritance_is_a_cycle():
    a = _set("urn:p:self", "urn:p:self")
    with pytest.raises(PolicyError) as info:
        compile_policy(a, resolver={"urn:p:self": a}.get)
    assert info.value.problems[0].code == "cyclic-inheritance"


def test_missing_parent():
    child = _set("urn:p:child", "urn:p:gone")
    with pytest.raises(PolicyError) as info:
        compile_policy(child, resolver={}.get)
    (problem,) = info.value.problems
    assert problem.code == "missing-parent" and problem.path == "inheritFrom"
    assert "urn:p:gone" in problem.message_en and "urn:p:gone" in problem.message_fr


def test_diamond_inheritance_is_not_a_cycle():
    root = _set("urn:p:root")
    left, right = _set("urn:p:left", "urn:p:root"), _set("urn:p:right", "urn:p:root")
    child = dataclasses.replace(_set("urn:p:child"), inherit_from=("urn:p:left", "urn:p:right"))
    store = {p.uid: p for p in (root, left, right)}
    compiled = compile_policy(child, resolver=store.get)
    assert len(compiled.permissions) == 4  # root once, left, right, child


# ------------------------------------------------------------------------------------------------------------
# What a CLI user sees


BAD_FILES = {
    "malformed.json": '{"@context": [',
    "not-shipped.jsonld": json.dumps({"@context": "https://example.org/c.jsonld", "@id": "urn:p"}),
    "bad.ttl": "<urn:p> a <urn:x> ;;; .",
    "operator.jsonld": json.dumps(
        _offer({"leftOperand": "count", "operator": "term-lteq", "rightOperand": 5})
    ),
    "count.jsonld": json.dumps(_offer({"leftOperand": "count", "operator": "lteq", "rightOperand": "five"})),
    "cycle.jsonld": json.dumps(
        {
            "@context": [DSP],
            "@graph": [
                {
                    "@id": "urn:p:a",
                    "@type": "Set",
                    "odrl:inheritFrom": {"@id": "urn:p:b"},
                    "permission": [{"action": "use"}],
                },
                {
                    "@id": "urn:p:b",
                    "@type": "Set",
                    "odrl:inheritFrom": {"@id": "urn:p:a"},
                    "permission": [{"action": "use"}],
                },
            ],
        }
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_cli_reports_problems_without_traceback(tmp_path, name):
    from typer.testing import CliRunner

    from connector.cli import app

    path = tmp_path / name
    path.write_text(BAD_FILES[name], encoding="utf-8")
    for lang in ("fr", "en"):
        result = CliRunner().invoke(app, ["--lang", lang, "policy", "validate", str(path)])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert "problème(s)" in result.output if lang == "fr" else "problem(s)" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_rule_given_as_text_is_refused():
    problems = _problems({"@context": W3C, "@type": "Offer", "uid": "urn:p", "permission": "text"})
    assert [p.code for p in problems] == ["bad-rule", "no-rule"], problems
    assert problems[0].path == "permission[0]" and "a rule is expected" in problems[0].message_en
