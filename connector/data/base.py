"""What every data source offers the data plane: `describe` a resource (`ResourceInfo`), `open` it as a stream of
bytes, and — for vector sources — read it as GeoJSON `features`, or — for feeds — as `observations`. Opening is
awaited before the first byte is sent, so a missing file, a refused path, a bad range or an upstream failure becomes
a problem response, not a truncated body; what fails later (an upstream that stalls) ends the stream with a
`DataSourceError`. A `Stream` owns what it opened (a file descriptor, an HTTP response, a database cursor) and
releases it when it is exhausted, on error, or on `aclose()` — the caller closes it when the consumer goes away."""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

import anyio

from .errors import DataSourceError

T = TypeVar("T")

#: Chunk size of byte streams read from disk: large enough for throughput, small enough for flat memory.
CHUNK_SIZE = 256 * 1024

#: Consumer query parameters, one value or several per name — from Starlette:
#: `{name: request.query_params.getlist(name) for name in request.query_params}`.
Params = Mapping[str, str | Sequence[str]]

#: A bounding box in CRS84: (min longitude, min latitude, max longitude, max latitude).
BBox = tuple[float, float, float, float]

GEOJSON = "application/geo+json"
GEOJSON_SEQ = "application/geo+json-seq"
NDJSON = "application/x-ndjson"
#: Media types read as GeoJSON (a FeatureCollection or a Feature; `-seq`: one Feature per line). Plain JSON counts,
#: as GeoJSON is often served as `.json`: `features()` ends with an error on `data` for what is not GeoJSON.
VECTOR_MEDIA_TYPES = frozenset({GEOJSON, "application/vnd.geo+json", "application/json", GEOJSON_SEQ})

_SUFFIX_TYPES = {
    ".geojson": GEOJSON, ".geojsonl": GEOJSON_SEQ, ".geojsons": GEOJSON_SEQ, ".json": "application/json",
    ".ndjson": NDJSON, ".jsonl": NDJSON, ".csv": "text/csv", ".gpkg": "application/geopackage+sqlite3",
    ".tif": "image/tiff", ".tiff": "image/tiff", ".las": "application/vnd.las", ".laz": "application/vnd.laszip",
    ".parquet": "application/vnd.apache.parquet", ".zip": "application/zip", ".xml": "application/xml",
    ".gml": "application/gml+xml", ".kml": "application/vnd.google-earth.kml+xml", ".pdf": "application/pdf",
}


def guess_media_type(name: str) -> str:
    """The media type of a file by its suffix (geospatial formats first), `application/octet-stream` if unknown."""
    lowered = name.lower()
    for suffix, media_type in _SUFFIX_TYPES.items():
        if lowered.endswith(suffix):
            return media_type
    return mimetypes.guess_type(lowered, strict=False)[0] or "application/octet-stream"


def is_vector_media_type(media_type: str | None) -> bool:
    return bool(media_type) and media_type.split(";")[0].strip().lower() in VECTOR_MEDIA_TYPES


@dataclass(frozen=True)
class ResourceInfo:
    """What the data plane needs for response headers. `size`, `etag` and `last_modified` are None when unknown
    (an upstream before it answers, a query); `is_vector`: `features()` reads it; `accept_ranges`: byte ranges are
    honoured."""

    media_type: str
    size: int | None = None
    etag: str | None = None
    last_modified: datetime | None = None
    filename: str | None = None
    is_vector: bool = False
    accept_ranges: bool = False

    def http_headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.media_type}
        if self.etag:
            headers["ETag"] = self.etag
        if self.last_modified is not None:
            headers["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        if self.filename:
            ascii_name = self.filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
            headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                              f"filename*=UTF-8''{quote(self.filename, safe='')}")
        headers["Accept-Ranges"] = "bytes" if self.accept_ranges else "none"
        return headers


