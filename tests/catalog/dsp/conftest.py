"""Fixtures of the DSP catalog tests: realistic characterisation sheets of Loire-estuary datasets (public open data,
real-time gauges, private networks under restriction, a draft sheet), their offers built with the policy
templates, the catalogue of the connector that publishes them (a regional data platform hosting datasets of several
producers: `participantId` is the platform, `dct:publisher` each dataset's producer), and a JSON Schema validator
for the DSP 2025-1 schemas (the `https://w3id.org/dspace/2025/1/` prefix mapped to ../shared/spec/dsp-2025-1,
offline)."""

from __future__ import annotations

import json
import types
from datetime import date, datetime
from pathlib import Path

import pytest

from catalog.dsp_render import CatalogEntry, CatalogInfo, DspService
from catalog.sheet import Agent, Conformity, Contact, Distribution, QualityMeasurement, Sheet, StandardRef
from catalog.vocabularies import (
    access_right_iri,
    data_theme_iri,
    epsg_iri,
    frequency_iri,
    inspire_theme_iri,
    origin_iri,
)
from policies.templates import Restrictions, offer_template

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2].parent / "shared"
DSP_SPEC = SHARED / "spec" / "dsp-2025-1"
DSP_PREFIX = "https://w3id.org/dspace/2025/1/"
GC = "https://w3id.org/jnt/geoconcept/"
ROLE = "https://w3id.org/jnt/role/"
ADMS = "http://purl.org/adms/publishertype/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "https://www.iana.org/assignments/media-types/"
CONFORMANT = "http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/conformant"
PROVIDER = "did:web:connecteur.geopal.example.fr"
SERVICE = DspService(id=PROVIDER + "#dsp", endpoint_url="https://connecteur.geopal.example.fr/api/dsp/2025-1",
                     title="Connecteur DSP de GéoPal")
INFO = CatalogInfo(
    id="https://connecteur.geopal.example.fr/api/dsp/2025-1/catalog",
    participant_id=PROVIDER,
    service=SERVICE,
    title="Catalogue de l'estuaire de la Loire — risque inondation",
    description="Jeux de données du jumeau numérique de l'estuaire de la Loire publiés dans l'espace de données JNT.",
    publisher=Agent(name="GéoPal — plateforme régionale Pays de la Loire", iri="https://www.geopal.example.fr/",
                    type=ADMS + "RegionalAuthority"),
)


def ppri_sheet() -> Sheet:
    """The complete PPRI sheet of tests/catalog/data (DDTM 44), every field filled."""
    return Sheet.model_validate_json((HERE.parent / "data" / "full-sheet.json").read_text(encoding="utf-8"))


def rge_alti_sheet() -> Sheet:
    s = Sheet(id="https://data.geopf.example.fr/dataset/rge-alti-1m-loire-estuaire")
    s.nature.title = "RGE ALTI® 1 m — estuaire de la Loire"
    s.nature.description = "Modèle numérique de terrain au pas de 1 m issu des levés LiDAR et radar."
    s.nature.geoconcept = GC + "GC001"
    s.nature.role = ROLE + "calcul"
    s.nature.inspire_themes = [inspire_theme_iri("el")]
    s.nature.eu_themes = [data_theme_iri("ENVI"), data_theme_iri("REGI")]
    s.nature.keywords = ["MNT", "altimétrie", "LiDAR"]
    s.provenance.publisher = Agent(name="IGN", iri="https://www.ign.fr/")
    s.provenance.publisher_type = ADMS + "NationalAuthority"
    s.provenance.contact = Contact(name="Service client IGN", email="sav.ign@ign.fr")
    s.frequency.accrual_periodicity = frequency_iri("ANNUAL")
    s.frequency.modified = date(2025, 1, 15)
    s.origin.lineage = "Levés LiDAR aéroportés et corrélation d'images, assemblés en dalles de 1 km."
    s.origin.acquisition_mode = origin_iri("leve")
    s.licence.licence = "https://spdx.org/licenses/etalab-2.0.html"
    s.extent.bbox = (-2.62, 47.05, -1.35, 47.45)
    s.extent.reference_systems = [epsg_iri(2154)]
    s.access.access_rights = access_right_iri("PUBLIC")
    s.access.distributions = [
        Distribution(access_url="https://data.geopf.example.fr/rge-alti/44.7z", format=FILE_TYPE + "GEOTIFF",
                     media_type=IANA + "image/tiff", byte_size=2_147_483_648),
    ]
    s.precision.resolution_m = 1.0
    s.precision.positional_accuracy = [QualityMeasurement(
        measure="https://data.geocatalogue.fr/ncl/mesuresQuaDoGeo/_ErrVerticaleAbsolue", value=0.2,
        unit="http://www.qudt.org/vocab/unit/M")]
    s.quality.conformity = [Conformity(specification_title="Règlement (UE) n° 1089/2010",
                                       specification="http://data.europa.eu/eli/reg/2010/1089", degree=CONFORMANT)]
    s.standard.conforms_to = [StandardRef(title="INSPIRE Elevation", iri="http://inspire.ec.europa.eu/id/document/tg/el")]
    return s


