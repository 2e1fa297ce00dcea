"""What the push and feed tests share: two parties of a loopback data space driven through their management APIs,
and `Inbox`, a consumer's application on loopback that receives pushed data the way a real one would — it checks
the credentials the consumer put in its DataAddress, hashes the body as it streams (holding none of it), and can
be told to fail its next requests or to read slowly."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from connector.control.client import ManagementClient
from connector.server import BackgroundServer

from ..control.space import MANAGEMENT

HTTP = "https://w3id.org/idsa/v4.1/HTTP"
NANTES = "44109"


class Party:
    def __init__(self, connector) -> None:
        self.connector = connector
        self.client = ManagementClient(connector.base_url + "/management", MANAGEMENT, timeout=20, poll_interval=0.02)

    @property
    def did(self) -> str:
        return self.connector.plane.did

    def close(self) -> None:
        self.client.close()


def publish(provider: Party, source: dict, restrictions: dict | None = None,
            formats: tuple[str, ...] = ("HttpData-PULL", "HttpData-PUSH")) -> str:
    dataset_id = f"https://data.example.org/ddtm44/{uuid.uuid4().hex[:8]}"
    template = ({"licence": "restricted", "access": "restricted", "restrictions": restrictions} if restrictions
                else {"licence": "etalab-2.0", "access": "public"})
    provider.client.publish_dataset(sheet={"id": dataset_id, "nature": {"title": "Stations hydrométriques"},
                                           "licence": {"rights": "© DDTM 44 — Etalab 2.0"}},
                                    template=template, data_source=source, formats=list(formats))
    return dataset_id


def agree(provider: Party, consumer: Party, dataset_id: str, *, territory: str | None = NANTES) -> str:
    """Negotiate an agreement on `dataset_id`; its id (consumer side, the same on both sides)."""
    catalog = consumer.client.fetch_catalog(provider.connector.dsp_url, provider.did)
    offer = next(d for d in catalog["dataset"] if d["@id"] == dataset_id)["hasPolicy"][0]
    negotiation = consumer.client.start_negotiation(provider.connector.dsp_url, provider.did, dataset_id, offer,
                                                    purpose="flood-risk-simulation", territory=territory)
    done = consumer.client.wait_negotiation(negotiation["id"], timeout=20)
    assert done["state"] == "FINALIZED", done
    return done["agreement_id"]


def provider_view(provider: Party, consumer_transfer: dict) -> dict:
    """The provider's side of a transfer the consumer started."""
    pid = consumer_transfer["provider_pid"]
    return next(t for t in provider.client.list_transfers(role="provider", limit=500)["items"]
                if t["provider_pid"] == pid)


def prop(address: dict, name: str) -> str | None:
    return next((p["value"] for p in address.get("endpointProperties", []) if p["name"] == name), None)


def data_address(endpoint: str, **properties: str) -> dict[str, Any]:
    address: dict[str, Any] = {"@type": "DataAddress", "endpointType": HTTP, "endpoint": endpoint}
    if properties:
        address["endpointProperties"] = [{"@type": "EndpointProperty", "name": name, "value": value}
                                         for name, value in properties.items()]
    return address


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    size: int
    sha256: str
    chunks: int
    complete: bool
    body: bytes | None  # kept only for small bodies (`keep` bytes)


@dataclass
class Inbox:
    """A receiving application on loopback: `POST|PUT /<path>` with `Authorization: Bearer <token>` (or the header
    `header`: `token`). `fail`: statuses to answer to the next requests, in order; `delay`: a pause after each
    chunk read (a slow reader)."""

    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    header: str | None = None
    keep: int = 1024 * 1024
    fail: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (status, path) of the requests answered non-2xx
    reading: threading.Event = field(default_factory=threading.Event)  # set when a body starts to arrive

    def __post_init__(self) -> None:
        self.server = BackgroundServer(Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST", "PUT"])]))
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.base_url

    def close(self) -> None:
        self.server.stop()

    def address(self, path: str = "/inbox", **properties: str) -> dict[str, Any]:
        if self.header:
            properties = {"authKey": self.header, "authCode": self.token, **properties}
        else:
            properties = {"authorization": self.token, "authType": "bearer", **properties}
        return data_address(self.url + path, **properties)

    def wait(self, count: int = 1, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} bodies received, {count} expected; refused: "
                                     f"{self.refused}")
            time.sleep(0.02)
        return self.received

    async def _handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        expected = ("Bearer " + self.token) if not self.header else self.token
        given = request.headers.get(self.header or "authorization")
        if given != expected:
            self.refused.append((401, path))
            return Response(status_code=401, content="bad credentials")
        if self.fail:
            status = self.fail.pop(0)
            self.refused.append((status, path))
            return Response(status_code=status, content="try again later")
        digest, size, chunks, kept = hashlib.sha256(), 0, 0, bytearray()
        complete = True
        try:
            async for chunk in request.stream():
                if chunk:
                    self.reading.set()
                digest.update(chunk)
                size += len(chunk)
                chunks += 1
                if len(kept) < self.keep:
                    kept += chunk[: self.keep - len(kept)]
                if self.delay:
                    await asyncio.sleep(self.delay)
        except ClientDisconnect:
            complete = False
        self.received.append(Received(request.method, path, dict(request.headers), size, digest.hexdigest(), chunks,
                                      complete, bytes(kept) if size <= self.keep else None))
        return Response(status_code=204)
