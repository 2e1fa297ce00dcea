"""The vector layers of the demo, one builder per géo-concept: each returns features (a shapely geometry and French
attributes) drawn on the shapes of `geography.Territory` and the named sites of `sites`, with random details from a
`random.Random` seeded by the generation seed, the provider and the géo-concept — so the same seed gives the same
features. Layers are clipped to the dataset's area; `feature_collection` writes them as RFC 7946 GeoJSON (CRS84,
coordinates rounded to 10⁻⁶ degree, about 0.1 m)."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import numpy as np
import shapely
from shapely import affinity, ops
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from .geography import (
    COMMUNES,
    KX,
    KY,
    MARSHES,
    RIVER_CODES,
    BBox,
    Place,
    Territory,
    ellipse,
    to_degrees,
    to_metres,
)
from .sites import (
    BRIDGES,
    HERITAGE,
    HOSPITALS,
    POLICE,
    RESCUE,
    RIVER_GAUGES,
    SENSITIVE_SITES,
    SEVESO,
    Facility,
)

Feature = tuple[BaseGeometry, dict[str, Any]]


@dataclass
class Context:
    """What a builder needs: the shared shapes, the dataset's area and region, its own random generator and the
    generation seed (for layers shared between datasets, such as the buildings)."""

    territory: Territory
    area: BBox
    region: str  # estuaire | angers | both
    rng: random.Random
    seed: int
    provider: str  # organisation id
    provider_name: str

    @property
    def box(self) -> Polygon:
        return box(*self.area)

    def places(self) -> list[Place]:
        return [p for p in COMMUNES if self.region in ("both", p.region) and _inside(p.point, self.area)]

    def rivers(self) -> dict[str, LineString]:
        return {name: line for name, line in self.territory.rivers.items()
                if line.intersects(self.box)}


def _inside(geom: BaseGeometry, area: BBox) -> bool:
    return box(*area).covers(geom)


# --- helpers ------------------------------------------------------------------------------------------------------


def points_in(geom: BaseGeometry, n: int, rng: random.Random, *, max_tries: int = 50) -> list[Point]:
    """`n` random points inside `geom` (rejection sampling in its bounds; fewer if the shape is very thin)."""
    if geom.is_empty:
        return []
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    found: list[Point] = []
    for _ in range(n * max_tries):
        if len(found) == n:
            break
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(geom, x, y):
            found.append(Point(x, y))
    return found


@cache
def disc(place: Place, factor: float = 1.0) -> Polygon:
    return ellipse(place.lon, place.lat, place.radius_m * factor, place.radius_m * factor, 0.0)


def rectangle(centre: Point, width_m: float, depth_m: float, angle: float) -> Polygon:
    shape = box(-width_m / 2, -depth_m / 2, width_m / 2, depth_m / 2)
    shape = affinity.rotate(shape, angle, origin=(0, 0))
    c = to_metres(centre)
    return to_degrees(affinity.translate(shape, c.x, c.y))


def mosaic(area: BaseGeometry, n: int, rng: random.Random) -> list[Polygon]:
    """A partition of `area` into about `n` cells (Voronoi cells of random seeds, clipped), in a stable order."""
    seeds = points_in(area, n, rng)
    if len(seeds) < 2:
        return [area] if not area.is_empty else []
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=area.envelope.buffer(0.05), ordered=True)
    result = []
    for cell in shapely.get_parts(cells):
        piece = _polygonal(cell.intersection(area))
        if piece is not None:
            result.append(piece)
    return result


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    parts = [p for p in shapely.get_parts(shapely.make_valid(geom)) if p.geom_type == "Polygon" and p.area > 1e-9]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _lineal(geom: BaseGeometry) -> BaseGeometry | None:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "LineString" and p.length > 1e-7]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiLineString(parts)


def clip(features: Iterable[Feature], area: BBox | BaseGeometry) -> list[Feature]:
    """The features inside the area: points kept when inside, lines and polygons cut to it (same dimension)."""
    frame = area if isinstance(area, BaseGeometry) else box(*area)
    shapely.prepare(frame)
    kept = []
    for geom, props in features:
        if geom.is_empty:
            continue
        if frame.covers(geom):
            kept.append((geom, props))
            continue
        if geom.geom_type in ("Point", "MultiPoint") or not frame.intersects(geom):
            continue
        piece = geom.intersection(frame)
        piece = _polygonal(piece) if geom.geom_type.endswith("Polygon") else _lineal(piece)
        if piece is not None:
            kept.append((piece, props))
    return kept


def _coords(coords: Any) -> Any:
    if isinstance(coords[0], int | float):
        rounded = [round(coords[0], 6), round(coords[1], 6)]
        if len(coords) > 2:
            rounded.append(round(coords[2], 2))
        return rounded
    return [_coords(c) for c in coords]


def _geometry_json(geoms: Sequence[BaseGeometry]) -> list[str]:
    """GeoJSON geometries, coordinates snapped to a 10⁻⁶ degree grid: point by point (cheap), and with GEOS's
    validity-preserving snapping for the few polygons that point-by-point rounding would make invalid. 3D lines
    (cross-sections) keep their heights, rounded to the centimetre."""
    array = np.array(geoms, dtype=object)
    snapped = shapely.set_precision(array, 1e-6, mode="pointwise")
    broken = ~shapely.is_valid(snapped) & shapely.is_valid(array)
    if broken.any():
        snapped[broken] = shapely.set_precision(array[broken], 1e-6)
    texts = shapely.to_geojson(snapped).tolist()
    for i, geom in enumerate(geoms):
        if geom.has_z:
            mapping = shapely.geometry.mapping(geom)
            texts[i] = json.dumps({"type": mapping["type"], "coordinates": _coords(mapping["coordinates"])},
                                  separators=(",", ":"))
    return texts


def feature_collection(name: str, features: Sequence[Feature]) -> bytes:
    """RFC 7946 GeoJSON (CRS84), compact, coordinates on a 10⁻⁶ degree grid (validity kept)."""
    geometries = _geometry_json([geom for geom, _props in features]) if features else []
    items = [f'{{"type":"Feature","id":{index},"geometry":{geometry},"properties":'
             f'{json.dumps(props, ensure_ascii=False, separators=(",", ":"))}}}'
             for index, (geometry, (_geom, props)) in enumerate(zip(geometries, features, strict=True), start=1)]
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False, separators=(",", ":"))
    return (head[:-1] + ',"features":[' + ",".join(items) + "]}").encode("utf-8")


def _date(rng: random.Random, start: date, end: date) -> str:
    return (start + timedelta(days=rng.randrange((end - start).days + 1))).isoformat()


def _facilities(ctx: Context, items: Sequence[Facility], fields: Callable[[Facility], dict[str, Any]]) -> list[Feature]:
    return [(Point(f.lon, f.lat), fields(f)) for f in items if _inside(Point(f.lon, f.lat), ctx.area)]


def _flood_depth_class(ctx: Context, point: Point) -> str:
    for band in ctx.territory.hazard_bands:
        if band.geometry.covers(point):
            return band.depth
    return "hors zone inondable"


# --- shared layers (several datasets draw on them) ----------------------------------------------------------------

USAGES = (("Résidentiel", 0.68), ("Annexe", 0.12), ("Commercial et services", 0.09), ("Industriel", 0.05),
          ("Agricole", 0.02), ("Sportif", 0.02), ("Religieux", 0.01), ("Indifférencié", 0.01))
STREETS = ("rue de la Loire", "quai de la Fosse", "rue du Port", "avenue de la Gare", "rue des Écoles",
           "rue de l'Église", "chemin des Prés", "rue du Bac", "boulevard de l'Estuaire", "rue des Mariniers",
           "allée des Saules", "rue de la Mairie", "route de Nantes", "rue du Marais", "impasse des Pêcheurs",
           "rue Jules-Verne", "rue de la Chaussée", "quai des Antilles", "rue des Vignes", "place du Marché")


@dataclass(frozen=True)
class Building:
    id: str
    place: Place
    footprint: Polygon
    usage: str
    floors: int
    dwellings: int
    year: int


def buildings(territory: Territory, seed: int) -> tuple[Building, ...]:
    return territory.memo(("buildings", seed), lambda: _buildings(territory, seed))


def _buildings(territory: Territory, seed: int) -> tuple[Building, ...]:
    """The buildings of the communes' centres (BD TOPO-like), shared by the buildings, land files, parcels and
    addresses layers: a few hundred per large commune, none in the water."""
    rng = random.Random(f"{seed}:buildings")
    water = territory.water
    shapely.prepare(water)
    result: list[Building] = []
    for place in COMMUNES:
        count = max(8, int(48 * (place.radius_m / 1000) ** 1.3))
        # denser towards the centre: a candidate is kept with a probability falling with its distance
        candidates = points_in(disc(place).difference(water), count * 3, rng)
        centre_m = to_metres(place.point)
        centres = [c for c in candidates
                   if rng.random() < math.exp(-2.2 * (to_metres(c).distance(centre_m) / place.radius_m) ** 2)][:count]
        street_angle = rng.uniform(0, 90)
        for centre in centres:
            usage = rng.choices([u for u, _ in USAGES], weights=[w for _, w in USAGES])[0]
            width, depth = rng.uniform(7, 16), rng.uniform(8, 14)
            if usage in ("Industriel", "Commercial et services", "Sportif"):
                width, depth = width * 3, depth * 2.5
            footprint = rectangle(centre, width, depth, street_angle + rng.choice((0, 90)) + rng.uniform(-8, 8))
            if footprint.intersects(water):
                continue
            floors = 1 + int(rng.expovariate(0.9)) if usage != "Annexe" else 1
            floors = min(floors + (2 if place.name in ("Nantes", "Saint-Nazaire", "Angers") else 0), 12)
            dwellings = max(1, floors * rng.randint(1, 3)) if usage == "Résidentiel" else 0
            result.append(Building(f"BATIMENT{place.insee}{len(result) + 1:07d}", place, footprint, usage, floors,
                                   dwellings, rng.randint(1850, 2023)))
    return tuple(result)


def _own_buildings(ctx: Context) -> list[Building]:
    return [b for b in buildings(ctx.territory, ctx.seed)
            if ctx.region in ("both", b.place.region) and _inside(b.footprint, ctx.area)]


def _road_lines() -> dict[str, tuple[str, str, list[tuple[float, float]]]]:
    """Main roads: id -> (name, manager, points)."""
    ring = Point(-1.555, 47.225)
    periph = [(ring.x + 0.085 * math.cos(a) * 1.0, ring.y + 0.052 * math.sin(a))
              for a in (i * 2 * math.pi / 36 for i in range(37))]
    return {
        "N165": ("N165 Nantes – Savenay", "État (DIR Ouest)",
                 [(-1.640, 47.240), (-1.700, 47.262), (-1.780, 47.290), (-1.860, 47.318), (-1.940, 47.345),
                  (-1.990, 47.360)]),
        "N171": ("N171 Savenay – Saint-Nazaire", "État (DIR Ouest)",
                 [(-1.990, 47.360), (-2.060, 47.345), (-2.120, 47.330), (-2.170, 47.310), (-2.205, 47.290)]),
        "N844": ("Périphérique nantais", "État (DIR Ouest)", periph),
        "D751": ("D751 Rezé – Le Pellerin – Paimbœuf", "Département de Loire-Atlantique",
                 [(-1.560, 47.185), (-1.620, 47.180), (-1.690, 47.188), (-1.752, 47.196), (-1.830, 47.215),
                  (-1.930, 47.240), (-2.000, 47.268), (-2.030, 47.283)]),
        "D77": ("D77 Paimbœuf – Saint-Brevin", "Département de Loire-Atlantique",
                [(-2.030, 47.283), (-2.080, 47.272), (-2.130, 47.258), (-2.166, 47.246)]),
        "D213": ("D213 Route bleue (pont de Saint-Nazaire)", "Département de Loire-Atlantique",
                 [(-2.166, 47.246), (-2.168, 47.258), (-2.170, 47.270), (-2.172, 47.285), (-2.175, 47.300),
                  (-2.180, 47.320)]),
        "D17": ("D17 Couëron – Cordemais", "Département de Loire-Atlantique",
                [(-1.660, 47.215), (-1.725, 47.218), (-1.790, 47.240), (-1.850, 47.272), (-1.877, 47.290)]),
        "D100": ("D100 Donges – Montoir", "Département de Loire-Atlantique",
                 [(-1.990, 47.320), (-2.040, 47.318), (-2.076, 47.318), (-2.120, 47.325), (-2.150, 47.328),
                  (-2.190, 47.318)]),
        "D723": ("D723 Nantes – Ancenis", "Département de Loire-Atlantique",
                 [(-1.520, 47.235), (-1.480, 47.255), (-1.440, 47.268), (-1.390, 47.290)]),
        "D59": ("D59 Vertou – Nantes", "Département de Loire-Atlantique",
                [(-1.470, 47.140), (-1.470, 47.165), (-1.490, 47.180), (-1.520, 47.192)]),
        "A11": ("A11 Angers – Paris (contournement)", "Concession autoroutière",
                [(-0.640, 47.500), (-0.600, 47.505), (-0.560, 47.500), (-0.520, 47.485), (-0.470, 47.470),
                 (-0.420, 47.460)]),
        "D160": ("D160 Angers – Les Ponts-de-Cé", "Département de Maine-et-Loire",
                 [(-0.545, 47.470), (-0.535, 47.450), (-0.525, 47.430), (-0.520, 47.400), (-0.515, 47.380)]),
    }


# --- builders, by géo-concept --------------------------------------------------------------------------------------


def lidar_tiles(ctx: Context) -> list[Feature]:
    """GC002: the LiDAR HD tiles (1 km) over the flood envelope, with their point-cloud file names."""
    return _tiles(ctx, 1000, "LHD_FXX_{e:04d}_{n:04d}_PTS_C_LAMB93_IGN69.copc.laz", ctx.territory.flood_extreme,
                  lambda rng: {"date_vol": _date(rng, date(2022, 3, 1), date(2023, 10, 31)),
                               "densite_pts_m2": round(rng.uniform(10, 18), 1), "classes": "sol, végétation, "
                               "bâti, eau, ponts"})


def ortho_tiles(ctx: Context) -> list[Feature]:
    """GC074: the BD ORTHO tiles (5 km) over the area."""
    return _tiles(ctx, 5000, "44-2024-{e:04d}-{n:04d}-LA93-0M20-E080.jp2", ctx.box,
                  lambda rng: {"date_prise_de_vue": _date(rng, date(2024, 5, 15), date(2024, 8, 30)),
                               "resolution_m": 0.2, "bandes": "RVB + IRC"})


def _tiles(ctx: Context, size_m: float, name: str, over: BaseGeometry, extra) -> list[Feature]:
    frame = to_metres(ctx.box)
    minx, miny, maxx, maxy = frame.bounds
    target = to_metres(over.intersection(ctx.box))
    shapely.prepare(target)
    # Tile names carry approximate Lambert-93 kilometres (the frame's origin is near E 330 km, N 6 695 km).
    features = []
    x = math.floor(minx / size_m) * size_m
    while x < maxx:
        y = math.floor(miny / size_m) * size_m
        while y < maxy:
            tile = box(x, y, x + size_m, y + size_m)
            if target.intersects(tile):
                e, n = int((330_000 + x) / 1000), int((6_695_000 + y + size_m) / 1000)
                geom = to_degrees(tile).intersection(ctx.box)
                if not geom.is_empty and geom.geom_type == "Polygon":
                    features.append((geom, {"nom": name.format(e=e, n=n), **extra(ctx.rng)}))
            y += size_m
        x += size_m
    return features


def cross_sections(ctx: Context) -> list[Feature]:
    """GC004: topo-bathymetric cross-sections of the Loire every 2 km (3D lines, heights in m NGF)."""
    loire = to_metres(ctx.territory.rivers["Loire"] if ctx.region != "angers"
                      else ctx.territory.rivers["Loire (Angers)"])
    features = []
    step = 2000.0
    at, number = 500.0, 1
    while at < loire.length:
        centre = to_degrees(loire.interpolate(at))
        if _inside(centre, ctx.area):
            line = ctx.territory.across("Loire" if ctx.region != "angers" else "Loire (Angers)", centre.x, centre.y,
                                        extra_m=150)
            pts = [line.interpolate(f, normalized=True) for f in [i / 40 for i in range(41)]]
            z = ctx.territory.elevation([p.x for p in pts], [p.y for p in pts], ctx.seed, bathymetry=True)
            geom = LineString([(p.x, p.y, float(h)) for p, h in zip(pts, z, strict=True)])
            features.append((geom, {"profil": f"P{number:03d}", "pk_km": round(at / 1000, 1),
                                    "date_leve": _date(ctx.rng, date(2023, 4, 1), date(2025, 9, 30)),
                                    "z_min_m": float(min(z)), "methode": ctx.rng.choice(
                                        ("sondeur multifaisceau + GNSS", "sondeur monofaisceau + tachéomètre")),
                                    "systeme_altimetrique": "NGF-IGN69"}))
        at += step
        number += 1
    return features


def watercourses(ctx: Context) -> list[Feature]:
    """GC005: the watercourses (BD TOPAGE-like), one feature each."""
    result = []
    for name, line in ctx.rivers().items():
        base = name.split(" (")[0]
        result.append((line, {"code_hydro": RIVER_CODES.get(base, "--------"), "toponyme": name,
                              "classe": "fleuve" if base == "Loire" else "rivière", "perenne": True,
                              "longueur_km": round(to_metres(line).length / 1000, 1)}))
    return result


def river_segments(ctx: Context) -> list[Feature]:
    """GC006: the watercourses cut into hydrographic segments of about 2 km."""
    result = []
    for name, line in ctx.rivers().items():
        metric = to_metres(line)
        count = max(1, round(metric.length / 2000))
        base = name.split(" (")[0]
        for i in range(count):
            piece = to_degrees(ops.substring(metric, i * metric.length / count, (i + 1) * metric.length / count))
            result.append((piece, {"code_troncon": f"TRON{RIVER_CODES.get(base, 'X').replace('-', '0')}{i + 1:03d}",
                                   "cours_d_eau": name, "rang": i + 1,
                                   "largeur": "plus de 50 m" if base in ("Loire", "Maine") else "15 à 50 m"
                                   if base in ("Erdre", "Sèvre nantaise", "Acheneau") else "moins de 15 m",
                                   "sens_ecoulement": "aval" if base != "Loire" or ctx.region == "angers"
                                   else "aval (soumis à la marée)"}))
    return result


def basins(ctx: Context) -> list[Feature]:
    """GC007: the topographic catchments: Voronoi cells of points along the rivers, merged by river."""
    seeds, owners = [], []
    for name, line in ctx.rivers().items():
        metric = to_metres(line)
        for i in range(int(metric.length // 1000) + 1):
            seeds.append(to_degrees(metric.interpolate(i * 1000.0)))
            owners.append(name.split(" (")[0])
    if len(seeds) < 2:
        return []
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=ctx.box.buffer(0.05), ordered=True)
    by_river: dict[str, list[BaseGeometry]] = {}
    for cell, owner in zip(shapely.get_parts(cells), owners, strict=True):
        by_river.setdefault(owner, []).append(cell.intersection(ctx.box))
    result = []
    for river, pieces in sorted(by_river.items()):
        shape = _polygonal(shapely.union_all(pieces))
        if shape is not None:
            label = "Loire (bassin intermédiaire)" if river == "Loire" else river
            result.append((shape, {"code_bv": f"BV{RIVER_CODES.get(river, 'X').replace('-', '0')}",
                                   "nom": f"Bassin versant : {label}",
                                   "surface_km2": round(to_metres(shape).area / 1e6, 1)}))
    return result


def water_bodies(ctx: Context) -> list[Feature]:
    """GC008: water surfaces: the rivers' beds, Lake Grand-Lieu, the Erdre's widening, marsh ponds."""
    result = [(ctx.territory.water.intersection(ctx.box), {"nom": "Lits mineurs en eau", "nature": "cours d'eau",
                                                            "persistance": "permanent"})]
    lakes = [("Lac de Grand-Lieu", -1.675, 47.090, 4200, 3000, 10.0, "lac naturel"),
             ("Plaine de Mazerolles (Erdre)", -1.528, 47.345, 1100, 450, 80.0, "plan d'eau"),
             ("Étang du Bois-Joalland", -2.090, 47.380, 350, 200, 30.0, "étang")]
    for name, lon, lat, a, b, angle, nature in lakes:
        result.append((ellipse(lon, lat, a, b, angle), {"nom": name, "nature": nature, "persistance": "permanent"}))
    for _name, lon, lat, a, b, angle in MARSHES[:2]:
        marsh = ellipse(lon, lat, a, b, angle)
        for i, centre in enumerate(points_in(marsh, 6, ctx.rng), start=1):
            pond = ellipse(centre.x, centre.y, ctx.rng.uniform(60, 220), ctx.rng.uniform(40, 120),
                           ctx.rng.uniform(0, 180))
            result.append((pond, {"nom": f"Mare {i} ({_name})", "nature": "mare", "persistance": "intermittent"}))
    return clip(result, ctx.area)


def hydrometric_stations(ctx: Context) -> list[Feature]:
    """GC009: the hydrometric stations (Sandre-like reference)."""
    result = []
    for gauge in RIVER_GAUGES:
        point = ctx.territory.on_river(gauge.river, gauge.lon, gauge.lat)
        if _inside(point, ctx.area):
            result.append((point, {"code_station": gauge.id, "libelle": gauge.name, "cours_d_eau": gauge.river,
                                   "zero_echelle_m_ngf": gauge.datum, "grandeurs": "H, Q" if gauge.tide == 0
                                   else "H (marée), Q estimé", "en_service": True,
                                   "influence_maree": gauge.tide > 0}))
    return result


VIGILANCE = {"Loire aval": "orange", "Sèvre nantaise": "jaune", "Erdre": "vert", "Acheneau": "jaune",
             "Brivet": "vert", "Maine": "jaune", "Loire (Angers)": "jaune"}


def vigilance(ctx: Context) -> list[Feature]:
    """GC012: the flood-watch reaches and their colour on the episode's peak (22 January 2026)."""
    result = []
    for name, line in ctx.rivers().items():
        reach = "Loire aval" if name == "Loire" else name
        if reach not in VIGILANCE:
            continue
        result.append((line, {"troncon": reach, "code_troncon": f"LA{len(result) + 1:02d}",
                              "couleur": VIGILANCE[reach], "niveau": ("vert", "jaune", "orange", "rouge").index(
                                  VIGILANCE[reach]) + 1, "valide_du": "2026-01-22T16:00:00Z",
                              "valide_au": "2026-01-23T16:00:00Z"}))
    return clip(result, ctx.area)


