"""The demo's territory, drawn by hand on real approximate coordinates (CRS84, longitude first): the Loire from
Mauves-sur-Loire to its mouth at Saint-Nazaire with the width of its bed at each point, its tributaries (Erdre,
Sèvre nantaise, Chézine, Acheneau, Brivet) and the Loire–Maine confluence at Angers (three providers are in
Maine-et-Loire), the communes' centres, the marshes, and the shapes derived from them once with shapely — the water
surface, the flood envelope with its hazard bands, the dikes along the banks — plus an elevation model that makes
sense of them (low in the valley and the marshes, higher on the plateaus and the Sillon de Bretagne).

Distances and buffers are computed in a local metric frame (an equirectangular projection centred on the estuary,
metres; good to a few per mille over 100 km) and brought back to degrees."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

BBox = tuple[float, float, float, float]

# The two parts of the demo territory (minx, miny, maxx, maxy in CRS84).
ESTUARY: BBox = (-2.32, 47.08, -1.38, 47.42)  # Nantes – Saint-Nazaire, with the plateaus on both banks
ANGERS: BBox = (-0.72, 47.37, -0.40, 47.56)  # the Loire–Maine confluence
REGIONS: dict[str, BBox] = {"estuaire": ESTUARY, "angers": ANGERS}

# Local metric frame.
LON0, LAT0 = -1.9, 47.25
KX = 111_320.0 * math.cos(math.radians(LAT0))  # metres per degree of longitude
KY = 111_200.0  # metres per degree of latitude


def to_metres(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: (c - (LON0, LAT0)) * (KX, KY))


def to_degrees(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: c / (KX, KY) + (LON0, LAT0))


def metres_xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (lon - LON0) * KX, (lat - LAT0) * KY


# --- rivers -------------------------------------------------------------------------------------------------------
# (lon, lat, half-width of the bed in metres), upstream to downstream.

LOIRE: tuple[tuple[float, float, float], ...] = (
    (-1.400, 47.284, 120), (-1.424, 47.272, 120), (-1.446, 47.259, 130), (-1.462, 47.244, 130),
    (-1.476, 47.230, 140), (-1.491, 47.220, 150), (-1.506, 47.213, 150),
    # south arm (bras de Pirmil), the main flow; the bras de la Madeleine is a separate feature
    (-1.520, 47.204, 130), (-1.534, 47.198, 120), (-1.548, 47.195, 120), (-1.562, 47.196, 120),
    (-1.576, 47.198, 130), (-1.590, 47.201, 150),
    (-1.605, 47.202, 170), (-1.625, 47.202, 180), (-1.645, 47.199, 190), (-1.665, 47.197, 190),
    (-1.690, 47.200, 200), (-1.715, 47.203, 210), (-1.740, 47.204, 220), (-1.760, 47.206, 230),
    (-1.785, 47.213, 250), (-1.810, 47.224, 280), (-1.835, 47.240, 320), (-1.860, 47.256, 380),
    (-1.885, 47.268, 450), (-1.915, 47.280, 550), (-1.950, 47.290, 650), (-1.985, 47.297, 750),
    (-2.020, 47.302, 800), (-2.055, 47.301, 900), (-2.090, 47.295, 1000), (-2.120, 47.286, 1100),
    (-2.150, 47.276, 1250), (-2.175, 47.266, 1400), (-2.200, 47.255, 1600), (-2.230, 47.242, 1900),
    (-2.265, 47.228, 2300), (-2.300, 47.216, 2700),
)
MADELEINE = ((-1.508, 47.212, 70), (-1.522, 47.210, 70), (-1.537, 47.209, 70), (-1.552, 47.209, 70),
             (-1.566, 47.207, 70), (-1.579, 47.204, 70), (-1.591, 47.201, 70))
TRIBUTARIES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "Erdre": ((-1.527, 47.395, 60), (-1.528, 47.345, 120), (-1.536, 47.310, 150), (-1.545, 47.285, 100),
              (-1.549, 47.262, 60), (-1.552, 47.240, 40), (-1.553, 47.224, 25), (-1.553, 47.210, 20)),
    "Sèvre nantaise": ((-1.390, 47.110, 25), (-1.420, 47.130, 30), (-1.447, 47.150, 35), (-1.470, 47.164, 35),
                       (-1.490, 47.174, 40), (-1.508, 47.180, 40), (-1.523, 47.188, 45), (-1.535, 47.196, 45)),
    "Chézine": ((-1.668, 47.252, 5), (-1.645, 47.240, 6), (-1.622, 47.226, 6), (-1.603, 47.214, 8),
                (-1.590, 47.203, 8)),
    "Acheneau": ((-1.690, 47.108, 20), (-1.720, 47.118, 22), (-1.748, 47.136, 22), (-1.772, 47.160, 25),
                 (-1.790, 47.185, 25), (-1.805, 47.205, 28), (-1.815, 47.224, 30)),
    "Brivet": ((-2.080, 47.415, 8), (-2.105, 47.388, 10), (-2.130, 47.362, 12), (-2.152, 47.335, 15),
               (-2.165, 47.312, 20), (-2.172, 47.292, 25)),
}
ANGERS_RIVERS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "Loire": ((-0.400, 47.432, 180), (-0.440, 47.428, 180), (-0.480, 47.424, 190), (-0.525, 47.420, 200),
              (-0.570, 47.412, 200), (-0.614, 47.404, 210), (-0.650, 47.395, 210), (-0.700, 47.386, 220)),
    "Maine": ((-0.552, 47.545, 50), (-0.554, 47.520, 60), (-0.557, 47.495, 70), (-0.560, 47.478, 70),
              (-0.567, 47.462, 70), (-0.580, 47.445, 75), (-0.594, 47.430, 80), (-0.607, 47.416, 80),
              (-0.614, 47.404, 90)),
    "Authion": ((-0.400, 47.452, 12), (-0.440, 47.444, 12), (-0.480, 47.436, 14), (-0.515, 47.428, 15),
                (-0.535, 47.421, 15)),
}

# Sandre-like codes of the watercourses (synthetic but in the Sandre's shape: a letter and 7 characters).
RIVER_CODES = {"Loire": "----0000", "Erdre": "M7--0250", "Sèvre nantaise": "M7--0200", "Chézine": "M7--0270",
               "Acheneau": "M8--0270", "Brivet": "M8--0400", "Maine": "M---0080", "Authion": "L---0100"}


@dataclass(frozen=True)
class Place:
    name: str
    insee: str
    lon: float
    lat: float
    radius_m: float  # extent of the built-up area around the centre
    region: str = "estuaire"

    @property
    def point(self) -> Point:
        return Point(self.lon, self.lat)


COMMUNES: tuple[Place, ...] = (
    Place("Nantes", "44109", -1.5536, 47.2184, 2600), Place("Rezé", "44143", -1.5663, 47.1800, 1500),
    Place("Saint-Herblain", "44162", -1.6497, 47.2250, 1600), Place("Couëron", "44047", -1.7253, 47.2150, 900),
    Place("Indre", "44074", -1.6690, 47.2050, 500), Place("La Montagne", "44101", -1.6840, 47.1900, 500),
    Place("Bouguenais", "44020", -1.6233, 47.1786, 900),
    Place("Saint-Jean-de-Boiseau", "44166", -1.7250, 47.1950, 500),
    Place("Le Pellerin", "44126", -1.7547, 47.1990, 500),
    Place("Saint-Sébastien-sur-Loire", "44190", -1.5017, 47.2030, 1000),
    Place("Sainte-Luce-sur-Loire", "44172", -1.4847, 47.2533, 700),
    Place("Thouaré-sur-Loire", "44204", -1.4417, 47.2667, 600), Place("Vertou", "44215", -1.4697, 47.1686, 900),
    Place("Orvault", "44114", -1.6233, 47.2711, 900),
    Place("Saint-Étienne-de-Montluc", "44158", -1.7806, 47.2764, 600),
    Place("Cordemais", "44045", -1.8769, 47.2911, 500), Place("Frossay", "44061", -1.9356, 47.2444, 400),
    Place("Lavau-sur-Loire", "44081", -1.9650, 47.3058, 300), Place("Paimbœuf", "44116", -2.0317, 47.2869, 500),
    Place("Corsept", "44046", -2.0597, 47.2772, 400), Place("Donges", "44052", -2.0758, 47.3186, 700),
    Place("Montoir-de-Bretagne", "44103", -2.1500, 47.3283, 800), Place("Trignac", "44210", -2.1883, 47.3181, 700),
    Place("Saint-Nazaire", "44184", -2.2139, 47.2780, 2000),
    Place("Saint-Brevin-les-Pins", "44154", -2.1667, 47.2464, 1000),
    Place("Angers", "49007", -0.5632, 47.4784, 2200, "angers"),
    Place("Les Ponts-de-Cé", "49246", -0.5253, 47.4270, 800, "angers"),
    Place("Bouchemaine", "49035", -0.6089, 47.4225, 600, "angers"),
    Place("Avrillé", "49015", -0.5897, 47.5069, 800, "angers"),
    Place("Trélazé", "49353", -0.4656, 47.4458, 800, "angers"),
)
COMMUNE_BY_NAME = {place.name: place for place in COMMUNES}
INSEE_COMMUNE = "http://id.insee.fr/geo/commune/"

# Marshes: (name, centre lon, lat, semi-axes in metres, rotation in degrees).
MARSHES = (("Marais de Brière", -2.225, 47.370, 7000, 4500, 20.0),
           ("Marais de Donges et de Lavau", -1.990, 47.322, 6000, 1600, 12.0),
           ("Marais de Grand-Lieu", -1.680, 47.095, 5500, 4000, 0.0))
# The Sillon de Bretagne, a ridge on the north bank from Nantes to Savenay (lon, lat), and its height in metres.
SILLON = ((-1.600, 47.262), (-1.700, 47.283), (-1.800, 47.305), (-1.900, 47.335), (-1.960, 47.360))


# How far (m) the extreme flood spreads beyond the Loire's bed, by longitude: narrow in Nantes (quays) and at the
# mouth (rocky coast, dunes), widest over the estuary's meadows between Le Pellerin and Paimbœuf.
LOIRE_FLOODPLAIN = ((-2.30, 300.0), (-2.20, 600.0), (-2.10, 1800.0), (-1.95, 2800.0), (-1.75, 1500.0),
                    (-1.60, 450.0), (-1.50, 450.0), (-1.40, 700.0))
ANGERS_FLOODPLAIN = {"Loire": 1300.0, "Maine": 700.0, "Authion": 900.0}


def _floodplain(points, lon: float, width: float) -> float:
    """How far (m) the extreme flood spreads beyond the bed of the river drawn by `points`, at longitude `lon`."""
    if points is LOIRE or points is MADELEINE:
        return float(np.interp(lon, [p for p, _ in LOIRE_FLOODPLAIN], [w for _, w in LOIRE_FLOODPLAIN]))
    for name, angers in ANGERS_RIVERS.items():
        if points is angers:
            return ANGERS_FLOODPLAIN[name]
    return 250.0 + 2.5 * width


def _line(points) -> LineString:
    return LineString([(lon, lat) for lon, lat, _w in points])


def tapered_buffer(points, widths) -> BaseGeometry:
    """The union of the hulls of consecutive discs: a buffer of the polyline whose width varies along it (metres,
    computed in the metric frame, returned in degrees)."""
    discs = [to_metres(Point(lon, lat)).buffer(w, quad_segs=8) for (lon, lat), w in zip(points, widths, strict=True)]
    hulls = [shapely.union(a, b).convex_hull for a, b in zip(discs, discs[1:], strict=False)]
    return to_degrees(shapely.union_all(hulls))


def ellipse(lon: float, lat: float, a: float, b: float, angle: float) -> Polygon:
    shape = affinity.scale(Point(0, 0).buffer(1.0, quad_segs=16), a, b)
    shape = affinity.rotate(shape, angle, origin=(0, 0))
    x, y = (lon - LON0) * KX, (lat - LAT0) * KY
    return to_degrees(affinity.translate(shape, x, y))


@dataclass(frozen=True)
class HazardBand:
    level: str  # code: faible, moyen, fort, tres-fort
    label: str
    depth: str  # water depth class of the reference flood
    geometry: BaseGeometry


def _prepared(geom: BaseGeometry) -> BaseGeometry:
    shapely.prepare(geom)
    return geom


def _relief(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Gentle relief (RMS 4 m): a sum of plane waves of random directions, wavelengths from 1.5 to 12 km and
    amplitudes growing with the wavelength — smooth, no visible grid, the same for the same seed."""
    rng = random.Random(f"relief:{seed}")
    waves = []
    for _ in range(14):
        theta, phase = rng.uniform(0, math.pi), rng.uniform(0, 2 * math.pi)
        wavelength = math.exp(rng.uniform(math.log(1500), math.log(12000)))
        waves.append((theta, phase, wavelength, (wavelength / 1000) ** 0.9))
    scale = 4.0 / math.sqrt(sum(a * a for *_rest, a in waves) / 2)  # an RMS of 4 m
    relief = np.zeros_like(x)
    for theta, phase, wavelength, amplitude in waves:
        relief += scale * amplitude * np.sin(2 * np.pi * (x * np.cos(theta) + y * np.sin(theta)) / wavelength + phase)
    return relief


