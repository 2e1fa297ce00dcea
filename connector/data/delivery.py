"""What the data plane delivers once an access is permitted, whatever the channel (a consumer's GET, a push to the
consumer's endpoint): the bytes of a resource as they are read, or — for vector data under a territorial restriction
— a GeoJSON FeatureCollection of only the features inside the permitted area, clipped to it; for a feed, only the
observations whose station lies inside that area. Everything streams: one chunk, one feature or one observation is
held at a time, and every stream opened here is closed when its reader stops, early or not."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import shapely
from shapely.geometry import Point, mapping, shape

from policies.request import Area

from .base import GEOJSON, DataSource, Params, ResourceInfo, Stream
from .errors import DataSourceError
from .geojson import encode_feature_collection

RASTER_TYPES = ("image/tiff", "image/png", "image/jpeg", "application/x-geotiff")


def access_headers(access: Any, attribution: str | None) -> dict[str, str]:
    """The headers that go with delivered data (`access`: an `enforce.Access`): the agreement, the rank of this use,
    the attribution the licence asks for, and the territory the data was restricted to (percent-encoded)."""
    headers = {"X-JNT-Agreement": access.agreement.id, "X-JNT-Use": str(access.uses)}
    if attribution:
        headers["X-JNT-Attribution"] = quote(attribution, safe=" ,;:/()'-.")
    if access.area is not None:
        headers["X-JNT-Territory"] = quote(access.area.label, safe=" ,;:/()'-.∩")
    return headers


def is_raster(info: ResourceInfo | None) -> bool:
    """A territorial restriction applies to a raster as a condition on the requested area (it is not clipped)."""
    return bool(info and info.media_type in RASTER_TYPES)


def served_as_vector(source: DataSource, info: ResourceInfo | None) -> bool:
    return source.is_vector or bool(info and info.is_vector)


async def clip_features(features: Stream[dict[str, Any]] | AsyncIterable[dict[str, Any]],
                        area: Area) -> AsyncIterator[dict[str, Any]]:
    """The features inside `area`, those crossing its boundary clipped to it; features without a readable geometry
    are left out (they cannot be shown to lie inside). The source stream is closed however the reader stops."""
    shapely.prepare(area.geometry)
    try:
        async for feature in features:
            geometry = feature.get("geometry")
            if not geometry:
                continue
            try:
                geom = shape(geometry)
            except Exception:  # a feature whose geometry is unreadable is not served
                continue
            if area.geometry.contains(geom):
                yield feature
            elif area.geometry.intersects(geom):
                clipped = geom.intersection(area.geometry)
                if not clipped.is_empty:
                    yield {**feature, "geometry": mapping(clipped)}
    finally:
        closer = getattr(features, "aclose", None)
        if closer is not None:
            await closer()


async def clipped_geojson(source: DataSource, path: str | None, area: Area,
                          params: Params | None = None) -> AsyncIterator[bytes]:
    """The source's features inside `area`, clipped, as a streamed FeatureCollection (UTF-8 chunks). The source is
    opened before this returns, so that an unreadable source is an error here rather than a truncated body."""
    minx, miny, maxx, maxy = area.geometry.bounds
    features = await source.features(path, params=params, bbox=(minx, miny, maxx, maxy))
    return encode_feature_collection(clip_features(features, area))


def observation_inside(observation: dict[str, Any], area: Area) -> bool:
    """Whether an observation's station (`lon`, `lat`) lies in `area`; one without coordinates does not."""
    lon, lat = observation.get("lon"), observation.get("lat")
    if not isinstance(lon, int | float) or not isinstance(lat, int | float) or isinstance(lon, bool) \
            or isinstance(lat, bool):
        return False
    return bool(area.geometry.covers(Point(lon, lat)))


@dataclass
class Payload:
    """A body ready to send: its chunks, media type and length when known (None: sent chunked)."""

    chunks: AsyncIterator[bytes]
    media_type: str
    length: int | None = None

    async def aclose(self) -> None:
        closer = getattr(self.chunks, "aclose", None)
        if closer is not None:
            await closer()


async def payload(source: DataSource, path: str | None, area: Area | None) -> Payload:
    """The whole resource `path` of `source` as the permitted access may see it: clipped GeoJSON for vector data
    under a territorial restriction, else the bytes as stored. A feed has no end, so it has no payload: it is read
    by pull (server-sent events or NDJSON)."""
    if source.is_feed:
        raise DataSourceError("data_source.type", "un flux temps réel se lit en direct (SSE ou NDJSON), il ne se "
                                                  "pousse pas", "a real-time feed is read live (SSE or NDJSON), "
                                                                "it is not pushed", 400, code="feed-not-pushable")
    info = source.describe(path)
    if area is not None and served_as_vector(source, info):
        return Payload(await clipped_geojson(source, path, area), GEOJSON)
    stream = await source.open(path)
    headers = stream.http_headers()
    length = headers.get("Content-Length")
    return Payload(stream, headers.get("Content-Type") or info.media_type,
                   int(length) if length is not None else None)
