"""The participant console's pages (server-rendered HTML under `/console`): sign-in and sign-out, the dashboard,
datasets (list, sheet, publication from an ISO 19139 record), policies (template or ODRL, with a test request),
negotiations (list, detail, starting one from a provider's catalogue), agreements, transfers (start, follow, pull
the data), access plans (obtain what a plan of the federated catalogue lists, with progress) and the audit log.

Every page but the sign-in page needs a session (`auth`): a GET without one is sent to the sign-in page, a POST
without one answers 401, and a POST whose CSRF token does not match the session's answers 403. Actions go through
the management API in process (`api`), so its checks and messages are the console's."""

from __future__ import annotations

import hmac
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import UploadFile

from catalog.dsp_parse import CatalogParseError, parse_catalog
from catalog.geoconcepts import Registry
from catalog.iso19139 import IsoImportError, import_iso_bytes
from catalog.shacl import validate_sheet
from catalog.sheet import CRITERIA, Sheet
from connector.control.plane import ControlPlane
from connector.dsp.schemas import CONTEXT_URL
from connector.identity.auth import DspAuth
from policies import PolicyError, parse_policy
from policies.profile import CATEGORY_LABELS
from policies.purposes import PURPOSES

from . import forms
from .api import ApiRefusal, ManagementCalls
from .auth import Authenticator, Session, SignInLimiter

log = logging.getLogger("jnt.console")

PREFIX = "/console"
SESSION_COOKIE = "jnt_console"
LOGIN_COOKIE = "jnt_console_login"
LANG_COOKIE = "jnt_lang"
MAX_UPLOAD = 5 * 1024 * 1024
PAGE = 25
STATIC = Path(__file__).parent / "static"
_FINAL = {"FINALIZED", "TERMINATED", "COMPLETED"}
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class SignInNeeded(Exception):
    pass


class Refused(Exception):
    def __init__(self, status: int, fr: str, en: str) -> None:
        super().__init__(en)
        self.status, self.fr, self.en = status, fr, en


@dataclass
class Page:
    """What every page knows of the request: the session (None on the sign-in page) and the language."""

    request: Request
    session: Session | None
    lang: str
    lang_changed: bool = False

    def t(self, fr: str, en: str) -> str:
        return en if self.lang == "en" else fr


def _text(value: Any, lang: str) -> str:
    """A sheet value for people: lists joined, agents by name, dates as ISO, nested parts compacted."""
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, int | float) for v in value):
            return ", ".join(f"{v:g}" for v in value)
        return " ; ".join(_text(v, lang) for v in value)
    if isinstance(value, dict):
        for key in ("name", "title", "specification_title", "access_url", "email", "url", "iri"):
            if value.get(key):
                return str(value[key])
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v)
    if hasattr(value, "model_dump"):
        return _text(value.model_dump(mode="json"), lang)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _field_value(sheet: Sheet, path: str, lang: str) -> str:
    part, _, names = path.partition(".")
    section = getattr(sheet, part, None)
    shown = [_text(getattr(section, name, None), lang) for name in names.split("|")]
    return " ; ".join(v for v in shown if v)


def _when(value: Any) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _offer_words(offer: dict[str, Any], lang: str) -> list[str]:
    doc = dict(offer)
    doc.setdefault("@context", [CONTEXT_URL])
    try:
        return forms.plain_words(parse_policy(doc), lang)
    except PolicyError as exc:
        return [("offre illisible : " if lang == "fr" else "unreadable offer: ") +
                "; ".join(p.message(lang) if hasattr(p, "message") else str(p) for p in exc.problems)]


