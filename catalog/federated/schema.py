"""The index's tables and their versioned creation, on SQLite (default: one file, WAL mode) and PostgreSQL.

* `fc_connectors` — one row per crawled connector: address, name, category, and its crawl status;
* `fc_datasets` — one row per (connector, dataset): the single-valued facet columns, sortable values, the bbox as
  four columns, the multi-valued facets joined by newlines (`m_<facet>`, for counting);
* `fc_documents` — the whole parsed dataset as zlib-compressed JSON, apart so that the rows a search reads stay
  small (many to a page);
* `fc_facets` — (dataset, facet, value) rows of the multi-valued facets, for filtering;
* SQLite only: `fc_fts`, an FTS5 table (`unicode61 remove_diacritics 2`, rowid = dataset pk) and `fc_bbox`, an
  R*Tree of the bboxes; PostgreSQL only: the generated `search_vector` column (`to_tsvector('simple', ...)` of the
  folded text) with a GIN index, and B-tree indexes on the bbox columns;
* `fc_meta` — the schema version and the index generation (bumped by every change; readers cache on it).

`migrate(engine)` brings a database to `SCHEMA_VERSION`, one numbered step at a time (each step runs once, in a
transaction, under an advisory lock on PostgreSQL so that replicas starting together do not race). A later change
adds a step to `STEPS` and updates the table definitions here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url

from .facets import MULTI_FACETS

SCHEMA_VERSION = 1
metadata = MetaData()

meta_table = Table(
    "fc_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

connectors_table = Table(
    "fc_connectors", metadata,
    Column("did", String(512), primary_key=True),
    Column("address", String(1000), nullable=False),
    Column("name", String(300)),
    Column("category", String(16)),
    Column("kind", String(100)),
    Column("source", String(16), nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("last_attempt", String(32)),
    Column("last_success", String(32)),
    Column("last_error_code", String(40)),
    Column("last_error", Text),  # JSON: CrawlError.to_json()
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("next_attempt", String(32)),
    Column("latency_ms", Float),
    Column("dataset_count", Integer, nullable=False, default=0),
    Column("pages", Integer),
    Column("stale", Boolean, nullable=False, default=False),
    Column("catalog_title", String(500)),
    Column("problems", Text),  # JSON list of the datasets left out of the last crawl, with the reason
    Column("page_digests", Text),  # JSON list: digest of each page of the last good crawl (unchanged = skip)
)

datasets_table = Table(
    "fc_datasets", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(24), nullable=False, unique=True),
    Column("connector_did", String(512), nullable=False),
    Column("dataset_id", String(1000), nullable=False),
    Column("digest", String(40), nullable=False),
    Column("title", Text),
    Column("title_sort", String(200)),
    Column("description", Text),
    Column("geoconcept", String(500), index=True),
    Column("role", String(200), index=True),
    Column("dataset_type", String(500), index=True),
    Column("category", String(16), index=True),
    Column("publisher", String(500)),
    Column("frequency", String(500), index=True),
    Column("origin", String(500), index=True),
    Column("licence", String(500), index=True),
    Column("access_rights", String(500), index=True),
    Column("resolution_m", Float, index=True),
    Column("scale_denominator", Integer, index=True),
    Column("completeness", Float),
    Column("mandatory_complete", Boolean),
    Column("modified", String(10)),
    Column("offer_count", Integer, nullable=False, default=0),
    Column("minx", Float),
    Column("miny", Float),
    Column("maxx", Float),
    Column("maxy", Float),
    *(Column(f"m_{facet.name}", Text) for facet in MULTI_FACETS),
    Column("title_norm", Text),  # PostgreSQL full text (NULL on SQLite, where fc_fts holds the text)
    Column("body_norm", Text),
    Column("first_seen", String(32), nullable=False),
    Column("last_changed", String(32), nullable=False),
    UniqueConstraint("connector_did", "dataset_id", name="fc_datasets_connector_dataset"),
)

documents_table = Table(
    "fc_documents", metadata,
    Column("dataset_pk", Integer, primary_key=True, autoincrement=False),
    Column("document", LargeBinary, nullable=False),
)

facets_table = Table(
    "fc_facets", metadata,
    Column("dataset_pk", Integer, nullable=False, index=True),
    Column("name", String(20), nullable=False),
    Column("value", String(1000), nullable=False),
    Index("fc_facets_lookup", "name", "value", "dataset_pk"),
)

_SQLITE_V1 = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS fc_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2', "
    "prefix = '2 3')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS fc_bbox USING rtree(id, minx, maxx, miny, maxy)",
)
_POSTGRES_V1 = (
    "ALTER TABLE fc_datasets ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, coalesce(title_norm, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(body_norm, '')), 'B')) STORED",
    "CREATE INDEX IF NOT EXISTS fc_datasets_search ON fc_datasets USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS fc_datasets_minx ON fc_datasets (minx)",
    "CREATE INDEX IF NOT EXISTS fc_datasets_maxx ON fc_datasets (maxx)",
    "CREATE INDEX IF NOT EXISTS fc_datasets_miny ON fc_datasets (miny)",
    "CREATE INDEX IF NOT EXISTS fc_datasets_maxy ON fc_datasets (maxy)",
)


def _step_1(connection: Connection) -> None:
    metadata.create_all(connection, tables=[connectors_table, datasets_table, documents_table, facets_table])
    statements = _SQLITE_V1 if connection.dialect.name == "sqlite" else _POSTGRES_V1
    for statement in statements:
        connection.execute(text(statement))
    connection.execute(meta_table.insert().values(key="generation", value="0"))


STEPS: tuple[tuple[int, Callable[[Connection], None]], ...] = ((1, _step_1),)


def schema_version(connection: Connection) -> int:
    row = connection.execute(select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
    return int(row[0]) if row else 0


def migrate(engine: Engine) -> int:
    """Create or upgrade the index's tables to `SCHEMA_VERSION`; returns the version reached. Refuses a database
    written by a newer version of the code."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(7707070701)"))
        meta_table.create(connection, checkfirst=True)
        version = schema_version(connection)
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"the catalogue index is at schema version {version}, newer than this code "
                               f"({SCHEMA_VERSION}): upgrade the software")
        for number, step in STEPS:
            if number > version:
                step(connection)
                version = number
        connection.execute(meta_table.delete().where(meta_table.c.key == "schema_version"))
        connection.execute(meta_table.insert().values(key="schema_version", value=str(version)))
    return version


def make_engine(url: str) -> Engine:
    """An engine for the index: SQLite in WAL mode (readers never wait for the crawler), or any other URL as is."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    return engine
