"""Fixtures of the federated catalogue's tests: a small Loire-estuary corpus of characterisation sheets published
by three providers, fake DSP connectors serving them on loopback, and an index on SQLite or PostgreSQL (a fresh
schema of the shared `test` database, dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from catalog.dsp_catalog import CatalogEntry
from catalog.federated import FederatedIndex
from catalog.sheet import Agent, Conformity, Contact, Distribution, Sheet, StandardRef
from catalog.vocabularies import (
    access_right_iri,
    data_theme_iri,
    epsg_iri,
    frequency_iri,
    inspire_theme_iri,
    origin_iri,
)
from policies.templates import Restrictions, offer_template

from .fake_dsp import FakeDspServer

GC = "https://w3id.org/jnt/geoconcept/"
ROLE = "https://w3id.org/jnt/role/"
ADMS = "http://purl.org/adms/publishertype/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
CONFORMANT = "http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/conformant"
ETALAB = "https://spdx.org/licenses/etalab-2.0.html"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Inside Nantes' bbox but outside its outline: found by a bbox, not by the territory.
NANTES_CORNER = (-1.639, 47.183, -1.630, 47.190)


def sheet(uid: str, title: str, geoconcept: str, *, description: str = "", bbox=None, licence: str | None = ETALAB,
          access: str = "PUBLIC", frequency: str = "ANNUAL", publisher: str = "DDTM de Loire-Atlantique",
          kind: str = "NationalAuthority", crs: tuple[int, ...] = (2154,), resolution: float | None = None,
          scale: int | None = None, origin: str = "numerisation", keywords: tuple[str, ...] = (),
          standard: str | None = None, file_type: str = "GPKG", modified: date = date(2025, 1, 15)) -> Sheet:
    s = Sheet(id=f"https://data.example.fr/{uid}")
    s.nature.title = title
    s.nature.description = description or f"{title} — jeu de données de l'estuaire de la Loire."
    s.nature.geoconcept = GC + geoconcept
    s.nature.inspire_themes = [inspire_theme_iri("nz")]
    s.nature.eu_themes = [data_theme_iri("ENVI")]
    s.nature.keywords = list(keywords)
    s.provenance.publisher = Agent(name=publisher)
    s.provenance.publisher_type = ADMS + kind
    s.provenance.contact = Contact(name=publisher, email="contact@example.fr")
    s.frequency.accrual_periodicity = frequency_iri(frequency)
    s.frequency.modified = modified
    s.origin.lineage = "Production interne."
    s.origin.acquisition_mode = origin_iri(origin)
    s.licence.licence = licence
    s.extent.bbox = bbox
    s.extent.reference_systems = [epsg_iri(code) for code in crs]
    s.access.access_rights = access_right_iri(access)
    s.access.distributions = [Distribution(access_url=f"https://files.example.fr/{uid}", format=FILE_TYPE + file_type)]
    s.precision.resolution_m = resolution
    s.precision.scale_denominator = scale
    if standard:
        s.quality.conformity = [Conformity(specification_title=standard, degree=CONFORMANT)]
        s.standard.conforms_to = [StandardRef(title=standard, iri=f"https://cnig.gouv.fr/{uid}-standard")]
    return s


def open_offer(uid: str):
    return offer_template("etalab-2.0", "public", uid=f"urn:offer:{uid}:open")


def restricted_offer(uid: str):
    return offer_template("restricted", "restricted",
                          Restrictions(categories=["public"], purposes=["flood-risk-simulation"], duration="P1Y"),
                          uid=f"urn:offer:{uid}:restricted")


def corpus() -> dict[str, list[CatalogEntry]]:
    """Three providers' datasets."""
    ddtm = [
        CatalogEntry(sheet("ddtm/hauteurs", "Crues de la Loire — hauteurs d'eau à Nantes", "GC010",
                           bbox=(-1.56, 47.20, -1.54, 47.22), frequency="HOURLY", origin="mesure-capteur",
                           keywords=("crue", "hydrométrie")), [open_offer("hauteurs")]),
        CatalogEntry(sheet("ddtm/ppri", "Zonage réglementaire PPRI — Inondation Loire aval", "GC039",
                           bbox=(-2.30, 47.25, -2.20, 47.30), frequency="AS_NEEDED", scale=5000,
                           standard="Standard CNIG PPR", keywords=("PPRI",)), [open_offer("ppri")]),
        CatalogEntry(sheet("ddtm/repere", "Repères de crues historiques", "GC036", bbox=NANTES_CORNER,
                           frequency="IRREG", origin="leve"), [open_offer("repere")]),
    ]
    ign = [
        CatalogEntry(sheet("ign/mnt", "MNT RGE ALTI 1 m — Angers", "GC001", bbox=(-0.60, 47.44, -0.52, 47.50),
                           publisher="IGN", resolution=1.0, origin="leve", file_type="GEOTIFF",
                           crs=(2154, 4326)), [open_offer("mnt")]),
        CatalogEntry(sheet("ign/ortho", "Orthophotographie BD ORTHO", "GC074", bbox=(-2.6, 46.9, -0.9, 47.8),
                           publisher="IGN", resolution=0.2, origin="teledetection", file_type="JPEG2000"),
                     [open_offer("ortho")]),
    ]
    enedis = [
        CatalogEntry(sheet("enedis/hta", "Réseau électrique HTA — Nantes Métropole", "GC061",
                           bbox=(-1.80, 47.10, -1.40, 47.33), licence=None, access="RESTRICTED",
                           publisher="Enedis", kind="Company", frequency="MONTHLY"), [restricted_offer("hta")]),
    ]
    return {"ddtm44": ddtm, "ign": ign, "enedis": enedis}


CATEGORIES = {"ddtm44": "public", "ign": "public", "enedis": "private"}


@pytest.fixture
def fake_server() -> Iterator[FakeDspServer]:
    server = FakeDspServer().start()
    yield server
    server.stop()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A database URL on a fresh schema of the shared PostgreSQL `test` database, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES)
    schema = f"fc_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def open_index(kind: str, directory: Path) -> Iterator[FederatedIndex]:
    if kind == "sqlite":
        idx = FederatedIndex(f"sqlite:///{directory / 'catalog.sqlite'}")
        try:
            yield idx
        finally:
            idx.close()
        return
    with postgres_schema() as url:
        idx = FederatedIndex(url)
        try:
            yield idx
        finally:
            idx.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def index(request, tmp_path) -> Iterator[FederatedIndex]:
    with open_index(request.param, tmp_path) as idx:
        yield idx


@pytest.fixture
def sqlite_index(tmp_path) -> Iterator[FederatedIndex]:
    with open_index("sqlite", tmp_path) as idx:
        yield idx
