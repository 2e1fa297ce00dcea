"""Brokering end to end on loopback with verified identities: a trust authority, two providers — IGN publishing
open datasets backed by files, Enedis (a private network operator) a dataset restricted to public bodies for
flood-risk simulation — the federated catalogue crawling them, and two consumers, a region (public body) and a
private consultancy. The region asks the catalogue for the flood-risk plan on Nantes and posts it to its own
connector, which negotiates, transfers and pulls every item: the files are in its received directory with the
providers' bytes, one agreement per item. The consultancy's plan names the restricted dataset: the item fails with
Enedis' refusal (its policy engine's explanation), and with an alternative given, the alternative is obtained.
Bad plans are refused naming the field and the rule, with nothing written; a run survives a restart of the consumer
mid-negotiation and finishes without negotiating twice (SQLite and PostgreSQL); a run can be cancelled; and
`jnt connector obtain --wait` / `jnt connector plans` drive it all from the command line."""

from __future__ import annotations

import copy
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from connector.cli import app as cli
from connector.control.client import ManagementClient, ManagementError
from connector.control.plane import PlaneOptions
from connector.federated_catalog import build_catalogue
from connector.identity import Participant
from connector.identity.did import did_from_url
from connector.server import BackgroundServer

from .space import ADMIN, MANAGEMENT, PASSPHRASE, QUICK, Space, wait_for

GC = "https://w3id.org/jnt/geoconcept/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
FLOOD = "flood-risk-simulation"
FLOOD_IRI = "https://w3id.org/jnt/purpose/flood-risk-simulation"
NANTES_BBOX = [-1.64, 47.18, -1.48, 47.30]
MNT = bytes(range(256)) * 512  # 128 KiB
HTA = "troncon;tension;commune\nT1;20 kV;Nantes\nT2;20 kV;Rezé\n".encode()
LIGNES = b"ligne;tension\nL1;63 kV\n"
OPEN = {"licence": "etalab-2.0", "access": "public"}
PUBLIC_FLOOD = {"licence": "restricted", "access": "restricted",
                "restrictions": {"categories": ["public"], "purposes": [FLOOD]}}
REFUSAL_FR = "'entreprise privée' n'est pas dans {organisme public}"
REFUSAL_EN = "recipient category 'private company' is not in {public body}"


def sheet(uid: str, title: str, geoconcept: str, bbox: list[float], access: str = "PUBLIC") -> dict:
    return {"id": f"https://data.example.fr/{uid}",
            "nature": {"title": title, "description": f"{title}, estuaire de la Loire.", "geoconcept": GC + geoconcept},
            "extent": {"bbox": bbox}, "access": {"access_rights": ACCESS + access},
            "licence": {"licence": "https://spdx.org/licenses/etalab-2.0.html" if access == "PUBLIC" else None,
                        "rights": f"© {uid.split('/')[0].upper()}"}}


def client_of(connector) -> ManagementClient:
    return ManagementClient(connector.base_url + "/management", MANAGEMENT, timeout=30, poll_interval=0.05)


def rows(connector) -> dict[str, int]:
    with connector.plane.store.engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("plan_runs", "plan_items", "negotiations", "transfers", "agreements")}


