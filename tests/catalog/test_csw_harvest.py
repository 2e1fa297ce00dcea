"""CSW harvest: a real pycsw 2.6 server on loopback (SQLite repository loaded with the sample records) harvested
page by page with a page size of 2, GetRecordById, the --max limit; then catalogues that misbehave: a socket that
never answers, garbage, an exception report, broken records in the middle of a page, a broken page in the middle
of a harvest. Every failure is counted and named; none stops the harvest or raises a traceback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from lxml import etree

from catalog.csw import CswError, get_record_by_id, harvest
from catalog.vocabularies import LICENCES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

CHARMES = "04301749-df52-4c60-a640-87948241ac67"
GC039 = "https://w3id.org/jnt/geoconcept/GC039"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@contextmanager
def serve(app) -> Iterator[str]:
    """A WSGI app on 127.0.0.1 (free port) in a background thread; yields its base URL."""
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/csw"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the real pycsw ----------------------------------------------------------------------------------------------


def _sa2_repository(repository_module):
    """pycsw 2.6.2 (the latest on PyPI) was written for SQLAlchemy 1.x: its Repository binds a declarative base and
    autoloads the table with APIs SQLAlchemy 2 removed, and begins transactions the 2.x session has already begun.
    This subclass (test scaffolding, not product code) opens the same SQLite table the 2.x way; everything else —
    query building, CSW request handling, ISO output — is pycsw's own."""
    from sqlalchemy import MetaData, Table, create_engine, event
    from sqlalchemy.orm import Session, declarative_base
    from sqlalchemy.pool import NullPool

    original = repository_module.Repository

    class Sa2Repository(original):
        _engines: dict = {}

        @classmethod
        def create_engine(cls, url):
            if url not in cls._engines:
                engine = create_engine(url, poolclass=NullPool)
                event.listen(engine, "connect",
                             lambda dbapi, _rec: repository_module.create_custom_sql_functions(dbapi))
                cls._engines[url] = engine
            return cls._engines[url]

        def __init__(self, database, context, app_root=None, table="records", repo_filter=None):
            self.context, self.filter, self.fts = context, repo_filter, False
            self.engine = self.create_engine(database)
            self.postgis_geometry_column = None
            table_obj = Table(table, MetaData(), autoload_with=self.engine)
            self.dataset = type("dataset", (declarative_base(),), {"__table__": table_obj})
            self.dbtype = self.engine.name
            self.session = Session(self.engine)
            self.queryables = {}
            for typename in context.model["typenames"].values():
                for qname, qvalues in typename["queryables"].items():
                    self.queryables.setdefault(qname, {}).update(qvalues)
            self.queryables["_all"] = {}
            for qvalues in list(self.queryables.values()):
                self.queryables["_all"].update(qvalues)
            self.queryables["_all"].update(context.md_core_model["mappings"])

        def insert(self, record, source, insert_date):
            if isinstance(record.xml, bytes):
                record.xml = record.xml.decode()
            try:
                self.session.add(record)
                self.session.commit()
            except Exception:
                self.session.rollback()
                raise

    return Sa2Repository


# pycsw's records table (pycsw.core.admin.setup_db, whose MetaData(bind) call SQLAlchemy 2 refuses).
_COLUMN_NAMES = """typename schema mdsource insert_date anytext language type title title_alternate abstract keywords
keywordstype parentidentifier relation time_begin time_end topicategory resourcelanguage creator publisher contributor
organization securityconstraints accessconstraints otherconstraints date date_revision date_creation date_publication
date_modified format source crs geodescode denominator distancevalue distanceuom wkt_geometry servicetype
servicetypeversion operation couplingtype operateson operatesonidentifier operatesoname degree classification
conditionapplyingtoaccessanduse lineage responsiblepartyrole specificationtitle specificationdate
specificationdatetype links"""


def _create_records_table(url: str) -> None:
    from sqlalchemy import Column, MetaData, Table, Text, Unicode, create_engine

    engine = create_engine(url)
    metadata = MetaData()
    Table("records", metadata, Column("identifier", Text, primary_key=True), Column("xml", Unicode, nullable=False),
          *(Column(name, Text, index=name in ("typename", "title", "keywords")) for name in _COLUMN_NAMES.split()))
    metadata.create_all(engine)
    engine.dispose()


