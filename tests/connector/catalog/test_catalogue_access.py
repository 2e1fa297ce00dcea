"""Eligibility, access plans and the readiness report of the federated catalogue as a participant of a real data
space on loopback: a trust authority, provider connectors (a network operator restricting its dataset to public
bodies for flood-risk simulation), the catalogue crawling them, and two consumers — a public body and a private
company — presenting self-issued tokens (membership credential inside) addressed to the catalogue's DID.

The point: what the catalogue announces is what the provider's connector decides. Each announced decision is checked
against a real negotiation with the provider, started from the consumer's management API with the plan's item (DSP
address, provider DID, dataset, offer as published, declared purpose and territory): obtainable ⇔ FINALIZED, and
the provider's explanation is the catalogue's, line for line. A refused token answers 401, bad parameters 400."""

from __future__ import annotations

import lxml.html
import pytest

from catalog.federated.plans import validate_plan
from connector.control.client import ManagementClient

from ..control.space import MANAGEMENT
from .test_federated_catalog import World

FLOOD = "flood-risk-simulation"


class Access:
    """The data space of `test_federated_catalog` plus two consumer connectors."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.region = world.space.connector("region", "public", "collectivité")
        self.bureau = world.space.connector("bureau", "private", "bureau d'études")
        self.clients = {id(c): ManagementClient(c.base_url + "/management", MANAGEMENT, timeout=20, poll_interval=0.05)
                        for c in (self.region, self.bureau, world.enedis)}
        self.api = world.api
        self.catalogue_did = world.participant.did

    def headers(self, consumer) -> dict[str, str]:
        """A fresh token (each is single-use) from `consumer` for the catalogue."""
        return {"Authorization": f"Bearer {consumer.participant.token_for(self.catalogue_did)}"}

    def client(self, connector) -> ManagementClient:
        return self.clients[id(connector)]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@pytest.fixture(scope="module")
def access(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("access"), None)
    built = Access(world)
    yield built
    built.close()
    world.close()


def hta_record(access: Access) -> str:
    found = access.api.get("/datasets", params={"q": "HTA"}).json()["datasets"]
    assert [d["title"] for d in found] == ["Réseau électrique HTA — Nantes"]
    return found[0]["id"]


def eligibility(access: Access, consumer, purpose: str = FLOOD, **params) -> dict:
    answer = access.api.get(f"/datasets/{hta_record(access)}/eligibility", params={"purpose": purpose, **params},
                            headers=access.headers(consumer))
    assert answer.status_code == 200, answer.text
    return answer.json()


def negotiate(access: Access, consumer, item: dict, declared: dict) -> tuple[dict, dict]:
    """A real negotiation from the consumer's management API with what the catalogue gave; the consumer's and the
    provider's views of it once ended."""
    client = access.client(consumer)
    started = client.start_negotiation(item["provider"]["dsp"], item["provider"]["did"], item["dataset"]["id"],
                                       item["offer"], purpose=declared["purpose"], territory=declared["territory"])
    ended = client.wait_negotiation(started["id"], timeout=30)
    provider_side = access.client(access.world.enedis).list_negotiations(role="provider", limit=200)["items"]
    theirs = next(n for n in provider_side if n["consumer_pid"] == ended["consumer_pid"])
    return ended, theirs


def as_item(body: dict) -> dict:
    """A dataset eligibility answer in the shape of a plan item (what `negotiate` reads)."""
    offer = body["offers"][0]
    return {"provider": body["provider"], "dataset": {"id": body["dataset_id"]}, "offer": offer["policy"],
            "decision": offer["decision"], "details": offer["details"]}


@pytest.mark.parametrize("who,purpose,announced", [
    ("region", FLOOD, "obtainable"),
    ("bureau", FLOOD, "not-obtainable"),
    ("region", "urban-planning", "not-obtainable"),
])
def test_announced_decision_is_the_providers_decision(access, who, purpose, announced):
    consumer = getattr(access, who)
    body = eligibility(access, consumer, purpose)
    assert body["caller"]["did"] == consumer.participant.did and not body["caller"]["anonymous"]
    assert body["decision"] == announced
    offer = body["offers"][0]
    if who == "bureau":
        assert "'entreprise privée' n'est pas dans {organisme public}" in offer["explanation"]["fr"]
        assert "recipient category 'private company' is not in {public body}" in offer["explanation"]["en"]
    if purpose == "urban-planning":
        assert offer["explanation"]["en"] == "denied: the purpose 'urban-planning' is not in {flood-risk-simulation}"

    ours, theirs = negotiate(access, consumer, as_item(body), body["declared"])
    assert ours["state"] == ("FINALIZED" if announced == "obtainable" else "TERMINATED"), ours
    assert theirs["decision"]["outcome"] == offer["outcome"]
    assert theirs["decision"]["fr"] == offer["details"]["fr"] and theirs["decision"]["en"] == offer["details"]["en"]
    if announced != "obtainable":
        received = ours["error_detail"]  # the provider's termination reasons, as the consumer received them
        assert offer["explanation"]["fr"] in received and offer["explanation"]["en"] in received


