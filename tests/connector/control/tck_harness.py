"""Test scaffolding for the TCK scenarios: the connector under test (CUT) in TCK mode on loopback, and a scripted
counter-party playing the kit's role — an HTTP server that records every message the CUT sends, validates it
against the DSP 2025-1 JSON schemas, and answers as the kit does (200 with a ContractNegotiation / TransferProcess
body for initial messages, 200 with an empty body otherwise)."""

from __future__ import annotations

import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from connector.control.plane import PlaneOptions
from connector.control.runtime import Connector, build_connector
from connector.control.tck import TckReactions, seed
from connector.dsp.schemas import CONTEXT_URL, validate_message
from connector.server import BackgroundServer
from connector.settings import Settings

CTX = [CONTEXT_URL]
FAST = PlaneOptions(chain_delay=0.05, first_callback_delay=0.02, base_delay=0.05, max_delay=0.5, idle_poll=0.5)


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    time: float = field(default_factory=time.monotonic)


class CounterParty:
    """The kit's side: a callback server. Messages are validated on arrival; a validation failure is recorded and
    makes `expect` fail."""

    def __init__(self) -> None:
        self.server = BackgroundServer()
        self.messages: queue.Queue[Received] = queue.Queue()
        self.errors: list[str] = []
        self.all: list[Received] = []
        self.reject: dict[str, int] = {}  # path regex -> status to answer instead of 200
        self._lock = threading.Lock()
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(path: str, request: Request) -> Response:
            raw = await request.body()
            path = "/" + path.rstrip("/")
            try:
                body = await request.json() if raw else {}
            except ValueError:
                self.errors.append(f"{path}: body is not JSON")
                return Response(status_code=400)
            if not isinstance(body, dict) or "@type" not in body:
                self.errors.append(f"{path}: no @type in {body!r}")
            else:
                try:
                    validate_message(body)
                except Exception as exc:  # recorded, asserted by the test
                    self.errors.append(f"{path}: {exc}")
            for pattern, status in self.reject.items():
                if re.fullmatch(pattern, path):
                    return Response(status_code=status)
            received = Received(path, body)
            with self._lock:
                self.all.append(received)
            self.messages.put(received)
            if path in ("/negotiations/request", "/negotiations/offers"):
                return JSONResponse({"@context": CTX, "@type": "ContractNegotiation", "providerPid": self.pid,
                                     "consumerPid": body.get("consumerPid", self.pid), "state": "REQUESTED"})
            if path == "/transfers/request":
                return JSONResponse({"@context": CTX, "@type": "TransferProcess", "providerPid": self.pid,
                                     "consumerPid": body.get("consumerPid"), "state": "REQUESTED"})
            return Response(status_code=200)

        self.pid = str(uuid.uuid4())
        self.server.start(app)

    @property
    def url(self) -> str:
        return self.server.base_url

    def expect(self, path_pattern: str, type_name: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next message the CUT sends; it must go to `path_pattern` (a regex) and be a `type_name`."""
        try:
            received = self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {type_name} received within {timeout} s (errors: {self.errors})") from None
        assert not self.errors, self.errors
        assert re.fullmatch(path_pattern, received.path), (received.path, path_pattern, received.body)
        assert received.body.get("@type") == type_name, received.body
        return received.body

    def expect_nothing(self, wait: float = 0.4) -> None:
        try:
            received = self.messages.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected message {received.path}: {received.body}")

    def stop(self) -> None:
        self.server.stop()


class Cut:
    """The connector under test in TCK mode, and the calls the kit makes to it."""

    def __init__(self, tmp_path, database_url: str | None = None) -> None:
        self.server = BackgroundServer()
        settings = Settings(_env_file=None, data_dir=tmp_path / "cut", auth_mode="off", dev_mode=True,
                            key_passphrase="tck passphrase for tests", database_url=database_url)
        from connector.control.tck import webhook_router

        self.connector: Connector = build_connector(settings, self.server.base_url, reactions=TckReactions(),
                                                    options=FAST, create_identity=True)
        self.connector.app.include_router(webhook_router(self.connector.plane))
        seed(self.connector.plane)
        self.server.start(self.connector.app)
        self.base = self.connector.dsp_url
        self.http = httpx.Client(timeout=10)

    @property
    def plane(self):
        return self.connector.plane

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(self.base + path, json=body)

    def get(self, path: str) -> httpx.Response:
        return self.http.get(self.base + path)

    def state(self, kind: str, pid: str) -> str:
        response = self.get(f"/{kind}/{pid}")
        assert response.status_code == 200, response.text
        validate_message(response.json())
        return response.json()["state"]

    def wait_state(self, kind: str, pid: str, state: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        current = None
        while time.monotonic() < deadline:
            current = self.state(kind, pid)
            if current == state:
                return
            time.sleep(0.02)
        raise AssertionError(f"{kind} {pid}: state {current}, expected {state}")

    def stop(self) -> None:
        self.http.close()
        self.server.stop()
        self.connector.close()


def request_message(dataset: str, offer_id: str, callback: str, consumer_pid: str | None = None) -> dict[str, Any]:
    return {"@context": CTX, "@id": str(uuid.uuid4()), "@type": "ContractRequestMessage",
            "consumerPid": consumer_pid or str(uuid.uuid4()), "callbackAddress": callback,
            "offer": {"@id": offer_id, "@type": "Offer", "target": dataset, "permission": [{"action": "use"}]}}


def message(type_name: str, **fields: Any) -> dict[str, Any]:
    return {"@context": CTX, "@id": str(uuid.uuid4()), "@type": type_name, **fields}