_PYCSW_CONFIG = """[server]
home={home}
url={url}
mimetype=application/xml; charset=UTF-8
encoding=UTF-8
language=en-US
maxrecords=10
pretty_print=false
profiles=apiso

[manager]
transactions=false
allowed_ips=127.0.0.1

[metadata:main]
identification_title=JNT test catalogue
identification_abstract=pycsw loaded with the ISO 19139 samples
identification_keywords=test
identification_keywords_type=theme
identification_fees=None
identification_accessconstraints=None
provider_name=JNT Data Space
provider_url=https://example.org/
contact_name=JNT
contact_position=test
contact_address=-
contact_city=-
contact_stateorprovince=-
contact_postalcode=-
contact_country=FR
contact_phone=-
contact_fax=-
contact_email=test@example.org
contact_url=https://example.org/
contact_hours=-
contact_instructions=-
contact_role=pointOfContact

[metadata:inspire]
enabled=false

[repository]
database={database}
table=records
"""


@pytest.fixture(scope="module")
def pycsw_url(tmp_path_factory, shared_dir) -> Iterator[str]:
    pytest.importorskip("pycsw")
    import pycsw.core.repository as repository_module
    import pycsw.wsgi
    from pycsw.core import admin, config

    home = tmp_path_factory.mktemp("pycsw")
    database = f"sqlite:///{home / 'records.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(repository_module, "Repository", _sa2_repository(repository_module))
        _create_records_table(database)
        loaded = admin.load_records(config.StaticContext(), database, "records",
                                    str(shared_dir / "samples" / "iso19139"))
        assert len(loaded) == 6, loaded
        cfg = home / "pycsw.cfg"

        def app(environ, start_response):
            environ["PYCSW_CONFIG"] = str(cfg)  # pycsw.wsgi reads its configuration path from the environ
            # pycsw.wsgi gzips after computing Content-Length from the uncompressed body (a pycsw 2.6 bug that
            # truncates every compressed answer): serve identity encoding.
            environ.pop("HTTP_ACCEPT_ENCODING", None)
            return pycsw.wsgi.application(environ, start_response)

        with serve(app) as url:
            cfg.write_text(_PYCSW_CONFIG.format(home=home, url=url, database=database), encoding="utf-8")
            yield url


def test_harvest_pages_through_a_real_pycsw(pycsw_url, shared_dir):
    starts: list[int] = []
    report = harvest(pycsw_url, page_size=2, timeout=10,
                     on_page=lambda _report, page: starts.append(page.start if page else -1))
    assert report.failed == [] and report.complete
    assert report.matched == 6 and report.pages == 3 and starts == [1, 3, 5]
    expected = {etree.parse(str(p)).findtext("{http://www.isotc211.org/2005/gmd}fileIdentifier/"
                                             "{http://www.isotc211.org/2005/gco}CharacterString").strip()
                for p in (shared_dir / "samples" / "iso19139").glob("*.xml")}
    assert {r.record_id for r in report.imported} == expected
    pprn = [r for r in report.imported if "PPRN" in (r.sheet.nature.title or "")]
    assert len(pprn) == 2 and all(r.sheet.nature.geoconcept == GC039 for r in pprn)
    assert all(r.source == pycsw_url for r in report.imported)


def test_max_limits_the_harvest(pycsw_url):
    report = harvest(pycsw_url, page_size=2, max_records=3, timeout=10)
    assert len(report.imported) == 3 and report.pages == 2 and report.failed == [] and report.complete


def test_get_record_by_id(pycsw_url):
    result = get_record_by_id(pycsw_url, CHARMES, timeout=10)
    assert result.record_id == CHARMES and result.sheet.nature.geoconcept == GC039
    assert result.sheet.licence.licence == LICENCES["etalab-2.0"]
    with pytest.raises(CswError) as err:
        get_record_by_id(pycsw_url, "no-such-record", timeout=10)
    assert err.value.code == "not-found"


# --- catalogues that misbehave -----------------------------------------------------------------------------------


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/csw"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


