"""The federated catalogue's public web site, server-rendered in French (English with `?lang=en`, the language
switch or `Accept-Language`), with no external asset and no JavaScript needed:

* `GET /` — home: the search box, headline figures, entry points by géo-concept and provider;
* `GET /recherche` — the search: the API's parameters (`q`, `geoconcept`, `territory`, the facets…, `sort`,
  `page`, `per_page`; `catalog.federated.query`), a facet sidebar (each value a link that adds or removes it, with
  its count), a territory picker, paging, sorting, the result list and an SVG map of the page's extents over the
  bundled territories' outlines, each extent a link to its sheet;
* `GET /jeux/{id}` — a dataset's sheet: the 10 criteria with their values and the completeness of each (mandatory
  fields filled, those missing named), the offers in plain words, the distributions, the provider, the crawl dates,
  and links to the record's other views (JSON, GeoJSON, ISO 19139, DCAT-AP) when the app serves them;
* `GET /connecteurs` — the crawl status of every connector;
* `GET /connexion`, `POST /connexion`, `POST /deconnexion` — signing in with a self-issued identity token addressed
  to the catalogue (the one the API takes as a bearer token), checked by the injected `sign_in`; the verified claims
  are then kept in a signed session cookie (`catalog.web.session`). A signed-in participant sees, on the sheet and
  in the results, each offer's eligibility for a purpose it chooses, with the policy engine's reasons;
* the readiness report page (`GET /reports/readiness`, served by `access_router`) takes the site's frame, language
  and signed-in participant through `CatalogueSite`'s `page_*` methods.

A bad parameter answers a 400 page naming it and the rule, an unknown dataset a 404 page."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from catalog.geoconcepts import FLOOD_RISK
from catalog.sheet import CRITERIA, Sheet
from catalog.web import (
    CSRF_FIELD,
    Chrome,
    Extent,
    LangError,
    NavItem,
    Outline,
    SessionCookies,
    SignedIn,
    environment,
    extent_map,
    page_lang,
    remember_lang,
    render,
    static_router,
    switch_url,
)
from policies import PolicyError
from policies.purposes import PURPOSES
from policies.requester import Requester
from policies.templates import describe_policy
from policies.territories import all_territories

from .access import Unauthenticated, _single
from .connectors import ConnectorStatus
from .eligibility import (
    OfferDecision,
    best_decision,
    decide_offers,
    declaration_of,
    parse_purpose,
    summarise,
)
from .errors import QueryError
from .facets import CATEGORY_LABELS, FACETS_BY_NAME
from .index import DatasetRecord, FacetCount, FederatedIndex, SearchResult
from .iso_view import record_sheet
from .ogc_records import COLLECTION
from .query import DatasetQuery, parse_query
from .scheduler import CrawlScheduler
from .views import record_summary, sheet_view

SignIn = Callable[[str], Requester]
DEFAULT_PURPOSE = "flood-risk-simulation"
SESSION_COOKIE = "jnt_catalogue_session"
MAX_TOKEN = 16 * 1024
SITE_PARAMETERS = ("lang", "purpose")  # the search page's own, besides the search API's
#: The facets of the sidebar, in order.
SIDEBAR_FACETS = ("geoconcept", "role", "category", "provider", "licence", "access", "frequency", "complete")
FACETS_SHOWN = 8  # values shown before "more"
SORT_LABELS = {"relevance": ("pertinence", "relevance"), "title": ("titre", "title"),
               "modified": ("dernière mise à jour", "last update"), "completeness": ("complétude", "completeness")}
DECISION_LABELS = {"obtainable": ("obtenable", "obtainable"),
                   "obtainable-with-duties": ("obtenable avec devoirs", "obtainable with duties"),
                   "not-obtainable": ("non obtenable", "not obtainable")}
DECISION_CLASSES = {"obtainable": "ok", "obtainable-with-duties": "warn", "not-obtainable": "no"}
STATE_LABELS = {"ok": ("à jour", "up to date", "ok"), "stale": ("en échec — données anciennes gardées",
                                                                 "failing — old data kept", "warn"),
                "failing": ("en échec", "failing", "no"), "pending": ("jamais collecté", "never crawled", "")}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class SiteLinks:
    """Where the app serves the other views of a record (None: not served), for the links of the sheet page."""

    api: str = "/api"
    ogcapi: str | None = None
    csw: str | None = None
    sparql: str | None = None
    readiness: str | None = "/reports/readiness"


@dataclass
class _Page:
    """What every page of a request needs: its language, the signed-in participant, the CSRF seed."""

    request: Request
    lang: str
    requester: Requester | None
    seed: str
    new_seed: bool
    lang_error: LangError | None = None

    def t(self, fr: str, en: str) -> str:
        return en if self.lang == "en" else fr


@cache
def _outlines() -> tuple[Outline, ...]:
    return tuple(Outline(t.label(), t.kind, t.geometry) for t in all_territories())


@cache
def _template_fields() -> dict[str, list[tuple[str, str, str]]]:
    """criterion key -> its mandatory fields (path, French label, English label), from the sheet's model."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for criterion in Sheet(id="urn:x").completeness().criteria:
        out[criterion.key] = [(f.path, f.label_fr, f.label_en) for f in criterion.fields if f.mandatory]
    return out


