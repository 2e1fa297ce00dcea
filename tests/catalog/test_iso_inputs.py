"""ISO 19139 import beyond the samples: every way of giving a record (path, bytes, XML text, URL on a loopback
server, CSW GetRecordById wrapper), bad inputs (broken XML, wrong root, no identification, missing file, HTTP
errors, timeouts) as clear `IsoImportError`s, and the label → IRI lookups on small synthetic records: CRS labels,
licences, access constraints, frequencies, formats, INSPIRE theme labels in both languages."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from catalog.iso19139 import DEFAULT_DATASET_BASE, IsoImportError, import_iso, recognise_geoconcept
from catalog.label_lookup import (
    FREQUENCIES,
    INSPIRE_THEME_LABELS,
    crs_iri,
    format_from_label,
    inspire_theme,
    licences_in_text,
)
from catalog.vocabularies import LICENCES, access_right_iri, epsg_iri, frequency_iri

NS = ('xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" '
      'xmlns:gmx="http://www.isotc211.org/2005/gmx" xmlns:xlink="http://www.w3.org/1999/xlink"')
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


def _cs(text: str) -> str:
    return f"<gco:CharacterString>{text}</gco:CharacterString>"


def record(*, title: str = "Jeu de test", crs: str = "", constraints: str = "", keywords: str = "",
           frequency: str = "", online: str = "", formats: str = "", file_id: str | None = "test-record",
           identifier: str = "") -> bytes:
    crs_xml = (f"<gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier><gmd:RS_Identifier>"
               f"<gmd:code>{crs}</gmd:code></gmd:RS_Identifier></gmd:referenceSystemIdentifier></gmd:MD_ReferenceSystem>"
               f"</gmd:referenceSystemInfo>") if crs else ""
    freq_xml = (f"<gmd:resourceMaintenance><gmd:MD_MaintenanceInformation><gmd:maintenanceAndUpdateFrequency>"
                f'<gmd:MD_MaintenanceFrequencyCode codeListValue="{frequency}"/></gmd:maintenanceAndUpdateFrequency>'
                f"</gmd:MD_MaintenanceInformation></gmd:resourceMaintenance>") if frequency else ""
    dist_xml = (f"<gmd:distributionInfo><gmd:MD_Distribution>{formats}<gmd:transferOptions><gmd:MD_DigitalTransferOptions>"
                f"{online}</gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution>"
                f"</gmd:distributionInfo>") if online or formats else ""
    fid = f"<gmd:fileIdentifier>{_cs(file_id)}</gmd:fileIdentifier>" if file_id else ""
    return (f"<gmd:MD_Metadata {NS}>{fid}{crs_xml}<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation>"
            f"<gmd:CI_Citation><gmd:title>{_cs(title)}</gmd:title>{identifier}</gmd:CI_Citation></gmd:citation>"
            f"<gmd:abstract>{_cs('Résumé')}</gmd:abstract>{freq_xml}{keywords}{constraints}"
            f"</gmd:MD_DataIdentification></gmd:identificationInfo>{dist_xml}</gmd:MD_Metadata>").encode()


def legal(access: str = "", use: str = "", others: list[str] = (), limitations: list[str] = ()) -> str:
    parts = [f"<gmd:useLimitation>{_cs(t)}</gmd:useLimitation>" for t in limitations]
    if access:
        parts.append(f'<gmd:accessConstraints><gmd:MD_RestrictionCode codeListValue="{access}"/></gmd:accessConstraints>')
    if use:
        parts.append(f'<gmd:useConstraints><gmd:MD_RestrictionCode codeListValue="{use}"/></gmd:useConstraints>')
    parts += [f"<gmd:otherConstraints>{o}</gmd:otherConstraints>" for o in others]
    return f"<gmd:resourceConstraints><gmd:MD_LegalConstraints>{''.join(parts)}</gmd:MD_LegalConstraints></gmd:resourceConstraints>"


def anchor(href: str, text: str = "x") -> str:
    return f'<gmx:Anchor xlink:href="{href}">{text}</gmx:Anchor>'


# --- sources -----------------------------------------------------------------------------------------------------


def test_path_bytes_and_text_give_the_same_sheet(tmp_path):
    data = record(crs=_cs("EPSG:2154"))
    path = tmp_path / "r.xml"
    path.write_bytes(data)
    by_path, by_str_path, by_bytes, by_text = (import_iso(path), import_iso(str(path)), import_iso(data),
                                               import_iso(data.decode()))
    assert by_path.sheet == by_str_path.sheet == by_bytes.sheet == by_text.sheet
    assert by_path.source == str(path) and by_bytes.source is None


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def http_server(routes: dict[str, tuple[str, bytes]]) -> Iterator[str]:
    def app(environ, start_response):
        status, body = routes.get(environ["PATH_INFO"], ("404 Not Found", b"not found"))
        start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_import_from_a_url_and_from_a_getrecordbyid_answer(shared_dir):
    data = (shared_dir / "samples/iso19139/datara_pprn-inondation-saint-vallier.xml").read_bytes()
    wrapped = (b'<csw:GetRecordByIdResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
               + data.split(b"?>", 1)[1] + b"</csw:GetRecordByIdResponse>")
    empty = b'<csw:GetRecordByIdResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"/>'
    routes = {"/record.xml": ("200 OK", data), "/csw": ("200 OK", wrapped), "/empty": ("200 OK", empty),
              "/broken": ("500 Internal Server Error", b"oops")}
    with http_server(routes) as base:
        direct = import_iso(f"{base}/record.xml", timeout=5)
        via_csw = import_iso(f"{base}/csw", timeout=5)
        assert direct.sheet == via_csw.sheet and direct.source == f"{base}/record.xml"
        assert direct.sheet.nature.geoconcept == "https://w3id.org/jnt/geoconcept/GC039"
        for path, code in (("/missing", "http-status"), ("/broken", "http-status"), ("/empty", "not-found")):
            with pytest.raises(IsoImportError) as err:
                import_iso(base + path, timeout=5)
            assert err.value.code == code
    with pytest.raises(IsoImportError) as err:
        import_iso(f"{base}/record.xml", timeout=2)  # server stopped: connection refused
    assert err.value.code == "network"


def test_url_timeout_is_a_clear_error():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        with pytest.raises(IsoImportError) as err:
            import_iso(f"http://127.0.0.1:{listener.getsockname()[1]}/r.xml", timeout=0.3)
    finally:
        listener.close()
    assert err.value.code == "timeout" and "0.3 s" in err.value.message("en")


# --- bad inputs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, code, words", [
    (b"<gmd:MD_Metadata xmlns:gmd='http://www.isotc211.org/2005/gmd'><unclosed>", "xml-syntax", "malformed XML"),
    (b"", "empty", "empty document"),
    (b"<html><body>not metadata</body></html>", "not-iso19139", "expected gmd:MD_Metadata"),
    (b'<csw:Record xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"/>', "not-iso19139", "root element"),
    (b'<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"/>', "no-identification", "identificationInfo"),
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "not-iso19139", "root element"),
])
def test_bad_documents_are_clear_errors(data, code, words):
    with pytest.raises(IsoImportError) as err:
        import_iso(data)
    assert err.value.code == code and words in err.value.message("en")
    assert err.value.message("fr") != err.value.message("en")


def test_missing_file(tmp_path):
    with pytest.raises(IsoImportError) as err:
        import_iso(tmp_path / "nope.xml")
    assert err.value.code == "not-found" and "nope.xml" in err.value.message("fr")


def test_unknown_crs_label_is_a_warning_not_an_error():
    result = import_iso(record(crs=_cs("Système local de la mairie")))
    assert result.sheet.extent.reference_systems == []
    (warning,) = [w for w in result.warnings if w.code == "crs-unknown"]
    assert warning.message("en") == "EPSG label not recognised: Système local de la mairie"
    assert "extent.reference_systems" in result.to_fill_mandatory


def test_minted_iri_without_identifier():
    with_file_id = import_iso(record(file_id="fr-123 abc"))
    assert with_file_id.sheet.id == DEFAULT_DATASET_BASE + "fr-123%20abc"
    without = import_iso(record(file_id=None))
    again = import_iso(record(file_id=None))
    assert without.sheet.id.startswith(DEFAULT_DATASET_BASE) and without.sheet.id == again.sheet.id  # deterministic
    custom = import_iso(record(), dataset_base="https://data.example.org/ds/")
    assert custom.sheet.id == "https://data.example.org/ds/test-record"


def test_identifier_with_codespace_ending_in_slash_is_not_reported_as_repaired():
    ident = ("<gmd:identifier><gmd:RS_Identifier><gmd:code>" + _cs("76DDTM20120001") + "</gmd:code><gmd:codeSpace>"
             + _cs("https://geostandards.gouv.fr/risques/ppr/pprn-i/") + "</gmd:codeSpace></gmd:RS_Identifier>"
             "</gmd:identifier>")
    result = import_iso(record(identifier=ident))
    assert result.sheet.id == "https://geostandards.gouv.fr/risques/ppr/pprn-i/76DDTM20120001"
    assert "identifier-repaired" not in {w.code for w in result.warnings}


# --- label → IRI lookups -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("crs, code", [
    (_cs("RGF93 / Lambert-93 (EPSG:2154)"), 2154), (_cs("EPSG:2154"), 2154), (_cs("urn:ogc:def:crs:EPSG::2154"), 2154),
    (_cs("2154"), 2154), (_cs("RGF93 / Lambert-93"), 2154), (_cs("urn:ogc:def:crs:EPSG:6.6:4326"), 4326),
    (anchor("http://www.opengis.net/def/crs/EPSG/0/5490", "RGAF09"), 5490), (anchor("#", "EPSG:2975"), 2975),
    (_cs("RGF93 / CC46"), 3946),
])
def test_crs_labels_become_epsg_iris(crs, code):
    result = import_iso(record(crs=crs))
    assert result.sheet.extent.reference_systems == [epsg_iri(code)]
    assert not [w for w in result.warnings if w.code == "crs-unknown"]


def test_crs_lookup_directly():
    assert crs_iri("CRS84") == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert crs_iri("") is None and crs_iri("Lambert 72 belge") is None


@pytest.mark.parametrize("constraints, licence, inferred", [
    (legal(use="otherRestrictions", others=[_cs("Licence ODbL")]), LICENCES["odbl"], False),
    (legal(use="otherRestrictions", others=[_cs("Open Database License (ODbL) 1.0")]), LICENCES["odbl"], False),
    (legal(use="otherRestrictions", others=[anchor("https://creativecommons.org/licenses/by/4.0/", "CC BY 4.0")]),
     LICENCES["cc-by-4.0"], False),
    (legal(use="otherRestrictions", others=[_cs("CC-BY 4.0")]), LICENCES["cc-by-4.0"], False),
    (legal(limitations=["Licence Ouverte v2.0 (Etalab)"]), LICENCES["etalab-2.0"], False),
    (legal(limitations=["Licence ouverte version 1.0"]), LICENCES["etalab-1.0"], False),
    (legal(use="otherRestrictions", others=[anchor("https://www.etalab.gouv.fr/licence-ouverte-open-licence")]),
     LICENCES["etalab-2.0"], False),
    (legal(use="otherRestrictions", others=[anchor("https://spdx.org/licenses/etalab-2.0.html")]),
     LICENCES["etalab-2.0"], False),
    (legal(limitations=["Licence Ouverte"]), LICENCES["etalab-2.0"], True),  # version assumed
])
def test_licences_are_detected_in_text_and_anchors(constraints, licence, inferred):
    result = import_iso(record(constraints=constraints))
    assert result.sheet.licence.licence == licence
    assert result.field("licence.licence").inferred is inferred


def test_licence_text_lookup_directly():
    assert [m.key for m in licences_in_text("CC BY-SA 4.0")] == ["cc-by-sa-4.0"]
    assert [m.key for m in licences_in_text("CC0")] == ["cc0"]
    assert licences_in_text("Conditions générales d'utilisation IGN") == []
    assert licences_in_text("CC-BY-NC 4.0") == []  # non-commercial: not an open licence we map


@pytest.mark.parametrize("constraints, access, inferred", [
    (legal(access="otherRestrictions",
           others=[anchor("http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations")]),
     "PUBLIC", False),
    (legal(access="otherRestrictions", others=[anchor(
        "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1e")]),
     "RESTRICTED", False),
    (legal(access="otherRestrictions", others=[_cs("Pas de restriction d'accès public selon INSPIRE")]),
     "PUBLIC", False),
    (legal(access="otherRestrictions", others=[_cs("Accès sur convention avec le gestionnaire")]),
     "RESTRICTED", False),
    (legal(access="restricted"), "RESTRICTED", False),
    # intellectualPropertyRights in accessConstraints is a misuse: the otherConstraints text decides.
    (legal(access="intellectualPropertyRights", others=[_cs("Diffusion sur convention")]), "RESTRICTED", False),
    (legal(access="copyright", limitations=["Licence Ouverte 2.0"]), "PUBLIC", True),
    # Both said: the restrictive one wins.
    (legal(access="otherRestrictions", others=[_cs("Pas de restriction d'accès public"), _cs("sur convention")]),
     "RESTRICTED", False),
])
def test_access_constraints(constraints, access, inferred):
    result = import_iso(record(constraints=constraints))
    assert result.sheet.access.access_rights == access_right_iri(access)
    assert result.field("access.access_rights").inferred is inferred


def test_no_access_information_is_left_to_fill():
    result = import_iso(record(constraints=legal(access="copyright")))
    assert result.sheet.access.access_rights is None and "access.access_rights" in result.to_fill_mandatory
    assert {"access-code-misuse", "access-not-found"} <= {w.code for w in result.warnings}


@pytest.mark.parametrize("code, expected", sorted(FREQUENCIES.items()))
def test_frequency_codes(code, expected):
    result = import_iso(record(frequency=code))
    assert result.sheet.frequency.accrual_periodicity == frequency_iri(expected)


def test_unknown_frequency_code_is_a_warning():
    result = import_iso(record(frequency="everySolstice"))
    assert result.sheet.frequency.accrual_periodicity is None
    assert "frequency-unknown" in {w.code for w in result.warnings}


@pytest.mark.parametrize("code", sorted(INSPIRE_THEME_LABELS))
def test_inspire_theme_labels_in_both_languages(code):
    fr, en = INSPIRE_THEME_LABELS[code]
    iri = f"http://inspire.ec.europa.eu/theme/{code}"
    assert inspire_theme(fr) == inspire_theme(en) == inspire_theme(fr.upper()) == inspire_theme(iri) == iri


def test_inspire_keywords_block():
    keywords = ('<gmd:descriptiveKeywords><gmd:MD_Keywords>'
                f'<gmd:keyword>{_cs("Zones à risque naturel")}</gmd:keyword>'
                f'<gmd:keyword>{anchor("http://inspire.ec.europa.eu/theme/hy", "Hydrographie")}</gmd:keyword>'
                f'<gmd:keyword>{_cs("Thème imaginaire")}</gmd:keyword>'
                '<gmd:thesaurusName><gmd:CI_Citation><gmd:title>' + _cs("GEMET - INSPIRE themes, version 1.0")
                + '</gmd:title></gmd:CI_Citation></gmd:thesaurusName></gmd:MD_Keywords></gmd:descriptiveKeywords>')
    result = import_iso(record(keywords=keywords))
    assert result.sheet.nature.inspire_themes == ["http://inspire.ec.europa.eu/theme/nz",
                                                  "http://inspire.ec.europa.eu/theme/hy"]
    assert result.sheet.nature.eu_themes == ["http://publications.europa.eu/resource/authority/data-theme/ENVI",
                                             "http://publications.europa.eu/resource/authority/data-theme/TECH"]
    assert result.sheet.nature.keywords == ["Thème imaginaire"]
    assert "inspire-theme-unknown" in {w.code for w in result.warnings}


@pytest.mark.parametrize("label, code", [
    ("ESRI Shapefile", "SHP"), ("GeoPackage", "GPKG"), ("GeoPackage 1.3.1", "GPKG"), ("MapInfo TAB", "TAB"),
    ("MIF / MID", "MIF_MID"), ("GeoJSON", "GEOJSON"), ("https://www.iana.org/assignments/media-types/application/"
                                                       "geopackage+sqlite3", "GPKG"), ("CSV", "CSV"), ("ZIP", "ZIP"),
])
def test_format_labels(label, code):
    assert format_from_label(label) == FILE_TYPE + code


def test_links_without_function_are_classified_by_protocol():
    def link(url: str, protocol: str, name: str = "", function: str = "") -> str:
        fn = f'<gmd:function><gmd:CI_OnLineFunctionCode codeListValue="{function}"/></gmd:function>' if function else ""
        return (f"<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{url}</gmd:URL></gmd:linkage>"
                f"<gmd:protocol>{_cs(protocol)}</gmd:protocol><gmd:name>{_cs(name)}</gmd:name>{fn}"
                f"</gmd:CI_OnlineResource></gmd:onLine>")

    fmt = f"<gmd:distributionFormat><gmd:MD_Format><gmd:name>{_cs('GeoPackage')}</gmd:name></gmd:MD_Format></gmd:distributionFormat>"
    online = (link("https://data.example.org/ppr.gpkg", "WWW:DOWNLOAD-1.0-http--download")
              + link("https://geo.example.org/wms?SERVICE=WMS&amp;REQUEST=GetCapabilities", "OGC:WMS-1.3.0-http-get-map")
              + link("https://geo.example.org/wfs", "OGC:WFS")
              + link("https://example.org/atom/feed.xml", "INSPIRE Atom", "Flux ATOM")
              + link("https://example.org/doc.html", "WWW:LINK-1.0-http--link", "Documentation", "information"))
    result = import_iso(record(online=online, formats=fmt))
    dists = result.sheet.access.distributions
    assert [d.format.rsplit("/", 1)[-1] for d in dists] == ["GPKG", "WMS_SRVC", "WFS_SRVC", "ATOM"]
    assert dists[0].download_url == "https://data.example.org/ppr.gpkg"
    assert dists[0].media_type == "https://www.iana.org/assignments/media-types/application/geopackage+sqlite3"
    assert dists[1].access_service.endpoint_url == "https://geo.example.org/wms"
    assert dists[1].access_service.service_type.endswith("/view")
    assert dists[2].access_service.service_type.endswith("/download")
    assert result.sheet.access.landing_page == "https://example.org/doc.html"


def test_geoconcept_recognition_asks_when_no_clear_winner():
    from catalog.geoconcepts import load_registry

    registry = load_registry()
    winner, candidates = recognise_geoconcept(registry, ["PPRI", "zonage réglementaire"])
    assert winner and winner.id == "GC039"
    winner, candidates = recognise_geoconcept(registry, ["PPRI"])  # zonage, aléas, enjeux, périmètre: ambiguous
    assert winner is None and {"GC039", "GC040", "GC041", "GC042"} <= {c.id for c in candidates}
    assert recognise_geoconcept(registry, ["Faune aviaire"]) == (None, [])
    # Plural, stem and acronym forms of real titles.
    winner, _ = recognise_geoconcept(registry, ["Plan de prévention des risques inondation : zonages réglementaires"])
    assert winner and winner.id == "GC039"
