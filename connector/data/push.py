"""HTTP push (`HttpData-PUSH`): the provider delivers a transfer's data to the endpoint the consumer named in its
TransferRequestMessage (`connector.data.address`), then completes the transfer.

The EDC shape (design/STYLE.md): the work is a row of `data_pushes`, put to `pending` when the transfer enters
STARTED — by the transfer protocol's hook, and by a sweep of the STARTED push transfers at start-up and every
`sweep_every` seconds, so that a crash between the two loses nothing. A worker (its own thread and event loop)
leases due rows; for each it reads the transfer (still STARTED?), the consumer's address and the dataset's source,
asks the `Enforcer` (the agreement evaluated now; the use counted once per round, not once per retry; the decision
audited as `data.access`, channel `push`), then streams the data with flat memory — the bytes as stored, or clipped
GeoJSON under a territorial restriction (`connector.data.delivery`); a folder file by file to `<endpoint>/<name>` —
with `POST` or `PUT` and the consumer's authentication. While it streams, a watchdog checks every `recheck` seconds
that the transfer is still STARTED and that the agreement still permits the use, and renews the lease.

Outcomes: every file answered 2xx → `data.pushed` audited (bytes, SHA-256), then a TransferCompletionMessage (the
transfer is COMPLETED); a network error, 408, 425, 429 or 5xx → retried with exponential backoff (`Retry-After`
honoured up to `max_delay`), at most `max_attempts` attempts; any other answer, or the attempts spent →
`data.push-failed` audited and the transfer terminated with the reason; a policy refusal → `data.refused` (written by
the Enforcer) and the transfer terminated with the engine's explanation; the transfer leaving STARTED → the push
stops at once (on this replica) or within `recheck` seconds (another one), and starts again from the beginning if
the transfer is resumed (`round` + 1).

Destinations: HTTPS; plain HTTP only to a loopback host in development mode. A host that resolves to a loopback,
private, link-local or otherwise non-public address is refused (loopback allowed in development mode, private
networks with `allow_private`), and redirects are not followed: a consumer cannot make the provider's connector call
the provider's own internal services."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from connector.identity.did import is_loopback
from connector.store import ConcurrentUpdate
from connector.store.schema import DataPush, Transfer

from .address import AddressError, PushTarget, push_target
from .delivery import Payload, access_headers, is_raster, payload
from .enforce import Access, AccessDenied, Enforcer
from .errors import DataSourceError
from .sources import parse_source

log = logging.getLogger("jnt.data.push")

PENDING, DONE, FAILED, INTERRUPTED = "pending", "done", "failed", "interrupted"
STARTED = "STARTED"
RETRYABLE = frozenset({408, 425, 429})
MAX_FILES = 10_000
_ROWS = DataPush.__table__


class _Outcome(Exception):
    """How an attempt ended, when it did not deliver."""


class _Retry(_Outcome):
    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail, self.retry_after = detail, retry_after


class _Fail(_Outcome):
    def __init__(self, code: str, fr: str, en: str, *, audited: bool = False) -> None:
        super().__init__(f"{code}: {en}")
        self.code, self.fr, self.en, self.audited = code, fr, en, audited


class _Stop(_Outcome):
    """The push must stop without an outcome of its own: the transfer left STARTED, or the work is no longer ours."""

    def __init__(self, reason: str, *, ours: bool = True) -> None:
        super().__init__(reason)
        self.reason, self.ours = reason, ours


@dataclass
class _Row:
    transfer_id: str
    round: int
    attempts: int
    counted_use: int | None


@dataclass
class _Delivered:
    bytes: int
    sha256: str
    files: int
    status: int
    target: PushTarget
    access: Access


@dataclass
class _Running:
    row: _Row
    interrupt: asyncio.Event = field(default_factory=asyncio.Event)
    access: Access | None = None
    renewed_at: float = field(default_factory=time.monotonic)


def _from(record: Any) -> _Row:
    return _Row(record.transfer_id, record.round, record.attempts, record.counted_use)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _member_url(endpoint: str, name: str) -> str:
    parts = urlsplit(endpoint)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + quote(name, safe="/")))


async def _counted(body: Payload, digest: Any, sent: list[int]) -> AsyncIterator[bytes]:
    async for chunk in body.chunks:
        digest.update(chunk)
        sent[0] += len(chunk)
        yield chunk


async def _head(response: httpx.Response, limit: int = 300) -> str:
    """The start of an answer's body, for the reason of a failure (never the whole body: it is the consumer's)."""
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= limit:
            break
    return data[:limit].decode("utf-8", "replace")


def check_transport(target: PushTarget, *, dev_mode: bool = False, allow_private: bool = False) -> None:
    """What can be said of a destination without resolving its name: HTTPS (plain HTTP only to loopback in
    development mode) and, for a literal IP address, an allowed one (`check_ip`). AddressError otherwise."""
    parts = urlsplit(target.url)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (dev_mode and is_loopback(host)):
        raise AddressError("dataAddress.endpoint", "HTTPS obligatoire pour la livraison (HTTP admis seulement en "
                                                   "boucle locale en mode développement)",
                           "HTTPS is required for delivery (HTTP is allowed only on loopback in development mode)")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    check_ip(literal, dev_mode=dev_mode, allow_private=allow_private)


def check_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, dev_mode: bool = False,
             allow_private: bool = False) -> None:
    """A delivery address must be public: loopback only in development mode, private networks only when allowed,
    never link-local (cloud metadata services), multicast, reserved or unspecified."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        allowed = dev_mode
    else:
        allowed = ip.is_global or (allow_private and ip.is_private and not (
            ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved))
    if not allowed:
        raise AddressError("dataAddress.endpoint", f"adresse de livraison non publique refusée ({ip})",
                           f"non-public delivery address refused ({ip})")


