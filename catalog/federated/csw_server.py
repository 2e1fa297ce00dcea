"""CSW 2.0.2 over the federated catalogue, with pycsw as the engine, so that QGIS (MetaSearch), GeoNetwork
harvesters and OWSLib scripts find the JNT datasets.

pycsw implements the protocol — GetCapabilities, DescribeRecord, GetDomain, GetRecords with OGC filters (FES 1.1,
CQL text), GetRecordById, the Dublin Core and ISO 19139 output schemas, paging — over a *repository*: a SQL table
of records in its own layout. We do not parse a filter ourselves. The pycsw on PyPI is 2.6.2 (pycsw 3, which
runs on SQLAlchemy 2, is not released there), and its repository class uses SQLAlchemy 1 APIs that SQLAlchemy 2
removed; everything else in it works with our stack. Hence three pieces:

* `CswMirror`: pycsw's records table in a SQLite file of its own (a derived cache, deleted or rebuilt at will),
  kept equal to the index. Each record is its ISO 19139 view (`iso_view`) ingested by pycsw's own parser
  (`pycsw.core.metadata.parse_record`), its identifier the record id (`ds-…`); the searchable text is folded (lower
  case, no accents) so that `csw:AnyText` searches are accent- and case-insensitive like the JSON API. The mirror
  is refreshed lazily — on a request, when the index generation moved since the last refresh — and only the
  records whose digest or provider changed are written again (`refresh()` can also be called after a crawl).
* `MirrorRepository`: pycsw's repository redone for SQLAlchemy 2 and plugged in through pycsw's own
  `repository.source` setting; it folds the values of AnyText comparisons the way the stored text is folded.
* `CswService`: the HTTP side (GET KVP and POST XML, `router()` for FastAPI), which runs pycsw's dispatcher per
  request. Exception reports answer HTTP 400 (as OWS Common 2.0 asks; OWSLib reads them either way);
  `maxRecords` / `startPosition` are checked before pycsw sees them, asynchronous answers (`ResponseHandler`,
  which would make the server send e-mails or FTP uploads) and transactions are refused. Records are read-only."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import tempfile
import threading
import uuid
import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import shapely.wkt
from fastapi import APIRouter, Request
from fastapi.responses import Response
from lxml import etree
from sqlalchemy import Column, MetaData, Table, Text, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session, declarative_base
from starlette.concurrency import run_in_threadpool

from . import text as fulltext
from .index import DatasetRecord, FederatedIndex
from .iso_view import ISO_VIEW_VERSION, record_iso
from .schema import connectors_table, datasets_table, make_engine

with warnings.catch_warnings():  # pycsw 2.6 imports APIs that newer shapely / Python deprecate
    warnings.simplefilter("ignore")
    from pycsw.core import config as pycsw_config
    from pycsw.core import metadata as pycsw_metadata
    from pycsw.core import repository as pycsw_repository
    from pycsw.server import Csw

log = logging.getLogger(__name__)

TABLE = "records"
FINGERPRINT = "jnt_fingerprint"
MAX_RECORDS = 100  # per GetRecords page, as the JSON API
MAX_BODY = 1_000_000  # bytes of a POST request
WRITE_BATCH = 200  # records written to the mirror per transaction
_OWS = "http://www.opengis.net/ows"
_CLIENT_ERRORS = 400
_ANYTEXT_VALUE = re.compile(r"\banytext\s+(?:not\s+)?i?like\s+:(pvalue\d+)", re.I)
# The geometry pycsw puts in its SQL for a spatial filter, already in CRS84 (longitude, latitude) whatever the
# request's srsName: pycsw swaps EPSG:4326 axes and reprojects other systems.
_KEYWORDS = etree.XPath("gmd:identificationInfo/*/gmd:descriptiveKeywords/*/gmd:keyword",
                        namespaces={"gmd": "http://www.isotc211.org/2005/gmd"})
_FORMATS = etree.XPath("gmd:distributionInfo/*/gmd:distributionFormat/*/gmd:name",
                       namespaces={"gmd": "http://www.isotc211.org/2005/gmd"})
_SPATIAL_FILTER = re.compile(r"query_spatial\(\s*\w+\s*,\s*'([^']*)'")


# --- the records table ---------------------------------------------------------------------------------------------


def _record_columns() -> list[str]:
    """pycsw's column names (the values of its core model mappings: identifier, xml, anytext, title, wkt_geometry…)."""
    mappings = pycsw_config.StaticContext().md_core_model["mappings"]
    return sorted({column for column in mappings.values() if column not in ("identifier", "xml")})


