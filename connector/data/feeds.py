"""`FeedSource`: a real-time feed of observations (river gauges: station, time, water level, flow), read as a
stream of dicts until the reader stops. Two kinds:

* an upstream that streams JSON objects — NDJSON (one per line) or Server-Sent Events whose `data` is JSON, told
  by `format` or by the answer's `Content-Type` — passed on as they come. A dropped or ended connection is
  re-opened after `reconnect_delay` (or the SSE `retry`), with `Last-Event-ID` for SSE; after `max_reconnects`
  failures in a row the stream ends with a 502 error. `idle_timeout`: a feed silent for longer is considered dead.
* a simulation for demos and tests, `{"simulate": {"stations": [...], "interval": 1.0, "seed": 0, "start"?}}`:
  every `interval` seconds one observation per station. Values depend only on the seed, the station and the
  observation time — a slow six-hour wave around a station-specific level, a little noise, and a stage-discharge
  curve for the flow — so two readers see the same value for the same time, and a fixed `start` makes a run
  reproducible. Without `start`, times follow the clock, aligned on multiples of the interval."""

from __future__ import annotations

import json
import math
import random
import time
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx

from ._spec import SpecReader
from .base import NDJSON, DataSource, Params, ResourceInfo, Stream, no_params, no_subresource
from .errors import DataSourceError
from .http import Upstream, iter_body, read_headers, read_url

MAX_LINE = 1024 * 1024
MAX_STATIONS = 1000
WAVE_PERIOD_MS = 6 * 3600 * 1000


@dataclass(frozen=True)
class Station:
    id: str
    name: str | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class Simulation:
    stations: tuple[Station, ...]
    interval: float = 1.0
    seed: int = 0
    start: datetime | None = None


def simulated_observation(station: Station, when: datetime, seed: int = 0) -> dict[str, Any]:
    """The observation of `station` at `when`: a function of (seed, station id, time) only."""
    digest = zlib.crc32(station.id.encode())
    base_level = 0.8 + (digest % 250) / 100  # 0.8–3.3 m
    phase = (digest >> 8) % 628 / 100
    scale = 15 + (digest >> 16) % 185  # m³/s at one metre above the cease-to-flow level
    millis = round(when.timestamp() * 1000)
    noise = random.Random(f"{seed}:{station.id}:{millis}").gauss(0.0, 0.015)
    level = max(0.0, base_level + 0.6 * math.sin(2 * math.pi * millis / WAVE_PERIOD_MS + phase) + noise)
    flow = scale * max(level - 0.3, 0.0) ** 1.6
    utc = when.astimezone(UTC)
    stamp = utc.isoformat(timespec="seconds" if utc.microsecond == 0 else "milliseconds").replace("+00:00", "Z")
    observation: dict[str, Any] = {"station": station.id, "time": stamp, "water_level_m": round(level, 3),
                                   "flow_m3_s": round(flow, 2)}
    if station.name:
        observation["name"] = station.name
    if station.lon is not None and station.lat is not None:
        observation["lon"], observation["lat"] = station.lon, station.lat
    return observation


async def _simulate(simulation: Simulation) -> AsyncIterator[dict[str, Any]]:
    interval = simulation.interval
    start = simulation.start or datetime.fromtimestamp(math.floor(time.time() / interval) * interval, UTC)
    origin = anyio.current_time()
    tick = 0
    while True:
        when = start + timedelta(seconds=tick * interval)
        for station in simulation.stations:
            yield simulated_observation(station, when, simulation.seed)
        tick += 1
        await anyio.sleep(max(0.0, origin + tick * interval - anyio.current_time()))