def test_the_plan_is_run_by_the_consumers_connector(access):
    answer = access.api.post("/plans", json={"usecase": "flood-risk", "territory": "44109", "purpose": FLOOD},
                             headers=access.headers(access.region))
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    validate_plan(plan)
    assert plan["catalogue"] == access.catalogue_did and plan["consumer"] == access.region.participant.did
    items = {item["geoconcept"]["id"]: item for item in plan["items"]}
    hta = items["GC061"]
    assert hta["dataset"]["title"] == "Réseau électrique HTA — Nantes" and hta["decision"] == "obtainable"
    assert hta["provider"]["dsp"] == access.world.enedis.dsp_url
    assert hta["provider"]["did"] == access.world.enedis.participant.did
    gaps = {gap["geoconcept"]["id"]: gap for gap in plan["gaps"]}
    assert gaps["GC039"]["reason"] == "not-offered"  # the PPRI zoning published lies outside Nantes
    assert gaps["GC002"]["reason"] == "not-offered" and "Nantes" in gaps["GC002"]["explanation"]["en"]

    for item in (hta, items["GC036"]):  # restricted and open offers, two providers
        ours, theirs = negotiate_any(access, item, plan["declared"])
        assert ours["state"] == "FINALIZED", ours
        assert theirs is None or theirs["decision"]["outcome"] == "permit"
        client = access.client(access.region)
        transfer = client.start_transfer(ours["agreement_id"], format=item["format"])
        started = client.wait_transfer(transfer["id"], timeout=30)
        assert started["state"] == "STARTED", started

    private = access.api.post("/plans", json={"usecase": "flood-risk", "territory": "44109", "purpose": FLOOD},
                              headers=access.headers(access.bureau)).json()
    validate_plan(private)
    refused = {gap["geoconcept"]["id"]: gap for gap in private["gaps"]}["GC061"]
    assert refused["reason"] == "not-obtainable"
    assert "private company" in refused["candidates"][0]["explanation"]["en"]


def negotiate_any(access: Access, item: dict, declared: dict) -> tuple[dict, dict | None]:
    """Like `negotiate`, for a provider whose management API this test may not hold."""
    if item["provider"]["did"] == access.world.enedis.participant.did:
        return negotiate(access, access.region, item, declared)
    client = access.client(access.region)
    started = client.start_negotiation(item["provider"]["dsp"], item["provider"]["did"], item["dataset"]["id"],
                                       item["offer"], purpose=declared["purpose"], territory=declared["territory"])
    return client.wait_negotiation(started["id"], timeout=30), None


def test_refused_tokens_answer_401(access):
    hta = hta_record(access)
    url = f"/datasets/{hta}/eligibility"
    wrong_audience = access.region.participant.token_for(access.world.enedis.participant.did)
    answer = access.api.get(url, params={"purpose": FLOOD}, headers={"Authorization": f"Bearer {wrong_audience}"})
    assert answer.status_code == 401 and answer.json()["check"] == "audience", answer.text
    assert "token refused" in answer.json()["message"]["en"]
    once = access.headers(access.region)
    assert access.api.get(url, params={"purpose": FLOOD}, headers=once).status_code == 200
    replayed = access.api.get(url, params={"purpose": FLOOD}, headers=once)
    assert replayed.status_code == 401 and replayed.json()["check"] == "replay"
    garbage = access.api.post("/plans", json={"usecase": "flood-risk", "purpose": FLOOD},
                              headers={"Authorization": "Bearer not-a-jwt"})
    assert garbage.status_code == 401
    anonymous = access.api.get(url, params={"purpose": FLOOD})
    assert anonymous.status_code == 200 and anonymous.json()["caller"]["anonymous"]


def test_bad_parameters_answer_400(access):
    hta = hta_record(access)
    for path, params, parameter in ((f"/datasets/{hta}/eligibility", {"purpose": "flooding"}, "purpose"),
                                    (f"/datasets/{hta}/eligibility", {"purpose": FLOOD, "territory": "Nantes"},
                                     "territory"),
                                    ("/reports/readiness", {"format": "pdf"}, "format")):
        answer = access.api.get(path, params=params, headers=access.headers(access.region))
        assert answer.status_code == 400 and answer.json()["parameter"] == parameter, answer.text
    plan = access.api.post("/plans", json={"usecase": "flood-risk"}, headers=access.headers(access.region))
    assert plan.status_code == 400 and plan.json()["parameter"] == "purpose"
    missing = access.api.get("/datasets/ds-0000000000000000/eligibility", params={"purpose": FLOOD})
    assert missing.status_code == 404


def test_readiness_page(access):
    base = access.world.server.base_url
    answer = access.api.get(base + "/reports/readiness", params={"territory": "44109", "purpose": FLOOD},
                            headers=access.headers(access.region))
    assert answer.status_code == 200, answer.text
    doc = lxml.html.fromstring(answer.text)
    assert doc.get("lang") == "fr"
    row = doc.xpath("//tr[@data-geoconcept='GC061']")[0]
    texts = [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
    assert texts[1:4] == ["oui", "enedis", "1"] and texts[-1] == "oui (obtenable)"
    assert doc.xpath("//dl[@class='context']/dd")[2].text_content().startswith("region")
    english = lxml.html.fromstring(access.api.get(base + "/reports/readiness", params={
        "territory": "44109", "purpose": FLOOD, "lang": "en"}).text)
    assert english.get("lang") == "en"
    row = english.xpath("//tr[@data-geoconcept='GC061']")[0]
    assert " ".join(row.xpath("./td")[-1].text_content().split()) == "no (not obtainable)"  # anonymous
    report = access.api.get("/reports/readiness", params={"territory": "44109", "purpose": FLOOD},
                            headers=access.headers(access.region)).json()
    assert report["totals"]["contextualisation"]["obtainable"] >= 1 and report["catalogue"] == access.catalogue_did