class Stream(Generic[T]):
    """An open stream of byte chunks, features or observations: iterate it (`async for`), then it closes itself;
    stop early with `aclose()` or `async with`. `info` describes the resource as opened (for an HTTP upstream:
    what it answered); `content_range` is the inclusive byte range served (None: the whole resource) and `length`
    the number of bytes this stream yields when known."""

    def __init__(self, items: AsyncIterator[T], *, info: ResourceInfo | None = None,
                 close: Callable[[], Awaitable[None]] | None = None, content_range: tuple[int, int] | None = None,
                 length: int | None = None) -> None:
        self._items = items
        self._close = close
        self._closed = False
        self.info = info
        self.content_range = content_range
        self.length = length

    def __aiter__(self) -> Stream[T]:
        return self

    async def __anext__(self) -> T:
        if self._closed:
            raise StopAsyncIteration
        try:
            return await self._items.__anext__()
        except BaseException:  # the end, an error or a cancellation: release what was opened
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):  # closing must finish even when the reader was cancelled
            try:
                closer = getattr(self._items, "aclose", None)
                if closer is not None:
                    await closer()
            finally:
                if self._close is not None:
                    await self._close()

    @property
    def closed(self) -> bool:
        return self._closed

    def http_headers(self) -> dict[str, str]:
        """Response headers: those of `info`, plus `Content-Length` and `Content-Range` when known."""
        headers = self.info.http_headers() if self.info else {}
        if self.length is not None:
            headers["Content-Length"] = str(self.length)
        if self.content_range is not None:
            total = self.info.size if self.info and self.info.size is not None else "*"
            headers["Content-Range"] = f"bytes {self.content_range[0]}-{self.content_range[1]}/{total}"
        return headers

    async def __aenter__(self) -> Stream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def check_range(byte_range: tuple[int, int | None], size: int) -> tuple[int, int]:
    """A requested inclusive range `(start, end)` (end None: to the end) checked against the resource size; an end
    past the last byte is clamped (RFC 9110 §14.1.2). Unsatisfiable ranges raise a 416 error naming `range`."""
    try:
        start, end = byte_range
    except (TypeError, ValueError):
        raise DataSourceError("range", "plage d'octets invalide : attendu (début, fin)",
                              "invalid byte range: expected (start, end)", 416) from None
    if isinstance(start, bool) or not isinstance(start, int) or start < 0 or (
            end is not None and (isinstance(end, bool) or not isinstance(end, int) or end < start)):
        raise DataSourceError("range", f"plage d'octets invalide : {start}-{end}",
                              f"invalid byte range: {start}-{end}", 416)
    if start >= size:
        raise DataSourceError("range", f"la plage commence à l'octet {start}, au-delà de la taille ({size} octets)",
                              f"the range starts at byte {start}, beyond the size ({size} bytes)", 416)
    return start, size - 1 if end is None else min(end, size - 1)


def parse_range_header(value: str | None, size: int | None) -> tuple[int, int] | None:
    """The one range of a `Range: bytes=…` header, checked against `size`. None when the header is absent, not about
    bytes, malformed or asks for several ranges — the whole resource is then served, as RFC 9110 allows; a range
    that cannot be satisfied raises a 416 error naming `range`."""
    if not value or size is None:
        return None
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.partition("-"))
    if not dash or not (first or last) or (first and not first.isdigit()) or (last and not last.isdigit()):
        return None
    if not first:  # suffix range: the last N bytes
        if int(last) == 0 or size == 0:
            raise DataSourceError("range", f"plage vide ou fichier vide : {value}", f"empty range or file: {value}",
                                  416)
        return max(0, size - int(last)), size - 1
    if last and int(last) < int(first):
        return None
    return check_range((int(first), int(last) if last else None), size)


def no_subresource(path: str | None, kind: str) -> None:
    if path is not None:
        raise DataSourceError("path", f"une source « {kind} » n'a pas de sous-ressource : « {path} »",
                              f"a '{kind}' source has no sub-resource: '{path}'", 404)


def no_params(params: Params | None, kind: str) -> None:
    for name in params or {}:
        raise DataSourceError(f"params.{name}", f"une source « {kind} » n'accepte pas de paramètre",
                              f"a '{kind}' source takes no parameter")


class DataSource:
    """Base of the source types. `spec` is the declaration as given to `parse_source`."""

    kind: ClassVar[str] = ""
    spec: dict[str, Any]

    @property
    def is_vector(self) -> bool:
        """`features()` reads this source (a folder: its GeoJSON files — `describe(path).is_vector` says which)."""
        return False

    @property
    def is_feed(self) -> bool:
        """`observations()` reads this source: a real-time feed."""
        return False

    @property
    def has_paths(self) -> bool:
        """Requests name a file inside the source (a folder); other sources refuse a path."""
        return False

    def describe(self, path: str | None = None) -> ResourceInfo:
        raise NotImplementedError

    async def open(self, path: str | None = None, *, byte_range: tuple[int, int | None] | None = None,
                   params: Params | None = None) -> Stream[bytes]:
        raise NotImplementedError

    async def features(self, path: str | None = None, *, params: Params | None = None,
                       bbox: BBox | None = None) -> Stream[dict[str, Any]]:
        raise DataSourceError("data_source.type", f"une source « {self.kind} » ne fournit pas d'entités GeoJSON",
                              f"a '{self.kind}' source does not provide GeoJSON features", 400,
                              code="not-vector")

    async def observations(self, *, params: Params | None = None) -> Stream[dict[str, Any]]:
        raise DataSourceError("data_source.type", f"une source « {self.kind} » n'est pas un flux temps réel",
                              f"a '{self.kind}' source is not a real-time feed", 400, code="not-a-feed")