def hydrometry_sheet() -> Sheet:
    s = Sheet(id="https://hubeau.example.fr/dataset/hydrometrie-temps-reel-loire")
    s.nature.title = "Hauteurs et débits en temps réel — Loire à Nantes et Saint-Nazaire"
    s.nature.description = "Observations hydrométriques (H, Q) des stations Vigicrues de l'estuaire, pas de 5 min."
    s.nature.geoconcept = GC + "GC010"
    s.nature.role = ROLE + "calcul"
    s.nature.inspire_themes = [inspire_theme_iri("ef"), inspire_theme_iri("hy")]
    s.nature.eu_themes = [data_theme_iri("ENVI")]
    s.nature.keywords = ["hydrométrie", "temps réel", "Vigicrues"]
    s.provenance.publisher = Agent(name="SCHAPI", iri="https://www.vigicrues.gouv.fr/")
    s.provenance.publisher_type = ADMS + "NationalAuthority"
    s.provenance.contact = Contact(email="hubeau@ofb.gouv.fr", url="https://hubeau.eaufrance.fr/contact")
    s.frequency.accrual_periodicity = frequency_iri("5MIN")
    s.frequency.modified = datetime.fromisoformat("2026-11-28T10:05:00+00:00")
    s.frequency.temporal_start = date(2025, 11, 1)
    s.frequency.temporal_resolution = "PT5M"
    s.origin.lineage = "Mesures des capteurs des stations, validées automatiquement."
    s.origin.acquisition_mode = origin_iri("mesure-capteur")
    s.licence.licence = "https://spdx.org/licenses/etalab-2.0.html"
    s.extent.bbox = (-2.3, 47.15, -1.45, 47.3)
    s.extent.admin_units = ["http://id.insee.fr/geo/commune/44109", "http://id.insee.fr/geo/commune/44184"]
    s.extent.reference_systems = [epsg_iri(4326)]
    s.access.access_rights = access_right_iri("PUBLIC")
    s.access.distributions = [
        Distribution(access_url="https://hubeau.example.fr/api/v1/hydrometrie/observations_tr",
                     title="API Hub'Eau hydrométrie", format=FILE_TYPE + "JSON",
                     media_type=IANA + "application/json"),
        Distribution(access_url="https://hubeau.example.fr/api/v1/hydrometrie/observations_tr.csv",
                     format=FILE_TYPE + "CSV", media_type=IANA + "text/csv"),
    ]
    s.precision.resolution_m = 0.01
    s.quality.conformity = [Conformity(specification_title="Scénario d'échange Sandre hydrométrie",
                                       degree="http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/"
                                              "notEvaluated")]
    s.standard.conforms_to = [StandardRef(title="Sandre — Hydrométrie", iri="https://www.sandre.eaufrance.fr/hydrometrie")]
    return s


def enedis_sheet() -> Sheet:
    s = Sheet(id="https://data.enedis.example.fr/dataset/postes-hta-bt-loire-atlantique")
    s.nature.title = "Postes de transformation HTA/BT — Loire-Atlantique"
    s.nature.description = "Localisation et cote altimétrique des postes de distribution publique d'électricité."
    s.nature.geoconcept = GC + "GC061"
    s.nature.role = ROLE + "contextualisation"
    s.nature.inspire_themes = [inspire_theme_iri("us")]
    s.nature.eu_themes = [data_theme_iri("ENER")]
    s.nature.keywords = ["réseau électrique", "vulnérabilité"]
    s.provenance.publisher = Agent(name="Enedis", iri="https://www.enedis.fr/")
    s.provenance.publisher_type = ADMS + "Company"
    s.provenance.contact = Contact(name="Enedis — open data", email="opendata@enedis.fr")
    s.frequency.accrual_periodicity = frequency_iri("QUARTERLY")
    s.frequency.modified = date(2026, 10, 1)
    s.origin.lineage = "Extraction du SIG patrimonial Enedis."
    s.origin.acquisition_mode = origin_iri("declaratif")
    s.licence.licence = "https://w3id.org/jnt/odrl/licence/restricted"
    s.extent.bbox = (-2.56, 46.86, -0.96, 47.84)
    s.extent.reference_systems = [epsg_iri(2154)]
    s.access.access_rights = access_right_iri("RESTRICTED")
    s.access.rights = "Réservé aux organismes publics, pour la simulation du risque inondation."
    s.access.distributions = [Distribution(access_url="https://data.enedis.example.fr/private/postes.gpkg",
                                           format=FILE_TYPE + "GPKG",
                                           media_type=IANA + "application/geopackage+sqlite3")]
    s.precision.scale_denominator = 2000
    s.quality.conformity = [Conformity(specification_title="Modèle de données Enedis v3", degree=CONFORMANT)]
    s.standard.conforms_to = [StandardRef(title="Modèle de données Enedis v3")]
    return s