def _read_simulation(reader: SpecReader) -> Simulation:
    spec = reader.mapping("simulate")
    assert spec is not None
    nested = SpecReader(spec, {"stations", "interval", "seed", "start"}, kind="feed", prefix="simulate.")
    declared = spec.get("stations")
    if not isinstance(declared, list) or not declared:
        raise nested.error("stations", "liste non vide de stations attendue (identifiants, ou objets {id, name?, "
                                       "lon?, lat?})", "non-empty list of stations expected (ids, or objects "
                                                       "{id, name?, lon?, lat?})")
    if len(declared) > MAX_STATIONS:
        raise nested.error("stations", f"au plus {MAX_STATIONS} stations", f"at most {MAX_STATIONS} stations")
    stations: list[Station] = []
    for index, item in enumerate(declared):
        where = f"stations[{index}]"
        if isinstance(item, str) and item.strip():
            stations.append(Station(item))
            continue
        if not isinstance(item, Mapping):
            raise nested.error(where, "identifiant ou objet {id, name?, lon?, lat?} attendu",
                               "id or object {id, name?, lon?, lat?} expected")
        station = SpecReader(item, {"id", "name", "lon", "lat"}, kind="feed", prefix=f"simulate.{where}.")
        lon, lat = item.get("lon"), item.get("lat")
        if (lon is None) != (lat is None) or lon is not None and not (
                isinstance(lon, int | float) and isinstance(lat, int | float) and not isinstance(lon, bool)
                and not isinstance(lat, bool) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise station.error("lon", "lon et lat vont ensemble : longitude dans [-180, 180], latitude dans [-90, 90]",
                                "lon and lat go together: longitude in [-180, 180], latitude in [-90, 90]")
        stations.append(Station(station.string("id", required=True) or "", station.string("name"),
                                None if lon is None else float(lon), None if lat is None else float(lat)))
    ids = [station.id for station in stations]
    if len(set(ids)) != len(ids):
        raise nested.error("stations", "identifiants de station en double", "duplicate station ids")
    seed = spec.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise nested.error("seed", "doit être un entier", "must be an integer")
    start = None
    if spec.get("start") is not None:
        text = nested.string("start", max_length=64) or ""
        try:
            start = datetime.fromisoformat(text)
        except ValueError:
            start = None
        if start is None or start.tzinfo is None:
            raise nested.error("start", "date et heure ISO 8601 avec fuseau attendues (ex. 2026-01-15T06:00:00Z)",
                               "ISO 8601 date and time with a time zone expected (e.g. 2026-01-15T06:00:00Z)")
    return Simulation(tuple(stations), nested.number("interval", default=1.0, minimum=0.0, maximum=86_400),
                      seed, start)


async def _lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[str]:
    pending = b""
    async for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if len(pending) > MAX_LINE:
            raise DataSourceError("data", "ligne de plus de 1 Mio dans le flux amont",
                                  "line longer than 1 MiB in the upstream feed", 502)
        for line in lines:
            yield line.rstrip(b"\r").decode("utf-8", "replace")
    if pending.strip():
        yield pending.rstrip(b"\r").decode("utf-8", "replace")


@dataclass
class _SseState:
    last_id: str | None = None
    retry: float | None = None


async def _sse_data(chunks: AsyncIterable[bytes], state: _SseState) -> AsyncIterator[str]:
    """The `data` of each Server-Sent Event (WHATWG HTML §9.2); an event cut by the end of the stream is dropped."""
    data: list[str] = []
    event_id: str | None = None
    async for line in _lines(chunks):
        if not line:
            if data:
                if event_id is not None:
                    state.last_id = event_id
                yield "\n".join(data)
            data, event_id = [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "id" and "\x00" not in value:
            event_id = value
        elif name == "retry" and value.isdigit():
            state.retry = int(value) / 1000


async def _ndjson_data(chunks: AsyncIterable[bytes]) -> AsyncIterator[str]:
    async for line in _lines(chunks):
        if line.strip():
            yield line


def _decode(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataSourceError("data", f"observation amont qui n'est pas du JSON ({exc.msg})",
                              f"upstream observation that is not JSON ({exc.msg})", 502) from None
    if not isinstance(value, dict):
        raise DataSourceError("data", "observation amont qui n'est pas un objet JSON",
                              "upstream observation that is not a JSON object", 502)
    return value


class _Connection:
    """The current upstream response of a followed feed, replaced at each reconnection."""

    def __init__(self, upstream: Upstream, url: httpx.URL) -> None:
        self.upstream, self.url = upstream, url
        self._release: Callable[[], Any] | None = None

    async def open(self, headers: Mapping[str, str]) -> httpx.Response:
        await self.close()
        response, self._release = await self.upstream.send(self.url, headers)
        return response

    async def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            await release()


@dataclass
class FeedSource(DataSource):
    """`{"type": "feed", "url": "https://...", "format"?: "ndjson" | "sse", "headers"?, "forward_params"?,
    "timeout"?, "idle_timeout"?, "max_reconnects"?, "reconnect_delay"?}` or
    `{"type": "feed", "simulate": {"stations": [...], "interval"?: 1.0, "seed"?: 0, "start"?: "...Z"}}`."""

    kind = "feed"
    upstream: Upstream | None = None
    format: str | None = None
    max_reconnects: int = 5
    reconnect_delay: float = 1.0
    simulation: Simulation | None = None
    spec: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_dir: Path | None = None, *,
                  client: httpx.AsyncClient | None = None) -> FeedSource:
        reader = SpecReader(spec, {"type", "url", "format", "headers", "forward_params", "timeout", "idle_timeout",
                                   "max_reconnects", "reconnect_delay", "simulate"}, kind=cls.kind)
        if reader.has("simulate"):
            extra = sorted(key for key in spec if key not in ("type", "simulate"))
            if extra:
                raise reader.error(extra[0], "un flux simulé n'a pas d'autre membre que « simulate »",
                                   "a simulated feed has no member other than 'simulate'")
            return cls(simulation=_read_simulation(reader), spec=dict(spec))
        if not reader.has("url"):
            raise reader.error("url", "indiquez l'URL du flux amont, ou « simulate » pour un flux simulé",
                               "give the upstream feed's URL, or 'simulate' for a simulated feed")
        feed_format = reader.string("format", max_length=16)
        if feed_format not in (None, "ndjson", "sse"):
            raise reader.error("format", "« ndjson » ou « sse » attendu", "'ndjson' or 'sse' expected")
        upstream = Upstream(url=read_url(reader), headers=read_headers(reader),
                            forward_params=tuple(reader.string_list("forward_params")),
                            timeout=reader.number("timeout", default=10.0, minimum=0, maximum=600),
                            read_timeout=reader.number("idle_timeout", default=60.0, minimum=0, maximum=86_400),
                            client=client)
        return cls(upstream=upstream, format=feed_format,
                   max_reconnects=reader.integer("max_reconnects", default=5, minimum=0, maximum=1000),
                   reconnect_delay=reader.number("reconnect_delay", default=1.0, minimum=0, maximum=3600, zero=True),
                   spec=dict(spec))

    @property
    def is_feed(self) -> bool:
        return True

    def describe(self, path: str | None = None) -> ResourceInfo:
        no_subresource(path, self.kind)
        return ResourceInfo(media_type=NDJSON)

    async def observations(self, *, params: Params | None = None) -> Stream[dict[str, Any]]:
        """The observations as they come, until `aclose()` (or cancellation). The upstream is connected before
        this returns: an upstream that cannot be reached is an error here, not in the stream."""
        if self.simulation is not None:
            no_params(params, "feed (simulate)")
            return Stream(_simulate(self.simulation), info=self.describe())
        assert self.upstream is not None
        connection = _Connection(self.upstream, self.upstream.target(params))
        response = await connection.open(self._headers(None))
        return Stream(self._follow(connection, response), info=self.describe(), close=connection.close)

    def _headers(self, last_id: str | None) -> dict[str, str]:
        headers = {"Accept": "text/event-stream" if self.format == "sse" else
                   "application/x-ndjson" if self.format == "ndjson" else
                   "application/x-ndjson, text/event-stream;q=0.9"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        return headers

    async def _follow(self, connection: _Connection, response: httpx.Response | None) -> AsyncIterator[dict[str, Any]]:
        state = _SseState()
        failures = 0
        last_error: DataSourceError | None = None
        while True:
            if response is not None:
                sse = self.format == "sse" or (
                    self.format is None and response.headers.get("content-type", "").startswith("text/event-stream"))
                body = iter_body(response, connection.url)
                try:
                    async for text in _sse_data(body, state) if sse else _ndjson_data(body):
                        failures = 0
                        yield _decode(text)
                except DataSourceError as exc:
                    if exc.field != "upstream":
                        raise
                    last_error = exc
                await connection.close()
                response = None
            failures += 1
            if failures > self.max_reconnects:
                raise DataSourceError("upstream", f"le flux amont s'est interrompu et n'a pu être rétabli "
                                                  f"({self.max_reconnects} tentatives)",
                                      f"the upstream feed broke off and could not be resumed "
                                      f"({self.max_reconnects} attempts)", 502,
                                      detail=last_error.en if last_error else None)
            await anyio.sleep(state.retry if state.retry is not None else self.reconnect_delay)
            try:
                response = await connection.open(self._headers(state.last_id))
            except DataSourceError as exc:
                if exc.field != "upstream":
                    raise
                last_error = exc

    async def open(self, path: str | None = None, *, byte_range: tuple[int, int | None] | None = None,
                   params: Params | None = None) -> Stream[bytes]:
        """The observations as NDJSON, one line per observation as it comes (byte ranges are not honoured)."""
        no_subresource(path, self.kind)
        observations = await self.observations(params=params)

        async def lines() -> AsyncIterator[bytes]:
            async for observation in observations:
                yield (json.dumps(observation, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

        return Stream(lines(), info=self.describe(), close=observations.aclose)
