"""Spatial values for the `spatial` left operand: a named territory (INSEE code or territory IRI) or a WKT /
GeoJSON geometry, read into a shapely geometry prepared for fast repeated `covers` tests."""

from __future__ import annotations

from typing import Any

import shapely

from .request import Area
from .territories import GeometryError, TerritoryError, get_territory, is_territory_ref, resolve_area


def read_area(value: Any) -> Area:
    """An Area from a territory reference, WKT text, GeoJSON text or a GeoJSON mapping (errors: TerritoryError,
    GeometryError, with the accepted forms in the message)."""
    if isinstance(value, Area):
        return value
    if isinstance(value, str) and is_territory_ref(value.strip()):
        territory = get_territory(value.strip())
        return Area(territory.geometry, territory.label(), territory.iri)
    geometry, label = resolve_area(value)
    return Area(geometry, label)


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


__all__ = ["GeometryError", "TerritoryError", "covers", "disjoint", "read_area", "same", "union_area"]
