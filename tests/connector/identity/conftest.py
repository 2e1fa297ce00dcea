"""A small data space on loopback for the identity tests: a trust authority and participants, each a real uvicorn
server (`BackgroundServer`) with its DID document, enrolled through the admin API. Each participant app has a
protected route (401 on failure), a DSP-process-like route (404 on failure) and the unauthenticated version
endpoint. Request counters on every server show when a network call happens."""

# No `from __future__ import annotations` here: the `Annotated[..., Depends(...)]` aliases are local to
# `participant_app`, and FastAPI must see them evaluated.
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from connector.identity import (
    Authenticator,
    Participant,
    VerifiedClaims,
    create_authority_app,
    create_participant_app,
)
from connector.identity.did import did_from_url
from connector.server import BackgroundServer
from connector.settings import Settings

PASSPHRASE = "correct horse battery staple"
ADMIN_TOKEN = "admin-secret-for-tests"


class CountingApp:
    """ASGI wrapper counting requests per path: the proof that a verification did or did not go to the network."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.hits: Counter[str] = Counter()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.hits[scope["path"]] += 1
        await self.app(scope, receive, send)


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir, "dev_mode": True, "key_passphrase": PASSPHRASE,
                              "clock_skew_seconds": 30}
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Node:
    participant: Participant
    server: BackgroundServer
    counter: CountingApp
    settings: Settings
    authenticator: Authenticator
    credential: dict[str, Any] = field(default_factory=dict)

    @property
    def did(self) -> str:
        return self.participant.did

    @property
    def url(self) -> str:
        return self.server.base_url

    def call(self, token: str | None, path: str = "/dsp/whoami", raw: str | None = None) -> httpx.Response:
        """GET `path` with `Authorization: Bearer <token>` (or the raw header value, or no header)."""
        headers = {"Authorization": raw if raw is not None else f"Bearer {token}"} if (token or raw) else {}
        return httpx.get(self.url + path, headers=headers, timeout=10)


def participant_app(participant: Participant, authenticator: Authenticator) -> FastAPI:
    app = create_participant_app([participant])
    Caller = Annotated[VerifiedClaims, Depends(authenticator.dependency())]
    ProcessCaller = Annotated[VerifiedClaims, Depends(authenticator.dependency(not_found=True))]

    @app.get("/dsp/whoami")
    def whoami(claims: Caller) -> dict[str, Any]:
        return claims.as_dict()

    @app.get("/dsp/negotiations/{pid}")
    def negotiation(pid: str, claims: ProcessCaller) -> dict[str, Any]:
        return {"pid": pid, "caller": claims.did}

    @app.get("/.well-known/dspace-version")
    def version() -> dict[str, Any]:
        return {"protocolVersions": [{"version": "2025-1", "path": "/dsp", "binding": "HTTPS"}]}

    return app


class Space:
    passphrase = PASSPHRASE
    admin_token = ADMIN_TOKEN
    CountingApp = CountingApp

    def __init__(self, root: Path) -> None:
        self.root = root
        self.servers: list[BackgroundServer] = []
        self.authenticators: list[Authenticator] = []
        self.authority_server = BackgroundServer()
        self.servers.append(self.authority_server)
        self.authority_did = did_from_url(self.authority_server.base_url)
        self.authority_settings = settings_for(root / "authority", did=self.authority_did, admin_token=ADMIN_TOKEN)
        self.authority_counter = CountingApp(create_authority_app(self.authority_settings))
        self.authority_server.start(self.authority_counter)
        self.admin = httpx.Client(base_url=self.authority_server.base_url,
                                  headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)

    def enrol(self, did: str, name: str, category: str = "public", kind: str = "commune",
              **extra: Any) -> dict[str, Any]:
        response = self.admin.post("/admin/participants",
                                   json={"did": did, "name": name, "category": category, "kind": kind, **extra})
        assert response.status_code == 201, response.text
        return response.json()

    def revoke(self, did: str) -> None:
        from urllib.parse import quote

        response = self.admin.post(f"/admin/participants/{quote(did, safe='')}/revoke")
        assert response.status_code == 200, response.text

    def node(self, name: str, *, enrol: bool = True, port: int = 0, category: str = "public",
             kind: str = "commune", **overrides: Any) -> Node:
        server = BackgroundServer(port=port)
        self.servers.append(server)
        data_dir = self.root / name
        did = did_from_url(server.base_url)
        if (data_dir / "identity.json").exists():
            participant = Participant.load(data_dir, PASSPHRASE.encode())
        else:
            participant = Participant.init(data_dir, did, PASSPHRASE.encode(), dsp_endpoint=server.base_url + "/dsp")
        overrides.setdefault("trusted_authorities", [self.authority_did])
        settings = settings_for(data_dir, **overrides)
        authenticator = Authenticator.from_settings(settings, did)
        self.authenticators.append(authenticator)
        counter = CountingApp(participant_app(participant, authenticator))
        server.start(counter)
        node = Node(participant, server, counter, settings, authenticator)
        if enrol:
            node.credential = self.enrol(did, name.upper(), category, kind)
            participant.save_credential(node.credential["credential"])
        return node

    @staticmethod
    def settings_for(data_dir: Path, **overrides: Any) -> Settings:
        return settings_for(data_dir, **overrides)

    @property
    def authority(self):
        """The authority object behind the server (its keys sign test credentials with odd validity)."""
        return self.authority_counter.app.state.authority

    def close(self) -> None:
        self.admin.close()
        for server in reversed(self.servers):
            server.stop()
        for authenticator in self.authenticators:
            authenticator.close()


@pytest.fixture(scope="module")
def space(tmp_path_factory) -> Iterator[Space]:
    space = Space(tmp_path_factory.mktemp("space"))
    yield space
    space.close()


def _refused(response: httpx.Response, check: str) -> None:
    assert response.status_code == 401, response.text
    detail = response.json()["detail"]
    assert detail["check"] == check, detail
    assert detail["message"]["fr"] and detail["message"]["en"] and detail["message"]["fr"] != detail["message"]["en"]
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.fixture
def refused():
    """Assert a 401 from the authentication layer naming the failed check, in French and English."""
    return _refused
