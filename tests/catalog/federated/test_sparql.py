"""The read-only SPARQL endpoint over the catalogue's DCAT-AP graph, over HTTP on loopback (SQLite and
PostgreSQL): SELECT, ASK, CONSTRUCT and DESCRIBE answered from the corpus, by GET, POST form and POST
application/sparql-query, in the negotiated format; updates, SERVICE and FROM refused; a malformed query answers
400 naming the parse error; the time and size limits; and the graph rebuilt once the index changes."""

from __future__ import annotations

import csv
import io

import pytest
from rdflib import Graph, Literal, URIRef

from catalog.dcat import DCT
from catalog.dsp_catalog import CatalogEntry
from catalog.federated import Crawler
from catalog.federated.sparql import SparqlLimits

from . import export_space
from .conftest import open_offer, sheet
from .export_space import GC, PPRI, TITLES, serve
from .test_crawler import serve_corpus

space = export_space.space  # the corpus behind the export router (module-scoped fixture)

TITLES_QUERY = """SELECT ?dataset ?title WHERE { ?dataset a dcat:Dataset ; dct:title ?title } ORDER BY ?title"""


def select(client, query: str, **kwargs) -> list[dict[str, str]]:
    answer = client.get("/sparql", params={"query": query}, **kwargs)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/sparql-results+json"
    body = answer.json()
    return [{name: value["value"] for name, value in row.items()} for row in body["results"]["bindings"]]


def ask(client, query: str) -> bool:
    answer = client.get("/sparql", params={"query": query})
    assert answer.status_code == 200, answer.text
    return answer.json()["boolean"]


def refused(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == code and body["message"]["fr"] and body["message"]["en"]
    return body


def test_select_the_corpus(space):
    rows = select(space.client, TITLES_QUERY)
    assert [row["title"] for row in rows] == sorted(TITLES.values())
    assert {row["dataset"]: row["title"] for row in rows} == TITLES
    answer = space.client.get("/sparql", params={"query": TITLES_QUERY})
    assert answer.json()["head"]["vars"] == ["dataset", "title"]
    # Who offers a flood-zone dataset (GC039), under which licence, through which connector?
    rows = select(space.client, f"""
        SELECT ?title ?licence ?endpoint ?provider WHERE {{
          ?dataset dct:subject <{GC}GC039> ; dct:title ?title ; dct:license ?licence ; dcat:distribution ?d .
          ?d dcat:accessService ?service .
          ?service dcat:endpointURL ?endpoint ; dct:publisher ?provider .
        }}""")
    assert rows == [{"title": TITLES[PPRI], "licence": "https://spdx.org/licenses/etalab-2.0.html",
                     "endpoint": space.fake.connectors["ddtm44"].address, "provider": "did:web:ddtm44.example"}]
    rows = select(space.client, """
        SELECT ?provider (COUNT(?dataset) AS ?n) WHERE { ?s a dcat:DataService ; dct:publisher ?provider ;
          dcat:servesDataset ?dataset } GROUP BY ?provider ORDER BY ?provider""")
    assert [(r["provider"], int(r["n"])) for r in rows] == [
        ("did:web:ddtm44.example", 3), ("did:web:enedis.example", 1), ("did:web:ign.example", 2)]


def test_post_form_and_sparql_query_body(space):
    query = "SELECT (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset }"
    form = space.client.post("/sparql", data={"query": query})
    body = space.client.post("/sparql", content=query.encode(),
                             headers={"Content-Type": "application/sparql-query; charset=utf-8"})
    for answer in (form, body):
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"]["bindings"][0]["n"]["value"] == "6"


def test_ask(space):
    assert ask(space.client, f"ASK {{ ?d dct:subject <{GC}GC039> ; dct:license ?l }}") is True
    # The Enedis network is published without a licence: none is invented.
    assert ask(space.client, "ASK { <https://data.example.fr/enedis/hta> dct:license ?l }") is False
    assert ask(space.client, "ASK { ?catalogue a dcat:Catalog ; dct:publisher <did:web:catalogue.jnt.example> }")


def test_construct_and_describe(space):
    query = "CONSTRUCT { ?d dct:title ?t } WHERE { ?d a dcat:Dataset ; dct:title ?t }"
    answer = space.client.get("/sparql", params={"query": query})
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=answer.text, format="turtle")
    assert len(graph) == 6 and (URIRef(PPRI), DCT.title, Literal(TITLES[PPRI], lang="fr")) in graph
    as_jsonld = space.client.get("/sparql", params={"query": query}, headers={"Accept": "application/ld+json"})
    assert as_jsonld.headers["content-type"] == "application/ld+json"
    assert set(Graph().parse(data=as_jsonld.text, format="json-ld")) == set(graph)
    described = space.client.get("/sparql", params={"query": f"DESCRIBE <{PPRI}>", "format": "nt"})
    assert described.headers["content-type"] == "application/n-triples"
    graph = Graph().parse(data=described.text, format="nt")
    assert graph.value(URIRef(PPRI), DCT.title) == Literal(TITLES[PPRI], lang="fr")
    assert graph.value(URIRef(PPRI), DCT.license) == URIRef("https://spdx.org/licenses/etalab-2.0.html")


