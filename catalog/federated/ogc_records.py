"""OGC API – Records (Part 1: Core, JSON / GeoJSON) over the federated catalogue, so that GIS tools and scripts
(QGIS, OWSLib `owslib.ogcapi.records.Records`, pygeoapi clients) search it the OGC way. It is a thin mapping over
`FederatedIndex.search`, the same search as the JSON API (accent-insensitive French full text, CRS84 bbox,
the criteria as filters), written here rather than served by pycsw: the pycsw on PyPI (2.6) has no OGC API, and
our own search ranks and folds French text better than a generic engine would.

Routes (under `prefix`, `/ogcapi` by default):

* `GET /ogcapi` — landing page; `GET /ogcapi/conformance` — the conformance classes;
* `GET /ogcapi/collections`, `GET /ogcapi/collections/jnt-datasets` — the one record collection (the datasets);
* `GET /ogcapi/collections/jnt-datasets/items?q=&bbox=&datetime=&limit=&offset=` — a page of records as a GeoJSON
  FeatureCollection with `numberMatched`, `numberReturned` and `next` / `prev` links. `q`: words, all required,
  accents and case ignored; `bbox`: `minx,miny,maxx,maxy` in CRS84; `datetime`: an instant or an interval
  (`2024-01-01/..`, `../2025-06-30`) on the record's `updated` date (the dataset's last modification, criterion
  C3: the date the index holds); `limit`: 1.. (default 10; above 100 the page holds 100, as OGC API – Features
  asks); `offset`: ≥ 0. The JSON API's other filters are accepted too (`geoconcept`, `usecase`, `territory`,
  `licence`, `access`, …; see `catalog.federated.query`);
* `GET /ogcapi/collections/jnt-datasets/items/{recordId}` — one record (GeoJSON Feature), id `ds-…`.

A parameter that breaks a rule answers 400 with the JSON API's error body (`error`, `parameter`, `rule`, `message`
in French and English) plus the OGC fields `code` and `description`; an unknown record or collection 404."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from catalog.geoconcepts import Registry
from catalog.label_lookup import INSPIRE_THEME_LABELS
from catalog.vocabularies import CRS84, INSPIRE_THEME

from .errors import QueryError
from .index import DatasetRecord, FederatedIndex
from .query import PARAMETERS, parse_bbox, parse_query
from .schema import datasets_table
from .views import labelled

COLLECTION = "jnt-datasets"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
GEOJSON = "application/geo+json"
JSON = "application/json"
RECORD_CORE = "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    RECORD_CORE,
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-collection",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-api",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
)
GEOCONCEPT_SCHEME = "https://w3id.org/jnt/geoconcept/"
SPDX = "https://spdx.org/licenses/"
_OWN_PARAMETERS = ("limit", "offset", "datetime", "bbox-crs", "f")
_PASSED_ON = tuple(p for p in PARAMETERS if p not in ("page", "per_page", "facets", "sort"))
_TITLE = {"fr": "Catalogue fédéré JNT — jeux de données des jumeaux numériques du territoire",
          "en": "JNT federated catalogue — datasets of the territorial digital twins"}
_DESCRIPTION = {
    "fr": "Les jeux de données que les fournisseurs de l'espace de données JNT publient sur leurs connecteurs, "
          "caractérisés selon 10 critères (nature, provenance, fréquence, origine, licence, emprise, modalité "
          "d'accès, précision, qualité, standard). Données obtenues par contrat auprès de chaque fournisseur.",
    "en": "The datasets the providers of the JNT data space publish on their connectors, characterised by 10 "
          "criteria. The data is obtained under a contract with each provider."}


def _error(exc: QueryError) -> JSONResponse:
    return JSONResponse({**exc.to_json(), "code": "InvalidParameterValue", "description": exc.message("en")},
                        status_code=exc.status)


def _not_found(fr: str, en: str) -> JSONResponse:
    return JSONResponse({"error": "not-found", "code": "NotFound", "description": en, "message": {"fr": fr, "en": en}},
                        status_code=404)


def _integer(name: str, value: str, minimum: int) -> int:
    text = value.strip()
    if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()):
        raise QueryError(name, "integer", f"« {value} » n'est pas un entier", f"'{value}' is not an integer", value)
    number = int(text)
    if number < minimum:
        raise QueryError(name, "range", f"vaut {number}, doit être au moins {minimum}",
                         f"is {number}, must be at least {minimum}", number)
    return number


def _instant(value: str) -> date | None:
    text = value.strip()
    if text in ("", ".."):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise QueryError("datetime", "format",
                         f"« {value} » : date ou date-heure ISO 8601 attendue (2025-01-15, 2025-01-15T10:00:00Z), "
                         "ou intervalle début/fin (« .. » pour une borne ouverte)",
                         f"'{value}': ISO 8601 date or date-time expected (2025-01-15, 2025-01-15T10:00:00Z), or "
                         "an interval start/end ('..' for an open end)", value) from None
    return moment.date() if isinstance(moment, datetime) else moment


def parse_datetime(value: str) -> tuple[date | None, date | None]:
    """(first, last day) of an OGC `datetime` instant or interval; None for an open end."""
    if "/" in value:
        first, _, last = value.partition("/")
        start, stop = _instant(first), _instant(last)
        if start and stop and start > stop:
            raise QueryError("datetime", "order", "le début de l'intervalle est après sa fin",
                             "the start of the interval is after its end", value)
        return start, stop
    day = _instant(value)
    if day is None:
        raise QueryError("datetime", "format", "date attendue", "a date is expected", value)
    return day, day


def _polygon(bbox: tuple[float, float, float, float] | None) -> dict[str, Any] | None:
    if not bbox:
        return None
    minx, miny, maxx, maxy = bbox
    return {"type": "Polygon", "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy],
                                                [minx, miny]]]}


def _when(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class _Links:
    """The absolute URLs of the API's resources."""

    def __init__(self, base: str, prefix: str, api_prefix: str, csw_path: str | None) -> None:
        self.base, self.prefix, self.api_prefix, self.csw_path = base.rstrip("/"), prefix, api_prefix, csw_path

    def __call__(self, path: str = "", query: list[tuple[str, str]] | None = None) -> str:
        url = f"{self.base}{self.prefix}{path}"
        return f"{url}?{urlencode(query)}" if query else url

    def item(self, record_id: str) -> str:
        return self(f"/collections/{COLLECTION}/items/{quote(record_id, safe='')}")

    def detail(self, record_id: str) -> str:
        return f"{self.base}{self.api_prefix}/datasets/{quote(record_id, safe='')}"

    def iso(self, record_id: str) -> str | None:
        if not self.csw_path:
            return None
        query = urlencode({"service": "CSW", "version": "2.0.2", "request": "GetRecordById", "id": record_id,
                           "outputSchema": "http://www.isotc211.org/2005/gmd", "elementSetName": "full"})
        return f"{self.base}{self.csw_path}?{query}"


