"""The Loire-estuary data space of the demo, started for real on loopback in one multi-tenant process: a trust
authority, the 40 provider connectors of the organisations table and the two consumers' connectors (each with its
own DID, keys, SQLite database and HTTP server), and the federated catalogue (a participant of its own). The
providers publish the datasets of `connector.demo_data` (sheets, offers, generated files); the catalogue crawls
them all. `DemoWorld.start` reports its progress through a callback; `close` stops everything."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .control.client import ManagementClient
from .control.runtime import Connector, build_connector
from .demo_data import CONSUMERS, DemoDataset, Generated, Organisation, generate, organisations, plan
from .federated_catalog import FederatedCatalogue, build_catalogue
from .identity import Participant, create_authority_app
from .identity.did import did_from_url
from .server import BackgroundServer
from .settings import Settings
from .store.migrate import upgrade

PASSPHRASE = "demo passphrase — not for production"
ADMIN_TOKEN = "demo-admin-token"
MANAGEMENT_TOKEN = "demo-management-token"
CATALOGUE_NAME = "Catalogue fédéré JNT — estuaire de la Loire"
Progress = Callable[[str, str], None]  # (French, English)


@dataclass
class Member:
    org: Organisation
    server: BackgroundServer
    connector: Connector
    client: ManagementClient

    @property
    def did(self) -> str:
        return self.connector.participant.did

    @property
    def url(self) -> str:
        return self.server.base_url


@dataclass
class DemoWorld:
    root: Path
    progress: Progress = lambda fr, en: None  # noqa: E731 - a default that does nothing
    seed: int = 0
    authority_server: BackgroundServer | None = None
    authority_did: str = ""
    members: dict[str, Member] = field(default_factory=dict)
    catalogue: FederatedCatalogue | None = None
    catalogue_server: BackgroundServer | None = None
    datasets: list[DemoDataset] = field(default_factory=list)
    generated: Generated | None = None
    timings: dict[str, float] = field(default_factory=dict)
    _owned_root: bool = False

    @classmethod
    def in_temporary_directory(cls, progress: Progress | None = None, seed: int = 0) -> DemoWorld:
        world = cls(Path(tempfile.mkdtemp(prefix="jnt-demo-")), seed=seed)
        world._owned_root = True
        if progress is not None:
            world.progress = progress
        return world

    # -- start --------------------------------------------------------------------------------------------------
    def start(self) -> DemoWorld:
        started = time.perf_counter()
        self._start_authority()
        self._mark("authority", started)
        servers = {org.id: BackgroundServer() for org in (*organisations(), *CONSUMERS)}
        did_of = {key: did_from_url(server.base_url) for key, server in servers.items()}
        self.datasets = plan(seed=self.seed, did_for=lambda org_id: did_of[org_id])
        step = time.perf_counter()
        self.generated = generate(self.root / "data", self.seed, datasets=self.datasets,
                                  did_for=lambda org_id: did_of[org_id])
        self.progress(f"Données de démonstration générées : {len(self.generated.sizes)} fichiers, "
                      f"{self.generated.total_bytes / 1e6:.1f} Mo",
                      f"Demo data generated: {len(self.generated.sizes)} files, "
                      f"{self.generated.total_bytes / 1e6:.1f} MB")
        self._mark("data", step)
        step = time.perf_counter()
        template = self._template_database()
        with ThreadPoolExecutor(max_workers=6) as pool:
            members = list(pool.map(lambda org: self._start_member(org, servers[org.id], template),
                                    (*organisations(), *CONSUMERS)))
        for member in members:
            self.members[member.org.id] = member
        self.progress(f"{len(self.members)} connecteurs démarrés et inscrits auprès de l'autorité",
                      f"{len(self.members)} connectors started and enrolled at the authority")
        self._mark("connectors", step)
        step = time.perf_counter()
        for dataset in self.datasets:
            member = self.members[dataset.provider.id]
            member.connector.plane.datasets.publish(dataset.sheet, list(dataset.offers), formats=dataset.formats,
                                                    data_source=dataset.data_source)
        self.progress(f"{len(self.datasets)} jeux de données publiés par {len(organisations())} fournisseurs",
                      f"{len(self.datasets)} datasets published by {len(organisations())} providers")
        self._mark("publish", step)
        step = time.perf_counter()
        self._start_catalogue()
        self._mark("catalogue", step)
        self.timings["total"] = time.perf_counter() - started
        return self

    def _mark(self, name: str, since: float) -> None:
        self.timings[name] = time.perf_counter() - since

    def _settings(self, key: str, **extra: Any) -> Settings:
        return Settings(_env_file=None, data_dir=self.root / key, dev_mode=True, key_passphrase=PASSPHRASE,
                        trusted_authorities=[self.authority_did], management_token=MANAGEMENT_TOKEN,
                        admin_token=ADMIN_TOKEN, **extra)

    def _start_authority(self) -> None:
        self.authority_server = BackgroundServer()
        self.authority_did = did_from_url(self.authority_server.base_url)
        settings = self._settings("authority", did=self.authority_did)
        self.authority_server.start(create_authority_app(settings))
        self.progress(f"Autorité de confiance : {self.authority_server.base_url}",
                      f"Trust authority: {self.authority_server.base_url}")

    def _template_database(self) -> Path:
        """A database at the newest schema revision, copied for every connector: migrating 42 databases one by one
        would take most of the start-up."""
        path = self.root / "template.sqlite"
        upgrade(f"sqlite:///{path}")
        return path

    def _enrol(self, did: str, org: Organisation, endpoint: str | None, kind: str | None = None) -> str:
        assert self.authority_server is not None
        body = {"did": did, "name": org.name, "category": org.category, "kind": kind or org.kind}
        if endpoint:
            body["endpoint"] = endpoint
        answer = httpx.post(self.authority_server.base_url + "/admin/participants", json=body, timeout=30,
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        answer.raise_for_status()
        return answer.json()["credential"]

    def _start_member(self, org: Organisation, server: BackgroundServer, template: Path) -> Member:
        settings = self._settings(org.id, participant_name=org.name,
                                  sources_dir=self.root / "data" / org.id)
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        (self.root / "data" / org.id).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, data_dir / "jnt.sqlite")
        did = did_from_url(server.base_url)
        dsp = server.base_url + "/api/dsp/2025-1"
        participant = Participant.init(data_dir, did, PASSPHRASE.encode(), dsp_endpoint=dsp)
        participant.save_credential(self._enrol(did, org, dsp))
        connector = build_connector(settings, server.base_url, participant=participant)
        server.start(connector.app)
        client = ManagementClient(server.base_url + "/management", MANAGEMENT_TOKEN, timeout=60, poll_interval=0.05)
        return Member(org, server, connector, client)

    def _start_catalogue(self) -> None:
        server = BackgroundServer()
        did = did_from_url(server.base_url)
        settings = self._settings("catalogue", participant_name=CATALOGUE_NAME)
        participant = Participant.init(Path(settings.data_dir), did, PASSPHRASE.encode())
        catalogue_org = Organisation("catalogue", CATALOGUE_NAME, "public", "catalogue fédéré")
        participant.save_credential(self._enrol(did, catalogue_org, None))
        assert self.authority_server is not None
        self.catalogue = build_catalogue(settings, server.base_url, participant=participant,
                                         authority_url=self.authority_server.base_url, interval=300)
        server.start(self.catalogue.app)  # the lifespan starts the crawl at once
        self.catalogue_server = server
        if not self.catalogue.scheduler.wait_for_crawls(1, timeout=120):
            raise RuntimeError("the federated catalogue did not finish its first crawl within 120 s")
        report = self.catalogue.scheduler.last_report
        self.progress(f"Catalogue fédéré : {server.base_url} — {report.ok} connecteurs collectés en "
                      f"{report.duration:.1f} s, {self.catalogue.index.count()} jeux indexés",
                      f"Federated catalogue: {server.base_url} — {report.ok} connectors crawled in "
                      f"{report.duration:.1f} s, {self.catalogue.index.count()} datasets indexed")

    # -- use ------------------------------------------------------------------------------------------------------
    def member(self, org_id: str) -> Member:
        return self.members[org_id]

    def catalogue_token(self, org_id: str) -> str:
        """A token of `org_id` for the catalogue (what a consumer's platform sends to it)."""
        assert self.catalogue is not None
        return self.member(org_id).connector.participant.token_for(self.catalogue.participant.did)

    @property
    def catalogue_url(self) -> str:
        assert self.catalogue_server is not None
        return self.catalogue_server.base_url

    def close(self) -> None:
        if self.catalogue_server is not None:
            self.catalogue_server.stop()
        if self.catalogue is not None:
            self.catalogue.close()

        def stop(member: Member) -> None:
            member.client.close()
            member.server.stop()
            member.connector.close()

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(stop, self.members.values()))
        if self.authority_server is not None:
            self.authority_server.stop()
        if self._owned_root:
            shutil.rmtree(self.root, ignore_errors=True)
