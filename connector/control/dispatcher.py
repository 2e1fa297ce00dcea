"""The workers that send outgoing DSP messages. A process with a pending intent is work; the dispatcher leases due
processes from the store (several replicas share the work: a lease is held by one of them), sends each message on
a small thread pool, and commits the result:

* 2xx (any body, empty included): the intent is delivered, the state it reaches is committed, and the reaction
  that follows is planned;
* network error, 5xx, 404 (a peer whose handler is not ready yet, as the TCK's), 408, 409, 425, 429: retried with
  exponential backoff, at most ``max_attempts`` times;
* other 4xx, or retries exhausted: the process is terminated (the counterparty is told when possible).

The loop sleeps until the next intent is due and is woken at once by ``wake()`` when a request handler commits new
work — no slow polling; ``idle_poll`` only bounds how late work committed by *another* replica is noticed."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from connector.identity.auth import DspAuth

if TYPE_CHECKING:
    from .plane import ControlPlane
    from .processes import ProcessProtocol

log = logging.getLogger("jnt.control.dispatcher")
RETRYABLE = frozenset({404, 408, 409, 425, 429})


class Dispatcher:
    def __init__(self, plane: ControlPlane, *, workers: int = 8, lease_seconds: float = 30.0,
                 idle_poll: float = 2.0, base_delay: float = 0.2, max_delay: float = 30.0, max_attempts: int = 8,
                 timeout: float = 10.0, client: httpx.Client | None = None, owner_prefix: str = "") -> None:
        self.plane = plane
        self.owner = f"{owner_prefix or 'dispatcher'}/{uuid.uuid4()}"
        self.lease_seconds = lease_seconds
        self.idle_poll = idle_poll
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self.workers = workers
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False,
                                              limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))
        self._own_client = client is None
        self._event = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy = threading.Semaphore(workers * 2)
        self.sent = 0
        self.retries = 0
        self.failures = 0

    # -- life cycle ---------------------------------------------------------------------------------------------------
    def start(self) -> Dispatcher:
        if self._thread is None:
            self._stop.clear()
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="jnt-send")
            self._thread = threading.Thread(target=self._loop, name="jnt-dispatcher", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
            self._pool = None
        if self._own_client:
            self._client.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._event.set()

    # -- loop -----------------------------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            self._event.clear()
            try:
                # A read first (never blocks a writer in WAL mode); lease only the kinds with work due: a lease is a
                # write transaction, even when it finds nothing.
                dues = self.plane.store.next_due_by_kind()
                now = datetime.now(UTC)
                due = [kind for kind, at in dues.items() if at <= now]
                if due and self._claim(due):
                    continue  # more may be due
                later = [at for at in dues.values() if at > now]
                wait = min(later).timestamp() - now.timestamp() if later else self.idle_poll
            except Exception:  # the database may be briefly unavailable: try again soon
                log.exception("dispatcher: could not lease work")
                self._stop.wait(1.0)
                continue
            self._event.wait(min(self.idle_poll, wait))

    def _claim(self, kinds: list[str]) -> int:
        """Lease what is due of `kinds`; the number leased (0 when another replica was quicker)."""
        count = 0
        for protocol in (self.plane.negotiations, self.plane.transfers):
            if protocol.kind not in kinds:
                continue
            free = self.workers * 2
            processes = self.plane.store.claim_due(protocol.kind, self.owner, self.lease_seconds, limit=free)
            for process in processes:
                self._busy.acquire()
                assert self._pool is not None
                self._pool.submit(self._run, protocol, process)
            count += len(processes)
        return count

    def _run(self, protocol: ProcessProtocol, process: Any) -> None:
        try:
            self.send(protocol, process)
        except Exception:
            log.exception("dispatcher: unexpected error on %s %s", protocol.kind, process.id)
            self.plane.store.reschedule(protocol.kind, process.id, self.owner, "internal error",
                                        retry_count=process.retry_count, base_delay=self.base_delay,
                                        max_delay=self.max_delay)
        finally:
            self._busy.release()
            self.wake()

    # -- one message ------------------------------------------------------------------------------------------------------
    def send(self, protocol: ProcessProtocol, process: Any) -> None:
        store = self.plane.store
        built = protocol.outgoing(process)
        if built is None:  # nothing to send (e.g. terminating before the counterparty knows the process)
            protocol.give_up(process, "no counterparty process to notify")
            store.release(protocol.kind, process.id, self.owner)
            return
        url, doc = built
        try:
            response = self._client.post(url, json=doc, auth=self._auth(process),
                                         headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            self._retry(protocol, process, f"{type(exc).__name__}: {exc}")
            return
        if response.is_success:
            self.sent += 1
            try:
                body = response.json() if response.content else None
            except ValueError:
                body = None
            if not protocol.delivered(process, body, self.owner):
                store.release(protocol.kind, process.id, self.owner)
            return
        detail = f"HTTP {response.status_code} from {url}: {response.text[:300]}"
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            self._retry(protocol, process, detail)
            return
        self.failures += 1
        protocol.give_up(process, detail)
        store.release(protocol.kind, process.id, self.owner)

    def _retry(self, protocol: ProcessProtocol, process: Any, detail: str) -> None:
        if process.retry_count + 1 >= self.max_attempts:
            self.failures += 1
            protocol.give_up(process, f"{detail} (after {process.retry_count + 1} attempts)")
            self.plane.store.release(protocol.kind, process.id, self.owner)
            return
        self.retries += 1
        log.info("%s %s: %s not delivered (%s), retrying", protocol.kind, process.id, process.intent, detail,
                 extra={"process_id": process.id})
        self.plane.store.reschedule(protocol.kind, process.id, self.owner, detail, retry_count=process.retry_count,
                                    base_delay=self.base_delay, max_delay=self.max_delay)

    def _auth(self, process: Any) -> httpx.Auth | None:
        issuer = self.plane.token_issuer
        if issuer is None:
            return None
        return DspAuth(issuer, process.counterparty_did)
