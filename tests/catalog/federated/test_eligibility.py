"""Eligibility: each offer decided for a requester, a declared purpose and a territory of use as the provider's
connector decides a contract request (the same request and decision functions), with the duties and the engine's
explanation; an anonymous caller evaluated as an unknown participant; the routes for one dataset and for a page of
search results; a refused token answered 401, a bad parameter 400, an unknown dataset 404."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from catalog.dsp_parse import ParsedOffer
from catalog.federated.eligibility import (
    NOT_OBTAINABLE,
    OBTAINABLE,
    WITH_DUTIES,
    Declaration,
    best_decision,
    decide_offer,
    parse_purpose,
)
from catalog.federated.errors import QueryError
from policies import parse_policy
from policies.serialize import to_jsonld
from policies.templates import Restrictions, offer_template
from policies.territories import get_territory

from .access_space import FIRM, FLOOD, REGION, access_api, bearer, territorial_offer
from .conftest import open_offer, restricted_offer

TARGET = "https://data.example.fr/enedis/hta"
FLOOD_IRI = "https://w3id.org/jnt/purpose/flood-risk-simulation"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def parsed(policy) -> ParsedOffer:
    doc = to_jsonld(policy, with_context=False)
    doc.pop("target", None)
    doc["@type"] = "Offer"
    return ParsedOffer(doc["@id"], doc, TARGET)


def decide(policy, requester, purpose=FLOOD_IRI, territory=None, bbox=None):
    declaration = Declaration(purpose, get_territory(territory) if territory else None, bbox)
    return decide_offer(parsed(policy), requester, declaration, now=NOW)


def test_a_restricted_offer_decided_on_the_category_and_the_purpose():
    offer = restricted_offer("hta")  # public bodies, flood-risk simulation, one year
    public = decide(offer, REGION)
    assert public.decision == OBTAINABLE and public.outcome == "permit" and public.duties == []
    assert public.explanation["en"] == "permitted: permission 'use' applies"

    private = decide(offer, FIRM)
    assert private.decision == NOT_OBTAINABLE and private.identity_dependent
    assert "'entreprise privée' n'est pas dans {organisme public}" in private.explanation["fr"]
    assert "'private company' is not in {public body}" in private.explanation["en"]
    assert any("✗" in line for line in private.details["fr"])

    wrong_purpose = decide(offer, REGION, purpose="https://w3id.org/jnt/purpose/urban-planning")
    assert wrong_purpose.decision == NOT_OBTAINABLE and not wrong_purpose.identity_dependent
    assert wrong_purpose.explanation["en"] == "denied: the purpose 'urban-planning' is not in {flood-risk-simulation}"

    anonymous = decide(offer, None)
    assert anonymous.decision == NOT_OBTAINABLE and anonymous.identity_dependent
    assert "recipient category is not given in the request" in anonymous.explanation["en"]


def test_an_open_offer_is_obtainable_with_attribution():
    result = decide(open_offer("ppri"), None)
    assert result.decision == WITH_DUTIES
    assert [(d["action"], d["label"]["fr"], d["label"]["en"]) for d in result.duties] == [
        ("attribute", "citer la source (attribution)", "attribute the source")]
    assert result.explanation["fr"].startswith("autorisé : permission « use » s'applique ; devoirs : citer la source")


def test_territory_of_use_and_deletion_duty():
    offer = territorial_offer("laisses")  # public bodies, flood-risk, Nantes only, one year, delete at the end
    inside = decide(offer, REGION, territory="44109")
    assert inside.decision == WITH_DUTIES
    assert [(d["action"], d.get("due_after")) for d in inside.duties] == [("delete", "P1Y")]
    assert "P1Y" in inside.duties[0]["text"]["en"]

    wider = decide(offer, REGION, territory="departement:44")
    assert wider.decision == NOT_OBTAINABLE
    assert "does not lie within" in wider.explanation["en"] and "Nantes" in wider.explanation["en"]
    bbox = decide(offer, REGION, bbox=(-1.58, 47.20, -1.52, 47.24))  # declared as WKT, inside Nantes
    assert bbox.decision == WITH_DUTIES
    undeclared = decide(offer, REGION)
    assert undeclared.decision == NOT_OBTAINABLE and "not given in the request" in undeclared.explanation["en"]


def test_deletion_by_a_date():
    offer = offer_template("restricted", "restricted",
                           Restrictions(categories=["public"], valid_until=datetime(2027, 1, 1, tzinfo=UTC),
                                        delete_at_end=True), uid="urn:offer:dated")
    result = decide(offer, REGION)
    assert result.decision == WITH_DUTIES
    assert result.duties[0]["action"] == "delete" and result.duties[0]["due_at"] == "2027-01-01T00:00:00Z"


def test_a_prohibition_and_an_offer_that_does_not_parse():
    offer = offer_template("restricted", "restricted", Restrictions(categories=["public"], no_distribute=True),
                           uid="urn:offer:nodistribute")
    assert decide(offer, REGION).decision == OBTAINABLE  # `use`, the prohibition on distribute aside
    broken = ParsedOffer("urn:offer:broken", {"@id": "urn:offer:broken", "@type": "Offer", "permission": [
        {"action": "use", "constraint": [{"leftOperand": "https://example.org/unknown", "operator": "eq",
                                          "rightOperand": "x"}]}]}, TARGET)
    result = decide_offer(broken, REGION, Declaration(FLOOD_IRI), now=NOW)
    assert result.decision == NOT_OBTAINABLE and result.outcome == "invalid-offer"


def test_best_offer_prefers_obtainable_then_fewer_duties():
    offers = [decide(restricted_offer("a"), FIRM), decide(open_offer("b"), FIRM),
              decide(offer_template("cc0-1.0", "public", uid="urn:offer:c"), FIRM)]
    assert best_decision(offers).offer.id == "urn:offer:c"
    assert best_decision(offers[:2]).offer.id == "urn:offer:b:open"
    assert best_decision([]) is None


def test_the_request_is_the_providers():
    """The decision is the engine's on the request the connector builds (policies.requester)."""
    from policies import compile_policy
    from policies.requester import negotiation_decision, negotiation_request

    offer = restricted_offer("hta")
    ours = decide(offer, FIRM)
    request = negotiation_request(FIRM, TARGET, purpose=FLOOD, territory=None)
    theirs = negotiation_decision(compile_policy(parse_policy(parsed(offer).message_offer())), request, now=NOW)
    assert ours.outcome == theirs.outcome and ours.explanation["en"] == theirs.explain("en")[0]


