"""CSW 2.0.2 over the federated catalogue (pycsw as the engine), queried with OWSLib — the library QGIS MetaSearch
uses — on a real loopback server, over an index on SQLite and on PostgreSQL: capabilities; text searches on
csw:AnyText that ignore accents and case; bounding boxes in EPSG:4326 (latitude first), CRS84 and Lambert-93;
both combined; paging; GetRecordById in Dublin Core and ISO 19139 matching the indexed sheet, and our own CSW
harvester reading the ISO records back; a re-crawl seen by the next request; bad requests answered with OGC
exception reports (400, or 404 for an unknown repository item)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from lxml import etree

from catalog.csw import get_record_by_id, harvest
from catalog.dsp_catalog import CatalogEntry

from .gis_server import HAUTEURS, HTA, MNT, ORTHO, PPRI, REPERES, gis_catalogue

owslib_csw = pytest.importorskip("owslib.csw")
from owslib.fes import And, BBox, PropertyIsLike  # noqa: E402
from owslib.ows import ExceptionReport  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

GMD = "http://www.isotc211.org/2005/gmd"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def catalogue(request, tmp_path_factory):
    with gis_catalogue(request.param, tmp_path_factory.mktemp("csw")) as served:
        yield served


@pytest.fixture(scope="module")
def csw(catalogue):
    return owslib_csw.CatalogueServiceWeb(catalogue.csw_url, timeout=10)


def titles(csw, *constraints, **options) -> list[str]:
    csw.getrecords2(constraints=list(constraints), maxrecords=50, **options)
    assert csw.results["matches"] == len(csw.records)
    return sorted(r.title for r in csw.records.values())


def like(text: str) -> PropertyIsLike:
    return PropertyIsLike("csw:AnyText", f"%{text}%")


def test_capabilities(catalogue, csw):
    assert csw.identification.title.startswith("Catalogue fédéré JNT")
    assert csw.version == "2.0.2"
    operations = {op.name: op for op in csw.operations}
    assert {"GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById"} <= set(operations)
    assert "Transaction" not in operations and "Harvest" not in operations
    assert {m["url"] for m in operations["GetRecords"].methods} == {catalogue.csw_url}  # the public address
    schemas = operations["GetRecordById"].parameters["outputSchema"]["values"]
    assert GMD in schemas and "http://www.opengis.net/cat/csw/2.0.2" in schemas


def test_text_search_ignores_accents_and_case(csw):
    assert titles(csw, like("inondation")) == titles(csw, like("Inondation")) == titles(csw, like("INONDATION")) \
        == [PPRI]
    assert titles(csw, like("électrique")) == titles(csw, like("electrique")) == titles(csw, like("ÉLECTRIQUE")) \
        == [HTA]
    assert titles(csw, like("crue")) == [HAUTEURS, REPERES]
    assert titles(csw, like("Enedis")) == [HTA]  # the publisher is searchable text too
    assert titles(csw, like("sécheresse")) == []


def test_bounding_boxes(csw):
    angers = [47.4, -1.0, 47.6, -0.5]  # EPSG:4326 as OWSLib and QGIS send it: latitude first
    assert titles(csw, BBox(angers)) == [MNT, ORTHO]
    assert titles(csw, BBox([-1.0, 47.4, -0.5, 47.6], crs="urn:ogc:def:crs:OGC:1.3:CRS84")) == [MNT, ORTHO]
    # Lambert-93 around Angers: pycsw reprojects it
    assert titles(csw, BBox([398000, 6707000, 437000, 6728000], crs="urn:ogc:def:crs:EPSG::2154")) == [MNT, ORTHO]


def test_text_and_bbox_combined(csw):
    nantes_centre = [47.19, -1.6, 47.25, -1.5]
    assert titles(csw, like("crue")) == [HAUTEURS, REPERES]
    assert titles(csw, And([like("crue"), BBox(nantes_centre)])) == [HAUTEURS]  # the repères are further west
    assert titles(csw, And([like("crues"), BBox([47.0, -3.0, 47.5, -2.0])])) == []


def test_paging(catalogue, csw):
    csw.getrecords2(maxrecords=4, sortby=None)
    assert csw.results == {"matches": 6, "returned": 4, "nextrecord": 5}
    first = list(csw.records)
    csw.getrecords2(maxrecords=4, startposition=5)
    assert csw.results == {"matches": 6, "returned": 2, "nextrecord": 0}
    assert set(first) | set(csw.records) == {r.record_id for r in catalogue.index.iter_records()}
    # our own harvester pages through it, and every ISO record imports back into a sheet
    report = harvest(catalogue.csw_url, page_size=2, timeout=10)
    assert report.complete and report.failed == [] and report.pages == 3 and len(report.imported) == 6


def test_get_record_by_id_dublin_core_and_iso(catalogue, csw):
    record = next(r for r in catalogue.index.iter_records() if r.values["title"] == PPRI)
    sheet = record.parsed
    csw.getrecordbyid(id=[record.record_id])
    dc = csw.records[record.record_id]
    assert (dc.identifier, dc.title, dc.abstract, dc.type) == (record.record_id, PPRI, sheet.description, "dataset")
    assert (float(dc.bbox.minx), float(dc.bbox.miny), float(dc.bbox.maxx), float(dc.bbox.maxy)) == sheet.bbox
    assert {"PPRI", "Zones à risque naturel", "PPRI – zonage réglementaire"} <= set(dc.subjects)
    assert dc.format == "GPKG"

    csw.getrecordbyid(id=[record.record_id], outputschema=GMD)
    iso = csw.records[record.record_id]
    assert iso.identifier == record.record_id and iso.dataseturi == sheet.id
    assert (iso.identification.title, iso.identification.abstract) == (PPRI, sheet.description)
    box = iso.identification.bbox
    assert (float(box.minx), float(box.miny), float(box.maxx), float(box.maxy)) == sheet.bbox
    assert iso.referencesystem.code == "EPSG:2154"
    assert iso.distribution.format == "GPKG"
    links = {link.url: link for link in iso.distribution.online}
    assert f"{catalogue.base_url}/api/datasets/{record.record_id}" in links  # back to the catalogue
    assert record.provider.address in links  # where to negotiate the data (DSP)

    imported = get_record_by_id(catalogue.csw_url, record.record_id, timeout=10).sheet
    assert imported.id == sheet.id and imported.nature.title == PPRI and imported.extent.bbox == sheet.bbox
    assert imported.nature.geoconcept == sheet.geoconcept and imported.licence.licence == sheet.licence
    assert imported.precision.scale_denominator == 5000
    assert [s.title for s in imported.standard.conforms_to] == ["Standard CNIG PPR"]


def test_cql_text_over_get(catalogue):
    answer = httpx.get(catalogue.csw_url, params={
        "service": "CSW", "version": "2.0.2", "request": "GetRecords", "typenames": "csw:Record",
        "elementsetname": "brief", "resultType": "results", "constraintlanguage": "CQL_TEXT",
        "constraint_language_version": "1.1.0", "constraint": "csw:AnyText like '%réseau électrique%'"})
    assert answer.status_code == 200, answer.text
    root = etree.fromstring(answer.content)
    assert [t.text for t in root.iter("{http://purl.org/dc/elements/1.1/}title")] == [HTA]


def _report(answer: httpx.Response) -> tuple[str, str, str]:
    root = etree.fromstring(answer.content)
    exception = next(root.iter("{*}Exception"))
    return exception.get("exceptionCode"), exception.get("locator"), "".join(exception.itertext())


@pytest.mark.parametrize("params,status,code,locator,words", [
    ({"request": "GetRecords", "typenames": "csw:Record", "maxRecords": "-1"}, 400, "InvalidParameterValue",
     "maxRecords", "at least 0"),
    ({"request": "GetRecords", "typenames": "csw:Record", "startPosition": "0"}, 400, "InvalidParameterValue",
     "startPosition", "at least 1"),
    ({"request": "GetRecords", "typenames": "csw:Record", "startPosition": "deux"}, 400, "InvalidParameterValue",
     "startPosition", "integer"),
    ({"request": "GetRepositoryItem", "id": "ds-0000000000000000"}, 404, "NotFound", "id", "ds-0000000000000000"),
    ({"request": "Transaction"}, 400, "OperationNotSupported", "request", "not supported"),
    ({"request": "GetRecords", "typenames": "csw:Record", "resultType": "results", "elementsetname": "brief",
      "responsehandler": "mailto:someone@example.org"}, 400, "OperationNotSupported", "responsehandler",
     "asynchronous"),
    ({"request": "GetRecords", "typenames": "csw:Record", "elementsetname": "brief", "constraintlanguage": "CQL_TEXT",
      "constraint": "dc:nothing like '%x%'"}, 400, "InvalidParameterValue", None, "Invalid Filter"),
])
def test_bad_requests_answer_an_exception_report(catalogue, params, status, code, locator, words):
    answer = httpx.get(catalogue.csw_url, params={"service": "CSW", "version": "2.0.2", **params})
    assert answer.status_code == status, answer.text
    got_code, got_locator, text = _report(answer)
    assert got_code == code and (locator is None or got_locator == locator) and words in text


def test_bbox_outside_the_earth_is_refused(csw):
    with pytest.raises(ExceptionReport) as err:  # Lambert-93 coordinates labelled CRS84
        csw.getrecords2(constraints=[BBox([355000, 6680000, 360000, 6690000],
                                          crs="urn:ogc:def:crs:OGC:1.3:CRS84")])
    assert "outside the Earth" in str(err.value) and "srsName" in str(err.value)


def test_unknown_record_is_an_empty_answer(csw):
    csw.getrecordbyid(id=["ds-0000000000000000"])  # CSW 2.0.2: an empty GetRecordByIdResponse, not an error
    assert csw.records == {}


def test_post_bodies_are_limited_and_checked(catalogue):
    too_big = httpx.post(catalogue.csw_url, content=b"<x>" + b" " * 1_100_000 + b"</x>",
                         headers={"content-type": "application/xml"})
    assert too_big.status_code == 413
    broken = httpx.post(catalogue.csw_url, content=b"<csw:GetRecords", headers={"content-type": "application/xml"})
    assert broken.status_code == 400 and "not well-formed" in _report(broken)[2]


def test_a_recrawl_is_seen_by_the_next_request(tmp_path):
    with gis_catalogue("sqlite", tmp_path) as served:
        client = owslib_csw.CatalogueServiceWeb(served.csw_url, timeout=10)
        assert titles(client, like("inondation")) == [PPRI]
        ddtm = served.fake.connectors["ddtm44"]
        hauteurs, ppri, _reperes = ddtm.entries
        renamed = ppri.sheet.model_copy(deep=True)
        renamed.nature.title = "Zonage du risque de submersion — Loire aval"
        renamed.nature.description = "Zones exposées à la submersion marine dans l'estuaire."
        renamed.frequency.modified = date(2025, 6, 1)
        ddtm.set_entries([hauteurs, CatalogEntry(renamed, ppri.offers)])  # one edited, one removed
        served.crawl()
        assert titles(client, like("inondation")) == []
        assert titles(client, like("submersion")) == ["Zonage du risque de submersion — Loire aval"]
        client.getrecords2(maxrecords=50)
        assert client.results["matches"] == 5
        report = served.csw.mirror.last_report
        assert (report.added, report.updated, report.removed, report.failed) == (0, 1, 1, [])
        assert served.csw.mirror.refresh().changed is False  # nothing new: nothing rewritten
