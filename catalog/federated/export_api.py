"""The HTTP face of the DCAT-AP export and of the SPARQL endpoint (`export_router`, for the catalogue's app):

* `GET /api/export/catalog.ttl`, `GET /api/export/catalog.jsonld`, `GET /api/export/catalog.nt` — the whole
  federated catalogue as DCAT-AP 3.0.0 (`catalog.federated.export`) in Turtle, JSON-LD or N-Triples, streamed,
  with a Content-Disposition file name; `GET /api/export/catalog` chooses by the `Accept` header (Turtle when
  anything goes, 406 when none of the three is acceptable). Parameters: the search API's filters (`q`,
  `geoconcept`, `usecase`, `bbox`, `territory`, the facets…, read by `catalog.federated.query.parse_query`; not
  the paging and sorting ones), and `valid_only=true` to leave out the datasets that lack a DCAT-AP mandatory
  property. A parameter that breaks a rule answers 400 with the search API's `QueryError` body.
* `GET|POST /api/sparql` — SPARQL 1.1 queries (`catalog.federated.sparql`) over the whole catalogue's graph:
  `query` as a GET parameter or a POST form field, or the body of a POST `application/sparql-query`. SELECT and
  ASK answer `application/sparql-results+json` (or `text/csv`, `application/sparql-results+xml`), CONSTRUCT and
  DESCRIBE `text/turtle` (or `application/ld+json`, `application/n-triples`), chosen by `Accept` or by the
  `format` parameter (`json`, `csv`, `xml`, `turtle`, `jsonld`, `nt`). Errors answer `{"error", "message": {"fr",
  "en"}, "detail"?}`: 400 for a refused or malformed query, 406 / 415 for formats, 503 past the time limit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from .errors import QueryError
from .export import (
    JSONLD,
    NTRIPLES,
    TURTLE,
    CatalogueDescription,
    CatalogueExport,
    jsonld_stream,
    ntriples_stream,
    turtle_stream,
)
from .index import FederatedIndex
from .query import DatasetQuery, _boolean, parse_query
from .sparql import (
    DEFAULT_LIMITS,
    FORMAT_NAMES,
    RESULT_FORMATS,
    CatalogueGraph,
    SparqlError,
    SparqlLimits,
    dataset_refused,
    prepare_query,
    query_form,
    run_query,
    serialize_result,
    update_refused,
)

EXPORT_FORMATS: dict[str, tuple[str, str, Callable[..., Iterator[str]]]] = {
    # media type: (file extension, Content-Type, serialiser)
    TURTLE: ("ttl", "text/turtle; charset=utf-8", turtle_stream),
    JSONLD: ("jsonld", "application/ld+json", jsonld_stream),
    NTRIPLES: ("nt", "application/n-triples", ntriples_stream),
}
FILE_NAME = "catalogue-federe-jnt"
NOT_EXPORT_PARAMETERS = ("page", "per_page", "sort", "facets")
SPARQL_PARAMETERS = ("query", "format", "default-graph-uri", "named-graph-uri")
_CHUNK = 64 * 1024


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The media type of `offered` (in order of preference) that the `Accept` header rates best, None if it
    accepts none of them. `application/json` stands for the first JSON type offered."""
    if accept is None or not accept.strip():
        return offered[0]
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    json_type = next((media for media in offered if media.endswith("json")), None)
    best, best_quality = None, 0.0
    for candidate in offered:
        matches = []
        for media, quality in ranges:
            if media == candidate or (media == "application/json" and candidate == json_type):
                matches.append((2, quality))
            elif media.endswith("/*") and candidate.startswith(media[:-1]):
                matches.append((1, quality))
            elif media == "*/*":
                matches.append((0, quality))
        if matches:
            quality = max(matches)[1]  # the most specific range decides
            if quality > best_quality:
                best, best_quality = candidate, quality
    return best


