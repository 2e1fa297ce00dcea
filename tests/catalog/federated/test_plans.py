"""Access plans over the access corpus (SQLite and PostgreSQL): every plan is valid against the shipped JSON
Schema (which the consumer's connector validates with too, and which refuses a plan missing what a negotiation
needs); per géo-concept the obtainable dataset with the best score, its alternatives, the offer exactly as the
provider publishes it, the provider's DSP address and a transfer format; gaps for what nobody offers on the territory
and for what is offered but refused, with the engine's reasons; the documented score; bad requests answered 400."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from catalog.federated.plans import WEIGHTS, plan_schema, score, validate_plan

from .access_space import CATALOGUE_DID, FIRM, FLOOD, REGION, access_api, bearer

FLOOD_IRI = "https://w3id.org/jnt/purpose/flood-risk-simulation"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def space(request, tmp_path_factory):
    with access_api(request.param, tmp_path_factory.mktemp("plans")) as built:
        yield built


@pytest.fixture(scope="module")
def api(space):
    return space[0]


def plan_for(api, token: str | None = None, **body) -> dict:
    answer = api.post("/api/plans", json={"usecase": "flood-risk", "purpose": FLOOD, **body},
                      headers=bearer(token) if token else {})
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    validate_plan(plan)
    return plan


def by_concept(entries: list[dict]) -> dict[str, dict]:
    return {entry["geoconcept"]["id"]: entry for entry in entries}


def test_plan_for_a_public_body_on_nantes(api):
    plan = plan_for(api, "region-token", territory="44109")
    assert (plan["type"], plan["version"], plan["usecase"], plan["purpose"]) == (
        "AccessPlan", 1, "flood-risk", FLOOD_IRI)
    assert plan["catalogue"] == CATALOGUE_DID and plan["consumer"] == REGION.did
    assert plan["territory"]["code"] == "44109" and plan["territory"]["label"] == "Nantes" and plan["bbox"] is None
    assert plan["declared"] == {"purpose": FLOOD_IRI, "territory": "44109", "purpose_label": {
        "fr": "simulation du risque d'inondation", "en": "flood-risk simulation"}}
    items = by_concept(plan["items"])
    assert sorted(items) == ["GC001", "GC010", "GC036", "GC061", "GC074"]

    # Two terrain models cover Nantes: the 1 m one, conformant and complete, wins; the 25 m one is the alternative.
    mnt = items["GC001"]
    assert mnt["dataset"]["title"] == "MNT RGE ALTI 1 m — Nantes Métropole"
    assert [a["dataset"]["title"] for a in mnt["alternatives"]] == ["BD ALTI 25 m — Loire-Atlantique"]
    assert mnt["score"] > mnt["alternatives"][0]["score"]
    assert mnt["geoconcept"] == {"id": "GC001", "iri": "https://w3id.org/jnt/geoconcept/GC001",
                                 "label": {"fr": "MNT RGE ALTI 1 m / 5 m", "en": "MNT RGE ALTI 1 m / 5 m"},
                                 "role": "calcul"}
    assert mnt["decision"] == "obtainable-with-duties" and mnt["duties"][0]["action"] == "attribute"

    hta = items["GC061"]
    assert hta["decision"] == "obtainable" and hta["duties"] == []
    assert hta["provider"]["did"] == "did:web:enedis.example" and hta["provider"]["category"] == "private"
    assert hta["format"] == "HttpData-PULL"
    detail = api.get(f"/api/datasets/{hta['dataset']['record']}").json()
    assert hta["offer"] == detail["offers"][0] and hta["offer"]["@id"] == "urn:offer:hta:restricted"
    assert hta["dataset"]["id"] == detail["dataset_id"] == "https://data.example.fr/enedis/hta"
    assert hta["provider"]["dsp"] == detail["provider"]["address"]
    assert items["GC036"]["dataset"]["title"] == "Laisses de crue — Nantes"  # Nantes-only offer: declared there
    assert items["GC036"]["duties"][0]["due_after"] == "P1Y"

    gaps = by_concept(plan["gaps"])
    assert len(gaps) == 74 - 5
    assert gaps["GC002"]["reason"] == "not-offered" and gaps["GC002"]["candidates"] == []
    assert "Nantes" in gaps["GC002"]["explanation"]["fr"]
    ppri = gaps["GC039"]  # the Nantes zoning is offered for research only; the other PPRI is outside Nantes
    assert ppri["reason"] == "not-obtainable"
    assert [c["dataset"]["title"] for c in ppri["candidates"]] == ["PPRI Loire — zonage de Nantes (recherche)"]
    assert ppri["candidates"][0]["decision"] == "not-obtainable"
    assert "'flood-risk-simulation' is not in {research}" in ppri["explanation"]["en"]
    assert plan["summary"]["planned"] == 5 and plan["summary"]["not_obtainable"] == 1


def test_plan_for_a_private_company_and_for_an_anonymous_caller(api):
    plan = plan_for(api, "firm-token", territory="44109")
    assert plan["consumer"] == FIRM.did
    gaps = by_concept(plan["gaps"])
    assert gaps["GC061"]["reason"] == "not-obtainable"
    assert "private company" in gaps["GC061"]["candidates"][0]["explanation"]["en"]
    assert gaps["GC061"]["candidates"][0]["identity_dependent"]
    assert "GC061" not in by_concept(plan["items"]) and "GC001" in by_concept(plan["items"])

    anonymous = plan_for(api, territory="44109")
    assert anonymous["consumer"] is None and anonymous["caller"]["anonymous"]
    assert by_concept(anonymous["gaps"])["GC061"]["reason"] == "not-obtainable"


def test_plan_on_a_bbox_declares_the_area(api):
    plan = plan_for(api, "region-token", bbox=[-0.7, 47.4, -0.5, 47.5])  # Angers
    assert plan["territory"] is None and plan["bbox"] == [-0.7, 47.4, -0.5, 47.5]
    assert plan["declared"]["territory"].startswith("POLYGON((-0.7 47.4")
    items = by_concept(plan["items"])
    assert items["GC001"]["dataset"]["title"] == "MNT RGE ALTI 1 m — Angers"  # covers the bbox better
    assert "GC061" not in items
    same = plan_for(api, "region-token", bbox="-0.7,47.4,-0.5,47.5")
    assert [i["dataset"]["id"] for i in same["items"]] == [i["dataset"]["id"] for i in plan["items"]]


def test_score_is_the_documented_weighted_sum(space):
    _, index, _ = space
    record = next(r for r in index.iter_records() if r.dataset_id == "https://data.example.fr/ign/mnt-nantes")
    total, criteria = score(record)
    assert criteria["precision"] == 1.0 and criteria["licence"] == 1.0 and criteria["access"] == 1.0
    assert criteria["frequency"] == 0.6 and criteria["conformity"] == 1.0 and criteria["coverage"] == 1.0
    assert 0 < criteria["completeness"] <= 1
    assert total == pytest.approx(sum(WEIGHTS[name] * value for name, value in criteria.items()), abs=1e-4)
    coarse = next(r for r in index.iter_records() if r.dataset_id == "https://data.example.fr/ign/bdalti")
    assert 0 < score(coarse)[1]["precision"] < 1  # 25 m
    restricted = next(r for r in index.iter_records() if r.dataset_id == "https://data.example.fr/enedis/hta")
    assert score(restricted)[1]["licence"] == 0.0 and score(restricted)[1]["access"] == 0.5


def test_the_schema_refuses_what_a_negotiation_could_not_use(api):
    plan = plan_for(api, "region-token", territory="44109")
    schema = plan_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for breaking in (lambda p: p["items"][0].pop("format"),
                     lambda p: p["items"][0]["provider"].pop("dsp"),
                     lambda p: p["items"][0]["offer"].pop("@id"),
                     lambda p: p["items"][0].update(decision="not-obtainable"),
                     lambda p: p["gaps"][0].update(reason="unknown"),
                     lambda p: p.update(type="Plan"),
                     lambda p: p.pop("purpose")):
        broken = copy.deepcopy(plan)
        breaking(broken)
        with pytest.raises(jsonschema.ValidationError):
            validate_plan(broken)


@pytest.mark.parametrize("body,parameter,rule", [
    ({"usecase": "flood-risk", "territory": "44109"}, "purpose", "required"),
    ({"purpose": FLOOD, "territory": "44109"}, "usecase", "required"),
    ({"usecase": "drought", "purpose": FLOOD}, "usecase", "unknown-value"),
    ({"usecase": "flood-risk", "purpose": "flooding"}, "purpose", "unknown-value"),
    ({"usecase": "flood-risk", "purpose": FLOOD, "territory": "99999"}, "territory", "unknown-territory"),
    ({"usecase": "flood-risk", "purpose": FLOOD, "territory": "44109", "bbox": "-1.6,47.2,-1.5,47.3"}, "territory",
     "exclusive"),
    ({"usecase": "flood-risk", "purpose": FLOOD, "bbox": [1, 2, 3]}, "bbox", "format"),
    ({"usecase": "flood-risk", "purpose": FLOOD, "bbox": [-1.5, 47.3, -1.6, 47.2]}, "bbox", "order"),
    ({"usecase": "flood-risk", "purpose": FLOOD, "bbox": ["a", 1, 2, 3]}, "bbox", "type"),
    ({"usecase": "flood-risk", "purpose": 12}, "purpose", "type"),
    ({"usecase": "flood-risk", "purpose": FLOOD, "consumer": "did:web:x"}, "consumer", "unknown-parameter"),
    (["flood-risk"], "body", "json-object"),
])
def test_bad_plan_requests_answer_400(api, body, parameter, rule):
    answer = api.post("/api/plans", json=body, headers=bearer("region-token"))
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert (error["error"], error["parameter"], error["rule"]) == ("invalid-parameter", parameter, rule)


def test_unreadable_body_and_refused_token(api):
    answer = api.post("/api/plans", content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["parameter"] == "body"
    refused = api.post("/api/plans", json={"usecase": "flood-risk", "purpose": FLOOD}, headers=bearer("forged"))
    assert refused.status_code == 401 and refused.json()["check"] == "signature"