def canned(answer: Callable[[dict[str, str]], bytes]):
    def app(environ, start_response):
        params = {k.lower(): v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body = answer(params)
        start_response("200 OK", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]

    return app


CSW_NS = 'xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"'


def _response(records: list[bytes], matched: int, next_record: int) -> bytes:
    head = (f'<csw:GetRecordsResponse {CSW_NS}><csw:SearchResults numberOfRecordsMatched="{matched}" '
            f'numberOfRecordsReturned="{len(records)}" nextRecord="{next_record}">').encode()
    return head + b"".join(records) + b"</csw:SearchResults></csw:GetRecordsResponse>"


def _record(path: Path) -> bytes:
    return etree.tostring(etree.parse(str(path)).getroot())


def test_timeout_is_reported(shared_dir):
    with silent_server() as url:
        report = harvest(url, timeout=0.3)
        assert report.imported == [] and report.pages == 0 and report.matched is None and not report.complete
        (failure,) = report.failed
        assert failure.code == "timeout" and failure.where == "page 1 (startPosition=1)"
        assert "0.3 s" in failure.message("en")
        with pytest.raises(CswError) as err:
            get_record_by_id(url, CHARMES, timeout=0.3)
        assert err.value.code == "timeout"


@pytest.mark.parametrize("body, code", [
    (b"\x00\x01 this is not XML at all", "garbage"),
    (b"<html><body>Maintenance</body></html>", "not-csw"),
    (b'<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows"><ows:Exception exceptionCode="NoApplicableCode">'
     b"<ows:ExceptionText>database down</ows:ExceptionText></ows:Exception></ows:ExceptionReport>", "exception-report"),
])
def test_garbage_answers_are_reported(body, code):
    with serve(canned(lambda _params: body)) as url:
        report = harvest(url, timeout=5)
    assert report.imported == [] and not report.complete
    (failure,) = report.failed
    assert failure.code == code and failure.where.startswith("page 1")
    if code == "exception-report":
        assert "database down" in failure.message("en")


def test_broken_records_do_not_stop_the_harvest(shared_dir):
    samples = shared_dir / "samples" / "iso19139"
    good_1 = _record(samples / "datara_pprn-inondation-charmes-sur-rhone.xml")
    good_2 = _record(samples / "cnig_ignf_bdtopo_3.xml")
    dublin_core = b'<csw:Record ' + CSW_NS.encode() + b'><dc:title xmlns:dc="http://purl.org/dc/elements/1.1/">x' \
                  b'</dc:title></csw:Record>'
    no_identification = (b'<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" '
                         b'xmlns:gco="http://www.isotc211.org/2005/gco"><gmd:fileIdentifier><gco:CharacterString>'
                         b'empty-record</gco:CharacterString></gmd:fileIdentifier></gmd:MD_Metadata>')
    pages = {1: _response([good_1, dublin_core], 4, 3), 3: _response([no_identification, good_2], 4, 0)}
    with serve(canned(lambda params: pages[int(params["startposition"])])) as url:
        report = harvest(url, page_size=2, timeout=5)
    assert report.complete and report.pages == 2 and report.matched == 4
    assert [r.record_id for r in report.imported] == [CHARMES, "IGNF_BDTOPOr_3.xml"]
    failures = {f.where: f.code for f in report.failed}
    assert failures == {"record 2": "not-iso19139", "empty-record": "no-identification"}
    where, error = report.failed[0]  # a failure unpacks as (identifier or position, error)
    assert where == "record 2" and "ISO 19139" in error


def test_a_broken_page_is_skipped_and_reported(shared_dir):
    samples = shared_dir / "samples" / "iso19139"
    records = [_record(p) for p in sorted(samples.glob("*.xml"))]
    pages = {1: _response(records[0:2], 6, 3), 3: b"<<garbage>>", 5: _response(records[4:6], 6, 0)}
    with serve(canned(lambda params: pages[int(params["startposition"])])) as url:
        report = harvest(url, page_size=2, timeout=5)
    assert len(report.imported) == 4 and report.pages == 2 and not report.complete
    (failure,) = report.failed
    assert failure.where == "page 2 (startPosition=3)" and failure.code == "garbage"
