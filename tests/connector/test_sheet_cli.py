"""`jnt sheet import-iso / harvest-csw / show`: a sample record becomes a sheet (JSON on stdout, the report of
filled fields with their XPath and of fields still to fill on stderr, in French or English), RDF formats through
catalog.dcat, a CSW catalogue on loopback harvested into a folder, a sheet shown criterion by criterion, and bad
input as a clear message with exit code 2, never a traceback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from lxml import etree
from typer.testing import CliRunner

from catalog.sheet import Sheet
from connector.cli import app

CHARMES = "datara_pprn-inondation-charmes-sur-rhone.xml"
GC039 = "https://w3id.org/jnt/geoconcept/GC039"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def samples(shared_dir):
    return shared_dir / "samples" / "iso19139"


def test_import_iso_prints_the_sheet_and_the_report(runner, samples):
    result = runner.invoke(app, ["sheet", "import-iso", str(samples / CHARMES)])
    assert result.exit_code == 0, result.output
    sheet = Sheet.model_validate_json(result.stdout)
    assert sheet.nature.geoconcept == GC039 and sheet.licence.licence == "https://spdx.org/licenses/etalab-2.0.html"
    report = result.stderr
    assert "Champs remplis automatiquement" in report and "(déduit)" in report
    assert "← gmd:identificationInfo[1]/*/gmd:citation/*/gmd:title" in report
    assert "← gmd:referenceSystemInfo/*/gmd:referenceSystemIdentifier/*/gmd:code" in report
    assert "À compléter — obligatoires (4)" in report and "Fréquence de mise à jour" in report
    assert "Licence Ouverte déduite de la formule" in report


def test_import_iso_in_english_to_a_file_then_show(runner, samples, tmp_path):
    out = tmp_path / "sheet.json"
    result = runner.invoke(app, ["--lang", "en", "sheet", "import-iso", str(samples / "cnig_ignf_bdtopo_3.xml"),
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Sheet written to {out}" in result.stdout and "Still to fill — mandatory (3)" in result.stdout
    assert "EPSG label not recognised" not in result.stdout and "9 bounding boxes merged" in result.stdout
    shown = runner.invoke(app, ["--lang", "en", "sheet", "show", str(out)])
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert "BD TOPO®" in text and "C5 Licence  M 0/1  R 1/3" in text and "✗ Licence (mandatory, missing)" in text
    assert "C7 Access mode  M 2/2" in text and "access-right/PUBLIC" in text
    assert "Mandatory: 18/21" in text


def test_show_in_french_lists_missing_mandatory_fields(runner, samples, tmp_path):
    out = tmp_path / "semic.json"
    assert runner.invoke(app, ["sheet", "import-iso", str(samples / "semic_basic_dataset_input.xml"),
                               "-o", str(out)]).exit_code == 0
    shown = runner.invoke(app, ["sheet", "show", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "C1 Nature  M 4/6" in shown.stdout and "✗ Géo-concept JNT (obligatoire, à compléter)" in shown.stdout
    assert "Complétude" in shown.stdout and "Obligatoires : 14/21" in shown.stdout


@pytest.mark.parametrize("fmt, marker", [("ttl", "dcat:Dataset"), ("jsonld", '"@context"')])
def test_rdf_formats_come_from_catalog_dcat(runner, samples, fmt, marker):
    pytest.importorskip("catalog.dcat")
    result = runner.invoke(app, ["sheet", "import-iso", str(samples / CHARMES), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert marker in result.stdout and GC039 in result.stdout


@pytest.mark.parametrize("args, words", [
    (["sheet", "import-iso", "/nonexistent/record.xml"], "fichier introuvable"),
    (["sheet", "import-iso", "{samples}/" + CHARMES, "--format", "xml"], "format « xml » inconnu"),
    (["sheet", "show", "/nonexistent/sheet.json"], "fichier introuvable"),
    (["sheet", "harvest-csw", "ftp://example.org/csw"], "URL http(s) attendue"),
])
def test_bad_input_is_a_clear_error(runner, samples, args, words):
    result = runner.invoke(app, [a.format(samples=samples) for a in args])
    assert result.exit_code == 2 and words in result.stderr and "Traceback" not in result.output


def test_import_of_a_non_iso_file_and_show_of_a_non_sheet(runner, tmp_path):
    html = tmp_path / "page.xml"
    html.write_text("<html><body>hello</body></html>", encoding="utf-8")
    result = runner.invoke(app, ["--lang", "en", "sheet", "import-iso", str(html)])
    assert result.exit_code == 2 and "not an ISO 19139 record" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "urn:x", "extent": {"bbox": [10, 50, 0, 40]}}), encoding="utf-8")
    result = runner.invoke(app, ["--lang", "en", "sheet", "show", str(bad)])
    assert result.exit_code == 2 and "not a valid characterisation sheet" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = runner.invoke(app, ["sheet", "show", str(broken)])
    assert result.exit_code == 2 and "JSON invalide" in result.stderr


# --- CSW ---------------------------------------------------------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def fake_csw(records: list[bytes]) -> Iterator[str]:
    """A minimal CSW 2.0.2 GetRecords endpoint paging over the given records."""
    def app_(environ, start_response):
        params = {k.lower(): v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        start, size = int(params["startposition"]), int(params["maxrecords"])
        page = records[start - 1:start - 1 + size]
        following = start + len(page) if start - 1 + size < len(records) else 0
        body = (f'<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"><csw:SearchResults '
                f'numberOfRecordsMatched="{len(records)}" numberOfRecordsReturned="{len(page)}" '
                f'nextRecord="{following}">').encode() + b"".join(page) + b"</csw:SearchResults></csw:GetRecordsResponse>"
        start_response("200 OK", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]

    server = make_server("127.0.0.1", 0, app_, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/csw"
    finally:
        server.shutdown()
        server.server_close()


def test_harvest_csw_writes_one_sheet_per_record(runner, samples, tmp_path):
    records = [etree.tostring(etree.parse(str(p)).getroot()) for p in sorted(samples.glob("*.xml"))]
    records.insert(2, b'<x:Other xmlns:x="urn:x"/>')  # one broken record among seven
    out = tmp_path / "sheets"
    with fake_csw(records) as url:
        result = runner.invoke(app, ["--lang", "en", "sheet", "harvest-csw", url, "--page-size", "3",
                                     "--output-dir", str(out)])
        limited = runner.invoke(app, ["sheet", "harvest-csw", url, "--page-size", "2", "--max", "2"])
    assert result.exit_code == 1, result.output  # one record failed
    assert "6 record(s) imported, 1 failed" in result.stdout and "(3 page(s), 7 announced)" in result.stdout
    assert "record 3" in result.stdout and "not an ISO 19139 record" in result.stdout
    assert "page 1 (from 1): 3 record(s)" in result.stderr and "page 3 (from 7): 1 record(s)" in result.stderr
    written = sorted(p.name for p in out.glob("*.json"))
    assert len(written) == 6 and "04301749-df52-4c60-a640-87948241ac67.json" in written
    shown = runner.invoke(app, ["sheet", "show", str(out / "04301749-df52-4c60-a640-87948241ac67.json")])
    assert shown.exit_code == 0 and "C1 Nature  M 6/6" in shown.stdout
    assert limited.exit_code == 0, limited.output
    assert "2 fiche(s) importée(s), 0 échec(s)" in limited.stdout


def test_harvest_csw_timeout(runner):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        result = runner.invoke(app, ["--lang", "en", "sheet", "harvest-csw",
                                     f"http://127.0.0.1:{listener.getsockname()[1]}/csw", "--timeout", "0.3"])
    finally:
        listener.close()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "0 record(s) imported, 1 failed" in result.stdout and "no answer within 0.3 s" in result.stdout