class Territory:
    """The shapes every layer draws on, built once per generation (shapely, a few tens of milliseconds)."""

    def __init__(self) -> None:
        self._memo: dict[object, object] = {}

    def memo(self, key: object, build):
        """A value derived from the territory (the buildings of a seed…), built once per territory."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    @cached_property
    def loire(self) -> LineString:
        return _line(LOIRE)

    @cached_property
    def rivers(self) -> dict[str, LineString]:
        """Every watercourse of both parts of the territory, by name (the Loire twice: estuary and Angers)."""
        lines = {"Loire": self.loire, "Loire (bras de la Madeleine)": _line(MADELEINE)}
        lines.update({name: _line(points) for name, points in TRIBUTARIES.items()})
        lines.update({f"{name} (Angers)" if name == "Loire" else name: _line(points)
                      for name, points in ANGERS_RIVERS.items()})
        return lines

    @cached_property
    def water(self) -> BaseGeometry:
        """The water surface of the rivers (beds at their widths)."""
        parts = [tapered_buffer([(x, y) for x, y, _w in pts], [w for _x, _y, w in pts])
                 for pts in (LOIRE, MADELEINE, *TRIBUTARIES.values(), *ANGERS_RIVERS.values())]
        return _prepared(shapely.make_valid(shapely.union_all(parts)))

    def flood_envelope(self, factor: float) -> BaseGeometry:
        """The flood envelope for a flood of relative size `factor` (1: the extreme scenario): a tapered buffer of
        every river, wider where the valley opens (estuary marshes) than in the urban reaches."""
        parts = []
        for pts in (LOIRE, MADELEINE, *TRIBUTARIES.values(), *ANGERS_RIVERS.values()):
            widths = [w + factor * _floodplain(pts, x, w) for x, _y, w in pts]
            parts.append(tapered_buffer([(x, y) for x, y, _w in pts], widths))
        marshes = [ellipse(lon, lat, a * factor, b * factor, angle) for _n, lon, lat, a, b, angle in MARSHES[1:2]]
        envelope = shapely.union_all(parts + marshes)
        return _prepared(shapely.make_valid(envelope.intersection(self.regions).difference(self.water)))

    @cached_property
    def flood_extreme(self) -> BaseGeometry:
        return self.flood_envelope(1.0)

    @cached_property
    def flood_medium(self) -> BaseGeometry:
        return self.flood_envelope(0.62)

    @cached_property
    def flood_frequent(self) -> BaseGeometry:
        return self.flood_envelope(0.3)

    @cached_property
    def hazard_bands(self) -> tuple[HazardBand, ...]:
        """The reference flood (medium scenario) split into four hazard levels by distance to the bed."""
        levels = (("tres-fort", "très fort", "plus de 2 m", 0.15), ("fort", "fort", "1 à 2 m", 0.32),
                  ("moyen", "moyen", "0,5 à 1 m", 0.48), ("faible", "faible", "moins de 0,5 m", 0.62))
        bands, inner = [], shapely.Polygon()
        for code, label, depth, factor in levels:
            zone = self.flood_envelope(factor)
            band = shapely.make_valid(zone.difference(inner))
            if not band.is_empty:
                bands.append(HazardBand(code, label, depth, band))
            inner = shapely.union(inner, zone)
        return tuple(bands)

    @cached_property
    def regions(self) -> BaseGeometry:
        """The demo territory: the estuary's and Angers' boxes."""
        return _prepared(shapely.union(box(*ESTUARY), box(*ANGERS)))

    @cached_property
    def towns(self) -> BaseGeometry:
        """The communes' built-up areas (discs around their centres), prepared for fast point tests."""
        shape = shapely.union_all([ellipse(p.lon, p.lat, p.radius_m * 1.1, p.radius_m * 1.1, 0.0) for p in COMMUNES])
        shapely.prepare(shape)
        return shape

    @cached_property
    def banks(self) -> tuple[LineString, LineString]:
        """The Loire's right (north) and left (south) banks, downstream of Nantes, a little back from the bed."""
        points = [(x, y) for x, y, _w in LOIRE[13:]]
        line = to_metres(LineString(points))
        widths = [w for _x, _y, w in LOIRE[13:]]
        offset = sum(widths) / len(widths) + 120
        right = line.offset_curve(offset, quad_segs=4, join_style="round")
        left = line.offset_curve(-offset, quad_segs=4, join_style="round")
        return to_degrees(right), to_degrees(left)

    def on_river(self, river: str, lon: float, lat: float) -> Point:
        """The point of a river nearest to (lon, lat): where a gauge, a weir or a bridge stands."""
        line = self.rivers[river]
        return line.interpolate(line.project(Point(lon, lat)))

    def across(self, river: str, lon: float, lat: float, extra_m: float = 80.0) -> LineString:
        """A segment across the river at the point nearest to (lon, lat), a little longer than the bed is wide."""
        line = to_metres(self.rivers[river])
        at = line.project(to_metres(Point(lon, lat)))
        a, b = line.interpolate(max(at - 20, 0)), line.interpolate(min(at + 20, line.length))
        dx, dy = b.x - a.x, b.y - a.y
        norm = math.hypot(dx, dy) or 1.0
        centre = line.interpolate(at)
        across = LineString([(centre.x - dy / norm * 5000, centre.y + dx / norm * 5000),
                             (centre.x + dy / norm * 5000, centre.y - dx / norm * 5000)])
        pieces = [piece for piece in shapely.get_parts(to_metres(self.water).intersection(across))
                  if piece.distance(centre) < 1.0]
        half = max((centre.distance(Point(c)) for piece in pieces for c in piece.coords), default=50.0)
        half = min(half, 3500) + extra_m
        return to_degrees(LineString([(centre.x - dy / norm * half, centre.y + dx / norm * half),
                                      (centre.x + dy / norm * half, centre.y - dx / norm * half)]))

    def land(self, bbox: BBox) -> BaseGeometry:
        return box(*bbox).difference(self.water)

    # --- elevation ----------------------------------------------------------------------------------------------

    @cached_property
    def _elevation_shapes(self) -> tuple[BaseGeometry, BaseGeometry, BaseGeometry]:
        water = to_metres(self.water).simplify(25)
        marsh = to_metres(shapely.union_all([ellipse(lon, lat, a, b, angle)
                                             for _n, lon, lat, a, b, angle in MARSHES])).simplify(40)
        sillon = to_metres(LineString(SILLON))
        return water, marsh, sillon

    def elevation(self, lon: np.ndarray, lat: np.ndarray, seed: int = 0, bathymetry: bool = False) -> np.ndarray:
        """Ground height (m, NGF-IGN69) at the given points: the valley floor near the rivers rising to the
        plateaus (15–40 m), the Sillon de Bretagne (up to ~85 m), low marshes (1–3 m), gentle relief. On water:
        the water surface (~1 m), or the bed's depth when `bathymetry` (down to -14 m in the navigation channel)."""
        water, marsh, sillon = self._elevation_shapes
        x, y = metres_xy(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        points = shapely.points(x, y)
        d_water = shapely.distance(points, water)
        d_marsh = shapely.distance(points, marsh)
        d_sillon = shapely.distance(points, sillon)
        relief = _relief(x, y, seed)
        north = np.clip((y + 2000) / 9000, 0, 1)  # the north bank's plateau is higher than the Pays de Retz
        plateau = 18 + 14 * north + relief + 45 * np.exp(-(d_sillon / 2600) ** 2) * (y > -9000)
        floor = 2.2 + 0.8 * np.clip((x + 30000) / 40000, 0, 1)  # the valley floor rises gently towards Nantes
        valley = 1 - np.exp(-d_water / 900)
        z = floor + (plateau - floor) * valley
        z = np.where(d_marsh <= 0, 1.4 + 1.2 * np.clip(relief / 8 + 0.5, 0, 1), z)
        z = np.minimum(z, np.where(d_marsh > 0, 1.4 + d_marsh / 120, z))
        on_water = shapely.contains_xy(water, x, y)
        if bathymetry:
            inside = shapely.distance(points, water.boundary)
            bed = -1.0 - np.minimum(inside / 60, 13.0)
            z = np.where(on_water, bed, z)
        else:
            z = np.where(on_water, 0.8 + 0.4 * np.clip(relief / 8, -1, 1), z)
        return np.round(z, 2)