def _error(status: int, code: str, fr: str, en: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": code, "message": {"fr": fr, "en": en}, **extra}, status_code=status)


def _buffered(parts: Iterable[str], size: int = _CHUNK) -> Iterator[str]:
    """Joins small pieces into writes of about `size` characters."""
    pending: list[str] = []
    length = 0
    for part in parts:
        pending.append(part)
        length += len(part)
        if length >= size:
            yield "".join(pending)
            pending, length = [], 0
    if pending:
        yield "".join(pending)


def export_router(index: FederatedIndex, description: CatalogueDescription, *, sparql: bool = True,
                  limits: SparqlLimits = DEFAULT_LIMITS) -> APIRouter:
    """The export routes and, with `sparql`, the SPARQL endpoint, under `description.api_prefix`."""
    router = APIRouter(prefix=description.api_prefix, tags=["Export DCAT-AP et SPARQL"])
    registry = index.registry

    def export_query(request: Request) -> tuple[DatasetQuery | None, bool]:
        params = request.query_params.multi_items()
        valid_only = False
        kept = []
        for name, value in params:
            if name in NOT_EXPORT_PARAMETERS:
                raise QueryError(name, "unknown-parameter", "l'export donne tous les résultats d'un coup : pas de "
                                 "pagination ni de tri", "the export gives every result at once: no paging or sorting")
            if name == "valid_only":
                valid_only = _boolean(name, value)
            else:
                kept.append((name, value))
        return (parse_query(kept, registry) if kept else None), valid_only

    def export(request: Request, media_type: str) -> Response:
        try:
            query, valid_only = export_query(request)
        except QueryError as exc:
            return JSONResponse(exc.to_json(), status_code=exc.status)
        extension, content_type, serialiser = EXPORT_FORMATS[media_type]
        chunks = CatalogueExport(index, description, query=query, valid_only=valid_only).chunks()
        return StreamingResponse(_buffered(serialiser(chunks)), media_type=content_type,
                                 headers={"Content-Disposition": f'attachment; filename="{FILE_NAME}.{extension}"',
                                          "Vary": "Accept"})

    @router.get("/export/catalog.ttl", summary="Le catalogue fédéré en DCAT-AP 3.0.0 (Turtle)")
    def export_turtle(request: Request) -> Response:
        return export(request, TURTLE)

    @router.get("/export/catalog.jsonld", summary="Le catalogue fédéré en DCAT-AP 3.0.0 (JSON-LD)")
    def export_jsonld(request: Request) -> Response:
        return export(request, JSONLD)

    @router.get("/export/catalog.nt", summary="Le catalogue fédéré en DCAT-AP 3.0.0 (N-Triples)")
    def export_ntriples(request: Request) -> Response:
        return export(request, NTRIPLES)

    @router.get("/export/catalog", summary="Le catalogue fédéré en DCAT-AP 3.0.0 (format selon Accept)")
    def export_negotiated(request: Request) -> Response:
        offered = list(EXPORT_FORMATS)
        media_type = negotiate(request.headers.get("accept"), offered)
        if media_type is None:
            return _error(406, "not-acceptable", f"formats disponibles : {', '.join(offered)}",
                          f"available formats: {', '.join(offered)}", available=offered)
        return export(request, media_type)

    if sparql:
        _sparql_routes(router, CatalogueGraph(index, description), limits)
    return router


async def _query_text(request: Request, limits: SparqlLimits) -> tuple[str | None, str | None]:
    """The query text and the `format` parameter, from a GET, a POST form or a POST application/sparql-query."""
    fields = list(request.query_params.multi_items())
    text = None
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if len(body) > 4 * limits.max_query_length:
            raise SparqlError("query-too-long", f"corps de {len(body)} octets ; au plus {4 * limits.max_query_length}",
                              f"a body of {len(body)} bytes; at most {4 * limits.max_query_length}")
        if content_type == "application/sparql-update":
            raise update_refused()
        if content_type == "application/sparql-query":
            text = body.decode("utf-8", errors="replace")
        elif content_type == "application/x-www-form-urlencoded":
            form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            if any(name == "update" for name, _ in form):
                raise update_refused()
            fields += form
        else:
            raise SparqlError("unsupported-media-type", "corps attendu : application/sparql-query ou "
                              "application/x-www-form-urlencoded (champ query)", "expected body: "
                              "application/sparql-query or application/x-www-form-urlencoded (query field)",
                              status=415)
    values: dict[str, list[str]] = {}
    for name, value in fields:
        if name not in SPARQL_PARAMETERS:
            raise SparqlError("unknown-parameter", f"paramètre inconnu « {name} » ; acceptés : "
                              f"{', '.join(SPARQL_PARAMETERS)}", f"unknown parameter '{name}'; accepted: "
                              f"{', '.join(SPARQL_PARAMETERS)}")
        values.setdefault(name, []).append(value)
    if "default-graph-uri" in values or "named-graph-uri" in values:
        raise dataset_refused()
    for name in ("query", "format"):
        if len(values.get(name, ())) > 1:
            raise SparqlError("repeated-parameter", f"{name} donné {len(values[name])} fois ; une seule fois",
                              f"{name} given {len(values[name])} times; give it once")
    if text is not None and "query" in values:
        raise SparqlError("repeated-parameter", "requête donnée deux fois (corps et paramètre query)",
                          "query given twice (body and query parameter)")
    text = text if text is not None else (values.get("query") or [None])[0]
    return text, (values.get("format") or [None])[0]


def _result_type(request: Request, form: str, format_name: str | None) -> str:
    offered = list(RESULT_FORMATS[form])
    if format_name is not None:
        wanted = [m for m in FORMAT_NAMES.get(format_name.lower(), ()) if m in offered]
        if not wanted:
            names = sorted(n for n, types in FORMAT_NAMES.items() if any(t in offered for t in types))
            raise SparqlError("unknown-format", f"format « {format_name} » indisponible pour {form} ; "
                              f"possibles : {', '.join(names)}", f"format '{format_name}' is not available for "
                              f"{form}; possible: {', '.join(names)}")
        return wanted[0]
    media_type = negotiate(request.headers.get("accept"), offered)
    if media_type is None:
        raise SparqlError("not-acceptable", f"formats disponibles pour {form} : {', '.join(offered)}",
                          f"available formats for {form}: {', '.join(offered)}", status=406)
    return media_type


def _sparql_routes(router: APIRouter, graph: CatalogueGraph, limits: SparqlLimits) -> None:
    @router.api_route("/sparql", methods=["GET", "POST"], summary="Point d'accès SPARQL 1.1 (lecture seule)")
    async def sparql(request: Request) -> Response:
        try:
            text, format_name = await _query_text(request, limits)
            prepared = prepare_query(text, limits)
            form = query_form(prepared)
            media_type = _result_type(request, form, format_name)

            def work() -> bytes:
                return serialize_result(run_query(graph.current(), prepared, limits), media_type)

            body = await run_in_threadpool(work)
        except SparqlError as exc:
            return JSONResponse(exc.to_json(), status_code=exc.status)
        content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
        return Response(body, media_type=content_type, headers={"Vary": "Accept"})


__all__ = ["EXPORT_FORMATS", "export_router", "negotiate"]