@pytest.mark.parametrize("value,iri", [
    ("flood-risk-simulation", FLOOD_IRI), (FLOOD_IRI, FLOOD_IRI), (" research ", "https://w3id.org/jnt/purpose/research"),
    ("dpv:ResearchAndDevelopment", "https://w3id.org/dpv#ResearchAndDevelopment"),
])
def test_purposes_accepted(value, iri):
    assert parse_purpose(value) == iri


@pytest.mark.parametrize("value,rule", [(None, "required"), ("", "required"), ("flooding", "unknown-value"),
                                        ("https://example.org/purpose/x", "unknown-value"),
                                        ("https://w3id.org/jnt/purpose/nothing", "unknown-value")])
def test_purposes_refused(value, rule):
    with pytest.raises(QueryError) as caught:
        parse_purpose(value)
    assert (caught.value.parameter, caught.value.rule) == ("purpose", rule)
    assert "flood-risk-simulation" in caught.value.en


# -- routes -----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with access_api("sqlite", tmp_path_factory.mktemp("eligibility")) as (client, index, fake):
        yield client


def record_id(api, q: str) -> str:
    found = api.get("/api/datasets", params={"q": q}).json()["datasets"]
    assert len(found) == 1, found
    return found[0]["id"]


def test_dataset_eligibility_route(api):
    hta = record_id(api, "HTA")
    url = f"/api/datasets/{hta}/eligibility"
    public = api.get(url, params={"purpose": FLOOD}, headers=bearer("region-token"))
    assert public.status_code == 200, public.text
    body = public.json()
    assert body["decision"] == "obtainable" and body["best_offer"] == "urn:offer:hta:restricted"
    assert body["caller"] == {"anonymous": False, "did": REGION.did, "category": "public", "name": REGION.name,
                              "kind": None}
    assert body["declared"]["purpose"] == FLOOD_IRI and body["declared"]["territory"] is None
    assert body["provider"]["did"] == "did:web:enedis.example" and body["provider"]["dsp"].endswith("/enedis/dsp")
    detail = api.get(f"/api/datasets/{hta}").json()
    assert [o["policy"] for o in body["offers"]] == detail["offers"]  # the offers exactly as published

    private = api.get(url, params={"purpose": FLOOD}, headers=bearer("firm-token")).json()
    assert private["decision"] == "not-obtainable" and private["best_offer"] is None
    assert "private company" in private["offers"][0]["explanation"]["en"]

    anonymous = api.get(url, params={"purpose": FLOOD}).json()
    assert anonymous["caller"]["anonymous"] and "unknown participant" in anonymous["caller"]["note"]["en"]
    assert anonymous["offers"][0]["identity_dependent"] and anonymous["decision"] == "not-obtainable"

    by_iri = api.get("/api/datasets/" + quote("https://data.example.fr/enedis/hta", safe="") + "/eligibility",
                     params={"purpose": FLOOD}, headers=bearer("region-token")).json()
    assert by_iri["id"] == hta and by_iri["decision"] == "obtainable"
    assert api.get(f"/api/datasets/{hta}").json()["id"] == hta  # the detail route still answers