def records_table(metadata: MetaData) -> Table:
    """pycsw's records table (as `pycsw-admin.py setup_db` creates it), plus our fingerprint of each record."""
    return Table(TABLE, metadata, Column("identifier", Text, primary_key=True), Column("xml", Text, nullable=False),
                 *(Column(name, Text, index=name in ("typename", "title", "keywords", "wkt_geometry"))
                   for name in _record_columns()),
                 Column(FINGERPRINT, Text))


@dataclass
class SyncReport:
    """What a refresh of the mirror did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (record id, error)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


_MIRRORS: weakref.WeakValueDictionary[str, CswMirror] = weakref.WeakValueDictionary()


class CswMirror:
    """pycsw's records table, derived from the index. `database`: the SQLite file (default: a temporary one,
    removed with the mirror); `catalogue_url`: the catalogue's public address, for the records' links back."""

    def __init__(self, index: FederatedIndex, database: str | Path | None = None, *,
                 catalogue_url: str | None = None, api_prefix: str = "/api") -> None:
        self.index = index
        self.catalogue_url = catalogue_url.rstrip("/") if catalogue_url else None
        self.api_prefix = api_prefix
        self._tmp = None
        if database is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="jnt-csw-")
            database = Path(self._tmp.name) / "records.sqlite"
        self.path = Path(database)
        self.engine = make_engine(f"sqlite:///{self.path}")
        event.listen(self.engine, "connect",
                     lambda dbapi, _record: pycsw_repository.create_custom_sql_functions(dbapi))
        self.table = records_table(MetaData())
        self._create_table()
        self.model = type("MirrorRecord", (declarative_base(),), {"__table__": self.table})
        self.key = f"jnt-mirror:{uuid.uuid4().hex}"  # how pycsw's configuration names this mirror
        _MIRRORS[self.key] = self
        self._lock = threading.Lock()
        self._generation: str | None = None
        self.last_report: SyncReport | None = None

    def _create_table(self) -> None:
        existing = inspect(self.engine)
        if existing.has_table(TABLE):
            columns = {c["name"] for c in existing.get_columns(TABLE)}
            if columns != {c.name for c in self.table.columns}:  # another pycsw layout: it is only a cache
                self.table.drop(self.engine)
        self.table.metadata.create_all(self.engine)

    def close(self) -> None:
        _MIRRORS.pop(self.key, None)
        self.engine.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- keeping it equal to the index ------------------------------------------------------------------------------

    def ensure_fresh(self) -> None:
        """Refresh if the index changed since the last refresh (one cheap query otherwise). While another thread
        refreshes, the records as they are are served, except before the first refresh."""
        if self.index.generation() == self._generation:
            return
        if self._generation is not None and self._lock.locked():
            return
        self.refresh()

    def refresh(self) -> SyncReport:
        """Write the records that are new or changed in the index, remove those that left it."""
        with self._lock:
            generation = self.index.generation()
            if generation == self._generation and self.last_report is not None:
                return SyncReport()
            report = self._sync()
            self._generation, self.last_report = generation, report
        if report.changed or report.failed:
            log.info("CSW mirror: %d added, %d updated, %d removed, %d failed", report.added, report.updated,
                     report.removed, len(report.failed))
        return report

    def _fingerprints(self) -> dict[str, str]:
        d, c = datasets_table, connectors_table
        query = select(d.c.record_id, d.c.digest, c.c.name, c.c.address).join(c, c.c.did == d.c.connector_did)
        with self.index.engine.connect() as connection:
            rows = connection.execute(query).all()
        return {row.record_id: hashlib.blake2b(
            f"{ISO_VIEW_VERSION}\n{row.digest}\n{row.name}\n{row.address}\n{self.catalogue_url}".encode(),
            digest_size=16).hexdigest() for row in rows}

    def _sync(self) -> SyncReport:
        wanted = self._fingerprints()
        with self.engine.connect() as connection:
            stored = dict(connection.execute(select(self.table.c.identifier, self.table.c[FINGERPRINT])).all())
        changed = {rid for rid, fingerprint in wanted.items() if stored.get(rid) != fingerprint}
        removed = sorted(set(stored) - set(wanted))
        report = SyncReport(removed=len(removed))
        self._write(removed, [])
        rows: list[dict[str, Any]] = []
        for record in self._records(changed):
            try:
                rows.append(self._row(record, wanted[record.record_id]))
                if record.record_id in stored:
                    report.updated += 1
                else:
                    report.added += 1
            except Exception as exc:  # one record that cannot be written must not hide the others
                log.warning("CSW mirror: record %s left out: %s", record.record_id, exc)
                report.failed.append((record.record_id, str(exc)))
            if len(rows) >= WRITE_BATCH:
                self._write([row["identifier"] for row in rows], rows)
                rows = []
        self._write([row["identifier"] for row in rows], rows)
        return report

    def _write(self, replaced: list[str], rows: list[dict[str, Any]]) -> None:
        """Remove the records `replaced` and insert `rows`, in one transaction (a reader sees either)."""
        if not replaced and not rows:
            return
        with self.engine.begin() as connection:
            for start in range(0, len(replaced), 500):
                connection.execute(delete(self.table).where(self.table.c.identifier.in_(replaced[start:start + 500])))
            if rows:
                connection.execute(insert(self.table), rows)

    def _records(self, ids: set[str]) -> Sequence[DatasetRecord] | Any:
        if len(ids) <= 200:
            return [r for r in (self.index.get(rid) for rid in sorted(ids)) if r is not None]
        return (r for r in self.index.iter_records() if r.record_id in ids)

    def _row(self, record: DatasetRecord, fingerprint: str) -> dict[str, Any]:
        element = record_iso(record, self.index.registry, catalogue_url=self.catalogue_url,
                             api_prefix=self.api_prefix)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (parsed,) = pycsw_metadata.parse_record(pycsw_config.StaticContext(), element,
                                                    SimpleNamespace(dataset=self.model))
        row = {column.name: getattr(parsed, column.name, None) for column in self.table.columns}
        row = {key: value.decode("utf-8") if isinstance(value, bytes) else value for key, value in row.items()}
        row["anytext"] = fulltext.fold(row.get("anytext") or "")
        # pycsw 2.6 reads neither keywords written as gmx:Anchor (INSPIRE themes, the géo-concept) nor the format
        # names (it looks for them in the wrong place): its Dublin Core view (dc:subject, dc:format) gets them here.
        keywords = [" ".join(k.itertext()).strip() for k in _KEYWORDS(element)]
        row["keywords"] = ",".join(k for k in dict.fromkeys(keywords) if k) or row.get("keywords")
        row["format"] = row.get("format") or next((" ".join(f.itertext()).strip() for f in _FORMATS(element)), None)
        row[FINGERPRINT] = fingerprint
        return row

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(self.table)).scalar_one()


# --- pycsw's repository on SQLAlchemy 2 -----------------------------------------------------------------------------


class MirrorRepository(pycsw_repository.Repository):
    """pycsw's `Repository` over a `CswMirror`, loaded by pycsw from the `repository.source` setting (it is
    constructed as `MirrorRepository(context, repo_filter)`; `repository.database` names the mirror). Only the
    constructor is new (pycsw 2.6's binds a declarative base and autoloads the table the SQLAlchemy 1 way) and the
    AnyText values are folded; the queries are pycsw's own."""

    def __init__(self, context: Any, repo_filter: str | None = None) -> None:
        server = context.server
        mirror = _MIRRORS[server.config.get("repository", "database")]
        server.orm = "sqlalchemy"  # pycsw only sets it for its built-in repository; it shapes the filter's SQL
        self.context, self.filter, self.fts = context, repo_filter, False
        self.engine = mirror.engine
        self.dataset = mirror.model
        self.dbtype = "sqlite"
        self.postgis_geometry_column = None
        self.session = Session(self.engine)
        self.refusal: bytes | None = None  # our own exception report, replacing pycsw's generic one
        self.queryables: dict[str, dict[str, Any]] = {}
        for typename in context.model["typenames"].values():
            for name, values in typename["queryables"].items():
                self.queryables.setdefault(name, {}).update(values)
        self.queryables["_all"] = {}
        for values in list(self.queryables.values()):
            self.queryables["_all"].update(values)
        self.queryables["_all"].update(context.md_core_model["mappings"])

    def query(self, constraint: dict[str, Any], sortby: Any = None, typenames: Any = None, maxrecords: int = 10,
              startposition: int = 0) -> list[Any]:
        if "where" in constraint:
            self._check_geometries(constraint["where"])
            folded = {int(name[len("pvalue"):]) for name in _ANYTEXT_VALUE.findall(constraint["where"])}
            values = [fulltext.fold(v) if i in folded and isinstance(v, str) else v
                      for i, v in enumerate(constraint["values"])]
            constraint = {**constraint, "values": values}
        return super().query(constraint, sortby=sortby, typenames=typenames, maxrecords=maxrecords,
                             startposition=startposition)

    def _check_geometries(self, where: str) -> None:
        """A spatial filter outside the Earth is an error (projected coordinates given as degrees, swapped axes),
        not a search that finds nothing: it is refused with a message saying so."""
        for wkt in _SPATIAL_FILTER.findall(where):
            try:
                minx, miny, maxx, maxy = shapely.wkt.loads(wkt).bounds
            except Exception:
                continue
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                area = f"{minx:g},{miny:g},{maxx:g},{maxy:g}"
                self.refusal = exception_report(
                    "InvalidParameterValue", "constraint",
                    f"emprise hors des bornes de la Terre une fois lue en longitude, latitude : {area}. Vérifiez le "
                    "srsName (EPSG:4326 se lit latitude puis longitude, CRS84 longitude puis latitude) et que les "
                    "coordonnées sont bien dans ce système",
                    f"bounding box outside the Earth once read as longitude, latitude: {area}. Check the srsName "
                    "(EPSG:4326 reads latitude then longitude, CRS84 longitude then latitude) and that the "
                    "coordinates are in that system")
                raise ValueError(f"spatial filter outside CRS84 bounds: {area}")

    def close(self) -> None:
        self.session.close()


# --- the service ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CswIdentity:
    """What GetCapabilities says about the service."""

    title: str = "Catalogue fédéré JNT — jumeaux numériques du territoire"
    abstract: str = ("Jeux de données géographiques des fournisseurs de l'espace de données JNT (risque inondation "
                     "et jumeaux numériques du territoire), caractérisés selon 10 critères et collectés auprès de "
                     "leurs connecteurs (Dataspace Protocol). Fiches en Dublin Core et ISO 19139.")
    keywords: tuple[str, ...] = ("JNT", "jumeau numérique du territoire", "catalogue", "risque inondation",
                                 "espace de données")
    provider_name: str = "Espace de données JNT"
    provider_url: str = "https://w3id.org/jnt/"
    contact_name: str = "Catalogue fédéré JNT"
    contact_email: str = "catalogue@jnt.invalid"
    language: str = "fr-FR"


@dataclass(frozen=True)
class CswResponse:
    status: int
    media_type: str
    content: bytes


def exception_report(code: str, locator: str, fr: str, en: str) -> bytes:
    """An OWS exception report (the CSW error document), in French and English."""
    root = etree.Element(f"{{{_OWS}}}ExceptionReport", nsmap={"ows": _OWS}, version="1.2.0", language="fr")
    exception = etree.SubElement(root, f"{{{_OWS}}}Exception", exceptionCode=code, locator=locator)
    etree.SubElement(exception, f"{{{_OWS}}}ExceptionText").text = f"{fr} / {en}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _config_value(value: str) -> str:
    return value.replace("%", "%%")  # pycsw reads its settings with interpolation


class CswService:
    """The CSW endpoint over an index. `url`: the endpoint's public address (default: the address of each
    request, which is right unless a proxy rewrites it); `catalogue_url`: the catalogue's public address, for
    the records' links to their page; `database`: the mirror's SQLite file (default: temporary)."""

    def __init__(self, index: FederatedIndex, *, url: str | None = None, catalogue_url: str | None = None,
                 database: str | Path | None = None, api_prefix: str = "/api", identity: CswIdentity | None = None,
                 max_records: int = MAX_RECORDS) -> None:
        self.url = url
        self.identity = identity or CswIdentity()
        self.max_records = max_records
        self.mirror = CswMirror(index, database, catalogue_url=catalogue_url, api_prefix=api_prefix)
        pycsw_log = logging.getLogger("pycsw")
        if pycsw_log.level == logging.NOTSET:
            # pycsw logs every client mistake with its traceback; the answer carries the message, and this module
            # logs the reports it returns (INFO) and its own failures.
            pycsw_log.setLevel(logging.CRITICAL)

    def close(self) -> None:
        self.mirror.close()

    def settings(self, url: str) -> dict[str, dict[str, str]]:
        """pycsw's configuration for one request (a fresh dict: pycsw writes into it)."""
        i = self.identity
        main = {
            "identification_title": i.title, "identification_abstract": i.abstract,
            "identification_keywords": ",".join(i.keywords), "identification_keywords_type": "theme",
            "identification_fees": "Aucun / None", "identification_accessconstraints": "Aucune / None",
            "provider_name": i.provider_name, "provider_url": i.provider_url, "contact_name": i.contact_name,
            "contact_position": "-", "contact_address": "-", "contact_city": "-", "contact_stateorprovince": "-",
            "contact_postalcode": "-", "contact_country": "France", "contact_phone": "-", "contact_fax": "-",
            "contact_email": i.contact_email, "contact_url": i.provider_url, "contact_hours": "-",
            "contact_instructions": "-", "contact_role": "pointOfContact",
        }
        return {
            "server": {"url": url, "mimetype": "application/xml; charset=UTF-8", "encoding": "UTF-8",
                       "language": i.language, "maxrecords": str(self.max_records), "pretty_print": "false",
                       "profiles": "apiso"},
            "manager": {"transactions": "false"},
            "metadata:main": {key: _config_value(value) for key, value in main.items()},
            "metadata:inspire": {"enabled": "false"},
            "repository": {"database": self.mirror.key, "table": TABLE,
                           "source": f"{MirrorRepository.__module__}.{MirrorRepository.__qualname__}"},
        }

    def handle(self, *, method: str, url: str, query_string: str = "", body: bytes = b"",
               content_type: str = "", remote_addr: str = "127.0.0.1") -> CswResponse:
        """Answer one CSW request (`url`: the request's address without its query, used when no public `url`
        was given)."""
        refused = self._refuse(method, query_string, body)
        if refused is not None:
            return refused
        self.mirror.ensure_fresh()
        parts = urlsplit(url)
        environ = {
            "REQUEST_METHOD": method, "QUERY_STRING": query_string, "SCRIPT_NAME": "", "PATH_INFO": parts.path,
            "wsgi.url_scheme": parts.scheme or "http", "HTTP_HOST": parts.netloc, "SERVER_NAME": parts.hostname or "",
            "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)), "REMOTE_ADDR": remote_addr,
            "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            csw = Csw(self.settings(_config_value(self.url or url)), environ)
            try:
                _status, content = csw.dispatch_wsgi()
            except Exception:  # a bug here or in pycsw: an exception report, not a bare 500
                log.exception("CSW request failed: %s %s", method, query_string[:200])
                return CswResponse(500, "application/xml; charset=UTF-8", exception_report(
                    "NoApplicableCode", "request", "erreur interne du service CSW", "internal error of the CSW service"))
            finally:
                repository = getattr(csw, "repository", None)
                if isinstance(repository, MirrorRepository):
                    repository.close()
        if isinstance(repository, MirrorRepository) and repository.refusal is not None:
            return CswResponse(_CLIENT_ERRORS, "application/xml; charset=UTF-8", repository.refusal)
        media_type = csw.contenttype if isinstance(getattr(csw, "contenttype", None), str) \
            else "application/xml; charset=UTF-8"
        if not csw.exception:
            return CswResponse(200, media_type, content)
        code = next((e.get("exceptionCode") for e in csw.response.iter("{*}Exception")), None)
        log.info("CSW exception report %s: %s", code, query_string[:200] or body[:200])
        return CswResponse(404 if code == "NotFound" else _CLIENT_ERRORS, media_type, content)

    def _refuse(self, method: str, query_string: str, body: bytes) -> CswResponse | None:
        def report(code: str, locator: str, fr: str, en: str, status: int = _CLIENT_ERRORS) -> CswResponse:
            return CswResponse(status, "application/xml; charset=UTF-8", exception_report(code, locator, fr, en))

        if method not in ("GET", "POST"):
            return report("OperationNotSupported", "request", f"méthode HTTP {method} non prise en charge",
                          f"HTTP method {method} not supported", 405)
        if len(body) > MAX_BODY:
            return report("NoApplicableCode", "request", f"requête trop grande (plus de {MAX_BODY} octets)",
                          f"request too large (over {MAX_BODY} bytes)", 413)
        params = {key.lower(): value for key, value in parse_qsl(query_string, keep_blank_values=True)}
        if "responsehandler" in params or b"ResponseHandler" in body:
            return report("OperationNotSupported", "responsehandler",
                          "les réponses asynchrones (ResponseHandler) ne sont pas proposées",
                          "asynchronous answers (ResponseHandler) are not offered")
        for name, minimum, label in (("maxrecords", 0, "maxRecords"), ("startposition", 1, "startPosition")):
            value = params.get(name)
            if value is None or value == "":
                continue
            if not (value.strip().isascii() and value.strip().isdigit()) or int(value) < minimum:
                return report("InvalidParameterValue", label,
                              f"{label} vaut « {value} » : entier d'au moins {minimum} attendu",
                              f"{label} is '{value}': an integer of at least {minimum} is expected")
        return None

    def router(self, path: str = "/csw") -> APIRouter:
        """`GET` (KVP) and `POST` (XML) at `path`."""
        router = APIRouter(tags=["CSW"])
        service = self

        @router.api_route(path, methods=["GET", "POST"], summary="CSW 2.0.2 (OGC Catalogue Service)",
                          response_class=Response)
        async def csw(request: Request) -> Response:
            body = await request.body() if request.method == "POST" else b""
            answer = await run_in_threadpool(
                service.handle, method=request.method, url=str(request.url.replace(query="", fragment="")),
                query_string=request.url.query, body=body, content_type=request.headers.get("content-type", ""),
                remote_addr=request.client.host if request.client else "")
            return Response(answer.content, status_code=answer.status, media_type=answer.media_type)

        return router


def csw_router(index: FederatedIndex, *, base_url: str | None = None, path: str = "/csw",
               database: str | Path | None = None, api_prefix: str = "/api",
               identity: CswIdentity | None = None, on_service: Callable[[CswService], None] | None = None
               ) -> APIRouter:
    """The CSW endpoint at `path`, for the catalogue app to include. `base_url`: the catalogue's public address
    (the endpoint is `base_url + path`, and records link to their page under it); `on_service` receives the
    service (to `close()` it at shutdown, or `mirror.refresh()` it after a crawl)."""
    service = CswService(index, url=f"{base_url.rstrip('/')}{path}" if base_url else None, catalogue_url=base_url,
                         database=database, api_prefix=api_prefix, identity=identity)
    if on_service is not None:
        on_service(service)
    return service.router(path)


__all__ = ["CswIdentity", "CswMirror", "CswResponse", "CswService", "MirrorRepository", "SyncReport",
           "csw_router", "exception_report", "records_table"]
