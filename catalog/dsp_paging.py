"""Paging a large DSP catalogue: checking the paging query parameters, rendering one page of datasets, and the
RFC 8288 `Link` header that points to the other pages.

DSP 2025-1 (catalog HTTPS binding) pages catalogues with a `Link` response header whose `rel="next"` and
`rel="previous"` links MUST be understood by clients, the last page having no `next`; the link query parameters
are left to the implementation. Ours are `page` (1-based) and `per_page` (1..`max_per_page`, default 100): a
client follows `next` by sending the same `CatalogRequestMessage` (POST) to the linked URL. The header also gives
`first` and `last`, so a crawler knows the catalogue's size from the first answer. Only the requested page is
rendered, however large the catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .dsp_render import CatalogEntry, CatalogInfo, catalog_error, render_catalog

PAGE = "page"
PER_PAGE = "per_page"
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500


class PagingError(ValueError):
    """A paging parameter that breaks a rule. `parameter` names it (`page`, `per_page`), `rule` is a stable code
    (`integer`, `minimum`, `maximum`, `repeated`, `beyond-last-page`), the messages say what to send instead."""

    status = 400

    def __init__(self, parameter: str, rule: str, value: Any, message_fr: str, message_en: str):
        self.parameter = parameter
        self.rule = rule
        self.value = value
        self.message_fr = message_fr
        self.message_en = message_en
        super().__init__(f"{parameter}: {message_en}")

    def message(self, lang: str = "fr") -> str:
        return f"{self.parameter} : {self.message_fr}" if lang == "fr" else f"{self.parameter}: {self.message_en}"

    def to_catalog_error(self, lang: str = "fr") -> dict[str, Any]:
        """The DSP `CatalogError` body to send with `status`."""
        return catalog_error(str(self.status), [self.message(lang)])


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@dataclass(frozen=True, slots=True)
class Page:
    """Page `number` (1-based) of `per_page` items out of `total`."""

    number: int
    per_page: int
    total: int

    @property
    def last(self) -> int:
        """The last page number; an empty catalogue still has one (empty) page."""
        return max(1, -(-self.total // self.per_page))

    @property
    def start(self) -> int:
        return min((self.number - 1) * self.per_page, self.total)

    @property
    def stop(self) -> int:
        return min(self.number * self.per_page, self.total)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.last


def _single(query: Mapping[str, Any], name: str) -> str | None:
    getlist = getattr(query, "getlist", None)  # Starlette QueryParams, multidicts
    values = list(getlist(name)) if callable(getlist) else query.get(name)
    if values is None:
        return None
    if isinstance(values, str):
        return values
    values = list(values)
    if not values:
        return None
    if len(values) > 1:
        raise PagingError(name, "repeated", values, f"paramètre donné {len(values)} fois ; donnez-le une seule fois",
                          f"given {len(values)} times; give it once")
    return str(values[0])


def _integer(name: str, text: str, minimum: int, maximum: int | None) -> int:
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()):
        raise PagingError(name, "integer", text, f"« {text} » n'est pas un entier positif (exemple : {name}=2)",
                          f"'{text}' is not a positive integer (example: {name}=2)")
    value = int(stripped)
    if value < minimum:
        raise PagingError(name, "minimum", value, f"vaut {value}, doit être au moins {minimum}",
                          f"is {value}, must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise PagingError(name, "maximum", value, f"vaut {value}, doit être au plus {maximum} ; suivez les liens "
                          f"« next » pour le reste du catalogue",
                          f"is {value}, must be at most {maximum}; follow the 'next' links for the rest of the catalog")
    return value


def paging_params(query: Mapping[str, Any], *, default_per_page: int | None = None,
                  max_per_page: int = MAX_PER_PAGE) -> PageRequest:
    """The page asked for by query parameters `page` and `per_page` (a dict, or Starlette's `QueryParams`). Missing
    parameters take their defaults (`per_page`: `default_per_page`, else 100 or `max_per_page` if lower); other
    parameters are ignored. Raises `PagingError` naming the parameter."""
    if default_per_page is None:
        default_per_page = min(DEFAULT_PER_PAGE, max_per_page)
    if not 1 <= default_per_page <= max_per_page:
        raise ValueError(f"default_per_page must be within 1..max_per_page ({max_per_page}), got {default_per_page}")
    page_text = _single(query, PAGE)
    per_page_text = _single(query, PER_PAGE)
    page = 1 if page_text is None else _integer(PAGE, page_text, 1, None)
    per_page = default_per_page if per_page_text is None else _integer(PER_PAGE, per_page_text, 1, max_per_page)
    return PageRequest(page=page, per_page=per_page)


def page_of(request: PageRequest, total: int) -> Page:
    """The page `request` asks for in a catalogue of `total` datasets; a page beyond the last is an error (it
    names the last page), not an empty catalogue that a crawler would take for the end."""
    page = Page(request.page, request.per_page, total)
    if page.number > page.last:
        raise PagingError(PAGE, "beyond-last-page", request.page,
                          f"vaut {request.page} mais le catalogue n'a que {page.last} page(s) de {request.per_page} "
                          f"({total} jeux de données)",
                          f"is {request.page} but the catalog has only {page.last} page(s) of {request.per_page} "
                          f"({total} datasets)")
    return page


def page_url(url: str, number: int, per_page: int) -> str:
    """`url` with `page` and `per_page` set (other query parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in (PAGE, PER_PAGE)]
    query += [(PAGE, str(number)), (PER_PAGE, str(per_page))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def page_links(url: str, page: Page) -> dict[str, str]:
    """rel -> URL for `first`, `previous` (not on the first page), `next` (not on the last page) and `last`."""
    links = {"first": page_url(url, 1, page.per_page)}
    if page.has_previous:
        links["previous"] = page_url(url, page.number - 1, page.per_page)
    if page.has_next:
        links["next"] = page_url(url, page.number + 1, page.per_page)
    links["last"] = page_url(url, page.last, page.per_page)
    return links


def link_header(url: str, page: Page) -> str:
    """The RFC 8288 `Link` header value for `page` of the catalogue served at `url`, e.g.
    `<https://p.example/dsp/catalog/request?page=2&per_page=100>; rel="next"`."""
    return ", ".join(f'<{target}>; rel="{rel}"' for rel, target in page_links(url, page).items())


_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,"]+=(?:"[^"]*"|[^;,]*))*)')
_PARAM = re.compile(r';\s*([^;,"=\s]+)\s*=\s*(?:"([^"]*)"|([^;,]*))')


