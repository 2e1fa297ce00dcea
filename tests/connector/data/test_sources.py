"""The data plane's data sources on real things: files on disk (a 50 MB one streamed with flat memory), folders
attacked with every way out we know, a loopback HTTP upstream that fails, stalls and redirects, the development
machines' PostgreSQL (a fresh schema per test), simulated and upstream feeds — and every refusal naming its field."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import socket
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import psycopg
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from connector.data.sources import (
    CHUNK_SIZE,
    DataSourceError,
    FeedSource,
    FileSource,
    FolderSource,
    HttpSource,
    PostgresSource,
    Station,
    Stream,
    check_member_path,
    check_select,
    encode_feature_collection,
    iter_features,
    parse_bbox,
    parse_range_header,
    parse_source,
    simulated_observation,
)
from connector.server import BackgroundServer

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MB = 1024 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # psycopg's async connections need asyncio


async def read_all(stream: Stream[bytes]) -> bytes:
    parts = [chunk async for chunk in stream]
    assert stream.closed
    return b"".join(parts)


async def take(stream: Stream[Any], count: int) -> list[Any]:
    got = []
    with anyio.fail_after(10):  # a stream that never delivers fails the test instead of hanging the run
        async for item in stream:
            got.append(item)
            if len(got) == count:
                break
    await stream.aclose()
    return got


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def feature(lon: float, lat: float, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


# --- files -------------------------------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The provider's data directory, and beside it (outside) a secret that must never be served."""
    root = tmp_path / "data"
    (root / "rivers" / "sub").mkdir(parents=True)
    (root / "rivers" / "loire.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "name": "loire",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [feature(-1.55, 47.21, name="Nantes"), feature(0.68, 47.39, name="Tours")]}))
    (root / "rivers" / "sub" / "notes.csv").write_text("a,b\n1,2\n")
    (root / "rivers" / ".env").write_text("TOKEN=s3cret")
    (root / "rivers" / "gauges.geojsonl").write_text(
        json.dumps(feature(-1.5, 47.2, id="A")) + "\n\x1e" + json.dumps(feature(-1.6, 47.3, id="B")) + "\n\n")
    (root / "one-feature.json").write_text(json.dumps(feature(2.35, 48.85, name="Paris")))
    (tmp_path / "secret.txt").write_text("outside the data directory")
    (root / "rivers" / "escape.txt").symlink_to(tmp_path / "secret.txt")
    (root / "rivers" / "out").symlink_to(tmp_path)
    (root / "rivers" / "alias.geojson").symlink_to(root / "rivers" / "loire.geojson")
    return root


@pytest.mark.anyio
async def test_a_50_mb_file_streams_in_chunks_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "dem.tif"
    digest = hashlib.sha256()
    rng = random.Random(7)
    with path.open("wb") as out:
        for _ in range(50):
            block = rng.randbytes(MB)
            digest.update(block)
            out.write(block)
    source = parse_source({"type": "file", "path": "dem.tif"}, base_dir=tmp_path)
    tracemalloc.start()
    try:
        received = hashlib.sha256()
        total = largest = 0
        stream = await source.open()
        async for chunk in stream:
            received.update(chunk)
            total += len(chunk)
            largest = max(largest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 50 * MB and received.hexdigest() == digest.hexdigest()
    assert 64 * 1024 <= largest <= CHUNK_SIZE <= MB
    assert peak < 10 * MB, f"peak {peak / MB:.1f} MB"
    assert stream.closed and stream.length == 50 * MB and stream.content_range is None
    assert stream.info is not None and stream.info.media_type == "image/tiff" and stream.info.size == 50 * MB


def test_describe_a_file(data_dir: Path) -> None:
    source = parse_source({"type": "file", "path": "rivers/loire.geojson"}, base_dir=data_dir)
    assert isinstance(source, FileSource) and source.is_vector and not source.is_feed and not source.has_paths
    info = source.describe()
    path = data_dir / "rivers" / "loire.geojson"
    assert (info.media_type, info.size, info.filename) == ("application/geo+json", path.stat().st_size,
                                                           "loire.geojson")
    assert info.is_vector and info.accept_ranges and info.etag and info.etag.startswith('"')
    assert info.last_modified == datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    headers = info.http_headers()
    assert headers["Content-Type"] == "application/geo+json" and headers["Accept-Ranges"] == "bytes"
    assert 'filename="loire.geojson"' in headers["Content-Disposition"] and "GMT" in headers["Last-Modified"]
    path.write_text(path.read_text() + " ")
    assert source.describe().etag != info.etag  # a changed file gets a new validator
    declared = parse_source({"type": "file", "path": str(data_dir / "rivers" / "sub" / "notes.csv"),
                             "media_type": "text/csv; charset=utf-8"}, base_dir=data_dir)
    assert declared.describe().media_type == "text/csv; charset=utf-8" and not declared.is_vector


@pytest.mark.anyio
@pytest.mark.parametrize(("byte_range", "expected"), [
    ((0, 9), slice(0, 10)), ((5, None), slice(5, None)), ((990, 5000), slice(990, 1000)), ((999, 999), slice(999, 1000)),
])
async def test_byte_ranges_of_a_file(tmp_path: Path, byte_range: tuple[int, int | None], expected: slice) -> None:
    content = bytes(range(256)) * 3 + bytes(232)
    (tmp_path / "f.bin").write_bytes(content)
    source = parse_source({"type": "file", "path": "f.bin"}, base_dir=tmp_path)
    stream = await source.open(byte_range=byte_range)
    body = await read_all(stream)
    assert body == content[expected]
    start = expected.start
    end = (expected.stop or 1000) - 1
    assert stream.content_range == (start, end) and stream.length == len(body)
    assert stream.http_headers()["Content-Range"] == f"bytes {start}-{end}/1000"
    assert stream.http_headers()["Content-Length"] == str(len(body))


@pytest.mark.anyio
@pytest.mark.parametrize("byte_range", [(1000, 1001), (1000, None), (5, 4), (-1, 3), ("0", 3), (1,)])
async def test_unsatisfiable_ranges_are_416(tmp_path: Path, byte_range: Any) -> None:
    (tmp_path / "f.bin").write_bytes(bytes(1000))
    source = parse_source({"type": "file", "path": "f.bin"}, base_dir=tmp_path)
    with pytest.raises(DataSourceError) as caught:
        await source.open(byte_range=byte_range)
    assert (caught.value.field, caught.value.status, caught.value.code) == ("range", 416, "range-not-satisfiable")


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("bytes=0-99", (0, 99)), ("bytes=100-", (100, 999)), ("bytes=-100", (900, 999)),
    ("bytes=-5000", (0, 999)), ("bytes=500-5000", (500, 999)), ("bytes=0-1,5-6", None), ("items=0-1", None),
    ("bytes=abc", None), ("bytes=9-3", None), ("bytes=-", None),
])
def test_range_header(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range_header(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=-0", "bytes=2000-3000"])
def test_range_header_unsatisfiable(header: str) -> None:
    with pytest.raises(DataSourceError) as caught:
        parse_range_header(header, 1000)
    assert caught.value.field == "range" and caught.value.status == 416


@pytest.mark.anyio
async def test_a_file_source_has_no_subresource_and_no_parameter(data_dir: Path) -> None:
    source = parse_source({"type": "file", "path": "rivers/loire.geojson"}, base_dir=data_dir)
    for call in (lambda: source.open("other"), lambda: source.open(params={"typeNames": "x"})):
        with pytest.raises(DataSourceError) as caught:
            await call()
        assert caught.value.field in ("path", "params.typeNames")
    with pytest.raises(DataSourceError) as caught:
        await source.observations()
    assert (caught.value.field, caught.value.code) == ("data_source.type", "not-a-feed")
    csv = parse_source({"type": "file", "path": "rivers/sub/notes.csv"}, base_dir=data_dir)
    with pytest.raises(DataSourceError) as caught:
        await csv.features()
    assert (caught.value.field, caught.value.code) == ("data_source.type", "not-vector")


@pytest.mark.anyio
async def test_a_symlink_retargeted_outside_after_declaration_is_refused(data_dir: Path, tmp_path: Path) -> None:
    link = data_dir / "current.geojson"
    link.symlink_to(data_dir / "rivers" / "loire.geojson")
    source = parse_source({"type": "file", "path": "current.geojson"}, base_dir=data_dir)
    assert (await read_all(await source.open())).startswith(b'{"type": "FeatureCollection"')
    link.unlink()
    link.symlink_to(tmp_path / "secret.txt")
    with pytest.raises(DataSourceError) as caught:
        await source.open()
    assert (caught.value.field, caught.value.code) == ("data_source.path", "path-refused")
    with pytest.raises(DataSourceError):
        source.describe()
    link.unlink()
    with pytest.raises(DataSourceError) as caught:
        await source.open()
    assert caught.value.status == 404 and "secret" not in caught.value.en


# --- folders -----------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_folder_serves_the_files_inside(data_dir: Path) -> None:
    source = parse_source({"type": "folder", "path": "rivers"}, base_dir=data_dir)
    assert isinstance(source, FolderSource) and source.has_paths
    assert source.files() == ["alias.geojson", "gauges.geojsonl", "loire.geojson", "sub/notes.csv"]
    assert await read_all(await source.open("sub/notes.csv")) == b"a,b\n1,2\n"
    assert await read_all(await source.open("./sub//notes.csv", byte_range=(2, 2))) == b"b"
    info = source.describe("sub/notes.csv")
    assert (info.media_type, info.size, info.filename, info.is_vector) == ("text/csv", 8, "notes.csv", False)
    assert source.describe("alias.geojson").is_vector  # a symlink that stays inside is served
    names = [f["properties"]["name"] async for f in await source.features("alias.geojson")]
    assert names == ["Nantes", "Tours"]
    with pytest.raises(DataSourceError) as caught:
        await source.features("sub/notes.csv")
    assert (caught.value.field, caught.value.code) == ("path", "not-vector")


@pytest.mark.anyio
@pytest.mark.parametrize("requested", [
    "../secret.txt", "sub/../../secret.txt", "%2e%2e/secret.txt", "%2E%2E%2Fsecret.txt", "%252e%252e/secret.txt",
    "..%2fsecret.txt", "sub/%2e%2e/%2e%2e/secret.txt", "/etc/passwd", "//etc/passwd", "%2fetc/passwd",
    "escape.txt", "out/secret.txt", "out/data/one-feature.json", ".env", "sub/.hidden", "%2eenv",
    "..\\secret.txt", "sub\\notes.csv", "x\x00y", "C:/Windows/win.ini", "a" * 2000,
])
async def test_a_folder_refuses_every_way_out(data_dir: Path, requested: str) -> None:
    source = parse_source({"type": "folder", "path": "rivers"}, base_dir=data_dir)
    for attempt in (lambda: source.describe(requested), lambda: source.open(requested),
                    lambda: source.features(requested)):
        with pytest.raises(DataSourceError) as caught:
            result = attempt()
            if hasattr(result, "__await__"):
                await result
        assert (caught.value.field, caught.value.status, caught.value.code) == ("path", 400, "path-refused")
        assert str(data_dir) not in caught.value.fr + caught.value.en  # no server path shown to a consumer


def test_absolute_paths_inside_the_folder_are_refused_too(data_dir: Path) -> None:
    source = parse_source({"type": "folder", "path": "rivers"}, base_dir=data_dir)
    with pytest.raises(DataSourceError) as caught:
        source.describe(str(data_dir / "rivers" / "loire.geojson"))
    assert caught.value.code == "path-refused"
    assert check_member_path("sub/./notes.csv") == ["sub", "notes.csv"]


@pytest.mark.anyio
@pytest.mark.parametrize("requested", [None, "", "/", "nope.txt", "sub", "sub/nope/x.csv"])
async def test_a_folder_answers_404_for_what_is_not_a_file(data_dir: Path, requested: str | None) -> None:
    source = parse_source({"type": "folder", "path": "rivers"}, base_dir=data_dir)
    with pytest.raises(DataSourceError) as caught:
        await source.open(requested)
    assert (caught.value.field, caught.value.status) == ("path", 404)


# --- GeoJSON -----------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_features_of_geojson_files(data_dir: Path) -> None:
    collection = parse_source({"type": "file", "path": "rivers/loire.geojson"}, base_dir=data_dir)
    assert [f["properties"]["name"] async for f in await collection.features()] == ["Nantes", "Tours"]
    west_of_paris = (-5.0, 42.0, 0.0, 51.0)
    assert [f["properties"]["name"] async for f in await collection.features(bbox=west_of_paris)] == ["Nantes"]
    single = parse_source({"type": "file", "path": "one-feature.json"}, base_dir=data_dir)
    assert single.is_vector and [f["properties"]["name"] async for f in await single.features()] == ["Paris"]
    sequence = parse_source({"type": "file", "path": "rivers/gauges.geojsonl"}, base_dir=data_dir)
    assert [f["properties"]["id"] async for f in await sequence.features()] == ["A", "B"]


TRICKY = {
    "bbox": [-2.0, 46.5, 1.0, 48.0], "type": "FeatureCollection", "name": "tricky \"quotes\" \\ and { braces [",
    "features": [
        {"type": "Feature", "id": 1, "geometry": None, "properties": {"é": "café ☕ 🌊", "n": -1.25e-7, "t": True,
                                                                        "z": None, "s": "]},{\"type\""}},
        {"type": "Feature", "id": "b", "geometry": {"type": "LineString", "coordinates": [[0.1, 47], [12345, -6e3]]},
         "properties": {"deep": {"a": [[[1, 2], [3]], {"b": []}]}, "n": 1234567890123}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"last": 1000}},
    ],
    "after": {"members": ["after", "the", "features"]},
}


@pytest.mark.anyio
@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 100_000])
async def test_the_streaming_parser_reads_any_chunking(indent: int | None, chunk_size: int) -> None:
    document = json.dumps(TRICKY, ensure_ascii=indent is None, indent=indent).encode()
    got = [f async for f in iter_features(chunked(b"\xef\xbb\xbf" + document, chunk_size))]
    assert got == TRICKY["features"]


