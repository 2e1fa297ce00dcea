"""Maps drawn on the server as SVG, with nothing fetched from elsewhere: no tiles, no script. `extent_map` projects
rectangles (dataset extents, CRS84 bounding boxes) over a background of outlines (the bundled territories of
`policies.territories`: regions, départements, communes) into a `MapModel` — plain numbers and SVG path data — that
a template turns into markup (`web/macros.html`, `svg_map`), each extent a link with its title.

The projection is equirectangular with the longitudes shrunk by the cosine of the middle latitude: right for the
small areas a territory's data covers, and trivially inverted. The view fits a focus area (or else the extents),
with a margin, inside a frame whose proportions stay between 2:1 and 4:3; an extent cut by the frame is marked
`clipped`; larger extents are drawn first so that smaller ones stay on top and clickable."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry

Box = tuple[float, float, float, float]  # minx, miny, maxx, maxy in CRS84 degrees

MIN_SPAN = 0.02  # degrees: a point-like extent still gets a view around it
MIN_SIDE = 5.0  # pixels: the smallest rectangle drawn, so a tiny extent stays visible and clickable
OUTLINE_KINDS = ("region", "departement", "commune")  # EPCI outlines overlap the communes': left out


@dataclass(frozen=True)
class Extent:
    """A rectangle to draw: `key` (an id, unique in the map), `label` (its title), `href` (the link), `bbox`."""

    key: str
    label: str
    href: str
    bbox: Box


@dataclass(frozen=True)
class Outline:
    label: str
    kind: str
    geometry: BaseGeometry = field(compare=False, repr=False)


@dataclass(frozen=True)
class DrawnExtent:
    key: str
    label: str
    href: str
    x: float
    y: float
    width: float
    height: float
    clipped: bool  # the extent goes beyond the view


@dataclass(frozen=True)
class DrawnOutline:
    label: str
    kind: str
    d: str  # SVG path data
    label_x: float | None = None  # where its name is written (communes, when the view is small enough)
    label_y: float | None = None
    highlighted: bool = False


@dataclass(frozen=True)
class MapModel:
    width: float
    height: float
    view: Box  # the CRS84 box the frame shows
    extents: list[DrawnExtent]
    outlines: list[DrawnOutline]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


class Projection:
    """CRS84 -> SVG user units for the box `view` in a frame `width` wide."""

    def __init__(self, view: Box, width: float) -> None:
        minx, miny, maxx, maxy = view
        self.minx, self.maxy = minx, maxy
        self.kx = math.cos(math.radians((miny + maxy) / 2))
        self.scale = width / ((maxx - minx) * self.kx)
        self.width = width
        self.height = round((maxy - miny) * self.scale, 1)

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        return round((lon - self.minx) * self.kx * self.scale, 1), round((self.maxy - lat) * self.scale, 1)


def _union(boxes: Iterable[Box]) -> Box | None:
    boxes = list(boxes)
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def fit_view(box: Box, *, margin: float = 0.06, min_ratio: float = 0.5, max_ratio: float = 0.75,
             min_span: float = MIN_SPAN) -> Box:
    """`box` with a margin, at least `min_span` degrees wide and high, grown in one direction so that height / width
    (on the ground) lies in [min_ratio, max_ratio]."""
    minx, miny, maxx, maxy = box
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    kx = math.cos(math.radians(cy))
    ground_w = max(maxx - minx, min_span) * kx * (1 + 2 * margin)
    ground_h = max(maxy - miny, min_span) * (1 + 2 * margin)
    if ground_h / ground_w > max_ratio:
        ground_w = ground_h / max_ratio
    elif ground_h / ground_w < min_ratio:
        ground_h = ground_w * min_ratio
    half_w, half_h = ground_w / kx / 2, ground_h / 2
    return (max(-180.0, cx - half_w), max(-90.0, cy - half_h), min(180.0, cx + half_w), min(90.0, cy + half_h))


def _path(geometry: BaseGeometry, projection: Projection) -> str:
    parts = []
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            points = [projection.point(x, y) for x, y in ring.coords]
            parts.append("M" + " L".join(f"{x:g} {y:g}" for x, y in points) + " Z")
    return " ".join(parts)


def _intersects(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and a[2] >= b[0] and a[1] <= b[3] and a[3] >= b[1]


def extent_map(extents: Sequence[Extent], outlines: Sequence[Outline] = (), *, focus: Box | None = None,
               default_view: Box = (-2.6, 46.9, -0.9, 47.8), highlight: str | None = None,
               width: float = 640, label_span: float = 0.8, min_span: float = MIN_SPAN) -> MapModel:
    """The map of `extents` over `outlines`. The view fits `focus` (e.g. the territory searched: larger extents are
    cut by the frame), else the extents, else `default_view`, and spans at least `min_span` degrees (some context
    around a small extent); the outline labelled `highlight` is drawn stronger (whatever its kind). Commune names
    are written when the view spans less than `label_span` degrees of longitude."""
    fitted = focus or _union(e.bbox for e in extents)
    view = fit_view(fitted, margin=0.12 if focus else 0.06, min_span=min_span) if fitted \
        else fit_view(default_view, margin=0)
    projection = Projection(view, width)
    small = (view[2] - view[0]) < label_span
    drawn_outlines = []
    for outline in outlines:
        highlighted = outline.label == highlight
        if (outline.kind not in OUTLINE_KINDS and not highlighted) or \
                not _intersects(tuple(outline.geometry.bounds), view):
            continue
        label_x = label_y = None
        if outline.kind == "commune" and small:
            point = outline.geometry.representative_point()
            label_x, label_y = projection.point(point.x, point.y)
        drawn_outlines.append(DrawnOutline(outline.label, outline.kind, _path(outline.geometry, projection),
                                           label_x, label_y, highlighted=highlighted))
    order = {kind: i for i, kind in enumerate(OUTLINE_KINDS)}
    drawn_outlines.sort(key=lambda o: (o.highlighted, order.get(o.kind, 0)))  # communes over départements, selection last

    def area(extent: Extent) -> float:
        minx, miny, maxx, maxy = extent.bbox
        return (maxx - minx) * (maxy - miny)

    drawn = []
    for extent in sorted(extents, key=area, reverse=True):
        minx, miny, maxx, maxy = extent.bbox
        clipped = minx < view[0] or miny < view[1] or maxx > view[2] or maxy > view[3]
        x1, y1 = projection.point(max(minx, view[0]), min(maxy, view[3]))
        x2, y2 = projection.point(min(maxx, view[2]), max(miny, view[1]))
        w, h = x2 - x1, y2 - y1
        if w < MIN_SIDE:
            x1, w = round(x1 - (MIN_SIDE - w) / 2, 1), MIN_SIDE
        if h < MIN_SIDE:
            y1, h = round(y1 - (MIN_SIDE - h) / 2, 1), MIN_SIDE
        drawn.append(DrawnExtent(extent.key, extent.label, extent.href, x1, y1, round(w, 1), round(h, 1), clipped))
    return MapModel(width=width, height=projection.height, view=view, extents=drawn, outlines=drawn_outlines)


__all__ = ["Box", "DrawnExtent", "DrawnOutline", "Extent", "MapModel", "Outline", "Projection", "extent_map",
           "fit_view"]
