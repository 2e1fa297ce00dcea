"""A small real data space on loopback for control-plane tests: a trust authority and connectors whose identities
are verified for real (did:web DID documents served by each connector, membership credentials issued by the
authority, self-issued tokens on every DSP request, signed agreements)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from connector.control.plane import PlaneOptions
from connector.control.runtime import Connector, build_connector
from connector.identity import Participant, create_authority_app
from connector.identity.did import did_from_url
from connector.server import BackgroundServer
from connector.settings import Settings

PASSPHRASE = "control-plane tests passphrase"
ADMIN = "authority-admin-token"
MANAGEMENT = "management-token-for-tests"
QUICK = PlaneOptions(chain_delay=0.05, first_callback_delay=0.0, base_delay=0.05, max_delay=0.5, idle_poll=0.5)


class Space:
    def __init__(self, root: Path, database_for: Any = None) -> None:
        self.root = root
        self.database_for = database_for  # name -> database URL (default: SQLite under the data directory)
        self.authority_server = BackgroundServer()
        self.authority_did = did_from_url(self.authority_server.base_url)
        self.authority_server.start(create_authority_app(Settings(
            _env_file=None, data_dir=root / "authority", dev_mode=True, key_passphrase=PASSPHRASE,
            did=self.authority_did, admin_token=ADMIN)))
        self.members: list[tuple[BackgroundServer, Connector]] = []

    def settings(self, name: str, **extra: Any) -> Settings:
        return Settings(_env_file=None, data_dir=self.root / name, dev_mode=True, key_passphrase=PASSPHRASE,
                        trusted_authorities=[self.authority_did],
                        participant_name=name, management_token=MANAGEMENT,
                        database_url=self.database_for(name) if self.database_for else None, **extra)

    def connector(self, name: str, category: str, kind: str = "collectivité", *,
                  options: PlaneOptions = QUICK, server: BackgroundServer | None = None) -> Connector:
        """A participant enrolled at the authority (category `public` or `private`) with its running connector."""
        server = server or BackgroundServer()
        settings = self.settings(name)
        data_dir = settings.data_dir
        did = did_from_url(server.base_url)
        if (data_dir / "identity.json").exists():
            participant = Participant.load(data_dir, PASSPHRASE.encode())
        else:
            participant = Participant.init(data_dir, did, PASSPHRASE.encode(),
                                           dsp_endpoint=server.base_url + "/api/dsp/2025-1")
            answer = httpx.post(self.authority_server.base_url + "/admin/participants", timeout=10,
                                headers={"Authorization": f"Bearer {ADMIN}"},
                                json={"did": did, "name": name, "category": category, "kind": kind})
            answer.raise_for_status()
            participant.save_credential(answer.json()["credential"])
        connector = build_connector(settings, server.base_url, participant=participant, options=options)
        server.start(connector.app)
        self.members.append((server, connector))
        return connector

    def stop_member(self, connector: Connector) -> None:
        for server, member in list(self.members):
            if member is connector:
                server.stop()
                member.close()
                self.members.remove((server, member))

    def close(self) -> None:
        for server, connector in self.members:
            server.stop()
            connector.close()
        self.members.clear()
        self.authority_server.stop()


def wait_for(get, done, timeout: float = 10.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    value = get()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; last value: {value!r}")
        time.sleep(interval)
        value = get()
    return value


def wait_negotiation(connector: Connector, process_id: str, timeout: float = 10.0):
    return wait_for(lambda: connector.plane.store.get("negotiation", process_id),
                    lambda p: p.state in ("FINALIZED", "TERMINATED"), timeout)
