"""`generate(target_dir, seed)`: writes the data file of every planned dataset under
`<target_dir>/<provider id>/<géo-concept>/<file>` — GeoJSON layers, zipped ASCII grids, CSV series — the same bytes
for the same seed (random values come from `random.Random` seeded per dataset, no clock, fixed zip dates). A
simulated feed has no file: its data source is the whole configuration. Files are written atomically (a
temporary name, then a rename), so a reader never sees half a file."""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .geography import Territory
from .grids import forecast_accumulation, package, radar_accumulation, terrain
from .layers import BUILDERS, Context, clip, feature_collection
from .plan import DemoDataset, default_did, plan
from .series import (
    design_hydrographs_csv,
    forecasts_csv,
    piezometry_csv,
    rain_gauges_csv,
    river_gauges_csv,
    soil_wetness_csv,
    tide_csv,
)
from .sites import RIVER_GAUGES


@dataclass
class Generated:
    """What `generate` wrote: file path (relative to the target directory) -> size in bytes, and SHA-256."""

    target: Path
    sizes: dict[str, int] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes.values())


_README = ("Grille ESRI ASCII (.asc) en WGS 84 (longitude, latitude), avec sa projection (.prj). Données "
           "synthétiques de démonstration JNT : {what}. Lecture : QGIS ou GDAL (/vsizip/{zip}/{name}.asc).\n")


def _grid(dataset: DemoDataset, territory: Territory, seed: int) -> bytes:
    gc, bbox = dataset.geoconcept.id, dataset.area.bbox
    if gc == "GC001":
        grid, what = terrain(territory, bbox, 0.0025, seed), "altitudes du sol en m NGF-IGN69"
    elif gc == "GC003":
        grid, what = terrain(territory, bbox, 0.0015, seed, bathymetry=True), "altitudes et profondeurs en m NGF-IGN69"
    elif gc == "GC015":
        grid, what = radar_accumulation(bbox, 0.01), "cumul de pluie radar en mm sur 72 h"
    elif gc == "GC017":
        grid, what = forecast_accumulation(bbox, 0.025), "cumul de pluie prévu en mm sur 48 h"
    else:
        raise ValueError(f"no grid for {gc}")
    name = Path(dataset.product.file).stem
    return package(name, grid, _README.format(what=what, zip=dataset.product.file, name=name))


def _table(dataset: DemoDataset, seed: int) -> bytes:
    gc, region = dataset.geoconcept.id, dataset.area.region
    gauges = [g for g in RIVER_GAUGES if region in ("both", g.region)]
    if gc == "GC011":
        return river_gauges_csv(seed, gauges)
    if gc == "GC013":
        return forecasts_csv(seed, gauges)
    if gc == "GC016":
        return rain_gauges_csv(seed)
    if gc == "GC018":
        return soil_wetness_csv(seed, dataset.area.bbox)
    if gc == "GC019":
        if dataset.provider.id == "shom":  # the reference tide gauge, every 10 minutes
            return tide_csv(seed, ["SHOM-37"], step_min=10)
        return tide_csv(seed, step_min=60)
    if gc == "GC021":
        return piezometry_csv(seed)
    if gc == "GC035":
        return design_hydrographs_csv(seed, dataset.provider.id)
    raise ValueError(f"no table for {gc}")


def _vector(dataset: DemoDataset, territory: Territory, seed: int) -> bytes:
    provider, gc = dataset.provider, dataset.geoconcept.id
    ctx = Context(territory, dataset.area.bbox, dataset.area.region, random.Random(f"{seed}:{provider.id}:{gc}"),
                  seed, provider.id, provider.name)
    # every layer stays inside its dataset's area and inside the demo territory (the estuary, Angers)
    features = clip(clip(BUILDERS[gc](ctx), dataset.area.bbox), territory.regions)
    return feature_collection(f"{provider.id}-{gc}", features)


def data_bytes(dataset: DemoDataset, territory: Territory, seed: int) -> bytes | None:
    """The content of a dataset's file (None for a feed)."""
    kind = dataset.product.kind
    if kind == "feed":
        return None
    if kind == "grid":
        return _grid(dataset, territory, seed)
    if kind == "table":
        return _table(dataset, seed)
    return _vector(dataset, territory, seed)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def generate(target_dir: str | Path, seed: int = 0, *, datasets: Sequence[DemoDataset] | None = None,
             did_for: Callable[[str], str] = default_did) -> Generated:
    """Write the data files of `datasets` (default: `plan(seed=seed)`) under `target_dir`: the provider of id P
    has its data directory at `target_dir/P`, where each dataset's `data_source.path` resolves."""
    started = time.perf_counter()
    target = Path(target_dir)
    if datasets is None:
        datasets = plan(seed=seed, did_for=did_for)
    territory = Territory()  # a fresh one: shared shapes are built once per generation
    result = Generated(target)
    for dataset in datasets:
        data = data_bytes(dataset, territory, seed)
        if data is None or dataset.path is None:
            continue
        relative = f"{dataset.provider.id}/{dataset.path}"
        _write(target / relative, data)
        result.sizes[relative] = len(data)
        result.digests[relative] = hashlib.sha256(data).hexdigest()
    result.seconds = time.perf_counter() - started
    return result
