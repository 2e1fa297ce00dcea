"""`ControlPlane`: one participant's control plane — its identity, its store, its published datasets, the two
protocols and the dispatcher that sends their messages. The HTTP layers (DSP endpoints, management API) are thin
routers over it; several control planes can live in one process (multi-tenant hosting). As consumer, it also runs
access plans (`brokering.PlanRunner`), moved on by the changes of state of the processes they started."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from connector.store import Store

from .brokering import PlanRunner
from .datasets import DatasetRegistry
from .dispatcher import Dispatcher
from .messages import http_data_address
from .negotiations import NegotiationProtocol
from .reactions import Reactions
from .transfers import TransferProtocol

log = logging.getLogger(__name__)
EDR_LIFETIME = 600  # seconds: data-plane tokens live at most 10 minutes


@dataclass
class PlaneOptions:
    chain_delay: float = 0.3  # pause between chained messages of one process (the TCK registers handlers late)
    first_callback_delay: float = 0.05  # the first callback after a 201 leaves time for the response to arrive
    workers: int = 8
    lease_seconds: float = 30.0
    idle_poll: float = 2.0
    base_delay: float = 0.2
    max_delay: float = 30.0
    max_attempts: int = 8
    replica_id: str = ""  # stable name of this replica: its leases are released when it restarts
    plan_workers: int = 4  # access-plan runs: threads taking steps (quick) and threads pulling data (long)
    plan_sweep: float = 30.0  # seconds between two looks at the running plans (a backstop: events drive them)


class ControlPlane:
    def __init__(self, *, did: str, store: Store, dsp_url: str, keys: Any | None = None,
                 token_issuer: Any | None = None, resolver: Any | None = None, verify_identities: bool = True,
                 reactions: Reactions | None = None, data_url: str | None = None, lang: str = "fr",
                 options: PlaneOptions | None = None, edr: Any | None = None) -> None:
        self.did = did
        self.store = store
        self.dsp_url = dsp_url.rstrip("/")
        self.keys = keys
        self.token_issuer = token_issuer
        self.resolver = resolver
        self.verify_identities = verify_identities
        self.reactions = reactions or Reactions()
        root = self.dsp_url.split("/api/dsp/")[0] if "/api/dsp/" in self.dsp_url else self.dsp_url
        self.data_url = (data_url or root + "/data").rstrip("/")
        self.lang = lang
        self.edr = edr  # connector.data.edr.EdrService: data-plane tokens with refresh (None: bare tokens)
        self.audit: Any | None = None  # connector.audit.AuditLog, when the connector keeps one
        self.sources_dir: Any | None = None  # where local data sources must lie (None: not checked here)
        self.receiver: Any | None = None  # connector.data.consumer.Receiver: pulls data as consumer
        self.sweeper: Any | None = None  # connector.data.duties.Sweeper: runs while the plane runs
        self.pusher: Any | None = None  # connector.data.push.PushService: HTTP push as provider, while the plane runs
        self.options = options or PlaneOptions()
        self.chain_delay = self.options.chain_delay
        self.first_callback_delay = self.options.first_callback_delay
        self.datasets = DatasetRegistry(store.engine)
        self.negotiations = NegotiationProtocol(self)
        self.transfers = TransferProtocol(self)
        o = self.options
        self.dispatcher = Dispatcher(self, workers=o.workers, lease_seconds=o.lease_seconds, idle_poll=o.idle_poll,
                                     base_delay=o.base_delay, max_delay=o.max_delay, max_attempts=o.max_attempts,
                                     owner_prefix=o.replica_id)
        self.plans = PlanRunner(self, workers=o.plan_workers, sweep_interval=o.plan_sweep)

    def start(self) -> ControlPlane:
        if self.options.replica_id:  # work leased by this replica before a crash is free again
            self.store.release_owned(self.options.replica_id + "/")
        self.dispatcher.start()
        if self.sweeper is not None:
            self.sweeper.start()
        if self.pusher is not None:
            self.pusher.start()
        self.plans.start()  # runs left running by the last process resume
        return self

    def stop(self) -> None:
        self.plans.stop()
        if self.pusher is not None:
            self.pusher.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        self.dispatcher.stop()

    def wake(self) -> None:
        self.dispatcher.wake()

    def process_committed(self, kind: str, process: Any, previous: str | None) -> None:
        """A negotiation or transfer changed state (committed): the access-plan runs waiting for it move on. Never
        raises: the transition is already acknowledged."""
        try:
            self.plans.on_committed(kind, process, previous)
        except Exception:
            log.exception("%s %s: the plan runner could not be told of %s", kind, process.id, process.state)

    def data_address_for(self, transfer: Any) -> dict[str, Any] | None:
        """The pull DataAddress of a started transfer: the data plane endpoint of this transfer and a token (JWS by
        this participant, at most 10 minutes) bound to the agreement, the transfer, the consumer and the dataset,
        with a refresh token and the refresh endpoint when the data plane runs here."""
        agreement = self.store.get_agreement(transfer.agreement_id)
        endpoint = f"{self.data_url}/{transfer.provider_pid}"
        if self.edr is not None:
            edr = self.edr.issue(transfer.id, transfer.provider_pid, transfer.agreement_id, transfer.counterparty_did,
                                 agreement.target if agreement else None)
            return http_data_address(endpoint, edr.access_token, expires_in=edr.expires_in,
                                     refresh_endpoint=f"{self.data_url}/token", refresh_token=edr.refresh_token)
        if self.keys is None:
            return http_data_address(endpoint)
        now = int(time.time())
        claims = {"iss": self.did, "aud": self.did, "sub": transfer.counterparty_did, "iat": now,
                  "exp": now + EDR_LIFETIME, "jti": str(uuid.uuid4()), "agreement": transfer.agreement_id,
                  "transfer": transfer.provider_pid, "dataset": agreement.target if agreement else None}
        token = self.keys.sign(claims, typ="jnt-edr+jwt")
        return http_data_address(endpoint, token, expires_in=EDR_LIFETIME)
