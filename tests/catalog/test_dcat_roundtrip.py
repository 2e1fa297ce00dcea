"""Sheet ↔ DCAT-AP 3 / GeoDCAT-AP round trips: every field of a fully-filled sheet (nested lists with several items)
and of sparse sheets survives the graph, Turtle and compact JSON-LD; list semantics (sets of values come back
sorted, structured items keep their order); the C8 scale denominator is exact."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import BaseModel
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from catalog.dcat import (
    DCAT,
    DQV,
    SHEET_CONTEXT,
    jsonld_to_graph,
    scale_denominator,
    scale_value,
    sheet_from_graph,
    sheet_from_jsonld,
    sheet_from_turtle,
    sheet_to_graph,
    sheet_to_jsonld,
    sheet_to_turtle,
)
from catalog.sheet import (
    Agent,
    Attribution,
    Conformity,
    Contact,
    DataService,
    Distribution,
    QualityMeasurement,
    Sheet,
)

FULL = Path(__file__).parent / "data" / "full-sheet.json"


@pytest.fixture()
def full() -> Sheet:
    return Sheet.model_validate_json(FULL.read_text(encoding="utf-8"))


def _round_trips(sheet: Sheet) -> dict[str, Sheet]:
    return {
        "graph": sheet_from_graph(sheet_to_graph(sheet)),
        "turtle": sheet_from_turtle(sheet_to_turtle(sheet)),
        "json-ld": sheet_from_jsonld(json.loads(json.dumps(sheet_to_jsonld(sheet)))),
    }


def _unfilled(model, path: str = "") -> list[str]:
    """Paths of the fields left empty (None or []) anywhere in the sheet, nested parts and list items included."""
    empty = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if value is None or value == []:
            empty.append(here)
        elif isinstance(value, BaseModel):
            empty += _unfilled(value, here)
        elif isinstance(value, list):
            for position, item in enumerate(value):
                if isinstance(item, BaseModel):
                    empty += _unfilled(item, f"{here}[{position}]")
    return empty


def test_the_full_fixture_fills_every_field_of_every_criterion(full):
    # Optional fields left empty on purpose: agents without IRI are blank nodes, the third distribution is minimal,
    # the second conformity test has no explanation, one measurement has no unit.
    expected_gaps = {
        "provenance.publisher.type",  # the publisher's kind is the sheet's publisher_type (folded, see dcat.py)
        "provenance.rights_holder.email", "provenance.creator.iri",
        "provenance.other_roles[0].agent.iri", "provenance.other_roles[0].agent.type",
        "provenance.other_roles[0].agent.email", "provenance.other_roles[2].agent.iri",
        "provenance.other_roles[2].agent.email",
        "access.distributions[0].access_service", "access.distributions[1].download_url",
        "access.distributions[2].title", "access.distributions[2].description", "access.distributions[2].download_url",
        "access.distributions[2].media_type", "access.distributions[2].byte_size",
        "access.distributions[2].conforms_to", "access.distributions[2].access_service",
        "access.distributions[2].availability", "access.distributions[2].status",
        "quality.conformity[1].explanation", "quality.measures[1].unit", "standard.conforms_to[1].iri",
    }
    assert set(_unfilled(full)) == expected_gaps
    assert full.completeness().complete and full.completeness().score == 1.0


@pytest.mark.parametrize("via", ["graph", "turtle", "json-ld"])
def test_full_sheet_round_trip_keeps_every_field(full, via):
    back = _round_trips(full)[via]
    assert back.model_dump() == full.model_dump()
    assert back == full


def _sparse_sheets() -> list[Sheet]:
    empty = Sheet(id="urn:jnt:sheet:empty")
    title_only = Sheet(id="https://data.example.org/ds/title-only")
    title_only.nature.title = "Hauteurs d'eau observées"

    odd = Sheet(id="https://data.example.org/ds/odd", language="en")
    odd.provenance.publisher_type = "http://purl.org/adms/publishertype/Company"  # a type, but no publisher yet
    odd.provenance.contact = Contact()
    odd.licence.licence = "Licence Ouverte"  # text, not an IRI: kept, and reported by SHACL
    odd.licence.licence_type = "http://purl.org/adms/licencetype/Attribution"
    odd.frequency.temporal_resolution = "toutes les heures"  # not an xsd:duration: kept as text
    odd.frequency.temporal_end = datetime(2026, 1, 1, 12, 30, tzinfo=timezone(timedelta(hours=1)))
    odd.extent.centroid = (-1.55, 47.21)
    odd.access.rights = "sur convention"
    odd.access.distributions = [Distribution(access_url="https://api.example.org/hydro",
                                             access_service=DataService(title="API", endpoint_url="https://api.example.org"))]
    odd.quality.conformity = [Conformity(specification_title="Scénario Sandre", specification="SANDRE-2.1",
                                         degree="http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/notEvaluated")]
    odd.standard.metadata_standard = "ISO 19115:2003"
    odd.origin.process_steps = ["", "second step"]

    counts = Sheet(id="https://data.example.org/ds/counts")
    counts.access.distributions = [Distribution(access_url="https://x.example.org/a.csv", byte_size=0)]
    counts.precision.scale_denominator = 3
    counts.precision.resolution_m = 0.1
    counts.quality.measures = [QualityMeasurement(measure="https://example.org/m", value=-0.0)]
    counts.frequency.modified = datetime(2024, 3, 1, 8, 0, 0, 123000)
    counts.frequency.issued = date(2020, 2, 29)
    return [empty, title_only, odd, counts]


@pytest.mark.parametrize("sheet", _sparse_sheets(), ids=lambda s: s.id.rsplit("/", 1)[-1])
@pytest.mark.parametrize("via", ["graph", "turtle", "json-ld"])
def test_sparse_sheet_round_trip(sheet, via):
    assert _round_trips(sheet)[via] == sheet


def test_values_are_sets_structured_items_keep_their_order():
    sheet = Sheet(id="https://data.example.org/ds/order")
    sheet.nature.keywords = ["zonage", "PPRI", "inondation", "PPRI"]
    sheet.extent.reference_systems = ["http://www.opengis.net/def/crs/EPSG/0/4326",
                                      "http://www.opengis.net/def/crs/EPSG/0/2154"]
    sheet.access.distributions = [Distribution(access_url=f"https://x.example.org/{name}") for name in "zyxwvutsrqpo"]
    sheet.origin.process_steps = ["3. contrôle", "1. levé", "2. calcul"]
    sheet.provenance.other_roles = [
        Attribution(role="http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/user",
                    agent=Agent(name="Z")),
        Attribution(role="http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/custodian",
                    agent=Agent(name="A")),
    ]
    for back in _round_trips(sheet).values():
        assert back.nature.keywords == ["PPRI", "inondation", "zonage"]  # RDF values: a set, in canonical order
        assert back.extent.reference_systems == sorted(sheet.extent.reference_systems)
        assert back.access.distributions == sheet.access.distributions  # 12 items: "…-10" sorts after "…-9"
        assert back.origin.process_steps == sheet.origin.process_steps
        assert back.provenance.other_roles == sheet.provenance.other_roles


@pytest.mark.parametrize("denominator", [1, 3, 7, 500, 5000, 25000, 1_000_000, 123_456_789, 10**15 + 37])
def test_scale_is_one_over_the_denominator_and_comes_back_exact(denominator):
    sheet = Sheet(id="https://data.example.org/ds/scale")
    sheet.precision.scale_denominator = denominator
    graph = sheet_to_graph(sheet)
    value = next(graph.objects(URIRef(sheet.id + "#scale"), DQV.value))
    assert value.datatype == URIRef("http://www.w3.org/2001/XMLSchema#decimal")
    assert abs(value.toPython() * denominator - 1) < 1e-20
    assert scale_denominator(value) == denominator == scale_denominator(scale_value(denominator))
    for back in _round_trips(sheet).values():
        assert back.precision.scale_denominator == denominator


def test_jsonld_is_compact_with_the_project_context_and_lossless(full):
    doc = sheet_to_jsonld(full)
    assert doc["@context"] == SHEET_CONTEXT
    assert doc["@id"] == full.id and doc["@type"] == "Dataset"
    assert doc["title"] == {"fr": full.nature.title}
    assert doc["accessRights"]["@id"].endswith("/access-right/PUBLIC")
    assert {d["accessURL"] for d in doc["distribution"]} == {d.access_url for d in full.access.distributions}
    assert doc["record"]["conformsTo"][0]["@id"] == full.standard.metadata_standard
    # framing (the tree under the dataset, the catalog record in "record") loses no triple
    assert isomorphic(jsonld_to_graph(doc), sheet_to_graph(full))


def test_jsonld_contexts_are_never_fetched():
    doc = {"@context": "https://example.org/some/remote/context.jsonld", "@id": "https://x.example.org/ds"}
    with pytest.raises(Exception, match="never fetched"):
        sheet_from_jsonld(doc)


def test_turtle_is_readable_and_typed(full):
    text = sheet_to_turtle(full)
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#>" in text and "geodcat:referenceSystem" in text
    again = Graph().parse(data=text, format="turtle")
    assert isomorphic(again, sheet_to_graph(full))


def test_reading_needs_one_dataset(full):
    from catalog.dcat import SheetMappingError

    graph = sheet_to_graph(full) + sheet_to_graph(Sheet(id="https://data.example.org/ds/other"))
    with pytest.raises(SheetMappingError, match="exactement un dcat:Dataset"):
        sheet_from_graph(graph)
    assert sheet_from_graph(graph, full.id) == full
    with pytest.raises(SheetMappingError, match="ne décrit pas"):
        sheet_from_graph(graph, "https://data.example.org/ds/absent")
    with pytest.raises(SheetMappingError, match="IRI"):
        sheet_to_graph(Sheet(id="not an iri"))


def test_a_bbox_is_one_wkt_literal_in_crs84(full):
    graph = sheet_to_graph(full)
    boxes = list(graph.objects(None, DCAT.bbox))
    assert boxes == [Literal("POLYGON((-2.3 47.1, -1.4 47.1, -1.4 47.4, -2.3 47.4, -2.3 47.1))",
                             datatype=URIRef("http://www.opengis.net/ont/geosparql#wktLiteral"))]
