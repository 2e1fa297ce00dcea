"""The catalogue's answers to "can *I* get it?": eligibility, access plans and the use-case readiness report, as
routes (`access_router`) beside the query API:

* `GET /api/datasets/{id}/eligibility?purpose=&territory=|bbox=` — each offer of one dataset decided for the caller;
* `GET /api/eligibility?<search parameters>&purpose=` — the same for a page of search results (the search's
  territory or bbox is the declared area of use);
* `POST /api/plans` with `{"usecase", "purpose", "territory" | "bbox"}` — the access plan
  (`catalog/data/schemas/access-plan.schema.json`);
* `GET /api/reports/readiness?usecase=&territory=|bbox=&purpose=&format=json|html` and the page
  `GET /reports/readiness` (HTML; French, or English with `lang=en` or `Accept-Language: en`). Given `pages` (the
  catalogue's web site, `catalog.federated.site.CatalogueSite`), the page takes the site's frame and language, and
  is evaluated for the participant signed in to the site when no token is presented.

Who asks: the caller presents the bearer token a connector sends on DSP requests (self-issued, carrying its
membership credential), with the catalogue's DID as audience. The `authenticate` callable injected by the
composition root turns it into a `Requester` or raises `Unauthenticated` (answered 401, never treated as anonymous);
without a token the caller is anonymous, evaluated as an unknown participant. A parameter that breaks a rule answers
400 (`QueryError`: parameter, rule, message in French and English), an unknown dataset 404."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from catalog.geoconcepts import FLOOD_RISK
from catalog.web.i18n import accept_language
from policies.requester import Requester

from .connectors import iso, utcnow
from .eligibility import (
    caller_view,
    dataset_eligibility,
    decide_offers,
    declaration_of,
    parse_declaration,
    parse_purpose,
    summarise,
)
from .errors import QueryError
from .index import FederatedIndex
from .plans import build_plan, parse_plan_request
from .query import parse_query
from .readiness import readiness_report, render_readiness
from .views import _page_links

Authenticate = Callable[[Request], Requester | None]
LANGS = ("fr", "en")
MAX_BODY = 64 * 1024
PAGE = "/reports/readiness"


class ReadinessPages(Protocol):
    """How the readiness page fits in a web site: its language, the participant signed in to the site, the site's
    frame (and what to do to the response: cookies, headers)."""

    def page_lang(self, request: Request) -> str: ...

    def page_caller(self, request: Request) -> Requester | None: ...

    def page_chrome(self, request: Request, lang: str) -> tuple[Any, Callable[[Response], None]]: ...


class Unauthenticated(Exception):
    """A token was presented and refused (`check`: the identity layer's code, e.g. `expired`, `audience`)."""

    status = 401

    def __init__(self, check: str, fr: str, en: str) -> None:
        super().__init__(en)
        self.check, self.fr, self.en = check, fr, en

    def response(self) -> JSONResponse:
        return JSONResponse({"error": "unauthenticated", "check": self.check,
                             "message": {"fr": f"jeton refusé : {self.fr}", "en": f"token refused: {self.en}"}},
                            status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def request_lang(request: Request) -> str:
    """`lang` (fr or en; anything else is a 400), else the preferred of fr / en in Accept-Language, else fr."""
    lang = request.query_params.get("lang")
    if lang is not None:
        if lang not in LANGS:
            raise QueryError("lang", "unknown-value", f"« {lang} » ; attendu : fr ou en", f"'{lang}'; expected: fr or en",
                             lang)
        return lang
    return accept_language(request.headers.get("accept-language")) or "fr"


def _single(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each given once and each in `allowed`."""
    out: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            raise QueryError(name, "unknown-parameter", f"paramètre inconnu ; paramètres acceptés : "
                             f"{', '.join(allowed)}", f"unknown parameter; accepted: {', '.join(allowed)}")
        if name in out:
            raise QueryError(name, "repeated", "donné plusieurs fois ; donnez-le une seule fois",
                             "given several times; give it once")
        out[name] = value
    return out


def _answer(work: Callable[[], Any]) -> Any:
    """Run a route's work, answering a refused token 401 and a bad parameter 400 (the routes stay correct on an app
    without the catalogue's exception handlers)."""
    try:
        return work()
    except Unauthenticated as exc:
        return exc.response()
    except QueryError as exc:
        return JSONResponse(exc.to_json(), status_code=exc.status)


def access_router(index: FederatedIndex, *, authenticate: Authenticate | None = None, catalogue_did: str | None = None,
                  prefix: str = "/api", pages: ReadinessPages | None = None) -> APIRouter:
    """The eligibility, plan and readiness routes over `index`. `authenticate(request)` gives the caller's verified
    claims (None without a token) or raises `Unauthenticated`; without it, a presented token is refused (401).
    `pages`: the web site the readiness page belongs to (None: a standalone page)."""
    router = APIRouter(tags=["Catalogue fédéré — accès"])
    registry = index.registry

    def caller(request: Request) -> Requester | None:
        header = request.headers.get("authorization")
        if authenticate is None:
            if header and header.strip():
                raise Unauthenticated("unsupported", "ce catalogue ne vérifie pas les jetons (aucune identité "
                                      "configurée) ; réessayer sans jeton", "this catalogue does not verify tokens "
                                      "(no identity configured); retry without a token")
            return None
        return authenticate(request)

    @router.get(prefix + "/datasets/{ref:path}/eligibility", summary="Éligibilité aux offres d'un jeu de données")
    def dataset_eligibility_route(ref: str, request: Request) -> Any:
        def work() -> Any:
            requester = caller(request)
            params = _single(request, ("purpose", "territory", "bbox", "lang"))
            request_lang(request)
            declaration = parse_declaration(params, registry, allowed=("lang",))
            record = index.get(ref)
            if record is None:
                return JSONResponse({"error": "not-found", "message": {"fr": f"jeu de données inconnu : {ref}",
                                                                       "en": f"unknown dataset: {ref}"}},
                                    status_code=404)
            now = utcnow()
            decisions = decide_offers(record.parsed.offers, requester, declaration, now=now)
            return {**dataset_eligibility(record, decisions, prefix=prefix + "/datasets/"),
                    "caller": caller_view(requester), "declared": declaration.to_json(), "evaluated": iso(now)}

        return _answer(work)

    @router.get(prefix + "/eligibility", summary="Éligibilité pour une page de résultats de recherche")
    def search_eligibility(request: Request) -> Any:
        def work() -> Any:
            requester = caller(request)
            request_lang(request)
            items = request.query_params.multi_items()
            purposes = [value for name, value in items if name == "purpose"]
            if len(purposes) > 1:
                raise QueryError("purpose", "repeated", "donné plusieurs fois ; donnez-le une seule fois",
                                 "given several times; give it once")
            purpose = parse_purpose(purposes[0] if purposes else None)
            query = parse_query([(k, v) for k, v in items if k not in ("purpose", "lang")], registry)
            query = dataclasses.replace(query, with_facets=False)
            result = index.search(query)
            declaration = declaration_of(query, purpose)
            now = utcnow()
            datasets = []
            counts = {"obtainable": 0, "obtainable-with-duties": 0, "not-obtainable": 0}
            for record in result.records:
                decisions = decide_offers(record.parsed.offers, requester, declaration, now=now)
                counts[summarise(decisions)] += 1
                datasets.append(dataset_eligibility(record, decisions, prefix=prefix + "/datasets/"))
            return {"total": result.total, "page": query.page, "per_page": query.per_page, "pages": result.pages,
                    "query": query.to_json(), "caller": caller_view(requester), "declared": declaration.to_json(),
                    "evaluated": iso(now), "decisions": counts, "datasets": datasets,
                    "links": _page_links(prefix + "/eligibility", request.url.query, query.page, result.pages)}

        return _answer(work)

    @router.post(prefix + "/plans", summary="Plan d'accès pour un cas d'usage et un territoire")
    async def plan(request: Request) -> Any:
        raw = await request.body()

        def work() -> Any:
            requester = caller(request)
            if len(raw) > MAX_BODY:
                raise QueryError("body", "too-large", f"corps de {len(raw)} octets, au plus {MAX_BODY}",
                                 f"body of {len(raw)} bytes, at most {MAX_BODY}")
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise QueryError("body", "json", "JSON illisible ; attendu {\"usecase\", \"purpose\", \"territory\" "
                                 "ou \"bbox\"}", "unreadable JSON; expected {\"usecase\", \"purpose\", \"territory\" "
                                 "or \"bbox\"}") from None
            query, declaration = parse_plan_request(body, registry)
            return build_plan(index, query, declaration, requester=requester, catalogue=catalogue_did)

        return await run_in_threadpool(_answer, work)

    def report_of(request: Request, params: dict[str, str], *, in_site: bool = False) -> dict[str, Any]:
        requester = caller(request)
        if requester is None and in_site and pages is not None:
            requester = pages.page_caller(request)
        search = [("usecase", params.get("usecase") or _default_use_case())]
        search += [(name, params[name]) for name in ("territory", "bbox") if params.get(name)]
        query = parse_query(search, registry)
        purpose = params.get("purpose")
        declaration = declaration_of(query, parse_purpose(purpose)) if purpose else None
        return readiness_report(index, query, declaration=declaration, requester=requester, catalogue=catalogue_did)

    def _default_use_case() -> str:
        cases = registry.use_cases()
        if FLOOD_RISK in cases or len(cases) != 1:
            return FLOOD_RISK
        return next(iter(cases))

    def html_page(request: Request, params: dict[str, str], lang: str, *, in_site: bool = False) -> HTMLResponse:
        shown = {**params, "usecase": params.get("usecase") or _default_use_case()}
        base = {k: v for k, v in shown.items() if k not in ("format", "lang") and v}
        other = "en" if lang == "fr" else "fr"
        links = {"json_url": f"{prefix}/reports/readiness?{urlencode({**base, 'format': 'json'})}",
                 "switch_url": f"{PAGE}?{urlencode({**base, 'lang': other})}", "form_action": PAGE}
        use_cases = {key: {"fr": uc.label_fr, "en": uc.label_en} for key, uc in registry.use_cases().items()}
        chrome, finish = pages.page_chrome(request, lang) if in_site and pages is not None else (None, None)
        try:
            report = report_of(request, params, in_site=in_site)
        except QueryError as exc:
            response = HTMLResponse(render_readiness(None, lang=lang, params=shown, use_cases=use_cases, error=exc,
                                                     chrome=chrome, **links), status_code=exc.status)
        else:
            response = HTMLResponse(render_readiness(report, lang=lang, params=shown, use_cases=use_cases,
                                                     chrome=chrome, **links))
        if finish is not None:
            finish(response)
        return response

    readiness_parameters = ("usecase", "territory", "bbox", "purpose", "format", "lang")

    @router.get(prefix + "/reports/readiness", summary="Rapport de préparation d'un cas d'usage (JSON ou HTML)")
    def readiness(request: Request) -> Any:
        def work() -> Response | dict[str, Any]:
            params = _single(request, readiness_parameters)
            lang = request_lang(request)
            form = params.get("format", "json")
            if form not in ("json", "html"):
                raise QueryError("format", "unknown-value", f"« {form} » ; attendu : json ou html",
                                 f"'{form}'; expected: json or html", form)
            if form == "html":
                return html_page(request, params, lang)
            return report_of(request, params)

        return _answer(work)

    @router.get(PAGE, response_class=HTMLResponse, summary="Rapport de préparation (page HTML)")
    def readiness_html(request: Request) -> Any:
        def work() -> Response:
            params = _single(request, readiness_parameters)
            lang = pages.page_lang(request) if pages is not None else request_lang(request)
            return html_page(request, {k: v for k, v in params.items() if k != "format"}, lang, in_site=True)

        return _answer(work)

    return router


__all__ = ["Authenticate", "ReadinessPages", "Unauthenticated", "access_router", "request_lang"]