def potential_flood_zones(ctx: Context) -> list[Feature]:
    """GC014: potential flood zones (ZIP) for five water levels at Nantes, with their uncertainty bands (ZICH)."""
    result = []
    for i, (factor, level) in enumerate(((0.25, 5.5), (0.45, 6.0), (0.62, 6.5), (0.8, 7.0), (1.0, 7.5)), start=1):
        zone = ctx.territory.flood_envelope(factor)
        result.append((zone, {"scenario": f"S{i}", "type": "ZIP", "hauteur_station_m": level,
                              "station": "M800002010"}))
        band = _polygonal(ctx.territory.flood_envelope(factor * 1.08).difference(zone))
        if band is not None:
            result.append((band, {"scenario": f"S{i}", "type": "ZICH", "hauteur_station_m": level,
                                  "station": "M800002010"}))
    return clip(result, ctx.area)


def extreme_sea_levels(ctx: Context) -> list[Feature]:
    """GC020: extreme sea levels (return periods) along the estuary's shores."""
    shore = ctx.territory.banks[0]
    result = []
    metric = to_metres(shore)
    for i in range(14):
        point = to_degrees(metric.interpolate(metric.length * (1 - i / 13)))
        base = 3.55 + 0.06 * i  # the tide is amplified towards Nantes
        result.append((point, {"point": f"NEE{i + 1:02d}", "nee_t10_m_ngf": round(base, 2),
                               "nee_t50_m_ngf": round(base + 0.32, 2), "nee_t100_m_ngf": round(base + 0.45, 2),
                               "nee_t1000_m_ngf": round(base + 0.85, 2),
                               "surcote_t100_m": round(1.1 + 0.02 * i + ctx.rng.uniform(-0.05, 0.05), 2)}))
    return clip(result, ctx.area)


