"""Sheet → ISO 19139: the record is valid against the ISO 19139 schemas (the 2007 XSDs that pycsw ships, read
locally) and imports back through `catalog.iso19139` into the same main fields; the French sample records survive
import → export → import."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from catalog.iso19139 import NS, import_iso_bytes, import_iso_file
from catalog.iso19139_export import OnlineLink, sheet_to_iso, sheet_to_iso_bytes
from catalog.label_lookup import (
    DISTRIBUTION_STATUS,
    RESPONSIBLE_PARTY_ROLE,
    SPATIAL_REPRESENTATION,
    TOPIC_CATEGORY,
)
from catalog.sheet import (
    Agent,
    Attribution,
    Conformity,
    Contact,
    DataService,
    Distribution,
    QualityMeasurement,
    Sheet,
    StandardRef,
)
from catalog.vocabularies import (
    DEGREE_OF_CONFORMITY,
    FILE_TYPE,
    LICENCES,
    access_right_iri,
    epsg_iri,
    frequency_iri,
    inspire_theme_iri,
)

GC039 = "https://w3id.org/jnt/geoconcept/GC039"
NANTES = "http://id.insee.fr/geo/commune/44109"
ACCURACY = "http://data.europa.eu/930/absolutePositionalAccuracy"


@pytest.fixture(scope="module")
def iso_schema() -> etree.XMLSchema:
    pycsw = pytest.importorskip("pycsw")
    base = Path(pycsw.__file__).parent / "plugins/profiles/apiso/schemas/ogc/iso/19139/20070417"
    wrapper = (f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
               f'<xs:import namespace="{NS["gmd"]}" schemaLocation="{(base / "gmd/gmd.xsd").as_uri()}"/>'
               f'<xs:import namespace="{NS["gmx"]}" schemaLocation="{(base / "gmx/gmx.xsd").as_uri()}"/>'
               "</xs:schema>")
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


def full_sheet() -> Sheet:
    s = Sheet(id="https://data.example.fr/ddtm44/ppri-loire-aval")
    n = s.nature
    n.title = "Zonage réglementaire du PPRI de la Loire aval"
    n.description = "Zones rouges et bleues du plan de prévention du risque inondation, estuaire de la Loire."
    n.geoconcept = GC039
    n.inspire_themes = [inspire_theme_iri("nz"), inspire_theme_iri("am")]
    n.keywords = ["PPRI", "inondation", "Loire"]
    n.topic_categories = [TOPIC_CATEGORY + "planningCadastre", TOPIC_CATEGORY + "inlandWaters"]
    n.representation = SPATIAL_REPRESENTATION + "vector"
    p = s.provenance
    p.publisher = Agent(name="DDTM de Loire-Atlantique", email="ddtm-sig@loire-atlantique.gouv.fr")
    p.contact = Contact(name="Service risques", email="risques@loire-atlantique.gouv.fr",
                        url="https://www.loire-atlantique.gouv.fr/contact")
    p.rights_holder = Agent(name="Préfecture de la Loire-Atlantique")
    p.creator = Agent(name="Bureau d'études Hydro")
    p.other_roles = [Attribution(role=RESPONSIBLE_PARTY_ROLE + "custodian", agent=Agent(name="DREAL Pays de la Loire"))]
    f = s.frequency
    f.accrual_periodicity = frequency_iri("AS_NEEDED")
    f.modified = date(2024, 11, 5)
    f.issued = date(2019, 3, 1)
    f.created = datetime(2018, 6, 12, 9, 30)
    f.temporal_start, f.temporal_end = date(2018, 1, 1), date(2030, 12, 31)
    f.version = "2024"
    s.origin.lineage = "Numérisation des zonages approuvés à partir des plans au 1:5000."
    s.origin.process_steps = ["Calage sur le cadastre", "Contrôle topologique"]
    s.origin.sources = ["Plans de zonage papier approuvés"]
    s.licence.licence = LICENCES["etalab-2.0"]
    s.licence.rights = "Mention obligatoire : DDTM 44"
    s.extent.bbox = (-2.31, 47.12, -1.41, 47.33)
    s.extent.reference_systems = [epsg_iri(2154), epsg_iri(4326)]
    s.extent.admin_units = [NANTES]
    s.access.access_rights = access_right_iri("PUBLIC")
    s.access.landing_page = "https://www.loire-atlantique.gouv.fr/ppri-loire-aval"
    s.access.distributions = [
        Distribution(access_url="https://files.example.fr/ppri-loire-aval.gpkg",
                     download_url="https://files.example.fr/ppri-loire-aval.gpkg", format=FILE_TYPE + "GPKG",
                     title="GeoPackage"),
        Distribution(access_url="https://geo.example.fr/wfs", format=FILE_TYPE + "WFS_SRVC", title="Service WFS",
                     access_service=DataService(title="Service WFS", endpoint_url="https://geo.example.fr/wfs",
                                                protocol="OGC:WFS")),
    ]
    s.precision.scale_denominator = 5000
    s.precision.resolution_m = 2.5
    s.precision.positional_accuracy = [QualityMeasurement(measure=ACCURACY, value=1.5,
                                                          unit="http://www.qudt.org/vocab/unit/M")]
    s.quality.conformity = [
        Conformity(specification_title="Standard CNIG PPR v1.0", specification="https://cnig.gouv.fr/ppr",
                   degree=DEGREE_OF_CONFORMITY + "conformant", explanation="Contrôlé avec le validateur CNIG"),
        Conformity(specification_title="Règlement (UE) n° 1089/2010",
                   specification="http://data.europa.eu/eli/reg/2010/1089",
                   degree=DEGREE_OF_CONFORMITY + "notEvaluated"),
    ]
    s.quality.status = DISTRIBUTION_STATUS + "COMPLETED"
    s.standard.conforms_to = [StandardRef(title="Standard CNIG PPR v1.0", iri="https://cnig.gouv.fr/ppr"),
                              StandardRef(title="Géostandard zonages", iri="https://cnig.gouv.fr/zonages")]
    return s


def test_the_record_is_valid_iso_19139(iso_schema):
    root = sheet_to_iso(full_sheet(), links=[OnlineLink("https://catalogue.example.fr/api/datasets/ds-1", "Fiche")])
    assert iso_schema.validate(root), iso_schema.error_log
    assert root.findtext("gmd:fileIdentifier/gco:CharacterString", namespaces=NS) == full_sheet().id
    broken = sheet_to_iso(full_sheet())
    ident = broken.find("gmd:identificationInfo/gmd:MD_DataIdentification", NS)
    ident.remove(ident.find("gmd:abstract", NS))  # mandatory in ISO 19139: the schema must say so
    assert not iso_schema.validate(broken)


def test_a_minimal_sheet_is_valid_too(iso_schema):
    assert iso_schema.validate(sheet_to_iso(Sheet(id="https://data.example.fr/empty"))), iso_schema.error_log


def test_round_trip_through_the_importer():
    original = full_sheet()
    result = import_iso_bytes(sheet_to_iso_bytes(original))
    back = result.sheet
    assert back.id == original.id
    n, o = back.nature, original.nature
    assert (n.title, n.description) == (o.title, o.description)
    assert n.geoconcept == GC039  # recognised from the title and the géo-concept keyword
    assert n.inspire_themes == o.inspire_themes
    assert set(o.keywords) <= set(n.keywords)
    assert n.topic_categories == o.topic_categories and n.representation == o.representation
    assert back.provenance.publisher == original.provenance.publisher
    assert back.provenance.contact == Contact(name="Service risques", email="risques@loire-atlantique.gouv.fr",
                                              url="https://www.loire-atlantique.gouv.fr/contact")
    assert back.provenance.rights_holder.name == "Préfecture de la Loire-Atlantique"
    assert back.provenance.creator.name == "Bureau d'études Hydro"
    assert back.provenance.other_roles == original.provenance.other_roles
    assert back.frequency == original.frequency
    assert back.origin.lineage == original.origin.lineage
    assert back.origin.process_steps == original.origin.process_steps and back.origin.sources == original.origin.sources
    assert back.licence.licence == LICENCES["etalab-2.0"] and back.licence.rights == "Mention obligatoire : DDTM 44"
    assert back.extent.bbox == original.extent.bbox
    assert back.extent.reference_systems == original.extent.reference_systems
    assert back.extent.admin_units == [NANTES]
    assert back.access.access_rights == access_right_iri("PUBLIC")
    assert back.access.landing_page == original.access.landing_page
    gpkg, wfs = back.access.distributions
    assert (gpkg.download_url, gpkg.format) == ("https://files.example.fr/ppri-loire-aval.gpkg", FILE_TYPE + "GPKG")
    assert wfs.access_service.endpoint_url == "https://geo.example.fr/wfs" and wfs.format == FILE_TYPE + "WFS_SRVC"
    assert (back.precision.scale_denominator, back.precision.resolution_m) == (5000, 2.5)
    assert back.precision.positional_accuracy == original.precision.positional_accuracy
    assert [(c.specification_title, c.specification, c.degree, c.explanation) for c in back.quality.conformity] == [
        (c.specification_title, c.specification, c.degree, c.explanation) for c in original.quality.conformity]
    assert back.quality.status == original.quality.status
    assert back.standard.conforms_to == original.standard.conforms_to
    assert not [w for w in result.warnings if w.code not in ("acquisition-mode-inferred",)], result.warnings


@pytest.mark.parametrize("name", ["datara_pprn-inondation-charmes-sur-rhone.xml", "cnig_ignf_bdtopo_3.xml",
                                  "geolittoral_zones-basses-phma.xml"])
def test_real_records_survive_import_export_import(shared_dir, name, iso_schema):
    first = import_iso_file(shared_dir / "samples" / "iso19139" / name).sheet
    exported = sheet_to_iso(first)
    assert iso_schema.validate(exported), iso_schema.error_log
    again = import_iso_bytes(etree.tostring(exported)).sheet
    for part in ("nature.title", "nature.description", "nature.geoconcept", "nature.inspire_themes",
                 "provenance.publisher", "frequency.modified", "frequency.accrual_periodicity", "licence.licence",
                 "extent.bbox", "extent.reference_systems", "access.access_rights", "precision.scale_denominator",
                 "precision.resolution_m", "origin.lineage", "standard.conforms_to"):
        section, attribute = part.split(".")
        assert getattr(getattr(again, section), attribute) == getattr(getattr(first, section), attribute), part
