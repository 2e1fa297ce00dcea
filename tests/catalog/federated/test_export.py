"""The DCAT-AP export of the federated catalogue, over HTTP on loopback (SQLite and PostgreSQL): Turtle, JSON-LD
and N-Triples give the same triples and validate against the official DCAT-AP 3.0.0 shapes (pySHACL, shapes
shipped in the package), with the corpus's titles, licences, extents, publishers, records and provider
connectors; content negotiation; the search filters; bad parameters answer 400; an incomplete dataset is exported
as published unless `valid_only=true`; a dataset IRI published by two connectors is one dataset with two records."""

from __future__ import annotations

from datetime import datetime

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from catalog.dcat import DCAT, DCT, FOAF, GEO, jsonld_to_graph
from catalog.dsp_catalog import CatalogEntry
from catalog.federated import ConnectorRef, Crawler, StaticSource
from catalog.federated.export import DCAT_AP_3, CatalogueExport, new_graph, turtle_stream
from catalog.shacl import validate_graph

from . import export_space
from .conftest import CATEGORIES, ETALAB, corpus, open_offer, sheet
from .export_space import BASE, DESCRIPTION, GC, HTA, PPRI, TITLES, serve

space = export_space.space  # the corpus behind the export router (module-scoped fixture)

CATALOGUE = URIRef(f"{BASE}/api/export/catalog")


def fetch(client, path: str = "/export/catalog.ttl", **params) -> Graph:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return Graph().parse(data=answer.text, format="turtle")


def titles(graph: Graph) -> set[str]:
    return {str(graph.value(d, DCT.title)) for d in graph.subjects(RDF.type, DCAT.Dataset)}


def test_the_turtle_export_validates_against_dcat_ap_and_holds_the_corpus(space):
    answer = space.client.get("/export/catalog.ttl")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/turtle; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="catalogue-federe-jnt.ttl"'
    graph = Graph().parse(data=answer.text, format="turtle")

    report = validate_graph(graph, shapes="dcat-ap")
    assert report.conforms, report.to_text()
    # The validation can fail: the same graph without one dataset's title does not conform.
    broken = Graph()
    broken += graph
    broken.remove((URIRef(PPRI), DCT.title, None))
    failed = validate_graph(broken, shapes="dcat-ap")
    assert not failed.conforms and [(p.focus_node, p.field) for p in failed.violations] == [
        (PPRI, "nature.title")]

    # The catalogue, published by the catalogue participant.
    assert (CATALOGUE, RDF.type, DCAT.Catalog) in graph
    assert {(t.language, str(t)) for t in graph.objects(CATALOGUE, DCT.title)} == {
        ("fr", "Catalogue fédéré JNT"), ("en", "JNT federated catalogue")}
    publisher = graph.value(CATALOGUE, DCT.publisher)
    assert publisher == URIRef("did:web:catalogue.jnt.example")
    assert graph.value(publisher, FOAF.name) == Literal("Espace de données JNT")
    assert graph.value(CATALOGUE, DCT.modified).datatype == URIRef("http://www.w3.org/2001/XMLSchema#dateTime")

    # Every dataset, with its sheet.
    assert set(graph.objects(CATALOGUE, DCAT.dataset)) == {URIRef(iri) for iri in TITLES}
    assert titles(graph) == set(TITLES.values())
    ppri = URIRef(PPRI)
    assert graph.value(ppri, DCT.license) == URIRef(ETALAB)
    assert graph.value(ppri, DCT.subject) == URIRef(GC + "GC039")
    location = graph.value(ppri, DCT.spatial)
    assert graph.value(location, DCAT.bbox) == Literal(
        "POLYGON((-2.3 47.25, -2.2 47.25, -2.2 47.3, -2.3 47.3, -2.3 47.25))", datatype=GEO.wktLiteral)
    assert graph.value(graph.value(ppri, DCT.publisher), FOAF.name) == Literal("DDTM de Loire-Atlantique")
    hta = URIRef(HTA)
    assert graph.value(hta, DCT.license) is None  # published without a licence: none is invented
    assert graph.value(hta, DCT.accessRights) == URIRef(
        "http://publications.europa.eu/resource/authority/access-right/RESTRICTED")
    assert graph.value(graph.value(hta, DCT.publisher), FOAF.name) == Literal("Enedis")

    # One catalogue record per index record, with the crawl dates.
    records = set(graph.objects(CATALOGUE, DCAT.record))
    assert len(records) == 6 and {graph.value(r, FOAF.primaryTopic) for r in records} == set(
        graph.objects(CATALOGUE, DCAT.dataset))
    record = next(r for r in records if graph.value(r, FOAF.primaryTopic) == ppri)
    detail = space.client.get(str(record).removeprefix(f"{BASE}/api")).json()  # the record IRI is the API's
    assert detail["dataset_id"] == PPRI
    assert graph.value(record, DCT.issued).toPython() == datetime.fromisoformat(detail["crawl"]["first_seen"])
    assert graph.value(record, DCT.modified).toPython() == datetime.fromisoformat(detail["crawl"]["last_changed"])
    assert graph.value(record, DCT.conformsTo) == DCAT_AP_3

    # Each provider connector serves its datasets; the distributions go through it.
    services = set(graph.objects(CATALOGUE, DCAT.service))
    assert len(services) == 3
    ddtm = URIRef(f"{BASE}/api/connectors/did:web:ddtm44.example")
    assert ddtm in services and graph.value(ddtm, DCAT.endpointURL) == URIRef(
        space.fake.connectors["ddtm44"].address)
    assert graph.value(ddtm, DCT.publisher) == URIRef("did:web:ddtm44.example")
    assert len(set(graph.objects(ddtm, DCAT.servesDataset))) == 3
    distribution = graph.value(ppri, DCAT.distribution)
    assert graph.value(distribution, DCAT.accessService) == ddtm
    assert graph.value(distribution, DCAT.accessURL) == URIRef(space.fake.connectors["ddtm44"].address)


