"""Named territories and geometry parsing for the `spatial` left operand of ODRL policies: a territory is either a
geometry given as WKT (optionally with a GeoSPARQL CRS84 IRI prefix) or GeoJSON, or a *named territory* referenced
by its official code (INSEE commune, département or région code, EPCI SIREN) or by its IRI under `TERRITORY_NS`.
The named territories come from `policies/data/territories.geojson`, a small bundled set covering the demo
territory (Loire estuary: Nantes – Saint-Nazaire, plus Angers upstream) whose polygons are SIMPLIFIED, APPROXIMATE
hand-authored outlines for the demo, not official boundaries; replace the file with IGN ADMIN EXPRESS for
production. All coordinates are WGS84 longitude/latitude (CRS84, longitude first)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

TERRITORY_NS = "https://w3id.org/jnt/territory/"

KINDS: tuple[str, ...] = ("commune", "epci", "departement", "region")

# GeoSPARQL's default CRS for wktLiteral; the only one accepted, because it fixes the lon/lat axis order.
CRS84_IRI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_CRS84_ALIASES = frozenset(
    {
        CRS84_IRI,
        "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
    }
)
# GeoJSON 2008 "crs" members naming EPSG:4326 still meant lon/lat order (unlike a GeoSPARQL EPSG:4326 literal).
_GEOJSON_CRS_ALIASES = _CRS84_ALIASES | {"EPSG:4326", "urn:ogc:def:crs:EPSG::4326"}

# Code shapes per kind. Corsican départements (2A/2B) and overseas ones (971..976) are accepted syntactically even
# though none is bundled, so that a well-formed but absent code gets "unknown territory", not "not a reference".
_CODE_SHAPES: dict[str, re.Pattern[str]] = {
    "commune": re.compile(r"(?:\d{5}|2[AB]\d{3})"),
    "epci": re.compile(r"\d{9}"),
    "departement": re.compile(r"(?:\d{2}|2[AB]|97\d)"),
    "region": re.compile(r"\d{2}"),
}

# Prefixes accepted in "prefix:code" references (matched case-insensitively, accents allowed).
_PREFIXES: dict[str, str] = {
    "insee": "commune",
    "commune": "commune",
    "epci": "epci",
    "siren": "epci",
    "departement": "departement",
    "département": "departement",
    "dep": "departement",
    "region": "region",
    "région": "region",
    "reg": "region",
}

_PREFIXED_RE = re.compile(r"(?P<prefix>[^\s:/]+):(?P<code>\S+)")
_IRI_RE = re.compile(re.escape(TERRITORY_NS) + r"(?P<kind>[a-z]+)/(?P<code>[0-9A-Za-z]+)")

_ACCEPTED = (
    "expected an INSEE commune code (e.g. 44109), a département code (44), an EPCI SIREN (244400404), "
    f"a region code (52) or a territory IRI {TERRITORY_NS}<kind>/<code>"
)

_DATA_PACKAGE = "policies"


class TerritoryError(ValueError):
    """A territory reference that is malformed or names no bundled territory."""


class GeometryError(ValueError):
    """A geometry value that cannot be read (bad WKT or GeoJSON, empty, out of the lon/lat range...)."""


@dataclass(frozen=True)
class Territory:
    """One named territory: an administrative unit with its official code and an approximate outline."""

    code: str
    kind: str  # commune | epci | departement | region
    name: str
    parents: tuple[str, ...]  # codes of the enclosing territories, nearest first (EPCI, département, région)
    geometry: BaseGeometry = field(compare=False, repr=False)

    @property
    def iri(self) -> str:
        return f"{TERRITORY_NS}{self.kind}/{self.code}"

    def label(self) -> str:
        """Human-readable label, e.g. "Nantes (commune 44109)"."""
        # French administrative terms, used as proper names in both languages.
        kind = {"epci": "EPCI", "departement": "département", "region": "région"}.get(self.kind, self.kind)
        return f"{self.name} ({kind} {self.code})"


# --------------------------------------------------------------------------------------------------------------
# Bundled territories


@dataclass(frozen=True)
class _Registry:
    ordered: tuple[Territory, ...]
    by_key: Mapping[tuple[str, str], Territory]


@cache
def _registry() -> _Registry:
    resource = resources.files(_DATA_PACKAGE) / "data" / "territories.geojson"
    document = json.loads(resource.read_text(encoding="utf-8"))
    territories: dict[tuple[str, str], Territory] = {}
    for index, feature in enumerate(document.get("features", [])):
        props = feature.get("properties") or {}
        code, kind, name = str(props.get("code", "")), str(props.get("kind", "")), str(props.get("name", ""))
        where = f"{resource}: feature #{index} ({kind} {code})"
        if kind not in KINDS or not _CODE_SHAPES[kind].fullmatch(code) or not name:
            raise ValueError(f"{where}: bad code/kind/name, kind must be one of {', '.join(KINDS)}")
        if (kind, code) in territories:
            raise ValueError(f"{where}: duplicate territory")
        geometry = shape(feature["geometry"])
        if geometry.is_empty or not geometry.is_valid:
            raise ValueError(f"{where}: empty or invalid geometry")
        shapely.prepare(geometry)
        territories[(kind, code)] = Territory(
            code=code,
            kind=kind,
            name=name,
            parents=tuple(str(p) for p in props.get("parents", ())),
            geometry=geometry,
        )
    ordered = tuple(sorted(territories.values(), key=lambda t: (-KINDS.index(t.kind), t.code)))
    return _Registry(ordered=ordered, by_key=territories)


def all_territories() -> list[Territory]:
    """Every bundled territory, largest kinds first (region, departement, epci, commune), then by code."""
    return list(_registry().ordered)


def _parse_ref(ref: str) -> tuple[str | None, str] | None:
    """Split a reference into (kind or None when bare, code); None when it is not shaped like a reference."""
    text = ref.strip()
    if text.startswith("<") and text.endswith(">"):  # IRI as written in Turtle / SPARQL
        text = text[1:-1].strip()
    if text.startswith(TERRITORY_NS):
        match = _IRI_RE.fullmatch(text)
        if match is None or match["kind"] not in KINDS:
            return None
        kind, code = match["kind"], match["code"].upper()
        return (kind, code) if _CODE_SHAPES[kind].fullmatch(code) else None
    match = _PREFIXED_RE.fullmatch(text)
    if match is not None:
        kind = _PREFIXES.get(match["prefix"].lower())
        code = match["code"].upper()
        if kind is None or not _CODE_SHAPES[kind].fullmatch(code):
            return None
        return kind, code
    code = text.upper()
    if any(pattern.fullmatch(code) for pattern in _CODE_SHAPES.values()):
        return None, code
    return None


def _bare_candidates(code: str) -> tuple[str, ...]:
    """Kinds a bare code may denote, in resolution order.

    Length decides: 9 digits is an EPCI SIREN, 5 characters a commune, 3 characters an overseas département, and
    2 characters a département first, then a région. Région and département codes share the two-digit space
    (e.g. "52" is both the Pays de la Loire région and the Haute-Marne département); a bare two-digit code names the
    région only when no département with that code is bundled. Use "region:52" or the IRI to be explicit."""
    if _CODE_SHAPES["epci"].fullmatch(code):
        return ("epci",)
    if _CODE_SHAPES["commune"].fullmatch(code):
        return ("commune",)
    if len(code) == 2 and code.isdigit():
        return ("departement", "region")
    return ("departement",)


def find_territory(ref: str) -> Territory | None:
    """The bundled territory named by `ref`, or None (malformed or unknown reference); see `get_territory`."""
    if not isinstance(ref, str):
        return None
    parsed = _parse_ref(ref)
    if parsed is None:
        return None
    kind, code = parsed
    by_key = _registry().by_key
    for candidate in (kind,) if kind is not None else _bare_candidates(code):
        territory = by_key.get((candidate, code))
        if territory is not None:
            return territory
    return None


def get_territory(ref: str) -> Territory:
    """The bundled territory named by `ref`.

    Accepted forms: a bare code ("44109", "44", "244400404", "52"), a prefixed code ("insee:44109",
    "commune:44109", "departement:44", "epci:244400404", "siren:244400404", "region:52") or the territory IRI
    (`TERRITORY_NS` + kind + "/" + code, optionally in angle brackets). Bare codes are read by length: 9 digits is
    an EPCI, 5 characters a commune, 2 digits a département, or the région of that code when no such département is
    bundled (so bare "52" is the Pays de la Loire région, Haute-Marne not being bundled).

    Raises TerritoryError naming what was given and what is accepted."""
    territory = find_territory(ref)
    if territory is not None:
        return territory
    if not isinstance(ref, str):
        raise TerritoryError(f"territory reference must be a string, got {type(ref).__name__}: {_ACCEPTED}")
    parsed = _parse_ref(ref)
    if parsed is None:
        raise TerritoryError(f"not a territory reference {ref.strip()!r}: {_ACCEPTED}")
    kind, code = parsed
    kinds = (kind,) if kind is not None else _bare_candidates(code)
    raise TerritoryError(
        f"unknown territory {ref.strip()!r}: no bundled {' or '.join(kinds)} has code {code} (the bundled set only "
        f"covers the Loire estuary demo territory); {_ACCEPTED}"
    )


def is_territory_ref(text: str) -> bool:
    """Cheap syntactic check: does `text` look like a territory reference (IRI in TERRITORY_NS, prefixed or bare
    code)? Says nothing about whether such a territory is bundled; WKT and GeoJSON text never match."""
    return isinstance(text, str) and _parse_ref(text) is not None


# --------------------------------------------------------------------------------------------------------------
# Geometries

_WKT_CRS_RE = re.compile(r"<(?P<iri>[^<>\s]*)>\s*(?P<wkt>.*)", re.DOTALL)
_POLYGONAL = ("Polygon", "MultiPolygon")


def parse_geometry(value: str | Mapping[str, Any] | BaseGeometry) -> BaseGeometry:
    """A valid, non-empty shapely geometry in CRS84 lon/lat from WKT text (optionally prefixed by the CRS84 IRI as
    in a GeoSPARQL wktLiteral), GeoJSON text, or a GeoJSON mapping (Geometry, Feature, or FeatureCollection, whose
    features are unioned). Invalid polygons (self-intersections...) are repaired with `shapely.make_valid`.

    Raises GeometryError naming the problem: unparsable text, unsupported CRS, empty geometry, coordinates outside
    the lon/lat range (a projected geometry, such as Lambert-93, given by mistake)."""
    if isinstance(value, BaseGeometry):
        geometry = value
        source = "geometry"
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise GeometryError("empty geometry text: expected WKT (e.g. POLYGON((...))) or GeoJSON")
        if text.startswith("{"):
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                raise GeometryError(f"invalid GeoJSON: {exc.msg} at character {exc.pos}") from exc
            geometry = _from_geojson(document)
            source = "GeoJSON"
        else:
            geometry = _from_wkt(text)
            source = "WKT"
    elif isinstance(value, Mapping):
        geometry = _from_geojson(value)
        source = "GeoJSON"
    else:
        raise GeometryError(
            f"cannot read a geometry from a {type(value).__name__}: expected WKT text, GeoJSON text or a GeoJSON object"
        )
    return _checked(geometry, source)


def _from_wkt(text: str) -> BaseGeometry:
    match = _WKT_CRS_RE.fullmatch(text)
    if match is not None:
        iri = match["iri"]
        if iri not in _CRS84_ALIASES:
            raise GeometryError(
                f"unsupported CRS <{iri}> in WKT literal: only CRS84 (<{CRS84_IRI}>, longitude/latitude) is accepted"
            )
        text = match["wkt"].strip()
    try:
        return shapely.from_wkt(text)
    except (GEOSException, ValueError, TypeError) as exc:
        raise GeometryError(f"invalid WKT {_excerpt(text)}: {exc}") from exc


def _from_geojson(document: Any) -> BaseGeometry:
    if not isinstance(document, Mapping):
        raise GeometryError(f"invalid GeoJSON: expected an object, got {type(document).__name__}")
    _check_geojson_crs(document)
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or not features:
            raise GeometryError("invalid GeoJSON: FeatureCollection without features")
        return shapely.union_all([_checked(_from_geojson(f), "GeoJSON") for f in features])
    if kind == "Feature":
        geometry = document.get("geometry")
        if geometry is None:
            raise GeometryError("invalid GeoJSON: Feature without geometry")
        return _from_geojson(geometry)
    if not isinstance(kind, str):
        raise GeometryError('invalid GeoJSON: missing "type" member')
    try:
        return shape(document)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryError(f"invalid GeoJSON {kind}: {exc or type(exc).__name__}") from exc


def _check_geojson_crs(document: Mapping[str, Any]) -> None:
    crs = document.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else None
    if name not in _GEOJSON_CRS_ALIASES:
        raise GeometryError(
            f"unsupported GeoJSON crs {name or crs!r}: only CRS84 / WGS84 longitude-latitude coordinates are accepted"
        )


def _checked(geometry: BaseGeometry, source: str) -> BaseGeometry:
    if geometry is None or geometry.is_empty:
        raise GeometryError(f"empty {source} geometry: a spatial constraint needs at least one point")
    minx, miny, maxx, maxy = geometry.bounds
    if not all(math.isfinite(c) for c in (minx, miny, maxx, maxy)):
        raise GeometryError(f"{source} geometry has non-finite coordinates")
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise GeometryError(
            f"{source} coordinates out of range (bbox {_bbox_text(geometry)}): expected WGS84 longitude in "
            "[-180, 180] then latitude in [-90, 90] (CRS84); projected coordinates such as Lambert-93 are not accepted"
        )
    if not geometry.is_valid:
        repaired = shapely.make_valid(geometry)
        if geometry.geom_type in _POLYGONAL:
            # Repairing a bow-tie keeps its areas; collapsed slivers (lines, points) are dropped.
            repaired = shapely.union_all(list(_polygonal_parts(repaired)))
        if repaired.is_empty:
            raise GeometryError(f"invalid {source} geometry that collapses to nothing once repaired")
        geometry = repaired
    return geometry


def _polygonal_parts(geometry: BaseGeometry) -> Iterable[BaseGeometry]:
    if geometry.geom_type in _POLYGONAL:
        yield geometry
    elif hasattr(geometry, "geoms"):
        for part in geometry.geoms:
            yield from _polygonal_parts(part)


def _excerpt(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _bbox_text(geometry: BaseGeometry) -> str:
    return ",".join(f"{round(c, 4):g}" for c in geometry.bounds)


def resolve_area(value: str | Mapping[str, Any] | BaseGeometry) -> tuple[BaseGeometry, str]:
    """The geometry and a human label for a territory reference or a geometry value.

    A string shaped like a territory reference (see `is_territory_ref`) must name a bundled territory
    (TerritoryError otherwise) and is labelled like "Nantes (commune 44109)"; anything else goes through
    `parse_geometry` and is labelled like "zone WKT (bbox -1.6,47.2,-1.5,47.3)"."""
    if isinstance(value, str) and is_territory_ref(value):
        territory = get_territory(value)
        return territory.geometry, territory.label()
    if isinstance(value, str) and not value.lstrip().startswith("{"):
        try:
            geometry = parse_geometry(value)
        except GeometryError as exc:
            raise GeometryError(f"{exc}; nor is it a territory reference ({_ACCEPTED})") from exc
        source = "WKT"
    else:
        geometry = parse_geometry(value)
        source = "geometry" if isinstance(value, BaseGeometry) else "GeoJSON"
    return geometry, f"zone {source} (bbox {_bbox_text(geometry)})"


def bbox_geometry(minx: float, miny: float, maxx: float, maxy: float) -> BaseGeometry:
    """The rectangle minx,miny,maxx,maxy in CRS84 (OGC API order: west, south, east, north).

    Raises GeometryError when a value is not a finite number, is outside the lon/lat range, or when min >= max."""
    values = {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}
    for name, number in values.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise GeometryError(f"bbox {name} must be a finite number, got {number!r}")
    for name in ("minx", "maxx"):
        if not -180 <= values[name] <= 180:
            raise GeometryError(f"bbox {name}={values[name]} is not a longitude in [-180, 180]")
    for name in ("miny", "maxy"):
        if not -90 <= values[name] <= 90:
            raise GeometryError(f"bbox {name}={values[name]} is not a latitude in [-90, 90]")
    if minx >= maxx:
        raise GeometryError(f"bbox minx={minx} must be less than maxx={maxx} (order is minx,miny,maxx,maxy)")
    if miny >= maxy:
        raise GeometryError(f"bbox miny={miny} must be less than maxy={maxy} (order is minx,miny,maxx,maxy)")
    return shapely.box(minx, miny, maxx, maxy)


__all__ = [
    "CRS84_IRI",
    "KINDS",
    "TERRITORY_NS",
    "GeometryError",
    "Territory",
    "TerritoryError",
    "all_territories",
    "bbox_geometry",
    "find_territory",
    "get_territory",
    "is_territory_ref",
    "parse_geometry",
    "resolve_area",
]
