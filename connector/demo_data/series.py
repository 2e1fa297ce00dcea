"""Time series of the demo over a fixed period (`PERIOD`, 30 days of January–February 2026 with a flood of the
Loire): hourly rainfall at the rain gauges, hourly water levels and flows at the river gauges (the tide felt up to
Nantes, damped by the flood), sea levels at the tide gauges, daily groundwater levels, soil wetness on a coarse
grid, forecasts and design hydrographs — written as CSV, deterministic for a seed. Also the rain field of the
episode (the radar and forecast grids use it, so gauges and grids agree) and the configuration of the simulated
real-time feed of the river gauges (`connector.data.feeds`)."""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from .geography import Territory
from .sites import PIEZOMETERS, RAIN_GAUGES, RIVER_GAUGES, TIDE_GAUGES, Gauge

PERIOD = (datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 2, 9, tzinfo=UTC))  # [start, end)
HOURS = int((PERIOD[1] - PERIOD[0]).total_seconds() // 3600)
FORECAST_ISSUED = datetime(2026, 1, 21, 6, tzinfo=UTC)
# Rain fronts of the episode: (start hour, end hour, mean intensity mm/h) from PERIOD's start.
FRONTS = ((78, 104, 1.1), (190, 262, 1.7), (298, 318, 1.2))
FEED_INTERVAL_S = 2.0  # the simulated feed's pace: one observation per station every 2 s (a demo's speed)
M2_HOURS, S2_HOURS = 12.4206, 12.0


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- rain ---------------------------------------------------------------------------------------------------------


def rain_field(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The episode's spatial rain factor (about 0.8–1.25): more rain inland to the south-east (Sèvre, Vertou),
    less on the coast, and a band of heavier rain along the Sillon de Bretagne."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    inland = np.clip((lon + 2.3) / 0.9, 0, 1)
    band = np.exp(-(((lat - 47.30) - 0.35 * (lon + 1.8)) / 0.05) ** 2)
    return 0.82 + 0.28 * inland + 0.15 * band


def hourly_rain(seed: int, factor: float, key: str) -> list[float]:
    """Hourly rainfall (mm) over the period at a place of rain factor `factor`."""
    rng = random.Random(f"{seed}:rain:{key}")
    values = []
    for hour in range(HOURS):
        mm = 0.0
        for start, end, intensity in FRONTS:
            if start <= hour < end:
                envelope = math.sin(math.pi * (hour - start) / (end - start))
                if rng.random() < 0.8:
                    mm = intensity * factor * (0.3 + 1.4 * envelope) * rng.gammavariate(2.0, 0.5)
        if mm == 0.0 and rng.random() < 0.03:  # stray showers
            mm = rng.uniform(0.1, 0.8)
        values.append(round(mm, 1))
    return values


def rain_gauges_csv(seed: int) -> bytes:
    """GC016: hourly rainfall at the rain gauges, in Météo-France's file layout (semicolons, AAAAMMJJHH)."""
    rows = []
    for gauge in RAIN_GAUGES:
        factor = float(rain_field(np.array([gauge.lon]), np.array([gauge.lat]))[0])
        for hour, mm in enumerate(hourly_rain(seed, factor, gauge.id)):
            when = PERIOD[0] + timedelta(hours=hour)
            rows.append((gauge.id, gauge.name, f"{gauge.lat:.4f}", f"{gauge.lon:.4f}", gauge.altitude,
                         when.strftime("%Y%m%d%H"), f"{mm:.1f}", 1))
    return _csv(("NUM_POSTE", "NOM_USUEL", "LAT", "LON", "ALTI", "AAAAMMJJHH", "RR1", "QRR1"), rows, ";")


def episode_total(lon: np.ndarray, lat: np.ndarray, first_hour: int, last_hour: int) -> np.ndarray:
    """Expected rainfall (mm) between two hours of the period, from the fronts' mean intensities and the field."""
    total = 0.0
    for start, end, intensity in FRONTS:
        a, b = max(start, first_hour), min(end, last_hour)
        if b > a:
            # mean of (0.3 + 1.4 sin) over the front, times the hours inside the window, times P(rain)·E[gamma]
            total += intensity * 0.8 * (b - a) * (0.3 + 1.4 * 2 / math.pi)
    return np.round(rain_field(lon, lat) * total, 1)


# --- rivers -------------------------------------------------------------------------------------------------------


def _tide(hour: float, amplitude: float, lag_h: float) -> float:
    t = hour - lag_h
    return amplitude * (1.85 * math.cos(2 * math.pi * t / M2_HOURS) + 0.65 * math.cos(2 * math.pi * t / S2_HOURS + 1.1))


def flow(gauge: Gauge, hour: float) -> float:
    """Discharge (m³/s) at a gauge: base flow plus a small early rise and the main flood, whose peak reaches the
    Loire at Nantes on 22–23 January (tributaries earlier, the estuary later)."""
    def pulse(t0: float, tp: float, height: float, k: float = 3.0) -> float:
        u = (hour - t0) / tp
        return height * (u ** k) * math.exp(k * (1 - u)) if u > 0 else 0.0

    main_peak = 300 + gauge.lag_h  # hours after the period's start
    rise = max(main_peak - 200, 30)
    return (gauge.base_flow + pulse(main_peak - rise, rise, gauge.peak_flow - gauge.base_flow)
            + pulse(80 + gauge.lag_h / 2, 40, 0.15 * (gauge.peak_flow - gauge.base_flow)))


def stage(gauge: Gauge, hour: float) -> float:
    """Water level at the gauge's staff (m): a rating curve on the flow, plus the tide (damped by the flow)."""
    q = flow(gauge, hour)
    scale = 6.0 / gauge.peak_flow ** 0.55 if gauge.tide else 3.2 / gauge.peak_flow ** 0.55
    level = 0.2 + scale * q ** 0.55
    if gauge.tide:
        level += _tide(hour, gauge.tide, gauge.lag_h / 4) / (1 + q / 1800)
    return level


def river_gauges_csv(seed: int, gauges: Sequence[Gauge] = RIVER_GAUGES) -> bytes:
    """GC011: hourly observed water levels and flows at the river gauges over the period (validated data)."""
    rows = []
    for gauge in gauges:
        rng = random.Random(f"{seed}:gauge:{gauge.id}")
        for hour in range(HOURS):
            when = PERIOD[0] + timedelta(hours=hour)
            rows.append((gauge.id, _stamp(when), f"{stage(gauge, hour) + rng.gauss(0, 0.008):.3f}",
                         f"{flow(gauge, hour) * (1 + rng.gauss(0, 0.01)):.1f}", "validée"))
    return _csv(("code_station", "date_heure", "hauteur_m", "debit_m3_s", "qualification"), rows)


def forecasts_csv(seed: int, gauges: Sequence[Gauge] = RIVER_GAUGES) -> bytes:
    """GC013: water-level forecasts at the gauges issued on 21 January 2026 06:00 UTC, 72 hours ahead, with
    their 10 % and 90 % quantiles."""
    issued_hour = (FORECAST_ISSUED - PERIOD[0]).total_seconds() / 3600
    rows = []
    for gauge in gauges:
        rng = random.Random(f"{seed}:forecast:{gauge.id}")
        bias = rng.uniform(-0.15, 0.15)
        for lead in range(1, 73):
            hour = issued_hour + lead
            median = stage(gauge, hour) + bias * lead / 72
            spread = 0.05 + 0.012 * lead
            rows.append((gauge.id, _stamp(FORECAST_ISSUED), _stamp(FORECAST_ISSUED + timedelta(hours=lead)),
                         f"{median:.2f}", f"{median - spread:.2f}", f"{median + spread:.2f}"))
    return _csv(("code_station", "date_emission", "date_prevision", "hauteur_q50_m", "hauteur_q10_m",
                 "hauteur_q90_m"), rows)


DESIGN_POINTS = {
    "dreal-pdl": (("M800002010", "La Loire à Nantes"), ("M740001010", "La Sèvre nantaise à Vertou"),
                  ("M730001010", "L'Erdre à Nantes")),
    "syloa": (("M800004010", "La Loire à Cordemais"), ("M800005010", "La Loire à Paimbœuf")),
    "egis-eau": (("M813001010", "L'Acheneau à Port-Saint-Père"), ("M840001010", "Le Brivet à Montoir-de-Bretagne")),
}


def design_hydrographs_csv(seed: int, provider: str) -> bytes:
    """GC035: design hydrographs (return periods 10, 30, 100, 1000 years) at the provider's points, 3-hour step
    over 10 days."""
    gauges = {g.id: g for g in RIVER_GAUGES}
    rng = random.Random(f"{seed}:design:{provider}")
    rows = []
    for code, name in DESIGN_POINTS.get(provider, DESIGN_POINTS["dreal-pdl"]):
        gauge = gauges[code]
        for period, ratio in ((10, 0.55), (30, 0.75), (100, 1.0), (1000, 1.45)):
            peak = gauge.peak_flow * ratio * rng.uniform(0.97, 1.03)
            for step in range(81):
                hour = step * 3
                u = hour / 96
                q = gauge.base_flow + (peak - gauge.base_flow) * (u ** 3) * math.exp(3 * (1 - u)) if u > 0 \
                    else gauge.base_flow
                rows.append((code, name, f"Q{period}", hour, f"{q:.1f}"))
    return _csv(("code_point", "point", "periode_retour", "heure", "debit_m3_s"), rows)


def feed_source(territory: Territory, seed: int, region: str | None = None) -> dict[str, Any]:
    """The data source of the river gauges' real-time feed: a simulated feed (`connector.data.feeds`), one
    observation per station every `FEED_INTERVAL_S` seconds, stations placed on their rivers."""
    stations = []
    for gauge in RIVER_GAUGES:
        if region not in (None, "both", gauge.region):
            continue
        point = territory.on_river(gauge.river, gauge.lon, gauge.lat)
        stations.append({"id": gauge.id, "name": gauge.name, "lon": round(point.x, 6), "lat": round(point.y, 6)})
    return {"type": "feed", "simulate": {"stations": stations, "interval": FEED_INTERVAL_S, "seed": seed}}


# --- sea, groundwater, soil ---------------------------------------------------------------------------------------


def surge(hour: float) -> float:
    """Storm surge (m) of the episode: a rise during the main front, peaking on 20 January."""
    return 0.75 * math.exp(-((hour - 245) / 22) ** 2) + 0.25 * math.exp(-((hour - 305) / 15) ** 2)


def tide_csv(seed: int, gauges: Sequence[str] | None = None, step_min: int = 60) -> bytes:
    """GC019: sea levels (m, zero hydrographique) at the tide gauges: astronomical tide + surge + noise."""
    rows = []
    for gauge in TIDE_GAUGES:
        if gauges is not None and gauge.id not in gauges:
            continue
        rng = random.Random(f"{seed}:tide:{gauge.id}")
        for i in range(HOURS * 60 // step_min):
            hour = i * step_min / 60
            level = 3.6 + _tide(hour, gauge.amplitude, gauge.lag_min / 60) + surge(hour) + rng.gauss(0, 0.01)
            rows.append((gauge.id, gauge.name, _stamp(PERIOD[0] + timedelta(minutes=i * step_min)),
                         f"{level:.3f}", 1))
    return _csv(("station", "nom", "date_heure", "niveau_m_zh", "qualite"), rows)


def piezometry_csv(seed: int) -> bytes:
    """GC021: daily groundwater levels (depth below ground, m) over the year to the period's end: seasonal cycle
    and the winter flood's recharge."""
    end = PERIOD[1].date()
    start = end - timedelta(days=365)
    rows = []
    for piezo in PIEZOMETERS:
        rng = random.Random(f"{seed}:piezo:{piezo.id}")
        for day in range(365):
            when = start + timedelta(days=day)
            season = 0.6 * math.cos(2 * math.pi * (when.timetuple().tm_yday - 40) / 365)
            flood = 0.8 * math.exp(-((when - date(2026, 1, 24)).days / 9) ** 2) if piezo.depth < 4 else 0.2 * \
                math.exp(-((when - date(2026, 1, 30)).days / 15) ** 2)
            depth = max(0.05, piezo.depth - season - flood + rng.gauss(0, 0.02))
            rows.append((piezo.id, piezo.name, when.isoformat(), f"{depth:.2f}"))
    return _csv(("code_bss", "nom", "date_mesure", "profondeur_nappe_m"), rows)


def soil_wetness_csv(seed: int, bbox: tuple[float, float, float, float]) -> bytes:
    """GC018: daily soil wetness index (SWI) and precipitation on a coarse grid (about 8 km) over the period."""
    minx, miny, maxx, maxy = bbox
    lons = np.arange(minx + 0.05, maxx, 0.1)
    lats = np.arange(miny + 0.035, maxy, 0.07)
    rng = random.Random(f"{seed}:sim2")
    rows = []
    for lat in lats:
        for lon in lons:
            factor = float(rain_field(np.array([lon]), np.array([lat]))[0])
            rain = hourly_rain(seed, factor, f"sim2:{lon:.2f}:{lat:.2f}")
            swi = 0.85 + rng.uniform(-0.05, 0.05)
            for day in range(HOURS // 24):
                daily = sum(rain[day * 24:(day + 1) * 24])
                swi = min(1.35, swi * 0.985 + daily / 160)
                rows.append((f"{lat:.3f}", f"{lon:.3f}", (PERIOD[0] + timedelta(days=day)).date().isoformat(),
                             f"{daily:.1f}", f"{swi:.3f}"))
    return _csv(("LAT", "LON", "DATE", "PRELIQ_Q", "SWI_Q"), rows, ";")