def _form_dict(data: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in data:
        items = data.getlist(key)
        out[key] = items if len(items) > 1 else items[0]
    return out


def _safe_next(target: str | None) -> str:
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


class _ConsoleRoute(APIRoute):
    """Console failures become pages: a missing session a redirect (GET) or 401 (POST), a refusal its status."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()
        console: Console = self.console  # type: ignore[attr-defined]

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInNeeded:
                if request.method == "GET":
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"{PREFIX}/connexion?{urlencode({'suivant': target})}", 303,
                                            headers=_SECURITY_HEADERS)
                return console.error_page(request, 401, "Session absente ou expirée : se reconnecter.",
                                          "No session, or it expired: sign in again.")
            except Refused as exc:
                return console.error_page(request, exc.status, exc.fr, exc.en)
            except Exception:
                log.exception("console: unexpected error on %s %s", request.method, request.url.path)
                return console.error_page(request, 500, "Erreur interne du connecteur (voir son journal).",
                                          "Internal connector error (see its log).")
            for name, value in _SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded


class Console:
    def __init__(self, plane: ControlPlane, auth: Authenticator, *, registry: Callable[[], Registry],
                 sources_dir: Path, default_lang: str = "fr", participant_name: str | None = None,
                 secure_cookies: bool = False, limiter: SignInLimiter | None = None) -> None:
        self.plane = plane
        self.auth = auth
        self._registry = registry
        self.sources_dir = sources_dir
        self.default_lang = default_lang if default_lang in ("fr", "en") else "fr"
        self.name = participant_name or plane.did
        self.secure_cookies = secure_cookies
        self.limiter = limiter or SignInLimiter()
        self.env = Environment(loader=PackageLoader("connector.console", "templates"),
                               autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        self.env.filters["when"] = _when
        self.env.filters["quote"] = lambda v: quote(str(v), safe="")
        self.env.globals.update(prefix=PREFIX, criteria=CRITERIA)

    # -- plumbing ---------------------------------------------------------------------------------------------------
    # The géo-concept registry and the in-process management API are built on first use: a process hosting many
    # participants (the demo: 40) pays for them only for the consoles someone opens.

    @cached_property
    def registry(self) -> Registry:
        return self._registry()

    @cached_property
    def api(self) -> ManagementCalls:
        return ManagementCalls(self.plane)

    def _lang(self, request: Request, session: Session | None) -> tuple[str, bool]:
        asked = request.query_params.get("lang")
        if asked in ("fr", "en"):
            return asked, True
        cookie = request.cookies.get(LANG_COOKIE)
        if cookie in ("fr", "en"):
            return cookie, False
        return self.default_lang, False

    def _secure(self, request: Request) -> bool:
        return self.secure_cookies or request.url.scheme == "https"

    def page(self, request: Request, *, signed_in: bool = True) -> Page:
        session = self.auth.decode(request.cookies.get(SESSION_COOKIE))
        if signed_in and session is None:
            raise SignInNeeded()
        lang, changed = self._lang(request, session)
        return Page(request, session, lang, changed)

    async def posted(self, request: Request) -> tuple[Page, dict[str, Any]]:
        """The page and the submitted form of a POST, after the session and CSRF checks."""
        page = self.page(request)
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
            raise Refused(403, "Requête d'un autre site refusée.", "Cross-site request refused.")
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD + 65536:
            raise Refused(413, "Envoi trop volumineux (5 Mo au plus).", "Upload too large (5 MB at most).")
        data = await request.form(max_files=2, max_fields=400)
        form = _form_dict(data)
        token = form.get("csrf")
        assert page.session is not None
        if not isinstance(token, str) or not hmac.compare_digest(token, page.session.csrf):
            raise Refused(403, "Jeton anti-falsification (CSRF) absent ou incorrect : recharger la page et "
                          "recommencer.", "CSRF token missing or wrong: reload the page and try again.")
        return page, form

    def _cookies(self, page: Page, response: Response) -> Response:
        if page.session is not None:
            response.set_cookie(SESSION_COOKIE, self.auth.encode(self.auth.renew(page.session)),
                                max_age=self.auth.idle_seconds, path=PREFIX, httponly=True, samesite="strict",
                                secure=self._secure(page.request))
        if page.lang_changed:
            response.set_cookie(LANG_COOKIE, page.lang, max_age=365 * 86400, path=PREFIX, httponly=True,
                                samesite="strict", secure=self._secure(page.request))
        return response

    def render(self, page: Page, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        request = page.request
        other = "en" if page.lang == "fr" else "fr"
        params = dict(request.query_params)
        params["lang"] = other
        body = self.env.get_template(template).render(
            t=page.t, lang=page.lang, session=page.session, csrf=page.session.csrf if page.session else "",
            participant=self.name, did=self.plane.did, path=request.url.path,
            switch_url=f"{request.url.path}?{urlencode(params)}", other_lang=other, text=lambda v: _text(v, page.lang),
            field_value=lambda sheet, path: _field_value(sheet, path, page.lang),
            **context)
        return self._cookies(page, HTMLResponse(body, status_code=status, headers=_SECURITY_HEADERS))

    def redirect(self, page: Page, target: str) -> Response:
        return self._cookies(page, RedirectResponse(target, 303, headers=_SECURITY_HEADERS))

    def error_page(self, request: Request, status: int, fr: str, en: str) -> HTMLResponse:
        session = self.auth.decode(request.cookies.get(SESSION_COOKIE))
        lang, _ = self._lang(request, session)
        page = Page(request, session, lang)
        return self.render(page, "error.html", status=status, message=page.t(fr, en), status_code=status)

    async def fetch(self, path: str, ident: str) -> Any:
        """`GET <path>/<ident>` of the management API; its refusal (404…) becomes the console's."""
        answer, refusal = await self.try_api(self.api.get(f"{path}/{quote(ident, safe='')}"))
        if refusal:
            raise Refused(refusal.status, refusal.message("fr"), refusal.message("en"))
        return answer

    async def listing(self, request: Request, path: str, template: str, *filters: str) -> Response:
        """A paged list page of the management API's `path`, with the query's `filters` passed on."""
        page = self.page(request)
        try:
            offset = max(0, int(request.query_params.get("offset") or 0))
        except ValueError:
            offset = 0
        chosen = {name: request.query_params.get(name) or "" for name in filters}
        answer, refusal = await self.try_api(self.api.get(path, offset=offset, limit=PAGE, **chosen))
        return self.render(page, template, page_data=answer or {"items": [], "total": 0}, offset=offset, size=PAGE,
                           error=refusal.message(page.lang) if refusal else None, **chosen)

    async def try_api(self, call: Awaitable[Any]) -> tuple[Any, ApiRefusal | None]:
        try:
            return await call, None
        except ApiRefusal as refusal:
            return None, refusal

    # -- sign-in ----------------------------------------------------------------------------------------------------

    def _client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def _login_page(self, page: Page, status: int = 200, *, error: str | None = None,
                    notice: str | None = None, retry_after: int | None = None) -> Response:
        nonce, cookie = self.auth.login_nonce()
        response = self.render(page, "login.html", status=status, nonce=nonce, error=error, notice=notice,
                               has_token=self.auth.token is not None, has_users=bool(self.auth.users),
                               enabled=self.auth.enabled, next=_safe_next(page.request.query_params.get("suivant")))
        response.set_cookie(LOGIN_COOKIE, cookie, max_age=1800, path=PREFIX, httponly=True, samesite="strict",
                            secure=self._secure(page.request))
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def login_form(self, request: Request) -> Response:
        page = self.page(request, signed_in=False)
        if page.session is not None:
            return self.redirect(page, _safe_next(request.query_params.get("suivant")))
        notice = page.t("Vous êtes déconnecté.", "You are signed out.") if request.query_params.get("sortie") \
            else None
        return self._login_page(page, notice=notice)

    async def login(self, request: Request) -> Response:
        page = self.page(request, signed_in=False)
        form = _form_dict(await request.form(max_files=0, max_fields=20))
        client = self._client(request)
        wait = self.limiter.retry_after(client)
        if wait:
            return self._login_page(page, 429, retry_after=wait, error=page.t(
                f"Trop de tentatives de connexion échouées : réessayer dans {math.ceil(wait / 60)} min.",
                f"Too many failed sign-ins: try again in {math.ceil(wait / 60)} min."))
        if not self.auth.check_login_nonce(form.get("nonce"), request.cookies.get(LOGIN_COOKIE)):
            return self._login_page(page, 403, error=page.t(
                "Formulaire expiré ou envoyé d'ailleurs : recommencer.",
                "The form expired or was sent from elsewhere: try again."))
        user: str | None = None
        token, name, password = (str(form.get(k) or "") for k in ("token", "username", "password"))
        if token and self.auth.check_token(token):
            user = "token"
        elif name and password and name != "token" and self.auth.check_password(name, password):
            user = name
        if user is None:
            self.limiter.failed(client)
            return self._login_page(page, 401, error=page.t(
                "Identifiants incorrects." if self.auth.enabled else "La console n'est pas activée.",
                "Wrong credentials." if self.auth.enabled else "The console is not enabled."))
        self.limiter.succeeded(client)
        session = self.auth.open(user, lang=page.lang)
        response = RedirectResponse(_safe_next(str(form.get("suivant") or "")), 303, headers=_SECURITY_HEADERS)
        response.set_cookie(SESSION_COOKIE, self.auth.encode(session), max_age=self.auth.idle_seconds, path=PREFIX,
                            httponly=True, samesite="strict", secure=self._secure(request))
        response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
        return response

    async def logout(self, request: Request) -> Response:
        page, _ = await self.posted(request)
        assert page.session is not None
        self.auth.close(page.session)
        response = RedirectResponse(f"{PREFIX}/connexion?sortie=1", 303, headers=_SECURITY_HEADERS)
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    async def stylesheet(self, request: Request) -> Response:
        # Public: the sign-in page needs it, and it holds nothing of the participant's.
        return PlainTextResponse((STATIC / "console.css").read_text(encoding="utf-8"), media_type="text/css",
                                 headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})

    # -- dashboard --------------------------------------------------------------------------------------------------

    async def dashboard(self, request: Request) -> Response:
        page = self.page(request)
        counts = {}
        for key, path in (("datasets", "/datasets"), ("negotiations", "/negotiations"),
                          ("agreements", "/agreements"), ("transfers", "/transfers"), ("received", "/received")):
            answer, _ = await self.try_api(self.api.get(path, limit=1))
            counts[key] = answer["total"] if answer else None
        running, _ = await self.try_api(self.api.get("/negotiations", state="REQUESTED", limit=1))
        started, _ = await self.try_api(self.api.get("/transfers", state="STARTED", limit=1))
        events, _ = await self.try_api(self.api.get("/audit", limit=10))
        return self.render(page, "dashboard.html", counts=counts, events=(events or {}).get("items", []),
                           dsp_url=self.plane.dsp_url, running=(running or {}).get("total"),
                           started=(started or {}).get("total"))

    # -- datasets ---------------------------------------------------------------------------------------------------

    async def datasets(self, request: Request) -> Response:
        return await self.listing(request, "/datasets", "datasets.html")

    async def dataset(self, request: Request) -> Response:
        page = self.page(request)
        answer = await self.fetch("/datasets", request.query_params.get("id", ""))
        sheet = Sheet.model_validate(answer["sheet"])
        offers = [{"id": o["offer_id"], "words": _offer_words(o["policy"], page.lang), "policy": o["policy"]}
                  for o in answer["policies"]]
        return self.render(page, "dataset.html", dataset=answer, sheet=sheet, completeness=sheet.completeness(),
                           offers=offers, published=request.query_params.get("publie") == "1",
                           sheet_json=json.dumps(answer["sheet"], ensure_ascii=False, indent=2))

    def _new_context(self, page: Page, sheet: Sheet, missing: list[str], form: dict[str, Any]) -> dict[str, Any]:
        table = forms.editors(self.registry)
        completeness = sheet.completeness()
        still = {f.path for f in completeness.missing_mandatory()}
        return {"sheet": sheet, "completeness": completeness, "missing": missing, "still": still,
                "editors": [table[p] for p in missing if p in table], "form": form,
                "sources": forms.source_choices(self.sources_dir),
                "licences": forms.LICENCE_CHOICES, "accesses": forms.ACCESS_CHOICES,
                "categories": forms.CATEGORY_CHOICES, "purposes": forms.PURPOSE_CHOICES,
                "sheet_json": sheet.model_dump_json(), "missing_text": ",".join(missing)}

    async def new_dataset_form(self, request: Request) -> Response:
        page = self.page(request)
        return self.render(page, "dataset_import.html", error=None, record="")

    async def new_dataset(self, request: Request) -> Response:
        page, form = await self.posted(request)
        action = forms.value(form, "action") or "import"
        if action == "import":
            record = forms.value(form, "iso19139")
            upload = form.get("iso_file")
            data = record.encode("utf-8")
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(MAX_UPLOAD + 1)
                if len(data) > MAX_UPLOAD:
                    raise Refused(413, "Fiche trop volumineuse (5 Mo au plus).", "Record too large (5 MB at most).")
            if not data.strip():
                return self.render(page, "dataset_import.html", status=400, record=record, error=page.t(
                    "Coller une fiche ISO 19139 ou choisir un fichier.", "Paste an ISO 19139 record or choose a file."))
            try:
                result = await run_in_threadpool(import_iso_bytes, data, registry=self.registry)
            except IsoImportError as exc:
                return self.render(page, "dataset_import.html", status=400, record=record, error=exc.message(page.lang))
            sheet = result.sheet
            missing = forms.missing_paths(sheet)
            context = self._new_context(page, sheet, missing, {
                "licence": forms.licence_key(sheet.licence.licence),
                "access": forms.access_key(sheet.access.access_rights), "policy_mode": "template"})
            notices = [{"fr": n.fr, "en": n.en} for n in result.warnings]
            return self.render(page, "dataset_new.html", notices=notices, notices_json=json.dumps(notices),
                               field_errors={}, policy=None, report=None, errors=[], **context)
        try:
            sheet = forms.sheet_from_json(forms.value(form, "sheet"))
            notices = json.loads(forms.value(form, "notices") or "[]")
        except ValueError:
            raise Refused(400, "Brouillon illisible : recommencer l'import.",
                          "Unreadable draft: import the record again.") from None
        missing = [p for p in forms.value(form, "missing").split(",") if p]
        filled, field_errors = forms.apply_fields(sheet, missing, form, self.registry)
        choice = forms.read_policy_form(form, uid=f"{filled.id}#offer", assigner=self.plane.did, sheet=filled)
        source = forms.data_source(forms.value(form, "data_source"))
        report = await run_in_threadpool(validate_sheet, filled, page.lang, registry=self.registry)
        errors: list[str] = []
        status = 200
        if action == "publish":
            still = filled.completeness().missing_mandatory()
            if field_errors or choice.errors:
                errors.append(page.t("Corriger les champs signalés.", "Correct the fields marked."))
            elif still:
                labels = ", ".join((f.label_en if page.lang == "en" else f.label_fr) for f in still)
                errors.append(page.t(f"Champs obligatoires encore vides : {labels}.",
                                     f"Mandatory fields still empty: {labels}."))
            else:
                body = {"sheet": filled.model_dump(mode="json"), **choice.body, "data_source": source}
                published, refusal = await self.try_api(self.api.post("/datasets", body))
                if published:
                    return self.redirect(page, f"{PREFIX}/jeux/fiche?id={quote(published['id'], safe='')}&publie=1")
                assert refusal is not None
                errors.extend(refusal.messages(page.lang))
            status = 400 if errors else 200
        context = self._new_context(page, sheet, missing, form)
        context["sheet"] = filled  # shown as filled; the hidden draft stays the record as imported
        context["completeness"] = filled.completeness()
        context["still"] = {f.path for f in context["completeness"].missing_mandatory()}
        return self.render(page, "dataset_new.html", status=status, notices=notices, notices_json=json.dumps(notices),
                           field_errors={k: v(page.lang) for k, v in field_errors.items()},
                           policy_errors={k: v(page.lang) for k, v in choice.errors.items()},
                           policy=forms.plain_words(choice.policy, page.lang), report=report, errors=errors,
                           checked=True, **context)

    # -- policies ---------------------------------------------------------------------------------------------------

    async def policies(self, request: Request) -> Response:
        page = self.page(request)
        offers, _ = await self.try_api(self.api.get("/offers", limit=500))
        form = {"policy_mode": "template", "licence": "restricted", "access": "restricted"}
        return self.render(page, "policies.html", form=form, offers=(offers or {}).get("items", []),
                           **self._policy_lists())

    def _policy_lists(self) -> dict[str, Any]:
        return {"licences": forms.LICENCE_CHOICES, "accesses": forms.ACCESS_CHOICES,
                "categories": forms.CATEGORY_CHOICES, "purposes": forms.PURPOSE_CHOICES}

    async def policies_test(self, request: Request) -> Response:
        page, form = await self.posted(request)
        offers, _ = await self.try_api(self.api.get("/offers", limit=500))
        items = (offers or {}).get("items", [])
        policy = None
        policy_errors: dict[str, str] = {}
        if forms.value(form, "policy_mode") == "published":
            chosen = next((o for o in items if o["offer_id"] == forms.value(form, "offer")), None)
            if chosen is None:
                policy_errors["offer"] = page.t("choisir une offre publiée", "choose a published offer")
            else:
                doc = dict(chosen["policy"])
                doc.setdefault("@context", [CONTEXT_URL])
                try:
                    policy = parse_policy(doc)
                except PolicyError as exc:
                    policy_errors["offer"] = "; ".join(
                        (p.message_en if page.lang == "en" else p.message_fr) for p in exc.problems)
        else:
            choice = forms.read_policy_form(form, uid="urn:jnt:console:test-offer", assigner=self.plane.did)
            policy = choice.policy
            policy_errors = {k: v(page.lang) for k, v in choice.errors.items()}
        outcome, test_errors = (None, {})
        if policy is not None:
            outcome, errors = forms.test_request(policy, form, page.lang)
            test_errors = {k: v(page.lang) for k, v in errors.items()}
        status = 400 if policy_errors or test_errors else 200
        return self.render(page, "policies.html", status=status, form=form, offers=items,
                           words=forms.plain_words(policy, page.lang), outcome=outcome,
                           policy_errors=policy_errors, test_errors=test_errors, **self._policy_lists())

    # -- negotiations -----------------------------------------------------------------------------------------------

    async def negotiations(self, request: Request) -> Response:
        return await self.listing(request, "/negotiations", "negotiations.html", "role", "state")

    def _history(self, kind: str, process_id: str) -> list[dict[str, Any]]:
        from sqlalchemy import select
        from sqlalchemy.orm import Session as DbSession

        from connector.store.schema import MessageSeen

        with DbSession(self.plane.store.engine) as db:
            rows = db.scalars(select(MessageSeen).where(MessageSeen.process_kind == kind,
                                                        MessageSeen.process_id == process_id)
                              .order_by(MessageSeen.received_at)).all()
            return [{"at": r.received_at.isoformat(), "message": r.message_type} for r in rows if r.message_type]

    async def negotiation(self, request: Request) -> Response:
        page = self.page(request)
        process_id = request.path_params["process_id"]
        answer = await self.fetch("/negotiations", process_id)
        events = []
        if answer.get("agreement_id"):
            audit, _ = await self.try_api(self.api.get("/audit", agreement=answer["agreement_id"], limit=50))
            events = (audit or {}).get("items", [])
        decision = answer.get("decision") or {}
        explanation = decision.get(page.lang) or decision.get("fr") or []
        return self.render(page, "negotiation.html", n=answer, history=self._history("negotiation", process_id),
                           events=events, explanation=explanation if isinstance(explanation, list) else [explanation],
                           refresh=answer["state"] not in _FINAL)

    async def negotiation_stop(self, request: Request) -> Response:
        page, form = await self.posted(request)
        process_id = request.path_params["process_id"]
        reason = forms.value(form, "reason") or None
        _, refusal = await self.try_api(self.api.post(f"/negotiations/{quote(process_id, safe='')}/terminate",
                                                      {"reason": reason} if reason else None))
        if refusal:
            raise Refused(refusal.status, refusal.message("fr"), refusal.message("en"))
        return self.redirect(page, f"{PREFIX}/negociations/{quote(process_id, safe='')}")

    async def negotiation_new(self, request: Request) -> Response:
        page = self.page(request)
        address = (request.query_params.get("address") or "").strip()
        did = (request.query_params.get("did") or "").strip()
        datasets: list[dict[str, Any]] = []
        error = None
        if address or did:
            answer, refusal = await self.try_api(self.api.get("/catalog", address=address, did=did))
            if refusal:
                error = refusal.message(page.lang)
            else:
                try:
                    catalog = parse_catalog(answer, strict=False, lang=page.lang)
                except CatalogParseError as exc:
                    error = page.t(f"catalogue illisible : {exc}", f"unreadable catalogue: {exc}")
                else:
                    for d in catalog.datasets:
                        datasets.append({"id": d.id, "title": d.title or d.id, "description": d.description,
                                         "offers": [{"id": o.id, "json": json.dumps(o.raw, ensure_ascii=False),
                                                     "words": _offer_words(o.raw, page.lang)} for o in d.offers]})
        return self.render(page, "negotiation_new.html", address=address, provider_did=did, datasets=datasets,
                           error=error,
                           purposes=forms.PURPOSE_CHOICES)

    async def negotiation_start(self, request: Request) -> Response:
        page, form = await self.posted(request)
        try:
            offer = json.loads(forms.value(form, "offer"))
        except ValueError:
            raise Refused(400, "Offre illisible.", "Unreadable offer.") from None
        body = {"provider_address": forms.value(form, "address"), "provider_did": forms.value(form, "did"),
                "dataset_id": forms.value(form, "dataset_id"), "offer": offer,
                "purpose": forms.value(form, "purpose") or None, "territory": forms.value(form, "territory") or None}
        started, refusal = await self.try_api(self.api.post("/negotiations", body))
        if refusal:
            raise Refused(refusal.status, "La négociation n'a pas démarré : " + refusal.message("fr"),
                          "The negotiation did not start: " + refusal.message("en"))
        return self.redirect(page, f"{PREFIX}/negociations/{started['id']}")

    # -- agreements -------------------------------------------------------------------------------------------------

    async def agreements(self, request: Request) -> Response:
        return await self.listing(request, "/agreements", "agreements.html")

    async def agreement(self, request: Request) -> Response:
        page = self.page(request)
        agreement_id = request.query_params.get("id", "")
        answer = await self.fetch("/agreements", agreement_id)
        transfers = await self.api.get("/transfers", limit=200)
        mine = [t for t in transfers["items"] if t["agreement_id"] == agreement_id]
        return self.render(page, "agreement.html", a=answer, words=_offer_words(answer["policy"], page.lang),
                           transfers=mine, policy_json=json.dumps(answer["policy"], ensure_ascii=False, indent=2))

    # -- transfers --------------------------------------------------------------------------------------------------

    async def transfers(self, request: Request) -> Response:
        return await self.listing(request, "/transfers", "transfers.html", "role", "state")

    async def transfer_start(self, request: Request) -> Response:
        page, form = await self.posted(request)
        body = {"agreement_id": forms.value(form, "agreement_id"),
                "format": forms.value(form, "format") or "HttpData-PULL"}
        started, refusal = await self.try_api(self.api.post("/transfers", body))
        if refusal:
            raise Refused(refusal.status, "Le transfert n'a pas démarré : " + refusal.message("fr"),
                          "The transfer did not start: " + refusal.message("en"))
        return self.redirect(page, f"{PREFIX}/transferts/{started['id']}")

    async def _transfer_page(self, page: Page, process_id: str, *, status: int = 200, copy: dict | None = None,
                             error: str | None = None) -> Response:
        answer = await self.fetch("/transfers", process_id)
        received, _ = await self.try_api(self.api.get("/received", transfer=process_id, limit=50))
        address = answer.get("data_address") or {}
        endpoint = address.get("endpoint") if isinstance(address, dict) else None
        busy = answer["state"] in ("INITIAL", "REQUESTED") or bool(answer.get("intent"))
        return self.render(page, "transfer.html", status=status, tr=answer, endpoint=endpoint, copy=copy, error=error,
                           copies=(received or {}).get("items", []), history=self._history("transfer", process_id),
                           refresh=busy and copy is None and error is None)

    async def transfer(self, request: Request) -> Response:
        return await self._transfer_page(self.page(request), request.path_params["process_id"])

    async def transfer_fetch(self, request: Request) -> Response:
        page, form = await self.posted(request)
        process_id = request.path_params["process_id"]
        body = {k: forms.value(form, k) for k in ("path", "bbox") if forms.value(form, k)}
        copy, refusal = await self.try_api(self.api.post(f"/transfers/{quote(process_id, safe='')}/fetch",
                                                         body or None))
        if refusal:
            return await self._transfer_page(page, process_id, status=refusal.status if refusal.status < 500 else 502,
                                             error=" ".join(refusal.messages(page.lang)))
        return await self._transfer_page(page, process_id, copy=copy)

    async def transfer_action(self, request: Request) -> Response:
        page, _ = await self.posted(request)
        process_id, action = request.path_params["process_id"], request.path_params["action"]
        if action not in ("suspend", "resume", "complete", "terminate"):
            raise Refused(404, "Action inconnue.", "Unknown action.")
        _, refusal = await self.try_api(self.api.post(f"/transfers/{quote(process_id, safe='')}/{action}"))
        if refusal:
            return await self._transfer_page(page, process_id, status=refusal.status,
                                             error=refusal.message(page.lang))
        return self.redirect(page, f"{PREFIX}/transferts/{quote(process_id, safe='')}")

    # -- audit log --------------------------------------------------------------------------------------------------

    async def audit(self, request: Request) -> Response:
        page = self.page(request)
        q = request.query_params
        try:
            offset = max(0, int(q.get("offset") or 0))
        except ValueError:
            offset = 0
        filters = {k: (q.get(k) or "").strip() for k in ("agreement", "transfer", "dataset", "event")}
        answer, refusal = await self.try_api(self.api.get("/audit", offset=offset, limit=PAGE, **filters))
        verify, verify_refusal = await self.try_api(self.api.get("/audit/verify"))
        return self.render(page, "audit.html", page_data=answer or {"items": [], "total": 0}, offset=offset, size=PAGE,
                           filters=filters, error=refusal.message(page.lang) if refusal else None, verify=verify,
                           query=urlencode({k: v for k, v in filters.items() if v}),
                           verify_error=verify_refusal.message(page.lang) if verify_refusal else None)

    # -- access plans -----------------------------------------------------------------------------------------------

    async def plans(self, request: Request) -> Response:
        return await self._plans(self.page(request))

    async def _plans(self, page: Page, *, status: int = 200, error: str | None = None,
                     form: dict[str, Any] | None = None) -> Response:
        runs, refusal = await self.try_api(self.api.get("/plans", limit=50))
        available = refusal is None or refusal.status != 404
        return self.render(page, "plans.html", status=status, runs=(runs or {}).get("items", []), error=error,
                           available=available, form=form or {"purpose": "flood-risk-simulation",
                                                              "usecase": "flood-risk"},
                           purposes=forms.PURPOSE_CHOICES)

    async def plan_run(self, request: Request) -> Response:
        page, form = await self.posted(request)
        plan: Any = None
        source = forms.value(form, "source") or "paste"
        try:
            if source == "catalogue":
                plan = await self._plan_from_catalogue(form, page)
            else:
                upload = form.get("plan_file")
                text = forms.value(form, "plan")
                if isinstance(upload, UploadFile) and upload.filename:
                    text = (await upload.read(MAX_UPLOAD + 1)).decode("utf-8", errors="replace")
                if not text.strip():
                    raise Refused(400, "Coller un plan (JSON) ou choisir un fichier.",
                                  "Paste a plan (JSON) or choose a file.")
                plan = json.loads(text)
        except ValueError as exc:
            return await self._plans(page, status=400, form=form,
                                    error=page.t(f"Plan illisible (JSON attendu) : {exc}",
                                                 f"Unreadable plan (JSON expected): {exc}"))
        except Refused as exc:
            return await self._plans(page, status=exc.status, form=form, error=page.t(exc.fr, exc.en))
        run, refusal = await self.try_api(self.api.post("/plans", {"plan": plan,
                                                                   "fetch": not forms.value(form, "no_fetch")}))
        if refusal:
            return await self._plans(page, status=refusal.status, form=form,
                                    error=" ".join(refusal.messages(page.lang)))
        return self.redirect(page, f"{PREFIX}/plans/{run['id']}")

    async def _plan_from_catalogue(self, form: dict[str, Any], page: Page) -> Any:
        url = forms.value(form, "catalogue").rstrip("/")
        did = forms.value(form, "catalogue_did")
        if not url.startswith(("http://", "https://")):
            raise Refused(400, "Adresse http(s) du catalogue attendue.", "An http(s) catalogue address is expected.")
        if not did:
            from connector.identity.did import did_from_url

            did = did_from_url(url)
        body = {"usecase": forms.value(form, "usecase") or "flood-risk",
                "purpose": forms.value(form, "purpose") or "flood-risk-simulation",
                "territory": forms.value(form, "territory") or None}
        auth = DspAuth(self.plane.token_issuer, did) if self.plane.token_issuer is not None else None
        try:
            async with httpx.AsyncClient(auth=auth, timeout=30) as http:
                answer = await http.post(url + "/api/plans", json={k: v for k, v in body.items() if v})
        except httpx.HTTPError as exc:
            raise Refused(502, f"Catalogue injoignable : {exc}", f"Catalogue unreachable: {exc}") from None
        if answer.status_code != 200:
            try:
                detail = answer.json()
                text_fr, text_en = detail.get("fr") or str(detail), detail.get("en") or str(detail)
            except ValueError:
                text_fr = text_en = answer.text[:300]
            raise Refused(502, f"Le catalogue a refusé (HTTP {answer.status_code}) : {text_fr}",
                          f"The catalogue refused (HTTP {answer.status_code}): {text_en}")
        return answer.json()

    async def plan(self, request: Request) -> Response:
        page = self.page(request)
        answer = await self.fetch("/plans", request.path_params["run_id"])
        done = answer.get("status") != "running"
        return self.render(page, "plan.html", run=answer, refresh=not done)

    async def plan_cancel(self, request: Request) -> Response:
        page, _ = await self.posted(request)
        run_id = request.path_params["run_id"]
        _, refusal = await self.try_api(self.api.post(f"/plans/{quote(run_id, safe='')}/cancel"))
        if refusal:
            raise Refused(refusal.status, refusal.message("fr"), refusal.message("en"))
        return self.redirect(page, f"{PREFIX}/plans/{quote(run_id, safe='')}")


