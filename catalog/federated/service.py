"""The federated catalogue's query API (FastAPI), over an index:

* `GET /api/datasets?q=&geoconcept=&usecase=&bbox=&territory=&<facet>=&page=&per_page=` — a page of datasets,
  the total, the facet counts over every match, links to the other pages (parameters: `catalog.federated.query`);
* `GET /api/datasets/{id}` — one dataset: record id (`ds-…`) or dataset IRI (URL-encoded); the whole sheet, the
  offers, the provider, the crawl dates;
* `GET /api/facets?...` — the facets (criterion, labels) with their counts for the same filters;
* `GET /api/connectors`, `GET /api/connectors/{did}` — each connector's crawl status, and the last crawl's report.

A parameter that breaks a rule answers 400 `{"error": "invalid-parameter", "parameter", "rule", "message": {"fr",
"en"}}`; an unknown dataset 404. `create_catalog_app` runs the crawl scheduler (if given) for the app's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from .errors import QueryError
from .index import FederatedIndex, facet_definitions
from .query import parse_query
from .scheduler import CrawlScheduler
from .views import record_detail, search_view

API_PREFIX = "/api"


def _not_found(fr: str, en: str) -> JSONResponse:
    return JSONResponse({"error": "not-found", "message": {"fr": fr, "en": en}}, status_code=404)


def catalog_router(index: FederatedIndex, *, scheduler: CrawlScheduler | None = None,
                   prefix: str = API_PREFIX) -> APIRouter:
    """The query API's routes (mounted under `prefix`)."""
    router = APIRouter(prefix=prefix, tags=["Catalogue fédéré"])
    registry = index.registry

    @router.get("", summary="Points d'entrée de l'API")
    def root() -> dict[str, Any]:
        return {"title": {"fr": "Catalogue fédéré JNT", "en": "JNT federated catalogue"},
                "datasets": index.count(),
                "links": {"datasets": f"{prefix}/datasets", "facets": f"{prefix}/facets",
                          "connectors": f"{prefix}/connectors"}}

    @router.get("/datasets", summary="Recherche de jeux de données")
    def datasets(request: Request) -> dict[str, Any]:
        query = parse_query(request.query_params.multi_items(), registry)
        result = index.search(query)
        if query.page > result.pages:
            raise QueryError("page", "beyond-last-page",
                             f"vaut {query.page} mais il n'y a que {result.pages} page(s) de {query.per_page} "
                             f"({result.total} résultats)",
                             f"is {query.page} but there are only {result.pages} page(s) of {query.per_page} "
                             f"({result.total} results)", query.page)
        return search_view(result, registry, base_url=f"{prefix}/datasets", query_string=request.url.query)

    @router.get("/datasets/{ref:path}", summary="Fiche d'un jeu de données")
    def dataset(ref: str) -> Any:
        record = index.get(ref)
        if record is None:
            return _not_found(f"jeu de données inconnu : {ref}", f"unknown dataset: {ref}")
        out = record_detail(record, registry, prefix=f"{prefix}/datasets/")
        others = [r.record_id for r in index.records_for(record.dataset_id) if r.record_id != record.record_id]
        if others:
            out["also_published_as"] = others
        return out

    @router.get("/facets", summary="Critères de recherche et effectifs")
    def facets(request: Request) -> dict[str, Any]:
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page", "facets")]
        query = parse_query([*params, ("per_page", "1")], registry)
        result = index.search(query)
        query_json = query.to_json()
        for key in ("page", "per_page"):
            query_json.pop(key, None)
        return {"total": result.total, "query": query_json,
                "facets": [{**definition, "values": [c.to_json() for c in result.facets.get(definition["name"], [])]}
                           for definition in facet_definitions()]}

    @router.get("/connectors", summary="État de la collecte par connecteur")
    def connectors() -> dict[str, Any]:
        statuses = index.connector_statuses()
        states: dict[str, int] = {}
        for status in statuses:
            states[status.state] = states.get(status.state, 0) + 1
        report = scheduler.last_report if scheduler is not None else None
        last = report.to_json() if report is not None else None
        if last is not None:
            last.pop("outcomes", None)
        return {"total": len(statuses), "states": states, "last_crawl": last,
                "connectors": [status.to_json() for status in statuses]}

    @router.get("/connectors/{did:path}", summary="État de la collecte d'un connecteur")
    def connector(did: str) -> Any:
        status = index.connector_status(did)
        if status is None:
            return _not_found(f"connecteur inconnu : {did}", f"unknown connector: {did}")
        return status.to_json()

    return router


def create_catalog_app(index: FederatedIndex, *, scheduler: CrawlScheduler | None = None,
                       routers: Sequence[APIRouter] = (), on_close: Callable[[], None] | None = None,
                       title: str = "JNT — catalogue fédéré") -> FastAPI:
    """The catalogue's web application: the query API, extra `routers` (e.g. the participant's DID document),
    and the crawl `scheduler` started and stopped with the app; `on_close` runs at shutdown."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            if on_close is not None:
                on_close()

    app = FastAPI(title=title, lifespan=lifespan)
    # The extra routers first: their more specific paths (`/api/datasets/{id}/eligibility`) must win over the
    # query API's `/api/datasets/{ref:path}`, which would take any path below it.
    for router in routers:
        app.include_router(router)
    app.include_router(catalog_router(index, scheduler=scheduler))
    app.state.index = index
    app.state.scheduler = scheduler

    @app.exception_handler(QueryError)
    async def invalid_query(_request: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse(exc.to_json(), status_code=exc.status)

    return app
