"""Backup and restore of a participant (connector, federated catalogue or trust authority): its database, its
identity (DID, keys — still encrypted with the key passphrase — and membership credential) and its configuration,
in one `.tar.gz` archive.

The database is dumped *logically*, table by table, as JSON lines read in one snapshot transaction (repeatable
read on PostgreSQL, a read transaction in WAL mode on SQLite): the same archive restores into SQLite or
PostgreSQL, and a restore goes through the schema's own rules — the audit log's triggers accept the records only
if they still form the hash chain, so a tampered archive cannot slip a forged record in. Values keep their types
(datetimes as UTC ISO 8601, bytes as base64), tagged so nothing is guessed on the way back.

Archive layout::

    manifest.json          format, creation time, participant DID, schema revision, tables and row counts,
                           SHA-256 of every other member
    database/<table>.jsonl one JSON object per row
    identity/...           identity.json, credential.jwt, keys/ (manifest and encrypted PEM files)
    config/settings.json   the settings in force, secrets left out (their names listed)
    data/sources/..., data/received/...   only with `include_data`

A restore refuses a target that already holds a participant or data, checks every member's digest first, inserts
every row in one transaction (all or nothing) and only then puts the identity files in place."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.engine import Connection, Engine

from connector.identity.storage import make_engine
from connector.store.migrate import current_revision, upgrade

FORMAT = "jnt-backup/1"
IDENTITY_FILES = ("identity.json", "credential.jwt")
KEYS_DIR = "keys"
SKIPPED_TABLES = frozenset({"alembic_version"})
# Rows the schema creates itself and that a restore updates rather than inserts (the audit log's head).
SINGLETONS = {"audit_head": ("id",)}
BATCH = 500
# Settings that are not SecretStr but must not be shown or archived either (password hashes).
SECRET_SETTINGS = frozenset({"console_users"})


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason in French and English."""

    def __init__(self, code: str, fr: str, en: str) -> None:
        super().__init__(en)
        self.code, self.fr, self.en = code, fr, en


@dataclass
class BackupReport:
    archive: Path
    did: str | None
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"archive": str(self.archive), "did": self.did, "revision": self.revision, "tables": self.tables,
                "files": self.files, "rows": sum(self.tables.values())}


# -- values ------------------------------------------------------------------------------------------------------------

def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$datetime": aware.astimezone(UTC).isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith("$"):
        return {"$json": value}  # a JSON value that looks like a tag stays a JSON value
    return value


def _decode(value: Any, sqlite: bool) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, inner), = value.items()
        if tag == "$datetime":
            parsed = datetime.fromisoformat(inner)
            return parsed.astimezone(UTC).replace(tzinfo=None) if sqlite else parsed
        if tag == "$date":
            return date.fromisoformat(inner)
        if tag == "$bytes":
            return base64.b64decode(inner)
        if tag == "$decimal":
            return Decimal(inner)
        if tag == "$json":
            return inner
    return value


# -- backup ------------------------------------------------------------------------------------------------------------

def _snapshot(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    else:
        connection.exec_driver_sql("BEGIN")  # WAL: a read transaction sees one snapshot


def _tables(connection: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def _rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(stream_results=True).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield {key: _encode(value) for key, value in row.items()}


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, digests: dict[str, str]) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))
    digests[name] = hashlib.sha256(data).hexdigest()


def _add_tree(archive: tarfile.TarFile, root: Path, prefix: str, digests: dict[str, str]) -> int:
    count = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        _add_bytes(archive, f"{prefix}/{path.relative_to(root).as_posix()}", path.read_bytes(), digests)
        count += 1
    return count


def public_settings(settings: Any) -> dict[str, Any]:
    """The settings in force as JSON, secrets left out (listed by name)."""
    values: dict[str, Any] = {}
    secrets: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value") or name in SECRET_SETTINGS:
            if value is not None:
                secrets.append(name)
            continue
        if isinstance(value, str) and "://" in value and "@" in value:
            value = _without_password(value)
        values[name] = str(value) if isinstance(value, Path) else value
    return {"settings": values, "secrets_not_included": sorted(secrets)}


