"""The demo's rasters, as ESRI ASCII grids (`.asc`, the format IGN delivers RGE ALTI tiles in) with their `.prj`
(WGS 84, CRS84 axis order), packed in one zip per dataset so a dataset stays one file: GDAL and QGIS open
`/vsizip/<file>.zip/<name>.asc` directly. No raster library is needed to write them (the product depends on no
GDAL), and the zip is byte-for-byte deterministic (fixed member dates and order).

Grids: the terrain model of the estuary (GC001), the land–sea model at the mouth with the channel's bathymetry
(GC003), the radar rain accumulation of the episode (GC015) and the AROME forecast accumulation (GC017)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np

from .geography import BBox, Territory
from .series import FORECAST_ISSUED, PERIOD, episode_total

NODATA = -9999
# ESRI's WKT for WGS 84 geographic coordinates (what GDAL writes in a .prj for EPSG:4326).
WGS84_PRJ = ('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
             'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')
ZIP_DATE = (2026, 2, 9, 0, 0, 0)


@dataclass(frozen=True)
class Grid:
    """A north-up grid: `values[0]` is the northernmost row; cells are `cellsize` degrees square."""

    bbox: BBox
    cellsize: float
    values: np.ndarray  # float, rows × columns
    decimals: int = 2

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @staticmethod
    def centres(bbox: BBox, cellsize: float) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes and latitudes of the cell centres, rows from north to south."""
        minx, miny, maxx, maxy = bbox
        ncols = int(round((maxx - minx) / cellsize))
        nrows = int(round((maxy - miny) / cellsize))
        lon = minx + (np.arange(ncols) + 0.5) * cellsize
        lat = miny + (nrows - np.arange(nrows) - 0.5) * cellsize
        return np.meshgrid(lon, lat)

    def to_asc(self) -> bytes:
        nrows, ncols = self.shape
        minx, miny, _maxx, _maxy = self.bbox
        header = (f"ncols {ncols}\nnrows {nrows}\nxllcorner {minx:.6f}\nyllcorner {miny:.6f}\n"
                  f"cellsize {self.cellsize:.6f}\nNODATA_value {NODATA}\n")
        fmt = f"{{:.{self.decimals}f}}"
        lines = [" ".join(fmt.format(v) if np.isfinite(v) else str(NODATA) for v in row) for row in self.values]
        return (header + "\n".join(lines) + "\n").encode("ascii")


def read_asc(text: str) -> Grid:
    """Read an ESRI ASCII grid (the six-line header, then rows north to south); NODATA cells become NaN."""
    lines = text.splitlines()
    header = {}
    for line in lines[:6]:
        key, value = line.split()
        header[key.lower()] = float(value)
    values = np.array([[float(v) for v in line.split()] for line in lines[6:] if line.strip()])
    values[values == header["nodata_value"]] = np.nan
    minx, miny, size = header["xllcorner"], header["yllcorner"], header["cellsize"]
    nrows, ncols = int(header["nrows"]), int(header["ncols"])
    if values.shape != (nrows, ncols):
        raise ValueError(f"grid of {values.shape} values, header says {(nrows, ncols)}")
    return Grid((minx, miny, minx + ncols * size, miny + nrows * size), size, values)


def package(name: str, grid: Grid, readme: str) -> bytes:
    """The zip of one grid: `<name>.asc`, `<name>.prj` and a short French `LISEZMOI.txt`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in ((f"{name}.asc", grid.to_asc()), (f"{name}.prj", WGS84_PRJ.encode("ascii")),
                             ("LISEZMOI.txt", readme.encode("utf-8"))):
            info = zipfile.ZipInfo(member, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


def terrain(territory: Territory, bbox: BBox, cellsize: float, seed: int, bathymetry: bool = False) -> Grid:
    lon, lat = Grid.centres(bbox, cellsize)
    z = territory.elevation(lon.ravel(), lat.ravel(), seed, bathymetry=bathymetry).reshape(lon.shape)
    return Grid(bbox, cellsize, z, 2)


def radar_accumulation(bbox: BBox, cellsize: float) -> Grid:
    """Radar rain accumulation (mm) over the 72 hours of the main front (from 17 January 22:00 UTC)."""
    lon, lat = Grid.centres(bbox, cellsize)
    return Grid(bbox, cellsize, episode_total(lon, lat, 190, 262), 1)


def forecast_accumulation(bbox: BBox, cellsize: float) -> Grid:
    """AROME-like forecast rain accumulation (mm) over the 48 hours following the forecast's issue."""
    start = int((FORECAST_ISSUED - PERIOD[0]).total_seconds() // 3600)
    lon, lat = Grid.centres(bbox, cellsize)
    return Grid(bbox, cellsize, episode_total(lon, lat, start, start + 48), 1)
