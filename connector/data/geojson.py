"""GeoJSON in and out as streams, so a vector dataset of any size passes through the data plane with flat memory:
`iter_features` reads the features of a FeatureCollection (or one Feature, or a GeoJSON sequence: one Feature per
line) from byte chunks as they arrive — one feature at a time is held, never the document — and
`encode_feature_collection` writes features back as a FeatureCollection in chunks. `parse_bbox` and
`feature_in_bbox` give vector sources a cheap pre-filter; the data plane still clips to the permitted territory.

Coordinates must be WGS 84 longitude/latitude (RFC 7946): a document whose legacy `crs` member names another system
(Lambert-93 is common in France) is refused rather than clipped wrongly. One feature may not exceed
`MAX_FEATURE_CHARS` (64 Mi characters): past that, or on invalid JSON, reading stops with an error."""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any

import shapely.geometry
from shapely.errors import GEOSException

from .base import BBox
from .errors import DataSourceError

MAX_FEATURE_CHARS = 64 * 1024 * 1024
ENCODE_CHUNK = 64 * 1024
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")
_CRS84 = re.compile(r"(CRS84|EPSG:{1,2}4326|EPSG/0/4326)$", re.IGNORECASE)


class _Reader:
    """A text buffer over byte chunks, refilled on demand and trimmed of what was consumed."""

    def __init__(self, chunks: AsyncIterable[bytes], status: int) -> None:
        self._chunks = chunks.__aiter__()
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.status = status
        self.buf = ""
        self.pos = 0
        self.eof = False

    def error(self, fr: str, en: str) -> DataSourceError:
        return DataSourceError("data", f"GeoJSON invalide : {fr}", f"invalid GeoJSON: {en}", self.status)

    async def fill(self, at_least: int = 1) -> None:
        """Read chunks until `at_least` more characters are pending (or the end)."""
        parts: list[str] = []
        got = 0
        while got < at_least and not self.eof:
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self.eof = True
                chunk = b""
            try:
                text = self._decoder.decode(chunk, final=self.eof)
            except UnicodeDecodeError as exc:
                raise self.error("le texte n'est pas de l'UTF-8", "the text is not UTF-8") from exc
            parts.append(text)
            got += len(text)
        self.buf = self.buf[self.pos:] + "".join(parts)
        self.pos = 0

    async def peek(self) -> str:
        """The next significant character, "" at the end."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos] if self.pos < len(self.buf) else ""
            await self.fill()

    async def expect(self, char: str) -> None:
        found = await self.peek()
        if found != char:
            raise self.error(f"« {char} » attendu, « {found or 'fin'} » trouvé",
                             f"expected '{char}', found '{found or 'end'}'")
        self.pos += 1

    async def value(self) -> Any:
        """The JSON value at the cursor. An incomplete value reads more — doubling what is pending, so a large
        feature costs linear time; a number ending the buffer may be cut, so it is only trusted at the end (`true`,
        `false`, `null` end in `e` or `l` and cannot be longer)."""
        await self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof or self.buf[end - 1] in '}]"el':
                    self.pos = end
                    return value
            except json.JSONDecodeError as exc:
                # Only an error at the very end of the buffer (or an open string) may be a value cut by a chunk.
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - 6
                if self.eof or not cut:
                    raise self.error(f"JSON mal formé ({exc.msg})", f"malformed JSON ({exc.msg})") from exc
            pending = len(self.buf) - self.pos
            if pending > MAX_FEATURE_CHARS:
                raise self.error(f"élément de plus de {MAX_FEATURE_CHARS} caractères (ou JSON invalide)",
                                 f"element larger than {MAX_FEATURE_CHARS} characters (or invalid JSON)")
            await self.fill(max(pending, 64 * 1024))


def _check_feature(item: Any, index: int, status: int) -> dict[str, Any]:
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise DataSourceError("data", f"GeoJSON invalide : l'élément {index} n'est pas une Feature",
                              f"invalid GeoJSON: element {index} is not a Feature", status)
    return item


def _check_crs(crs: Any, status: int) -> None:
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if crs is not None and not (isinstance(name, str) and _CRS84.search(name.strip())):
        raise DataSourceError("data", f"le GeoJSON est dans le système {name or crs!r} : seules les coordonnées WGS 84 "
                                      "(CRS84) sont servies ; reprojetez la donnée (ex. ogr2ogr -t_srs EPSG:4326)",
                              f"the GeoJSON is in the {name or crs!r} system: only WGS 84 (CRS84) coordinates are "
                              "served; reproject the data (e.g. ogr2ogr -t_srs EPSG:4326)", status)


async def iter_features(chunks: AsyncIterable[bytes], *, sequence: bool = False,
                        status: int = 500) -> AsyncIterator[dict[str, Any]]:
    """The features of a GeoJSON document arriving as byte chunks. `sequence`: one Feature per line (GeoJSON text
    sequences, RS separators allowed). Invalid content raises `DataSourceError("data", …, status)` — 500 for the
    provider's own files, 502 for an upstream's."""
    if sequence:
        async for feature in _iter_sequence(chunks, status):
            yield feature
        return
    reader = _Reader(chunks, status)
    if await reader.peek() != "{":
        raise reader.error("un objet JSON est attendu (FeatureCollection ou Feature)",
                           "a JSON object is expected (FeatureCollection or Feature)")
    reader.pos += 1
    members: dict[str, Any] = {}
    seen_features = False
    count = 0
    while True:
        if await reader.peek() == "}":
            reader.pos += 1
            break
        if members or seen_features:
            await reader.expect(",")
        key = await reader.value()
        if not isinstance(key, str):
            raise reader.error("nom de membre attendu", "member name expected")
        await reader.expect(":")
        if key != "features":
            members[key] = await reader.value()
            if key == "crs":
                _check_crs(members[key], status)
            continue
        seen_features = True
        await reader.expect("[")
        if await reader.peek() == "]":
            reader.pos += 1
            continue
        while True:
            yield _check_feature(await reader.value(), count, status)
            count += 1
            separator = await reader.peek()
            reader.pos += 1
            if separator == "]":
                break
            if separator != ",":
                raise reader.error("« , » ou « ] » attendu dans « features »", "',' or ']' expected in 'features'")
    if await reader.peek() != "":
        raise reader.error("données après la fin du document", "data after the end of the document")
    kind = members.get("type")
    if seen_features and kind not in (None, "FeatureCollection"):
        raise reader.error(f"type « {kind} » avec un membre « features »", f"type '{kind}' with a 'features' member")
    if not seen_features:
        if kind != "Feature":
            raise reader.error("ni FeatureCollection ni Feature", "neither a FeatureCollection nor a Feature")
        yield members


async def _iter_sequence(chunks: AsyncIterable[bytes], status: int) -> AsyncIterator[dict[str, Any]]:
    pending = b""
    count = 0
    async for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if len(pending) > MAX_FEATURE_CHARS:
            raise DataSourceError("data", "ligne GeoJSON trop longue", "GeoJSON line too long", status)
        for line in lines:
            feature = _sequence_item(line, count, status)
            if feature is not None:
                count += 1
                yield feature
    feature = _sequence_item(pending, count, status)
    if feature is not None:
        yield feature


def _sequence_item(line: bytes, index: int, status: int) -> dict[str, Any] | None:
    text = line.strip(b" \t\r\n\x1e")
    if not text:
        return None
    try:
        return _check_feature(json.loads(text), index, status)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataSourceError("data", f"GeoJSON invalide à la ligne de l'entité {index} : {exc}",
                              f"invalid GeoJSON on the line of feature {index}: {exc}", status) from exc


def dumps(feature: Any) -> str:
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


async def encode_feature_collection(features: AsyncIterable[dict[str, Any]]) -> AsyncIterator[bytes]:
    """A FeatureCollection as UTF-8 chunks of about 64 KiB, written as the features arrive."""
    parts = ['{"type":"FeatureCollection","features":[']
    size = len(parts[0])
    first = True
    async for feature in features:
        text = dumps(feature) if first else "," + dumps(feature)
        first = False
        parts.append(text)
        size += len(text)
        if size >= ENCODE_CHUNK:
            yield "".join(parts).encode()
            parts, size = [], 0
    parts.append("]}")
    yield "".join(parts).encode()


def parse_bbox(value: Any) -> BBox:
    """A bbox `minx,miny,maxx,maxy` in CRS84, as text (`"-1.7,47.1,-1.4,47.3"`) or four numbers."""
    if isinstance(value, str):
        value = value.split(",")
    try:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 4:
            raise ValueError
        minx, miny, maxx, maxy = (float(v) for v in value)
    except (TypeError, ValueError):
        raise DataSourceError("bbox", "emprise invalide : attendu minx,miny,maxx,maxy (4 nombres)",
                              "invalid bbox: expected minx,miny,maxx,maxy (4 numbers)") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)) or minx > maxx or miny > maxy or \
            minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise DataSourceError("bbox", "emprise invalide : longitudes dans [-180, 180], latitudes dans [-90, 90], "
                                      "min ≤ max", "invalid bbox: longitudes in [-180, 180], latitudes in [-90, 90], "
                                                   "min ≤ max")
    return minx, miny, maxx, maxy


def feature_in_bbox(feature: dict[str, Any], bbox: BBox) -> bool:
    """Whether the envelope of the feature's geometry meets `bbox`. A feature without geometry, or with one that
    cannot be read, has no place: it is left out."""
    geometry = feature.get("geometry")
    if not geometry:
        return False
    try:
        minx, miny, maxx, maxy = shapely.geometry.shape(geometry).bounds
    except (GEOSException, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return False
    if any(math.isnan(v) for v in (minx, miny, maxx, maxy)):
        return False
    return minx <= bbox[2] and maxx >= bbox[0] and miny <= bbox[3] and maxy >= bbox[1]


async def filter_bbox(features: AsyncIterable[dict[str, Any]], bbox: BBox | None) -> AsyncIterator[dict[str, Any]]:
    async for feature in features:
        if bbox is None or feature_in_bbox(feature, bbox):
            yield feature