def test_territory_restricted_dataset_route(api):
    laisses = record_id(api, "laisses")
    url = f"/api/datasets/{laisses}/eligibility"
    inside = api.get(url, params={"purpose": FLOOD, "territory": "44109"}, headers=bearer("region-token")).json()
    assert inside["decision"] == "obtainable-with-duties" and inside["declared"]["territory"] == "44109"
    assert inside["offers"][0]["duties"][0]["due_after"] == "P1Y"
    wider = api.get(url, params={"purpose": FLOOD, "territory": "departement:44"},
                    headers=bearer("region-token")).json()
    assert wider["decision"] == "not-obtainable"


def test_eligibility_of_search_results(api):
    answer = api.get("/api/eligibility", params={"territory": "44109", "purpose": FLOOD, "per_page": 4},
                     headers=bearer("firm-token"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 7 and body["pages"] == 2 and len(body["datasets"]) == 4
    assert body["query"]["territory"]["code"] == "44109" and body["declared"]["territory"] == "44109"
    second = api.get(body["links"]["next"], headers=bearer("firm-token")).json()
    decisions = {d["title"]: d["decision"] for d in body["datasets"] + second["datasets"]}
    assert decisions["Réseau électrique HTA — Nantes Métropole"] == "not-obtainable"
    assert decisions["Laisses de crue — Nantes"] == "not-obtainable"
    assert decisions["PPRI Loire — zonage de Nantes (recherche)"] == "not-obtainable"
    assert decisions["MNT RGE ALTI 1 m — Nantes Métropole"] == "obtainable-with-duties"
    counts = body["decisions"]
    assert sum(counts.values()) == 4
    research = api.get("/api/eligibility", params={"q": "PPRI Nantes", "purpose": "research"}).json()
    assert [d["decision"] for d in research["datasets"]] == ["obtainable"]


@pytest.mark.parametrize("path,params,parameter,rule", [
    ("/api/datasets/{hta}/eligibility", {}, "purpose", "required"),
    ("/api/datasets/{hta}/eligibility", {"purpose": "flooding"}, "purpose", "unknown-value"),
    ("/api/datasets/{hta}/eligibility", {"purpose": FLOOD, "territory": "99999"}, "territory", "unknown-territory"),
    ("/api/datasets/{hta}/eligibility", {"purpose": FLOOD, "territory": "44109", "bbox": "-1.6,47.2,-1.5,47.3"},
     "territory", "exclusive"),
    ("/api/datasets/{hta}/eligibility", {"purpose": FLOOD, "bbox": "1,2"}, "bbox", "format"),
    ("/api/datasets/{hta}/eligibility", {"purpose": FLOOD, "q": "x"}, "q", "unknown-parameter"),
    ("/api/datasets/{hta}/eligibility", {"purpose": [FLOOD, "research"]}, "purpose", "repeated"),
    ("/api/datasets/{hta}/eligibility", {"purpose": FLOOD, "lang": "de"}, "lang", "unknown-value"),
    ("/api/eligibility", {"q": "nantes"}, "purpose", "required"),
    ("/api/eligibility", {"purpose": FLOOD, "licnce": "x"}, "licnce", "unknown-parameter"),
    ("/api/eligibility", {"purpose": FLOOD, "per_page": "500"}, "per_page", "range"),
])
def test_bad_parameters_answer_400(api, path, params, parameter, rule):
    hta = record_id(api, "HTA")
    answer = api.get(path.format(hta=hta), params=params, headers=bearer("region-token"))
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["error"], body["parameter"], body["rule"]) == ("invalid-parameter", parameter, rule)
    assert body["message"]["fr"] and body["message"]["en"]


def test_unknown_dataset_and_refused_token(api):
    missing = api.get("/api/datasets/ds-0000000000000000/eligibility", params={"purpose": FLOOD})
    assert missing.status_code == 404 and missing.json()["error"] == "not-found"
    hta = record_id(api, "HTA")
    for path in (f"/api/datasets/{hta}/eligibility", "/api/eligibility"):
        refused = api.get(path, params={"purpose": FLOOD}, headers=bearer("forged"))
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "unauthenticated" and refused.json()["check"] == "signature"
        assert refused.headers["www-authenticate"].startswith("Bearer")
    # A token is checked before anything else: a refused token is never answered as an anonymous caller.
    assert api.get("/api/eligibility", headers=bearer("forged")).status_code == 401
