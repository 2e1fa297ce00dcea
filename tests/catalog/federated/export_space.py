"""What the export and SPARQL tests share: the catalogue's description, the Loire-estuary corpus of `conftest`
crawled from fake DSP connectors into an index (SQLite and PostgreSQL), and the catalogue app with the export
router on a loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from catalog.federated import Crawler, FederatedIndex, create_catalog_app
from catalog.federated.export import CatalogueDescription
from catalog.federated.export_api import export_router
from catalog.federated.sparql import DEFAULT_LIMITS, SparqlLimits

from .conftest import open_index
from .fake_dsp import FakeDspServer, LoopbackServer
from .test_crawler import serve_corpus

BASE = "https://catalogue.jnt.example"
DESCRIPTION = CatalogueDescription(base_url=BASE, publisher_did="did:web:catalogue.jnt.example",
                                   publisher_name="Espace de données JNT")
GC = "https://w3id.org/jnt/geoconcept/"
PPRI = "https://data.example.fr/ddtm/ppri"
HTA = "https://data.example.fr/enedis/hta"
TITLES = {
    "https://data.example.fr/ddtm/hauteurs": "Crues de la Loire — hauteurs d'eau à Nantes",
    PPRI: "Zonage réglementaire PPRI — Inondation Loire aval",
    "https://data.example.fr/ddtm/repere": "Repères de crues historiques",
    "https://data.example.fr/ign/mnt": "MNT RGE ALTI 1 m — Angers",
    "https://data.example.fr/ign/ortho": "Orthophotographie BD ORTHO",
    HTA: "Réseau électrique HTA — Nantes Métropole",
}


@contextmanager
def serve(index: FederatedIndex, *, limits: SparqlLimits = DEFAULT_LIMITS,
          description: CatalogueDescription = DESCRIPTION) -> Iterator[httpx.Client]:
    """The catalogue app with the export router over `index`, on loopback; a client on its `/api`."""
    app = create_catalog_app(index, routers=[export_router(index, description, limits=limits)])
    server = LoopbackServer(app).start()
    try:
        with httpx.Client(base_url=server.base_url + "/api", timeout=30) as client:
            yield client
    finally:
        server.stop()


@dataclass
class Space:
    client: httpx.Client
    index: FederatedIndex
    fake: FakeDspServer


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def space(request, tmp_path_factory) -> Iterator[Space]:
    """The corpus crawled once per module and backend, behind the export router (the tests only read)."""
    fake = FakeDspServer().start()
    try:
        with open_index(request.param, tmp_path_factory.mktemp("export")) as index:
            Crawler(index).crawl_sync(serve_corpus(fake))
            with serve(index) as client:
                yield Space(client, index, fake)
    finally:
        fake.stop()
