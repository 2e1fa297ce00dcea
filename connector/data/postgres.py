"""`PostgresSource`: rows of a provider's PostgreSQL database served as GeoJSON features — a table, or one SELECT
the provider wrote. With PostGIS, a `geometry` / `geography` column is turned into GeoJSON by the database
(`ST_AsGeoJSON`, reprojected to WGS 84 when it has another SRID) and a bbox is pushed down (`ST_Intersects`); without
it, the column must already hold the geometry — GeoJSON (json, jsonb or text), WKT or WKB (hex text or bytea),
taken to be WGS 84 — and a bbox filters rows on the connector's side. Other columns become properties.

The query is checked when declared — one statement, a SELECT (or WITH … SELECT), no data-modifying clause, no
row lock — and, because a check of SQL text is only a help, it always runs in a READ ONLY transaction with a
statement timeout; the database role in the URL should also be read-only. Rows are read through a server-side
cursor, a few hundred at a time: memory stays flat whatever the table size. One connection per request."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import shapely
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ._spec import SpecReader
from .base import GEOJSON, BBox, DataSource, Params, ResourceInfo, Stream, no_params, no_subresource
from .errors import DataSourceError
from .geojson import encode_feature_collection, filter_bbox

DEFAULT_TIMEOUT = 30.0
FETCH_ROWS = 500
DRIVERS = ("postgresql", "postgresql+psycopg", "postgresql+psycopg2", "postgres")
_IDENT = r"[A-Za-z_][A-Za-z0-9_$]{0,62}"
_IDENTIFIER = re.compile(rf"^{_IDENT}$")
_TABLE = re.compile(rf"^({_IDENT})(?:\.({_IDENT}))?$")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|INTO)\b", re.IGNORECASE)
_LOCKS = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_GEOJSON_COLUMN = "__jnt_geojson"


class _Unterminated(ValueError):
    def __init__(self, fr: str, en: str) -> None:
        super().__init__(en)
        self.fr, self.en = fr, en


def _ident_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _mask(sql: str) -> str:
    """`sql` with comments, string literals and quoted identifiers blanked out (same length), so that keywords and
    semicolons can be looked for in what remains."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        end = -1
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
        elif sql.startswith("/*", i):  # PostgreSQL block comments nest
            depth, j = 0, i
            while j < n:
                if sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                    if depth == 0:
                        break
                else:
                    j += 1
            if depth:
                raise _Unterminated("commentaire /* non fermé", "unterminated /* comment")
            end = j
        elif char in "'\"":
            backslashes = char == "'" and i > 0 and sql[i - 1] in "eE" and (i < 2 or not _ident_char(sql[i - 2]))
            j = i + 1
            while True:
                if j >= n:
                    raise _Unterminated("chaîne ou identifiant entre guillemets non fermé",
                                        "unterminated quoted string or identifier")
                if backslashes and sql[j] == "\\":
                    j += 2
                elif sql[j] == char:
                    if j + 1 < n and sql[j + 1] == char:
                        j += 2
                    else:
                        break
                else:
                    j += 1
            end = j + 1
        elif char == "$" and (i == 0 or not _ident_char(sql[i - 1])):
            match = _DOLLAR.match(sql, i)
            if match:
                close = sql.find(match.group(0), match.end())
                if close < 0:
                    raise _Unterminated(f"chaîne {match.group(0)} non fermée", f"unterminated {match.group(0)} string")
                end = close + len(match.group(0))
        if end >= 0:
            out.append(" " * (end - i))
            i = end
        else:
            out.append(char)
            i += 1
    return "".join(out)


