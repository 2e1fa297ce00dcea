"""The federated catalogue as GIS tools see it, for the OGC API – Records and CSW tests: the Loire-estuary corpus
crawled from fake connectors into an index (SQLite or PostgreSQL), and the catalogue app — JSON API, OGC API –
Records under `/ogcapi`, CSW under `/csw` — on a real loopback server whose public address the routers know."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.federated import Crawler, FederatedIndex, StaticSource, create_catalog_app
from catalog.federated.csw_server import CswService, csw_router
from catalog.federated.ogc_records import records_router

from .conftest import open_index
from .fake_dsp import FakeDspServer, LoopbackServer
from .test_crawler import serve_corpus

# Titles of the corpus's datasets (conftest.corpus)
PPRI = "Zonage réglementaire PPRI — Inondation Loire aval"
HTA = "Réseau électrique HTA — Nantes Métropole"
MNT, ORTHO = "MNT RGE ALTI 1 m — Angers", "Orthophotographie BD ORTHO"
HAUTEURS, REPERES = "Crues de la Loire — hauteurs d'eau à Nantes", "Repères de crues historiques"


class _Server(LoopbackServer):
    """A loopback server whose app is built once its address is known (the routers write absolute links)."""

    def __init__(self, make_app: Callable[[str], Any]) -> None:
        super().__init__()
        self._app = make_app(self.base_url)


@dataclass
class GisCatalogue:
    base_url: str
    index: FederatedIndex
    fake: FakeDspServer
    source: StaticSource
    csw: CswService

    @property
    def csw_url(self) -> str:
        return self.base_url + "/csw"

    @property
    def records_url(self) -> str:
        return self.base_url + "/ogcapi"

    def crawl(self) -> None:
        Crawler(self.index).crawl_sync(self.source, force=True)


@contextmanager
def gis_catalogue(kind: str, directory: Path) -> Iterator[GisCatalogue]:
    fake = FakeDspServer().start()
    try:
        with open_index(kind, directory) as index:
            source = serve_corpus(fake)
            Crawler(index).crawl_sync(source)
            services: list[CswService] = []

            def make_app(base_url: str) -> Any:
                return create_catalog_app(index, routers=[
                    records_router(index, base_url=base_url),
                    csw_router(index, base_url=base_url, database=directory / "csw-records.sqlite",
                               on_service=services.append)])

            server = _Server(make_app).start()
            try:
                yield GisCatalogue(server.base_url, index, fake, source, services[0])
            finally:
                server.stop()
                services[0].close()
    finally:
        fake.stop()
