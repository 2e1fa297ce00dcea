"""The provider's data plane over HTTP: what a consumer holding an EDR may read, and the token refresh.

    GET  /data/{transfer}[/{path}]   the transfer's data (bearer EDR); `?bbox=minx,miny,maxx,maxy` (CRS84)
    POST /data/token                 a new access token for a refresh token (`{"refresh_token": "…"}`)

Every request goes through the `Enforcer` (token, transfer state, agreement evaluated now, use count, territory),
which writes the decision to the audit log. Files stream in chunks with flat memory and honour `Range`; `gzip`
is applied on request (not with ranges). Vector data under a territorial restriction is served as GeoJSON with
only the features inside the territory, clipped to it (`connector.data.delivery`). Feeds are served as server-sent
events (`Accept: text/event-stream`) or NDJSON for as long as the transfer stays STARTED and the agreement permits
the use — both checked again every `FEED_RECHECK_SECONDS`, even while the feed is silent — and, under a territorial
restriction, only with the observations of stations inside the territory; one stream counts as one use. Refusals are JSON problems
`{"error", "fr", "en"}` with 400/401/403/404/413/416/502 — never a truncated 200."""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import shapely
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from policies.request import Area
from policies.territories import bbox_geometry

from .delivery import access_headers, clipped_geojson, is_raster, observation_inside, served_as_vector
from .edr import EdrError, EdrService
from .enforce import Access, AccessDenied, Enforcer
from .errors import DataSourceError
from .geojson import parse_bbox
from .sources import GEOJSON, DataSource, parse_range_header, parse_source

log = logging.getLogger(__name__)

MAX_TOKEN_BODY = 8 * 1024
MAX_PATH = 1024
FEED_RECHECK_SECONDS = 1.0


@dataclass
class DataPlane:
    """What the HTTP layer needs: the participant's store and datasets, the token service, the enforcer, and the
    directory local sources resolve under."""

    store: Any
    datasets: Any  # DatasetRegistry
    edr: EdrService
    enforcer: Enforcer
    base_dir: Path
    attribution: Any = None  # callable(dataset) -> text to return with the data, or None
    http_client: Any = None


def _joined(value: str | list[str]) -> str:
    return "; ".join(value) if isinstance(value, list) else value


def problem(status: int, code: str, fr: str | list[str], en: str | list[str],
            headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "fr": _joined(fr), "en": _joined(en)}, status_code=status, headers=headers)


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _requested_area(request: Request) -> Area | None:
    raw = request.query_params.get("bbox")
    if raw is None:
        return None
    box = parse_bbox(raw)
    return Area(bbox_geometry(*box), f"bbox {raw}")