@pytest.mark.anyio
@pytest.mark.parametrize("document", [
    b"not json", b"[]", b'{"type": "FeatureCollection", "features": [1]}', b'{"type": "Topology", "features": []}',
    b'{"type": "FeatureCollection", "features": [{"type": "Feature"}', b'{"type": "Point", "coordinates": [1, 2]}',
    b'{"type": "FeatureCollection", "features": []} trailing', b'{"features": [{"type": "Feature"} {"type": 1}]}',
    b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},'
    b' "features": []}', b'{"type": "FeatureCollection", "features": [{"type": "Feature", "x": "\xff"}]}',
    b'{"type": "FeatureCollection", "features": [{"type": "Feature", "x": tru}]}',
])
async def test_invalid_geojson_is_an_error_on_data(document: bytes) -> None:
    with pytest.raises(DataSourceError) as caught:
        async for _ in iter_features(chunked(document, 5), status=502):
            pass
    assert (caught.value.field, caught.value.status) == ("data", 502)


@pytest.mark.anyio
async def test_a_lambert_93_file_is_refused_rather_than_clipped_wrongly(tmp_path: Path) -> None:
    (tmp_path / "l93.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
        "features": [feature(355000, 6689000)]}))
    source = parse_source({"type": "file", "path": "l93.geojson"}, base_dir=tmp_path)
    stream = await source.features()
    with pytest.raises(DataSourceError) as caught:
        await take(stream, 1)
    assert caught.value.field == "data" and "EPSG::2154" in caught.value.en and stream.closed


