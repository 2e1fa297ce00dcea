"""OGC API – Records over the federated catalogue, read with OWSLib's `Records` client and httpx on a real loopback
server, over an index on SQLite and on PostgreSQL: landing page, conformance, the one record collection; items
searched by text (accents and case ignored), bbox, datetime and the catalogue's criteria; limit / offset paging
that follows `next` links through every record exactly once; one record as GeoJSON matching the indexed sheet,
with its links (JSON detail, ISO 19139 through the CSW, licence, provider); bad parameters answered 400 naming
the parameter and the rule, an unknown record or collection 404."""

from __future__ import annotations

import httpx
import pytest

from catalog.federated.ogc_records import COLLECTION, CONFORMANCE, parse_datetime

from .gis_server import HAUTEURS, HTA, MNT, ORTHO, PPRI, REPERES, gis_catalogue

records_module = pytest.importorskip("owslib.ogcapi.records")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def catalogue(request, tmp_path_factory):
    with gis_catalogue(request.param, tmp_path_factory.mktemp("ogc")) as served:
        yield served


@pytest.fixture(scope="module")
def owslib_records(catalogue):
    return records_module.Records(catalogue.records_url, timeout=10)


@pytest.fixture(scope="module")
def http(catalogue):
    with httpx.Client(base_url=catalogue.records_url, timeout=10) as client:
        yield client