def _field_label(path: str, lang: str) -> str:
    key, name = path.split(".", 1)
    part = Sheet.model_fields[key].annotation
    info = part.model_fields[name]  # type: ignore[union-attr]
    extra = info.json_schema_extra or {}
    return str(extra.get("label_en" if lang == "en" else "label_fr", name))


def _when(value: Any, lang: str, *, time_of_day: bool = True) -> dict[str, str] | None:
    """A date or an instant as `{"iso", "text"}` for a <time> element."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return {"iso": value, "text": value}
    if isinstance(value, datetime):
        moment = value.strftime("%d/%m/%Y" if lang == "fr" else "%Y-%m-%d")
        if time_of_day:
            moment += value.strftime(" %H:%M") + (" UTC" if value.utcoffset() is not None else "")
        return {"iso": value.isoformat(), "text": moment}
    return {"iso": value.isoformat(), "text": value.strftime("%d/%m/%Y" if lang == "fr" else "%Y-%m-%d")}


def _label(item: dict[str, Any] | None, lang: str) -> str | None:
    return None if item is None else item["label"][lang]


def _category(category: str | None, lang: str) -> str | None:
    if category is None:
        return None
    pair = CATEGORY_LABELS.get(category)
    return (pair[1] if lang == "en" else pair[0]) if pair else category


def _decision_view(decision: OfferDecision, lang: str) -> dict[str, Any]:
    fr, en = DECISION_LABELS[decision.decision]
    return {"decision": decision.decision, "label": en if lang == "en" else fr,
            "kind": DECISION_CLASSES[decision.decision], "explanation": decision.explanation[lang],
            "details": decision.details[lang][1:], "duties": [d["text"][lang] for d in decision.duties],
            "identity_dependent": decision.identity_dependent}


class CatalogueSite:
    """The site over `index`. `sign_in(token)` verifies a pasted identity token and gives the caller's claims, or
    raises `Unauthenticated` (None: no sign-in). `catalogue_did`: the audience the tokens must name. Sessions last
    `session_minutes`, signed with `session_secret` (random for the process when None)."""

    def __init__(self, index: FederatedIndex, *, sign_in: SignIn | None = None, catalogue_did: str | None = None,
                 scheduler: CrawlScheduler | None = None, links: SiteLinks | None = None,
                 session_secret: bytes | None = None, session_minutes: int = 30, secure_cookies: bool | None = None,
                 origins: Sequence[str] = (), site_name: tuple[str, str] = ("Catalogue fédéré JNT",
                                                                            "JNT federated catalogue")) -> None:
        self.index = index
        self.registry = index.registry
        self.sign_in = sign_in
        self.catalogue_did = catalogue_did
        self.scheduler = scheduler
        self.links = links or SiteLinks()
        self.site_name = site_name
        self.sessions = SessionCookies(SESSION_COOKIE, secret=session_secret, max_age=session_minutes * 60,
                                       secure=secure_cookies, origins=tuple(origins))
        self.env = environment(("catalog.federated", "templates"))

    # -- the frame ------------------------------------------------------------------------------------------------

    def _requester(self, request: Request) -> Requester | None:
        data = self.sessions.read(request)
        if data is None or not data.get("did"):
            return None
        return Requester(did=data["did"], category=data.get("category"), name=data.get("name"),
                         kind=data.get("kind"), siren=data.get("siren"))

    def _page(self, request: Request) -> _Page:
        seed, new = self.sessions.csrf_seed(request)
        try:
            lang, error = page_lang(request), None
        except LangError as exc:
            lang, error = "fr", exc
        return _Page(request, lang, self._requester(request), seed, new, error)

    def _chrome(self, page: _Page, current: str | None = None) -> Chrome:
        t, lang = page.t, page.lang
        nav = [("home", "/", t("Accueil", "Home")), ("search", "/recherche", t("Rechercher", "Search"))]
        if self.links.readiness:
            nav.append(("readiness", self.links.readiness, t("Préparation du cas d'usage", "Use-case readiness")))
        nav.append(("connectors", "/connecteurs", t("Connecteurs", "Connectors")))
        user = None
        if page.requester is not None:
            r = page.requester
            user = SignedIn(name=r.name or r.did or "?", did=r.did, category=_category(r.category, lang))
        footer = t("Catalogue fédéré de l'espace de données JNT — les jeux de données restent chez leurs "
                   "fournisseurs ; ce site dit qui offre quoi, où, à quelles conditions.",
                   "Federated catalogue of the JNT data space — the datasets stay with their providers; this site "
                   "says who offers what, where, under which conditions.")
        return Chrome(lang=lang, site_name=self.site_name[1 if lang == "en" else 0], home="/",
                      nav=[NavItem(href, label, key == current) for key, href, label in nav],
                      switch_url=switch_url(page.request, lang), user=user,
                      sign_in_url=self._sign_in_url(page.request) if self.sign_in is not None else None,
                      sign_out_url="/deconnexion", csrf=self.sessions.csrf_token(page.seed), footer=footer)

    @staticmethod
    def _sign_in_url(request: Request) -> str:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return "/connexion" if request.url.path in ("/connexion", "/") else f"/connexion?{urlencode({'next': here})}"

    def _respond(self, page: _Page, template: str, *, current: str | None = None, status: int = 200,
                 **context: Any) -> HTMLResponse:
        body = render(self.env, template, self._chrome(page, current), page_requester=page.requester, **context)
        response = HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)
        self._finish(page, response)
        return response

    def _finish(self, page: _Page, response: Response) -> None:
        if page.new_seed:
            self.sessions.keep_seed(page.request, response, page.seed)
        if page.lang_error is None:
            remember_lang(page.request, response, page.lang, secure=self.sessions.secure(page.request))
        response.headers["Vary"] = "Cookie, Accept-Language"
        response.headers["Cache-Control"] = "no-store" if page.requester is not None else "no-cache"

    def _error(self, page: _Page, status: int, heading: tuple[str, str], message: str,
               links: Iterable[tuple[str, str]] = ()) -> HTMLResponse:
        t = page.t
        all_links = [*links, ("/recherche", t("Rechercher dans le catalogue", "Search the catalogue")),
                     ("/", t("Accueil", "Home"))]
        return self._respond(page, "web/error.html", status=status, heading=page.t(*heading), message=message,
                             links=all_links)

    def _bad_parameter(self, page: _Page, error: QueryError | LangError) -> HTMLResponse:
        if isinstance(error, LangError):
            message = page.t(f"lang : {error.fr}", f"lang: {error.en}")
        else:
            message = error.message(page.lang)
        return self._error(page, 400, ("Paramètre invalide", "Invalid parameter"), message)

    # -- hooks of the readiness page (access_router) --------------------------------------------------------------

    def page_lang(self, request: Request) -> str:
        try:
            return page_lang(request)
        except LangError as exc:
            raise QueryError("lang", "unknown-value", exc.fr, exc.en, exc.value) from None

    def page_caller(self, request: Request) -> Requester | None:
        return self._requester(request)

    def page_chrome(self, request: Request, lang: str) -> tuple[Chrome, Callable[[Response], None]]:
        """The readiness page's frame, and what to do to its response (cookies, headers)."""
        page = self._page(request)
        page.lang = lang

        def finish(response: Response) -> None:
            self._finish(page, response)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)

        return self._chrome(page, "readiness"), finish

    # -- pages ----------------------------------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        page = self._page(request)
        if page.lang_error is not None:
            return self._bad_parameter(page, page.lang_error)
        facets = self.index.facet_counts()
        statuses = self.index.connector_statuses()
        use_case = self.registry.use_cases().get(FLOOD_RISK)
        concepts = {self.registry.concepts[c].iri(self.registry.base_iri) for c in use_case.concepts} \
            if use_case else set()
        covered = {c.value for c in facets.get("geoconcept", []) if c.value in concepts}
        public = next((c.count for c in facets.get("access", []) if c.value.endswith("/PUBLIC")), 0)
        figures = {"datasets": self.index.count(), "providers": sum(1 for s in statuses if s.dataset_count),
                   "connectors": len(statuses), "ok": sum(1 for s in statuses if s.state == "ok"),
                   "covered": len(covered), "concepts": len(concepts), "public": public}
        return self._respond(page, "site/home.html", current="home", figures=figures,
                             geoconcepts=facets.get("geoconcept", [])[:12], providers=facets.get("provider", [])[:12],
                             use_case=use_case)

    def search(self, request: Request) -> Response:
        started = time.perf_counter()
        page = self._page(request)
        if page.lang_error is not None:
            return self._bad_parameter(page, page.lang_error)
        items = request.query_params.multi_items()
        try:
            purposes = [v for k, v in items if k == "purpose"]
            if len(purposes) > 1:
                raise QueryError("purpose", "repeated", "donné plusieurs fois ; donnez-le une seule fois",
                                 "given several times; give it once")
            purpose = parse_purpose(purposes[0] if purposes and purposes[0] else DEFAULT_PURPOSE)
            search_items = [(k, v) for k, v in items if k not in SITE_PARAMETERS and v != ""]
            query = parse_query(search_items, self.registry)
            result = self.index.search(query)
            if query.page > result.pages:
                raise QueryError("page", "beyond-last-page",
                                 f"vaut {query.page} mais il n'y a que {result.pages} page(s)",
                                 f"is {query.page} but there are only {result.pages} page(s)", query.page)
        except QueryError as exc:
            return self._bad_parameter(page, exc)
        state = _SearchState(search_items, page.lang)
        records = result.records
        rows = [self._result_row(record, page.lang) for record in records]
        declaration = None
        if page.requester is not None:
            declaration = declaration_of(query, purpose)
            for row, record in zip(rows, records, strict=True):
                decisions = decide_offers(record.parsed.offers, page.requester, declaration)
                best = best_decision(decisions)
                row["eligibility"] = None if best is None else {**_decision_view(best, page.lang),
                                                                "decision": summarise(decisions)}
        map_model = extent_map([Extent(r.record_id, r.values.get("title") or r.record_id, self._sheet_url(r), r.bbox)
                                for r in records if r.bbox], _outlines(), focus=query.bbox,
                               highlight=_territory_label(query))
        response = self._respond(
            page, "site/search.html", current="search", query=query, result=result, rows=rows,
            facets=self._facets(query, result, state, page.lang), state=state, chips=state.chips(query, self),
            map=map_model, territories=_territory_choices(), purposes=_purposes(page.lang),
            purpose=_purpose_name(purpose),
            declaration=declaration, sorts=_sorts(query, page.lang), pager=state.pager(query, result))
        response.headers["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    def _sheet_url(self, record: DatasetRecord) -> str:
        return "/jeux/" + quote(record.record_id, safe="")

    def _result_row(self, record: DatasetRecord, lang: str) -> dict[str, Any]:
        summary = record_summary(record, self.registry, prefix="/jeux/")
        description = summary["description"] or ""
        if len(description) > 260:
            description = description[:257].rstrip() + "…"
        completeness = summary["completeness"]
        return {"id": record.record_id, "href": self._sheet_url(record), "title": summary["title"] or record.dataset_id,
                "description": description, "geoconcept": _label(summary["geoconcept"], lang),
                "licence": _label(summary["licence"], lang), "access": _label(summary["access"], lang),
                "access_value": (summary["access"] or {}).get("value", ""),
                "frequency": _label(summary["frequency"], lang),
                "provider": record.provider.name or record.provider.did,
                "category": _category(record.provider.category or record.values.get("category"), lang),
                "stale": record.provider.stale, "has_extent": record.bbox is not None,
                "completeness": None if completeness is None else round(completeness * 100),
                "complete": summary["complete"], "eligibility": None}

    def _facets(self, query: DatasetQuery, result: SearchResult, state: _SearchState,
                lang: str) -> list[dict[str, Any]]:
        out = []
        for name in SIDEBAR_FACETS:
            facet = FACETS_BY_NAME[name]
            selected = state.selected(name)
            counts = result.facets.get(name, [])
            if selected:  # disjunctive counts: this facet's values as if it were not filtered on
                counts = self.index.search(_without(query, name)).facets.get(name, [])
            shown = {c.value: c for c in counts}
            for value in selected:
                if value not in shown:
                    label = facet.label(facet.read(value, self.registry), self.registry) if name != "provider" \
                        else {"fr": value, "en": value}
                    shown[value] = FacetCount(value, label, 0)
            values = [{"value": c.value, "label": c.label[lang], "count": c.count, "selected": c.value in selected,
                       "href": state.toggle_url(name, c.value)}
                      for c in sorted(shown.values(), key=lambda c: (c.value not in selected, -c.count,
                                                                      c.label[lang].lower()))]
            if values:
                out.append({"name": name, "label": facet.label_en if lang == "en" else facet.label_fr,
                            "criterion": facet.criterion, "choices": values[:FACETS_SHOWN],
                            "more": values[FACETS_SHOWN:]})
        return out

    def sheet(self, request: Request, ref: str) -> Response:
        page = self._page(request)
        if page.lang_error is not None:
            return self._bad_parameter(page, page.lang_error)
        try:
            params = _single(request, ("lang", "purpose", "territory"))
            purpose = parse_purpose(params.get("purpose") or DEFAULT_PURPOSE)
            declared = parse_query({k: v for k, v in params.items() if k == "territory" and v}, self.registry)
        except QueryError as exc:
            return self._bad_parameter(page, exc)
        record = self.index.get(ref)
        if record is None:
            return self._error(page, 404, ("Jeu de données introuvable", "Dataset not found"), page.t(
                f"Aucun jeu de données « {ref} » dans le catalogue : il a pu être retiré par son fournisseur, ou "
                f"l'adresse est incomplète.", f"No dataset '{ref}' in the catalogue: its provider may have "
                f"withdrawn it, or the address is incomplete."))
        lang = page.lang
        parsed = record.parsed
        view = sheet_view(parsed, self.registry)
        declaration = declaration_of(declared, purpose) if page.requester is not None else None
        decisions = decide_offers(parsed.offers, page.requester, declaration) if declaration else None
        offers = []
        for i, offer in enumerate(parsed.offers):
            try:
                words = describe_policy(offer.policy, lang)
            except PolicyError as exc:
                words = [page.t(f"offre illisible : {exc}", f"unreadable offer: {exc}")]
            offers.append({"id": offer.id, "words": words,
                           "decision": _decision_view(decisions[i], lang) if decisions else None})
        others = [r for r in self.index.records_for(record.dataset_id) if r.record_id != record.record_id]
        return self._respond(
            page, "site/sheet.html", record=record, summary=record_summary(record, self.registry, prefix="/jeux/"),
            criteria=self._criteria(record, view, lang), offers=offers, distributions=self._distributions(record),
            provider=record.provider, category=_category(record.provider.category, lang),
            crawl={"first_seen": _when(record.first_seen, lang), "last_changed": _when(record.last_changed, lang),
                   "last_checked": _when(record.provider.last_success, lang)},
            views=self._views(record), others=[(self._sheet_url(r), r.provider.name or r.provider.did) for r in others],
            map=extent_map([Extent(record.record_id, parsed.title or record.record_id, "#emprise", record.bbox)],
                           _outlines(), min_span=0.3) if record.bbox else None,
            purposes=_purposes(lang), purpose=_purpose_name(purpose), territories=_territory_choices(),
            territory=declared.territory, declaration=declaration,
            best=summarise(decisions) if decisions else None, decision_labels=DECISION_LABELS,
            decision_classes=DECISION_CLASSES)

    def _criteria(self, record: DatasetRecord, view: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        parsed = record.parsed
        published = parsed.completeness is not None
        if published:
            missing = set(parsed.missing_mandatory)
        else:  # a provider that publishes no completeness: computed here from what its catalogue says
            missing = {f.path for f in record_sheet(record).completeness().missing_mandatory()}
        out = []
        for key, (code, name_fr, name_en) in CRITERIA.items():
            mandatory = _template_fields()[key]
            absent = [en if lang == "en" else fr for path, fr, en in mandatory if path in missing]
            out.append({"code": code, "key": key, "name": name_en if lang == "en" else name_fr,
                        "rows": _criterion_rows(key, view[code], lang), "total": len(mandatory),
                        "filled": len(mandatory) - len(absent), "missing": absent, "published": published})
        return out

    @staticmethod
    def _distributions(record: DatasetRecord) -> list[dict[str, Any]]:
        return [{"format": d.format, "title": d.title, "file_type": (d.file_type or "").rsplit("/", 1)[-1] or None,
                 "media_type": d.media_type, "byte_size": d.byte_size,
                 "endpoint": d.access_service.endpoint_url if d.access_service else None}
                for d in record.parsed.distributions]

    def _views(self, record: DatasetRecord) -> list[tuple[str, str, str]]:
        """(href, French label, English label) of the record's other views the app serves."""
        rid = quote(record.record_id, safe="")
        links = self.links
        out = [(f"{links.api}/datasets/{rid}", "JSON (API du catalogue)", "JSON (catalogue API)")]
        if links.ogcapi:
            out.append((f"{links.ogcapi}/collections/{COLLECTION}/items/{rid}", "GeoJSON (OGC API – Records)",
                        "GeoJSON (OGC API – Records)"))
        if links.csw:
            out.append((f"{links.csw}?" + urlencode({"service": "CSW", "version": "2.0.2",
                                                     "request": "GetRecordById", "id": record.record_id,
                                                     "outputSchema": "http://www.isotc211.org/2005/gmd",
                                                     "elementSetName": "full"}),
                        "ISO 19139 (CSW)", "ISO 19139 (CSW)"))
        if links.sparql:
            out.append((f"{links.sparql}?" + urlencode({"query": f"DESCRIBE <{record.dataset_id}>",
                                                        "format": "turtle"}),
                        "DCAT-AP (Turtle, SPARQL)", "DCAT-AP (Turtle, SPARQL)"))
        return out

    def connectors(self, request: Request) -> Response:
        page = self._page(request)
        if page.lang_error is not None:
            return self._bad_parameter(page, page.lang_error)
        try:
            _single(request, ("lang",))
        except QueryError as exc:
            return self._bad_parameter(page, exc)
        statuses = self.index.connector_statuses()
        rows = [self._connector_row(s, page.lang) for s in statuses]
        states: dict[str, int] = {}
        for status in statuses:
            states[status.state] = states.get(status.state, 0) + 1
        report = self.scheduler.last_report if self.scheduler is not None else None
        last = None
        if report is not None:
            last = {"finished": _when(report.finished, page.lang), "duration": report.duration,
                    "ok": report.ok, "failed": report.failed, "skipped": report.skipped}
        return self._respond(page, "site/connectors.html", current="connectors", rows=rows, states=states,
                             state_labels=STATE_LABELS, last=last)

    @staticmethod
    def _connector_row(status: ConnectorStatus, lang: str) -> dict[str, Any]:
        label_fr, label_en, kind = STATE_LABELS.get(status.state, (status.state, status.state, ""))
        error = None
        if status.last_error:
            message = status.last_error.get("message") or {}
            error = {"code": status.last_error.get("code") or status.last_error_code,
                     "message": message.get(lang) or message.get("fr"),
                     "status": status.last_error.get("status")}
        return {"did": status.did, "name": status.name or status.did, "category": _category(status.category, lang),
                "state": status.state, "state_label": label_en if lang == "en" else label_fr, "state_kind": kind,
                "stale": status.stale, "datasets": status.dataset_count, "latency": status.latency_ms,
                "last_success": _when(status.last_success, lang), "last_attempt": _when(status.last_attempt, lang),
                "next_attempt": _when(status.next_attempt, lang) if status.consecutive_failures else None,
                "failures": status.consecutive_failures, "error": error, "address": status.address,
                "problems": len(status.problems)}

    # -- signing in -----------------------------------------------------------------------------------------------

    def sign_in_page(self, request: Request) -> Response:
        page = self._page(request)
        if page.lang_error is not None:
            return self._bad_parameter(page, page.lang_error)
        next_url = _local(request.query_params.get("next")) or "/"
        return self._respond(page, "site/sign_in.html", error=None, next_url=next_url,
                             catalogue_did=self.catalogue_did, enabled=self.sign_in is not None,
                             csrf_field=CSRF_FIELD, session_minutes=self.sessions.max_age // 60)

    async def sign_in_post(self, request: Request) -> Response:
        form = await _form(request)
        page = self._page(request)
        t = page.t
        if not self.sessions.csrf_valid(request, _text(form.get(CSRF_FIELD))):
            return self._error(page, 403, ("Formulaire refusé", "Form refused"), t(
                "le formulaire a expiré ou ne vient pas de ce site : rechargez la page de connexion et réessayez.",
                "the form has expired or does not come from this site: reload the sign-in page and try again."),
                links=[("/connexion", t("Page de connexion", "Sign-in page"))])
        next_url = _local(_text(form.get("next"))) or "/"
        token = (_text(form.get("token")) or "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if self.sign_in is None:
            return self._sign_in_failed(page, next_url, t(
                "ce catalogue ne vérifie pas d'identité (aucune identité configurée)",
                "this catalogue verifies no identity (none configured)"))
        if not token:
            return self._sign_in_failed(page, next_url, t("collez un jeton d'identité", "paste an identity token"))
        if len(token) > MAX_TOKEN:
            return self._sign_in_failed(page, next_url, t(f"jeton trop long (au plus {MAX_TOKEN} caractères)",
                                                          f"token too long (at most {MAX_TOKEN} characters)"))
        try:
            requester = self.sign_in(token)
        except Unauthenticated as exc:
            return self._sign_in_failed(page, next_url, t(f"jeton refusé : {exc.fr}", f"token refused: {exc.en}"))
        if requester is None or requester.anonymous:
            return self._sign_in_failed(page, next_url, t("ce jeton n'établit aucune identité",
                                                          "this token establishes no identity"))
        response = RedirectResponse(next_url, status_code=303)
        self.sessions.open(request, response, {"did": requester.did, "name": requester.name,
                                               "category": requester.category, "kind": requester.kind,
                                               "siren": requester.siren})
        response.headers["Cache-Control"] = "no-store"
        return response

    def _sign_in_failed(self, page: _Page, next_url: str, message: str) -> Response:
        page.requester = None
        response = self._respond(page, "site/sign_in.html", status=401, error=message, next_url=next_url,
                                 catalogue_did=self.catalogue_did, enabled=self.sign_in is not None,
                                 csrf_field=CSRF_FIELD, session_minutes=self.sessions.max_age // 60)
        response.headers["WWW-Authenticate"] = 'Bearer realm="catalogue", error="invalid_token"'
        return response

    async def sign_out_post(self, request: Request) -> Response:
        form = await _form(request)
        page = self._page(request)
        if not self.sessions.csrf_valid(request, _text(form.get(CSRF_FIELD))):
            return self._error(page, 403, ("Formulaire refusé", "Form refused"), page.t(
                "le formulaire a expiré ou ne vient pas de ce site : rechargez la page et réessayez.",
                "the form has expired or does not come from this site: reload the page and try again."))
        response = RedirectResponse("/", status_code=303)
        self.sessions.close(request, response)
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- routes ---------------------------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        router.add_api_route("/", self.home, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route("/recherche", self.search, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route("/jeux/{ref:path}", self.sheet, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route("/connecteurs", self.connectors, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route("/connexion", self.sign_in_page, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route("/connexion", self.sign_in_post, methods=["POST"], response_class=HTMLResponse)
        router.add_api_route("/deconnexion", self.sign_out_post, methods=["POST"], response_class=HTMLResponse)
        router.include_router(static_router())
        return router


# -- the search page's parameters ------------------------------------------------------------------------------------


class _SearchState:
    """The search parameters of the page (without `lang`, `purpose`, `page`), and the URLs that change them."""

    def __init__(self, items: Sequence[tuple[str, str]], lang: str) -> None:
        self.items = [(k, v) for k, v in items if k != "page"]
        self.lang = lang

    def selected(self, name: str) -> list[str]:
        return [v for k, v in self.items if k == name]

    def value(self, name: str) -> str:
        return next((v for k, v in self.items if k == name), "")

    def url(self, items: Sequence[tuple[str, str]]) -> str:
        return "/recherche" + (f"?{urlencode(items)}" if items else "")

    def toggle_url(self, name: str, value: str) -> str:
        if (name, value) in self.items:
            return self.url([item for item in self.items if item != (name, value)])
        return self.url([*self.items, (name, value)])

    def without(self, name: str) -> str:
        return self.url([item for item in self.items if item[0] != name])

    def page_url(self, number: int) -> str:
        return self.url([*self.items, ("page", str(number))] if number > 1 else self.items)

    def hidden(self, *, exclude: Sequence[str]) -> list[tuple[str, str]]:
        """The parameters the search form carries as hidden fields (the facet filters)."""
        return [(k, v) for k, v in self.items if k not in exclude]

    def chips(self, query: DatasetQuery, site: CatalogueSite) -> list[tuple[str, str]]:
        """(text, URL that removes it) for each active filter."""
        t = (lambda fr, en: en if self.lang == "en" else fr)  # noqa: E731
        out = []
        if query.text:
            out.append((t(f"Mots : « {query.text} »", f"Words: '{query.text}'"), self.without("q")))
        if query.territory:
            out.append((t(f"Territoire : {query.territory_label}", f"Territory: {query.territory_label}"),
                        self.without("territory")))
        elif query.bbox:
            out.append((t("Emprise : ", "Extent: ") + ", ".join(f"{v:g}" for v in query.bbox), self.without("bbox")))
        if query.use_case:
            out.append((t(f"Cas d'usage : {query.use_case}", f"Use case: {query.use_case}"), self.without("usecase")))
        for name, value in self.items:
            if name not in FACETS_BY_NAME:
                continue
            facet = FACETS_BY_NAME[name]
            try:
                stored = facet.read(value, site.registry)
            except QueryError:
                continue
            if name == "provider":
                status = site.index.connector_status(stored)
                label = (status.name if status and status.name else stored)
            else:
                label = facet.label(stored, site.registry)["en" if self.lang == "en" else "fr"]
            name_label = facet.label_en if self.lang == "en" else facet.label_fr
            out.append((f"{name_label} : {label}" if self.lang == "fr" else f"{name_label}: {label}",
                        self.toggle_url(name, value)))
        return out

    def pager(self, query: DatasetQuery, result: SearchResult) -> dict[str, Any]:
        return {"page": query.page, "pages": result.pages,
                "prev": self.page_url(query.page - 1) if query.page > 1 else None,
                "next": self.page_url(query.page + 1) if query.page < result.pages else None,
                "first": (query.page - 1) * query.per_page + 1 if result.total else 0,
                "last": min(result.total, query.page * query.per_page)}


def _without(query: DatasetQuery, name: str) -> DatasetQuery:
    """The same search without the facet `name`'s filter, for that facet's counts."""
    if name == "geoconcept":
        return dataclasses.replace(query, geoconcepts=(), page=1, per_page=1)
    return dataclasses.replace(query, filters=tuple(f for f in query.filters if f[0] != name), page=1, per_page=1)


def _territory_label(query: DatasetQuery) -> str | None:
    return query.territory_label if query.territory else None


@cache
def _territory_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The territory picker's options, grouped by kind (kind label, [(code, label)])."""
    kinds = {"region": ("Régions", "Regions"), "departement": ("Départements", "Départements"),
             "epci": ("Intercommunalités", "Intercommunalities"), "commune": ("Communes", "Communes")}
    groups: dict[str, list[tuple[str, str]]] = {}
    for territory in all_territories():
        groups.setdefault(territory.kind, []).append((territory.code, territory.name))
    return [(kind, sorted(values, key=lambda v: v[1])) for kind, values in groups.items() if kind in kinds]


def _purposes(lang: str) -> list[tuple[str, str]]:
    return [(p.name, p.label(lang)) for p in PURPOSES.values()]


def _purpose_name(iri: str) -> str:
    return next((p.name for p in PURPOSES.values() if p.iri == iri), iri)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def _form(request: Request) -> dict[str, str]:
    """The fields of a small urlencoded form (the first value of each); anything else, or too large, is empty."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_TOKEN + 4096:
            return {}
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def _local(url: str | None) -> str | None:
    """`url` if it is a path of this site (never another site's address, to which a sign-in must not lead)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or any(c in url for c in "\r\n"):
        return None
    return url


def _sorts(query: DatasetQuery, lang: str) -> list[tuple[str, str, bool]]:
    names = [s for s in SORT_LABELS if s != "relevance" or query.terms]
    return [(s, SORT_LABELS[s][1 if lang == "en" else 0], s == query.sort) for s in names]


# -- the sheet's values, criterion by criterion ----------------------------------------------------------------------


def _join(items: Iterable[str | None]) -> str | None:
    values = [i for i in items if i]
    return ", ".join(values) if values else None


def _criterion_rows(key: str, c: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    """(label, value) rows of one criterion of `sheet_view` (labels from the sheet's model; None: not given)."""
    def lab(item: dict[str, Any] | None) -> str | None:
        return _label(item, lang)

    def row(path: str, value: Any) -> tuple[str, Any]:
        return (_field_label(path, lang), value)

    when = (lambda v: (_when(v, lang, time_of_day=False) or {}).get("text"))  # noqa: E731
    if key == "nature":
        return [row("nature.title", c["title"]), row("nature.description", c["description"]),
                row("nature.geoconcept", lab(c["geoconcept"])), row("nature.role", lab(c["role"])),
                row("nature.inspire_themes", _join(lab(x) for x in c["themes"])),
                row("nature.dataset_type", (c["dataset_type"] or "").rsplit("/", 1)[-1] or None),
                row("nature.keywords", _join(c["keywords"])), row("nature.identifier", c["identifier"])]
    if key == "provenance":
        publisher, contact = c["publisher"], c["contact"]
        return [row("provenance.publisher", publisher and (publisher["name"] or publisher["iri"])),
                row("provenance.publisher_type", publisher and lab(publisher["category"])),
                row("provenance.contact", contact and _join([contact["name"], contact["email"], contact["url"]]))]
    if key == "frequency":
        temporal = c["temporal"]
        span = None
        if temporal["start"] or temporal["end"]:
            span = f"{when(temporal['start']) or '…'} → {when(temporal['end']) or '…'}"
        return [row("frequency.accrual_periodicity", lab(c["accrual_periodicity"])),
                row("frequency.modified", when(c["modified"])), row("frequency.issued", when(c["issued"])),
                (("Couverture temporelle", "Temporal coverage")[lang == "en"], span),
                row("frequency.temporal_resolution", c["temporal_resolution"]), row("frequency.version", c["version"])]
    if key == "origin":
        return [row("origin.acquisition_mode", lab(c["acquisition_mode"]))]
    if key == "licence":
        return [row("licence.licence", lab(c["licence"]))]
    if key == "extent":
        bbox = c["bbox"]
        return [row("extent.bbox", None if not bbox else "{:g}, {:g} — {:g}, {:g}".format(*bbox)),
                row("extent.admin_units", _join(lab(x) for x in c["admin_units"])),
                row("extent.reference_systems", _join(lab(x) for x in c["reference_systems"]))]
    if key == "access":
        return [row("access.access_rights", lab(c["access_rights"])),
                (("Formats de transfert", "Transfer formats")[lang == "en"], _join(c["formats"])),
                row("access.landing_page", c["landing_page"])]
    if key == "precision":
        scale = c["scale_denominator"]
        return [row("precision.resolution_m", None if c["resolution_m"] is None else f"{c['resolution_m']:g} m"),
                row("precision.scale_denominator", None if scale is None else f"1:{scale:,}".replace(",", "\u202f"))]
    if key == "quality":
        return [row("quality.conformity", _join(f"{x['title'] or x['specification']} — {lab(x['degree']) or '?'}"
                                                for x in c["conformity"]))]
    if key == "standard":
        return [row("standard.conforms_to", _join(x["title"] or x["iri"] for x in c["conforms_to"]))]
    return []


__all__ = ["CatalogueSite", "SignIn", "SiteLinks"]
