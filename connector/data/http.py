"""`HttpSource`: an HTTP(S) upstream — an OGC WFS `GetFeature` URL, a provider's API — whose body the data plane
streams to the consumer. The upstream URL and headers are the provider's; a consumer's query parameters reach the
upstream only when their names are listed in `forward_params` (case-insensitively, as OGC parameter names are), and
then replace the URL's own value. A header value may be `{"env": "NAME"}`, read from the environment at each
request, so an API key need not sit in the database.

`Upstream` is the request machinery, shared with upstream feeds: it maps every failure to a `DataSourceError` on
`upstream` — 502 when the upstream cannot be reached or answers an error (its status is kept in
`upstream_status`, the start of its body in `detail` for the provider's log), 504 when it does not answer in time —
and never puts the URL's query (which may carry a key) into a message."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from ._spec import SpecReader
from .base import (
    CHUNK_SIZE,
    GEOJSON_SEQ,
    BBox,
    DataSource,
    Params,
    ResourceInfo,
    Stream,
    check_range,
    is_vector_media_type,
    no_subresource,
)
from .errors import DataSourceError
from .geojson import filter_bbox, iter_features

DEFAULT_TIMEOUT = 30.0
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Headers that belong to the connection, not to the provider's declaration.
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer",
                          "keep-alive", "proxy-connection", "range"})
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
MAX_PARAM_LENGTH = 4096


@dataclass(frozen=True)
class EnvRef:
    """A header value read from the environment variable `name` at each request."""

    name: str


def shown_url(url: str | httpx.URL) -> str:
    """An upstream URL as messages may show it: no user info, no query."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def read_url(reader: SpecReader, key: str = "url") -> str:
    text = reader.string(key, required=True)
    assert text is not None
    parts = urlsplit(text.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise reader.error(key, f"schéma « {parts.scheme or '(aucun)'} » refusé : l'URL doit commencer par https:// "
                                "(ou http://)",
                           f"scheme '{parts.scheme or '(none)'}' refused: the URL must start with https:// "
                           "(or http://)")
    try:
        if not parts.hostname:
            raise ValueError
        httpx.URL(text.strip())
    except (ValueError, httpx.InvalidURL):
        raise reader.error(key, "URL invalide (hôte manquant ou mal formé)",
                           "invalid URL (missing or malformed host)") from None
    return text.strip()


def read_headers(reader: SpecReader, key: str = "headers") -> dict[str, str | EnvRef]:
    declared = reader.mapping(key) or {}
    headers: dict[str, str | EnvRef] = {}
    for name, value in declared.items():
        where = f"{key}.{name}"
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise reader.error(where, "nom d'en-tête HTTP invalide", "invalid HTTP header name")
        if name.lower() in _HOP_HEADERS:
            raise reader.error(where, "cet en-tête est géré par le connecteur et ne peut être déclaré",
                               "this header is managed by the connector and cannot be declared")
        if isinstance(value, Mapping) and set(value) == {"env"}:
            if not isinstance(value["env"], str) or not _ENV_NAME.match(value["env"]):
                raise reader.error(where, "{\"env\": NOM} attend un nom de variable d'environnement",
                                   "{\"env\": NAME} expects an environment variable name")
            headers[name] = EnvRef(value["env"])
        elif isinstance(value, str) and not any(c in value for c in "\r\n\x00"):
            headers[name] = value
        else:
            raise reader.error(where, "valeur attendue : une chaîne sur une ligne, ou {\"env\": NOM}",
                               "expected value: a one-line string, or {\"env\": NAME}")
    return headers


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


@dataclass
class Upstream:
    url: str
    headers: dict[str, str | EnvRef] = field(default_factory=dict)
    forward_params: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    read_timeout: float | None = None  # None: same as `timeout`
    client: httpx.AsyncClient | None = None  # shared by the data plane; else one per request

    def target(self, params: Params | None) -> httpx.URL:
        """The upstream URL with the consumer's forwarded parameters (each listed name replaces the URL's value)."""
        base = httpx.URL(self.url)
        if not params:
            return base
        allowed = {name.casefold() for name in self.forward_params}
        added: list[tuple[str, str]] = []
        for name, value in params.items():
            if name.casefold() not in allowed:
                listed = ", ".join(self.forward_params) or "aucun"
                raise DataSourceError(f"params.{name}",
                                      f"paramètre non transmis à la source ; paramètres acceptés : {listed}",
                                      "parameter not forwarded to the source; accepted parameters: "
                                      f"{', '.join(self.forward_params) or 'none'}", 400, code="parameter-refused")
            values = [value] if isinstance(value, str) else list(value)
            for item in values:
                if not isinstance(item, str) or len(item) > MAX_PARAM_LENGTH or "\x00" in item:
                    raise DataSourceError(f"params.{name}", "valeur invalide ou trop longue",
                                          "invalid or too long value", 400, code="parameter-refused")
                added.append((name, item))
        replaced = {name.casefold() for name, _ in added}
        kept = [(k, v) for k, v in base.params.multi_items() if k.casefold() not in replaced]
        return base.copy_with(params=httpx.QueryParams(kept + added))

    def request_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            if isinstance(value, EnvRef):
                resolved = os.environ.get(value.name)
                if resolved is None:
                    raise DataSourceError(f"data_source.headers.{name}",
                                          f"la variable d'environnement {value.name} n'est pas définie sur le "
                                          "connecteur", f"the environment variable {value.name} is not set on the "
                                                        "connector", 500, code="configuration")
                headers[name] = resolved
            else:
                headers[name] = value
        return headers

    async def send(self, url: httpx.URL, headers: Mapping[str, str] | None = None
                   ) -> tuple[httpx.Response, Callable[[], Awaitable[None]]]:
        """Send GET and return the response with its body unread, and how to release it. Any failure and any
        answer outside 2xx is a `DataSourceError`."""
        all_headers = {**self.request_headers(), **(headers or {})}
        read = self.read_timeout if self.read_timeout is not None else self.timeout
        timeout = httpx.Timeout(self.timeout, read=read)
        client = self.client or httpx.AsyncClient(follow_redirects=True)
        own = self.client is None

        async def release(response: httpx.Response | None = None) -> None:
            try:
                if response is not None:
                    await response.aclose()
            finally:
                if own:
                    await client.aclose()

        try:
            request = client.build_request("GET", url, headers=all_headers, timeout=timeout)
            response = await client.send(request, stream=True, follow_redirects=True)
        except BaseException as exc:
            await release()
            if isinstance(exc, httpx.HTTPError):
                raise upstream_error(exc, url) from exc
            raise
        if response.is_success:
            return response, lambda: release(response)
        try:
            detail = await _start_of_body(response)
        finally:
            await release(response)
        raise DataSourceError("upstream", f"la source amont {shown_url(url)} a répondu {response.status_code} "
                                          f"{response.reason_phrase}".rstrip(),
                              f"the upstream {shown_url(url)} answered {response.status_code} "
                              f"{response.reason_phrase}".rstrip(), 502, upstream_status=response.status_code,
                              detail=detail)


async def _start_of_body(response: httpx.Response, limit: int = 500) -> str:
    data = b""
    try:
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= limit:
                break
    except httpx.HTTPError:
        pass
    return " ".join(data[:limit].decode("utf-8", "replace").split())


def upstream_error(exc: httpx.HTTPError, url: str | httpx.URL) -> DataSourceError:
    where = shown_url(url)
    if isinstance(exc, httpx.TimeoutException):
        return DataSourceError("upstream", f"la source amont {where} n'a pas répondu à temps ({type(exc).__name__})",
                               f"the upstream {where} did not answer in time ({type(exc).__name__})", 504)
    if isinstance(exc, httpx.ConnectError):
        return DataSourceError("upstream", f"connexion impossible à la source amont {where}",
                               f"cannot connect to the upstream {where}", 502, detail=str(exc))
    return DataSourceError("upstream", f"échange interrompu avec la source amont {where} ({type(exc).__name__})",
                           f"exchange with the upstream {where} broken off ({type(exc).__name__})", 502,
                           detail=str(exc))


async def iter_body(response: httpx.Response, url: str | httpx.URL) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes():
            if chunk:
                yield chunk
    except httpx.HTTPError as exc:
        raise upstream_error(exc, url) from exc


@dataclass
class HttpSource(DataSource):
    """`{"type": "http", "url": "https://...", "headers"?: {...}, "forward_params"?: [...], "media_type"?: "...",
    "timeout"?: seconds}`. The declared media type wins over the upstream's `Content-Type`; it decides `is_vector`."""

    kind = "http"
    upstream: Upstream
    media_type: str | None = None
    chunk_size: int = CHUNK_SIZE
    spec: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_dir: Path | None = None, *,
                  client: httpx.AsyncClient | None = None) -> HttpSource:
        reader = SpecReader(spec, {"type", "url", "headers", "forward_params", "media_type", "timeout"},
                            kind=cls.kind)
        upstream = Upstream(url=read_url(reader), headers=read_headers(reader),
                            forward_params=tuple(reader.string_list("forward_params")),
                            timeout=reader.number("timeout", default=DEFAULT_TIMEOUT, minimum=0, maximum=3600),
                            client=client)
        return cls(upstream=upstream, media_type=reader.media_type(), spec=dict(spec))

    @property
    def is_vector(self) -> bool:
        return is_vector_media_type(self.media_type)

    def _filename(self) -> str | None:
        name = unquote(urlsplit(self.upstream.url).path.rsplit("/", 1)[-1])
        return name or None

    def describe(self, path: str | None = None) -> ResourceInfo:
        """What is known before asking the upstream; the opened stream's `info` has what it answered."""
        no_subresource(path, self.kind)
        return ResourceInfo(media_type=self.media_type or "application/octet-stream", filename=self._filename(),
                            is_vector=self.is_vector)

    async def open(self, path: str | None = None, *, byte_range: tuple[int, int | None] | None = None,
                   params: Params | None = None) -> Stream[bytes]:
        no_subresource(path, self.kind)
        url = self.upstream.target(params)
        headers = {}
        if byte_range is not None:
            start, end = check_range(byte_range, 2**63)  # the size is the upstream's to check
            headers["Range"] = f"bytes={start}-{'' if byte_range[1] is None else end}"
        try:
            response, release = await self.upstream.send(url, headers)
        except DataSourceError as exc:
            if exc.upstream_status == 416:
                raise DataSourceError("range", "la source amont ne peut servir cette plage d'octets",
                                      "the upstream cannot serve this byte range", 416) from exc
            raise
        declared_length = response.headers.get("content-length")
        encoded = "content-encoding" in response.headers  # httpx decodes: the declared length is not ours
        length = int(declared_length) if declared_length and declared_length.isdigit() and not encoded else None
        size = length
        served = None
        match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
        if byte_range is not None and response.status_code == 206 and match:
            served = (int(match.group(1)), int(match.group(2)))
            size = int(match.group(3)) if match.group(3) != "*" else None
        media_type = self.media_type or response.headers.get("content-type") or "application/octet-stream"
        info = ResourceInfo(media_type=media_type, size=size, etag=response.headers.get("etag"),
                            last_modified=_http_date(response.headers.get("last-modified")),
                            filename=self._filename(), is_vector=is_vector_media_type(media_type),
                            accept_ranges=response.headers.get("accept-ranges", "").lower() == "bytes")
        return Stream(iter_body(response, url), info=info, close=release, content_range=served, length=length)

    async def features(self, path: str | None = None, *, params: Params | None = None,
                       bbox: BBox | None = None) -> Stream[dict[str, Any]]:
        if not self.is_vector:
            return await super().features(path, params=params, bbox=bbox)
        stream = await self.open(path, params=params)
        sequence = (self.media_type or "").split(";")[0].strip() == GEOJSON_SEQ
        return Stream(filter_bbox(iter_features(stream, sequence=sequence, status=502), bbox), info=stream.info,
                      close=stream.aclose)