def items(http, **params) -> dict:
    answer = http.get(f"/collections/{COLLECTION}/items", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    return answer.json()


def titles(http, **params) -> list[str]:
    return sorted(f["properties"]["title"] for f in items(http, limit=100, **params)["features"])


def test_landing_conformance_and_collection(catalogue, owslib_records, http):
    rels = {link["rel"]: link["href"] for link in owslib_records.links}
    assert rels["conformance"] == f"{catalogue.records_url}/conformance"
    assert rels["data"] == f"{catalogue.records_url}/collections"
    assert rels["alternate"].startswith(f"{catalogue.csw_url}?service=CSW")
    assert set(owslib_records.conformance()["conformsTo"]) == set(CONFORMANCE)
    assert owslib_records.records() == [COLLECTION]  # the collections whose itemType is "record"
    collection = owslib_records.collection(COLLECTION)
    assert collection["itemType"] == "record" and collection["title"].startswith("Catalogue fédéré JNT")
    assert collection["extent"]["spatial"]["bbox"] == [[-2.6, 46.9, -0.52, 47.8]]  # all the datasets
    assert http.get("/collections/nope").status_code == 404


def test_search_by_text_bbox_and_criteria(owslib_records, http):
    found = owslib_records.collection_items(COLLECTION, q="inondation")
    assert [f["properties"]["title"] for f in found["features"]] == [PPRI]
    assert titles(http, q="Inondation") == titles(http, q="INONDATION") == [PPRI]
    assert titles(http, q="électrique") == titles(http, q="electrique") == [HTA]
    assert titles(http, q="crue") == [HAUTEURS, REPERES]
    angers = owslib_records.collection_items(COLLECTION, bbox=[-1.0, 47.4, -0.5, 47.6])
    assert sorted(f["properties"]["title"] for f in angers["features"]) == [MNT, ORTHO]
    assert titles(http, q="crue", bbox="-1.6,47.19,-1.5,47.25") == [HAUTEURS]
    assert titles(http, geoconcept="GC039") == [PPRI]
    assert titles(http, access="RESTRICTED", territory="44109") == [HTA]
    assert titles(http, datetime="2025-01-15") == sorted([PPRI, HTA, MNT, ORTHO, HAUTEURS, REPERES])
    assert titles(http, datetime="2025-01-16/..") == titles(http, datetime="../2025-01-14") == []
    assert len(titles(http, datetime="2025-01-01T00:00:00Z/2025-01-31")) == 6


def test_paging_follows_next_links(catalogue, http):
    page = items(http, limit=4)
    assert (page["numberMatched"], page["numberReturned"]) == (6, 4)
    assert "prev" not in {link["rel"] for link in page["links"]}
    seen = [f["id"] for f in page["features"]]
    next_link = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert next_link.startswith(catalogue.records_url)
    second = httpx.get(next_link, timeout=10).json()
    assert second["numberReturned"] == 2 and "next" not in {link["rel"] for link in second["links"]}
    assert any(link["rel"] == "prev" and link["href"].endswith("offset=0") for link in second["links"])
    seen += [f["id"] for f in second["features"]]
    assert sorted(seen) == sorted(r.record_id for r in catalogue.index.iter_records())
    everything = [f["id"] for f in items(http, limit=100)["features"]]
    assert [f["id"] for f in items(http, limit=3, offset=2)["features"]] == everything[2:5]  # across two pages
    assert items(http, offset=50)["features"] == []
    assert items(http, limit=1000)["numberReturned"] == 6  # above 100: capped, not refused


def test_one_record(catalogue, owslib_records):
    record = next(r for r in catalogue.index.iter_records() if r.values["title"] == PPRI)
    parsed = record.parsed
    feature = owslib_records.collection_item(COLLECTION, record.record_id)
    properties = feature["properties"]
    assert feature["id"] == record.record_id and feature["type"] == "Feature"
    assert feature["conformsTo"] == ["http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core"]
    minx, miny, maxx, maxy = parsed.bbox
    assert feature["geometry"]["coordinates"][0][0] == [minx, miny] and feature["geometry"]["coordinates"][0][2] == [
        maxx, maxy]
    assert (properties["type"], properties["title"], properties["description"]) == ("dataset", PPRI,
                                                                                     parsed.description)
    assert properties["externalIds"] == [{"scheme": "iri", "value": parsed.id}]
    assert properties["keywords"] == ["PPRI"] and properties["updated"] == "2025-01-15"
    assert properties["license"] == "etalab-2.0" and properties["formats"] == [{"name": "GPKG"}]
    assert properties["jnt:geoconcept"]["value"] == "https://w3id.org/jnt/geoconcept/GC039"
    assert properties["jnt:scale_denominator"] == 5000 and properties["jnt:provider"]["did"] == "did:web:ddtm44.example"
    schemes = {theme["scheme"]: theme["concepts"][0]["id"] for theme in properties["themes"]}
    assert schemes == {"http://inspire.ec.europa.eu/theme": "nz", "https://w3id.org/jnt/geoconcept/": "GC039"}
    contacts = {c["roles"][0]: c for c in properties["contacts"]}
    assert contacts["pointOfContact"]["emails"] == [{"value": "contact@example.fr"}]
    links = {(link["rel"], link.get("type")): link["href"] for link in feature["links"]}
    detail = httpx.get(links[("alternate", "application/json")], timeout=10).json()
    assert detail["id"] == record.record_id and detail["sheet"]["C1"]["title"] == PPRI
    iso = httpx.get(links[("alternate", "application/xml")], timeout=10)
    assert iso.status_code == 200 and f">{record.record_id}<" in iso.text and "gmd:MD_Metadata" in iso.text
    assert links[("license", None)] == "https://spdx.org/licenses/etalab-2.0.html"
    assert links[("service", None)] == record.provider.address


@pytest.mark.parametrize("params,parameter,rule", [
    ({"bbox": "355000,6680000,360000,6690000"}, "bbox", "range"),
    ({"bbox": "-1.5,47.3,-1.6,47.2"}, "bbox", "order"),
    ({"bbox": "1,2,3"}, "bbox", "format"),
    ({"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/2154", "bbox": "1,2,3,4"}, "bbox-crs", "unknown-value"),
    ({"limit": "-1"}, "limit", "range"),
    ({"limit": "0"}, "limit", "range"),
    ({"limit": "ten"}, "limit", "integer"),
    ({"offset": "-5"}, "offset", "range"),
    ({"limit": ["2", "3"]}, "limit", "repeated"),
    ({"datetime": "hier"}, "datetime", "format"),
    ({"datetime": "2025-02-01/2025-01-01"}, "datetime", "order"),
    ({"q": "?!"}, "q", "no-words"),
    ({"geoconcept": "GC999"}, "geoconcept", "unknown-value"),
    ({"sortby": "title"}, "sortby", "unknown-parameter"),
    ({"f": "html"}, "f", "unknown-value"),
])
def test_bad_parameters_answer_400(http, params, parameter, rule):
    answer = http.get(f"/collections/{COLLECTION}/items", params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["error"], body["parameter"], body["rule"], body["code"]) == (
        "invalid-parameter", parameter, rule, "InvalidParameterValue")
    assert body["message"]["fr"].startswith(parameter) and body["description"].startswith(parameter)


def test_unknown_record_is_404(http):
    for ref in ("ds-0000000000000000", "https%3A%2F%2Fdata.example.fr%2Fddtm%2Fppri"):
        answer = http.get(f"/collections/{COLLECTION}/items/{ref}")
        assert answer.status_code == 404 and answer.json()["code"] == "NotFound"
        assert answer.json()["message"]["fr"].startswith("fiche inconnue")


def test_parse_datetime():
    from datetime import date

    assert parse_datetime("2025-01-15") == (date(2025, 1, 15), date(2025, 1, 15))
    assert parse_datetime("2025-01-15T23:30:00Z/..") == (date(2025, 1, 15), None)
    assert parse_datetime("../2025-03-01") == (None, date(2025, 3, 1))
