"""Decision semantics of the engine (EVALUATION.md §1.5, §1.7, §2.5): every operator both ways, logical
constraints, prohibitions and conflict strategies, the includedIn closure of actions, policy-level atomic
expansion, party collections, inheritance, duties and obligations, closed and open behaviour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from policies import (
    DENY,
    NOT_APPLICABLE,
    PERMIT,
    PolicyError,
    Request,
    World,
    compile_policy,
    decide,
    parse_policy,
    request_from_json,
    world_from_json,
)

DSP = "https://w3id.org/dspace/2025/1/context.jsonld"
W3C = "http://www.w3.org/ns/odrl.jsonld"
ODRL = "http://www.w3.org/ns/odrl/2/"
CATEGORY = "https://w3id.org/jnt/odrl/recipientCategory"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def policy(uid: str = "urn:test:semantics", **body) -> dict:
    return {"@context": [DSP], "@id": uid, "@type": "Set", **body}


def permission(*constraints: dict, action: str = "use", **extra) -> dict:
    rule = {"action": action, **extra}
    if constraints:
        rule["constraint"] = list(constraints)
    return rule


def c(left: str, operator: str, right) -> dict:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def run(doc, request: dict | None = None, world: World | None = None, **kwargs):
    compiled = compile_policy(
        parse_policy(doc) if isinstance(doc, dict) else doc, resolver=kwargs.pop("resolver", None)
    )
    return compiled.decide(request_from_json(request or {}), world or World(now=NOW), **kwargs)


def holds(constraint: dict, request: dict | None = None, world: World | None = None) -> bool:
    """Whether one constraint is satisfied, read from the decision on a one-permission policy."""
    decision = run(policy(permission=[permission(constraint)]), request, world)
    (rule,) = decision.rules
    (result,) = rule.constraints
    assert decision.permitted == result.satisfied
    return result.satisfied


def uses(n: int) -> World:
    return World(now=NOW, count=n)


# ------------------------------------------------------------------------------------------------------------
# Operators, each at least once true and once false


@pytest.mark.parametrize(
    ("constraint", "world", "expected"),
    [
        # count: the left value is uses so far + 1
        (c("count", "eq", 3), uses(2), True),
        (c("count", "eq", 3), uses(3), False),
        (c("count", "neq", 3), uses(3), True),
        (c("count", "neq", 3), uses(2), False),
        (c("count", "lt", 3), uses(1), True),
        (c("count", "lt", 3), uses(2), False),
        (c("count", "lteq", 3), uses(2), True),
        (c("count", "lteq", 3), uses(3), False),
        (c("count", "gt", 3), uses(3), True),
        (c("count", "gt", 3), uses(2), False),
        (c("count", "gteq", 3), uses(2), True),
        (c("count", "gteq", 3), uses(1), False),
        # dateTime
        (c("dateTime", "eq", "2026-01-15T12:00:00Z"), World(now=NOW), True),
        (c("dateTime", "eq", "2026-01-15T12:00:01Z"), World(now=NOW), False),
        (c("dateTime", "neq", "2026-01-15T12:00:01Z"), World(now=NOW), True),
        (c("dateTime", "neq", "2026-01-15T13:00:00+01:00"), World(now=NOW), False),  # the same instant
        (c("dateTime", "gt", "2026-01-15"), World(now=NOW), True),
        (c("dateTime", "gt", "2026-01-16"), World(now=NOW), False),
    ],
)
def test_order_operators(constraint, world, expected):
    assert holds(constraint, world=world) is expected


FLOOD = {"purpose": "flood-risk-simulation"}
URBAN = {"purpose": "urban-planning"}


@pytest.mark.parametrize(
    ("constraint", "request_", "expected"),
    [
        (c("purpose", "isA", "risk-management"), FLOOD, True),
        (c("purpose", "isA", "risk-management"), URBAN, False),
        (c("purpose", "isA", "crisis-management"), FLOOD, False),  # siblings are not each other
        (c("purpose", "isPartOf", "risk-management"), FLOOD, True),
        (c("purpose", "isPartOf", ["urban-planning", "research"]), FLOOD, False),
        (c("purpose", "isAllOf", ["flood-risk-simulation"]), FLOOD, True),
        (c("purpose", "isAllOf", ["flood-risk-simulation", "urban-planning"]), FLOOD, False),
        (c("purpose", "hasPart", "flood-risk-simulation"), FLOOD, True),
        (c("purpose", "hasPart", "risk-management"), FLOOD, False),
        (c("purpose", "isAnyOf", ["urban-planning", "flood-risk-simulation"]), FLOOD, True),
        (c("purpose", "isAnyOf", ["urban-planning", "research"]), FLOOD, False),
        (c("purpose", "isNoneOf", ["urban-planning", "research"]), FLOOD, True),
        (c("purpose", "isNoneOf", ["urban-planning", "flood-risk-simulation"]), FLOOD, False),
        (c("purpose", "eq", "flood-risk-simulation"), FLOOD, True),
        (c("purpose", "eq", "risk-management"), FLOOD, False),
        (c("purpose", "neq", "urban-planning"), FLOOD, True),
        (c("purpose", "neq", "urban-planning"), URBAN, False),
        (
            c("recipient", "isPartOf", [{"@id": "did:web:a.example"}, {"@id": "did:web:b.example"}]),
            {"assignee": "did:web:b.example"},
            True,
        ),
        (
            c("recipient", "isPartOf", [{"@id": "did:web:a.example"}]),
            {"assignee": "did:web:c.example"},
            False,
        ),
        (c("spatial", "hasPart", "44109"), {"territory": "44"}, True),
        (c("spatial", "hasPart", "44109"), {"territory": "44184"}, False),
        (c("spatial", "isPartOf", ["44109", "44143"]), {"territory": "44143"}, True),
        (c("spatial", "isPartOf", "244400404"), {"territory": "44184"}, False),
        (c("spatial", "neq", "44109"), {"territory": "44184"}, True),
        (c("spatial", "neq", "44109"), {"territory": "44109"}, False),
    ],
)
def test_set_and_concept_operators(constraint, request_, expected):
    assert holds(constraint, request_) is expected


def test_spatial_ispartof_several_territories_is_their_union():
    # An area straddling Nantes and Rezé lies within neither alone, but within their union.
    straddling = "POLYGON((-1.58 47.19, -1.57 47.19, -1.57 47.2, -1.58 47.2, -1.58 47.19))"
    assert holds(c("spatial", "isPartOf", ["44109", "44143"]), {"area": straddling})
    assert not holds(c("spatial", "isAnyOf", ["44109", "44143"]), {"area": straddling})
    assert not holds(c("spatial", "isPartOf", "44109"), {"area": straddling})


# ------------------------------------------------------------------------------------------------------------
# Logical constraints


YES = c("purpose", "eq", "flood-risk-simulation")  # true for FLOOD
ALSO_YES = c("count", "lteq", 5)  # true with no use so far
NO = c("industry", "eq", "insurance")  # false: no industry in FLOOD


@pytest.mark.parametrize(
    ("logical", "expected"),
    [
        ({"and": [YES, ALSO_YES]}, True),
        ({"and": [YES, NO]}, False),
        ({"or": [NO, YES]}, True),
        ({"or": [NO, c("count", "gt", 5)]}, False),
        ({"xone": [YES, NO]}, True),
        ({"xone": [YES, ALSO_YES]}, False),  # two true: not exactly one
        ({"xone": [NO, c("count", "gt", 5)]}, False),
        ({"andSequence": {"@list": [YES, ALSO_YES]}}, True),
        ({"andSequence": {"@list": [YES, NO]}}, False),
        ({"or": [NO, {"and": [YES, ALSO_YES]}]}, True),
        ({"and": [YES, {"xone": [YES, ALSO_YES]}]}, False),
    ],
)
def test_logical_constraints(logical, expected):
    assert holds(logical, FLOOD) is expected


def test_logical_explanation_lists_the_operands():
    d = run(policy(permission=[permission({"xone": [YES, ALSO_YES]})]), FLOOD)
    assert d.outcome == NOT_APPLICABLE
    assert d.explain("fr")[0].startswith(
        "refusé : exactement une des conditions suivantes (non satisfaite) : ["
    )
    assert d.explain("en")[0].startswith("denied: exactly one of the following (not satisfied): [")
    assert "the purpose 'flood-risk-simulation' is flood-risk-simulation" in d.explain("en")[0]
    data = d.to_json("en")["rules"][0]["constraints"][0]
    assert data["operator"] == "xone" and data["satisfied"] is False
    assert [x["satisfied"] for x in data["constraints"]] == [True, True]


def test_several_constraints_on_a_rule_are_a_conjunction():
    doc = policy(permission=[permission(YES, NO)])
    assert not run(doc, FLOOD).permitted
    assert run(doc, {**FLOOD, "industry": "insurance"}).permitted


# ------------------------------------------------------------------------------------------------------------
# Prohibitions and conflicts


def conflicting(strategy: str | None) -> dict:
    doc = policy(permission=[permission()], prohibition=[{"action": "read"}])
    if strategy:
        doc["odrl:conflict"] = {"@id": "odrl:" + strategy}
    return doc


def test_prohibition_alone_denies():
    d = run(
        policy(prohibition=[{"action": "distribute"}], permission=[permission(action="read")]),
        {"action": "distribute"},
    )
    assert d.outcome == DENY and d.reason == "prohibited" and not d.permitted
    assert d.explain("fr")[0] == "refusé : interdiction « distribute » s'applique"
    assert d.explain("en")[0] == "denied: prohibition 'distribute' applies"


def test_inactive_prohibition_does_not_deny():
    doc = policy(permission=[permission()], prohibition=[{"action": "read", "constraint": [NO]}])
    d = run(doc, {"action": "read", **FLOOD})
    assert d.outcome == PERMIT and d.reason == "permitted"


def test_conflict_perm_permits():
    d = run(conflicting("perm"), {"action": "read"})
    assert d.outcome == PERMIT and d.reason == "conflict-perm" and d.permitted
    assert d.explain("en")[0] == "permitted: permission 'use' applies (conflict resolved by strategy perm)"


def test_conflict_prohibit_denies():
    d = run(conflicting("prohibit"), {"action": "read"})
    assert d.outcome == DENY and d.reason == "conflict-prohibit" and not d.permitted
    assert "conflit résolu par la stratégie prohibit" in d.explain("fr")[0]


@pytest.mark.parametrize("strategy", [None, "invalid"])
def test_conflict_default_or_invalid_voids_the_policy(strategy):
    d = run(conflicting(strategy), {"action": "read"})
    assert d.outcome == NOT_APPLICABLE and d.reason == "conflict-void"
    assert not d.permitted
    assert "la politique est nulle" in d.explain("fr")[0]
    assert "the policy is void" in d.explain("en")[0]
    # Only a request both rules match is a conflict: another action the permission covers is permitted.
    assert run(conflicting(strategy), {"action": "modify"}).outcome == PERMIT


def test_conflict_void_in_open_world_explanation_matches_permitted():
    d = run(conflicting(None), {"action": "read"}, behaviour="open")
    assert d.reason == "conflict-void"
    assert d.explain("en")[0].startswith("permitted") == d.permitted
    assert d.explain("fr")[0].startswith("autorisé") == d.permitted


def test_conflict_strategy_under_the_w3c_context():
    doc = {
        "@context": W3C,
        "uid": "urn:w3c:conflict",
        "@type": "Set",
        "conflict": "prohibit",
        "permission": [{"action": "use"}],
        "prohibition": [{"action": "read"}],
    }
    assert parse_policy(doc).conflict == "prohibit"
    assert run(doc, {"action": "read"}).reason == "conflict-prohibit"


# ------------------------------------------------------------------------------------------------------------
# Actions: the includedIn closure


def test_permission_on_use_covers_read():
    assert run(policy(permission=[permission()]), {"action": "read"}).outcome == PERMIT


def test_permission_on_read_covers_neither_sell_nor_use():
    doc = policy(permission=[permission(action="read")])
    d = run(doc, {"action": "sell"})
    assert d.outcome == NOT_APPLICABLE and not d.permitted
    assert d.explain("fr")[0] == "refusé : l'action demandée 'sell' n'est pas couverte par 'read'"
    assert d.explain("en")[0] == "denied: the requested action 'sell' is not covered by 'read'"
    assert not run(
        doc, {"action": "use"}
    ).permitted  # a narrower permission does not cover the broader action


def test_prohibition_on_use_forbids_read():
    d = run(policy(prohibition=[{"action": "use"}]), {"action": "read"})
    assert d.outcome == DENY and d.reason == "prohibited"


def test_transfer_family_is_not_use():
    doc = policy(permission=[permission(action="transfer")])
    assert run(doc, {"action": "sell"}).permitted
    assert not run(doc, {"action": "read"}).permitted


def test_deprecated_write_request_is_covered_by_modify():
    assert run(policy(permission=[permission(action="modify")]), {"action": "write"}).outcome == PERMIT
    assert run(policy(permission=[permission(action="modify")]), {"action": "odrl:write"}).outcome == PERMIT
    assert run(policy(prohibition=[{"action": "modify"}]), {"action": "write"}).outcome == DENY


def test_permission_on_deprecated_write_covers_write():
    assert run(policy(permission=[permission(action="write")]), {"action": "write"}).outcome == PERMIT


def test_prohibition_on_deprecated_write_forbids_write_and_modify():
    doc = policy(permission=[permission()], prohibition=[{"action": "write"}])
    assert not run(doc, {"action": "write"}).permitted
    assert not run(doc, {"action": "modify"}).permitted


def test_action_refinement_must_hold():
    doc = {
        "@context": W3C,
        "uid": "urn:w3c:print",
        "@type": "Set",
        "permission": [
            {
                "action": [
                    {
                        "rdf:value": {"@id": "odrl:print"},
                        "refinement": [c("fileFormat", "eq", "application/pdf")],
                    }
                ]
            }
        ],
    }
    assert run(doc, {"action": "print", "fileFormat": "application/pdf"}).outcome == PERMIT
    d = run(doc, {"action": "print", "fileFormat": "image/png"})
    assert d.outcome == NOT_APPLICABLE
    assert d.explain("en")[0] == (
        "denied: action refinement not satisfied: the file format 'image/png' is not application/pdf"
    )
    assert "raffinement de l'action non satisfait" in d.explain("fr")[0]


# ------------------------------------------------------------------------------------------------------------
# Atomic expansion of policy-level target / assignee / action


POLICY_LEVEL = policy(target="urn:data:a", assignee="did:web:a.example", action="read", permission=[{}])


def test_policy_level_elements_are_copied_into_rules():
    compiled = compile_policy(parse_policy(POLICY_LEVEL))
    (rule,) = compiled.permissions
    assert rule.rule.target.iri == "urn:data:a"
    assert rule.rule.assignee.iri == "did:web:a.example"
    assert rule.rule.action.iri == ODRL + "read"
    ok = {"action": "read", "target": "urn:data:a", "assignee": "did:web:a.example"}
    assert run(POLICY_LEVEL, ok).outcome == PERMIT


@pytest.mark.parametrize(
    ("change", "fr"),
    [
        ({"target": "urn:data:b"}, "la ressource demandée 'urn:data:b' n'est pas 'urn:data:a'"),
        (
            {"assignee": "did:web:b.example"},
            "le demandeur 'did:web:b.example' n'est pas le bénéficiaire 'did:web:a.example'",
        ),
        ({"action": "distribute"}, "l'action demandée 'distribute' n'est pas couverte par 'read'"),
    ],
)
def test_policy_level_elements_restrict_the_rules(change, fr):
    request = {"action": "read", "target": "urn:data:a", "assignee": "did:web:a.example", **change}
    d = run(POLICY_LEVEL, request)
    assert d.outcome == NOT_APPLICABLE and not d.permitted
    assert d.explain("fr")[0] == "refusé : " + fr


def test_rules_with_several_actions_and_assignees_are_split():
    doc = policy(
        permission=[
            {"action": ["read", "odrl:print"], "assignee": ["did:web:a.example", "did:web:b.example"]}
        ]
    )
    compiled = compile_policy(parse_policy(doc))
    assert len(compiled.permissions) == 4
    assert run(doc, {"action": "print", "assignee": "did:web:b.example"}).permitted
    assert not run(doc, {"action": "print", "assignee": "did:web:c.example"}).permitted
    assert not run(doc, {"action": "distribute", "assignee": "did:web:a.example"}).permitted


def test_rule_level_target_overrides_policy_level():
    doc = policy(target="urn:data:a", permission=[{"action": "use", "target": "urn:data:b"}])
    assert run(doc, {"target": "urn:data:b"}).permitted
    assert not run(doc, {"target": "urn:data:a"}).permitted


# ------------------------------------------------------------------------------------------------------------
# Party and asset collections


PARTNERS = policy(permission=[permission(assignee={"@id": "urn:group:partners", "@type": "PartyCollection"})])


def test_party_collection_by_membership():
    world = world_from_json(
        {"now": "2026-01-15T12:00:00Z", "memberships": {"did:web:a.example": ["urn:group:partners"]}}
    )
    assert run(PARTNERS, {"assignee": "did:web:a.example"}, world).outcome == PERMIT
    d = run(PARTNERS, {"assignee": "did:web:b.example"}, world)
    assert d.outcome == NOT_APPLICABLE
    assert (
        d.explain("en")[0]
        == "denied: the requester 'did:web:b.example' is not the assignee 'urn:group:partners'"
    )
    assert not run(PARTNERS, {}, world).permitted


PUBLIC_BODIES = {
    "@context": W3C,
    "uid": "urn:policy:public-bodies",
    "@type": "Set",
    "permission": [
        {
            "action": "use",
            "target": "urn:data:flood",
            "assignee": {
                "@id": "urn:public-bodies",
                "@type": "PartyCollection",
                "refinement": [c(CATEGORY, "eq", {"@id": "https://w3id.org/jnt/odrl/category/public-body"})],
            },
        }
    ],
}


def test_party_collection_by_refinement_is_parsed_as_a_collection():
    (party,) = parse_policy(PUBLIC_BODIES).permissions[0].assignees
    assert party.iri == "urn:public-bodies" and party.collection
    assert party.refinements[0].left_operand == CATEGORY
    dsp = {**PUBLIC_BODIES, "@context": [DSP], "@id": PUBLIC_BODIES["uid"]}
    del dsp["uid"]
    assert parse_policy(dsp) == parse_policy(PUBLIC_BODIES)


def test_party_collection_by_refinement():
    public = {"assignee": "did:web:nantes.example", "target": "urn:data:flood", "category": "public"}
    assert run(PUBLIC_BODIES, public).outcome == PERMIT
    d = run(PUBLIC_BODIES, {**public, "category": "private"})
    assert d.outcome == NOT_APPLICABLE
    assert d.explain("fr")[0] == (
        "refusé : le demandeur 'did:web:nantes.example' n'est pas le bénéficiaire 'urn:public-bodies' "
        "(la catégorie du destinataire 'entreprise privée' ne vaut pas organisme public)"
    )
    d = run(PUBLIC_BODIES, {k: v for k, v in public.items() if k != "category"})
    assert not d.permitted
    assert "n'est pas renseigné" in d.explain("fr")[0]


def test_asset_collection_by_membership():
    doc = policy(permission=[permission(target={"@id": "urn:collection:flood", "@type": "AssetCollection"})])
    world = World(now=NOW, memberships={"urn:data:x": {"urn:collection:flood"}})
    assert run(doc, {"target": "urn:data:x"}, world).permitted
    assert run(doc, {"target": "urn:collection:flood"}, world).permitted
    assert not run(doc, {"target": "urn:data:y"}, world).permitted


# ------------------------------------------------------------------------------------------------------------
# Inheritance


PARENT = parse_policy(
    policy(
        "urn:policy:parent", permission=[permission(action="read")], prohibition=[{"action": "distribute"}]
    )
)
CHILD = parse_policy(
    policy(
        "urn:policy:child",
        **{"odrl:inheritFrom": {"@id": "urn:policy:parent"}},
        permission=[permission(c("purpose", "eq", "research"), action="aggregate")],
    )
)


def test_inherit_from_merges_the_parent_rules():
    assert CHILD.inherit_from == ("urn:policy:parent",)
    resolver = {"urn:policy:parent": PARENT}.get
    compiled = compile_policy(CHILD, resolver=resolver)
    assert len(compiled.permissions) == 2 and len(compiled.prohibitions) == 1
    assert compiled.decide(request_from_json({"action": "read"}), World(now=NOW)).outcome == PERMIT
    assert (
        compiled.decide(
            request_from_json({"action": "aggregate", "purpose": "research"}), World(now=NOW)
        ).outcome
        == PERMIT
    )
    assert compiled.decide(request_from_json({"action": "distribute"}), World(now=NOW)).outcome == DENY
    assert (
        decide(CHILD, request_from_json({"action": "distribute"}), World(now=NOW), resolver=resolver).outcome
        == DENY
    )


def test_inherit_from_without_resolver_fails():
    with pytest.raises(PolicyError) as info:
        compile_policy(CHILD)
    assert info.value.problems[0].code == "missing-parent"


def test_inherited_conflict_strategies_mixed_void_the_policy():
    parent = parse_policy(
        policy("urn:policy:p2", permission=[permission()], **{"odrl:conflict": {"@id": "odrl:perm"}})
    )
    child = parse_policy(
        policy(
            "urn:policy:c2",
            prohibition=[{"action": "read"}],
            **{"odrl:inheritFrom": {"@id": "urn:policy:p2"}, "odrl:conflict": {"@id": "odrl:prohibit"}},
        )
    )
    d = run(child, {"action": "read"}, resolver={"urn:policy:p2": parent}.get)
    assert d.reason == "conflict-void" and not d.permitted
    child_only_perm = parse_policy(
        policy(
            "urn:policy:c3",
            prohibition=[{"action": "read"}],
            **{"odrl:inheritFrom": {"@id": "urn:policy:p2"}},
        )
    )
    assert (
        run(child_only_perm, {"action": "read"}, resolver={"urn:policy:p2": parent}.get).reason
        == "conflict-perm"
    )


# ------------------------------------------------------------------------------------------------------------
# Duties and obligations


def with_duty(action: str, uid: str, *constraints: dict) -> dict:
    duty = {"@id": uid, "action": action}
    if constraints:
        duty["constraint"] = list(constraints)
    return policy(permission=[permission(duty=[duty])])


ATTRIBUTE = with_duty("attribute", "urn:duty:attribute")
COMPENSATE = with_duty("compensate", "urn:duty:pay")


def test_post_duty_not_set_permits_and_is_returned():
    d = run(ATTRIBUTE)
    assert d.outcome == PERMIT
    (duty,) = d.duties
    assert duty.duty.action.iri == ODRL + "attribute" and duty.state == "not-set" and not duty.blocking
    assert (
        d.explain("fr")[0]
        == "autorisé : permission « use » s'applique ; devoirs : citer la source (attribution)"
    )
    assert d.explain("en")[0] == "permitted: permission 'use' applies; duties: attribute the source"
    assert d.to_json("en")["duties"][0]["uid"] == "urn:duty:attribute"


def test_violated_post_duty_denies():
    d = run(ATTRIBUTE, world=World(now=NOW, duty_states={"urn:duty:attribute": "violated"}))
    assert d.outcome == NOT_APPLICABLE and not d.permitted
    assert d.explain("fr")[0] == "refusé : le devoir « citer la source (attribution) » est violé"
    assert d.explain("en")[0] == "denied: duty 'attribute the source' is violated"


def test_precondition_not_set_denies():
    d = run(COMPENSATE)
    assert d.outcome == NOT_APPLICABLE and not d.permitted
    assert d.explain("en")[0] == "denied: duty 'pay compensation' is to be fulfilled before access"
    assert d.explain("fr")[0] == "refusé : le devoir « payer une compensation » est à remplir avant l’accès"


def test_precondition_fulfilled_permits():
    world = world_from_json({"now": "2026-01-15T12:00:00Z", "duties": {"urn:duty:pay": "fulfilled"}})
    assert run(COMPENSATE, world=world).outcome == PERMIT
    assert run(COMPENSATE, world=World(now=NOW, performed={ODRL + "compensate"})).outcome == PERMIT


def test_precondition_violated_denies():
    d = run(COMPENSATE, world=World(now=NOW, duty_states={"urn:duty:pay": "violated"}))
    assert not d.permitted
    assert d.explain("en")[0] == "denied: duty 'pay compensation' is violated"


def test_inactive_precondition_does_not_block():
    doc = with_duty("compensate", "urn:duty:pay-after-3", c("count", "gt", 3))
    assert run(doc, world=uses(0)).outcome == PERMIT
    assert not run(doc, world=uses(3)).permitted  # 4th use: the payment is now due


def test_fulfilled_duty_is_not_listed_as_outstanding():
    d = run(COMPENSATE, world=World(now=NOW, duty_states={"urn:duty:pay": "fulfilled"}))
    assert d.outcome == PERMIT
    assert [x.state for x in d.duties if x.state == "fulfilled"] == []
    assert "devoirs" not in d.explain("fr")[0]


def test_policy_obligations_are_returned_with_a_permit():
    doc = policy(permission=[permission()], obligation=[{"@id": "urn:obligation:inform", "action": "inform"}])
    d = run(doc)
    assert d.outcome == PERMIT
    assert [(x.duty.uid, x.state) for x in d.duties] == [("urn:obligation:inform", "not-set")]
    assert "informer le fournisseur" in d.explain("fr")[0]
    fulfilled = run(doc, world=World(now=NOW, duty_states={"urn:obligation:inform": "fulfilled"}))
    assert fulfilled.outcome == PERMIT and fulfilled.duties == []
    refused = run(doc, {"action": "sell"})
    assert refused.outcome == NOT_APPLICABLE and refused.duties == []


# ------------------------------------------------------------------------------------------------------------
# Closed and open behaviour, requests built directly


def test_open_behaviour_permits_what_no_rule_governs():
    doc = policy(permission=[permission(action="read")], prohibition=[{"action": "distribute"}])
    closed = run(doc, {"action": "sell"})
    opened = run(doc, {"action": "sell"}, behaviour="open")
    assert closed.outcome == opened.outcome == NOT_APPLICABLE
    assert not closed.permitted and opened.permitted
    assert opened.explain("fr")[0].startswith("autorisé (monde ouvert) : ")
    assert opened.explain("en")[0].startswith("permitted (open world): ")
    assert not run(doc, {"action": "distribute"}, behaviour="open").permitted  # a prohibition still denies


def test_request_built_directly():
    compiled = compile_policy(parse_policy(policy(permission=[permission(YES)])))
    ok = Request(action="read", purpose="https://w3id.org/jnt/purpose/flood-risk-simulation")
    assert compiled.decide(ok, World(now=NOW)).outcome == PERMIT
    assert compiled.decide(Request(action="read"), World(now=NOW)).outcome == NOT_APPLICABLE
    assert compiled.decide(ok).permitted  # the world defaults to now


def test_naive_world_time_is_utc():
    doc = policy(permission=[permission(c("dateTime", "lt", "2027-01-01"))])
    assert run(doc, world=World(now=datetime(2026, 1, 1))).outcome == PERMIT
