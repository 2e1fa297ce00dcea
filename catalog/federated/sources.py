"""Where the list of connectors to crawl comes from: the trust authority's participant directory
(`GET {authority}/participants`, public: `{"authority": did, "participants": [{"did", "name", "category", "kind",
"siren", "endpoint", "enrolledAt"}]}`) or a static file (JSON or CSV). A directory entry without a DSP endpoint
gets one from `resolve_address(did)` when given (the composition root resolves the participant's DID document and
reads its `CatalogService`); if none is found the connector is still listed, with an empty address, so that its
status says why it is not crawled."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx

from .connectors import ConnectorRef
from .errors import CrawlError

_URL = re.compile(r"^https?://[^\s/]+")
ResolveAddress = Callable[[str], str | None]


class ConnectorSource(Protocol):
    """A list of connectors. `name` is recorded as each connector's source (`directory`, `static`)."""

    name: str

    async def connectors(self, client: httpx.AsyncClient) -> list[ConnectorRef]: ...


class SourceError(ValueError):
    """A static list that cannot be read; the message names the entry and the field at fault."""

    def __init__(self, fr: str, en: str) -> None:
        self.fr, self.en = fr, en
        super().__init__(en)


def _ref(entry: Any, where_fr: str, where_en: str) -> ConnectorRef:
    if not isinstance(entry, dict):
        raise SourceError(f"{where_fr} : objet attendu", f"{where_en}: object expected")
    did = entry.get("did")
    address = entry.get("address") or entry.get("endpoint") or entry.get("dsp")
    if not isinstance(did, str) or not did.startswith("did:"):
        raise SourceError(f"{where_fr} : `did` manquant ou invalide (did:web:…)",
                          f"{where_en}: missing or invalid `did` (did:web:…)")
    if not isinstance(address, str) or not _URL.match(address):
        raise SourceError(f"{where_fr} : `address` (URL DSP http(s)) manquante ou invalide",
                          f"{where_en}: missing or invalid `address` (http(s) DSP URL)")
    category = entry.get("category") or None
    if category is not None and category not in ("public", "private"):
        raise SourceError(f"{where_fr} : `category` vaut public ou private", f"{where_en}: `category` is public or "
                          f"private")
    return ConnectorRef(did=did, address=address.rstrip("/"), name=entry.get("name") or None, category=category,
                        kind=entry.get("kind") or None)


def parse_connector_list(content: str, *, format: str = "json") -> list[ConnectorRef]:
    """Connectors from JSON (a list of objects, or `{"connectors": [...]}`) or CSV (header `did,address` and
    optionally `name,category,kind`). Raises `SourceError` naming the entry at fault."""
    refs: list[ConnectorRef] = []
    if format == "csv":
        reader = csv.DictReader(io.StringIO(content))
        missing = [c for c in ("did", "address") if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceError(f"colonnes manquantes : {', '.join(missing)}", f"missing columns: {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            refs.append(_ref(dict(row), f"ligne {line}", f"line {line}"))
    else:
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise SourceError(f"JSON mal formé ligne {exc.lineno} : {exc.msg}",
                              f"malformed JSON at line {exc.lineno}: {exc.msg}") from None
        entries = data.get("connectors") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise SourceError("liste de connecteurs attendue (ou {\"connectors\": [...]})",
                              "a list of connectors expected (or {\"connectors\": [...]})")
        for i, entry in enumerate(entries):
            refs.append(_ref(entry, f"connecteur n° {i + 1}", f"connector #{i + 1}"))
    dids = [ref.did for ref in refs]
    duplicates = sorted({did for did in dids if dids.count(did) > 1})
    if duplicates:
        raise SourceError(f"DID en double : {', '.join(duplicates)}", f"duplicate DID: {', '.join(duplicates)}")
    return refs


def load_connector_file(path: str | Path) -> list[ConnectorRef]:
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(f"lecture impossible de {path} : {exc.strerror}", f"cannot read {path}: {exc.strerror}") \
            from None
    return parse_connector_list(content, format="csv" if path.suffix.lower() == ".csv" else "json")


class StaticSource:
    """A fixed list of connectors (from a file with `StaticSource.from_file`)."""

    name = "static"

    def __init__(self, refs: Sequence[ConnectorRef]) -> None:
        self.refs = list(refs)

    @classmethod
    def from_file(cls, path: str | Path) -> StaticSource:
        return cls(load_connector_file(path))

    async def connectors(self, client: httpx.AsyncClient) -> list[ConnectorRef]:
        return list(self.refs)


def parse_directory(doc: Any, *, exclude: Collection[str] = ()) -> list[ConnectorRef]:
    """The connectors of a participant directory document (entries without an endpoint get an empty address)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("participants"), list):
        raise CrawlError("directory-invalid", "annuaire illisible : {\"participants\": [...]} attendu",
                         "unreadable directory: {\"participants\": [...]} expected")
    refs = []
    for entry in doc["participants"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("did"), str) or entry["did"] in exclude:
            continue
        endpoint = entry.get("endpoint")
        category = entry.get("category") if entry.get("category") in ("public", "private") else None
        refs.append(ConnectorRef(did=entry["did"], address=endpoint.rstrip("/") if isinstance(endpoint, str) else "",
                                 name=entry.get("name"), category=category, kind=entry.get("kind")))
    return refs


class DirectorySource:
    """The active participants of the trust authority at `authority_url` (its base URL, path included for a
    path-based authority DID), minus `exclude` (the catalogue's own DID)."""

    name = "directory"

    def __init__(self, authority_url: str, *, exclude: Collection[str] = (),
                 resolve_address: ResolveAddress | None = None) -> None:
        self.url = authority_url.rstrip("/") + "/participants"
        self.exclude = frozenset(exclude)
        self.resolve_address = resolve_address

    async def connectors(self, client: httpx.AsyncClient) -> list[ConnectorRef]:
        try:
            response = await client.get(self.url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise CrawlError("directory-unreachable", f"annuaire {self.url} injoignable : {exc!r}",
                             f"directory {self.url} unreachable: {exc!r}") from None
        if response.status_code != 200:
            raise CrawlError("directory-unreachable", f"annuaire {self.url} : HTTP {response.status_code}",
                             f"directory {self.url}: HTTP {response.status_code}", status=response.status_code)
        try:
            doc = response.json()
        except ValueError:
            raise CrawlError("directory-invalid", f"annuaire {self.url} : JSON mal formé",
                             f"directory {self.url}: malformed JSON") from None
        refs = parse_directory(doc, exclude=self.exclude)
        if self.resolve_address is None:
            return refs
        resolve = self.resolve_address

        async def complete(ref: ConnectorRef) -> ConnectorRef:
            if ref.address:
                return ref
            try:
                address = await asyncio.to_thread(resolve, ref.did)
            except Exception:  # an unresolvable DID is reported by the crawl as "no-address"
                address = None
            return ConnectorRef(ref.did, (address or "").rstrip("/"), ref.name, ref.category, ref.kind)

        return list(await asyncio.gather(*(complete(ref) for ref in refs)))
