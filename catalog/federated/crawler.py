"""The crawler: reads every connector's DSP catalogue (`POST {address}/catalog/request`, following `Link:
rel="next"` pages) concurrently (asyncio + httpx, at most `concurrency` connectors at once), authenticated with a
fresh self-issued token per request (`token_for(audience_did)`, injected: catalog never sees keys), and writes
what changed into the index.

Incremental: when every page of a connector's catalogue is byte for byte the page of its last good crawl (with the
same provider name and category), nothing is decoded, parsed or written. Otherwise each dataset's JSON is digested
as received; a dataset whose digest is already indexed is neither parsed nor written again, and datasets gone from
the catalogue are removed. A dataset that fails to parse keeps its previously indexed version and is listed in the
connector's status. A connector that is down, slow, answers an error, invalid JSON or a catalogue that does not
parse (or names another participant) fails as a whole: the error is recorded in its status, its last good data is
kept and marked stale, its next attempt is pushed back (exponential backoff), and the crawl goes on with the
others."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Collection, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from catalog import dsp_terms as t
from catalog.dsp_paging import parse_link_header
from catalog.dsp_parse import (
    CatalogParseError,
    ParsedCatalog,
    ParsedDataset,
    is_canonical_compact,
    parse_catalog,
)
from policies.jsonld import DSP_CONTEXT

from .connectors import Backoff, ConnectorStatus, iso, utcnow
from .errors import CrawlError
from .index import ApplyResult, FederatedIndex
from .records import IndexedDataset, digest_of, index_entry, parsed_to_json
from .sources import ConnectorSource

log = logging.getLogger("jnt.catalog.crawler")
TokenFor = Callable[[str], str]
CATALOG_REQUEST = {"@context": [DSP_CONTEXT], "@type": "CatalogRequestMessage"}
_PLACE = re.compile(r"^dataset\[(\d+)\]")


@dataclass(frozen=True)
class CrawlSettings:
    concurrency: int = 8  # connectors crawled at once
    timeout: float = 10.0  # seconds per HTTP request (connect, read...)
    connector_timeout: float = 120.0  # seconds for a whole catalogue, every page
    max_pages: int = 1000
    max_page_bytes: int = 64 * 1024 * 1024
    backoff: Backoff = field(default_factory=Backoff)


@dataclass(frozen=True)
class ConnectorOutcome:
    did: str
    ok: bool
    skipped: bool = False
    error: CrawlError | None = None
    result: ApplyResult | None = None
    latency_ms: float | None = None
    pages: int = 0
    received: int = 0  # datasets in the catalogue
    parsed: int = 0  # datasets parsed (new or changed)
    invalid: int = 0  # datasets left out because they do not parse

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"did": self.did, "ok": self.ok, "skipped": self.skipped, "pages": self.pages,
                               "received": self.received, "parsed": self.parsed, "invalid": self.invalid,
                               "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1)}
        if self.result is not None:
            out.update(added=self.result.added, updated=self.result.updated, removed=self.result.removed,
                       unchanged=self.result.unchanged)
        if self.error is not None:
            out["error"] = self.error.to_json()
        return out


@dataclass(frozen=True)
class CrawlReport:
    started: datetime
    finished: datetime
    outcomes: list[ConnectorOutcome]
    source_error: CrawlError | None = None

    @property
    def duration(self) -> float:
        return (self.finished - self.started).total_seconds()

    def _sum(self, name: str) -> int:
        return sum(getattr(o.result, name) for o in self.outcomes if o.result is not None)

    @property
    def ok(self) -> int:
        return sum(1 for o in self.outcomes if o.ok)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if not o.ok and not o.skipped)

    @property
    def skipped(self) -> int:
        return sum(1 for o in self.outcomes if o.skipped)

    def outcome(self, did: str) -> ConnectorOutcome:
        return next(o for o in self.outcomes if o.did == did)

    def to_json(self) -> dict[str, Any]:
        return {"started": iso(self.started), "finished": iso(self.finished), "duration_s": round(self.duration, 3),
                "connectors": {"ok": self.ok, "failed": self.failed, "skipped": self.skipped},
                "datasets": {name: self._sum(name) for name in ("added", "updated", "removed", "unchanged")},
                "source_error": self.source_error.to_json() if self.source_error else None,
                "outcomes": [o.to_json() for o in self.outcomes]}


class TokenAuth(httpx.Auth):
    """`Authorization: Bearer <token_for(audience)>`, a fresh token on every request (tokens are single-use)."""

    def __init__(self, token_for: TokenFor, audience: str) -> None:
        self._token_for = token_for
        self._audience = audience

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token_for(self._audience)}"
        yield request


def _same_origin(a: str, b: str) -> bool:
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme, x.netloc) == (y.scheme, y.netloc)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _flatten(catalog: ParsedCatalog) -> Iterable[ParsedDataset]:
    yield from catalog.datasets
    for child in catalog.catalogs:
        yield from _flatten(child)


def _reason(text_body: str) -> str:
    """The reasons of a DSP CatalogError body, else the start of the body."""
    try:
        doc = json.loads(text_body)
    except ValueError:
        return text_body[:300]
    if isinstance(doc, dict) and doc.get("reason"):
        return "; ".join(str(r) for r in _items(doc["reason"]))[:300]
    return text_body[:300]


class Crawler:
    """Crawls connectors into `index`. `token_for(did)` gives the bearer token for the connector `did` (None:
    unauthenticated requests, for tests and open catalogues); `transport` replaces httpx's network transport;
    `clock` gives the current time (UTC)."""

    def __init__(self, index: FederatedIndex, *, token_for: TokenFor | None = None,
                 settings: CrawlSettings | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.index = index
        self.token_for = token_for
        self.settings = settings or CrawlSettings()
        self.transport = transport
        self.clock = clock

    # -- entry points -------------------------------------------------------------------------------------------------

    def crawl_sync(self, source: ConnectorSource | None = None, *, force: bool = False,
                   only: Collection[str] | None = None) -> CrawlReport:
        """`crawl` from synchronous code (runs its own event loop)."""
        return asyncio.run(self.crawl(source, force=force, only=only))

    async def crawl(self, source: ConnectorSource | None = None, *, force: bool = False,
                    only: Collection[str] | None = None) -> CrawlReport:
        """One crawl: refresh the connector list from `source` (if given; on failure, the known connectors are
        crawled and the error reported), then crawl every connector that is due (all with `force`; only the DIDs
        of `only` if given). Never raises for a connector's failure."""
        started = self.clock()
        settings = self.settings
        limits = httpx.Limits(max_connections=settings.concurrency * 2, max_keepalive_connections=settings.concurrency)
        source_error = None
        async with httpx.AsyncClient(timeout=settings.timeout, limits=limits, transport=self.transport,
                                     follow_redirects=False,
                                     headers={"User-Agent": "jnt-federated-catalogue"}) as client:
            if source is not None:
                try:
                    refs = await source.connectors(client)
                    await asyncio.to_thread(self.index.sync_connectors, refs, source=source.name)
                except CrawlError as exc:
                    log.warning("connector list unavailable (%s): %s; crawling the known connectors", exc.code,
                                exc.en)
                    source_error = exc
            statuses = await asyncio.to_thread(self.index.connector_statuses)
            if only is not None:
                statuses = [s for s in statuses if s.did in only]
            now = self.clock()
            semaphore = asyncio.Semaphore(settings.concurrency)
            write_lock = asyncio.Lock()

            async def run(status: ConnectorStatus) -> ConnectorOutcome:
                if not force and not status.due(now):
                    return ConnectorOutcome(did=status.did, ok=False, skipped=True)
                async with semaphore:
                    return await self._crawl_one(status, client, write_lock)

            outcomes = list(await asyncio.gather(*(run(s) for s in statuses)))
        report = CrawlReport(started=started, finished=self.clock(), outcomes=outcomes, source_error=source_error)
        log.info("crawl: %d connectors ok, %d failed, %d skipped in %.2f s", report.ok, report.failed, report.skipped,
                 report.duration)
        return report

    # -- one connector ------------------------------------------------------------------------------------------------

    async def _crawl_one(self, status: ConnectorStatus, client: httpx.AsyncClient,
                         write_lock: asyncio.Lock) -> ConnectorOutcome:
        at = self.clock()
        started = time.perf_counter()
        latency: float | None = None
        try:
            if not status.address:
                raise CrawlError("no-address", "adresse DSP inconnue : ni l'annuaire ni le document DID ne la "
                                 "donnent", "unknown DSP address: neither the directory nor the DID document "
                                 "gives it")
            known_task = asyncio.create_task(asyncio.to_thread(self.index.digests, status.did))
            try:
                async with asyncio.timeout(self.settings.connector_timeout):
                    docs = await self._fetch(status, client)
            except TimeoutError:
                raise CrawlError("timeout", f"catalogue non reçu en {self.settings.connector_timeout:g} s",
                                 f"catalogue not received within {self.settings.connector_timeout:g} s") from None
            finally:
                known = await known_task
            latency = (time.perf_counter() - started) * 1000
            provider = json.dumps([status.name, status.category]).encode("utf-8")
            page_digests = [hashlib.blake2b(provider + body, digest_size=16).hexdigest() for _, body in docs]
            if tuple(page_digests) == status.page_digests:  # the very same pages as last time: nothing changed
                async with write_lock:
                    await asyncio.to_thread(self.index.record_success, status.did, at=at, latency_ms=latency,
                                            pages=len(docs), problems=None)
                return ConnectorOutcome(did=status.did, ok=True, result=ApplyResult(unchanged=status.dataset_count),
                                        latency_ms=latency, pages=len(docs), received=status.dataset_count)
            prepared = self._prepare(status, [self._decode(url, body) for url, body in docs], known)
            async with write_lock:
                result = await asyncio.to_thread(self.index.apply, status.did, prepared.entries, prepared.keep, at=at)
                await asyncio.to_thread(self.index.record_success, status.did, at=at, latency_ms=latency,
                                        pages=len(docs), problems=prepared.problems, catalog_title=prepared.title,
                                        page_digests=page_digests)
            return ConnectorOutcome(did=status.did, ok=True, result=result, latency_ms=latency, pages=len(docs),
                                    received=prepared.received, parsed=prepared.parsed,
                                    invalid=len(prepared.problems))
        except CrawlError as error:
            return await self._failed(status, error, at, latency, write_lock)
        except Exception as exc:  # a bug must not stop the crawl of the others
            log.exception("crawl of %s failed unexpectedly", status.did)
            error = CrawlError("internal", f"erreur interne : {type(exc).__name__}: {exc}",
                               f"internal error: {type(exc).__name__}: {exc}")
            return await self._failed(status, error, at, latency, write_lock)

    async def _failed(self, status: ConnectorStatus, error: CrawlError, at: datetime, latency: float | None,
                      write_lock: asyncio.Lock) -> ConnectorOutcome:
        log.info("crawl of %s failed (%s): %s", status.did, error.code, error.en)
        async with write_lock:
            await asyncio.to_thread(self.index.record_failure, status.did, error, at=at, latency_ms=latency,
                                    backoff=self.settings.backoff)
        return ConnectorOutcome(did=status.did, ok=False, error=error, latency_ms=latency)

    async def _fetch(self, status: ConnectorStatus, client: httpx.AsyncClient) -> list[tuple[str, bytes]]:
        """Every page of the connector's catalogue: (URL, body) pairs."""
        url: str | None = status.address.rstrip("/") + "/catalog/request"
        seen: set[str] = set()
        docs: list[tuple[str, bytes]] = []
        auth = TokenAuth(self.token_for, status.did) if self.token_for else None
        while url is not None:
            if len(docs) >= self.settings.max_pages:
                raise CrawlError("too-many-pages", f"plus de {self.settings.max_pages} pages",
                                 f"more than {self.settings.max_pages} pages")
            if url in seen:
                raise CrawlError("bad-link", f"le lien « next » revient à une page déjà lue : {url}",
                                 f"the 'next' link points back to a page already read: {url}")
            seen.add(url)
            body, links = await self._page(client, url, auth)
            docs.append((url, body))
            following = links.get("next")
            if following is None:
                break
            following = urljoin(url, following)
            if not _same_origin(following, status.address):
                raise CrawlError("bad-link", f"le lien « next » sort du connecteur : {following}",
                                 f"the 'next' link leaves the connector: {following}")
            url = following
        return docs

    async def _page(self, client: httpx.AsyncClient, url: str, auth: httpx.Auth | None
                    ) -> tuple[bytes, dict[str, str]]:
        limit = self.settings.max_page_bytes
        try:
            async with client.stream("POST", url, json=CATALOG_REQUEST, auth=auth,
                                     headers={"Accept": "application/json"}) as response:
                chunks = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise CrawlError("too-large", f"page de plus de {limit} octets : {url}",
                                         f"page larger than {limit} bytes: {url}")
                    chunks.append(chunk)
                content = b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise CrawlError("timeout", f"pas de réponse en {self.settings.timeout:g} s de {url} "
                             f"({type(exc).__name__})", f"no answer within {self.settings.timeout:g} s from {url} "
                             f"({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise CrawlError("unreachable", f"{url} injoignable : {type(exc).__name__}: {exc}",
                             f"cannot reach {url}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            reason = _reason(content.decode("utf-8", "replace"))
            raise CrawlError("http-status", f"HTTP {response.status_code} de {url} : {reason}",
                             f"HTTP {response.status_code} from {url}: {reason}", status=response.status_code)
        return content, parse_link_header(response.headers.get_list("link"))

    @staticmethod
    def _decode(url: str, content: bytes) -> dict[str, Any]:
        try:
            body = json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CrawlError("invalid-json", f"JSON mal formé de {url} : {exc}",
                             f"malformed JSON from {url}: {exc}") from None
        if not isinstance(body, dict):
            raise CrawlError("invalid-catalog", f"objet JSON Catalog attendu de {url}, reçu {type(body).__name__}",
                             f"a JSON Catalog object expected from {url}, got {type(body).__name__}")
        return body

    # -- from pages to index entries ----------------------------------------------------------------------------------

    def _prepare(self, status: ConnectorStatus, docs: Sequence[dict[str, Any]], known: dict[str, str]) -> _Prepared:
        """The entries to write (new or changed datasets, parsed) and the ids to keep, from the pages."""
        out = _Prepared()
        registry = self.index.registry
        provider = [status.name, status.category]
        for number, doc in enumerate(docs, start=1):
            digests: dict[str, str] = {}
            positions: list[int] = []
            if is_canonical_compact(doc) and t.CATALOG not in doc:
                nodes = _items(doc.get(t.DATASET))
                changed = []
                for position, node in enumerate(nodes):
                    uid = node.get("@id") if isinstance(node, dict) else None
                    if isinstance(uid, str) and uid:
                        uid = t.expand(uid)
                        digest = digest_of([node, provider])
                        out.keep.add(uid)
                        if known.get(uid) == digest:
                            continue
                        digests[uid] = digest
                    changed.append(node)
                    positions.append(position)
                out.received += len(nodes)
                page = dict(doc)
                page.pop(t.DATASET, None)
                if changed:
                    page[t.DATASET] = changed
            else:
                page = doc
            try:
                parsed = parse_catalog(page, strict=False)
            except CatalogParseError as exc:
                raise CrawlError("invalid-catalog", f"page {number} : catalogue DSP invalide : {exc.message('fr')}",
                                 f"page {number}: invalid DSP catalogue: {exc.message('en')}",
                                 problems=[p.message("en") for p in exc.problems]) from None
            if parsed.participant_id != status.did:
                raise CrawlError("participant-mismatch", f"le catalogue est celui de {parsed.participant_id}, pas "
                                 f"de {status.did}", f"the catalogue belongs to {parsed.participant_id}, not to "
                                 f"{status.did}")
            if number == 1:
                out.title = parsed.title
            datasets = list(_flatten(parsed))
            if page is doc:  # read through JSON-LD processing: digest the parsed form instead
                out.received += len(datasets)
            for dataset in datasets:
                out.keep.add(dataset.id)
                digest = digests.get(dataset.id)
                if digest is None:
                    digest = digest_of([parsed_to_json(dataset), provider])
                    if known.get(dataset.id) == digest:
                        continue
                out.parsed += 1
                out.entries.append(index_entry(dataset, registry=registry, provider_name=status.name,
                                               provider_category=status.category, digest=digest))
            for problem in parsed.problems:
                path = problem.path
                match = _PLACE.match(path)
                if match and page is not doc and int(match.group(1)) < len(positions):
                    path = f"dataset[{positions[int(match.group(1))]}]" + path[match.end():]
                out.problems.append({"page": number, "path": path, "code": problem.code,
                                     "message": {"fr": problem.message_fr, "en": problem.message_en}})
        return out


@dataclass
class _Prepared:
    entries: list[IndexedDataset] = field(default_factory=list)
    keep: set[str] = field(default_factory=set)
    problems: list[dict[str, Any]] = field(default_factory=list)
    title: str | None = None
    received: int = 0
    parsed: int = 0