def parse_link_header(values: str | Iterable[str]) -> dict[str, str]:
    """rel -> URL from one or several `Link` header values (RFC 8288; a rel may list several relation types;
    `prev` is read as `previous`). The first link of each relation wins."""
    out: dict[str, str] = {}
    for value in [values] if isinstance(values, str) else values:
        for match in _LINK.finditer(value):
            target, params = match.group(1).strip(), match.group(2)
            for name, quoted, bare in _PARAM.findall(params):
                if name.lower() != "rel":
                    continue
                for rel in (quoted if quoted else bare).split():
                    rel = rel.lower()
                    out.setdefault("previous" if rel == "prev" else rel, target)
    return out


@dataclass(frozen=True, slots=True)
class CatalogPage:
    body: dict[str, Any]
    link: str
    page: Page

    @property
    def headers(self) -> dict[str, str]:
        return {"Link": self.link}


def render_catalog_page(info: CatalogInfo, entries: Sequence[CatalogEntry], request: PageRequest, *,
                        url: str) -> CatalogPage:
    """One page of the catalogue: the `Catalog` body with that page's datasets only (rendered from `entries`, the
    requester's visible datasets in a stable order) and its `Link` header; `url` is the catalog request URL."""
    page = page_of(request, len(entries))
    body = render_catalog(info, entries[page.start:page.stop])
    return CatalogPage(body=body, link=link_header(url, page), page=page)