class PushService:
    """The push worker of one participant. `plane`: its `ControlPlane` (store, datasets, transfer protocol, audit,
    dispatcher to wake); `enforcer` and `base_dir` as the data plane's."""

    def __init__(self, plane: Any, enforcer: Enforcer, base_dir: Path, *, dev_mode: bool = False,
                 allow_private: bool = False, workers: int = 4, max_attempts: int = 5, base_delay: float = 0.5,
                 max_delay: float = 30.0, lease_seconds: float = 60.0, idle_poll: float = 2.0, recheck: float = 1.0,
                 sweep_every: float = 30.0, connect_timeout: float = 10.0, io_timeout: float = 60.0,
                 owner_prefix: str = "", attribution: Callable[[str], str | None] | None = None,
                 source_client: httpx.AsyncClient | None = None) -> None:
        self.plane, self.store, self.engine = plane, plane.store, plane.store.engine
        self.enforcer, self.base_dir = enforcer, base_dir
        self.dev_mode, self.allow_private = dev_mode, allow_private
        self.workers, self.max_attempts = workers, max_attempts
        self.base_delay, self.max_delay = base_delay, max_delay
        self.lease_seconds, self.idle_poll, self.recheck, self.sweep_every = lease_seconds, idle_poll, recheck, \
            sweep_every
        self.timeout = httpx.Timeout(io_timeout, connect=connect_timeout)
        self.owner_prefix = owner_prefix
        self.owner = f"{owner_prefix}/push/{uuid.uuid4()}" if owner_prefix else f"push/{uuid.uuid4()}"
        self.attribution = attribution
        self.source_client = source_client
        self.pushed = self.retries = self.failures = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._client: httpx.AsyncClient | None = None
        self._running: dict[str, _Running] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- life cycle -------------------------------------------------------------------------------------------------
    def start(self) -> PushService:
        if self._thread is None:
            self._stopping.clear()
            ready = threading.Event()
            self._thread = threading.Thread(target=lambda: asyncio.run(self._main(ready)), name="jnt-push",
                                            daemon=True)
            self._thread.start()
            ready.wait(10)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=20)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(event.set)

    # -- what the transfer protocol tells us (any thread) -------------------------------------------------------------
    def schedule(self, transfer: Any) -> None:
        """The provider transfer `transfer` (a push format) has entered STARTED: push its data (again, from the
        beginning, if it was pushed or interrupted before)."""
        now = datetime.now(UTC)
        fresh = {"state": PENDING, "attempts": 0, "counted_use": None, "next_attempt_at": now, "lease_owner": None,
                 "lease_expires_at": None, "bytes_sent": None, "last_error": None, "updated_at": now}
        for _ in range(3):
            with self.engine.begin() as connection:
                current = connection.execute(select(_ROWS.c.state, _ROWS.c.lease_owner, _ROWS.c.round).where(
                    _ROWS.c.transfer_id == transfer.id)).one_or_none()
                if current is None:
                    try:
                        with connection.begin_nested():
                            connection.execute(insert(_ROWS).values(transfer_id=transfer.id, round=1,
                                                                    created_at=now, **fresh))
                    except IntegrityError:
                        continue  # scheduled meanwhile (the sweep, another replica): read it again
                elif current.state == PENDING and current.lease_owner is None:
                    pass  # already waiting for a worker
                else:  # a new round; a worker still on the old one loses its lease and stops
                    connection.execute(update(_ROWS).where(_ROWS.c.transfer_id == transfer.id,
                                                           _ROWS.c.round == current.round)
                                       .values(round=current.round + 1, **fresh))
            break
        self.wake()

    def interrupt(self, transfer_id: str) -> None:
        """The transfer left STARTED: stop its push now if it runs here (elsewhere, the watchdog sees it)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._interrupt_here, transfer_id)

    def _interrupt_here(self, transfer_id: str) -> None:
        running = self._running.get(transfer_id)
        if running is not None:
            running.interrupt.set()

    def check_transport(self, target: PushTarget) -> None:
        check_transport(target, dev_mode=self.dev_mode, allow_private=self.allow_private)

    # -- the worker loop ---------------------------------------------------------------------------------------------
    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        ready.set()
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            self._client = client
            next_sweep = 0.0
            while not self._stopping.is_set():
                self._wake.clear()
                wait = self.idle_poll
                try:
                    if self._loop.time() >= next_sweep:
                        if self.owner_prefix and next_sweep == 0.0:  # ours from before a restart: free again
                            await asyncio.to_thread(self._release_owned)
                        await asyncio.to_thread(self.sweep)
                        next_sweep = self._loop.time() + self.sweep_every
                    free = self.workers - len(self._tasks)
                    if free > 0:
                        for row in await asyncio.to_thread(self._claim, free):
                            task = asyncio.create_task(self._push(row))
                            self._tasks.add(task)
                            task.add_done_callback(self._tasks.discard)
                        if self.workers > len(self._tasks):
                            due = await asyncio.to_thread(self._next_due)
                            if due is not None:
                                wait = min(self.idle_poll,
                                           max(0.05, (due - datetime.now(UTC)).total_seconds()))
                except Exception:  # the database may be briefly unavailable: try again soon
                    log.exception("push worker: could not lease work")
                    wait = 1.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        self._client = None

    async def _push(self, row: _Row) -> None:
        running = _Running(row)
        self._running[row.transfer_id] = running
        try:
            await self._run(row, running)
        except asyncio.CancelledError:  # shutting down: the row stays pending for the next start
            await asyncio.to_thread(self._update, row, lease_owner=None, lease_expires_at=None)
            raise
        except Exception:
            log.exception("push of transfer %s: unexpected error", row.transfer_id)
            await asyncio.to_thread(self._update, row, lease_owner=None, lease_expires_at=None,
                                    next_attempt_at=datetime.now(UTC) + timedelta(seconds=self.max_delay),
                                    last_error="internal error")
        finally:
            if self._running.get(row.transfer_id) is running:
                del self._running[row.transfer_id]
            if self._wake is not None:
                self._wake.set()

    async def _run(self, row: _Row, running: _Running) -> None:
        transfer = await asyncio.to_thread(self.store.get, "transfer", row.transfer_id)
        if transfer is None or transfer.role != "provider":
            await asyncio.to_thread(self._finish, row, FAILED, "no such provider transfer")
            return
        if transfer.state != STARTED or transfer.intent:
            await asyncio.to_thread(self._finish, row, INTERRUPTED, f"transfer {transfer.intent or transfer.state}")
            return
        attempt = asyncio.ensure_future(self._guarded(self._attempt(row, transfer, running)))
        try:
            delivered = await self._watch(row, running, attempt)
        except _Stop as stop:
            if stop.ours:
                await asyncio.to_thread(self._finish, row, INTERRUPTED, stop.reason)
            log.info("push of transfer %s stopped: %s", row.transfer_id, stop.reason)
            return
        except _Retry as retry:
            number = row.attempts + 1
            if number >= self.max_attempts:
                await self._give_up(row, transfer, running, _Fail(
                    "push-failed", f"livraison impossible après {number} tentatives : {retry.detail}",
                    f"delivery failed after {number} attempts: {retry.detail}"))
                return
            self.retries += 1
            delay = min(self.max_delay, self.base_delay * 2 ** row.attempts)
            if retry.retry_after is not None:
                delay = max(delay, min(retry.retry_after, self.max_delay))
            log.info("push of transfer %s: attempt %d failed (%s), retrying in %.1f s", row.transfer_id, number,
                     retry.detail, delay)
            await asyncio.to_thread(self._update, row, attempts=number, last_error=retry.detail[:2000],
                                    next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay), lease_owner=None,
                                    lease_expires_at=None)
            return
        except _Fail as fail:
            await self._give_up(row, transfer, running, fail)
            return
        await self._succeed(row, transfer, delivered)

    @staticmethod
    async def _guarded(attempt: Any) -> _Delivered:
        """An attempt that fails unexpectedly (a bug, a database hiccup) counts as a failed attempt: retried, and
        bounded like any other."""
        try:
            return await attempt
        except (_Outcome, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("push attempt failed unexpectedly")
            raise _Retry(f"erreur interne / internal error: {type(exc).__name__}") from None

    async def _watch(self, row: _Row, running: _Running, attempt: asyncio.Future[_Delivered]) -> _Delivered:
        """Wait for the attempt, checking every `recheck` seconds (or at once when interrupted) that it may go on."""
        try:
            while True:
                waiter = asyncio.ensure_future(running.interrupt.wait())
                try:
                    done, _ = await asyncio.wait({attempt, waiter}, timeout=self.recheck,
                                                 return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                if attempt in done:
                    return attempt.result()
                running.interrupt.clear()
                problem = await asyncio.to_thread(self._check, running)
                if problem is not None:
                    raise problem
        finally:
            if not attempt.done():
                attempt.cancel()
                await asyncio.wait({attempt})

    def _check(self, running: _Running) -> _Outcome | None:
        transfer = self.store.get("transfer", running.row.transfer_id)
        if transfer is None or transfer.state != STARTED or transfer.intent:
            state = "?" if transfer is None else transfer.intent or transfer.state
            return _Stop(f"transfer {state}")
        if running.access is not None:
            try:
                self.enforcer.recheck(running.access)
            except AccessDenied as denied:
                if denied.code == "transfer-not-started":
                    return _Stop(denied.en[0])
                return _Fail(denied.code, "; ".join(denied.fr), "; ".join(denied.en), audited=True)
        if time.monotonic() - running.renewed_at >= self.lease_seconds / 3:
            expires = datetime.now(UTC) + timedelta(seconds=self.lease_seconds)
            if not self._update(running.row, lease_expires_at=expires):
                return _Stop("lease lost (the transfer was restarted, or another replica took the work)", ours=False)
            running.renewed_at = time.monotonic()
        return None

    # -- one attempt --------------------------------------------------------------------------------------------------
    async def _attempt(self, row: _Row, transfer: Any, running: _Running) -> _Delivered:
        try:
            target = push_target(transfer.data_address)
            await self._check_destination(target)
        except AddressError as exc:
            raise _Fail("invalid-data-address", f"adresse de livraison refusée — {exc.field} : {exc.fr}",
                        f"delivery address refused — {exc.field}: {exc.en}") from None
        agreement = await asyncio.to_thread(self.store.get_agreement, transfer.agreement_id)
        dataset = await asyncio.to_thread(self.plane.datasets.get, agreement.target) if agreement else None
        if dataset is None or not dataset.data_source:
            raise _Fail("no-data-source", "le jeu de données n'est plus publié ou n'a pas de source de données",
                        "the dataset is no longer published or has no data source")
        try:
            source = parse_source(dataset.data_source, base_dir=self.base_dir, http_client=self.source_client)
        except DataSourceError as exc:
            raise self._source_outcome(dataset.id, exc) from None
        if source.is_feed:
            raise _Fail("feed-not-pushable", "un flux temps réel se lit en direct (SSE ou NDJSON), il ne se pousse "
                                             "pas", "a real-time feed is read live (SSE or NDJSON), it is not pushed")

        def listed() -> tuple[list[str | None], list[Any]]:
            names: list[str | None] = [None]
            if source.has_paths:
                names = list(source.files(MAX_FILES))
                if not names:
                    raise DataSourceError("data_source.path", "dossier vide : rien à livrer",
                                          "empty folder: nothing to deliver", 404)
            return names, [source.describe(name) for name in names]

        try:
            names, infos = await asyncio.to_thread(listed)
        except DataSourceError as exc:
            raise self._source_outcome(dataset.id, exc) from None
        try:
            access = await asyncio.to_thread(self.enforcer.authorise_push, transfer.id, use=row.counted_use,
                                             raster=any(is_raster(info) for info in infos))
        except AccessDenied as denied:
            if denied.code == "transfer-not-started":
                raise _Stop(denied.en[0]) from None
            raise _Fail(denied.code, "; ".join(denied.fr), "; ".join(denied.en), audited=True) from None
        running.access = access
        if row.counted_use is None:
            if not await asyncio.to_thread(self._update, row, counted_use=access.uses):
                raise _Stop("lease lost", ours=False)
            row.counted_use = access.uses
        attribution = self.attribution(dataset.id) if self.attribution is not None else None
        headers = {**target.headers, **access_headers(access, attribution), "X-JNT-Transfer": transfer.consumer_pid}
        digest, sent, status = hashlib.sha256(), [0], 0
        for name in names:
            url = target.url if name is None else _member_url(target.url, name)
            status = await self._send(target, url, headers, source, name, access, digest, sent, dataset.id)
        return _Delivered(sent[0], digest.hexdigest(), len(names), status, target, access)

    async def _send(self, target: PushTarget, url: str, headers: dict[str, str], source: Any, name: str | None,
                    access: Access, digest: Any, sent: list[int], dataset_id: str) -> int:
        assert self._client is not None
        try:
            body = await payload(source, name, access.area)
        except DataSourceError as exc:
            raise self._source_outcome(dataset_id, exc) from None
        request_headers = {**headers, "Content-Type": body.media_type}
        if body.length is not None:
            request_headers["Content-Length"] = str(body.length)
        shown = PushTarget(url).shown
        try:
            async with self._client.stream(target.method, url, content=_counted(body, digest, sent),
                                           headers=request_headers) as response:
                if response.is_success:
                    return response.status_code
                detail = f"HTTP {response.status_code} de/from {shown} : {await _head(response)}"
                if response.status_code >= 500 or response.status_code in RETRYABLE:
                    raise _Retry(detail, _retry_after(response))
                raise _Fail("push-refused", f"le point de livraison a refusé les données ({detail})",
                            f"the delivery endpoint refused the data ({detail})")
        except DataSourceError as exc:  # the source failed while its bytes were being sent
            raise self._source_outcome(dataset_id, exc) from None
        except httpx.HTTPError as exc:
            raise _Retry(f"{type(exc).__name__} ({shown}): {exc}") from None
        finally:
            await body.aclose()

    def _source_outcome(self, dataset_id: str, exc: DataSourceError) -> _Outcome:
        log.warning("push: dataset %s: data source: %s%s", dataset_id, exc.en,
                    f" ({exc.detail})" if exc.detail else "")
        if exc.status >= 500 and exc.field in ("upstream", "data"):
            return _Retry(f"source: {exc.en}")
        return _Fail(exc.code, f"données du fournisseur illisibles : {exc.fr}",
                     f"the provider's data cannot be read: {exc.en}")

    async def _check_destination(self, target: PushTarget) -> None:
        self.check_transport(target)
        parts = urlsplit(target.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            found = await loop.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise _Retry(f"DNS ({parts.hostname}): {exc}") from None
        for *_, sockaddr in found:
            check_ip(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), dev_mode=self.dev_mode,
                     allow_private=self.allow_private)

    # -- outcomes -----------------------------------------------------------------------------------------------------
    async def _succeed(self, row: _Row, transfer: Any, delivered: _Delivered) -> None:
        self.pushed += 1
        target, access = delivered.target, delivered.access
        self._audit("data.pushed", transfer, access.dataset_id, "permit",
                    (f"données livrées à {target.shown} : {delivered.bytes} octets, {delivered.files} fichier(s)",
                     f"data delivered to {target.shown}: {delivered.bytes} bytes, {delivered.files} file(s)"),
                    {"use": access.uses, "bytes": delivered.bytes, "sha256": delivered.sha256,
                     "files": delivered.files, "status": delivered.status, "attempts": row.attempts + 1,
                     "round": row.round, "method": target.method, "endpoint": target.shown})
        completed = await asyncio.to_thread(self._complete, transfer.id)
        await asyncio.to_thread(self._finish, row, DONE if completed else INTERRUPTED,
                                None if completed else "the transfer left STARTED before its completion",
                                delivered.bytes)
        self.plane.wake()
        log.info("push of transfer %s: %d bytes delivered to %s", transfer.id, delivered.bytes, target.shown)

    async def _give_up(self, row: _Row, transfer: Any, running: _Running, fail: _Fail) -> None:
        self.failures += 1
        if not fail.audited:
            self._audit("data.push-failed", transfer, running.access.dataset_id if running.access else None,
                        "none", (fail.fr, fail.en), {"code": fail.code, "attempts": row.attempts + 1,
                                                     "round": row.round})
        await asyncio.to_thread(self._terminate, transfer.id, fail)
        await asyncio.to_thread(self._finish, row, FAILED, f"{fail.code}: {fail.en}"[:2000])
        self.plane.wake()
        log.warning("push of transfer %s failed: %s", transfer.id, fail.en)

    def _complete(self, transfer_id: str) -> bool:
        from connector.control.errors import ProtocolError

        for _ in range(6):
            fresh = self.store.get("transfer", transfer_id)
            if fresh is None or fresh.state != STARTED or fresh.intent:
                return False
            try:
                self.plane.transfers.request_change(fresh, "complete")
                return True
            except ConcurrentUpdate:
                continue
            except ProtocolError:
                return False
        return False

    def _terminate(self, transfer_id: str, fail: _Fail) -> None:
        from connector.control.errors import ProtocolError

        for _ in range(6):
            fresh = self.store.get("transfer", transfer_id)
            if fresh is None or fresh.state in ("COMPLETED", "TERMINATED") or fresh.intent == "TERMINATING":
                return
            try:
                self.plane.transfers.terminate(fresh, [fail.fr, fail.en], code=fail.code)
                return
            except ConcurrentUpdate:
                continue
            except ProtocolError:
                return

    def _audit(self, event: str, transfer: Any, dataset_id: str | None, decision: str,
               explanation: tuple[str, str], details: dict[str, Any]) -> None:
        audit = getattr(self.plane, "audit", None)
        if audit is None:
            return
        try:
            audit.append(event, actor=transfer.counterparty_did, agreement_id=transfer.agreement_id,
                         transfer_id=transfer.id, dataset_id=dataset_id, decision=decision, explanation=explanation,
                         details={**details, "channel": "push"})
        except Exception:  # delivered (or failed) already: the failure to record it must be seen
            log.exception("push of transfer %s: audit append failed for %s", transfer.id, event)

    # -- the rows -------------------------------------------------------------------------------------------------
    def sweep(self) -> int:
        """Schedule the STARTED push transfers that have no pending push (a start committed just before a crash, a
        resume whose notice was lost). The number scheduled."""
        is_push = func.upper(Transfer.format).like("%PUSH")
        with self.engine.connect() as connection:
            started = connection.execute(select(Transfer.id).where(
                Transfer.role == "provider", Transfer.state == STARTED, Transfer.intent.is_(None), is_push)).all()
            ids = [r.id for r in started]
            states = dict(connection.execute(select(_ROWS.c.transfer_id, _ROWS.c.state).where(
                _ROWS.c.transfer_id.in_(ids))).all()) if ids else {}
        count = 0
        for transfer_id in ids:
            if states.get(transfer_id) in (None, INTERRUPTED):
                self.schedule(_Ref(transfer_id))
                count += 1
        return count

    def _claim(self, limit: int) -> list[_Row]:
        now = datetime.now(UTC)
        free = or_(_ROWS.c.lease_owner.is_(None), _ROWS.c.lease_expires_at <= now)
        due = (select(_ROWS.c.transfer_id).where(_ROWS.c.state == PENDING, _ROWS.c.next_attempt_at <= now, free)
               .order_by(_ROWS.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True))
        statement = (update(_ROWS).where(_ROWS.c.transfer_id.in_(due), free)
                     .values(lease_owner=self.owner, lease_expires_at=now + timedelta(seconds=self.lease_seconds))
                     .returning(_ROWS.c.transfer_id, _ROWS.c.round, _ROWS.c.attempts, _ROWS.c.counted_use))
        with self.engine.begin() as connection:
            return [_from(r) for r in connection.execute(statement).all()]

    def _next_due(self) -> datetime | None:
        now = datetime.now(UTC)
        with self.engine.connect() as connection:
            due = connection.execute(select(func.min(_ROWS.c.next_attempt_at)).where(
                _ROWS.c.state == PENDING,
                or_(_ROWS.c.lease_owner.is_(None), _ROWS.c.lease_expires_at <= now))).scalar()
        if due is not None and due.tzinfo is None:
            due = due.replace(tzinfo=UTC)
        return due

    def _update(self, row: _Row, **values: Any) -> bool:
        """Change our leased row of this round; False when it is no longer ours (a new round, a lost lease)."""
        with self.engine.begin() as connection:
            result = connection.execute(update(_ROWS).where(and_(
                _ROWS.c.transfer_id == row.transfer_id, _ROWS.c.round == row.round,
                _ROWS.c.lease_owner == self.owner)).values(**values, updated_at=datetime.now(UTC)))
        return result.rowcount == 1

    def _finish(self, row: _Row, state: str, error: str | None = None, bytes_sent: int | None = None) -> bool:
        values: dict[str, Any] = {"state": state, "lease_owner": None, "lease_expires_at": None,
                                  "next_attempt_at": None, "last_error": error}
        if bytes_sent is not None:
            values["bytes_sent"] = bytes_sent
        return self._update(row, **values)

    def _release_owned(self) -> int:
        with self.engine.begin() as connection:
            return connection.execute(update(_ROWS).where(
                _ROWS.c.lease_owner.startswith(self.owner_prefix + "/", autoescape=True))
                .values(lease_owner=None, lease_expires_at=None)).rowcount or 0

    def state_of(self, transfer_id: str) -> dict[str, Any] | None:
        """The push of a transfer as stored (for operators and tests): state, round, attempts, bytes, last error."""
        with self.engine.connect() as connection:
            found = connection.execute(select(_ROWS).where(_ROWS.c.transfer_id == transfer_id)).one_or_none()
        return dict(found._mapping) if found is not None else None


@dataclass
class _Ref:
    id: str
