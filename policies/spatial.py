"""Spatial values for the `spatial` left operand: a named territory (INSEE code or territory IRI) or a WKT /
GeoJSON geometry, read into a shapely geometry prepared for fast repeated `covers` tests."""

from __future__ import annotations

import json
from typing import Any

import shapely

from .request import Area
from .territories import GeometryError, TerritoryError, find_territory, is_territory_ref, parse_geometry


def read_area(value: Any) -> Area:
    """An Area from a territory reference, WKT text, GeoJSON text or a GeoJSON mapping."""
    if isinstance(value, Area):
        return value
    if isinstance(value, str):
        text = value.strip()
        if is_territory_ref(text):
            territory = find_territory(text)
            if territory is None:
                raise TerritoryError(
                    f"unknown territory '{text}': expected an INSEE commune code (e.g. 44109), a département code (44), "
                    "an EPCI SIREN (244400404), a region code (52) or a territory IRI"
                )
            return Area(territory.geometry, territory.label(), territory.iri)
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise GeometryError(f"invalid GeoJSON: {exc.msg} at character {exc.pos}") from exc
        else:
            geometry = parse_geometry(text)
            return Area(geometry, _geometry_label(geometry))
    geometry = parse_geometry(value)
    return Area(geometry, _geometry_label(geometry))


def union_area(areas: list[Area]) -> Area:
    if len(areas) == 1:
        area = areas[0]
    else:
        geometry = shapely.union_all([a.geometry for a in areas])
        area = Area(geometry, " ∪ ".join(a.label for a in areas))
    shapely.prepare(area.geometry)
    return area


def covers(outer: Area, inner: Area) -> bool:
    return bool(shapely.covers(outer.geometry, inner.geometry))


def disjoint(a: Area, b: Area) -> bool:
    """True when the two areas share no interior (touching borders do not count)."""
    return not bool(shapely.intersects(a.geometry, b.geometry)) or bool(shapely.touches(a.geometry, b.geometry))


def same(a: Area, b: Area) -> bool:
    if a.territory_iri and b.territory_iri:
        return a.territory_iri == b.territory_iri
    return bool(shapely.equals(a.geometry, b.geometry))


def _geometry_label(geometry) -> str:
    minx, miny, maxx, maxy = geometry.bounds
    return f"{geometry.geom_type} ({minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f})"


__all__ = ["GeometryError", "TerritoryError", "covers", "disjoint", "read_area", "same", "union_area"]