def test_json_ld_and_n_triples_give_the_same_triples(space):
    turtle = fetch(space.client)
    answer = space.client.get("/export/catalog.jsonld")
    assert answer.headers["content-type"] == "application/ld+json"
    assert answer.headers["content-disposition"] == 'attachment; filename="catalogue-federe-jnt.jsonld"'
    document = answer.json()
    assert document["@context"]["dcat"] == str(DCAT) and isinstance(document["@graph"], list)
    assert isomorphic(Graph().parse(data=answer.text, format="json-ld"), turtle)
    assert isomorphic(jsonld_to_graph(document), turtle)  # pyld reads it the same, with no context to fetch
    answer = space.client.get("/export/catalog.nt")
    assert answer.headers["content-type"] == "application/n-triples"
    assert isomorphic(Graph().parse(data=answer.text, format="nt"), turtle)


@pytest.mark.parametrize("accept,expected", [
    (None, "text/turtle; charset=utf-8"),
    ("*/*", "text/turtle; charset=utf-8"),
    ("text/turtle", "text/turtle; charset=utf-8"),
    ("application/ld+json", "application/ld+json"),
    ("application/json", "application/ld+json"),
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
    ("text/html, application/*;q=0.8", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
])
def test_content_negotiation(space, accept, expected):
    headers = {"Accept": accept} if accept else {}
    answer = space.client.get("/export/catalog", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == expected
    assert answer.headers["vary"] == "Accept"


def test_nothing_acceptable_answers_406(space):
    answer = space.client.get("/export/catalog", headers={"Accept": "text/html"})
    assert answer.status_code == 406
    body = answer.json()
    assert body["error"] == "not-acceptable" and "text/turtle" in body["available"]
    assert "formats disponibles" in body["message"]["fr"]


def test_the_search_filters_select_the_datasets(space):
    ppri = fetch(space.client, geoconcept="GC039")
    assert titles(ppri) == {TITLES[PPRI]}
    assert len(set(ppri.subjects(RDF.type, DCAT.CatalogRecord))) == 1
    assert set(ppri.subjects(RDF.type, DCAT.DataService)) == {
        URIRef(f"{BASE}/api/connectors/did:web:ddtm44.example")}
    assert validate_graph(ppri, shapes="dcat-ap").conforms
    assert len(titles(fetch(space.client, usecase="flood-risk"))) == 6
    assert titles(fetch(space.client, territory="49007")) == {"MNT RGE ALTI 1 m — Angers"}
    assert titles(fetch(space.client, access="RESTRICTED", q="nantes")) == {TITLES[HTA]}
    nothing = fetch(space.client, modified_since="2030-01-01")
    assert titles(nothing) == set() and (CATALOGUE, RDF.type, DCAT.Catalog) in nothing
    assert validate_graph(nothing, shapes="dcat-ap").conforms


@pytest.mark.parametrize("params,parameter,rule", [
    ({"bbox": "1,2,3"}, "bbox", "format"),
    ({"territory": "Nantes"}, "territory", "unknown-territory"),
    ({"geoconcept": "GC999"}, "geoconcept", "unknown-value"),
    ({"licnce": "etalab-2.0"}, "licnce", "unknown-parameter"),
    ({"page": "2"}, "page", "unknown-parameter"),
    ({"sort": "title"}, "sort", "unknown-parameter"),
    ({"valid_only": "peut-être"}, "valid_only", "boolean"),
])
def test_bad_parameters_answer_400(space, params, parameter, rule):
    for path in ("/export/catalog.ttl", "/export/catalog.jsonld", "/export/catalog"):
        answer = space.client.get(path, params=params)
        assert answer.status_code == 400, answer.text
        body = answer.json()
        assert (body["error"], body["parameter"], body["rule"]) == ("invalid-parameter", parameter, rule)
        assert body["message"]["fr"].startswith(parameter) and body["message"]["en"].startswith(parameter)


def test_incomplete_and_shared_datasets(sqlite_index, fake_server):
    """A dataset without description is exported as published (and breaks DCAT-AP there) unless valid_only; the
    PPRI also published by a second connector is one dataset with two records, served by both connectors."""
    entries = corpus()
    draft = sheet("ign/brouillon", "Brouillon sans description", "GC001", bbox=(-1.0, 47.0, -0.9, 47.1))
    draft.nature.description = None
    entries["ign"].append(CatalogEntry(draft, [open_offer("brouillon")]))
    entries["mirror"] = [CatalogEntry(next(e.sheet for e in entries["ddtm44"] if e.sheet.id == PPRI),
                                      [open_offer("ppri-mirror")])]
    refs = []
    for name, published in entries.items():
        connector = fake_server.add(name, published)
        refs.append(ConnectorRef(connector.did, connector.address, name=name.upper(),
                                 category=CATEGORIES.get(name, "public")))
    Crawler(sqlite_index).crawl_sync(StaticSource(refs))
    assert sqlite_index.count() == 8
    with serve(sqlite_index) as client:
        everything = fetch(client)
        report = validate_graph(everything, shapes="dcat-ap")
        assert [(p.focus_node, p.field) for p in report.violations] == [
            ("https://data.example.fr/ign/brouillon", "nature.description")]
        assert "Brouillon sans description" in titles(everything)

        valid = fetch(client, valid_only="true")
        assert validate_graph(valid, shapes="dcat-ap").conforms
        assert titles(valid) == set(TITLES.values())
        assert titles(fetch(client, valid_only="false")) == titles(everything)

    ppri = URIRef(PPRI)
    assert len(set(everything.subjects(RDF.type, DCAT.Dataset))) == 7
    assert len(set(everything.subjects(FOAF.primaryTopic, ppri))) == 2
    assert set(everything.subjects(DCAT.servesDataset, ppri)) == {
        URIRef(f"{BASE}/api/connectors/did:web:ddtm44.example"), URIRef(f"{BASE}/api/connectors/did:web:mirror.example")}
    assert len(set(everything.objects(ppri, DCT.title))) == 1

    export = CatalogueExport(sqlite_index, DESCRIPTION, valid_only=True)
    assert len(export.graph()) > 0
    assert export.summary.left_out == [{"record": export.summary.left_out[0]["record"],
                                        "dataset": "https://data.example.fr/ign/brouillon",
                                        "missing": ["dct:description"]}]
    assert (export.summary.datasets, export.summary.records, export.summary.services) == (6, 7, 4)


def test_an_empty_catalogue_still_validates(sqlite_index):
    graph = CatalogueExport(sqlite_index, DESCRIPTION).graph()
    assert (CATALOGUE, RDF.type, DCAT.Catalog) in graph and graph.value(CATALOGUE, DCT.modified) is None
    assert validate_graph(graph, shapes="dcat-ap").conforms


def test_turtle_chunks_concatenate_into_one_document():
    """Each chunk is serialised alone: prefixes are written once, and a prefix bound otherwise in a later chunk is
    declared again before it is used."""
    first, second, third = new_graph(), new_graph(), new_graph()
    first.bind("ex", "https://one.example/")
    first.add((URIRef("https://one.example/a"), DCT.title, Literal("a")))
    second.bind("ex", "https://two.example/")
    second.add((URIRef("https://two.example/b"), DCT.title, Literal("b")))
    third.add((URIRef("https://one.example/c"), DCT.title, Literal("c")))
    text = "".join(turtle_stream([first, second, third]))
    assert text.count("@prefix dct:") == 1 and text.count("@prefix ex:") == 2
    union = Graph()
    for graph in (first, second, third):
        union += graph
    assert isomorphic(Graph().parse(data=text, format="turtle"), union)
