"""A search of the federated catalogue (`DatasetQuery`) and how it is read from query parameters
(`parse_query`), with every rule checked and named: a parameter out of range or malformed raises `QueryError`
(HTTP 400) naming the parameter, the rule, and what to send instead.

Parameters (repeat a facet parameter for OR within a facet; different parameters combine with AND):

| parameter | meaning |
|---|---|
| `q` | words, accent- and case-insensitive, prefix match, all required (≤ 200 characters) |
| `geoconcept` | registry id (`GC039`) or géo-concept IRI |
| `usecase` | a use case of the registry (`flood-risk`): its géo-concepts |
| `bbox` | `minx,miny,maxx,maxy` in CRS84 degrees (longitude first); datasets whose bbox intersects it |
| `territory` | a named territory (`44109`, `departement:44`, territory IRI): datasets whose bbox meets its outline |
| a facet name | `role`, `theme`, `type`, `provider`, `category`, `frequency`, `origin`, `licence`, `crs`, `admin_unit`, `access`, `format`, `transfer`, `resolution`, `scale`, `conformity`, `standard`, `complete` (see `facets`) |
| `min_completeness` | 0..1 |
| `max_resolution` | metres (> 0): at least this precise |
| `max_scale` | scale denominator (> 0): at least this detailed |
| `modified_since` | ISO date: last modified on or after |
| `include_stale` | `true` (default) or `false`: leave out datasets of connectors that currently fail |
| `sort` | `relevance` (default with `q`), `title` (default otherwise), `modified`, `completeness` |
| `page`, `per_page` | 1-based page; 1..100 results per page (default 20) |
| `facets` | `true` (default) or `false`: facet counts or not |"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shapely.geometry.base import BaseGeometry

from catalog.geoconcepts import Registry
from policies.territories import TerritoryError, get_territory

from . import text
from .errors import QueryError
from .facets import FACETS_BY_NAME

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_VALUES = 50
SORTS = ("relevance", "title", "modified", "completeness")
GENERAL_PARAMETERS = ("q", "geoconcept", "usecase", "bbox", "territory", "min_completeness", "max_resolution",
                      "max_scale", "modified_since", "include_stale", "sort", "page", "per_page", "facets")
PARAMETERS = GENERAL_PARAMETERS + tuple(name for name in FACETS_BY_NAME if name != "geoconcept")
_REPEATABLE = frozenset({"geoconcept", *FACETS_BY_NAME})


@dataclass(frozen=True)
class DatasetQuery:
    """What to search for. Build it with `parse_query` (checks every rule); the index reads it as is."""

    text: str | None = None
    terms: tuple[str, ...] = ()
    geoconcepts: tuple[str, ...] = ()  # géo-concept IRIs (any of)
    use_case: str | None = None
    use_case_geoconcepts: tuple[str, ...] = ()  # the use case's géo-concept IRIs (any of)
    bbox: tuple[float, float, float, float] | None = None  # CRS84; the territory's bounds when one is given
    territory: str | None = None  # the territory's code
    territory_label: str | None = None
    area: BaseGeometry | None = field(default=None, compare=False, repr=False)  # the territory's outline
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # facet name -> stored values (any of)
    min_completeness: float | None = None
    max_resolution: float | None = None
    max_scale: int | None = None
    modified_since: str | None = None
    modified_until: str | None = None  # ISO date, inclusive (the OGC API's `datetime` end; no query parameter)
    include_stale: bool = True
    sort: str = "title"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    with_facets: bool = True

    def signature(self) -> tuple[Any, ...]:
        """What decides the matching datasets and their order (not the page): the index's cache key."""
        return (self.terms, self.geoconcepts, self.use_case_geoconcepts, self.bbox, self.territory, self.filters,
                self.min_completeness, self.max_resolution, self.max_scale, self.modified_since, self.modified_until,
                self.include_stale, self.sort)

    def filter_values(self, name: str) -> tuple[Any, ...]:
        return next((values for facet, values in self.filters if facet == name), ())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.text:
            out["q"] = self.text
        if self.geoconcepts:
            out["geoconcept"] = list(self.geoconcepts)
        if self.use_case:
            out["usecase"] = self.use_case
        if self.territory:
            out["territory"] = {"code": self.territory, "label": self.territory_label, "bbox": list(self.bbox or ())}
        elif self.bbox:
            out["bbox"] = list(self.bbox)
        for name, values in self.filters:
            out[name] = [FACETS_BY_NAME[name].key(v) for v in values]
        for name in ("min_completeness", "max_resolution", "max_scale", "modified_since", "modified_until"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if not self.include_stale:
            out["include_stale"] = False
        out.update(sort=self.sort, page=self.page, per_page=self.per_page)
        return out


def _multi(params: Mapping[str, Any] | Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    if isinstance(params, Mapping):
        getlist = getattr(params, "getlist", None)
        out: dict[str, list[str]] = {}
        for key in params:
            if callable(getlist):
                values = list(getlist(key))
            else:
                raw = params[key]
                values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, Sequence) else [raw]
            out[key] = [str(v) for v in values]
        return out
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        grouped.setdefault(key, []).append(value)
    return grouped


def _one(name: str, values: list[str]) -> str:
    if len(values) > 1:
        raise QueryError(name, "repeated", f"donné {len(values)} fois ; donnez-le une seule fois",
                         f"given {len(values)} times; give it once", values)
    return values[0]


def _integer(name: str, value: str, minimum: int, maximum: int | None) -> int:
    stripped = value.strip()
    if not (stripped.isascii() and stripped.isdigit()):
        raise QueryError(name, "integer", f"« {value} » n'est pas un entier positif (exemple : {name}=2)",
                         f"'{value}' is not a positive integer (example: {name}=2)", value)
    number = int(stripped)
    if number < minimum or (maximum is not None and number > maximum):
        bounds_fr = f"entre {minimum} et {maximum}" if maximum is not None else f"au moins {minimum}"
        bounds_en = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise QueryError(name, "range", f"vaut {number}, doit être {bounds_fr}", f"is {number}, must be {bounds_en}",
                         number)
    return number


def _number(name: str, value: str, *, minimum: float | None = None, maximum: float | None = None,
            strict_minimum: bool = False) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise QueryError(name, "number", f"« {value} » n'est pas un nombre", f"'{value}' is not a number",
                         value) from None
    if not math.isfinite(number):
        raise QueryError(name, "number", f"« {value} » n'est pas un nombre fini", f"'{value}' is not a finite number",
                         value)
    low_ok = minimum is None or (number > minimum if strict_minimum else number >= minimum)
    if not low_ok or (maximum is not None and number > maximum):
        if maximum is None:
            fr, en = (f"strictement supérieur à {minimum:g}", f"greater than {minimum:g}") if strict_minimum else \
                (f"au moins {minimum:g}", f"at least {minimum:g}")
        else:
            fr, en = f"entre {minimum:g} et {maximum:g}", f"between {minimum:g} and {maximum:g}"
        raise QueryError(name, "range", f"vaut {value}, doit être {fr}", f"is {value}, must be {en}", number)
    return number


def _boolean(name: str, value: str) -> bool:
    text_value = value.strip().lower()
    if text_value in ("true", "1", "oui", "yes"):
        return True
    if text_value in ("false", "0", "non", "no"):
        return False
    raise QueryError(name, "boolean", f"« {value} » : attendu true ou false", f"'{value}': expected true or false",
                     value)


def parse_bbox(value: str, name: str = "bbox") -> tuple[float, float, float, float]:
    """`minx,miny,maxx,maxy` in CRS84 degrees; raises `QueryError` naming the rule broken."""
    parts = value.split(",")
    if len(parts) != 4:
        raise QueryError(name, "format", f"« {value} » : quatre nombres attendus, minx,miny,maxx,maxy (CRS84, "
                         f"longitude d'abord), ex. -1.65,47.15,-1.45,47.3",
                         f"'{value}': four numbers expected, minx,miny,maxx,maxy (CRS84, longitude first), "
                         f"e.g. -1.65,47.15,-1.45,47.3", value)
    numbers = []
    for label, part in zip(("minx", "miny", "maxx", "maxy"), parts, strict=True):
        try:
            number = float(part.strip())
        except ValueError:
            raise QueryError(name, "number", f"{label} « {part.strip()} » n'est pas un nombre",
                             f"{label} '{part.strip()}' is not a number", value) from None
        if not math.isfinite(number):
            raise QueryError(name, "number", f"{label} n'est pas un nombre fini", f"{label} is not a finite number",
                             value)
        numbers.append(number)
    minx, miny, maxx, maxy = numbers
    for label, number in (("minx", minx), ("maxx", maxx)):
        if not -180 <= number <= 180:
            raise QueryError(name, "range", f"{label}={number:g} n'est pas une longitude dans [-180, 180] (CRS84 ; "
                             f"des coordonnées projetées comme le Lambert-93 ne sont pas acceptées)",
                             f"{label}={number:g} is not a longitude in [-180, 180] (CRS84; projected coordinates "
                             f"such as Lambert-93 are not accepted)", value)
    for label, number in (("miny", miny), ("maxy", maxy)):
        if not -90 <= number <= 90:
            raise QueryError(name, "range", f"{label}={number:g} n'est pas une latitude dans [-90, 90]",
                             f"{label}={number:g} is not a latitude in [-90, 90]", value)
    if minx > maxx or miny > maxy:
        raise QueryError(name, "order", "min doit être inférieur ou égal à max (ordre : minx,miny,maxx,maxy)",
                         "min must not exceed max (order: minx,miny,maxx,maxy)", value)
    return minx, miny, maxx, maxy


def _geoconcept(value: str, registry: Registry) -> str:
    return FACETS_BY_NAME["geoconcept"].read(value, registry)


def parse_query(params: Mapping[str, Any] | Iterable[tuple[str, str]], registry: Registry) -> DatasetQuery:
    """The search that query parameters ask for (a dict of values or lists, Starlette's `QueryParams`, or
    (name, value) pairs). Raises `QueryError` for an unknown parameter or any value that breaks a rule."""
    given = _multi(params)
    for name, values in given.items():
        if name not in PARAMETERS and name != "geoconcept":
            raise QueryError(name, "unknown-parameter", f"paramètre inconnu ; paramètres acceptés : "
                             f"{', '.join(PARAMETERS)}", f"unknown parameter; accepted: {', '.join(PARAMETERS)}")
        if name in _REPEATABLE and len(values) > MAX_VALUES:
            raise QueryError(name, "too-many-values", f"au plus {MAX_VALUES} valeurs",
                             f"at most {MAX_VALUES} values", len(values))
    single = {name: _one(name, values) for name, values in given.items() if name not in _REPEATABLE}
    args: dict[str, Any] = {}

    q = single.get("q")
    if q is not None and q.strip():
        if len(q) > text.MAX_QUERY_LENGTH:
            raise QueryError("q", "too-long", f"{len(q)} caractères, au plus {text.MAX_QUERY_LENGTH}",
                             f"{len(q)} characters, at most {text.MAX_QUERY_LENGTH}", len(q))
        terms = text.query_terms(q)
        if not terms:
            raise QueryError("q", "no-words", "aucun mot à chercher (lettres ou chiffres attendus)",
                             "no word to search for (letters or digits expected)", q)
        args.update(text=q.strip(), terms=tuple(terms))

    if given.get("geoconcept"):
        args["geoconcepts"] = tuple(dict.fromkeys(_geoconcept(v, registry) for v in given["geoconcept"]))

    use_case = single.get("usecase")
    if use_case is not None:
        use_cases = registry.use_cases()
        if use_case not in use_cases:
            known = ", ".join(sorted(use_cases)) or "-"
            raise QueryError("usecase", "unknown-value", f"cas d'usage « {use_case} » inconnu ; connus : {known}",
                             f"unknown use case '{use_case}'; known: {known}", use_case)
        concepts = use_cases[use_case].concepts
        args.update(use_case=use_case, use_case_geoconcepts=tuple(
            registry.concepts[c].iri(registry.base_iri) for c in concepts))

    if "bbox" in single and "territory" in single:
        raise QueryError("territory", "exclusive", "donnez bbox ou territory, pas les deux",
                         "give bbox or territory, not both")
    if "bbox" in single:
        args["bbox"] = parse_bbox(single["bbox"])
    if "territory" in single:
        try:
            territory = get_territory(single["territory"])
        except TerritoryError as exc:
            raise QueryError("territory", "unknown-territory",
                             f"territoire introuvable « {single['territory']} » : code INSEE de commune (44109), "
                             f"de département (44), SIREN d'EPCI, code de région, ou IRI de territoire",
                             str(exc), single["territory"]) from None
        args.update(bbox=tuple(territory.geometry.bounds), territory=territory.code,
                    territory_label=territory.label(), area=territory.geometry)

    filters = []
    for name, facet in FACETS_BY_NAME.items():
        if name == "geoconcept" or not given.get(name):
            continue
        values = tuple(dict.fromkeys(facet.read(v, registry) for v in given[name]))
        filters.append((name, values))
    args["filters"] = tuple(filters)

    if "min_completeness" in single:
        args["min_completeness"] = _number("min_completeness", single["min_completeness"], minimum=0, maximum=1)
    if "max_resolution" in single:
        args["max_resolution"] = _number("max_resolution", single["max_resolution"], minimum=0, strict_minimum=True)
    if "max_scale" in single:
        args["max_scale"] = _integer("max_scale", single["max_scale"], 1, None)
    if "modified_since" in single:
        try:
            args["modified_since"] = date.fromisoformat(single["modified_since"].strip()).isoformat()
        except ValueError:
            raise QueryError("modified_since", "date", f"« {single['modified_since']} » : date ISO attendue "
                             f"(AAAA-MM-JJ)", f"'{single['modified_since']}': ISO date expected (YYYY-MM-DD)",
                             single["modified_since"]) from None
    if "include_stale" in single:
        args["include_stale"] = _boolean("include_stale", single["include_stale"])
    if "facets" in single:
        args["with_facets"] = _boolean("facets", single["facets"])

    sort = single.get("sort")
    if sort is None:
        sort = "relevance" if args.get("terms") else "title"
    elif sort not in SORTS:
        raise QueryError("sort", "unknown-value", f"« {sort} » ; attendu : {', '.join(SORTS)}",
                         f"'{sort}'; expected: {', '.join(SORTS)}", sort)
    elif sort == "relevance" and not args.get("terms"):
        raise QueryError("sort", "needs-q", "le tri par pertinence demande des mots à chercher (q)",
                         "sorting by relevance needs words to search for (q)", sort)
    args["sort"] = sort
    if "page" in single:
        args["page"] = _integer("page", single["page"], 1, None)
    if "per_page" in single:
        args["per_page"] = _integer("per_page", single["per_page"], 1, MAX_PER_PAGE)
    return DatasetQuery(**args)
