"""`BackgroundServer`: the port is known before the app is built, start waits until requests are served, stop
frees the port (a restart on the same port works), and a failing startup is reported instead of hanging."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from connector.server import BackgroundServer


def _app(answer: str) -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def root() -> dict[str, str]:
        return {"answer": answer}

    return app


def test_port_known_before_start_and_restart_on_the_same_port():
    server = BackgroundServer()
    port = server.port
    assert port > 0 and server.base_url == f"http://127.0.0.1:{port}"
    with server.start(_app("first")):
        assert httpx.get(server.base_url).json() == {"answer": "first"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url, timeout=1)
    with BackgroundServer(_app("second"), port=port) as again:
        assert httpx.get(again.base_url).json() == {"answer": "second"}


def test_failing_startup_is_reported():
    @asynccontextmanager
    async def lifespan(_app):
        raise RuntimeError("boom")
        yield

    server = BackgroundServer(FastAPI(lifespan=lifespan), startup_timeout=5)
    with pytest.raises(RuntimeError, match="failed to start"):
        server.start()