@pytest.mark.anyio
async def test_a_large_feature_collection_is_read_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "buildings.geojson"
    count = 20_000
    with path.open("w") as out:
        out.write('{"type": "FeatureCollection", "name": "buildings", "features": [\n')
        for i in range(count):
            ring = [[-1.6 + i * 1e-6 + k * 1e-5, 47.2 + k * 1e-5] for k in range(12)] + [[-1.6 + i * 1e-6, 47.2]]
            out.write(("," if i else "") + json.dumps({"type": "Feature", "id": i, "properties": {
                "height": i % 40, "usage": "résidentiel"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}) + "\n")
        out.write("]}\n")
    assert path.stat().st_size > 10 * MB
    source = parse_source({"type": "file", "path": "buildings.geojson"}, base_dir=tmp_path)
    tracemalloc.start()
    try:
        seen = 0
        async for item in await source.features():
            assert item["id"] == seen
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count and peak < 10 * MB, f"peak {peak / MB:.1f} MB"


@pytest.mark.anyio
async def test_features_are_written_back_as_a_feature_collection() -> None:
    async def many() -> AsyncIterator[dict[str, Any]]:
        for i in range(3000):
            yield feature(i / 1000, 45.0, i=i, label="é" * 10)

    chunks = [chunk async for chunk in encode_feature_collection(many())]
    assert len(chunks) > 3 and all(len(chunk) < 128 * 1024 for chunk in chunks)
    document = json.loads(b"".join(chunks))
    assert document["type"] == "FeatureCollection" and len(document["features"]) == 3000
    empty = [chunk async for chunk in encode_feature_collection(_nothing())]
    assert json.loads(b"".join(empty)) == {"type": "FeatureCollection", "features": []}


async def _nothing() -> AsyncIterator[dict[str, Any]]:
    for item in ():
        yield item


@pytest.mark.parametrize("value", ["1,2,3", "a,b,c,d", "10,0,5,1", "-200,0,0,1", [1, 2, 3, float("nan")], 5])
def test_bad_bboxes_are_refused(value: Any) -> None:
    with pytest.raises(DataSourceError) as caught:
        parse_bbox(value)
    assert caught.value.field == "bbox"


def test_bboxes() -> None:
    assert parse_bbox("-1.7,47.1,-1.4,47.3") == (-1.7, 47.1, -1.4, 47.3)
    assert parse_bbox([0, 0, 1, 1]) == (0.0, 0.0, 1.0, 1.0)


# --- an HTTP upstream on loopback ----------------------------------------------------------------------------------


def upstream_app(files: Path, state: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/big")
    async def big() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for i in range(40):
                yield bytes([i]) * 128 * 1024
        return StreamingResponse(body(), media_type="application/octet-stream")

    @app.get("/files/{name}")
    async def file(name: str) -> FileResponse:
        return FileResponse(files / name)

    @app.get("/echo")
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"query": list(request.query_params.multi_items()),
                             "headers": {k: v for k, v in request.headers.items() if k in ("x-api-key", "authorization")}})

    @app.get("/wfs")
    async def wfs(request: Request) -> Response:
        count = int(request.query_params.get("count", "3"))
        body = {"type": "FeatureCollection", "features": [feature(-1.5 + i, 47.0, n=i) for i in range(count)]}
        return Response(json.dumps(body), media_type="application/geo+json")

    @app.get("/boom")
    async def boom() -> PlainTextResponse:
        return PlainTextResponse("Traceback: password=hunter2 at db.internal", status_code=500)

    @app.get("/slow")
    async def slow() -> PlainTextResponse:
        await asyncio.sleep(1.5)
        return PlainTextResponse("late")

    @app.get("/stall")
    async def stall() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"first part"
            await asyncio.sleep(1.5)
            yield b"never read"
        return StreamingResponse(body(), media_type="text/plain")

    @app.get("/moved")
    async def moved() -> RedirectResponse:
        return RedirectResponse("/echo?from=redirect", status_code=302)

    @app.get("/feed.ndjson")
    async def ndjson() -> StreamingResponse:
        state["ndjson_connections"] += 1
        connection = state["ndjson_connections"]

        async def body() -> AsyncIterator[bytes]:
            for i in range(3):
                yield (json.dumps({"station": "M530001010", "connection": connection, "i": i}) + "\n").encode()
        return StreamingResponse(body(), media_type="application/x-ndjson")

    @app.get("/feed.sse")
    async def sse(request: Request) -> StreamingResponse:
        last = request.headers.get("last-event-id")
        state["sse_last_ids"].append(last)
        first = int(last or 0) + 1

        async def body() -> AsyncIterator[bytes]:
            yield b"retry: 10\n: a comment\n\n"
            for seq in range(first, first + 3):
                payload = json.dumps({"seq": seq, "station": "M800001010"})
                yield f"event: observation\nid: {seq}\ndata: {payload}\n\n".encode()
            yield b"id: 999\ndata: {\"cut\": true}\n"  # no blank line: an incomplete event, dropped
        return StreamingResponse(body(), media_type="text/event-stream")

    @app.get("/feed.once")
    async def once() -> Response:
        state["once"] += 1
        if state["once"] > 1:
            return PlainTextResponse("gone", status_code=503)
        return Response(b'{"n": 1}\n{"n": 2}\n', media_type="application/x-ndjson")

    @app.get("/feed.bad")
    async def bad_feed() -> Response:
        return Response(b'{"ok": 1}\n[1, 2]\n', media_type="application/x-ndjson")

    return app


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    files = tmp_path_factory.mktemp("upstream")
    (files / "f.bin").write_bytes(bytes(range(256)) * 4)
    state: dict[str, Any] = {"ndjson_connections": 0, "sse_last_ids": [], "once": 0}
    with BackgroundServer(upstream_app(files, state)) as server:
        yield server.base_url, state