class World:
    """The data space of the module: authority, two providers, the catalogue, two consumers."""

    def __init__(self, root: Path) -> None:
        self.space = Space(root)
        self.ign = self.space.connector("ign", "public", "établissement public")
        self.enedis = self.space.connector("enedis", "private", "gestionnaire de réseau")
        self.region = self.space.connector("region", "public", "collectivité")
        self.bureau = self.space.connector("bureau", "private", "bureau d'études")
        self.clients = {name: client_of(getattr(self, name)) for name in ("ign", "enedis", "region", "bureau")}
        self.content: dict[str, bytes] = {}
        self.mnt = self.publish("ign", sheet("ign/mnt", "MNT RGE ALTI 1 m", "GC001", [-2.6, 46.9, -0.9, 47.8]),
                                OPEN, "mnt.asc", MNT)
        # Lines around Saint-Nazaire: outside Nantes, so never in a plan for Nantes — an alternative by hand.
        self.lignes = self.publish("ign", sheet("ign/lignes", "BD TOPO — lignes électriques de Saint-Nazaire",
                                                "GC061", [-2.35, 47.22, -2.15, 47.33]), OPEN, "lignes.csv", LIGNES)
        self.hta = self.publish("enedis", sheet("enedis/hta", "Réseau électrique HTA — Nantes", "GC061",
                                                [-1.8, 47.1, -1.4, 47.33], access="RESTRICTED"),
                                PUBLIC_FLOOD, "hta.csv", HTA)
        # The federated catalogue: a participant of its own, enrolled as a public body, crawling the directory.
        self.server = BackgroundServer()
        did = did_from_url(self.server.base_url)
        self.catalogue_participant = Participant.init(root / "catalogue", did, PASSPHRASE.encode())
        answer = httpx.post(self.space.authority_server.base_url + "/admin/participants", timeout=10,
                            headers={"Authorization": f"Bearer {ADMIN}"},
                            json={"did": did, "name": "Catalogue fédéré JNT", "category": "public",
                                  "kind": "catalogue"})
        answer.raise_for_status()
        self.catalogue_participant.save_credential(answer.json()["credential"])
        self.catalogue = build_catalogue(self.space.settings("catalogue"), self.server.base_url,
                                         participant=self.catalogue_participant,
                                         authority_url=self.space.authority_server.base_url, interval=3600)
        self.server.start(self.catalogue.app)
        assert self.catalogue.scheduler.wait_for_crawls(1, timeout=30)

    def publish(self, name: str, sheet_json: dict, template: dict, filename: str, data: bytes) -> str:
        connector = getattr(self, name)
        (connector.plane.sources_dir / filename).write_bytes(data)
        self.clients[name].publish_dataset(sheet=sheet_json, template=template,
                                           data_source={"type": "file", "path": filename})
        self.content[sheet_json["id"]] = data
        return sheet_json["id"]

    def catalogue_plan(self, consumer) -> dict:
        """The flood-risk plan on Nantes the catalogue makes for `consumer` (a self-issued token of its own)."""
        token = consumer.participant.token_for(self.catalogue_participant.did)
        answer = httpx.post(self.server.base_url + "/api/plans", timeout=30,
                            json={"usecase": "flood-risk", "territory": "44109", "purpose": FLOOD},
                            headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def offer(self, viewer: str, provider, dataset_id: str) -> dict:
        """The offer of `dataset_id` as `provider`'s DSP catalogue shows it to `viewer`."""
        catalog = self.clients[viewer].fetch_catalog(provider.dsp_url, provider.participant.did)
        datasets = catalog["dataset"] if isinstance(catalog["dataset"], list) else [catalog["dataset"]]
        return next(d for d in datasets if d["@id"] == dataset_id)["hasPolicy"][0]

    def close(self) -> None:
        self.server.stop()
        self.catalogue.close()
        for client in self.clients.values():
            client.close()
        self.space.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = World(tmp_path_factory.mktemp("brokering"))
    yield built
    built.close()


def candidate(gc: str, dataset_id: str, title: str, provider, name: str, category: str, offer: dict) -> dict:
    return {"geoconcept": {"id": gc, "iri": GC + gc, "label": {"fr": title, "en": title}, "role": "calcul"},
            "dataset": {"id": dataset_id, "record": f"ds-{uuid.uuid4().hex[:16]}", "title": title},
            "provider": {"did": provider.participant.did, "name": name, "category": category,
                         "dsp": provider.dsp_url},
            "offer": offer, "format": "HttpData-PULL", "decision": "obtainable", "duties": [],
            "explanation": {"fr": "autorisé", "en": "permitted"}, "score": 0.5}


def hand_plan(items: list[dict], consumer: str | None = None) -> dict:
    """A plan in the catalogue's format, written by hand (for cases a catalogue would not plan)."""
    return {"type": "AccessPlan", "version": 1, "id": f"urn:uuid:{uuid.uuid4()}", "created": "2026-12-08T10:00:00Z",
            "catalogue": None, "consumer": consumer, "usecase": "flood-risk",
            "territory": {"code": "44109", "label": "Nantes", "bbox": NANTES_BBOX}, "bbox": None,
            "purpose": FLOOD_IRI, "items": items,
            "gaps": [{"geoconcept": {"id": "GC002", "iri": GC + "GC002", "label": {"fr": "MNT", "en": "MNT"},
                                     "role": "calcul"},
                      "reason": "not-offered", "explanation": {"fr": "aucun jeu", "en": "no dataset"},
                      "candidates": []}]}


def provider_negotiations(provider, consumer) -> list:
    return [n for n in provider.plane.store.list("negotiation", role="provider", limit=1000)
            if n.counterparty_did == consumer.participant.did]


def test_the_catalogues_plan_is_obtained_item_by_item(world):
    plan = world.catalogue_plan(world.region)
    items = {item["geoconcept"]["id"]: item for item in plan["items"]}
    assert sorted(items) == ["GC001", "GC061"]
    assert items["GC001"]["dataset"]["id"] == world.mnt and items["GC061"]["dataset"]["id"] == world.hta
    client = world.clients["region"]
    before = rows(world.region)
    negotiated = {p: len(provider_negotiations(getattr(world, p), world.region)) for p in ("ign", "enedis")}

    answer = httpx.post(world.region.base_url + "/management/plans", json={"plan": plan}, timeout=30,
                        headers={"Authorization": f"Bearer {MANAGEMENT}"})
    assert answer.status_code == 202, answer.text
    started = answer.json()
    assert started["status"] == "running" and started["plan_id"] == plan["id"]
    assert answer.headers["location"].endswith(f"/management/plans/{started['id']}")
    assert started["territory"] == "44109" and started["purpose"] == plan["declared"]["purpose"]
    assert started["gaps"] == plan["gaps"] and started["totals"]["gaps"] == len(plan["gaps"]) > 0

    run = client.wait_plan_run(started["id"], timeout=60)
    assert run["status"] == "completed", json.dumps(run["items"], indent=1)
    assert run["totals"] == {"items": 2, "pending": 0, "under_way": 0, "succeeded": 2, "failed": 0, "skipped": 0,
                             "gaps": len(plan["gaps"])}
    received_dir = world.region.receiver.received_dir
    for item in run["items"]:
        assert item["step"] == "fetched" and item["error"] is None
        assert item["negotiation"]["state"] == "FINALIZED" and item["transfer"]["state"] == "STARTED"
        path = Path(item["received"]["path"])
        assert path.is_relative_to(received_dir / "plans" / run["id"])
        assert path.read_bytes() == world.content[item["dataset"]["id"]]
        assert item["received"]["size"] == len(world.content[item["dataset"]["id"]])
        [attempt] = item["attempts"]
        assert attempt["outcome"] == "fetched" and attempt["negotiation_id"] == item["negotiation"]["id"]
        agreement = client.get_agreement(item["agreement_id"])
        assert agreement["target"] == item["dataset"]["id"] and agreement["provider_did"] == item["provider"]["did"]
    # Exactly one negotiation, one agreement and one transfer per item, on both sides.
    assert len({item["agreement_id"] for item in run["items"]}) == 2
    after = rows(world.region)
    assert {k: after[k] - before[k] for k in after} == {"plan_runs": 1, "plan_items": 2, "negotiations": 2,
                                                        "transfers": 2, "agreements": 2}
    assert {p: len(provider_negotiations(getattr(world, p), world.region)) - negotiated[p]
            for p in ("ign", "enedis")} == {"ign": 1, "enedis": 1}
    listed = client.list_plan_runs(status="completed")
    assert started["id"] in [r["id"] for r in listed["items"]]


def test_a_refused_item_fails_with_the_providers_reason_then_its_alternative_is_obtained(world):
    # The consultancy cannot see Enedis' dataset in Enedis' catalogue: the offer is the one the region sees.
    restricted = candidate("GC061", world.hta, "Réseau électrique HTA — Nantes", world.enedis, "Enedis", "private",
                           world.offer("region", world.enedis, world.hta))
    alternative = candidate("GC061", world.lignes, "BD TOPO — lignes électriques", world.ign, "IGN", "public",
                            world.offer("bureau", world.ign, world.lignes))
    client = world.clients["bureau"]
    bureau = world.bureau.participant.did

    alone = client.run_plan(hand_plan([{**restricted, "alternatives": []}], consumer=bureau))
    run = client.wait_plan_run(alone["id"], timeout=60)
    assert run["status"] == "failed"
    [item] = run["items"]
    assert item["step"] == "failed" and item["negotiation"]["state"] == "TERMINATED"
    assert item["transfer"] is None and item["agreement_id"] is None and item["received"] is None
    error = item["error"]
    assert error["code"] == "refused-by-provider" and error["provider_code"] == "policy-refused"
    assert REFUSAL_EN in error["en"] and REFUSAL_FR in error["fr"]
    assert REFUSAL_FR not in error["en"] and REFUSAL_EN not in error["fr"]  # each language on its own
    assert any(REFUSAL_EN in line for line in error["provider_reason"])
    [attempt] = item["attempts"]
    assert attempt["outcome"] == "refused" and attempt["reason"] == error

    with_alternative = hand_plan([{**restricted, "alternatives": [alternative]}], consumer=bureau)
    refused_only = client.run_plan(with_alternative, use_alternatives=False)
    assert client.wait_plan_run(refused_only["id"], timeout=60)["status"] == "failed"
    run = client.wait_plan_run(client.run_plan(with_alternative)["id"], timeout=60)
    assert run["status"] == "completed", json.dumps(run["items"], indent=1)
    [item] = run["items"]
    assert item["step"] == "fetched" and item["candidate"] == 1 and item["candidates"] == 2
    assert item["provider"]["did"] == world.ign.participant.did and item["dataset"]["id"] == world.lignes
    assert Path(item["received"]["path"]).read_bytes() == LIGNES
    first, second = item["attempts"]
    assert (first["outcome"], first["provider"]["did"], first["agreement_id"]) == (
        "refused", world.enedis.participant.did, None)
    assert REFUSAL_EN in first["reason"]["en"]
    assert (second["outcome"], second["dataset"]["id"]) == ("fetched", world.lignes)
    assert second["negotiation_id"] == item["negotiation"]["id"] != first["negotiation_id"]
    assert item["error"] is None


def _bad(plan: dict, change) -> dict:
    bad = copy.deepcopy(plan)
    change(bad)
    return bad


def _set(path: list, value):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return change


@pytest.mark.parametrize("change,status,field,rule", [
    (_set(["items"], KeyError), 422, "plan.items", "required"),
    (_set(["version"], 2), 422, "plan.version", "const"),
    (_set(["type"], "Plan"), 422, "plan.type", "const"),
    (_set(["items", 0, "decision"], "not-obtainable"), 422, "plan.items[0].decision", "enum"),
    (_set(["items", 0, "offer", "@id"], KeyError), 422, "plan.items[0].offer.@id", "required"),
    (_set(["items", 0, "geoconcept", "label"], "MNT"), 422, "plan.items[0].geoconcept.label", "type"),
    (_set(["id"], "plan-1"), 422, "plan.id", "pattern"),
    (_set(["items", 0, "provider", "dsp"], "ftp://ign.example/api/dsp/2025-1"), 400,
     "plan.items[0].provider.dsp", "http-url"),
    (_set(["items", 0, "alternatives"], [{"provider": {"dsp": "javascript:alert(1)"}}]), 400,
     "plan.items[0].alternatives[0].provider.dsp", "http-url"),
    (_set(["consumer"], "did:web:someone-else.example"), 400, "plan.consumer", "wrong-consumer"),
    (_set(["purpose"], "flooding"), 400, "plan.purpose", None),
    (_set(["items", 0, "provider", "did"], "IGN"), 400, "plan.items[0].provider.did", "participant-id"),
    (_set(["items", 0, "offer", "permission"], [{"action": "use", "constraint": [
        {"leftOperand": "shoeSize", "operator": "eq", "rightOperand": 42}]}]), 400, None, None),
])
def test_bad_plans_are_refused_naming_the_field_and_nothing_is_written(world, change, status, field, rule):
    good = hand_plan([{**candidate("GC001", world.mnt, "MNT", world.ign, "IGN", "public",
                                   world.offer("region", world.ign, world.mnt)), "alternatives": []}],
                     consumer=world.region.participant.did)
    before = rows(world.region)
    with pytest.raises(ManagementError) as refused:
        world.clients["region"].run_plan(_bad(good, change))
    error = refused.value
    assert error.status == status, error.body
    assert error.code == ("invalid-plan" if status == 422 else "wrong-consumer" if rule == "wrong-consumer"
                          else "invalid-input"), error.body
    if field is not None:
        assert error.field == field, error.body
    else:
        assert error.field.startswith("plan.items[0].offer.permission[0]"), error.body
    problem = error.body["problems"][0]
    assert problem["field"] == error.field and (rule is None or problem["code"] == rule), error.body
    assert error.fr and error.en and error.field in error.fr and error.field in error.en
    assert rows(world.region) == before


def test_bad_requests_around_the_plan(world):
    client = world.clients["region"]
    before = rows(world.region)
    good = hand_plan([{**candidate("GC001", world.mnt, "MNT", world.ign, "IGN", "public",
                                   world.offer("region", world.ign, world.mnt)), "alternatives": []}])
    headers = {"Authorization": f"Bearer {MANAGEMENT}"}
    url = world.region.base_url + "/management/plans"
    for body, field in (({"plan": good, "parallel": 0}, "parallel"), ({"plan": "a plan"}, "plan"),
                        ({"plan": good, "fetch": "sometimes"}, "fetch"), ({"plan": good, "extra": 1}, "extra")):
        answer = httpx.post(url, json=body, headers=headers, timeout=10)
        assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    # A plan posted alone is read the same, fields named from its root.
    bare = _bad(good, _set(["items", 0, "provider", "dsp"], "file:///etc/passwd"))
    answer = httpx.post(url, json=bare, headers=headers, timeout=10)
    assert answer.status_code == 400 and answer.json()["field"] == "items[0].provider.dsp", answer.text
    assert httpx.post(url, json=good, headers={}, timeout=10).status_code == 401
    assert rows(world.region) == before
    with pytest.raises(ManagementError) as unknown:
        client.get_plan_run("no-such-run")
    assert unknown.value.status == 404
    with pytest.raises(ManagementError) as bad_status:
        client.list_plan_runs(status="done")
    assert bad_status.value.status == 422 and bad_status.value.field == "status"


def test_the_command_line_obtains_a_plan_and_lists_the_runs(world, tmp_path):
    plan = world.catalogue_plan(world.region)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    runner = CliRunner()
    common = ["--management-url", world.region.base_url + "/management", "--token", MANAGEMENT]
    done = runner.invoke(cli, ["--lang", "en", "connector", "obtain", str(path), "--wait", "--parallel", "1",
                               *common])
    assert done.exit_code == 0, done.output
    assert "completed" in done.output and "2 obtained, 0 failed" in done.output
    assert "GC061 Réseau électrique HTA — Nantes: " in done.output and done.output.count("→ fetched") == 2
    assert "hta.csv" in done.output and "mnt.asc" in done.output
    run_id = done.output.split("Run ", 1)[1].split(":", 1)[0]
    listed = runner.invoke(cli, ["connector", "plans", *common])
    assert listed.exit_code == 0 and run_id in listed.output and "terminé" in listed.output, listed.output
    shown = runner.invoke(cli, ["connector", "plans", run_id, "--json", *common])
    assert shown.exit_code == 0, shown.output
    run = json.loads(shown.stdout)
    assert [i["step"] for i in run["items"]] == ["fetched", "fetched"] and run["options"]["parallel"] == 1
    no_fetch = runner.invoke(cli, ["connector", "obtain", str(path), "--wait", "--no-fetch", "--json", *common])
    assert no_fetch.exit_code == 0, no_fetch.output
    run = json.loads(no_fetch.stdout)
    assert run["status"] == "completed" and [i["step"] for i in run["items"]] == ["started", "started"]
    assert all(i["received"] is None and i["fetch"] is False for i in run["items"])
    missing = runner.invoke(cli, ["--lang", "en", "connector", "obtain", str(tmp_path / "none.json"), *common])
    assert missing.exit_code == 1 and "cannot read" in missing.output


# -- restart and cancel: a provider that holds its answers ----------------------------------------------------------

# The provider answers a contract request 30 s late: long enough to stop the consumer with its negotiation open.
SLOW = PlaneOptions(chain_delay=0.05, first_callback_delay=30.0, base_delay=0.05, max_delay=0.5, idle_poll=0.5)


class SlowSpace:
    def __init__(self, root: Path, database_for=None) -> None:
        self.space = Space(root, database_for=database_for)
        self.provider_server, self.consumer_server = BackgroundServer(), BackgroundServer()
        self.provider = self.space.connector("ddtm44", "public", "service de l'État", options=SLOW,
                                             server=self.provider_server)
        self.consumer = self.space.connector("region", "public", options=QUICK, server=self.consumer_server)
        self.datasets = []
        with client_of(self.provider) as client:
            for n in range(2):
                dataset_id = f"https://data.example.fr/ddtm44/zones-{n}"
                (self.provider.plane.sources_dir / f"zones-{n}.csv").write_text(f"zone;aléa\nZ{n};fort\n",
                                                                                encoding="utf-8")
                client.publish_dataset(sheet={"id": dataset_id, "nature": {"title": f"Zonage {n}"}}, template=OPEN,
                                       data_source={"type": "file", "path": f"zones-{n}.csv"})
                self.datasets.append(dataset_id)

    def plan(self) -> dict:
        with client_of(self.consumer) as client:
            catalog = client.fetch_catalog(self.provider.dsp_url, self.provider.participant.did)
        offers = {d["@id"]: d["hasPolicy"][0] for d in catalog["dataset"]}
        return hand_plan([{**candidate(f"GC03{n}", dataset_id, f"Zonage {n}", self.provider, "DDTM 44", "public",
                                       offers[dataset_id]), "alternatives": []}
                          for n, dataset_id in enumerate(self.datasets)])

    def expedite(self) -> None:
        for process in self.provider.plane.store.list("negotiation", role="provider"):
            self.provider.plane.store.expedite("negotiation", process.id)
        self.provider.plane.wake()

    def close(self) -> None:
        self.space.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def slow(request, tmp_path):
    database_for = None
    if request.param == "postgresql":
        make, urls = request.getfixturevalue("postgres_schemas"), {}

        def database_for(name: str) -> str:  # one schema per participant, the same after a restart
            if name not in urls:
                urls[name] = make(name)
            return urls[name]
    built = SlowSpace(tmp_path, database_for)
    yield built
    built.close()


def test_a_run_resumes_after_a_restart_and_negotiates_each_item_once(slow):
    plan = slow.plan()
    with client_of(slow.consumer) as client:
        run = client.run_plan(plan, parallel=1)
        first = wait_for(lambda: client.get_plan_run(run["id"])["items"][0],
                         lambda item: (item["negotiation"] or {}).get("state") == "REQUESTED", timeout=20)
        assert first["step"] == "negotiating"
        with pytest.raises(ManagementError) as again:  # the same plan cannot run twice at once
            client.run_plan(plan)
        assert again.value.status == 409 and again.value.code == "plan-running"
        assert again.value.body["detail"]["run_id"] == run["id"]
    snapshot = [(i.step, i.negotiation_id) for i in slow.consumer.plane.plans.runs.items(run["id"])]
    assert snapshot == [("negotiating", first["negotiation"]["id"]), ("pending", None)]
    # Both stop; the consumer comes back on the same data directory and port, the provider without its delay.
    slow.space.stop_member(slow.consumer)
    slow.space.stop_member(slow.provider)
    slow.provider = slow.space.connector("ddtm44", "public", options=QUICK,
                                         server=BackgroundServer(port=slow.provider_server.port))
    slow.consumer = slow.space.connector("region", "public", options=QUICK,
                                         server=BackgroundServer(port=slow.consumer_server.port))
    slow.expedite()
    with client_of(slow.consumer) as client:
        done = client.wait_plan_run(run["id"], timeout=60)
    assert done["status"] == "completed", json.dumps(done["items"], indent=1)
    assert [i["step"] for i in done["items"]] == ["fetched", "fetched"]
    assert done["items"][0]["negotiation"]["id"] == first["negotiation"]["id"]  # the same negotiation, resumed
    assert [len(i["attempts"]) for i in done["items"]] == [1, 1]
    for n, item in enumerate(done["items"]):
        assert Path(item["received"]["path"]).read_text(encoding="utf-8") == f"zone;aléa\nZ{n};fort\n"
    assert slow.consumer.plane.store.count("negotiation") == 2
    assert len(provider_negotiations(slow.provider, slow.consumer)) == 2  # never a second negotiation
    assert rows(slow.consumer)["agreements"] == 2


def test_a_cancelled_run_starts_nothing_more(tmp_path):
    slow = SlowSpace(tmp_path)
    try:
        with client_of(slow.consumer) as client:
            run = client.run_plan(slow.plan(), parallel=1)
            wait_for(lambda: client.get_plan_run(run["id"])["items"][0],
                     lambda item: (item["negotiation"] or {}).get("state") == "REQUESTED", timeout=20)
            cancelled = client.cancel_plan_run(run["id"])
            assert cancelled["status"] == "cancelled" and cancelled["finished_at"]
            assert [(i["step"], i["error"]["code"], i["error"]["step"]) for i in cancelled["items"]] == [
                ("skipped", "cancelled", "negotiating"), ("skipped", "cancelled", "pending")]
            with pytest.raises(ManagementError) as again:
                client.cancel_plan_run(run["id"])
            assert again.value.status == 409
            # The negotiation under way finishes on its own; no transfer follows, no pending item starts.
            slow.expedite()
            wait_for(lambda: slow.consumer.plane.store.list("negotiation"),
                     lambda ps: ps and ps[0].state == "FINALIZED", timeout=20)
            slow.consumer.plane.plans.sweep()
            time.sleep(0.5)  # what the event and the sweep would wrongly start has had time to
            after = client.get_plan_run(run["id"])
            assert after["status"] == "cancelled" and [i["step"] for i in after["items"]] == ["skipped", "skipped"]
            assert slow.consumer.plane.store.count("transfer") == 0
            assert slow.consumer.plane.store.count("negotiation") == 1
    finally:
        slow.close()