def check_select(sql: str, field_name: str = "data_source.query") -> str:
    """The query without its trailing semicolon and comment, or a refusal: not one statement, not a SELECT, or a clause that
    writes (INSERT / UPDATE / DELETE / MERGE, SELECT INTO) or locks rows (FOR UPDATE / SHARE)."""
    def refuse(fr: str, en: str) -> DataSourceError:
        return DataSourceError(field_name, f"{fr} : seule une requête SELECT unique est acceptée",
                               f"{en}: only a single SELECT query is accepted")

    try:
        masked = _mask(sql)
    except _Unterminated as exc:
        raise refuse(exc.fr, exc.en) from None
    end = len(masked.rstrip())
    if end and masked[end - 1] == ";":
        end -= 1
    body = masked[:end]
    if ";" in body:
        raise refuse("plusieurs instructions (« ; »)", "several statements (';')")
    first = re.match(r"[\s(]*([A-Za-z]+)", body)
    if not first or first.group(1).upper() not in ("SELECT", "WITH"):
        word = first.group(1).upper() if first else "(vide)"
        raise refuse(f"l'instruction commence par {word}", f"the statement starts with {word}")
    if (lock := _LOCKS.search(body)) is not None:
        word = " ".join(lock.group(0).upper().split())
        raise refuse(f"verrou de lignes {word}", f"row lock {word}")
    if (write := _WRITES.search(body)) is not None:
        word = write.group(1).upper()
        raise refuse(f"clause {word} qui écrit dans la base", f"{word} clause, which writes to the database")
    return sql[:end].strip()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def _geometry(value: Any) -> dict[str, Any] | None:
    """A geometry column's value without PostGIS: GeoJSON (object or text), WKT, or WKB (hex text or bytes)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            shape = shapely.from_wkb(text) if _HEX.match(text) else shapely.from_wkt(text)
            return json.loads(shapely.to_geojson(shape))
    if isinstance(value, bytes | memoryview):
        return json.loads(shapely.to_geojson(shapely.from_wkb(bytes(value))))
    if isinstance(value, dict):
        if value.get("type") == "Feature":
            value = value.get("geometry")
        if value is None or isinstance(value, dict) and isinstance(value.get("type"), str):
            return value
    raise ValueError("not a geometry")


def _first_line(exc: psycopg.Error) -> str:
    message = getattr(exc.diag, "message_primary", None) or str(exc)
    return message.strip().splitlines()[0] if message.strip() else type(exc).__name__


@dataclass
class PostgresSource(DataSource):
    """`{"type": "postgresql", "url": "postgresql+psycopg://user@host/db", "query": "SELECT ..." | "table":
    "schema.table", "geometry_column"?: "geom", "id_column"?: "...", "timeout"?: seconds}`."""

    kind = "postgresql"
    connect_args: dict[str, Any]
    select: str
    query_field: str  # `data_source.query` or `data_source.table`, for errors of the SQL
    name: str
    geometry_column: str = "geom"
    id_column: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    spec: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_dir: Path | None = None) -> PostgresSource:
        reader = SpecReader(spec, {"type", "url", "query", "table", "geometry_column", "id_column", "timeout"},
                            kind=cls.kind)
        url_text = reader.string("url", required=True)
        try:
            url = make_url(url_text or "")
        except ArgumentError:
            raise reader.error("url", "URL de base de données invalide (attendu : postgresql+psycopg://"
                                      "utilisateur@hôte:port/base)",
                               "invalid database URL (expected: postgresql+psycopg://user@host:port/database)") from None
        if url.drivername not in DRIVERS:
            raise reader.error("url", f"schéma « {url.drivername} » refusé : attendu postgresql+psycopg://",
                               f"scheme '{url.drivername}' refused: expected postgresql+psycopg://")
        if not url.database:
            raise reader.error("url", "nom de la base manquant dans l'URL", "database name missing from the URL")
        args: dict[str, Any] = url.translate_connect_args(username="user", database="dbname")
        for key, value in url.query.items():
            args[key] = value if isinstance(value, str) else value[-1]
        query, table = reader.string("query", max_length=100_000), reader.string("table", max_length=200)
        if (query is None) == (table is None):
            raise reader.error("query", "indiquez soit « query » (une requête SELECT) soit « table », pas les deux",
                               "give either 'query' (a SELECT query) or 'table', not both")
        if table is not None:
            match = _TABLE.match(table.strip())
            if not match:
                raise reader.error("table", "nom de table invalide (attendu : table ou schéma.table)",
                                   "invalid table name (expected: table or schema.table)")
            select = "SELECT * FROM " + ".".join(_quote(part) for part in match.groups() if part)
            name, query_field = match.groups()[-1] or match.group(1), "data_source.table"
        else:
            select, name, query_field = check_select(query or ""), "query", "data_source.query"
        columns = {}
        for key in ("geometry_column", "id_column"):
            value = reader.string(key, max_length=63)
            if value is not None and not _IDENTIFIER.match(value):
                raise reader.error(key, "nom de colonne invalide (lettres, chiffres, _ ; sans guillemets)",
                                   "invalid column name (letters, digits, _; unquoted)")
            columns[key] = value
        return cls(connect_args=args, select=select, query_field=query_field, name=name,
                   geometry_column=columns["geometry_column"] or "geom", id_column=columns["id_column"],
                   timeout=reader.number("timeout", default=DEFAULT_TIMEOUT, minimum=0, maximum=3600),
                   spec=dict(spec))

    @property
    def is_vector(self) -> bool:
        return True

    def describe(self, path: str | None = None) -> ResourceInfo:
        no_subresource(path, self.kind)
        return ResourceInfo(media_type=GEOJSON, filename=f"{self.name}.geojson", is_vector=True)

    def _database_error(self, exc: psycopg.Error, field_name: str) -> DataSourceError:
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return DataSourceError(field_name, f"la requête a dépassé {self.timeout:g} s",
                                   f"the query took longer than {self.timeout:g} s", 504)
        return DataSourceError(field_name, f"la base de données a refusé la lecture : {_first_line(exc)}",
                               f"the database refused the read: {_first_line(exc)}", 502, detail=str(exc))

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        where = f"{self.connect_args.get('host', 'localhost')}:{self.connect_args.get('port', 5432)}/" \
                f"{self.connect_args.get('dbname')}"
        try:
            arguments = {"connect_timeout": max(2, math.ceil(min(self.timeout, 30))), **self.connect_args}
            connection = await psycopg.AsyncConnection.connect(**arguments, autocommit=False)
        except psycopg.Error as exc:
            raise DataSourceError("data_source.url", f"base de données injoignable ({where}) : {_first_line(exc)}",
                                  f"database unreachable ({where}): {_first_line(exc)}", 502, detail=str(exc)) from None
        await connection.set_read_only(True)
        return connection

    async def _plan(self, connection: psycopg.AsyncConnection[Any], bbox: BBox | None) -> tuple[str, list[str], bool]:
        """The SQL to run, the result's column names and whether PostGIS writes the GeoJSON (then last column)."""
        async with connection.cursor() as cursor:
            await cursor.execute(f"SET LOCAL statement_timeout = {int(self.timeout * 1000)}")
            await cursor.execute(f"SELECT * FROM (\n{self.select}\n) AS src LIMIT 0")
            columns = [(column.name, column.type_code) for column in cursor.description or []]
            await cursor.execute("SELECT oid, typname FROM pg_type WHERE typname IN ('geometry', 'geography')")
            spatial = {oid: name for oid, name in await cursor.fetchall()}
        names = [name for name, _ in columns]
        if self.geometry_column not in names:
            raise DataSourceError("data_source.geometry_column",
                                  f"la colonne « {self.geometry_column} » n'est pas dans le résultat ; colonnes : "
                                  f"{', '.join(names)}", f"column '{self.geometry_column}' is not in the result; "
                                                         f"columns: {', '.join(names)}", 502)
        if self.id_column is not None and self.id_column not in names:
            raise DataSourceError("data_source.id_column", f"la colonne « {self.id_column} » n'est pas dans le "
                                                           "résultat", f"column '{self.id_column}' is not in the result",
                                  502)
        kind = spatial.get(dict(columns)[self.geometry_column])
        source = f"FROM (\n{self.select}\n) AS src"
        if kind is None:
            return f"SELECT * {source}", names, False
        column = f"src.{_quote(self.geometry_column)}"
        wgs84 = f"{column}::geometry" if kind == "geography" else \
            f"CASE ST_SRID({column}) WHEN 4326 THEN {column} WHEN 0 THEN ST_SetSRID({column}, 4326) " \
            f"ELSE ST_Transform({column}, 4326) END"
        sql = f"SELECT src.*, ST_AsGeoJSON({wgs84})::json AS {_GEOJSON_COLUMN} {source}"
        if bbox is not None:
            sql += f" WHERE ST_Intersects({wgs84}, ST_MakeEnvelope({', '.join(repr(float(v)) for v in bbox)}, 4326))"
        return sql, names, True

    async def features(self, path: str | None = None, *, params: Params | None = None,
                       bbox: BBox | None = None) -> Stream[dict[str, Any]]:
        no_subresource(path, self.kind)
        no_params(params, self.kind)
        connection = await self._connect()
        cursor: psycopg.AsyncServerCursor[Any] | None = None

        async def close() -> None:
            try:
                if cursor is not None and not cursor.closed and not connection.closed:
                    await cursor.close()
            except psycopg.Error:
                pass  # the connection goes anyway
            finally:
                await connection.close()

        try:
            try:
                sql, names, postgis = await self._plan(connection, bbox)
                cursor = connection.cursor(name="jnt_features")
                cursor.itersize = FETCH_ROWS
                await cursor.execute(sql)
            except psycopg.Error as exc:
                raise self._database_error(exc, self.query_field) from None
        except BaseException:
            await close()
            raise

        rows = self._rows(cursor, names, postgis)
        return Stream(rows if postgis else filter_bbox(rows, bbox), info=self.describe(), close=close)

    async def _rows(self, cursor: psycopg.AsyncServerCursor[Any], names: list[str],
                    postgis: bool) -> AsyncIterator[dict[str, Any]]:
        geometry_at = names.index(self.geometry_column)
        id_at = names.index(self.id_column) if self.id_column else -1
        number = 0
        try:
            async for row in cursor:
                number += 1
                try:
                    geometry = row[-1] if postgis else _geometry(row[geometry_at])
                except (ValueError, TypeError, shapely.errors.ShapelyError):
                    raise DataSourceError("data_source.geometry_column",
                                          f"géométrie illisible à la ligne {number} (attendu : GeoJSON, WKT ou WKB)",
                                          f"unreadable geometry on row {number} (expected: GeoJSON, WKT or WKB)",
                                          502) from None
                feature: dict[str, Any] = {"type": "Feature"}
                if id_at >= 0:
                    feature["id"] = _jsonable(row[id_at])
                feature["geometry"] = geometry
                feature["properties"] = {name: _jsonable(row[i]) for i, name in enumerate(names)
                                         if i not in (geometry_at, id_at)}
                yield feature
        except psycopg.Error as exc:
            raise self._database_error(exc, self.query_field) from None

    async def open(self, path: str | None = None, *, byte_range: tuple[int, int | None] | None = None,
                   params: Params | None = None) -> Stream[bytes]:
        """The rows as one GeoJSON FeatureCollection, written as they are read (byte ranges are not honoured)."""
        features = await self.features(path, params=params)
        return Stream(encode_feature_collection(features), info=self.describe(), close=features.aclose)
