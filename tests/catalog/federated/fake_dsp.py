"""Lightweight DSP catalogue servers on loopback for the crawler's tests and benchmark: one uvicorn server hosts
any number of connectors under `/<name>/dsp`, each answering `POST /<name>/dsp/catalog/request` with its
catalogue rendered by `catalog.dsp_render` (pages of `per_page` datasets with `Link` headers, rendered once and
kept until the datasets change). A connector can be switched to misbehave: `invalid-json`, `schema-invalid` (a
JSON object that is no DSP Catalog), `wrong-participant`, `http-500`, `slow` (answers after `delay` seconds), or
`bad-link` (a `next` link to another host). Every request's `Authorization` header is recorded."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from catalog.dsp_catalog import CatalogEntry, CatalogInfo, DspService, PageRequest, render_catalog_page
from catalog.sheet import Agent


@dataclass
class FakeConnector:
    name: str
    did: str
    base_url: str
    entries: list[CatalogEntry] = field(default_factory=list)
    per_page: int = 100
    mode: str = "ok"
    delay: float = 0.0
    authorizations: list[str | None] = field(default_factory=list)
    requests: int = 0
    mutate: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # edits each page's JSON before it is sent
    _pages: dict[int, tuple[bytes, str]] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.base_url}/{self.name}/dsp"

    @property
    def info(self) -> CatalogInfo:
        return CatalogInfo(id=f"{self.address}/catalog", participant_id=self.did,
                           service=DspService(id=f"{self.did}#dsp", endpoint_url=self.address,
                                              title=f"Connecteur {self.name}"),
                           title=f"Catalogue de {self.name}", publisher=Agent(name=self.name))

    def set_entries(self, entries: list[CatalogEntry]) -> None:
        self.entries = list(entries)
        self._pages.clear()

    def page(self, number: int, url: str) -> tuple[bytes, str]:
        if number not in self._pages:
            page = render_catalog_page(self.info, self.entries, PageRequest(number, self.per_page), url=url)
            self._pages[number] = (json.dumps(page.body, ensure_ascii=False).encode("utf-8"), page.link)
        return self._pages[number]

    def render_all(self) -> None:
        """Render every page now (benchmarks time the crawl, not the rendering)."""
        url = f"{self.address}/catalog/request"
        pages = max(1, -(-len(self.entries) // self.per_page))
        for number in range(1, pages + 1):
            self.page(number, f"{url}?page={number}&per_page={self.per_page}" if number > 1 else url)


class LoopbackServer:
    """A uvicorn server in a thread on 127.0.0.1 (port chosen when created), serving `app`."""

    def __init__(self, app: Any = None) -> None:
        self._app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def app(self) -> Any:
        return self._app

    def start(self) -> LoopbackServer:
        config = uvicorn.Config(self.app(), log_level="warning", access_log=False, lifespan="auto",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("loopback server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._socket.close()
        self._server = None


class FakeDspServer(LoopbackServer):
    """A loopback server hosting fake connectors."""

    def __init__(self) -> None:
        super().__init__()
        self.connectors: dict[str, FakeConnector] = {}

    def add(self, name: str, entries: list[CatalogEntry] | None = None, *, did: str | None = None,
            per_page: int = 100) -> FakeConnector:
        connector = FakeConnector(name=name, did=did or f"did:web:{name}.example", base_url=self.base_url,
                                  per_page=per_page)
        connector.set_entries(entries or [])
        self.connectors[name] = connector
        return connector

    def app(self) -> Starlette:
        async def catalog_request(request: Request) -> Response:
            connector = self.connectors.get(request.path_params["name"])
            if connector is None:
                return JSONResponse({"error": "unknown connector"}, status_code=404)
            connector.requests += 1
            connector.authorizations.append(request.headers.get("authorization"))
            await request.body()
            mode = connector.mode
            if mode == "slow" or connector.delay:
                await asyncio.sleep(connector.delay or 5.0)
            if mode == "http-500":
                return JSONResponse({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
                                     "@type": "CatalogError", "code": "500", "reason": ["panne simulée"]},
                                    status_code=500)
            if mode == "invalid-json":
                return Response(b'{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": ',
                                media_type="application/json")
            if mode == "schema-invalid":
                return JSONResponse({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
                                     "@type": "Catalog", "dataset": "not a dataset"})
            try:
                number = int(request.query_params.get("page", "1"))
            except ValueError:
                number = 1
            body, link = connector.page(number, str(request.url))
            if mode == "wrong-participant":
                doc = json.loads(body)
                doc["participantId"] = "did:web:someone-else.example"
                body = json.dumps(doc).encode("utf-8")
            if connector.mutate is not None:
                body = json.dumps(connector.mutate(json.loads(body))).encode("utf-8")
            if mode == "bad-link" and 'rel="next"' in link:
                link = '<http://203.0.113.9/dsp/catalog/request?page=2>; rel="next"'
            return Response(body, media_type="application/json", headers={"Link": link})

        return Starlette(routes=[Route("/{name}/dsp/catalog/request", catalog_request, methods=["POST"])])


def closed_port_url() -> str:
    """An http URL on a loopback port nobody listens on (a connector that is down)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/down/dsp"