def veolia_sheet() -> Sheet:
    s = Sheet(id="https://data.veolia-eau.example.fr/dataset/reseau-eau-potable-nantes")
    s.nature.title = "Réseau d'eau potable — Nantes Métropole"
    s.nature.description = "Usines, réservoirs et canalisations principales du service d'eau potable."
    s.nature.geoconcept = GC + "GC063"
    s.nature.role = ROLE + "contextualisation"
    s.nature.inspire_themes = [inspire_theme_iri("us")]
    s.nature.eu_themes = [data_theme_iri("ENVI")]
    s.provenance.publisher = Agent(name="Veolia Eau")
    s.provenance.publisher_type = ADMS + "Company"
    s.provenance.contact = Contact(email="donnees@veolia.example.fr")
    s.frequency.accrual_periodicity = frequency_iri("ANNUAL")
    s.frequency.modified = date(2026, 3, 31)
    s.origin.lineage = "SIG d'exploitation."
    s.origin.acquisition_mode = origin_iri("numerisation")
    s.licence.licence = "https://w3id.org/jnt/odrl/licence/restricted"
    s.extent.bbox = (-1.8, 47.1, -1.4, 47.33)
    s.extent.reference_systems = [epsg_iri(2154)]
    s.access.access_rights = access_right_iri("RESTRICTED")
    s.access.distributions = [Distribution(access_url="https://data.veolia-eau.example.fr/private/aep.zip",
                                           format=FILE_TYPE + "SHP")]
    s.precision.scale_denominator = 1000
    s.quality.conformity = [Conformity(specification_title="Géostandard réseaux d'eau", degree=CONFORMANT)]
    s.standard.conforms_to = [StandardRef(title="Géostandard réseaux d'eau")]
    return s


def draft_sheet() -> Sheet:
    """A draft from Nantes Métropole: half the mandatory fields still empty."""
    s = Sheet(id="https://data.nantesmetropole.example.fr/dataset/reseau-pluvial")
    s.nature.title = "Réseau d'assainissement pluvial"
    s.nature.geoconcept = GC + "GC033"
    s.provenance.publisher = Agent(name="Nantes Métropole")
    s.provenance.publisher_type = ADMS + "LocalAuthority"
    s.extent.bbox = (-1.75, 47.13, -1.42, 47.3)
    s.access.access_rights = access_right_iri("PUBLIC")
    return s


def open_offer(uid: str):
    return offer_template("etalab-2.0", "public", uid=uid, assigner=PROVIDER)


def restricted_offer(uid: str, **extra):
    restrictions = Restrictions(categories=["public"], purposes=["flood-risk-simulation"], duration="P1Y",
                                no_distribute=True, delete_at_end=True, **extra)
    return offer_template("restricted", "restricted", restrictions, uid=uid, assigner=PROVIDER)


def loire_entries() -> list[CatalogEntry]:
    return [
        CatalogEntry(ppri_sheet(), [open_offer("urn:jnt:offer:ppri-open")]),
        CatalogEntry(rge_alti_sheet(), [open_offer("urn:jnt:offer:rge-alti-open")]),
        CatalogEntry(hydrometry_sheet(), [open_offer("urn:jnt:offer:hydro-open")],
                     formats=("HttpData-PULL", "HttpData-PUSH")),
        CatalogEntry(enedis_sheet(), [restricted_offer("urn:jnt:offer:enedis-public-bodies"),
                                      restricted_offer("urn:jnt:offer:enedis-nantes", territories=["44109"])]),
        CatalogEntry(veolia_sheet(), [restricted_offer("urn:jnt:offer:veolia-nantes", territories=["44109"])]),
        CatalogEntry(draft_sheet(), [open_offer("urn:jnt:offer:pluvial-open")]),
    ]


@pytest.fixture(scope="session")
def loire() -> types.SimpleNamespace:
    """The builders and constants of this module (`loire.ppri_sheet()`, `loire.INFO`…) for the tests to use."""
    return types.SimpleNamespace(**{name: value for name, value in globals().items() if not name.startswith("_")})


@pytest.fixture
def entries() -> list[CatalogEntry]:
    return loire_entries()


@pytest.fixture(scope="session")
def dsp_validator():
    """validate(instance, schema_file) against the DSP 2025-1 schemas, e.g. validate(doc, "catalog/catalog-schema.json")."""
    from jsonschema import Draft201909Validator
    from referencing import Registry, Resource

    if not DSP_SPEC.is_dir():
        pytest.fail(f"DSP 2025-1 schemas not found at {DSP_SPEC}: the tests need ../shared beside the checkout")
    resources = []
    for path in DSP_SPEC.glob("*/*-schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)

    def validate(instance, schema_file: str) -> None:
        schema = json.loads((DSP_SPEC / schema_file).read_text(encoding="utf-8"))
        Draft201909Validator(schema, registry=registry).validate(instance)

    return validate