def groundwater_zones(ctx: Context) -> list[Feature]:
    """GC022: areas prone to groundwater flooding (débordement de nappe, inondation de cave)."""
    over = _polygonal(ctx.territory.flood_envelope(0.7))
    cellar = _polygonal(ctx.territory.flood_envelope(1.25).difference(ctx.territory.flood_envelope(0.7)))
    result = []
    if over is not None:
        result.append((over, {"classe": "zones potentiellement sujettes aux débordements de nappe",
                              "fiabilite": "moyenne"}))
    if cellar is not None:
        result.append((cellar, {"classe": "zones potentiellement sujettes aux inondations de cave",
                                "fiabilite": "faible"}))
    return clip(result, ctx.area)


LAND_COVER = (("CS1.1.1.1", "Zones bâties"), ("CS1.1.1.2", "Zones non bâties (voiries, parkings)"),
              ("CS2.2.1", "Formations herbacées"), ("CS2.1.1.1", "Peuplements de feuillus"),
              ("CS2.2.2", "Autres formations herbacées (prairies humides)"), ("CS1.2.2", "Surfaces d'eau"),
              ("CS2.1.3", "Autres formations ligneuses (vignes, vergers)"))


def _cover_class(ctx: Context, cell: BaseGeometry, classes: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """A land-cover class from where the cell is: built-up near the communes' centres, wet meadows in the
    flood plain, woods and fields elsewhere."""
    c = cell.representative_point()
    if ctx.territory.water.covers(c):
        return classes[5]
    if ctx.territory.towns.covers(c):
        return classes[0] if ctx.rng.random() < 0.75 else classes[1]
    if ctx.territory.flood_medium.covers(c):
        return classes[4] if ctx.rng.random() < 0.8 else classes[2]
    return ctx.rng.choices(classes[1:5] + classes[6:], weights=(1, 8, 3, 2, 2))[0]


def land_cover(ctx: Context) -> list[Feature]:
    """GC023: large-scale land cover (OCS GE-like): a mosaic of polygons classified by position."""
    result = []
    for cell in mosaic(ctx.territory.land(ctx.area), 420, ctx.rng):
        code, label = _cover_class(ctx, cell, LAND_COVER)
        result.append((cell, {"code_cs": code, "libelle_cs": label, "millesime": 2022}))
    water = _polygonal(ctx.territory.water.intersection(ctx.box))
    if water is not None:
        result.append((water, {"code_cs": "CS1.2.2", "libelle_cs": "Surfaces d'eau", "millesime": 2022}))
    return result


CORINE = (("112", "Tissu urbain discontinu"), ("121", "Zones industrielles ou commerciales"),
          ("211", "Terres arables hors périmètres d'irrigation"), ("311", "Forêts de feuillus"),
          ("411", "Marais intérieurs"), ("511", "Cours et voies d'eau"),
          ("231", "Prairies et autres surfaces en herbe"))


def corine(ctx: Context) -> list[Feature]:
    """GC024: Corine Land Cover 2018-like (coarser mosaic, CLC codes)."""
    result = []
    for cell in mosaic(ctx.territory.land(ctx.area), 160, ctx.rng):
        code, label = _cover_class(ctx, cell, CORINE)
        result.append((cell, {"code_18": code, "libelle": label}))
    water = _polygonal(ctx.territory.water.intersection(ctx.box))
    if water is not None:
        result.append((water, {"code_18": "511", "libelle": "Cours et voies d'eau"}))
    return result


def roughness(ctx: Context) -> list[Feature]:
    """GC025: Strickler roughness coefficients over the flood plain, derived from land cover."""
    table = {"CS1.1.1.1": 12, "CS1.1.1.2": 40, "CS2.2.1": 22, "CS2.1.1.1": 8, "CS2.2.2": 18, "CS1.2.2": 35,
             "CS2.1.3": 15}
    result = []
    plain = ctx.territory.flood_extreme.intersection(ctx.box)
    for cell in mosaic(plain, 220, ctx.rng):
        code, label = _cover_class(ctx, cell, LAND_COVER)
        result.append((cell, {"occupation": label, "strickler_k": table[code] + ctx.rng.choice((-2, 0, 0, 2)),
                              "source": "OCS GE 2022 + expertise"}))
    water = _polygonal(ctx.territory.water.intersection(ctx.box))
    if water is not None:
        result.append((water, {"occupation": "Lit mineur", "strickler_k": 35, "source": "calage du modèle"}))
    return result


SOILS = (("Fluviosols (alluvions)", "faible"), ("Réductisols (marais)", "très faible"),
         ("Brunisols sur micaschistes", "moyenne"), ("Luvisols limoneux", "moyenne"),
         ("Alocrisols sur granite", "forte"), ("Rankosols", "forte"))


def soils(ctx: Context) -> list[Feature]:
    """GC026: soil units and their permeability."""
    result = []
    for i, cell in enumerate(mosaic(ctx.territory.land(ctx.area), 70, ctx.rng), start=1):
        c = cell.representative_point()
        if ctx.territory.flood_extreme.covers(c):
            soil = SOILS[0] if ctx.rng.random() < 0.7 else SOILS[1]
        else:
            soil = ctx.rng.choice(SOILS[2:])
        result.append((cell, {"ucs": f"UCS{i:03d}", "sol_dominant": soil[0], "permeabilite": soil[1],
                              "rum_mm": ctx.rng.randrange(40, 180, 10)}))
    return result


GEOLOGY = (("Fz", "Alluvions récentes (argiles, sables)"), ("ξ", "Micaschistes"), ("ζ", "Gneiss"),
           ("γ", "Granite"), ("p", "Sables pliocènes"))


def geology(ctx: Context) -> list[Feature]:
    """GC027: geological map 1:50 000: the alluvium of the valleys and the basement's units."""
    alluvium = _polygonal(ctx.territory.flood_envelope(1.1).union(ctx.territory.water).intersection(ctx.box))
    result = []
    if alluvium is not None:
        result.append((alluvium, {"notation": GEOLOGY[0][0], "description": GEOLOGY[0][1], "ere": "Quaternaire"}))
    rest = ctx.box.difference(alluvium) if alluvium is not None else ctx.box
    for cell in mosaic(rest, 40, ctx.rng):
        notation, description = ctx.rng.choice(GEOLOGY[1:])
        result.append((cell, {"notation": notation, "description": description,
                              "ere": "Tertiaire" if notation == "p" else "Paléozoïque"}))
    return result


def _dike_lines(ctx: Context) -> list[tuple[LineString, str, str]]:
    """Dike lines along the Loire's banks where the flood plain is wide (bank, name)."""
    right, left = ctx.territory.banks
    stretches = ((right, "rive droite", (-1.71, -1.60), "Digue de Couëron – Indre"),
                 (right, "rive droite", (-1.98, -1.80), "Digue de Cordemais – Lavau"),
                 (left, "rive gauche", (-1.80, -1.68), "Digue du Pellerin – La Montagne"),
                 (left, "rive gauche", (-2.05, -1.90), "Digue de Frossay – Paimbœuf"),
                 (right, "rive droite", (-2.17, -2.07), "Digue de Donges – Montoir"))
    result = []
    for line, bank, (west, east), name in stretches:
        piece = _lineal(line.intersection(box(west, 47.0, east, 47.6)))
        if piece is not None:
            result.append((piece, bank, name))
    # the Maine's left-bank dike in Angers
    maine = ctx.territory.rivers["Maine"]
    result.append((to_degrees(to_metres(maine).offset_curve(-140)).intersection(box(-0.60, 47.43, -0.54, 47.50)),
                   "rive gauche", "Levée de la Maine (Angers)"))
    return [(line, bank, name) for line, bank, name in result
            if not line.is_empty and line.intersects(ctx.box)]


def dikes(ctx: Context) -> list[Feature]:
    """GC028: hydraulic structures (dikes), class, height and manager (SIOUH-like)."""
    result = []
    for i, (line, bank, name) in enumerate(_dike_lines(ctx), start=1):
        result.append((line, {"code_ouvrage": f"DIG44{i:04d}", "nom": name, "rive": bank,
                              "classe": ctx.rng.choice(("A", "B", "B", "C")),
                              "hauteur_m": round(ctx.rng.uniform(1.5, 4.5), 1),
                              "gestionnaire": ctx.rng.choice(("Nantes Métropole", "CARENE", "Département de "
                                                              "Loire-Atlantique", "Syndicat Loire aval")),
                              "etat": ctx.rng.choice(("bon", "moyen", "à surveiller"))}))
    return clip(result, ctx.area)


def levee_systems(ctx: Context) -> list[Feature]:
    """GC029: GEMAPI levee systems: the dikes and the area each protects."""
    result = []
    flood = ctx.territory.flood_extreme
    for i, (line, bank, name) in enumerate(_dike_lines(ctx), start=1):
        protected = _polygonal(to_degrees(to_metres(line).buffer(1800, single_sided=False)).intersection(flood))
        system = f"SE{i:02d} — système d'endiguement ({name.removeprefix('Digue ').removeprefix('Levée ')})"
        result.append((line, {"systeme": system, "element": "digue", "rive": bank,
                              "niveau_protection_m_ngf": round(ctx.rng.uniform(5.5, 7.0), 2),
                              "arrete_autorisation": _date(ctx.rng, date(2019, 1, 1), date(2024, 12, 31))}))
        if protected is not None:
            result.append((protected, {"systeme": system, "element": "zone protégée", "rive": bank,
                                       "population_protegee": ctx.rng.randrange(200, 6000, 50)}))
    return clip(result, ctx.area)


def flow_obstacles(ctx: Context) -> list[Feature]:
    """GC030: obstacles to flow (ROE-like): weirs, sluices, locks on the tributaries."""
    kinds = ("Seuil en rivière", "Barrage", "Écluse", "Vanne", "Clapet")
    result = []
    for name, line in ctx.rivers().items():
        if name.startswith("Loire"):
            continue
        metric = to_metres(line)
        count = max(2, int(metric.length // 3500))
        for i in range(1, count + 1):
            point = to_degrees(metric.interpolate(metric.length * i / (count + 1)))
            result.append((point, {"code_roe": f"ROE{ctx.rng.randrange(10000, 99999)}", "cours_d_eau": name,
                                   "type": ctx.rng.choice(kinds),
                                   "hauteur_chute_m": round(ctx.rng.uniform(0.2, 2.5), 1),
                                   "franchissable": ctx.rng.choice(("oui", "partiellement", "non"))}))
    return clip(result, ctx.area)


def dams(ctx: Context) -> list[Feature]:
    """GC031: dams, locks and regulating works, with their retention."""
    works = (("Écluse Saint-Félix (Erdre)", "Erdre", -1.552, 47.214, "écluse et barrage mobile", 0.0),
             ("Barrage de Pont-Rousseau (Sèvre)", "Sèvre nantaise", -1.530, 47.192, "barrage à clapets", 0.3),
             ("Vannage de Buzay (Acheneau)", "Acheneau", -1.812, 47.220, "vannes de régulation", 0.0),
             ("Barrage de Bouchemaine (Maine)", "Maine", -0.607, 47.416, "barrage mobile", 0.1),
             ("Vannage de Méan (Brivet)", "Brivet", -2.170, 47.296, "portes à flot", 0.0))
    result = []
    for name, river, lon, lat, kind, volume in works:
        point = ctx.territory.on_river(river, lon, lat)
        result.append((point, {"nom": name, "cours_d_eau": river, "type": kind,
                               "volume_retenue_hm3": volume, "hauteur_m": round(ctx.rng.uniform(2, 6), 1),
                               "classe": ctx.rng.choice(("B", "C"))}))
    return clip(result, ctx.area)


def bridges(ctx: Context) -> list[Feature]:
    """GC032: bridges over the rivers, as lines across the bed, with their opening."""
    managers = {"cerema": ("state", "metropole"), "departement-44": ("departement",)}.get(
        ctx.provider, ("state", "departement", "metropole"))
    labels = {"state": "État (DIR Ouest)", "departement": "Département", "metropole": "Métropole / commune"}
    result = []
    for bridge in BRIDGES:
        if bridge.manager not in managers:
            continue
        line = ctx.territory.across(bridge.river, bridge.lon, bridge.lat)
        length = to_metres(line).length
        result.append((line, {"nom": bridge.name, "cours_d_eau": bridge.river, "voie": bridge.road,
                              "gestionnaire": labels[bridge.manager], "longueur_m": round(length),
                              "tirant_air_m": round(ctx.rng.uniform(4, 55 if bridge.river == "Loire" else 8), 1),
                              "cote_intrados_m_ngf": round(ctx.rng.uniform(6.5, 12), 2),
                              "nb_piles_en_lit": 0 if length < 60 else ctx.rng.randint(1, 8)}))
    return clip(result, ctx.area)


def _outfall(ctx: Context, point: Point) -> Point:
    rivers = list(ctx.territory.rivers.values())
    nearest = min(rivers, key=lambda line: line.distance(point))
    return nearest.interpolate(nearest.project(point))


def storm_sewers(ctx: Context) -> list[Feature]:
    """GC033: storm-water network: collectors from the districts down to their outfalls on the rivers."""
    result = []
    materials = ("béton", "PVC", "fonte", "PEHD")
    for place in ctx.places():
        for i in range(max(3, int(place.radius_m / 200))):
            start = points_in(disc(place), 1, ctx.rng)
            if not start:
                continue
            outfall = _outfall(ctx, start[0])
            mid = LineString([start[0], outfall]).interpolate(ctx.rng.uniform(0.3, 0.7), normalized=True)
            bend = Point(mid.x + ctx.rng.uniform(-0.002, 0.002), mid.y + ctx.rng.uniform(-0.0015, 0.0015))
            line = LineString([start[0], bend, outfall])
            length = to_metres(line).length
            result.append((line, {"id_troncon": f"EP{place.insee}{i + 1:03d}", "commune": place.name,
                                  "type": "collecteur pluvial", "diametre_mm": 300 + 100 * min(int(length // 700), 12),
                                  "materiau": ctx.rng.choice(materials), "annee_pose": ctx.rng.randint(1955, 2020),
                                  "gestionnaire": ctx.provider_name}))
            result.append((outfall, {"id_exutoire": f"EX{place.insee}{i + 1:03d}", "commune": place.name,
                                     "type": "exutoire", "clapet_anti_retour": ctx.rng.random() < 0.6,
                                     "cote_radier_m_ngf": round(ctx.rng.uniform(1.5, 4.0), 2)}))
    return clip(result, ctx.area)


def retention_basins(ctx: Context) -> list[Feature]:
    """GC034: storm-water retention basins and works."""
    result = []
    land = ctx.territory.land(ctx.area)
    for place in ctx.places():
        for i, centre in enumerate(points_in(disc(place, 1.3).intersection(land), max(2, int(place.radius_m / 500)),
                                             ctx.rng), start=1):
            a, b = ctx.rng.uniform(25, 90), ctx.rng.uniform(15, 50)
            result.append((ellipse(centre.x, centre.y, a, b, ctx.rng.uniform(0, 180)),
                           {"id_ouvrage": f"BR{place.insee}{i:02d}", "commune": place.name,
                            "type": ctx.rng.choice(("bassin à ciel ouvert", "bassin enterré", "noue")),
                            "volume_m3": int(math.pi * a * b * ctx.rng.uniform(1.2, 2.5)),
                            "debit_fuite_l_s": ctx.rng.randrange(10, 200, 5), "gestionnaire": ctx.provider_name}))
    return clip(result, ctx.area)


FLOODS = ((1910, "crue de janvier 1910"), (1936, "crue de février 1936"), (1982, "crue de décembre 1982"),
          (1995, "crue de janvier 1995"), (1999, "tempête de décembre 1999"), (2010, "tempête Xynthia (février 2010)"))


def flood_marks(ctx: Context) -> list[Feature]:
    """GC036: flood marks (repères de crues) and highest known water levels (PHEC)."""
    result = []
    plain = ctx.territory.flood_medium
    for place in ctx.places():
        zone = disc(place, 1.2).intersection(plain)
        for i, point in enumerate(points_in(zone, 3 if place.radius_m > 1500 else 1, ctx.rng), start=1):
            year, label = ctx.rng.choice(FLOODS)
            result.append((point, {"id_repere": f"RC{place.insee}{i:02d}", "commune": place.name, "crue": label,
                                   "annee": year, "cote_phec_m_ngf": round(ctx.rng.uniform(5.2, 7.6), 2),
                                   "hauteur_sol_m": round(ctx.rng.uniform(0.3, 1.6), 2),
                                   "support": ctx.rng.choice(("plaque émaillée", "macaron", "inscription"))}))
    return result


def flood_atlas(ctx: Context) -> list[Feature]:
    """GC037: flood-prone areas atlas (AZI): lit mineur, lit moyen, lit majeur (hydrogeomorphological method)."""
    water, medium, extreme = ctx.territory.water, ctx.territory.flood_medium, ctx.territory.flood_extreme
    parts = (("lit mineur", water), ("lit moyen", medium), ("lit majeur", _polygonal(extreme.difference(medium))))
    return clip([(geom, {"unite": unit, "methode": "hydrogéomorphologique", "echelle": "1:25 000"})
                 for unit, geom in parts if geom is not None and not geom.is_empty], ctx.area)


def hydraulic_mesh(ctx: Context) -> list[Feature]:
    """GC038: the 2D hydraulic model's mesh over the flood plain: Delaunay triangles with bottom heights and
    roughness."""
    domain = ctx.territory.flood_medium.union(ctx.territory.water).intersection(ctx.box)
    nodes = points_in(domain, 420, ctx.rng)
    if len(nodes) < 3:
        return []
    triangles = [t for t in shapely.get_parts(shapely.delaunay_triangles(MultiPoint(nodes)))
                 if domain.covers(t.representative_point())]
    centroids = [t.centroid for t in triangles]
    z = ctx.territory.elevation([c.x for c in centroids], [c.y for c in centroids], ctx.seed, bathymetry=True)
    water = ctx.territory.water
    return [(t, {"maille": i, "z_fond_m_ngf": float(h),
                 "strickler_k": 35 if water.covers(c) else ctx.rng.choice((12, 15, 18, 22)),
                 "zone": "lit mineur" if water.covers(c) else "lit majeur"})
            for i, (t, c, h) in enumerate(zip(triangles, centroids, z, strict=True), start=1)]


def _ppri_name(ctx: Context) -> str:
    return "PPRI Val de Loire – confluence de la Maine" if ctx.region == "angers" else "PPRI de la Loire aval"


def ppri_zoning(ctx: Context) -> list[Feature]:
    """GC039: PPRI regulatory zoning: red (strong hazard or natural areas) and blue (built-up, lower hazard)."""
    bands = {band.level: band.geometry for band in ctx.territory.hazard_bands}
    strong = shapely.union_all([bands.get("tres-fort", Polygon()), bands.get("fort", Polygon())])
    weak = shapely.union_all([bands.get("moyen", Polygon()), bands.get("faible", Polygon())])
    towns = ctx.territory.towns
    zones = (("R", "rouge", "inconstructible (aléa fort ou champ d'expansion des crues)",
              shapely.union(strong, weak.difference(towns))),
             ("B", "bleue", "constructible sous prescriptions", weak.intersection(towns)))
    procedure = "49DDT20150002" if ctx.region == "angers" else "44DDTM20140001"
    return clip([(geom, {"code_zone": code, "zone": f"zone {label}", "reglement": rule, "procedure": procedure,
                         "ppri": _ppri_name(ctx)})
                 for code, label, rule, geom in zones if not geom.is_empty], ctx.area)


def hazard_zones(ctx: Context) -> list[Feature]:
    """GC040 / GC045: the reference flood's hazard levels (water depth classes)."""
    return clip([(band.geometry, {"alea": band.label, "code_alea": band.level, "hauteur_eau": band.depth,
                                  "crue_reference": "crue centennale modélisée (type 1910)"})
                 for band in ctx.territory.hazard_bands], ctx.area)


def stakes(ctx: Context) -> list[Feature]:
    """GC041 / GC046: stakes in the flood plain: built-up areas and sensitive establishments."""
    flood = ctx.territory.flood_extreme
    result: list[Feature] = []
    for place in ctx.places():
        zone = _polygonal(disc(place, 1.1).intersection(flood))
        if zone is not None:
            result.append((zone, {"enjeu": "zone urbanisée", "commune": place.name,
                                  "population_estimee": ctx.rng.randrange(100, 8000, 10)}))
    for facility in (*HOSPITALS, *SENSITIVE_SITES, *HERITAGE):
        point = Point(facility.lon, facility.lat)
        if flood.covers(point):
            result.append((point, {"enjeu": facility.kind, "nom": facility.name,
                                   "hauteur_eau": _flood_depth_class(ctx, point)}))
    return clip(result, ctx.area)


def ppri_perimeter(ctx: Context) -> list[Feature]:
    """GC042: the PPRI's study perimeter and its GASPAR procedure."""
    perimeter = _polygonal(ctx.territory.flood_extreme.union(ctx.territory.water).intersection(ctx.box)
                           .buffer(0.004).simplify(0.001).intersection(ctx.box))
    if perimeter is None:
        return []
    insee = [p.insee for p in ctx.places() if perimeter.intersects(disc(p))]
    angers = ctx.region == "angers"
    return [(perimeter, {"procedure": "49DDT20150002" if angers else "44DDTM20140001", "ppri": _ppri_name(ctx),
                         "etat": "approuvé", "date_prescription": "2011-05-12" if angers else "2010-02-04",
                         "date_approbation": "2015-06-23" if angers else "2014-03-31",
                         "communes": ", ".join(insee)})]


def _tri_areas(ctx: Context) -> list[tuple[str, str, BaseGeometry]]:
    groups = (("TRI de Nantes", "FRL_TRI_NANTES", ("Nantes", "Rezé", "Saint-Herblain", "Couëron", "Bouguenais",
                                                   "Saint-Sébastien-sur-Loire", "Indre", "La Montagne", "Vertou",
                                                   "Sainte-Luce-sur-Loire", "Thouaré-sur-Loire")),
              ("TRI de Saint-Nazaire – presqu'île de Guérande", "FRL_TRI_STNAZAIRE",
               ("Saint-Nazaire", "Montoir-de-Bretagne", "Trignac", "Donges", "Saint-Brevin-les-Pins")),
              ("TRI d'Angers – Authion – Saumur", "FRL_TRI_ANGERS", ("Angers", "Les Ponts-de-Cé", "Bouchemaine",
                                                                      "Trélazé")))
    by_name = {p.name: p for p in COMMUNES}
    result = []
    for name, code, members in groups:
        shape = shapely.union_all([disc(by_name[m], 2.2) for m in members]).simplify(0.001)
        result.append((name, code, shape))
    return result


def tri_perimeters(ctx: Context) -> list[Feature]:
    """GC043: the territories at significant flood risk (TRI)."""
    return clip([(shape, {"tri": name, "code_tri": code, "arrete": "2018-12-05", "cycle": "2016-2021"})
                 for name, code, shape in _tri_areas(ctx)], ctx.area)


def tri_flood_extents(ctx: Context) -> list[Feature]:
    """GC044: TRI flood extents for the frequent, medium and extreme scenarios."""
    result = []
    for name, code, shape in _tri_areas(ctx):
        for scenario, geom in (("fréquent", ctx.territory.flood_frequent), ("moyen", ctx.territory.flood_medium),
                               ("extrême", ctx.territory.flood_extreme)):
            piece = _polygonal(geom.intersection(shape))
            if piece is not None:
                result.append((piece, {"tri": name, "code_tri": code, "scenario": scenario,
                                       "periode_retour": {"fréquent": "10 à 30 ans", "moyen": "100 à 300 ans",
                                                          "extrême": "1000 ans et plus"}[scenario]}))
    return clip(result, ctx.area)


def tri_depths(ctx: Context) -> list[Feature]:
    """GC045: TRI water-depth classes of the medium scenario."""
    result = []
    for name, code, shape in _tri_areas(ctx):
        for band in ctx.territory.hazard_bands:
            piece = _polygonal(band.geometry.intersection(shape))
            if piece is not None:
                result.append((piece, {"tri": name, "code_tri": code, "scenario": "moyen",
                                       "classe_hauteur": band.depth, "classe_vitesse":
                                       "forte" if band.level == "tres-fort" else "faible à moyenne"}))
    return clip(result, ctx.area)


def protective_works(ctx: Context) -> list[Feature]:
    """GC047: protective works and the over-hazard strips behind them (bande de précaution)."""
    result = []
    flood = ctx.territory.flood_extreme
    for line, bank, name in _dike_lines(ctx):
        result.append((line, {"ouvrage": name, "rive": bank, "type": "digue de protection",
                              "niveau_protection": "crue de période de retour 100 ans"}))
        strip = _polygonal(to_degrees(to_metres(line).buffer(300)).intersection(flood))
        if strip is not None:
            result.append((strip, {"ouvrage": name, "rive": bank, "type": "zone de sur-aléa (bande de précaution)",
                                   "largeur_m": 300}))
    return clip(result, ctx.area)


def eaip(ctx: Context) -> list[Feature]:
    """GC048: approximate envelopes of potential floods (EAIP), river and sea."""
    river = _polygonal(ctx.territory.flood_envelope(1.35))
    sea = _polygonal(shapely.union_all([ellipse(lon, lat, a * 1.2, b * 1.2, angle)
                                        for _n, lon, lat, a, b, angle in MARSHES[:2]])
                     .union(ctx.territory.flood_envelope(1.2).intersection(box(-2.35, 47.15, -2.0, 47.40))))
    return clip([(geom, {"type": kind, "source": "EPRI 2011, mise à jour 2018"})
                 for kind, geom in (("EAIP cours d'eau", river), ("EAIP submersion marine", sea)) if geom is not None],
                ctx.area)


def low_coastal_zones(ctx: Context) -> list[Feature]:
    """GC049: low-lying coastal areas below the reference sea level (PHMA)."""
    marshes = [ellipse(lon, lat, a, b, angle) for _n, lon, lat, a, b, angle in MARSHES[:2]]
    below = _polygonal(shapely.union_all(marshes).union(
        ctx.territory.flood_envelope(0.5).intersection(box(-2.35, 47.15, -1.95, 47.40))))
    near = _polygonal(shapely.union_all([m.buffer(0.006) for m in marshes]).difference(shapely.union_all(marshes))
                      .difference(ctx.territory.water))
    result = []
    if below is not None:
        result.append((below, {"classe": "sous le niveau des plus hautes mers astronomiques",
                               "niveau_reference_m_ngf": 3.35}))
    if near is not None:
        result.append((near, {"classe": "moins de 1 m au-dessus de ce niveau", "niveau_reference_m_ngf": 3.35}))
    return clip(result, ctx.area)


def papi_perimeters(ctx: Context) -> list[Feature]:
    """GC050: PAPI / SLGRI perimeters."""
    envelope = ctx.territory.flood_envelope(1.3).union(ctx.territory.water)
    estuary = _polygonal(envelope.intersection(box(-2.32, 47.08, -1.38, 47.42)).buffer(0.01).simplify(0.002))
    label = ("SLGRI de l'estuaire de la Loire", "SLGRI") if ctx.provider == "syloa" else \
        ("PAPI Loire aval et estuaire", "PAPI")
    features = []
    if estuary is not None:
        features.append((estuary, {"nom": label[0], "type": label[1], "porteur": ctx.provider_name,
                                   "periode": "2022-2028", "etat": "labellisé"}))
    return clip(features, ctx.area)


def buildings_layer(ctx: Context) -> list[Feature]:
    """GC051: buildings (BD TOPO-like)."""
    return [(b.footprint, {"cleabs": b.id, "usage_1": b.usage, "nombre_d_etages": b.floors,
                           "hauteur": round(b.floors * 3.0 + 0.5, 1), "nombre_de_logements": b.dwellings,
                           "date_creation": f"{b.year}-01-01", "commune": b.place.name,
                           "code_insee": b.place.insee}) for b in _own_buildings(ctx)]


def land_files(ctx: Context) -> list[Feature]:
    """GC052: premises from the land files (fichiers fonciers): one point per premises, with its dwellings, floor
    and year — the ground floor matters for flood vulnerability."""
    result = []
    for b in _own_buildings(ctx):
        if b.usage in ("Annexe", "Indifférencié"):
            continue
        for level in range(2 if b.floors > 2 and b.usage == "Résidentiel" else 1):
            result.append((b.footprint.representative_point(), {
                "idlocal": f"{b.place.insee}{ctx.rng.randrange(10**9, 10**10)}", "code_insee": b.place.insee,
                "nature": "appartement" if b.floors > 2 and b.usage == "Résidentiel" else
                "maison" if b.usage == "Résidentiel" else "local d'activité",
                "niveau": level, "rez_de_chaussee": level == 0,
                "surface_m2": round(to_metres(b.footprint).area * ctx.rng.uniform(0.6, 0.9) / max(1, b.floors > 2)),
                "annee_construction": b.year, "nb_logements": 1 if b.usage == "Résidentiel" else 0}))
    return result


def parcels(ctx: Context) -> list[Feature]:
    """GC053: cadastral parcels: Voronoi cells of the buildings and of empty lots, cut to the built-up areas."""
    result = []
    mine = _own_buildings(ctx)
    for place in ctx.places():
        own = [b for b in mine if b.place is place]
        area = disc(place, 0.9).difference(ctx.territory.water)
        seeds = [b.footprint.centroid for b in own if area.covers(b.footprint.centroid)]
        seeds += points_in(area, max(5, len(seeds) // 5), ctx.rng)
        if len(seeds) < 2:
            continue
        shapely.prepare(area)
        cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=area.envelope, ordered=True))
        for i, cell in enumerate(shapely.intersection(cells, area), start=1):
            piece = _polygonal(cell)
            if piece is None:
                continue
            section = chr(ord("A") + (i // 400) % 26) + chr(ord("A") + (i // 40) % 26)
            result.append((piece, {"id": f"{place.insee}000{section}{i:04d}", "commune": place.insee,
                                   "section": section, "numero": f"{i:04d}",
                                   "contenance_m2": round(to_metres(piece).area)}))
    return clip(result, ctx.area)


def addresses(ctx: Context) -> list[Feature]:
    """GC054: addresses (BAN-like): one per residential or commercial building."""
    result = []
    numbers: dict[tuple[str, str], int] = {}
    for b in _own_buildings(ctx):
        if b.usage in ("Annexe", "Indifférencié"):
            continue
        street = ctx.rng.choice(STREETS)
        numbers[(b.place.insee, street)] = numbers.get((b.place.insee, street), 0) + ctx.rng.randint(1, 3)
        number = numbers[(b.place.insee, street)]
        street_code = f"{STREETS.index(street) + 1:04d}"
        result.append((b.footprint.representative_point(), {
            "id": f"{b.place.insee}_{street_code}_{number:05d}", "numero": number, "nom_voie": street,
            "code_postal": f"{b.place.insee[:2]}{ctx.rng.choice(('000', '100', '200', '300'))}",
            "code_insee": b.place.insee, "nom_commune": b.place.name, "position": "entrée"}))
    return result


def population_grid(ctx: Context) -> list[Feature]:
    """GC055: gridded population (200 m squares) over the built-up areas."""
    result = []
    cell = 200.0
    for place in ctx.places():
        centre = to_metres(place.point)
        r = place.radius_m * 0.75  # the dense part of the built-up area
        x0, y0 = math.floor((centre.x - r) / cell) * cell, math.floor((centre.y - r) / cell) * cell
        for i in range(int(2 * r // cell) + 2):
            for j in range(int(2 * r // cell) + 2):
                square = box(x0 + i * cell, y0 + j * cell, x0 + (i + 1) * cell, y0 + (j + 1) * cell)
                d = square.centroid.distance(centre)
                if d > r:
                    continue
                density = 9000 if place.radius_m > 1500 else 3500  # inhabitants per km² at the centre
                people = density * 0.04 * math.exp(-d / (place.radius_m * 0.6)) * ctx.rng.uniform(0.6, 1.4)
                if people < 15:
                    continue
                geom = to_degrees(square)
                if ctx.territory.water.covers(geom.centroid):
                    continue
                result.append((geom, {"idcar_200m": f"CRS3035RES200mN{int(6_695_000 + y0 + j * cell)}"
                                                    f"E{int(330_000 + x0 + i * cell)}",
                                      "ind": round(people), "men": round(people / 2.1),
                                      "ind_65_plus": round(people * ctx.rng.uniform(0.12, 0.28))}))
    return clip(result, ctx.area)


def iris(ctx: Context) -> list[Feature]:
    """GC056: IRIS statistical units: each commune's built-up area split into a few units."""
    result = []
    for place in ctx.places():
        count = max(1, int(place.radius_m / 220))
        area = disc(place, 1.3)
        cells = mosaic(area, count, random.Random(f"{ctx.seed}:iris:{place.insee}"))
        for i, cell in enumerate(cells, start=1):
            result.append((cell, {"code_iris": f"{place.insee}{i:04d}", "nom_iris": f"{place.name} {i}",
                                  "typ_iris": "H" if count > 1 else "Z", "code_insee": place.insee,
                                  "nom_commune": place.name}))
    return clip(result, ctx.area)


def schools(ctx: Context) -> list[Feature]:
    """GC057: schools, with their number of pupils."""
    kinds = (("École maternelle", 80, 160), ("École élémentaire", 150, 330), ("Collège", 400, 750),
             ("Lycée", 700, 1500))
    result = []
    land = ctx.territory.land(ctx.area)
    for place in ctx.places():
        count = max(2, int(place.radius_m / 180))
        for i, point in enumerate(points_in(disc(place).intersection(land), count, ctx.rng), start=1):
            kind, low, high = kinds[0 if i % 3 == 1 else 1 if i % 3 == 2 else (2 if i % 6 else 3)]
            result.append((point, {"uai": f"044{ctx.rng.randrange(1000, 9999)}{chr(65 + i % 26)}"
                                   if place.insee.startswith("44") else
                                   f"049{ctx.rng.randrange(1000, 9999)}{chr(65 + i % 26)}",
                                   "nom": f"{kind} {ctx.rng.choice(STREETS).split(' ', 1)[1].title()}",
                                   "type": kind, "commune": place.name, "effectif": ctx.rng.randint(low, high),
                                   "secteur": "public" if ctx.rng.random() < 0.8 else "privé"}))
    return result


def health(ctx: Context) -> list[Feature]:
    """GC058: health and medico-social establishments (FINESS-like)."""
    return _facilities(ctx, HOSPITALS, lambda f: {"finess": f.code, "raison_sociale": f.name, "categorie": f.kind,
                                                  "capacite_lits": f.capacity})


def rescue_centres(ctx: Context) -> list[Feature]:
    """GC059: fire and rescue centres."""
    return _facilities(ctx, RESCUE, lambda f: {"code": f.code, "nom": f.name, "type": f.kind,
                                               "effectif": f.capacity, "moyens_specifiques": f.extra})


def police(ctx: Context) -> list[Feature]:
    """GC060: police and gendarmerie."""
    return _facilities(ctx, POLICE, lambda f: {"code": f.code, "nom": f.name, "force": f.kind,
                                               "effectif": f.capacity, "moyens_specifiques": f.extra})


def electricity(ctx: Context) -> list[Feature]:
    """GC061: the electricity distribution network: source substations, MV/LV substations, MV lines."""
    sources = (("Poste source de Cheviré", -1.625, 47.196), ("Poste source de Couëron", -1.735, 47.222),
               ("Poste source de Cordemais", -1.872, 47.282), ("Poste source de Donges", -2.060, 47.318),
               ("Poste source de Saint-Nazaire", -2.210, 47.290), ("Poste source de Rezé", -1.560, 47.170),
               ("Poste source de Nantes-Est", -1.510, 47.235))
    result: list[Feature] = []
    land = ctx.territory.land(ctx.area)
    for s_name, lon, lat in sources:
        source = Point(lon, lat)
        result.append((source, {"type": "poste source", "nom": s_name, "tension": "225/20 kV",
                                "puissance_mva": ctx.rng.choice((36, 72, 108)),
                                "cote_seuil_m_ngf": round(ctx.rng.uniform(3, 9), 2)}))
        for i, sub in enumerate(points_in(ellipse(lon, lat, 2500, 2000, 0).intersection(land), 14, ctx.rng), 1):
            code = f"{s_name.split(' de ')[-1][:4].upper()}{i:03d}"
            result.append((sub, {"type": "poste HTA/BT", "nom": f"Poste {code}", "tension": "20 kV / 400 V",
                                 "clients_desservis": ctx.rng.randrange(20, 450),
                                 "cote_seuil_m_ngf": round(ctx.rng.uniform(2, 12), 2),
                                 "en_zone_inondable": ctx.territory.flood_extreme.covers(sub)}))
            result.append((LineString([source, sub]), {"type": "ligne HTA", "nom": f"Départ {code}",
                                                       "tension": "20 kV", "technologie":
                                                       ctx.rng.choice(("souterrain", "souterrain", "aérien"))}))
    return clip(result, ctx.area)


def gas(ctx: Context) -> list[Feature]:
    """GC062: the gas distribution network: pressure-reducing stations and mains along the main roads."""
    result: list[Feature] = []
    for road, (name, _manager, points) in _road_lines().items():
        if road in ("A11", "D160", "N844"):
            continue
        line = to_degrees(to_metres(LineString(points)).offset_curve(25))
        result.append((line, {"type": "conduite", "pression": ctx.rng.choice(("MPB (4 bar)", "MPC (16 bar)")),
                              "diametre_mm": ctx.rng.choice((110, 160, 200)), "materiau": "PE",
                              "le_long_de": name}))
    for i, point in enumerate(points_in(ctx.territory.land(ctx.area), 12, ctx.rng), start=1):
        result.append((point, {"type": "poste de détente", "nom": f"Poste de détente {i:02d}",
                               "pression": "MPC/MPB", "en_zone_inondable": ctx.territory.flood_extreme.covers(point)}))
    return clip(result, ctx.area)


def drinking_water(ctx: Context) -> list[Feature]:
    """GC063: drinking water: treatment plants, abstractions and reservoirs."""
    plants = (("Usine de production d'eau potable de la Roche (Nantes)", -1.512, 47.224, 150000),
              ("Usine d'eau potable de Basse-Goulaine", -1.470, 47.205, 40000),
              ("Usine d'eau potable de Saint-Nazaire (Férel)", -2.230, 47.320, 60000),
              ("Usine d'eau potable de Frossay", -1.940, 47.240, 8000))
    result: list[Feature] = []
    for name, lon, lat, capacity in plants:
        point = Point(lon, lat)
        result.append((point, {"type": "usine de production", "nom": name, "capacite_m3_j": capacity,
                               "en_zone_inondable": ctx.territory.flood_extreme.covers(point)}))
    land = ctx.territory.land(ctx.area)
    for i, point in enumerate(points_in(land, 10, ctx.rng), start=1):
        result.append((point, {"type": "réservoir", "nom": f"Réservoir {i:02d}",
                               "volume_m3": ctx.rng.randrange(500, 12000, 500),
                               "cote_trop_plein_m_ngf": round(ctx.rng.uniform(25, 80), 1)}))
    for i, point in enumerate(points_in(ctx.territory.flood_extreme.intersection(ctx.box), 6, ctx.rng), start=1):
        result.append((point, {"type": "captage", "nom": f"Captage {i:02d}", "ressource": ctx.rng.choice(
            ("nappe alluviale", "eau de surface (Loire)")), "debit_autorise_m3_h": ctx.rng.randrange(50, 900, 50)}))
    return clip(result, ctx.area)


def wastewater_plants(ctx: Context) -> list[Feature]:
    """GC064: waste-water treatment plants (Sandre-like codes)."""
    plants = (("Station d'épuration de Tougas (Saint-Herblain)", -1.640, 47.205, 600000),
              ("Station d'épuration de la Petite-Californie (Rezé)", -1.575, 47.190, 180000),
              ("Station d'épuration de Saint-Nazaire Est (Montoir)", -2.160, 47.300, 110000),
              ("Station d'épuration de Paimbœuf", -2.020, 47.290, 6000),
              ("Station d'épuration du Pellerin", -1.770, 47.205, 9000),
              ("Station d'épuration de Donges", -2.085, 47.305, 12000),
              ("Station d'épuration de la Baumette (Angers)", -0.572, 47.452, 285000))
    return clip([(Point(lon, lat), {"code_sandre": f"04{44 if lon < -1 else 49}{i:06d}", "nom": name,
                                    "capacite_eh": capacity, "milieu_recepteur": "Maine" if lon > -1 else "Loire",
                                    "en_zone_inondable": ctx.territory.flood_extreme.covers(Point(lon, lat))})
                  for i, (name, lon, lat, capacity) in enumerate(plants, start=1)], ctx.area)


RAIL_STATIONS = (("Nantes", -1.5420, 47.2170), ("Chantenay", -1.5950, 47.2060), ("Basse-Indre – Saint-Herblain",
                 -1.6700, 47.2040), ("Couëron", -1.7280, 47.2160), ("Saint-Étienne-de-Montluc", -1.7810, 47.2740),
                 ("Cordemais", -1.8800, 47.2900), ("Savenay", -1.9420, 47.3590), ("Donges", -2.0700, 47.3230),
                 ("Montoir-de-Bretagne", -2.1480, 47.3300), ("Saint-Nazaire", -2.2130, 47.2860))


def railways(ctx: Context) -> list[Feature]:
    """GC065: the Nantes – Saint-Nazaire line and its stations."""
    line = LineString([(lon, lat) for _n, lon, lat in RAIL_STATIONS])
    result: list[Feature] = [(line, {"ligne": "515 000 (Nantes – Saint-Nazaire)", "voies": 2, "electrifiee": True,
                                     "vitesse_max_km_h": 160})]
    for name, lon, lat in RAIL_STATIONS:
        point = Point(lon, lat)
        result.append((point, {"gare": name, "uic": f"87481{ctx.rng.randrange(100, 999)}",
                               "en_zone_inondable": ctx.territory.flood_extreme.covers(point)}))
    return clip(result, ctx.area)


def roads(ctx: Context) -> list[Feature]:
    """GC066: the main road network (national and departmental roads; the IGN layer adds local streets)."""
    departmental_only = ctx.provider == "departement-44"
    result: list[Feature] = []
    for road, (name, manager, points) in _road_lines().items():
        if departmental_only and not road.startswith("D"):
            continue
        line = LineString(points)
        result.append((line, {"numero": road, "nom": name, "gestionnaire": manager,
                              "nature": "route à 2 chaussées" if road.startswith(("N", "A")) else
                              "route à 1 chaussée", "largeur_m": 14 if road.startswith(("N", "A")) else 7,
                              "submersible": line.intersects(ctx.territory.flood_medium)}))
    if not departmental_only:
        for place in ctx.places():
            angle = ctx.rng.uniform(0, math.pi / 2)
            for i, start in enumerate(points_in(disc(place, 0.8), max(3, int(place.radius_m / 250)), ctx.rng)):
                length = ctx.rng.uniform(150, 450) / KY
                turn = angle + (math.pi / 2 if i % 2 else 0)
                end = Point(start.x + length * math.cos(turn) * KY / KX, start.y + length * math.sin(turn))
                result.append((LineString([start, end]), {"numero": f"VC{place.insee}{i + 1:02d}",
                                                          "nom": ctx.rng.choice(STREETS), "gestionnaire": place.name,
                                                          "nature": "route à 1 chaussée", "largeur_m": 5,
                                                          "submersible": False}))
    return clip(result, ctx.area)


def telecoms(ctx: Context) -> list[Feature]:
    """GC067: telecoms: antenna sites (ANFR: every operator), an operator's central offices, fibre backbone and
    4G coverage."""
    operators = {"orange": "Orange", "bouygues-telecom": "Bouygues Telecom"}
    operator = operators.get(ctx.provider)
    land = ctx.territory.land(ctx.area)
    result: list[Feature] = []
    sites = points_in(land, 40, random.Random(f"{ctx.seed}:antennas"))
    all_ops = ("Orange", "SFR", "Bouygues Telecom", "Free Mobile")
    for i, point in enumerate(sites, start=1):
        carried = [op for j, op in enumerate(all_ops) if (i + j) % 3 != 0]
        if operator and operator not in carried:
            continue
        result.append((point, {"support": f"ANFR{440000 + i}", "type": ctx.rng.choice(("pylône", "toit-terrasse",
                                                                                        "château d'eau")),
                               "hauteur_m": ctx.rng.randrange(12, 50), "exploitants": ", ".join(carried),
                               "technologies": "2G, 3G, 4G, 5G" if i % 2 else "2G, 4G"}))
    if operator == "Orange":
        for i, place in enumerate([p for p in ctx.places() if p.radius_m >= 700], start=1):
            nra = Point(place.lon + 0.002, place.lat - 0.001)
            result.append((nra, {"type": "central (NRA)", "code": f"NRA44{i:03d}", "commune": place.name,
                                 "lignes": ctx.rng.randrange(2000, 40000, 500),
                                 "en_zone_inondable": ctx.territory.flood_extreme.covers(nra)}))
        hubs = [p for p in ctx.places() if p.radius_m >= 900]
        for a, b in zip(hubs, hubs[1:], strict=False):
            result.append((LineString([a.point, b.point]), {"type": "artère fibre optique",
                                                            "troncon": f"{a.name} – {b.name}"}))
    if operator == "Bouygues Telecom":
        own = [geom for geom, props in result if props.get("support")]
        if own:
            cover = to_degrees(shapely.union_all([to_metres(p).buffer(4500) for p in own]))
            result.append((cover.intersection(ctx.box), {"type": "couverture 4G", "qualite": "bonne couverture"}))
    return clip(result, ctx.area)


def hazardous_sites(ctx: Context) -> list[Feature]:
    """GC068: classified installations (ICPE) and Seveso sites."""
    return _facilities(ctx, SEVESO, lambda f: {"code_aiot": f.code, "nom": f.name, "activite": f.kind,
                                               "regime": f.extra,
                                               "en_zone_inondable": ctx.territory.flood_extreme.covers(
                                                   Point(f.lon, f.lat))})


def sensitive_sites(ctx: Context) -> list[Feature]:
    """GC069: emergency shelters, gymnasiums, campsites at risk."""
    return _facilities(ctx, SENSITIVE_SITES, lambda f: {"code": f.code, "nom": f.name, "type": f.kind,
                                                        "capacite": f.capacity,
                                                        "en_zone_inondable": ctx.territory.flood_extreme.covers(
                                                            Point(f.lon, f.lat))})


def heritage(ctx: Context) -> list[Feature]:
    """GC070: heritage: historic monuments and museums."""
    return _facilities(ctx, HERITAGE, lambda f: {"reference": f.code, "nom": f.name, "protection": f.kind,
                                                 "precision": f.extra,
                                                 "en_zone_inondable": ctx.territory.flood_extreme.covers(
                                                     Point(f.lon, f.lat))})


CATNAT = (("1995-01-17", "1995-01-31", "1995-02-06", "Inondations et coulées de boue"),
          ("1999-12-25", "1999-12-29", "1999-12-29", "Inondations, coulées de boue et mouvements de terrain"),
          ("2001-03-10", "2001-03-25", "2001-05-23", "Inondations et coulées de boue"),
          ("2010-02-27", "2010-03-01", "2010-03-02", "Inondations et chocs mécaniques liés à l'action des vagues"),
          ("2014-02-01", "2014-02-15", "2014-04-28", "Inondations par remontées de nappe phréatique"),
          ("2026-01-18", "2026-01-28", "2026-02-05", "Inondations et coulées de boue"))


def catnat(ctx: Context) -> list[Feature]:
    """GC071: natural-disaster decrees (CatNat) per commune."""
    result = []
    for place in ctx.places():
        decrees = [d for d in CATNAT if ctx.rng.random() < (0.85 if d[0].startswith(("1999", "2026")) else 0.45)]
        result.append((disc(place, 1.6), {"code_insee": place.insee, "commune": place.name,
                                          "nb_arretes": len(decrees),
                                          "arretes": [{"debut": d[0], "fin": d[1], "date_arrete": d[2], "peril": d[3]}
                                                      for d in decrees]}))
    return clip(result, ctx.area)


def insured_losses(ctx: Context) -> list[Feature]:
    """GC072: insured flood losses, aggregated per commune and year (fewer than 5 claims are masked)."""
    result = []
    for place in ctx.places():
        exposure = place.radius_m / 1000
        yearly = []
        for year in range(2016, 2026):
            claims = int(ctx.rng.expovariate(1 / (3 + 6 * exposure)))
            if year in (2020, 2024):
                claims += int(20 * exposure)
            yearly.append({"annee": year, "nb_sinistres": claims if claims >= 5 else None,
                           "cout_keur": round(claims * ctx.rng.uniform(6, 14)) if claims >= 5 else None})
        result.append((disc(place, 1.6), {"code_insee": place.insee, "commune": place.name,
                                          "agregation": "commune × année", "secret_statistique": "moins de 5 "
                                          "sinistres : valeurs masquées", "historique": yearly}))
    return clip(result, ctx.area)


def safeguard_plans(ctx: Context) -> list[Feature]:
    """GC073: municipal safeguard plans: assembly points and evacuation sectors."""
    result: list[Feature] = []
    land = ctx.territory.land(ctx.area)
    flood = ctx.territory.flood_medium
    for place in ctx.places():
        safe = disc(place, 1.3).intersection(land).difference(ctx.territory.flood_extreme)
        for i, point in enumerate(points_in(safe, max(2, int(place.radius_m / 500)), ctx.rng), start=1):
            result.append((point, {"type": "point de rassemblement", "nom": f"Point de rassemblement {i} "
                                   f"({place.name})", "commune": place.name, "capacite": ctx.rng.randrange(100, 1500,
                                                                                                             50)}))
        sector = _polygonal(disc(place, 1.1).intersection(flood))
        if sector is not None:
            result.append((sector, {"type": "secteur d'évacuation", "nom": f"Secteur inondable de {place.name}",
                                    "commune": place.name, "declenchement": "vigilance crues orange"}))
    return clip(result, ctx.area)


BUILDERS: dict[str, Callable[[Context], list[Feature]]] = {
    "GC002": lidar_tiles, "GC004": cross_sections, "GC005": watercourses, "GC006": river_segments,
    "GC007": basins, "GC008": water_bodies, "GC009": hydrometric_stations, "GC012": vigilance,
    "GC014": potential_flood_zones, "GC020": extreme_sea_levels, "GC022": groundwater_zones,
    "GC023": land_cover, "GC024": corine, "GC025": roughness, "GC026": soils, "GC027": geology,
    "GC028": dikes, "GC029": levee_systems, "GC030": flow_obstacles, "GC031": dams, "GC032": bridges,
    "GC033": storm_sewers, "GC034": retention_basins, "GC036": flood_marks, "GC037": flood_atlas,
    "GC038": hydraulic_mesh, "GC039": ppri_zoning, "GC040": hazard_zones, "GC041": stakes,
    "GC042": ppri_perimeter, "GC043": tri_perimeters, "GC044": tri_flood_extents, "GC045": tri_depths,
    "GC046": stakes, "GC047": protective_works, "GC048": eaip, "GC049": low_coastal_zones,
    "GC050": papi_perimeters, "GC051": buildings_layer, "GC052": land_files, "GC053": parcels,
    "GC054": addresses, "GC055": population_grid, "GC056": iris, "GC057": schools, "GC058": health,
    "GC059": rescue_centres, "GC060": police, "GC061": electricity, "GC062": gas, "GC063": drinking_water,
    "GC064": wastewater_plants, "GC065": railways, "GC066": roads, "GC067": telecoms, "GC068": hazardous_sites,
    "GC069": sensitive_sites, "GC070": heritage, "GC071": catnat, "GC072": insured_losses,
    "GC073": safeguard_plans, "GC074": ortho_tiles,
}