def record_feature(record: DatasetRecord, registry: Registry, links: _Links) -> dict[str, Any]:
    """A dataset as an OGC API – Records record (GeoJSON Feature), with the JNT criteria as `jnt:` properties."""
    p = record.parsed
    themes = []
    inspire = [t for t in p.themes if t.startswith(INSPIRE_THEME)]
    if inspire:
        themes.append({"scheme": INSPIRE_THEME.rstrip("/"), "concepts": [
            {"id": t[len(INSPIRE_THEME):], "url": t,
             "title": INSPIRE_THEME_LABELS.get(t[len(INSPIRE_THEME):], (t,))[0]} for t in inspire]})
    concept = registry.get(p.geoconcept) if p.geoconcept else None
    if p.geoconcept:
        themes.append({"scheme": GEOCONCEPT_SCHEME, "concepts": [
            {"id": concept.id if concept else p.geoconcept, "url": p.geoconcept,
             "title": concept.label_fr if concept else p.geoconcept}]})
    contacts = []
    if p.publisher and p.publisher.name:
        contacts.append({"organization": p.publisher.name, "roles": ["publisher"],
                         **({"links": [{"href": p.publisher.iri}]} if p.publisher.iri else {})})
    if p.contact and (p.contact.name or p.contact.email or p.contact.url):
        contact: dict[str, Any] = {"organization": p.contact.name or (p.publisher.name if p.publisher else None),
                                   "roles": ["pointOfContact"]}
        if p.contact.email:
            contact["emails"] = [{"value": p.contact.email}]
        if p.contact.url:
            contact["links"] = [{"href": p.contact.url, "rel": "about"}]
        contacts.append(contact)
    formats, seen = [], set()
    for d in p.distributions:
        name = (d.file_type or d.format).rstrip("/").rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            formats.append({"name": name, **({"mediaType": d.media_type.rsplit("media-types/", 1)[-1]}
                                             if d.media_type else {})})
    licence = labelled("licence", p.licence, registry) if p.licence else None
    properties: dict[str, Any] = {
        "type": "dataset",
        "title": p.title or p.id,
        "description": p.description,
        "keywords": list(p.keywords),
        "themes": themes,
        "language": {"code": "fr"},
        "externalIds": [{"scheme": "iri", "value": p.id}]
        + ([{"scheme": "identifier", "value": p.identifier}] if p.identifier and p.identifier != p.id else []),
        "formats": formats,
        "contacts": contacts,
        "license": (p.licence[len(SPDX):].removesuffix(".html") if p.licence and p.licence.startswith(SPDX)
                    else "other" if p.licence else None),
        "rights": (labelled("access", p.access_rights, registry) or {}).get("label", {}).get("fr"),
        "created": _when(p.issued),
        "updated": _when(p.modified),
        "jnt:geoconcept": labelled("geoconcept", p.geoconcept, registry),
        "jnt:role": labelled("role", record.values.get("role") or p.role, registry),
        "jnt:licence": licence,
        "jnt:access": labelled("access", p.access_rights, registry),
        "jnt:frequency": labelled("frequency", p.accrual_periodicity, registry),
        "jnt:origin": labelled("origin", p.acquisition_mode, registry),
        "jnt:referenceSystems": [labelled("crs", c, registry) for c in p.reference_systems],
        "jnt:resolution_m": p.resolution_m,
        "jnt:scale_denominator": p.scale_denominator,
        "jnt:completeness": p.completeness,
        "jnt:offers": len(p.offers),
        "jnt:provider": record.provider.to_json(),
        "jnt:datasetId": p.id,
    }
    time = None
    if p.temporal_start or p.temporal_end:
        time = {"interval": [_when(p.temporal_start) or "..", _when(p.temporal_end) or ".."]}
    out_links = [
        {"rel": "self", "type": GEOJSON, "href": links.item(record.record_id), "title": p.title},
        {"rel": "collection", "type": JSON, "href": links(f"/collections/{COLLECTION}")},
        {"rel": "alternate", "type": JSON, "href": links.detail(record.record_id),
         "title": "Fiche complète : 10 critères, offres d'usage, fournisseur"},
    ]
    iso = links.iso(record.record_id)
    if iso:
        out_links.append({"rel": "alternate", "type": "application/xml", "href": iso, "title": "ISO 19139 (CSW)"})
    if p.licence:
        out_links.append({"rel": "license", "href": p.licence, "title": licence["label"]["fr"] if licence else None})
    if p.landing_page:
        out_links.append({"rel": "about", "type": "text/html", "href": p.landing_page,
                          "title": "Page du jeu de données chez le fournisseur"})
    if record.provider.address:
        out_links.append({"rel": "service", "href": record.provider.address,
                          "title": "Connecteur du fournisseur (Dataspace Protocol) : négocier un contrat"})
    return {"type": "Feature", "id": record.record_id, "conformsTo": [RECORD_CORE], "geometry": _polygon(p.bbox),
            "time": time, "properties": properties, "links": out_links}


