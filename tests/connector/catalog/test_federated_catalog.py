"""The federated catalogue as a participant of a real data space on loopback (SQLite and PostgreSQL): a trust
authority, three enrolled connectors publishing datasets through their management API, and the catalogue —
enrolled too — crawling the authority's directory in the background with its own verified tokens. It finds the
connectors' DSP endpoints in their DID documents, sees what its credential may see (a dataset offered to private
companies only is not shown to it), is searchable by text, géo-concept, place and criteria, picks up an edit and a
removal on the next crawl, and keeps a stopped connector's data, marked stale. `jnt catalog crawl --once` does the
same from a static list."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from rdflib import URIRef
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from connector.cli import app as cli
from connector.control.client import ManagementClient
from connector.federated_catalog import build_catalogue
from connector.identity import Participant
from connector.identity.did import did_from_url
from connector.server import BackgroundServer

from ..control.space import ADMIN, MANAGEMENT, PASSPHRASE, Space

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GC = "https://w3id.org/jnt/geoconcept/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"


def sheet(uid: str, title: str, geoconcept: str, bbox: list[float], **extra) -> dict:
    return {"id": f"https://data.example.fr/{uid}",
            "nature": {"title": title, "description": f"{title}, estuaire de la Loire.", "geoconcept": GC + geoconcept},
            "extent": {"bbox": bbox}, "access": {"access_rights": ACCESS + extra.pop("access", "PUBLIC")},
            "licence": {"licence": extra.pop("licence", "https://spdx.org/licenses/etalab-2.0.html")}, **extra}


OPEN = {"licence": "etalab-2.0", "access": "public"}


def restricted(category: str) -> dict:
    return {"licence": "restricted", "access": "restricted",
            "restrictions": {"categories": [category], "purposes": ["flood-risk-simulation"]}}


class World:
    def __init__(self, root: Path, database_url: str | None) -> None:
        self.space = Space(root)
        self.ddtm = self.space.connector("ddtm-44", "public", "service de l'État")
        self.ign = self.space.connector("ign", "public", "établissement public")
        self.enedis = self.space.connector("enedis", "private", "gestionnaire de réseau")
        self.clients = {id(c): ManagementClient(c.base_url + "/management", MANAGEMENT, timeout=20)
                        for c in (self.ddtm, self.ign, self.enedis)}
        self.publish(self.ddtm, sheet("ddtm/ppri", "Zonage réglementaire PPRI — Inondation", "GC039",
                                      [-2.30, 47.25, -2.20, 47.30]), OPEN)
        self.publish(self.ddtm, sheet("ddtm/crues", "Crues historiques de la Loire à Nantes", "GC036",
                                      [-1.56, 47.20, -1.54, 47.22]), OPEN)
        self.publish(self.ign, sheet("ign/mnt", "MNT RGE ALTI 1 m", "GC001", [-2.6, 46.9, -0.9, 47.8]), OPEN)
        self.publish(self.enedis, sheet("enedis/hta", "Réseau électrique HTA — Nantes", "GC061",
                                        [-1.8, 47.1, -1.4, 47.33], access="RESTRICTED", licence=None),
                     restricted("public"))
        self.publish(self.enedis, sheet("enedis/clients", "Clients sensibles (entreprises)", "GC061",
                                        [-1.8, 47.1, -1.4, 47.33], access="RESTRICTED", licence=None),
                     restricted("private"))
        # The catalogue: a participant of its own, enrolled as a public body.
        self.server = BackgroundServer()
        did = did_from_url(self.server.base_url)
        data_dir = root / "catalogue"
        self.participant = Participant.init(data_dir, did, PASSPHRASE.encode())
        answer = httpx.post(self.space.authority_server.base_url + "/admin/participants", timeout=10,
                            headers={"Authorization": f"Bearer {ADMIN}"},
                            json={"did": did, "name": "Catalogue fédéré JNT", "category": "public",
                                  "kind": "catalogue"})
        answer.raise_for_status()
        self.participant.save_credential(answer.json()["credential"])
        self.catalogue = build_catalogue(self.space.settings("catalogue"), self.server.base_url,
                                         participant=self.participant, database_url=database_url,
                                         authority_url=self.space.authority_server.base_url, interval=3600)
        self.server.start(self.catalogue.app)  # the app's lifespan starts the background crawl
        self.api = httpx.Client(base_url=self.server.base_url + "/api", timeout=10)
        self.crawled(1)

    def publish(self, connector, sheet_json: dict, template: dict, replace: bool = False) -> None:
        self.clients[id(connector)].publish_dataset(sheet=sheet_json, template=template, replace=replace)

    def crawled(self, count: int) -> None:
        assert self.catalogue.scheduler.wait_for_crawls(count, timeout=30)

    def recrawl(self) -> None:
        done = self.catalogue.scheduler.crawls
        self.catalogue.scheduler.wake()
        self.crawled(done + 1)

    def titles(self, **params) -> list[str]:
        answer = self.api.get("/datasets", params={"per_page": 100, **params})
        assert answer.status_code == 200, answer.text
        return sorted(d["title"] for d in answer.json()["datasets"])

    def close(self) -> None:
        self.api.close()
        self.server.stop()
        self.catalogue.close()
        for client in self.clients.values():
            client.close()
        self.space.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):
    schema = None
    url = None
    if request.param == "postgresql":
        schema = f"fc_space_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    built = World(tmp_path, url)
    yield built
    built.close()
    if schema is not None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_catalogue_crawls_the_data_space(world):
    report = world.catalogue.scheduler.last_report
    assert report is not None and report.source_error is None
    assert (report.ok, report.failed) == (3, 0), report.to_json()
    connectors = world.api.get("/connectors").json()
    assert connectors["states"] == {"ok": 3} and connectors["total"] == 3  # the catalogue does not crawl itself
    enedis = world.api.get(f"/connectors/{quote(world.enedis.participant.did, safe='')}").json()
    assert enedis["category"] == "private" and enedis["address"] == world.enedis.dsp_url
    assert enedis["name"] == "enedis" and enedis["dataset_count"] == 1

    # What the catalogue's own credential (a public body) may see: not the private-companies-only dataset.
    assert world.titles(provider=world.enedis.participant.did) == ["Réseau électrique HTA — Nantes"]
    assert world.titles(q="inondation") == world.titles(q="Inondation") == ["Zonage réglementaire PPRI — Inondation"]
    assert world.titles(q="crue") == ["Crues historiques de la Loire à Nantes"]
    assert world.titles(geoconcept="GC001") == ["MNT RGE ALTI 1 m"]
    assert world.titles(territory="44109", category="private") == ["Réseau électrique HTA — Nantes"]
    assert world.titles(bbox="-2.35,47.2,-2.15,47.35") == ["MNT RGE ALTI 1 m", "Zonage réglementaire PPRI — Inondation"]
    assert world.titles(access="RESTRICTED") == ["Réseau électrique HTA — Nantes"]
    facets = world.api.get("/datasets").json()["facets"]
    assert {v["value"]: v["count"] for v in facets["category"]} == {"public": 3, "private": 1}

    hta = world.api.get("/datasets", params={"q": "HTA"}).json()["datasets"][0]
    detail = world.api.get(f"/datasets/{hta['id']}").json()
    assert detail["offers"][0]["permission"][0]["constraint"]
    assert detail["provider"]["did"] == world.enedis.participant.did
    assert world.catalogue.index.parsed(hta["id"]).offers[0].policy.uid == detail["offers"][0]["@id"]


def test_edits_removals_and_a_stopped_connector(world):
    world.recrawl()
    unchanged = world.catalogue.scheduler.last_report.to_json()["datasets"]
    assert unchanged == {"added": 0, "updated": 0, "removed": 0, "unchanged": 4}

    world.publish(world.ddtm, sheet("ddtm/crues", "Crues historiques de la Loire à Nantes (2026)", "GC036",
                                    [-1.56, 47.20, -1.54, 47.22]), OPEN, replace=True)
    world.clients[id(world.ddtm)].delete_dataset("https://data.example.fr/ddtm/ppri")
    world.recrawl()
    assert world.catalogue.scheduler.last_report.to_json()["datasets"] == {
        "added": 0, "updated": 1, "removed": 1, "unchanged": 2}
    assert world.titles(q="crues") == ["Crues historiques de la Loire à Nantes (2026)"]
    assert world.titles(q="PPRI") == []

    world.space.stop_member(world.ign)
    world.recrawl()
    status = world.api.get(f"/connectors/{quote(world.ign.participant.did, safe='')}").json()
    assert status["state"] == "stale" and status["last_error"]["code"] == "unreachable"
    assert status["dataset_count"] == 1 and status["next_attempt"]
    mnt = world.api.get("/datasets", params={"q": "MNT"}).json()["datasets"]
    assert [d["provider"]["stale"] for d in mnt] == [True]
    assert world.titles(q="MNT", include_stale="false") == []


def test_jnt_catalog_crawl_once(world, tmp_path):
    listing = tmp_path / "connectors.json"
    listing.write_text(json.dumps([
        {"did": world.ddtm.participant.did, "address": world.ddtm.dsp_url, "name": "DDTM 44", "category": "public"},
        {"did": "did:web:127.0.0.1%3A9", "address": "http://127.0.0.1:9/api/dsp/2025-1", "name": "Absent"},
    ]), encoding="utf-8")
    env = {"JNT_KEY_PASSPHRASE": PASSPHRASE, "JNT_DEV_MODE": "true", "JNT_LANG": "en",
           "JNT_TRUSTED_AUTHORITIES": world.space.authority_did,
           "JNT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    result = CliRunner().invoke(cli, ["catalog", "crawl", "--once", "--json", "--connectors", str(listing),
                                      "--data-dir", str(world.participant.data_dir),
                                      "--public-url", world.server.base_url], env=env)
    assert result.exit_code == 1, result.output  # one connector is unreachable
    report = json.loads(result.stdout.splitlines()[0])
    outcomes = {o["did"]: o for o in report["outcomes"]}
    assert outcomes[world.ddtm.participant.did]["ok"] and outcomes[world.ddtm.participant.did]["added"] == 2
    assert outcomes["did:web:127.0.0.1%3A9"]["error"]["code"] == "unreachable"
    status = CliRunner().invoke(cli, ["catalog", "status", "--data-dir", str(world.participant.data_dir)], env=env)
    assert status.exit_code == 0 and "DDTM 44" in status.stdout and "[unreachable]" in status.stdout
    missing = CliRunner().invoke(cli, ["catalog", "crawl", "--once", "--data-dir", str(world.participant.data_dir)],
                                 env={**env, "JNT_AUTHORITY_URL": ""})
    assert missing.exit_code == 2 and "--authority" in missing.output




def test_the_catalogue_participant_serves_probes_metrics_and_gis_endpoints(world):
    from owslib.csw import CatalogueServiceWeb
    from prometheus_client.parser import text_string_to_metric_families

    base = world.server.base_url
    assert httpx.get(base + "/health/live").json() == {"status": "alive", "service": "catalogue"}
    ready = httpx.get(base + "/health/ready", timeout=10)
    assert ready.status_code == 200, ready.text
    assert {c["name"] for c in ready.json()["checks"]} == {"database", "migrations", "worker:crawler", "keys"}

    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(httpx.get(base + "/metrics").text)
               for s in family.samples}
    assert samples[("jnt_crawl_connectors", (("state", "ok"),))] == 3
    assert samples[("jnt_crawl_datasets", ())] == 4  # the private-companies-only dataset is not visible to it
    assert samples[("jnt_crawl_duration_seconds", ())] > 0
    enedis = (("connector", world.enedis.participant.did),)
    assert samples[("jnt_crawl_connector_consecutive_failures", enedis)] == 0

    records = httpx.get(base + "/ogcapi/collections/jnt-datasets/items", params={"q": "inondation"}).json()
    assert [f["properties"]["title"] for f in records["features"]] == ["Zonage réglementaire PPRI — Inondation"]
    csw = CatalogueServiceWeb(base + "/csw", timeout=20)
    csw.getrecords2(maxrecords=20)
    assert csw.results["matches"] == 4
    world.catalogue.scheduler.stop()
    failed = {c["name"] for c in httpx.get(base + "/health/ready", timeout=10).json()["checks"]
              if c["status"] == "failed"}
    assert failed == {"worker:crawler"}


def test_the_catalogue_participant_exports_dcat_ap_and_answers_sparql(world):
    from rdflib import Graph

    base = world.server.base_url
    turtle = httpx.get(base + "/api/export/catalog.ttl", timeout=30)
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=turtle.text, format="turtle")
    titles = {str(o) for o in graph.objects(None, URIRef("http://purl.org/dc/terms/title"))}
    assert "MNT RGE ALTI 1 m" in titles
    answer = httpx.get(base + "/api/sparql", params={"query": "SELECT (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset }"},
                       headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == 4
    update = httpx.post(base + "/api/sparql", data={"update": "DELETE WHERE { ?s ?p ?o }"}, timeout=30)
    assert update.status_code == 400
