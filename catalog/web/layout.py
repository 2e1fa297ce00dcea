"""The frame every page of the project's web interfaces shares — the catalogue site, and the participant console
served by each connector: the Jinja2 environment (`environment`: the shared templates `web/base.html`,
`web/macros.html`, `web/error.html` and the calling package's own), what the base template needs to draw the frame
(`Chrome`: language and its switch, site name, main navigation, who is signed in and the sign-out form, where the
stylesheet is), and the static files (`static_router`: `site.css`, `site.js`, served with a validator and a cache
lifetime; nothing is ever fetched from another site).

Pages work without JavaScript; `site.js` only adds conveniences (progressive enhancement)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .i18n import other_lang, translator

STATIC_PREFIX = "/static/web"
_STATIC_TYPES = {"site.css": "text/css; charset=utf-8", "site.js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    current: bool = False


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in, as the frame shows it: a name (or the DID) and what kind of participant."""

    name: str
    did: str | None = None
    category: str | None = None  # already in the page's language: "organisme public"…


@dataclass
class Chrome:
    """The frame of a page. `static` is where `site.css` is served (None: the stylesheet is inlined, for a page
    that must stand alone, e.g. saved or printed)."""

    lang: str
    site_name: str
    home: str = "/"
    nav: list[NavItem] = field(default_factory=list)
    switch_url: str | None = None
    static: str | None = STATIC_PREFIX
    user: SignedIn | None = None
    sign_in_url: str | None = None
    sign_out_url: str | None = None
    csrf: str | None = None
    footer: str | None = None

    @property
    def other_lang(self) -> str:
        return other_lang(self.lang)

    def t(self, fr: str, en: str) -> str:
        return translator(self.lang)(fr, en)


def _static_bytes(name: str) -> bytes:
    return (resources.files("catalog.web") / "static" / name).read_bytes()


@cache
def _static_file(name: str) -> tuple[bytes, str]:
    data = _static_bytes(name)
    return data, '"' + hashlib.sha256(data).hexdigest()[:20] + '"'


@cache
def inline_css() -> Markup:
    """The stylesheet's text, for a page that carries its own style."""
    return Markup(_static_bytes("site.css").decode("utf-8"))


def static_router(prefix: str = STATIC_PREFIX) -> APIRouter:
    """`GET {prefix}/site.css` and `{prefix}/site.js`, cached for an hour and revalidated by ETag."""
    router = APIRouter(include_in_schema=False)

    @router.get(prefix + "/{name}")
    def static(name: str, request: Request) -> Response:
        if name not in _STATIC_TYPES:
            return Response("Not Found", status_code=404, media_type="text/plain")
        data, etag = _static_file(name)
        headers = {"ETag": etag, "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(data, media_type=_STATIC_TYPES[name], headers=headers)

    return router


def _number(lang: str, value: float | None, digits: int = 0, unit: str = "") -> str:
    """A number as the page's language writes it (French: decimal comma, narrow no-break space for thousands)."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text + unit


def environment(*packages: tuple[str, str]) -> Environment:
    """A Jinja2 environment whose templates are those of `packages` ((package, folder) pairs, searched first) and
    the shared ones (`web/…`). Autoescaping on; `num(lang, value, digits, unit)` formats numbers."""
    loaders = [PackageLoader(package, folder) for package, folder in packages]
    loaders.append(PackageLoader("catalog.web", "templates"))
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html", "svg"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(num=_number, inline_css=inline_css)
    return env


def render(env: Environment, template: str, chrome: Chrome | None, **context: Any) -> str:
    """A page: `template` rendered with its `chrome` (None: a standalone page, `lang` in `context`) and
    `tr(fr, en)` for its language."""
    lang = chrome.lang if chrome is not None else context.pop("lang", "fr")
    return env.get_template(template).render(chrome=chrome, lang=lang, tr=translator(lang), **context)


__all__ = ["STATIC_PREFIX", "Chrome", "NavItem", "SignedIn", "environment", "inline_css", "render", "static_router"]