def _without_password(url: str) -> str:
    """A URL with its password masked (a database URL may carry one)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a database URL: mask whatever sits between ':' and '@' after the scheme
        scheme, _, rest = url.partition("://")
        credentials, at, host = rest.partition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***{at}{host}" if ":" in credentials else url


def create_backup(settings: Any, archive: Path, *, service: str = "connector", include_data: bool = False,
                  database_url: str | None = None) -> BackupReport:
    """Write the backup of the participant (a `service`: connector, authority, catalogue) whose data directory and
    database `settings` name to `archive`."""
    data_dir = Path(settings.data_dir)
    url = database_url or settings.effective_database_url()
    if not (data_dir / "identity.json").exists() and not (data_dir / KEYS_DIR).is_dir():
        raise BackupError("no-participant", f"aucun participant dans {data_dir} (ni identity.json ni keys/)",
                          f"no participant in {data_dir} (neither identity.json nor keys/)")
    engine = make_engine(url)
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    digests: dict[str, str] = {}
    report = BackupReport(archive=archive, did=None, revision=None)
    try:
        identity = data_dir / "identity.json"
        if identity.exists():
            report.did = json.loads(identity.read_text(encoding="utf-8")).get("did")
        with tarfile.open(partial, "w:gz") as out, engine.connect() as connection:
            _snapshot(connection)
            report.revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                if "alembic_version" in _table_names(connection) else None
            for table in _tables(connection):
                buffer = io.BytesIO()
                count = 0
                for row in _rows(connection, table):
                    buffer.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
                    buffer.write(b"\n")
                    count += 1
                _add_bytes(out, f"database/{table.name}.jsonl", buffer.getvalue(), digests)
                report.tables[table.name] = count
            connection.rollback()
            for name in IDENTITY_FILES:
                if (data_dir / name).exists():
                    _add_bytes(out, f"identity/{name}", (data_dir / name).read_bytes(), digests)
                    report.files += 1
            if (data_dir / KEYS_DIR).is_dir():
                report.files += _add_tree(out, data_dir / KEYS_DIR, f"identity/{KEYS_DIR}", digests)
            _add_bytes(out, "config/settings.json",
                       json.dumps(public_settings(settings), ensure_ascii=False, indent=2, default=str).encode(),
                       digests)
            if include_data:
                for kind, root in (("sources", settings.effective_sources_dir()),
                                   ("received", settings.effective_received_dir())):
                    if Path(root).is_dir():
                        report.files += _add_tree(out, Path(root), f"data/{kind}", digests)
            manifest = {"format": FORMAT, "service": service, "created": datetime.now(UTC).isoformat(),
                        "did": report.did,
                        "revision": report.revision, "backend": engine.dialect.name, "tables": report.tables,
                        "include_data": include_data, "sha256": digests}
            _add_bytes(out, "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"), {})
        partial.replace(archive)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    return report


def _table_names(connection: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(connection).get_table_names())


# -- restore -----------------------------------------------------------------------------------------------------------

def _read_archive(archive: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    try:
        with tarfile.open(archive, "r:gz") as source:
            members: dict[str, bytes] = {}
            for member in source.getmembers():
                if not member.isfile():
                    continue
                name = member.name
                if name.startswith("/") or ".." in Path(name).parts:
                    raise BackupError("unsafe-path", f"chemin refusé dans l'archive : {name}",
                                      f"unsafe path in the archive: {name}")
                handle = source.extractfile(member)
                members[name] = handle.read() if handle is not None else b""
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError("unreadable", f"archive illisible : {exc}", f"unreadable archive: {exc}") from exc
    if "manifest.json" not in members:
        raise BackupError("no-manifest", "archive sans manifest.json : ce n'est pas une sauvegarde JNT",
                          "no manifest.json in the archive: not a JNT backup")
    manifest = json.loads(members.pop("manifest.json"))
    if manifest.get("format") != FORMAT:
        raise BackupError("format", f"format de sauvegarde inconnu : {manifest.get('format')!r} (attendu {FORMAT})",
                          f"unknown backup format: {manifest.get('format')!r} (expected {FORMAT})")
    expected = manifest.get("sha256", {})
    for name, data in members.items():
        if expected.get(name) != hashlib.sha256(data).hexdigest():
            raise BackupError("digest", f"fichier altéré ou inattendu dans l'archive : {name}",
                              f"altered or unexpected file in the archive: {name}")
    missing = sorted(set(expected) - set(members))
    if missing:
        raise BackupError("missing", f"fichiers manquants dans l'archive : {', '.join(missing)}",
                          f"files missing from the archive: {', '.join(missing)}")
    return manifest, members


def _check_empty_target(data_dir: Path, engine: Engine) -> None:
    if (data_dir / "identity.json").exists() or (data_dir / KEYS_DIR).exists():
        raise BackupError("target-not-empty", f"{data_dir} contient déjà un participant : restaurer dans un "
                          "répertoire neuf", f"{data_dir} already holds a participant: restore into a new directory")
    with engine.connect() as connection:
        for table in _tables(connection):
            if table.name in SINGLETONS:
                continue
            if connection.execute(select(table).limit(1)).first() is not None:
                raise BackupError("database-not-empty", f"la base cible contient déjà des données (table "
                                  f"{table.name}) : restaurer dans une base neuve",
                                  f"the target database already holds data (table {table.name}): restore into "
                                  "a new database")


def restore_backup(archive: Path, settings: Any, *, database_url: str | None = None,
                   prepare: Callable[[Engine, dict[str, Any]], None] | None = None) -> BackupReport:
    """Restore `archive` into the (new, empty) data directory and database of `settings`. The schema is the
    migrations' at the backup's revision; tables a service creates at start-up rather than by migration are
    created by `prepare(engine, manifest)` before the rows go in."""
    manifest, members = _read_archive(Path(archive))
    data_dir = Path(settings.data_dir)
    url = database_url or settings.effective_database_url()
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    report = BackupReport(archive=Path(archive), did=manifest.get("did"), revision=manifest.get("revision"))
    try:
        if report.revision is not None:
            reached = current_revision(engine)
            if reached is None:
                upgrade(engine, report.revision)  # the schema the rows were written for; newer code upgrades later
            elif reached != report.revision:
                raise BackupError("revision", f"base cible en version {reached}, la sauvegarde est en version "
                                  f"{report.revision}", f"target database at revision {reached}, the backup is at "
                                  f"revision {report.revision}")
        if prepare is not None:
            prepare(engine, manifest)
        _check_empty_target(data_dir, engine)
        sqlite = engine.dialect.name == "sqlite"
        with engine.begin() as connection:
            tables = {table.name: table for table in _tables(connection)}
            for name in manifest.get("tables", {}):
                if name not in tables:
                    raise BackupError("unknown-table", f"table {name} absente du schéma cible",
                                      f"table {name} missing from the target schema")
            ordered = [t for t in tables.values() if t.name not in SINGLETONS] + \
                [t for t in tables.values() if t.name in SINGLETONS]  # after the rows they point at
            for table in ordered:  # dependency order
                payload = members.get(f"database/{table.name}.jsonl")
                if payload is None:
                    continue
                rows = [{key: _decode(value, sqlite) for key, value in json.loads(line).items()}
                        for line in payload.decode("utf-8").splitlines() if line]
                if table.name in SINGLETONS:
                    keys = SINGLETONS[table.name]
                    for row in rows:
                        condition = [table.c[k] == row[k] for k in keys]
                        current = connection.execute(select(table).where(*condition)).mappings().first()
                        values = {k: v for k, v in row.items() if k not in keys}
                        if current is None:
                            connection.execute(table.insert(), row)
                        elif any(current[k] != v for k, v in values.items()):
                            connection.execute(table.update().where(*condition).values(**values))
                else:
                    for start in range(0, len(rows), BATCH):
                        connection.execute(table.insert(), rows[start:start + BATCH])
                report.tables[table.name] = len(rows)
            if not sqlite:
                _reset_sequences(connection, tables.values())
        report.files = _place_files(members, data_dir, settings)
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError("restore-failed", f"restauration impossible, rien n'a été écrit dans la base : {exc}",
                          f"restore failed, nothing was written to the database: {exc}") from exc
    finally:
        engine.dispose()
    return report


def _reset_sequences(connection: Connection, tables: Any) -> None:
    """PostgreSQL: move each serial column's sequence past the restored rows."""
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int
                                                 and len(table.primary_key.columns) == 1):
                sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                              {"t": table.name, "c": column.name}).scalar()
                if sequence:
                    connection.execute(text(f"SELECT setval('{sequence}', COALESCE((SELECT max({column.name}) "
                                            f"FROM {table.name}), 0) + 1, false)"))


def _place_files(members: dict[str, bytes], data_dir: Path, settings: Any) -> int:
    """Write the identity (and data) files through a staging directory, then move them into place."""
    count = 0
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    try:
        targets: list[tuple[Path, Path]] = []
        for name, data in members.items():
            if name.startswith("identity/"):
                relative, root = name.removeprefix("identity/"), data_dir
            elif name.startswith("data/sources/"):
                relative, root = name.removeprefix("data/sources/"), Path(settings.effective_sources_dir())
            elif name.startswith("data/received/"):
                relative, root = name.removeprefix("data/received/"), Path(settings.effective_received_dir())
            else:
                continue
            staged = staging / f"{count:06d}"
            staged.write_bytes(data)
            staged.chmod(0o600)
            targets.append((staged, root / relative))
            count += 1
        for staged, target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staged), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return count


def describe(archive: Path) -> dict[str, Any]:
    """The manifest of an archive, its digests checked."""
    manifest, _members = _read_archive(Path(archive))
    manifest.pop("sha256", None)
    return manifest
