"""The federated catalogue's index: what the crawler writes (connectors and their status, each connector's
datasets, applied incrementally) and what the query API reads (searches with facet counts, dataset records with
their parsed form). SQLite by default, PostgreSQL in production; the tables are in `catalog.federated.schema`.

A search finds the matching datasets (on SQLite, the keys the FTS5 full text and the R*Tree allow are intersected
first, as sets; on PostgreSQL, a tsvector and the bbox columns are in the one query), filters them on the facet
columns or the facet table, refines a territory's outline in Python (shapely, on the bbox candidates only), ranks
them (relevance: datasets whose title holds more of the query words first, then by title), counts the facets over
all the matches, and keeps the result for paging in a small cache keyed on the index generation, which every write
changes."""

from __future__ import annotations

import json
import re
import threading
import uuid
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Engine, bindparam, delete, func, insert, select, text, update

from catalog.dsp_parse import ParsedDataset
from catalog.geoconcepts import Registry, load_registry

from . import text as fulltext
from .connectors import Backoff, ConnectorRef, ConnectorStatus, from_iso, iso, utcnow
from .errors import CrawlError
from .facets import FACETS, FACETS_BY_NAME, MULTI_FACETS
from .query import DatasetQuery
from .records import IndexedDataset, compress, parsed_from_json, record_id
from .schema import (
    connectors_table,
    datasets_table,
    documents_table,
    facets_table,
    make_engine,
    meta_table,
    migrate,
)

FACET_LIMIT = 100
_TITLE = len(FACETS) + 1  # positions in the rows of a search's SQL
_BOX = _TITLE + 1
_SUMMARY_COLUMNS = ("title", "description", "geoconcept", "role", "dataset_type", "category", "publisher",
                    "frequency", "origin", "licence", "access_rights", "resolution_m", "scale_denominator",
                    "completeness", "mandatory_complete", "modified", "offer_count")


@dataclass(frozen=True)
class ProviderInfo:
    """The connector a record comes from, as the record shows it."""

    did: str
    name: str | None
    category: str | None
    kind: str | None
    address: str
    stale: bool
    last_success: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"did": self.did, "name": self.name, "category": self.category, "kind": self.kind,
                "address": self.address, "stale": self.stale, "last_success": iso(self.last_success)}


@dataclass
class DatasetRecord:
    """One indexed dataset: ids, provider, the indexed values (`values`: the summary columns), crawl dates, and
    the whole parsed dataset (`parsed`, decoded on first use)."""

    record_id: str
    dataset_id: str
    provider: ProviderInfo
    values: dict[str, Any]
    bbox: tuple[float, float, float, float] | None
    digest: str
    first_seen: datetime
    last_changed: datetime
    document: bytes | None = field(repr=False, default=None)  # None: read from the index on first use
    pk: int = field(repr=False, default=0)
    loader: Callable[[int], bytes] | None = field(repr=False, default=None, compare=False)

    @cached_property
    def parsed(self) -> ParsedDataset:
        blob = self.document
        if blob is None:
            if self.loader is None:
                raise LookupError(f"record {self.record_id}: document not loaded")
            blob = self.document = self.loader(self.pk)
        return parsed_from_json(json.loads(zlib.decompress(blob)))


@dataclass(frozen=True)
class FacetCount:
    value: str
    label: dict[str, str]
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label, "count": self.count}


