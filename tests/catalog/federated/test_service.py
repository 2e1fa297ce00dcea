"""The query API on a real loopback server, over an index crawled from fake connectors (SQLite and PostgreSQL):
search by text with and without accents, géo-concept, use case, bbox, territory and facets, with facet counts and
paging; the dataset detail (whole sheet, offers, provider); connector status; and every malformed or
out-of-range parameter answered 400 naming the parameter and the rule."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from catalog.federated import Crawler, create_catalog_app

from .conftest import open_index
from .fake_dsp import FakeDspServer, LoopbackServer
from .test_crawler import serve_corpus


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, tmp_path_factory):
    """The API over the corpus, crawled once per module and backend (the tests only read)."""
    fake = FakeDspServer().start()
    with open_index(request.param, tmp_path_factory.mktemp("api")) as index:
        Crawler(index).crawl_sync(serve_corpus(fake))
        server = LoopbackServer(create_catalog_app(index)).start()
        with httpx.Client(base_url=server.base_url + "/api", timeout=10) as client:
            yield client
        server.stop()
    fake.stop()


def search(api, **params) -> dict:
    answer = api.get("/datasets", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def titles(api, **params) -> list[str]:
    return sorted(d["title"] for d in search(api, per_page=100, **params)["datasets"])


def counts(result: dict, facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in result["facets"][facet]}


def test_search_text_place_criteria_and_facets(api):
    assert titles(api, q="inondation") == titles(api, q="Inondation") == titles(api, q="INONDATION") == [
        "Zonage réglementaire PPRI — Inondation Loire aval"]
    assert titles(api, q="crue") == ["Crues de la Loire — hauteurs d'eau à Nantes", "Repères de crues historiques"]
    assert titles(api, q="électrique nantes") == titles(api, q="electrique NANTES") == [
        "Réseau électrique HTA — Nantes Métropole"]
    assert titles(api, geoconcept=["GC001", "GC074"]) == ["MNT RGE ALTI 1 m — Angers", "Orthophotographie BD ORTHO"]
    assert len(titles(api, usecase="flood-risk")) == 6
    assert titles(api, bbox="-1.0,47.4,-0.5,47.6") == ["MNT RGE ALTI 1 m — Angers", "Orthophotographie BD ORTHO"]
    assert titles(api, territory="49007") == ["MNT RGE ALTI 1 m — Angers"]  # Angers: the ortho stops at -0.9
    assert titles(api, territory="departement:44", access="RESTRICTED") == ["Réseau électrique HTA — Nantes Métropole"]
    assert titles(api, frequency="HOURLY") == ["Crues de la Loire — hauteurs d'eau à Nantes"]
    assert titles(api, crs="EPSG:4326") == titles(api, crs="4326") == ["MNT RGE ALTI 1 m — Angers"]
    assert titles(api, format="GEOTIFF", origin="leve") == ["MNT RGE ALTI 1 m — Angers"]
    assert titles(api, scale="5000") == titles(api, standard="https://cnig.gouv.fr/ddtm/ppri-standard") == [
        "Zonage réglementaire PPRI — Inondation Loire aval"]
    assert titles(api, conformity="conformant") == ["Zonage réglementaire PPRI — Inondation Loire aval"]
    assert titles(api, provider="did:web:ign.example", max_resolution="0.5") == ["Orthophotographie BD ORTHO"]
    assert len(titles(api, licence=["etalab-2.0", "odbl"])) == 5
    assert titles(api, modified_since="2026-01-01") == []

    result = search(api, q="nantes")
    assert result["total"] == 2
    assert counts(result, "category") == {"public": 1, "private": 1}
    assert counts(result, "access") == {"http://publications.europa.eu/resource/authority/access-right/PUBLIC": 1,
                                        "http://publications.europa.eu/resource/authority/access-right/RESTRICTED": 1}
    everything = search(api)
    assert counts(everything, "category") == {"public": 5, "private": 1}
    # The sheets leave the role out: it comes from the géo-concept registry (GC010, GC036, GC001 are "calcul").
    assert counts(everything, "role") == {"https://w3id.org/jnt/role/calcul": 3,
                                          "https://w3id.org/jnt/role/contextualisation": 3}
    provider = next(v for v in everything["facets"]["provider"] if v["value"] == "did:web:enedis.example")
    assert provider["label"]["fr"] == "ENEDIS" and provider["count"] == 1
    licence = everything["facets"]["licence"][0]
    assert licence["label"] == {"fr": "Licence Ouverte 2.0 (Etalab)", "en": "Open Licence 2.0 (Etalab)"}
    assert licence["count"] == 5


def test_paging_and_links(api):
    first = search(api, per_page=4, sort="title")
    assert (first["total"], first["pages"], len(first["datasets"])) == (6, 2, 4)
    second = api.get(first["links"]["next"].removeprefix("/api")).json()
    assert second["page"] == 2 and len(second["datasets"]) == 2
    assert {d["id"] for d in first["datasets"]}.isdisjoint(d["id"] for d in second["datasets"])
    assert "next" not in second["links"] and second["links"]["prev"].endswith("page=1")


def test_dataset_detail(api):
    summary = search(api, q="PPRI")["datasets"][0]
    detail = api.get(f"/datasets/{summary['id']}").json()
    by_iri = api.get("/datasets/" + quote(summary["dataset_id"], safe="")).json()
    assert detail == by_iri
    assert detail["provider"]["did"] == "did:web:ddtm44.example" and detail["provider"]["category"] == "public"
    assert detail["sheet"]["C6"]["bbox"] == [-2.3, 47.25, -2.2, 47.3]
    assert detail["sheet"]["C6"]["reference_systems"][0]["label"]["fr"] == "EPSG:2154"
    assert detail["sheet"]["C8"]["scale_denominator"] == 5000
    assert detail["sheet"]["C10"]["conforms_to"][0]["title"] == "Standard CNIG PPR"
    assert detail["offers"][0]["@id"] == "urn:offer:ppri:open" and detail["offers"][0]["permission"]
    assert detail["distributions"][0]["format"] == "HttpData-PULL"
    assert detail["crawl"]["first_seen"] and detail["completeness"]["score"] > 0
    missing = api.get("/datasets/ds-0000000000000000")
    assert missing.status_code == 404 and missing.json()["error"] == "not-found"


def test_connectors_and_facets_endpoints(api):
    status = api.get("/connectors").json()
    assert status["total"] == 3 and status["states"] == {"ok": 3}
    one = api.get("/connectors/did:web:ign.example").json()
    assert one["dataset_count"] == 2 and one["state"] == "ok"
    assert api.get("/connectors/did:web:nobody.example").status_code == 404
    facets = api.get("/facets", params={"territory": "44109"}).json()
    assert facets["total"] == 3
    category = next(f for f in facets["facets"] if f["name"] == "category")
    assert category["criterion"] == "C2" and {v["value"]: v["count"] for v in category["values"]} == {
        "public": 2, "private": 1}


@pytest.mark.parametrize("params,parameter,rule", [
    ({"bbox": "1,2,3"}, "bbox", "format"),
    ({"bbox": "-1.6,47.2,x,47.3"}, "bbox", "number"),
    ({"bbox": "355000,6680000,360000,6690000"}, "bbox", "range"),
    ({"bbox": "-1.5,47.3,-1.6,47.2"}, "bbox", "order"),
    ({"bbox": ["-1.6,47.2,-1.5,47.3", "-1.6,47.2,-1.5,47.3"]}, "bbox", "repeated"),
    ({"bbox": "-1.6,47.2,-1.5,47.3", "territory": "44109"}, "territory", "exclusive"),
    ({"territory": "99999"}, "territory", "unknown-territory"),
    ({"territory": "Nantes"}, "territory", "unknown-territory"),
    ({"page": "0"}, "page", "range"),
    ({"page": "deux"}, "page", "integer"),
    ({"page": "9"}, "page", "beyond-last-page"),
    ({"per_page": "1000"}, "per_page", "range"),
    ({"licnce": "etalab-2.0"}, "licnce", "unknown-parameter"),
    ({"licence": "gpl"}, "licence", "unknown-value"),
    ({"access": "open"}, "access", "unknown-value"),
    ({"geoconcept": "GC999"}, "geoconcept", "unknown-value"),
    ({"usecase": "drought"}, "usecase", "unknown-value"),
    ({"q": "x" * 201}, "q", "too-long"),
    ({"q": "?!"}, "q", "no-words"),
    ({"min_completeness": "2"}, "min_completeness", "range"),
    ({"max_resolution": "-1"}, "max_resolution", "range"),
    ({"max_resolution": "nan"}, "max_resolution", "number"),
    ({"resolution": "0"}, "resolution", "range"),
    ({"modified_since": "hier"}, "modified_since", "date"),
    ({"include_stale": "peut-être"}, "include_stale", "boolean"),
    ({"sort": "relevance"}, "sort", "needs-q"),
    ({"sort": "random"}, "sort", "unknown-value"),
    ({"category": "ngo"}, "category", "unknown-value"),
    ({"complete": "maybe"}, "complete", "boolean"),
])
def test_bad_parameters_answer_400(api, params, parameter, rule):
    answer = api.get("/datasets", params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["error"], body["parameter"], body["rule"]) == ("invalid-parameter", parameter, rule)
    assert body["message"]["fr"].startswith(parameter) and body["message"]["en"].startswith(parameter)
