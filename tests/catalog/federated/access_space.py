"""The corpus of the access tests (eligibility, plans, readiness): the Loire-estuary corpus of `conftest` plus
datasets that make choices and refusals interesting — two terrain models of Nantes of different quality, a PPRI
zoning of Nantes offered for research only, flood marks of Nantes restricted to public bodies on the Nantes
territory with deletion after a year — served by fake DSP connectors, crawled into an index, and the catalogue app
with the access routes on a loopback server. Callers authenticate with fixed tokens (the connector layer's real
authenticator is exercised in tests/connector/catalog/test_catalogue_access.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import Request

from catalog.dsp_catalog import CatalogEntry
from catalog.federated import ConnectorRef, Crawler, FederatedIndex, StaticSource, create_catalog_app
from catalog.federated.access import Unauthenticated, access_router
from policies.requester import Requester
from policies.templates import Restrictions, offer_template

from .conftest import CATEGORIES, corpus, open_index, open_offer, sheet
from .fake_dsp import FakeDspServer, LoopbackServer

CATALOGUE_DID = "did:web:catalogue.example"
REGION = Requester(did="did:web:region.example", category="public", name="Région Pays de la Loire")
FIRM = Requester(did="did:web:bureau.example", category="private", name="Bureau d'études")
TOKENS = {"region-token": REGION, "firm-token": FIRM}
FLOOD = "flood-risk-simulation"
NANTES_INSIDE = (-1.58, 47.20, -1.52, 47.24)


def research_offer(uid: str):
    return offer_template("restricted", "restricted", Restrictions(purposes=["research"]),
                          uid=f"urn:offer:{uid}:research")


def territorial_offer(uid: str):
    return offer_template("restricted", "restricted",
                          Restrictions(categories=["public"], purposes=[FLOOD], territories=["44109"], duration="P1Y",
                                       delete_at_end=True),
                          uid=f"urn:offer:{uid}:nantes")


def access_corpus() -> dict[str, list[CatalogEntry]]:
    entries = corpus()
    entries["ign"] += [
        CatalogEntry(sheet("ign/bdalti", "BD ALTI 25 m — Loire-Atlantique", "GC001", bbox=(-2.6, 46.8, -0.9, 47.9),
                           publisher="IGN", resolution=25.0, origin="leve", file_type="GEOTIFF"),
                     [open_offer("bdalti")]),
        CatalogEntry(sheet("ign/mnt-nantes", "MNT RGE ALTI 1 m — Nantes Métropole", "GC001",
                           bbox=(-1.8, 47.1, -1.4, 47.35), publisher="IGN", resolution=1.0, origin="leve",
                           file_type="GEOTIFF", standard="INSPIRE Elevation", frequency="QUARTERLY"),
                     [open_offer("mnt-nantes")]),
    ]
    entries["ddtm44"] += [
        CatalogEntry(sheet("ddtm/ppri-nantes", "PPRI Loire — zonage de Nantes (recherche)", "GC039",
                           bbox=NANTES_INSIDE, access="RESTRICTED", licence=None),
                     [research_offer("ppri-nantes")]),
        CatalogEntry(sheet("ddtm/laisses", "Laisses de crue — Nantes", "GC036", bbox=NANTES_INSIDE,
                           access="RESTRICTED", licence=None, origin="leve"),
                     [territorial_offer("laisses")]),
    ]
    return entries


def authenticate(request: Request) -> Requester | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    token = header.removeprefix("Bearer ").strip()
    if token not in TOKENS:
        raise Unauthenticated("signature", "signature du jeton invalide", "invalid token signature")
    return TOKENS[token]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def crawl(index: FederatedIndex, fake: FakeDspServer) -> None:
    refs = []
    for name, entries in access_corpus().items():
        connector = fake.add(name, entries)
        refs.append(ConnectorRef(connector.did, connector.address, name=name.upper(), category=CATEGORIES[name]))
    report = Crawler(index).crawl_sync(StaticSource(refs))
    assert (report.ok, report.failed) == (3, 0), report.to_json()


@contextmanager
def access_api(kind: str, directory: Path) -> Iterator[tuple[httpx.Client, FederatedIndex, FakeDspServer]]:
    """A client of the catalogue (query API and access routes) over the crawled access corpus."""
    fake = FakeDspServer().start()
    try:
        with open_index(kind, directory) as index:
            crawl(index, fake)
            app = create_catalog_app(index, routers=[access_router(index, authenticate=authenticate,
                                                                   catalogue_did=CATALOGUE_DID)])
            server = LoopbackServer(app).start()
            try:
                with httpx.Client(base_url=server.base_url, timeout=20) as client:
                    yield client, index, fake
            finally:
                server.stop()
    finally:
        fake.stop()