def http(url: str, **members: Any) -> HttpSource:
    source = parse_source({"type": "http", "url": url, **members}, base_dir=Path("."))
    assert isinstance(source, HttpSource)
    return source


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.anyio
async def test_an_upstream_body_is_streamed(upstream: tuple[str, dict[str, Any]]) -> None:
    base, _ = upstream
    source = http(base + "/big")
    assert source.describe().media_type == "application/octet-stream" and not source.is_vector
    stream = await source.open()
    chunks = [chunk async for chunk in stream]
    body = b"".join(chunks)
    assert len(body) == 40 * 128 * 1024 and body[-1] == 39 and len(chunks) > 1 and stream.closed
    assert stream.info is not None and stream.info.media_type == "application/octet-stream"


@pytest.mark.anyio
async def test_only_listed_parameters_reach_the_upstream(upstream: tuple[str, dict[str, Any]]) -> None:
    base, _ = upstream
    source = http(base + "/echo?service=WFS&typeNames=ns:rivers", forward_params=["typeNames", "bbox"])
    echoed = json.loads(await read_all(await source.open(params={"TYPENAMES": "ns:dikes", "bbox": ["1,2,3,4"]})))
    assert echoed["query"] == [["service", "WFS"], ["TYPENAMES", "ns:dikes"], ["bbox", "1,2,3,4"]]
    echoed = json.loads(await read_all(await source.open()))
    assert echoed["query"] == [["service", "WFS"], ["typeNames", "ns:rivers"]]
    with pytest.raises(DataSourceError) as caught:
        await source.open(params={"service": "WMS"})
    assert (caught.value.field, caught.value.status, caught.value.code) == ("params.service", 400,
                                                                            "parameter-refused")
    assert "typeNames, bbox" in caught.value.en
    with pytest.raises(DataSourceError) as caught:
        await http(base + "/echo").open(params={"x": "1"})
    assert caught.value.field == "params.x" and "aucun" in caught.value.fr