def console_router(console: Console) -> APIRouter:
    route_class = type("ConsoleRoute", (_ConsoleRoute,), {"console": console})
    router = APIRouter(prefix=PREFIX, route_class=route_class, include_in_schema=False)
    c = console
    routes: list[tuple[str, Callable[..., Any], str]] = [
        ("/connexion", c.login_form, "GET"), ("/connexion", c.login, "POST"), ("/deconnexion", c.logout, "POST"),
        ("/static/console.css", c.stylesheet, "GET"),
        ("/", c.dashboard, "GET"),
        ("/jeux", c.datasets, "GET"), ("/jeux/fiche", c.dataset, "GET"),
        ("/jeux/nouveau", c.new_dataset_form, "GET"), ("/jeux/nouveau", c.new_dataset, "POST"),
        ("/politiques", c.policies, "GET"), ("/politiques", c.policies_test, "POST"),
        ("/negociations", c.negotiations, "GET"), ("/negociations", c.negotiation_start, "POST"),
        ("/negociations/nouvelle", c.negotiation_new, "GET"),
        ("/negociations/{process_id}", c.negotiation, "GET"),
        ("/negociations/{process_id}/arreter", c.negotiation_stop, "POST"),
        ("/accords", c.agreements, "GET"), ("/accords/detail", c.agreement, "GET"),
        ("/transferts", c.transfers, "GET"), ("/transferts", c.transfer_start, "POST"),
        ("/transferts/{process_id}", c.transfer, "GET"),
        ("/transferts/{process_id}/recevoir", c.transfer_fetch, "POST"),
        ("/transferts/{process_id}/{action}", c.transfer_action, "POST"),
        ("/journal", c.audit, "GET"),
        ("/plans", c.plans, "GET"), ("/plans", c.plan_run, "POST"),
        ("/plans/{run_id}", c.plan, "GET"), ("/plans/{run_id}/annuler", c.plan_cancel, "POST"),
    ]
    for path, endpoint, method in routes:
        router.add_api_route(path, endpoint, methods=[method], response_class=HTMLResponse,
                             name=f"console:{method.lower()}:{path}")
    return router


# -- labels used by the templates ---------------------------------------------------------------------------------

PURPOSE_LABELS = {p.iri: (p.label_fr, p.label_en) for p in PURPOSES.values()}
CATEGORY_WORDS = CATEGORY_LABELS