def _extent(index: FederatedIndex) -> list[float]:
    d = datasets_table
    with index.engine.connect() as connection:
        row = connection.execute(select(func.min(d.c.minx), func.min(d.c.miny), func.max(d.c.maxx),
                                        func.max(d.c.maxy))).first()
    return [float(v) for v in row] if row is not None and row[0] is not None else [-180.0, -90.0, 180.0, 90.0]


def records_router(index: FederatedIndex, *, base_url: str | None = None, prefix: str = "/ogcapi",
                   api_prefix: str = "/api", csw_path: str | None = "/csw",
                   openapi_url: str | None = "/openapi.json") -> APIRouter:
    """The OGC API – Records routes under `prefix`. `base_url`: the catalogue's public address for the links
    (default: each request's); `csw_path`: where the CSW endpoint is mounted (records link to their ISO 19139
    form there; None if there is none); `openapi_url`: the app's OpenAPI document (None: not linked)."""
    router = APIRouter(prefix=prefix, tags=["OGC API – Records"])
    registry = index.registry

    def links_for(request: Request) -> _Links:
        return _Links(base_url or str(request.base_url), prefix, api_prefix, csw_path)

    def collection(links: _Links) -> dict[str, Any]:
        return {
            "id": COLLECTION, "type": "Collection", "itemType": "record",
            "title": _TITLE["fr"], "description": _DESCRIPTION["fr"], "language": {"code": "fr"},
            "extent": {"spatial": {"bbox": [_extent(index)], "crs": CRS84}},
            "crs": [CRS84],
            "links": [
                {"rel": "self", "type": JSON, "href": links(f"/collections/{COLLECTION}")},
                {"rel": "items", "type": GEOJSON, "href": links(f"/collections/{COLLECTION}/items"),
                 "title": "Les fiches"},
                {"rel": "root", "type": JSON, "href": links()},
            ],
        }

    @router.get("", summary="Page d'accueil OGC API – Records")
    def landing(request: Request) -> JSONResponse:
        links = links_for(request)
        out_links = [
            {"rel": "self", "type": JSON, "href": links(), "title": _TITLE["fr"]},
            {"rel": "conformance", "type": JSON, "href": links("/conformance")},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/conformance", "type": JSON, "href": links("/conformance")},
            {"rel": "data", "type": JSON, "href": links("/collections")},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/data", "type": JSON, "href": links("/collections")},
        ]
        if openapi_url:
            out_links.append({"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
                              "href": f"{links.base}{openapi_url}"})
        if csw_path:
            out_links.append({"rel": "alternate", "type": "application/xml", "title": "CSW 2.0.2",
                              "href": f"{links.base}{csw_path}?service=CSW&version=2.0.2&request=GetCapabilities"})
        return JSONResponse({"title": _TITLE["fr"], "description": _DESCRIPTION["fr"],
                             "title_i18n": _TITLE, "description_i18n": _DESCRIPTION, "links": out_links})

    @router.get("/conformance", summary="Classes de conformité")
    def conformance() -> JSONResponse:
        return JSONResponse({"conformsTo": list(CONFORMANCE)})

    @router.get("/collections", summary="Collections de fiches")
    def collections(request: Request) -> JSONResponse:
        links = links_for(request)
        return JSONResponse({"collections": [collection(links)],
                             "links": [{"rel": "self", "type": JSON, "href": links("/collections")}]})

    @router.get("/collections/{collection_id}", summary="La collection des jeux de données")
    def one_collection(collection_id: str, request: Request) -> JSONResponse:
        if collection_id != COLLECTION:
            return _not_found(f"collection inconnue : {collection_id} (la seule est {COLLECTION})",
                              f"unknown collection: {collection_id} (the only one is {COLLECTION})")
        return JSONResponse(collection(links_for(request)))

    @router.get("/collections/{collection_id}/items", summary="Recherche de fiches (GeoJSON)")
    def items(collection_id: str, request: Request) -> JSONResponse:
        if collection_id != COLLECTION:
            return _not_found(f"collection inconnue : {collection_id}", f"unknown collection: {collection_id}")
        try:
            return _items(request)
        except QueryError as exc:
            return _error(exc)

    def _items(request: Request) -> JSONResponse:
        pairs = request.query_params.multi_items()
        single: dict[str, str] = {}
        for name, value in pairs:
            if name not in _OWN_PARAMETERS and name not in _PASSED_ON:
                accepted = ", ".join((*_OWN_PARAMETERS, *_PASSED_ON))
                raise QueryError(name, "unknown-parameter", f"paramètre inconnu ; paramètres acceptés : {accepted}",
                                 f"unknown parameter; accepted: {accepted}")
            if name in _OWN_PARAMETERS:
                if name in single:
                    raise QueryError(name, "repeated", "donnez-le une seule fois", "give it once", value)
                single[name] = value
        if single.get("f", "json").lower() not in ("json", "geojson", JSON, GEOJSON):
            raise QueryError("f", "unknown-value", "seul le format json est proposé", "only json is offered",
                             single["f"])
        if single.get("bbox-crs", CRS84) not in (CRS84, CRS84.replace("http://", "https://")):
            raise QueryError("bbox-crs", "unknown-value", f"seul {CRS84} est accepté (longitude, latitude)",
                             f"only {CRS84} is accepted (longitude, latitude)", single["bbox-crs"])
        limit = min(_integer("limit", single["limit"], 1), MAX_LIMIT) if "limit" in single else DEFAULT_LIMIT
        offset = _integer("offset", single["offset"], 0) if "offset" in single else 0
        passed = [(k, v) for k, v in pairs if k not in _OWN_PARAMETERS]
        if any(k == "bbox" for k, _ in passed):  # checked here too, for the OGC wording of the parameter
            parse_bbox(next(v for k, v in passed if k == "bbox"))
        query = replace(parse_query([*passed, ("facets", "false")], registry), per_page=limit)
        if "datetime" in single:
            start, stop = parse_datetime(single["datetime"])
            query = replace(query, modified_since=start.isoformat() if start else None,
                            modified_until=stop.isoformat() if stop else None)
        # An offset that is not a multiple of the limit spans two of the index's pages.
        first_page, skip = divmod(offset, limit)
        result = index.search(replace(query, page=first_page + 1))
        records = list(result.records)
        if skip and offset + limit - skip < result.total:
            records += index.search(replace(query, page=first_page + 2)).records
        records = records[skip:skip + limit]
        links = links_for(request)
        kept = [(k, v) for k, v in pairs if k not in ("offset", "limit")]

        def page(at: int) -> str:
            return links(f"/collections/{COLLECTION}/items", [*kept, ("limit", str(limit)), ("offset", str(at))])

        out_links = [{"rel": "self", "type": GEOJSON, "href": page(offset)},
                     {"rel": "collection", "type": JSON, "href": links(f"/collections/{COLLECTION}")}]
        if offset + len(records) < result.total:
            out_links.append({"rel": "next", "type": GEOJSON, "href": page(offset + len(records))})
        if offset > 0:
            out_links.append({"rel": "prev", "type": GEOJSON, "href": page(max(0, offset - limit))})
        return JSONResponse({
            "type": "FeatureCollection",
            "features": [record_feature(r, registry, links) for r in records],
            "numberMatched": result.total, "numberReturned": len(records),
            "timeStamp": datetime.now().astimezone().isoformat(timespec="seconds"),
            "links": out_links,
        }, media_type=GEOJSON)

    @router.get("/collections/{collection_id}/items/{record_id:path}", summary="Une fiche (GeoJSON)")
    def item(collection_id: str, record_id: str, request: Request) -> JSONResponse:
        record = index.get(record_id) if collection_id == COLLECTION and record_id.startswith("ds-") else None
        if record is None:
            return _not_found(f"fiche inconnue : {record_id} dans la collection {collection_id}",
                              f"unknown record: {record_id} in collection {collection_id}")
        return JSONResponse(record_feature(record, registry, links_for(request)), media_type=GEOJSON)

    return router


__all__ = ["COLLECTION", "CONFORMANCE", "parse_datetime", "record_feature", "records_router"]