def test_csv_and_xml_results(space):
    answer = space.client.get("/sparql", params={"query": TITLES_QUERY}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["dataset", "title"] and [r[1] for r in rows[1:]] == sorted(TITLES.values())
    answer = space.client.get("/sparql", params={"query": TITLES_QUERY, "format": "xml"})
    assert answer.headers["content-type"] == "application/sparql-results+xml"
    assert TITLES[PPRI] in answer.text


def test_formats_that_do_not_fit_the_query(space):
    ask_query = "ASK { ?s ?p ?o }"
    refused(space.client.get("/sparql", params={"query": ask_query}, headers={"Accept": "text/csv"}),
            406, "not-acceptable")
    body = refused(space.client.get("/sparql", params={"query": ask_query, "format": "csv"}), 400, "unknown-format")
    assert "json" in body["message"]["en"]
    refused(space.client.post("/sparql", content=b"query=x", headers={"Content-Type": "text/plain"}),
            415, "unsupported-media-type")


def test_updates_are_refused_and_change_nothing(space):
    update = "INSERT DATA { <https://evil.example/x> a <http://www.w3.org/ns/dcat#Dataset> }"
    for answer in (
        space.client.get("/sparql", params={"query": update}),
        space.client.post("/sparql", data={"update": update}),
        space.client.post("/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-update"}),
        space.client.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"}),
        space.client.get("/sparql", params={"query": "LOAD <http://example.org/data.ttl>"}),
    ):
        body = refused(answer, 400, "update-refused")
        assert "lecture seule" in body["message"]["fr"] and "read-only" in body["message"]["en"]
    assert len(select(space.client, "SELECT ?d WHERE { ?d a dcat:Dataset }")) == 6


@pytest.mark.parametrize("query,code,detail", [
    ("garbage", "malformed-query", "line:1, col:1"),
    ("SELECT * WHERE { ?s ?p }", "malformed-query", "col:"),
    ("SELECT * WHERE { ?s nope:p ?o }", "malformed-query", "nope"),
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "service-refused", None),
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "dataset-refused", None),
    ("", "missing-query", None),
])
def test_refused_queries_answer_400(space, query, code, detail):
    body = refused(space.client.get("/sparql", params={"query": query}), 400, code)
    if detail is not None:
        assert detail in body["detail"] and detail in body["message"]["en"]


def test_refused_parameters(space):
    refused(space.client.get("/sparql"), 400, "missing-query")
    refused(space.client.get("/sparql", params={"query": TITLES_QUERY, "default-graph-uri": "http://x.example/"}),
            400, "dataset-refused")
    refused(space.client.get("/sparql", params={"query": TITLES_QUERY, "limit": "3"}), 400, "unknown-parameter")
    refused(space.client.get("/sparql", params=[("query", TITLES_QUERY), ("query", TITLES_QUERY)]), 400,
            "repeated-parameter")
    refused(space.client.get("/sparql", params={"query": "ASK {} " + "#" * 20_001}), 400, "query-too-long")


def test_time_and_size_limits(space):
    tight = SparqlLimits(timeout_seconds=0.3, max_results=5, max_triples=10)
    with serve(space.index, limits=tight) as client:
        cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        body = refused(client.get("/sparql", params={"query": cross}), 503, "query-timeout")
        assert "0.3 s" in body["message"]["en"]
        body = refused(client.get("/sparql", params={"query": TITLES_QUERY}), 400, "too-many-results")
        assert "LIMIT" in body["message"]["fr"]
        assert len(select(client, TITLES_QUERY + " LIMIT 5")) == 5
        refused(client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}), 400, "too-many-results")


def test_the_graph_follows_the_index(sqlite_index, fake_server):
    source = serve_corpus(fake_server)
    Crawler(sqlite_index).crawl_sync(source)
    with serve(sqlite_index) as client:
        assert len(select(client, TITLES_QUERY)) == 6
        ign = fake_server.connectors["ign"]
        ign.set_entries([*ign.entries, CatalogEntry(
            sheet("ign/bdtopo", "BD TOPO — bâtiments", "GC050", bbox=(-1.6, 47.2, -1.5, 47.3), publisher="IGN"),
            [open_offer("bdtopo")])])
        Crawler(sqlite_index).crawl_sync(source, force=True)
        titles = [row["title"] for row in select(client, TITLES_QUERY)]
        assert len(titles) == 7 and "BD TOPO — bâtiments" in titles
        fake_server.connectors["enedis"].set_entries([])
        Crawler(sqlite_index).crawl_sync(source, force=True)
        assert not ask(client, "ASK { <https://data.example.fr/enedis/hta> ?p ?o }")