@pytest.mark.anyio
async def test_declared_headers_and_secrets_from_the_environment(upstream: tuple[str, dict[str, Any]],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = upstream
    source = http(base + "/echo", headers={"X-Api-Key": "k-123", "Authorization": {"env": "JNT_TEST_UPSTREAM"}})
    monkeypatch.setenv("JNT_TEST_UPSTREAM", "Bearer from-env")
    echoed = json.loads(await read_all(await source.open()))
    assert echoed["headers"] == {"x-api-key": "k-123", "authorization": "Bearer from-env"}
    monkeypatch.delenv("JNT_TEST_UPSTREAM")
    with pytest.raises(DataSourceError) as caught:
        await source.open()
    assert (caught.value.field, caught.value.status) == ("data_source.headers.Authorization", 500)
    assert "JNT_TEST_UPSTREAM" in caught.value.en


@pytest.mark.anyio
async def test_an_upstream_error_is_a_502_that_does_not_leak(upstream: tuple[str, dict[str, Any]]) -> None:
    base, _ = upstream
    with pytest.raises(DataSourceError) as caught:
        await http(base + "/boom?apikey=zzz").open()
    error = caught.value
    assert (error.field, error.status, error.code, error.upstream_status) == ("upstream", 502, "bad-gateway", 500)
    assert "500" in error.fr and "500" in error.en and "/boom" in error.en
    assert "hunter2" not in error.fr + error.en and "zzz" not in error.fr + error.en
    assert "hunter2" in (error.detail or "")  # for the provider's log
    assert error.as_dict() == {"error": "bad-gateway", "field": "upstream", "fr": error.fr, "en": error.en}
    assert error.message("en").startswith("upstream: ") and error.message("fr").startswith("upstream : ")


@pytest.mark.anyio
async def test_an_upstream_that_does_not_answer_in_time_is_a_504(upstream: tuple[str, dict[str, Any]]) -> None:
    base, _ = upstream
    started = time.monotonic()
    with pytest.raises(DataSourceError) as caught:
        await http(base + "/slow", timeout=0.3).open()
    assert (caught.value.field, caught.value.status) == ("upstream", 504)
    assert time.monotonic() - started < 1.2


@pytest.mark.anyio
async def test_an_upstream_that_stalls_mid_body_ends_the_stream_with_a_504(upstream: tuple[str, dict[str, Any]]) -> None:
    base, _ = upstream
    stream = await http(base + "/stall", timeout=0.3).open()
    assert await stream.__anext__() == b"first part"
    with pytest.raises(DataSourceError) as caught:
        await stream.__anext__()
    assert (caught.value.field, caught.value.status) == ("upstream", 504) and stream.closed


@pytest.mark.anyio
async def test_an_unreachable_upstream_is_a_502() -> None:
    with pytest.raises(DataSourceError) as caught:
        await http(f"http://127.0.0.1:{closed_port()}/wfs", timeout=2).open()
    assert (caught.value.field, caught.value.status) == ("upstream", 502) and "cannot connect" in caught.value.en


@pytest.mark.anyio
async def test_ranges_redirects_and_a_shared_client(upstream: tuple[str, dict[str, Any]]) -> None:
    base, _ = upstream
    stream = await http(base + "/files/f.bin").open(byte_range=(10, 19))
    assert await read_all(stream) == bytes(range(10, 20))
    assert stream.content_range == (10, 19) and stream.info is not None and stream.info.size == 1024
    with pytest.raises(DataSourceError) as caught:
        await http(base + "/files/f.bin").open(byte_range=(5000, None))
    assert (caught.value.field, caught.value.status) == ("range", 416)
    async with httpx.AsyncClient() as client:
        source = parse_source({"type": "http", "url": base + "/moved"}, base_dir=Path("."), http_client=client)
        for _ in range(2):
            echoed = json.loads(await read_all(await source.open()))
            assert echoed["query"] == [["from", "redirect"]]
        assert not client.is_closed


@pytest.mark.anyio
async def test_features_of_an_upstream_declared_as_geojson(upstream: tuple[str, dict[str, Any]]) -> None:
    base, _ = upstream
    source = http(base + "/wfs", media_type="application/geo+json", forward_params=["count"])
    assert source.is_vector and source.describe().is_vector
    assert [f["properties"]["n"] async for f in await source.features(params={"count": "5"})] == [0, 1, 2, 3, 4]
    near_nantes = (-2.0, 46.0, -1.0, 48.0)
    assert [f["properties"]["n"] async for f in await source.features(bbox=near_nantes)] == [0]
    with pytest.raises(DataSourceError) as caught:
        await http(base + "/big").features()
    assert caught.value.code == "not-vector"
    with pytest.raises(DataSourceError) as caught:
        async for _ in await http(base + "/big", media_type="application/geo+json").features():
            pass
    assert (caught.value.field, caught.value.status) == ("data", 502)


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema in the shared `test` database, with gauges (GeoJSON in jsonb) and zones (WKT in text)."""
    schema = f"jnt_data_{uuid.uuid4().hex[:12]}"
    try:
        connection = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True,
                                     connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)")
    with connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            connection.execute(f'''
                CREATE TABLE "{schema}".gauges (id integer PRIMARY KEY, name text, level numeric(6, 3),
                    observed timestamptz, tags text[], geom jsonb);
                CREATE TABLE "{schema}".zones (code text, geom text);
                CREATE SEQUENCE "{schema}".seq;
                INSERT INTO "{schema}".gauges VALUES
                    (1, 'Nantes', 2.345, '2026-01-15T06:00:00Z', ARRAY['loire'],
                     '{{"type": "Point", "coordinates": [-1.553, 47.218]}}'),
                    (2, 'Tours', 1.5, '2026-01-15T06:00:00Z', ARRAY['loire', 'cher'],
                     '{{"type": "Point", "coordinates": [0.688, 47.394]}}'),
                    (3, 'Sans lieu', NULL, NULL, NULL, NULL);
                INSERT INTO "{schema}".zones VALUES
                    ('PPRI-1', 'POLYGON((-1.6 47.2, -1.5 47.2, -1.5 47.3, -1.6 47.2))'),
                    ('PPRI-2', '{{"type": "Point", "coordinates": [3, 45]}}'),
                    ('PPRI-3', '0101000000000000000000F03F0000000000000040');
                INSERT INTO "{schema}".gauges
                    SELECT n, 'g' || n, n / 1000.0, NULL, NULL,
                           json_build_object('type', 'Point', 'coordinates', json_build_array(-1.0, 47.0))
                    FROM generate_series(10, 2509) AS n;
            ''')
            yield schema
        finally:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def pg(**members: Any) -> PostgresSource:
    source = parse_source({"type": "postgresql", "url": POSTGRES, **members}, base_dir=Path("."))
    assert isinstance(source, PostgresSource)
    return source


@pytest.mark.anyio
async def test_a_postgresql_query_gives_geojson_features(pg_schema: str) -> None:
    source = pg(query=f'SELECT id, name, level, observed, tags, geom FROM "{pg_schema}".gauges WHERE id < 10 '
                      "ORDER BY id -- the three named gauges;", geometry_column="geom", id_column="id")
    assert source.is_vector and source.describe().media_type == "application/geo+json"
    got = [f async for f in await source.features()]
    assert got[0] == {"type": "Feature", "id": 1, "geometry": {"type": "Point", "coordinates": [-1.553, 47.218]},
                      "properties": {"name": "Nantes", "level": 2.345, "observed": "2026-01-15T06:00:00+00:00",
                                     "tags": ["loire"]}}
    assert [f["id"] for f in got] == [1, 2, 3] and got[2]["geometry"] is None
    near_tours = (0.0, 47.0, 1.0, 48.0)
    assert [f["id"] async for f in await source.features(bbox=near_tours)] == [2]
    document = json.loads(await read_all(await source.open()))
    assert document["type"] == "FeatureCollection" and [f["id"] for f in document["features"]] == [1, 2, 3]


@pytest.mark.anyio
async def test_a_postgresql_table_with_wkt_and_wkb_geometries(pg_schema: str) -> None:
    source = parse_source({"type": "postgresql", "table": "zones",
                           "url": f"{POSTGRES}?options=-csearch_path%3D{pg_schema}"}, base_dir=Path("."))
    assert source.describe().filename == "zones.geojson"
    got = {f["properties"]["code"]: f["geometry"] async for f in await source.features()}
    assert got["PPRI-1"]["type"] == "Polygon" and got["PPRI-1"]["coordinates"][0][0] == [-1.6, 47.2]
    assert got["PPRI-2"] == {"type": "Point", "coordinates": [3, 45]}
    assert got["PPRI-3"] == {"type": "Point", "coordinates": [1.0, 2.0]}


@pytest.mark.anyio
async def test_many_rows_are_read_through_a_cursor(pg_schema: str) -> None:
    source = pg(table=f"{pg_schema}.gauges")
    stream = await source.features()
    seen = 0
    async for _ in stream:
        seen += 1
    assert seen == 2503 and stream.closed
    stream = await source.features()
    assert len(await take(stream, 5)) == 5 and stream.closed  # stopping early releases the connection


@pytest.mark.anyio
@pytest.mark.parametrize(("members", "field", "status", "words"), [
    ({"query": "SELECT nope, geom FROM {s}.gauges"}, "data_source.query", 502, "nope"),
    ({"table": "{s}.missing"}, "data_source.table", 502, "missing"),
    ({"query": "SELECT id FROM {s}.gauges"}, "data_source.geometry_column", 502, "columns: id"),
    ({"table": "{s}.gauges", "id_column": "code"}, "data_source.id_column", 502, "code"),
    ({"query": "SELECT nextval('{s}.seq') AS n, geom FROM {s}.gauges"}, "data_source.query", 502, "read-only"),
    ({"query": "SELECT pg_sleep(3) AS p, geom FROM {s}.gauges", "timeout": 0.3}, "data_source.query", 504, "0.3 s"),
    ({"table": "{s}.zones", "geometry_column": "code"}, "data_source.geometry_column", 502, "row 1"),
])
async def test_postgresql_read_errors_name_their_field(pg_schema: str, members: dict[str, Any], field: str,
                                                       status: int, words: str) -> None:
    source = pg(**{key: value.replace("{s}", pg_schema) if isinstance(value, str) else value
                   for key, value in members.items()})
    with pytest.raises(DataSourceError) as caught:
        async for _ in await source.features():
            pass
    assert (caught.value.field, caught.value.status) == (field, status)
    assert words in caught.value.en


@pytest.mark.anyio
async def test_an_unreachable_database_is_a_502() -> None:
    source = parse_source({"type": "postgresql", "url": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/x",
                           "table": "t"}, base_dir=Path("."))
    with pytest.raises(DataSourceError) as caught:
        await source.features()
    assert (caught.value.field, caught.value.status) == ("data_source.url", 502)


@pytest.mark.anyio
async def test_postgis_geometries_when_postgis_is_installed(pg_schema: str) -> None:
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as connection:
        available = connection.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
        if not available:
            pytest.skip("PostGIS is not installed on this PostgreSQL: the GeoJSON-column path is tested instead")
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        connection.execute(f'''CREATE TABLE "{pg_schema}".communes (insee text, geom geometry(Point, 2154));
            INSERT INTO "{pg_schema}".communes VALUES ('44109', ST_SetSRID(ST_MakePoint(355000, 6689000), 2154)),
                                                       ('75056', ST_SetSRID(ST_MakePoint(652000, 6862000), 2154))''')
    source = pg(table=f"{pg_schema}.communes")
    got = [f async for f in await source.features()]
    lon, lat = got[0]["geometry"]["coordinates"]
    assert got[0]["properties"] == {"insee": "44109"} and -1.7 < lon < -1.4 and 47.1 < lat < 47.3
    assert [f["properties"]["insee"] async for f in await source.features(bbox=(-2, 47, -1, 48))] == ["44109"]


@pytest.mark.anyio
async def test_the_postgis_sql_against_a_stand_in_for_postgis(pg_schema: str) -> None:
    """Where PostGIS is missing, a `geometry` type and the five functions the source calls, written in SQL, check
    the SQL the source writes for PostGIS: GeoJSON from the database, each SRID branch, the bbox pushed down."""
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as connection:
        connection.execute(f'SET search_path = "{pg_schema}"')
        connection.execute("""
            CREATE TYPE geometry AS (geojson jsonb, srid integer, wgs84 jsonb);
            CREATE FUNCTION st_srid(g geometry) RETURNS integer LANGUAGE sql AS 'SELECT (g).srid';
            CREATE FUNCTION st_setsrid(g geometry, s integer) RETURNS geometry LANGUAGE sql
                AS 'SELECT ROW((g).geojson, s, (g).geojson)::geometry';
            CREATE FUNCTION st_transform(g geometry, s integer) RETURNS geometry LANGUAGE sql
                AS 'SELECT ROW((g).wgs84, s, (g).wgs84)::geometry';
            CREATE FUNCTION st_asgeojson(g geometry) RETURNS text LANGUAGE sql AS 'SELECT ((g).geojson)::text';
            CREATE FUNCTION st_makeenvelope(a float8, b float8, c float8, d float8, s integer) RETURNS geometry
                LANGUAGE sql AS 'SELECT ROW(jsonb_build_array(a, b, c, d), s, NULL)::geometry';
            CREATE FUNCTION st_intersects(g geometry, e geometry) RETURNS boolean LANGUAGE sql AS $$
                SELECT ((g).geojson->'coordinates'->>0)::float8 BETWEEN ((e).geojson->>0)::float8
                                                                     AND ((e).geojson->>2)::float8
                   AND ((g).geojson->'coordinates'->>1)::float8 BETWEEN ((e).geojson->>1)::float8
                                                                     AND ((e).geojson->>3)::float8 $$;
            CREATE TABLE communes (insee text, geom geometry);
            INSERT INTO communes VALUES
                ('44109', ROW('{"type": "Point", "coordinates": [-1.55, 47.22]}', 4326, NULL)),
                ('37261', ROW('{"type": "Point", "coordinates": [0.69, 47.39]}', 0, NULL)),
                ('75056', ROW('{"type": "Point", "coordinates": [652000, 6862000]}', 2154,
                              '{"type": "Point", "coordinates": [2.35, 48.85]}'));
        """)
    source = parse_source({"type": "postgresql", "url": f"{POSTGRES}?options=-csearch_path%3D{pg_schema}",
                           "table": "communes"}, base_dir=Path("."))
    got = {f["properties"]["insee"]: f async for f in await source.features()}
    assert got["44109"] == {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.55, 47.22]},
                            "properties": {"insee": "44109"}}  # neither the column nor the GeoJSON one leak
    assert got["37261"]["geometry"]["coordinates"] == [0.69, 47.39]  # SRID 0: taken as WGS 84
    assert got["75056"]["geometry"]["coordinates"] == [2.35, 48.85]  # Lambert-93: reprojected by the database
    loire = (-2.0, 47.0, 1.0, 48.0)
    assert sorted([f["properties"]["insee"] async for f in await source.features(bbox=loire)]) == ["37261", "44109"]


@pytest.mark.parametrize("sql", [
    "SELECT * FROM t", "  select id, geom from t;  ", "WITH x AS (SELECT 1 AS a) SELECT * FROM x",
    "(SELECT 1) UNION (SELECT 2)", "SELECT 'a;b; DELETE' AS s, \"update\" FROM t -- ; DROP TABLE t",
    "SELECT $$;INSERT$$ AS s, $tag$ ' $tag$ AS q /* nested /* ; */ INTO */ FROM t",
    "SELECT E'it\\'s; INTO' AS s FROM t", "SELECT * FROM inserted_rows", "SELECT updated_at FROM t",
])
def test_single_selects_are_accepted(sql: str) -> None:
    checked = check_select(sql)
    assert sql.strip().startswith(checked) and not checked.endswith(";")
    assert "--" not in checked  # a trailing comment would swallow what the source wraps around the query


@pytest.mark.parametrize(("sql", "words"), [
    ("DELETE FROM t", "starts with DELETE"), ("SELECT 1; DROP TABLE t", "several statements"),
    ("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "DELETE clause"),
    ("SELECT * INTO t2 FROM t", "INTO clause"), ("SELECT * FROM t FOR UPDATE", "row lock FOR UPDATE"),
    ("SELECT * FROM t for  no key  update", "FOR NO KEY UPDATE"), ("SELECT 'open", "unterminated quoted"),
    ("SELECT /* open", "unterminated /*"), ("SELECT $x$ open", "unterminated $x$"),
    ("", "starts with (vide)"), ("UPDATE t SET a = 1", "starts with UPDATE"), ("VACUUM", "starts with VACUUM"),
    ("SELECT 1;;", "several statements"), ("COPY t TO '/tmp/x'", "starts with COPY"),
])
def test_anything_but_a_single_select_is_refused(sql: str, words: str) -> None:
    with pytest.raises(DataSourceError) as caught:
        check_select(sql)
    assert caught.value.field == "data_source.query" and words in caught.value.en
    assert "only a single SELECT" in caught.value.en


# --- feeds ---------------------------------------------------------------------------------------------------------


GAUGES = [{"id": "M530001010", "name": "La Loire à Nantes", "lon": -1.553, "lat": 47.218}, "M800001010", "L420001"]


def simulated(**members: Any) -> FeedSource:
    source = parse_source({"type": "feed", "simulate": {"stations": GAUGES, "interval": 0.01, "seed": 44,
                                                        "start": "2026-01-15T06:00:00Z", **members}},
                          base_dir=Path("."))
    assert isinstance(source, FeedSource) and source.is_feed and not source.is_vector
    return source


@pytest.mark.anyio
async def test_a_simulated_feed_is_deterministic() -> None:
    first = await take(await simulated().observations(), 12)
    again = await take(await simulated().observations(), 12)
    assert first == again
    assert [o["station"] for o in first[:3]] == ["M530001010", "M800001010", "L420001"]
    assert first[0]["name"] == "La Loire à Nantes" and (first[0]["lon"], first[0]["lat"]) == (-1.553, 47.218)
    assert "lon" not in first[1]
    assert [o["time"] for o in first[::3]] == ["2026-01-15T06:00:00Z", "2026-01-15T06:00:00.010Z",
                                              "2026-01-15T06:00:00.020Z", "2026-01-15T06:00:00.030Z"]
    for observation in first:
        assert 0 <= observation["water_level_m"] < 5 and observation["flow_m3_s"] >= 0
        assert set(observation) >= {"station", "time", "water_level_m", "flow_m3_s"}
    other_seed = await take(await simulated(seed=45).observations(), 12)
    assert [o["water_level_m"] for o in other_seed] != [o["water_level_m"] for o in first]
    when = datetime(2026, 1, 15, 6, tzinfo=UTC) + timedelta(seconds=0.01)
    assert simulated_observation(Station("M800001010"), when, 44) == first[4]


@pytest.mark.anyio
async def test_a_simulated_feed_keeps_its_pace_until_cancelled() -> None:
    source = simulated(interval=0.05)
    stream = await source.observations()
    got: list[dict[str, Any]] = []
    with anyio.move_on_after(0.27):
        async for observation in stream:
            got.append(observation)
    assert stream.closed
    assert 12 <= len(got) <= 21, len(got)  # 6 ticks of 3 stations, give or take a tick
    lines = await take(await source.open(), 4)
    assert [json.loads(line) for line in lines] == got[:4] and all(line.endswith(b"\n") for line in lines)
    assert source.describe().media_type == "application/x-ndjson"
    now = await take(await parse_source({"type": "feed", "simulate": {"stations": ["A"]}},
                                        base_dir=Path(".")).observations(), 1)
    stamp = datetime.fromisoformat(now[0]["time"])
    assert abs((stamp - datetime.now(UTC)).total_seconds()) < 2 and stamp.microsecond == 0


@pytest.mark.anyio
async def test_an_ndjson_upstream_feed_is_followed_across_reconnections(upstream: tuple[str, dict[str, Any]]) -> None:
    base, state = upstream
    before = state["ndjson_connections"]
    source = parse_source({"type": "feed", "url": base + "/feed.ndjson", "reconnect_delay": 0.01},
                          base_dir=Path("."))
    got = await take(await source.observations(), 7)
    assert [(o["connection"] - before, o["i"]) for o in got] == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2),
                                                                 (3, 0)]


@pytest.mark.anyio
async def test_an_sse_upstream_feed_resumes_after_the_last_event(upstream: tuple[str, dict[str, Any]]) -> None:
    base, state = upstream
    state["sse_last_ids"].clear()
    source = parse_source({"type": "feed", "url": base + "/feed.sse", "format": "sse"}, base_dir=Path("."))
    started = time.monotonic()
    got = await take(await source.observations(), 7)
    assert [o["seq"] for o in got] == [1, 2, 3, 4, 5, 6, 7]
    assert state["sse_last_ids"] == [None, "3", "6"]
    assert time.monotonic() - started < 0.9  # the upstream's `retry: 10` ms, not the default second


@pytest.mark.anyio
async def test_an_upstream_feed_gives_up_after_its_reconnections(upstream: tuple[str, dict[str, Any]]) -> None:
    base, state = upstream
    with pytest.raises(DataSourceError) as caught:
        await parse_source({"type": "feed", "url": base + "/boom"}, base_dir=Path(".")).observations()
    assert (caught.value.field, caught.value.status) == ("upstream", 502)
    source = parse_source({"type": "feed", "url": base + "/feed.once", "max_reconnects": 2,
                           "reconnect_delay": 0}, base_dir=Path("."))
    got = []
    with anyio.fail_after(5), pytest.raises(DataSourceError) as caught:
        async for observation in await source.observations():
            got.append(observation)
    assert got == [{"n": 1}, {"n": 2}] and state["once"] == 3  # the first connection, then two attempts
    assert caught.value.field == "upstream" and "2 attempts" in caught.value.en and "503" in (caught.value.detail or "")
    with pytest.raises(DataSourceError) as caught:
        async for _ in await parse_source({"type": "feed", "url": base + "/feed.bad"}, base_dir=Path(".")).observations():
            pass
    assert (caught.value.field, caught.value.status) == ("data", 502)


# --- every declaration refusal names its field ---------------------------------------------------------------------


def refusal(spec: Any, base_dir: Path) -> DataSourceError:
    with pytest.raises(DataSourceError) as caught:
        parse_source(spec, base_dir=base_dir)
    assert caught.value.status == 400 and caught.value.code == "invalid-data-source"
    assert caught.value.fr and caught.value.en and caught.value.fr != caught.value.en
    return caught.value


@pytest.mark.parametrize(("spec", "field"), [
    ("file:data.csv", "data_source"), ([], "data_source"), ({}, "data_source.type"),
    ({"type": "ftp", "path": "x"}, "data_source.type"), ({"type": None}, "data_source.type"),
    # files and folders
    ({"type": "file"}, "data_source.path"), ({"type": "file", "path": ""}, "data_source.path"),
    ({"type": "file", "path": 3}, "data_source.path"), ({"type": "file", "path": "a\x00b"}, "data_source.path"),
    ({"type": "file", "path": "../secret.txt"}, "data_source.path"),
    ({"type": "file", "path": "{tmp}/secret.txt"}, "data_source.path"),
    ({"type": "file", "path": "rivers/escape.txt"}, "data_source.path"),
    ({"type": "file", "path": "rivers/out/secret.txt"}, "data_source.path"),
    ({"type": "file", "path": "rivers/nope.geojson"}, "data_source.path"),
    ({"type": "file", "path": "rivers"}, "data_source.path"),
    ({"type": "file", "path": "one-feature.json", "pth": "x"}, "data_source.pth"),
    ({"type": "file", "path": "one-feature.json", "media_type": "geojson"}, "data_source.media_type"),
    ({"type": "folder", "path": "one-feature.json"}, "data_source.path"),
    ({"type": "folder", "path": "rivers/out"}, "data_source.path"), ({"type": "folder"}, "data_source.path"),
    ({"type": "folder", "path": "..", "media_type": "text/csv"}, "data_source.media_type"),
    # HTTP
    ({"type": "http"}, "data_source.url"), ({"type": "http", "url": "ftp://example.org/x"}, "data_source.url"),
    ({"type": "http", "url": "file:///etc/passwd"}, "data_source.url"),
    ({"type": "http", "url": "example.org/wfs"}, "data_source.url"), ({"type": "http", "url": "https://"},
                                                                      "data_source.url"),
    ({"type": "http", "url": "https://example.org", "headers": ["a"]}, "data_source.headers"),
    ({"type": "http", "url": "https://example.org", "headers": {"Bad Name": "x"}}, "data_source.headers.Bad Name"),
    ({"type": "http", "url": "https://example.org", "headers": {"Host": "x"}}, "data_source.headers.Host"),
    ({"type": "http", "url": "https://example.org", "headers": {"X-A": "a\r\nb"}}, "data_source.headers.X-A"),
    ({"type": "http", "url": "https://example.org", "headers": {"X-A": {"env": "1X"}}}, "data_source.headers.X-A"),
    ({"type": "http", "url": "https://example.org", "headers": {"X-A": 1}}, "data_source.headers.X-A"),
    ({"type": "http", "url": "https://example.org", "forward_params": "bbox"}, "data_source.forward_params"),
    ({"type": "http", "url": "https://example.org", "timeout": 0}, "data_source.timeout"),
    ({"type": "http", "url": "https://example.org", "timeout": "5"}, "data_source.timeout"),
    ({"type": "http", "url": "https://example.org", "query": "x"}, "data_source.query"),
    # PostgreSQL
    ({"type": "postgresql", "table": "t"}, "data_source.url"),
    ({"type": "postgresql", "url": "mysql://u@h/db", "table": "t"}, "data_source.url"),
    ({"type": "postgresql", "url": "sqlite:///x.db", "table": "t"}, "data_source.url"),
    ({"type": "postgresql", "url": "not a url", "table": "t"}, "data_source.url"),
    ({"type": "postgresql", "url": "postgresql+psycopg://u@h", "table": "t"}, "data_source.url"),
    ({"type": "postgresql", "url": POSTGRES}, "data_source.query"),
    ({"type": "postgresql", "url": POSTGRES, "table": "t", "query": "SELECT 1"}, "data_source.query"),
    ({"type": "postgresql", "url": POSTGRES, "query": "DELETE FROM t"}, "data_source.query"),
    ({"type": "postgresql", "url": POSTGRES, "table": "t; DROP TABLE u"}, "data_source.table"),
    ({"type": "postgresql", "url": POSTGRES, "table": "a.b.c"}, "data_source.table"),
    ({"type": "postgresql", "url": POSTGRES, "table": "t", "geometry_column": "the geom"},
     "data_source.geometry_column"),
    ({"type": "postgresql", "url": POSTGRES, "table": "t", "id_column": 'id"'}, "data_source.id_column"),
    ({"type": "postgresql", "url": POSTGRES, "table": "t", "timeout": -1}, "data_source.timeout"),
    # feeds
    ({"type": "feed"}, "data_source.url"), ({"type": "feed", "url": "ws://example.org/live"}, "data_source.url"),
    ({"type": "feed", "url": "https://example.org/live", "format": "xml"}, "data_source.format"),
    ({"type": "feed", "url": "https://example.org/live", "max_reconnects": 1.5}, "data_source.max_reconnects"),
    ({"type": "feed", "url": "https://example.org/live", "reconnect_delay": -1}, "data_source.reconnect_delay"),
    ({"type": "feed", "simulate": {"stations": ["A"]}, "url": "https://example.org"}, "data_source.url"),
    ({"type": "feed", "simulate": []}, "data_source.simulate"),
    ({"type": "feed", "simulate": {}}, "data_source.simulate.stations"),
    ({"type": "feed", "simulate": {"stations": []}}, "data_source.simulate.stations"),
    ({"type": "feed", "simulate": {"stations": ["A", "A"]}}, "data_source.simulate.stations"),
    ({"type": "feed", "simulate": {"stations": [1]}}, "data_source.simulate.stations[0]"),
    ({"type": "feed", "simulate": {"stations": [{"name": "x"}]}}, "data_source.simulate.stations[0].id"),
    ({"type": "feed", "simulate": {"stations": [{"id": "A", "lon": 1}]}}, "data_source.simulate.stations[0].lon"),
    ({"type": "feed", "simulate": {"stations": [{"id": "A", "lon": 1, "lat": 95}]}},
     "data_source.simulate.stations[0].lon"),
    ({"type": "feed", "simulate": {"stations": [{"id": "A", "x": 1}]}}, "data_source.simulate.stations[0].x"),
    ({"type": "feed", "simulate": {"stations": ["A"], "interval": 0}}, "data_source.simulate.interval"),
    ({"type": "feed", "simulate": {"stations": ["A"], "seed": "x"}}, "data_source.simulate.seed"),
    ({"type": "feed", "simulate": {"stations": ["A"], "start": "2026-01-15T06:00:00"}},
     "data_source.simulate.start"),
    ({"type": "feed", "simulate": {"stations": ["A"], "start": "tomorrow"}}, "data_source.simulate.start"),
    ({"type": "feed", "simulate": {"stations": ["A"], "speed": 2}}, "data_source.simulate.speed"),
])
def test_every_declaration_refusal_names_its_field(data_dir: Path, spec: Any, field: str) -> None:
    if isinstance(spec, dict) and isinstance(spec.get("path"), str):
        spec = {**spec, "path": spec["path"].replace("{tmp}", str(data_dir.parent))}
    assert refusal(spec, data_dir).field == field


def test_the_data_directory_must_exist(tmp_path: Path) -> None:
    error = refusal({"type": "file", "path": "x.csv"}, tmp_path / "missing")
    assert error.field == "data_source.path" and "data directory does not exist" in error.en


def test_declarations_that_are_accepted(data_dir: Path) -> None:
    assert parse_source({"type": "file", "path": str(data_dir / "one-feature.json")}, base_dir=data_dir).is_vector
    assert parse_source({"type": "folder", "path": "."}, base_dir=data_dir).has_paths
    source = parse_source({"type": "http", "url": "https://data.example.org/wfs?SERVICE=WFS&REQUEST=GetFeature",
                           "headers": {"X-Api-Key": {"env": "KEY"}}, "forward_params": ["bbox"],
                           "media_type": "application/geo+json", "timeout": 5}, base_dir=data_dir)
    assert source.describe().filename == "wfs" and source.spec["timeout"] == 5
    feed = parse_source({"type": "feed", "url": "https://hubeau.example/stream", "format": "sse",
                         "reconnect_delay": 0}, base_dir=data_dir)
    assert isinstance(feed, FeedSource) and feed.reconnect_delay == 0