@dataclass(frozen=True)
class SearchResult:
    query: DatasetQuery
    total: int
    records: list[DatasetRecord]
    facets: dict[str, list[FacetCount]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


@dataclass(frozen=True)
class ApplyResult:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class _Matches:
    pks: list[int]
    facets: dict[str, list[FacetCount]]


def _json_or_none(value: str | None) -> Any:
    return json.loads(value) if value else None


class FederatedIndex:
    """The index in the database at `target` (an engine or a URL), created or migrated on opening. Thread-safe:
    the crawler writes from one thread while the API reads from others."""

    def __init__(self, target: Engine | str, *, registry: Registry | None = None, cache_size: int = 32) -> None:
        self._owned = isinstance(target, str)
        self.engine = make_engine(target) if isinstance(target, str) else target
        self.registry = registry or load_registry()
        self.dialect = self.engine.dialect.name
        self._cache: OrderedDict[tuple[Any, ...], _Matches] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._labels: dict[tuple[str, Any], dict[str, str]] = {}  # facet value labels (they depend on the registry)
        migrate(self.engine)

    def close(self) -> None:
        if self._owned:
            self.engine.dispose()

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    # -- connectors -------------------------------------------------------------------------------------------------

    def sync_connectors(self, refs: Sequence[ConnectorRef], *, source: str, remove_missing: bool = True,
                        at: datetime | None = None) -> tuple[int, int, int]:
        """Make the crawled connectors those of `refs` (from `source`: `directory`, `static`...): new ones are
        added, known ones updated (address, name, category), and with `remove_missing` the others are removed
        with their datasets. Returns (added, updated, removed)."""
        now = iso(at or utcnow())
        added = updated = removed = 0
        wanted = {ref.did: ref for ref in refs}
        with self.engine.begin() as connection:
            known = {row.did: row for row in connection.execute(select(connectors_table))}
            for ref in wanted.values():
                row = known.get(ref.did)
                # A directory entry whose address could not be resolved this time keeps the last one known.
                address = ref.address.rstrip("/") or (row.address if row is not None else "")
                values = {"address": address, "name": ref.name, "category": ref.category, "kind": ref.kind,
                          "source": source}
                if row is None:
                    connection.execute(insert(connectors_table).values(did=ref.did, added_at=now, stale=False,
                                                                       consecutive_failures=0, dataset_count=0,
                                                                       **values))
                    added += 1
                elif any(getattr(row, key) != value for key, value in values.items()):
                    connection.execute(update(connectors_table).where(connectors_table.c.did == ref.did)
                                       .values(**values))
                    updated += 1
            if remove_missing:
                for did in set(known) - set(wanted):
                    self._delete_connector(connection, did)
                    removed += 1
            if added or updated or removed:
                self._bump(connection)
        return added, updated, removed

    def add_connector(self, ref: ConnectorRef, *, source: str = "manual") -> None:
        self.sync_connectors([*self._refs(), ref], source=source, remove_missing=False)

    def _refs(self) -> list[ConnectorRef]:
        return [ConnectorRef(s.did, s.address, s.name, s.category, s.kind) for s in self.connector_statuses()]

    def remove_connector(self, did: str) -> bool:
        """Forget a connector and its datasets; False if it was unknown."""
        with self.engine.begin() as connection:
            found = self._delete_connector(connection, did)
            if found:
                self._bump(connection)
        return found

    def _delete_connector(self, connection: Any, did: str) -> bool:
        pks = list(connection.execute(select(datasets_table.c.pk).where(datasets_table.c.connector_did == did))
                   .scalars())
        self._delete_datasets(connection, pks)
        return bool(connection.execute(delete(connectors_table).where(connectors_table.c.did == did)).rowcount)

    def connector_status(self, did: str) -> ConnectorStatus | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(connectors_table).where(connectors_table.c.did == did)).first()
        return None if row is None else self._status(row)

    def connector_statuses(self) -> list[ConnectorStatus]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(connectors_table).order_by(connectors_table.c.name,
                                                                        connectors_table.c.did)).all()
        return [self._status(row) for row in rows]

    @staticmethod
    def _status(row: Any) -> ConnectorStatus:
        return ConnectorStatus(
            did=row.did, address=row.address, name=row.name, category=row.category, kind=row.kind, source=row.source,
            added_at=from_iso(row.added_at), last_attempt=from_iso(row.last_attempt),  # type: ignore[arg-type]
            last_success=from_iso(row.last_success), last_error_code=row.last_error_code,
            last_error=_json_or_none(row.last_error), consecutive_failures=row.consecutive_failures or 0,
            next_attempt=from_iso(row.next_attempt), latency_ms=row.latency_ms, dataset_count=row.dataset_count or 0,
            pages=row.pages, stale=bool(row.stale), catalog_title=row.catalog_title,
            problems=_json_or_none(row.problems) or [], page_digests=tuple(_json_or_none(row.page_digests) or ()))

    def record_success(self, did: str, *, at: datetime, latency_ms: float, pages: int,
                       problems: Sequence[dict[str, Any]] | None = (), catalog_title: str | None = None,
                       page_digests: Sequence[str] | None = None) -> ConnectorStatus:
        """A crawl of `did` succeeded (its datasets were applied): failures reset, data fresh. `problems` lists
        the datasets left out (None: unchanged since the last crawl, and so are the title and page digests)."""
        with self.engine.begin() as connection:
            count = connection.execute(select(func.count()).select_from(datasets_table)
                                       .where(datasets_table.c.connector_did == did)).scalar_one()
            was_stale = connection.execute(select(connectors_table.c.stale)
                                           .where(connectors_table.c.did == did)).scalar()
            values: dict[str, Any] = {
                "last_attempt": iso(at), "last_success": iso(at), "last_error_code": None, "last_error": None,
                "consecutive_failures": 0, "next_attempt": None, "latency_ms": round(latency_ms, 1),
                "dataset_count": count, "pages": pages, "stale": False}
            if problems is not None:
                values.update(catalog_title=catalog_title,
                              problems=json.dumps(list(problems), ensure_ascii=False) if problems else None,
                              page_digests=json.dumps(list(page_digests)) if page_digests is not None else None)
            connection.execute(update(connectors_table).where(connectors_table.c.did == did).values(**values))
            if was_stale:
                self._bump(connection)
        status = self.connector_status(did)
        assert status is not None
        return status

    def record_failure(self, did: str, error: CrawlError, *, at: datetime, latency_ms: float | None,
                       backoff: Backoff) -> ConnectorStatus:
        """A crawl of `did` failed: the error is recorded, the next attempt pushed back, its datasets kept and
        marked stale."""
        with self.engine.begin() as connection:
            row = connection.execute(select(connectors_table.c.consecutive_failures, connectors_table.c.stale)
                                     .where(connectors_table.c.did == did)).first()
            if row is None:
                raise KeyError(did)
            failures = (row.consecutive_failures or 0) + 1
            connection.execute(update(connectors_table).where(connectors_table.c.did == did).values(
                last_attempt=iso(at), last_error_code=error.code,
                last_error=json.dumps(error.to_json(), ensure_ascii=False), consecutive_failures=failures,
                next_attempt=iso(backoff.next_attempt(failures, at)),
                latency_ms=None if latency_ms is None else round(latency_ms, 1), stale=True))
            if not row.stale:
                self._bump(connection)
        status = self.connector_status(did)
        assert status is not None
        return status

    # -- datasets: writing ------------------------------------------------------------------------------------------

    def digests(self, did: str) -> dict[str, str]:
        """dataset IRI -> digest of what is indexed for the connector `did`."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(datasets_table.c.dataset_id, datasets_table.c.digest)
                                      .where(datasets_table.c.connector_did == did))
            return {row.dataset_id: row.digest for row in rows}

    def apply(self, did: str, entries: Sequence[IndexedDataset], keep: Collection[str] | None = None, *,
              at: datetime | None = None) -> ApplyResult:
        """Write a crawl of connector `did`: `entries` (new or changed datasets) are inserted or replaced; the
        connector's other datasets stay if their IRI is in `keep` (seen unchanged) and are removed otherwise
        (`keep=None`: `entries` is the whole catalogue). One transaction."""
        now = iso(at or utcnow())
        assert now is not None
        with self.engine.connect() as connection:
            provider = connection.execute(select(connectors_table.c.name).where(connectors_table.c.did == did)).first()
        if provider is None:
            raise KeyError(f"unknown connector {did}: add it first (sync_connectors)")
        with self.engine.begin() as connection:
            existing: dict[str, int] = {}
            digests: dict[str, str] = {}
            for row in connection.execute(select(datasets_table.c.dataset_id, datasets_table.c.pk,
                                                 datasets_table.c.digest).where(datasets_table.c.connector_did == did)):
                existing[row.dataset_id] = row.pk
                digests[row.dataset_id] = row.digest
            by_id = {entry.dataset_id: entry for entry in entries}  # the last of duplicates wins
            new = [e for i, e in by_id.items() if i not in existing]
            changed = [(existing[i], e) for i, e in by_id.items() if i in existing and digests[i] != e.digest]
            kept = set(by_id) | (set(keep) if keep is not None else set())
            gone = [pk for dataset_id, pk in existing.items() if dataset_id not in kept]
            self._delete_datasets(connection, gone)
            if changed:
                self._update_datasets(connection, changed, now)
            if new:
                self._insert_datasets(connection, did, new, now)
            result = ApplyResult(added=len(new), updated=len(changed), removed=len(gone),
                                 unchanged=len(existing) - len(changed) - len(gone))
            if result.changed:
                self._bump(connection)
        return result

    def _row(self, entry: IndexedDataset) -> dict[str, Any]:
        bbox = entry.bbox
        row = dict(entry.columns)
        row["digest"] = entry.digest
        row["minx"], row["miny"], row["maxx"], row["maxy"] = bbox if bbox else (None, None, None, None)
        for facet in MULTI_FACETS:
            values = entry.multi.get(facet.name, ())
            row[f"m_{facet.name}"] = "\n".join(values) if values else None
        if not self.sqlite:
            row["title_norm"], row["body_norm"] = entry.title_text, entry.body_text
        return row

    def _insert_datasets(self, connection: Any, did: str, entries: Sequence[IndexedDataset], now: str) -> None:
        rows = []
        for entry in entries:
            row = self._row(entry)
            row.update(record_id=record_id(did, entry.dataset_id), connector_did=did, dataset_id=entry.dataset_id,
                       first_seen=now, last_changed=now)
            rows.append(row)
        connection.execute(insert(datasets_table), rows)
        # The new rows' keys, read back in one query (RETURNING with many rows is one statement per row on SQLite).
        pks = dict(connection.execute(select(datasets_table.c.dataset_id, datasets_table.c.pk)
                                      .where(datasets_table.c.connector_did == did)).all())
        self._write_side_tables(connection, [(pks[entry.dataset_id], entry) for entry in entries])

    def _update_datasets(self, connection: Any, changed: Sequence[tuple[int, IndexedDataset]], now: str) -> None:
        rows = []
        for pk, entry in changed:
            row = self._row(entry)
            row.update(b_pk=pk, last_changed=now)
            rows.append(row)
        columns = {key: bindparam(key) for key in rows[0] if key != "b_pk"}
        connection.execute(update(datasets_table).where(datasets_table.c.pk == bindparam("b_pk")).values(**columns),
                           rows)
        self._delete_side_tables(connection, [pk for pk, _ in changed])
        self._write_side_tables(connection, list(changed))

    def _write_side_tables(self, connection: Any, rows: Sequence[tuple[int, IndexedDataset]]) -> None:
        connection.execute(insert(documents_table), [{"dataset_pk": pk, "document": e.blob or compress(e.document)}
                                                     for pk, e in rows])
        facets = [{"dataset_pk": pk, "name": name, "value": value}
                  for pk, entry in rows for name, values in entry.multi.items() for value in values]
        if facets:
            connection.execute(insert(facets_table), facets)
        if self.sqlite:
            connection.execute(text("INSERT INTO fc_fts(rowid, title, body) VALUES (:pk, :title, :body)"),
                               [{"pk": pk, "title": e.title_text, "body": e.body_text} for pk, e in rows])
            boxes = [{"pk": pk, "minx": e.bbox[0], "miny": e.bbox[1], "maxx": e.bbox[2], "maxy": e.bbox[3]}
                     for pk, e in rows if e.bbox]
            if boxes:
                connection.execute(text("INSERT INTO fc_bbox(id, minx, maxx, miny, maxy) "
                                        "VALUES (:pk, :minx, :maxx, :miny, :maxy)"), boxes)

    def _delete_side_tables(self, connection: Any, pks: Sequence[int]) -> None:
        if not pks:
            return
        params = [{"pk": pk} for pk in pks]
        connection.execute(delete(facets_table).where(facets_table.c.dataset_pk == bindparam("pk")), params)
        connection.execute(delete(documents_table).where(documents_table.c.dataset_pk == bindparam("pk")), params)
        if self.sqlite:
            connection.execute(text("DELETE FROM fc_fts WHERE rowid = :pk"), params)
            connection.execute(text("DELETE FROM fc_bbox WHERE id = :pk"), params)

    def _delete_datasets(self, connection: Any, pks: Sequence[int]) -> None:
        if not pks:
            return
        self._delete_side_tables(connection, pks)
        connection.execute(delete(datasets_table).where(datasets_table.c.pk == bindparam("pk")),
                           [{"pk": pk} for pk in pks])

    @staticmethod
    def _bump(connection: Any) -> None:
        connection.execute(update(meta_table).where(meta_table.c.key == "generation").values(value=uuid.uuid4().hex))

    def generation(self) -> str:
        """Changes with every write that changes what a search may answer."""
        with self.engine.connect() as connection:
            return self._generation(connection)

    @staticmethod
    def _generation(connection: Any) -> str:
        return connection.execute(select(meta_table.c.value).where(meta_table.c.key == "generation")).scalar_one()

    # -- datasets: reading ------------------------------------------------------------------------------------------

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(datasets_table)).scalar_one()

    def get(self, ref: str) -> DatasetRecord | None:
        """The record with id `ref` (`ds-…`), or else the first record (by provider DID) of the dataset IRI
        `ref`."""
        records = self._records(datasets_table.c.record_id == ref)
        if not records:
            records = self.records_for(ref)
        return records[0] if records else None

    def records_for(self, dataset_id: str) -> list[DatasetRecord]:
        """Every record of the dataset IRI (one per connector that publishes it)."""
        return self._records(datasets_table.c.dataset_id == dataset_id)

    def parsed(self, ref: str) -> ParsedDataset | None:
        record = self.get(ref)
        return None if record is None else record.parsed

    def iter_records(self, *, batch: int = 500, connector_did: str | None = None) -> Iterator[DatasetRecord]:
        """Every record, by primary key, `batch` at a time (for exports)."""
        last = 0
        while True:
            condition = datasets_table.c.pk > last
            if connector_did is not None:
                condition = condition & (datasets_table.c.connector_did == connector_did)
            with self.engine.connect() as connection:
                pks = list(connection.execute(select(datasets_table.c.pk).where(condition)
                                              .order_by(datasets_table.c.pk).limit(batch)).scalars())
            if not pks:
                return
            yield from self._records_by_pk(pks)
            last = pks[-1]

    def _records(self, condition: Any) -> list[DatasetRecord]:
        with self.engine.connect() as connection:
            pks = list(connection.execute(select(datasets_table.c.pk).where(condition)
                                          .order_by(datasets_table.c.connector_did)).scalars())
        return self._records_by_pk(pks)

    def _document(self, pk: int) -> bytes:
        with self.engine.connect() as connection:
            return connection.execute(select(documents_table.c.document)
                                      .where(documents_table.c.dataset_pk == pk)).scalar_one()

    def _records_by_pk(self, pks: Sequence[int], *, documents: bool = True) -> list[DatasetRecord]:
        """The records of `pks`, in that order; without `documents`, each parsed form is read when first used."""
        if not pks:
            return []
        d, c, doc = datasets_table, connectors_table, documents_table
        query = (select(d.c.pk, d.c.record_id, d.c.dataset_id, d.c.digest, d.c.first_seen, d.c.last_changed,
                        d.c.minx, d.c.miny, d.c.maxx, d.c.maxy,
                        *(d.c[name] for name in _SUMMARY_COLUMNS), d.c.connector_did,
                        c.c.name.label("c_name"), c.c.category.label("c_category"), c.c.kind.label("c_kind"),
                        c.c.address.label("c_address"), c.c.stale.label("c_stale"),
                        c.c.last_success.label("c_last_success"))
                 .join(c, c.c.did == d.c.connector_did).where(d.c.pk.in_(list(pks))))
        if documents:
            query = query.add_columns(doc.c.document).join(doc, doc.c.dataset_pk == d.c.pk)
        with self.engine.connect() as connection:
            rows = {row.pk: row for row in connection.execute(query)}
        records = []
        for pk in pks:
            row = rows.get(pk)
            if row is None:
                continue
            provider = ProviderInfo(did=row.connector_did, name=row.c_name, category=row.c_category, kind=row.c_kind,
                                    address=row.c_address, stale=bool(row.c_stale),
                                    last_success=from_iso(row.c_last_success))
            bbox = (row.minx, row.miny, row.maxx, row.maxy) if row.minx is not None else None
            records.append(DatasetRecord(
                record_id=row.record_id, dataset_id=row.dataset_id, provider=provider,
                values={name: getattr(row, name) for name in _SUMMARY_COLUMNS}, bbox=bbox, digest=row.digest,
                first_seen=from_iso(row.first_seen), last_changed=from_iso(row.last_changed),  # type: ignore[arg-type]
                document=row.document if documents else None, pk=row.pk, loader=self._document))
        return records

    def search(self, query: DatasetQuery) -> SearchResult:
        """The page of datasets matching `query`, their total and (with `query.with_facets`) the facet counts
        over all the matches."""
        with self.engine.connect() as connection:
            key = (self._generation(connection), query.signature())
            with self._lock:
                matches = self._cache.get(key)
                if matches is not None:
                    self._cache.move_to_end(key)
            if matches is None:
                matches = self._match(connection, query)
                with self._lock:
                    self._cache[key] = matches
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        start = (query.page - 1) * query.per_page
        page = matches.pks[start:start + query.per_page]
        return SearchResult(query=query, total=len(matches.pks), records=self._records_by_pk(page, documents=False),
                            facets=matches.facets if query.with_facets else {})

    def facet_counts(self, query: DatasetQuery | None = None) -> dict[str, list[FacetCount]]:
        """The facet counts of the datasets `query` matches (all datasets by default)."""
        return self.search(query or DatasetQuery(per_page=1)).facets

    def _match(self, connection: Any, query: DatasetQuery) -> _Matches:
        candidates = self._candidates(connection, query) if self.sqlite else None
        if candidates is not None and not candidates:
            return _Matches(pks=[], facets=self._count(connection, []))
        sql, params = self._sql(query, candidates)
        if self.sqlite:  # the DB-API cursor directly: SQLAlchemy's row objects cost more than the query
            rows = connection.connection.driver_connection.execute(sql, params).fetchall()
        else:
            rows = [tuple(row) for row in connection.execute(text(sql), params)]
        title, box = _TITLE, _BOX
        if query.area is not None and rows:
            boxes = shapely.box(*(np.array([row[box + i] for row in rows], dtype=float) for i in range(4)))
            shapely.prepare(query.area)
            inside = shapely.intersects(query.area, boxes)
            rows = [row for row, keep in zip(rows, inside, strict=True) if keep]
        if query.sort == "relevance":
            patterns = [re.compile(f"(?:^| ){re.escape(term)}") for term in query.terms]
            rows.sort(key=lambda row: (-_title_hits(row[title], patterns), row[title] is None, row[title] or "",
                                       row[0]))
        return _Matches(pks=[row[0] for row in rows], facets=self._count(connection, rows))

    @staticmethod
    def _candidates(connection: Any, query: DatasetQuery) -> set[int] | None:
        """SQLite: the datasets the full text and the R*Tree allow, as sets of keys intersected in Python — much
        faster than letting SQLite join two virtual tables row by row. None when neither applies."""
        raw = connection.connection.driver_connection
        found: set[int] | None = None
        if query.bbox is not None:
            minx, miny, maxx, maxy = query.bbox
            found = {pk for (pk,) in raw.execute(
                "SELECT id FROM fc_bbox WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?",
                (maxx, minx, maxy, miny))}
        if query.terms and (found is None or found):
            matched = {pk for (pk,) in raw.execute("SELECT rowid FROM fc_fts WHERE fc_fts MATCH ?",
                                                   (fulltext.fts5_match(query.terms),))}
            found = matched if found is None else found & matched
        return found

    def _sql(self, query: DatasetQuery, candidates: set[int] | None = None) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        where: list[str] = []

        def placeholders(prefix: str, values: Sequence[Any]) -> str:
            names = []
            for i, value in enumerate(values):
                params[f"{prefix}{i}"] = value
                names.append(f":{prefix}{i}")
            return ", ".join(names)

        if candidates is not None:  # SQLite: full text and R*Tree already applied
            where.append(f"d.pk IN ({', '.join(map(str, sorted(candidates)))})")
        elif query.terms:
            params["q"] = fulltext.tsquery(query.terms)
            where.append("d.search_vector @@ to_tsquery('simple', :q)")
        if query.bbox is not None:  # exact (the R*Tree stores 32-bit floats, rounded outwards)
            params.update(zip(("bminx", "bminy", "bmaxx", "bmaxy"), query.bbox, strict=True))
            where.append("d.minx <= :bmaxx AND d.maxx >= :bminx AND d.miny <= :bmaxy AND d.maxy >= :bminy")
        if query.geoconcepts:
            where.append(f"d.geoconcept IN ({placeholders('gc', query.geoconcepts)})")
        if query.use_case_geoconcepts:
            where.append(f"d.geoconcept IN ({placeholders('uc', query.use_case_geoconcepts)})")
        for n, (name, values) in enumerate(query.filters):
            facet = FACETS_BY_NAME[name]
            if facet.multi:
                params[f"fn{n}"] = name
                where.append(f"d.pk IN (SELECT dataset_pk FROM fc_facets WHERE name = :fn{n} "
                             f"AND value IN ({placeholders(f'f{n}_', values)}))")
            else:
                where.append(f"d.{facet.column} IN ({placeholders(f'f{n}_', values)})")
        if query.min_completeness is not None:
            params["min_completeness"] = query.min_completeness
            where.append("d.completeness >= :min_completeness")
        if query.max_resolution is not None:
            params["max_resolution"] = query.max_resolution
            where.append("d.resolution_m <= :max_resolution")
        if query.max_scale is not None:
            params["max_scale"] = query.max_scale
            where.append("d.scale_denominator <= :max_scale")
        if query.modified_since is not None:
            params["modified_since"] = query.modified_since
            where.append("d.modified >= :modified_since")
        if query.modified_until is not None:
            params["modified_until"] = query.modified_until
            where.append("d.modified <= :modified_until")
        if not query.include_stale:
            params["stale"] = True
            where.append("d.connector_did NOT IN (SELECT did FROM fc_connectors WHERE stale = :stale)")

        order = {
            "relevance": "d.pk",  # ranked in Python (title hits first)
            "title": "d.title_sort IS NULL, d.title_sort, d.pk",
            "modified": "d.modified IS NULL, d.modified DESC, d.pk",
            "completeness": "d.completeness IS NULL, d.completeness DESC, d.pk",
        }[query.sort]
        columns = ["d.pk", *(f"d.{f.count_column}" for f in FACETS), "d.title_sort"]  # positions: _TITLE, _BOX
        if query.area is not None:
            columns += ["d.minx", "d.miny", "d.maxx", "d.maxy"]
        sql = f"SELECT {', '.join(columns)} FROM fc_datasets d"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql + " ORDER BY " + order, params

    def _count(self, connection: Any, rows: Sequence[tuple[Any, ...]]) -> dict[str, list[FacetCount]]:
        names: dict[str, str] | None = None
        columns = list(zip(*rows, strict=False)) if rows else []
        out: dict[str, list[FacetCount]] = {}
        for index, facet in enumerate(FACETS, start=1):
            column = columns[index] if columns else ()
            if facet.multi:  # counted at C speed: one join, one split
                joined = "\n".join(filter(None, column))
                counter = Counter(joined.split("\n")) if joined else Counter()
            else:
                counter = Counter(column)
                counter.pop(None, None)
            if facet.name == "provider" and counter and names is None:
                names = dict(connection.execute(select(connectors_table.c.did, connectors_table.c.name)).all())
            values = []
            for value, count in counter.most_common(FACET_LIMIT):
                if facet.name == "provider":
                    name = (names or {}).get(value) or value
                    label = {"fr": name, "en": name}
                else:
                    label = self._labels.get((facet.name, value))
                    if label is None:
                        if len(self._labels) > 50_000:
                            self._labels.clear()
                        label = self._labels[(facet.name, value)] = facet.label(value, self.registry)
                values.append(FacetCount(value=facet.key(value), label=label, count=count))
            out[facet.name] = values
        return out


def _title_hits(title: str | None, patterns: Sequence[re.Pattern[str]]) -> int:
    """How many query terms start a word of the (normalised) title: the relevance of a match."""
    if not title:
        return 0
    return sum(1 for pattern in patterns if pattern.search(title))


def facet_definitions() -> list[dict[str, Any]]:
    """The facets the API offers, with their criterion and labels."""
    return [facet.describe() for facet in FACETS]


__all__ = ["ApplyResult", "DatasetRecord", "FacetCount", "FederatedIndex", "ProviderInfo", "SearchResult",
           "facet_definitions"]