def data_router(plane: DataPlane) -> APIRouter:
    router = APIRouter(tags=["données"])

    @router.post("/data/token", summary="Rafraîchir un jeton d'accès aux données")
    async def refresh(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_TOKEN_BODY:
            return problem(413, "too-large", "corps trop grand", "body too large")
        refresh_token = None
        try:
            if request.headers.get("content-type", "").startswith("application/json"):
                data = json.loads(body or b"{}")
                refresh_token = data.get("refresh_token") if isinstance(data, dict) else None
            else:
                form = dict(item.split("=", 1) for item in body.decode().split("&") if "=" in item)
                refresh_token = form.get("refresh_token")
        except (ValueError, UnicodeDecodeError):
            return problem(400, "malformed", "corps illisible : JSON `{\"refresh_token\": …}` attendu",
                           "unreadable body: JSON `{\"refresh_token\": …}` expected")
        if not isinstance(refresh_token, str) or not refresh_token:
            return problem(400, "missing-refresh-token", "champ « refresh_token » manquant",
                           "missing 'refresh_token' field")
        try:
            edr = await asyncio.to_thread(plane.edr.refresh, refresh_token, plane.enforcer.binding_of)
        except EdrError as exc:
            return problem(exc.status, exc.code, exc.fr, exc.en)
        return JSONResponse({"access_token": edr.access_token, "token_type": "Bearer", "expires_in": edr.expires_in,
                             "refresh_token": edr.refresh_token}, headers={"Cache-Control": "no-store"})

    @router.get("/data/{transfer_pid}", summary="Lire les données d'un transfert")
    async def read(transfer_pid: str, request: Request) -> Response:
        return await _serve(plane, request, transfer_pid, None)

    @router.get("/data/{transfer_pid}/{path:path}", summary="Lire un fichier des données d'un transfert")
    async def read_path(transfer_pid: str, path: str, request: Request) -> Response:
        return await _serve(plane, request, transfer_pid, path)

    return router


async def _serve(plane: DataPlane, request: Request, transfer_pid: str, path: str | None) -> Response:
    if path is not None and len(path) > MAX_PATH:
        return problem(414, "path-too-long", f"chemin de plus de {MAX_PATH} caractères",
                       f"path longer than {MAX_PATH} characters")
    if int(request.headers.get("content-length") or 0) > 0:
        return problem(413, "body-not-allowed", "une lecture de données ne prend pas de corps",
                       "a data read takes no body")
    try:
        requested = _requested_area(request)
    except DataSourceError as exc:
        return problem(400, "bad-bbox", exc.fr, exc.en)
    token = _bearer(request)
    # All the blocking work (token, database, disk) in one worker thread, never on the event loop.
    prepared = await asyncio.to_thread(_prepare, plane, token, transfer_pid, path, requested)
    if isinstance(prepared, Response):
        return prepared
    source, info, access, headers = prepared
    try:
        if source.is_feed:
            return await _feed(plane, request, source, access, headers)
        if access.area is not None and served_as_vector(source, info):
            return await _clipped(source, path, request, access, headers)
        return await _bytes(source, path, request, headers)
    except DataSourceError as exc:
        return problem(exc.status, exc.code, exc.fr, exc.en)


def _prepare(plane: DataPlane, token: str | None, transfer_pid: str, path: str | None,
             requested: Area | None) -> tuple[DataSource, Any, Access, dict[str, str]] | Response:
    """The source, its description, the enforcer's decision and the response headers of one data request — or
    the problem response. The dataset decides how a territory applies (raster: a condition on the request;
    vector: a clip), so the source is read from the token's claims before the decision, which checks them."""
    found = _source_for(plane, token)
    if isinstance(found, Response):
        return found
    source, claims = found
    try:
        info = source.describe(path) if (path is not None or not source.has_paths) else None
    except DataSourceError as exc:
        info, describe_error = None, exc
    else:
        describe_error = None
    try:
        access = plane.enforcer.authorise(token, transfer_pid, requested=requested, raster=is_raster(info),
                                          verified=claims)
    except AccessDenied as denied:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if denied.status == 401 else None
        return problem(denied.status, denied.code, denied.fr, denied.en, headers)
    if describe_error is not None:
        return problem(describe_error.status, describe_error.code, describe_error.fr, describe_error.en)
    return source, info, access, _access_headers(plane, access)


def _source_for(plane: DataPlane, token: str | None) -> tuple[DataSource, Any] | Response:
    """The data source of the dataset the token names (refusals are left to the enforcer, which audits them)."""
    try:
        claims = plane.edr.verify(token) if token else None
    except EdrError:
        claims = None
    dataset = plane.datasets.get(claims.dataset) if claims and claims.dataset else None
    if claims is None or dataset is None:
        return _NoSource(), None
    if not dataset.data_source:
        return problem(404, "no-data-source", "ce jeu de données n'a pas de source de données déclarée",
                       "this dataset has no declared data source")
    try:
        return parse_source(dataset.data_source, base_dir=plane.base_dir, http_client=plane.http_client), claims
    except DataSourceError as exc:
        log.error("dataset %s: unusable data source: %s", dataset.id, exc.en)
        return problem(500, "data-source-unusable", "source de données du fournisseur inutilisable",
                       "the provider's data source is unusable")


class _NoSource(DataSource):
    """Stands in when the token does not name a readable dataset: the enforcer refuses before it is read."""

    kind = "none"

    def describe(self, path: str | None = None) -> Any:
        raise DataSourceError("data", "aucune donnée", "no data", 404, code="not-found")


def _access_headers(plane: DataPlane, access: Access) -> dict[str, str]:
    attribution = plane.attribution(access.dataset_id) if plane.attribution is not None else None
    return {**access_headers(access, attribution), "Cache-Control": "no-store"}


def _compressible(media_type: str) -> bool:
    """Text formats gain from gzip; binaries (rasters, archives, point clouds) would only cost CPU."""
    media_type = media_type.split(";")[0].strip().lower()
    return media_type.startswith("text/") or media_type.endswith(("json", "+xml", "/xml", "json-seq"))


async def _bytes(source: DataSource, path: str | None, request: Request, headers: dict[str, str]) -> Response:
    info = source.describe(path)
    range_header = request.headers.get("range")
    byte_range = parse_range_header(range_header, info.size) if range_header and info.accept_ranges else None
    stream = await source.open(path, byte_range=byte_range, params=_forwarded(request))
    response_headers = {**stream.http_headers(), **headers}
    gzip_wanted = "gzip" in request.headers.get("accept-encoding", "") and byte_range is None
    if gzip_wanted and _compressible(response_headers.get("Content-Type", "")):
        response_headers.pop("Content-Length", None)
        response_headers["Content-Encoding"] = "gzip"
        response_headers["Vary"] = "Accept-Encoding"
        return StreamingResponse(_gzip(stream), headers=response_headers, background=None)
    return StreamingResponse(stream, status_code=206 if byte_range is not None else 200, headers=response_headers)


def _forwarded(request: Request) -> dict[str, list[str]] | None:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key != "bbox":
            params.setdefault(key, []).append(value)
    return params or None


async def _gzip(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip container
    try:
        async for chunk in chunks:
            out = compressor.compress(chunk)
            if out:
                yield out
        yield compressor.flush()
    finally:
        closer = getattr(chunks, "aclose", None)
        if closer is not None:
            await closer()


async def _clipped(source: DataSource, path: str | None, request: Request, access: Access,
                   headers: dict[str, str]) -> Response:
    assert access.area is not None
    body = await clipped_geojson(source, path, access.area, _forwarded(request))
    return StreamingResponse(body, media_type=GEOJSON, headers={**headers, "Accept-Ranges": "none"})


async def _feed(plane: DataPlane, request: Request, source: DataSource, access: Access,
                headers: dict[str, str]) -> Response:
    sse = "text/event-stream" in request.headers.get("accept", "")
    observations = await source.observations(params=_forwarded(request))
    area = access.area
    if area is not None:
        shapely.prepare(area.geometry)

    async def still_permitted() -> AccessDenied | None:
        try:
            await asyncio.to_thread(plane.enforcer.recheck, access)
        except AccessDenied as denied:
            return denied
        return None

    def end(denied: AccessDenied) -> bytes:
        if not sse:
            return b""
        reason = {"reason": denied.code, "fr": "; ".join(denied.fr), "en": "; ".join(denied.en)}
        return f"event: end\ndata: {json.dumps(reason, ensure_ascii=False)}\n\n".encode()

    async def events() -> AsyncIterator[bytes]:
        # The next observation races a timer: the transfer and the agreement are checked again every
        # FEED_RECHECK_SECONDS even when the feed is silent, so a suspension ends a slow stream just as fast.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FEED_RECHECK_SECONDS
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(observations.__anext__())
                done, _ = await asyncio.wait({pending}, timeout=max(0.0, deadline - loop.time()))
                if loop.time() >= deadline:
                    denied = await still_permitted()
                    if denied is not None:
                        yield end(denied)
                        return
                    deadline = loop.time() + FEED_RECHECK_SECONDS
                if not done:
                    continue
                try:
                    observation = pending.result()
                except StopAsyncIteration:
                    return
                except DataSourceError as exc:  # the upstream failed for good: say so, then end
                    log.warning("feed of transfer %s ended: %s", access.transfer.id, exc.en)
                    yield end(AccessDenied(exc.status, exc.code, exc.fr, exc.en))
                    return
                finally:
                    pending = None
                if area is not None and not observation_inside(observation, area):
                    continue
                text = json.dumps(observation, ensure_ascii=False, separators=(",", ":"))
                yield (f"data: {text}\n\n" if sse else text + "\n").encode("utf-8")
        finally:
            # Shielded: a reader that went away cancels this generator, and the read in flight must still be
            # wound down before the source is closed (an async generator cannot be closed while it runs).
            with anyio.CancelScope(shield=True):
                if pending is not None:
                    pending.cancel()
                    await asyncio.wait({pending})
                await observations.aclose()

    media = "text/event-stream" if sse else "application/x-ndjson"
    return StreamingResponse(events(), media_type=media, headers={**headers, "X-Accel-Buffering": "no"})
