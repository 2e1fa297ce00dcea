"""Building a running connector from settings: identity (keys, credential), database (migrated), authenticator,
control plane, web application. Used by `jnt connector serve`, `jnt connector tck` and the demo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from catalog.dsp_catalog import CatalogInfo, DspService
from catalog.sheet import Agent
from connector.audit import AuditLog
from connector.console import console_from_settings
from connector.data.consumer import Receiver
from connector.data.duties import Sweeper
from connector.data.edr import EdrService
from connector.data.enforce import Enforcer
from connector.data.http_api import DataPlane, data_router
from connector.data.push import PushService
from connector.data.usage import UsageCounter
from connector.identity import Authenticator, Participant
from connector.identity.did import DidResolver, did_from_url
from connector.identity.errors import IdentityError
from connector.identity.keys import load_passphrase
from connector.ops.wiring import instrument_connector
from connector.settings import Settings
from connector.store import Store, upgrade

from .app import DSP_BASE_PATH, create_connector_app
from .plane import ControlPlane, PlaneOptions
from .reactions import Reactions


@dataclass
class Connector:
    app: FastAPI
    plane: ControlPlane
    participant: Participant
    authenticator: Authenticator
    base_url: str
    data: DataPlane | None = None
    audit: AuditLog | None = None
    receiver: Receiver | None = None

    @property
    def dsp_url(self) -> str:
        return self.plane.dsp_url

    def close(self) -> None:
        self.plane.stop()
        if self.receiver is not None:
            self.receiver.close()
        self.authenticator.close()
        self.plane.store.engine.dispose()


def catalog_info(did: str, dsp_url: str, name: str) -> CatalogInfo:
    return CatalogInfo(id=f"{dsp_url}/catalog", participant_id=did,
                       service=DspService(id=f"{did}#dsp", endpoint_url=dsp_url, title=f"Connecteur de {name}"),
                       title=f"Catalogue de {name}", publisher=Agent(name=name))


def build_connector(settings: Settings, base_url: str, *, participant: Participant | None = None,
                    reactions: Reactions | None = None, options: PlaneOptions | None = None,
                    create_identity: bool = False, extra_routers: list[Any] | None = None,
                    resolver: DidResolver | None = None) -> Connector:
    """A connector for the participant whose data directory is `settings.data_dir`, reachable at `base_url`."""
    base_url = base_url.rstrip("/")
    dsp_url = base_url + DSP_BASE_PATH
    if participant is None:
        passphrase = load_passphrase(
            settings.key_passphrase.get_secret_value() if settings.key_passphrase else None,
            settings.key_passphrase_file)
        data_dir = Path(settings.data_dir)
        try:
            participant = Participant.load(data_dir, passphrase)
        except IdentityError:
            if not create_identity:
                raise
            data_dir.mkdir(parents=True, exist_ok=True)
            participant = Participant.init(data_dir, settings.did or did_from_url(base_url), passphrase,
                                           dsp_endpoint=dsp_url)
    url = settings.effective_database_url()
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    upgrade(url)
    store = Store.from_url(url)
    authenticator = Authenticator.from_settings(settings, participant.did)
    verify = settings.auth_mode == "dcp"
    if options is None:
        options = PlaneOptions(first_callback_delay=settings.dsp_first_callback_delay,
                               replica_id=f"{settings.replica_id}:{participant.did}")
    edr = EdrService(store.engine, participant.keys, participant.did)
    audit = AuditLog(store.engine, participant.keys, participant.did)
    plane = ControlPlane(
        did=participant.did, store=store, dsp_url=dsp_url, keys=participant.keys, token_issuer=participant,
        resolver=resolver or (DidResolver(dev_mode=settings.dev_mode, ttl_seconds=settings.did_cache_ttl_seconds)
                              if verify else None),
        verify_identities=verify, reactions=reactions, lang=settings.lang, options=options, edr=edr)
    plane.audit = audit
    sources_dir = settings.effective_sources_dir()
    sources_dir.mkdir(parents=True, exist_ok=True)
    plane.sources_dir = sources_dir
    received_dir = settings.effective_received_dir()
    received_dir.mkdir(parents=True, exist_ok=True)
    receiver = Receiver(store, received_dir=received_dir, audit=audit)
    plane.receiver = receiver
    plane.sweeper = Sweeper(store.engine, audit, root=received_dir)
    data = DataPlane(store=store, datasets=plane.datasets, edr=edr,
                     enforcer=Enforcer(store, edr, UsageCounter(store.engine), audit=audit), base_dir=sources_dir,
                     attribution=plane.datasets.attribution)
    plane.pusher = PushService(plane, data.enforcer, sources_dir, dev_mode=settings.dev_mode,
                               owner_prefix=options.replica_id, attribution=plane.datasets.attribution)
    token = settings.management_token.get_secret_value() if settings.management_token else None
    name = settings.participant_name or participant.did
    app = create_connector_app(plane, authenticator, catalog_info(participant.did, dsp_url, name),
                               management_token=token, participant=participant,
                               extra_routers=[data_router(data), *(extra_routers or [])])
    app.include_router(console_from_settings(settings, plane, sources_dir=sources_dir))  # at /console
    instrument_connector(app, settings, plane, participant.keys, audit)
    return Connector(app, plane, participant, authenticator, base_url, data, audit, receiver)
