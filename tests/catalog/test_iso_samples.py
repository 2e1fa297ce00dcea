"""ISO 19139 import of the six real sample records (shared/samples/iso19139): each imports without error, and
what matters in each is checked — title, bounding box, licence IRI, access right, EPSG IRIs from labels, the
géo-concept for the two PPRN records, and the XPath every filled field came from."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from catalog.iso19139 import P_CRS, P_TITLE, ImportResult, import_iso
from catalog.sheet import Sheet
from catalog.vocabularies import CRS84, LICENCES, access_right_iri, epsg_iri, frequency_iri, inspire_theme_iri

GC039 = "https://w3id.org/jnt/geoconcept/GC039"
GC049 = "https://w3id.org/jnt/geoconcept/GC049"
CONTEXT_ROLE = "https://w3id.org/jnt/role/contextualisation"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
SAMPLES = ("cnig_ignf_bdtopo_3.xml", "cnig_masse-eau-riviere_vrap2022.xml",
           "datara_pprn-inondation-charmes-sur-rhone.xml", "datara_pprn-inondation-saint-vallier.xml",
           "geolittoral_zones-basses-phma.xml", "semic_basic_dataset_input.xml")


@pytest.fixture(scope="module")
def imported(shared_dir) -> dict[str, ImportResult]:
    folder = shared_dir / "samples" / "iso19139"
    assert sorted(p.name for p in folder.glob("*.xml")) == sorted(SAMPLES)
    return {name: import_iso(folder / name) for name in SAMPLES}


def _codes(result: ImportResult) -> set[str]:
    return {w.code for w in result.warnings}


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_imports_and_accounts_for_every_field(imported, name):
    result = imported[name]
    sheet = result.sheet
    assert sheet.nature.title and sheet.nature.description and sheet.extent.bbox
    # The sheet round-trips through JSON (what `jnt sheet import-iso` writes and `jnt sheet show` reads).
    assert Sheet.model_validate_json(sheet.model_dump_json()) == sheet
    filled = result.filled_paths()
    assert len(filled) == len(result.filled), "a field is reported twice"
    assert not filled & set(result.to_fill), "a field is both filled and still to fill"
    assert all(f.xpath.startswith("gmd:") for f in result.filled), [f.xpath for f in result.filled]
    assert set(result.to_fill_mandatory) <= set(result.to_fill)
    expected_missing = {f.path for f in sheet.completeness().missing_mandatory()}
    assert set(result.to_fill_mandatory) == expected_missing
    assert result.field("nature.title").xpath == P_TITLE.expr == "gmd:identificationInfo[1]/*/gmd:citation/*/gmd:title"


def test_pprn_charmes_sur_rhone(imported):
    result = imported["datara_pprn-inondation-charmes-sur-rhone.xml"]
    sheet = result.sheet
    assert sheet.nature.title.startswith("PPRN : Zonages réglementaires des plans de prévention des risques")
    assert sheet.id == "https://catalogue.datara.gouv.fr/geonetwork/srv/04301749-df52-4c60-a640-87948241ac67"
    # Géo-concept recognised from the title and keywords.
    assert sheet.nature.geoconcept == GC039 and sheet.nature.role == CONTEXT_ROLE
    assert result.geoconcept_candidates[0].id == "GC039" and result.geoconcept_candidates[0].score == 1.0
    # "Données ouvertes — utilisation libre sous réserve de mentionner la source": the Licence Ouverte's clause,
    # no licence named, no version: etalab-2.0 with two notices, and marked as deduced.
    assert sheet.licence.licence == LICENCES["etalab-2.0"] == "https://spdx.org/licenses/etalab-2.0.html"
    licence = result.field("licence.licence")
    assert licence.inferred and "useLimitation" in licence.xpath
    assert {"licence-inferred", "licence-version-assumed"} <= _codes(result)
    # accessConstraints = intellectualPropertyRights (a misuse), empty otherConstraints: public from the open licence.
    assert "access-code-misuse" in _codes(result) and "access-inferred" in _codes(result)
    assert sheet.access.access_rights == access_right_iri("PUBLIC") and result.field("access.access_rights").inferred
    # "RGF93 / Lambert-93 (EPSG:2154)" as gco:CharacterString.
    assert sheet.extent.reference_systems == [epsg_iri(2154)]
    assert result.field("extent.reference_systems").xpath.startswith(P_CRS.expr)
    assert sheet.extent.bbox == (3.878, 44.28, 4.887, 45.361)
    assert sheet.precision.scale_denominator == 5000
    assert sheet.frequency.modified == datetime(2010, 10, 21, 9, 44)
    assert sheet.frequency.issued == datetime(2015, 4, 21, 17, 0)
    assert sheet.provenance.publisher.name.startswith("DDT 07")
    assert sheet.provenance.contact.email == "ddt-sig@ardeche.gouv.fr"
    assert sheet.provenance.publisher_type == "http://purl.org/adms/publishertype/NationalAuthority"
    # Links without gmd:function: WFS → service, ATOM feed, WWW:DOWNLOAD → distributions; the map viewer → page.
    dists = sheet.access.distributions
    assert [d.format.rsplit("/", 1)[-1] for d in dists] == ["WFS_SRVC", "ATOM", "ZIP"]
    assert dists[0].access_service.endpoint_url == "https://carto.datara.gouv.fr/cgi-bin/mapservwfs"
    assert sheet.access.landing_page == "https://catalogue.datara.gouv.fr/geosource/consultationWMS?IDT=52607"
    assert sheet.nature.inspire_themes == [inspire_theme_iri("lu")]  # "Usage des sols" label → IRI


def test_pprn_saint_vallier(imported):
    result = imported["datara_pprn-inondation-saint-vallier.xml"]
    sheet = result.sheet
    assert sheet.nature.title.startswith("Copy of record PPRN inondation Commune de SAINT VALLIER")
    assert sheet.nature.geoconcept == GC039 and sheet.nature.role == CONTEXT_ROLE
    # codeSpace + code concatenated without "/" by the SEMIC XSLT: repaired.
    repaired = "http://catalogue.geo-ide.developpement-durable.gouv.fr/fr-120066022-orphan-444eead4-1fbc-427e-ab27-ca3a63dea2b0"
    assert sheet.id == sheet.nature.identifier == repaired and "identifier-repaired" in _codes(result)
    # "Licence Ouverte / Open Licence Version 2.0 https://…/ETALAB-Licence-Ouverte-v2.0.pdf" in useLimitation.
    assert sheet.licence.licence == LICENCES["etalab-2.0"] and not result.field("licence.licence").inferred
    assert sheet.access.access_rights == access_right_iri("PUBLIC")  # "Pas de restriction d'accès public…"
    assert not result.field("access.access_rights").inferred
    assert sheet.extent.reference_systems == [epsg_iri(2154)]
    # West and east longitudes are swapped in the record.
    assert sheet.extent.bbox == (4.80676794052124, 45.160362243652344, 4.83316707611084, 45.196563720703125)
    assert "bbox-swapped" in _codes(result)
    assert sheet.extent.admin_units == ["http://id.insee.fr/geo/commune/26333"]
    assert sheet.frequency.modified == datetime(2024, 9, 5, 23, 50, 44)  # the latest of two revisions
    assert sheet.frequency.created == date(2015, 12, 30)
    assert sheet.provenance.rights_holder.name.startswith("DDT 26")  # role owner
    assert sheet.quality.conformity[0].degree.endswith("/notConformant")
    assert sheet.standard.conforms_to == [] and "schema-not-conformant" in _codes(result)
    # The metadata links (HTML view, CSW GetRecordById) are not distributions.
    urls = [d.access_url for d in sheet.access.distributions]
    assert len(urls) == 2 and not any("GetRecordById" in u or "catalog.search" in u for u in urls)
    assert "catalog.search" in sheet.access.landing_page


def test_sandre_masses_d_eau(imported):
    result = imported["cnig_masse-eau-riviere_vrap2022.xml"]
    sheet = result.sheet
    assert sheet.nature.title == "Masses d'eau cours d'eau - France Entière - Version Rapportage 2022"
    # "Licence Ouverte 1.0 https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf"
    assert sheet.licence.licence == LICENCES["etalab-1.0"]
    assert sheet.access.access_rights == access_right_iri("PUBLIC")
    assert result.field("access.access_rights").xpath.endswith("gmd:otherConstraints/gmx:Anchor/@xlink:href")
    assert sheet.frequency.accrual_periodicity == frequency_iri("AS_NEEDED")
    assert sheet.extent.reference_systems == [epsg_iri(4326)]
    formats = [d.format.rsplit("/", 1)[-1] for d in sheet.access.distributions]
    assert formats == ["WMS_SRVC", "WFS_SRVC", "SHP", "MIF_MID"]
    assert sheet.access.distributions[2].download_url.endswith("MasseDEauRiviere_FRA-shp.zip")
    # Water bodies are not in the flood-risk registry as such: the user is asked to choose.
    assert sheet.nature.geoconcept is None and "nature.geoconcept" in result.to_fill_mandatory
    assert result.geoconcept_candidates and "geoconcept-choose" in _codes(result)


def test_ign_bd_topo(imported):
    result = imported["cnig_ignf_bdtopo_3.xml"]
    sheet = result.sheet
    assert sheet.nature.title == "BD TOPO®"
    assert sheet.access.access_rights == access_right_iri("PUBLIC")  # noLimitations Anchor
    assert sheet.frequency.accrual_periodicity == frequency_iri("ANNUAL_2")  # biannually
    assert sheet.nature.resource_type.endswith("/ResourceType/series")
    # Nine boxes (metropolitan France and overseas): one envelope, as the CNIG PPR metadata do.
    assert sheet.extent.bbox == (-63.16, -21.4, 55.85, 51.1) and "bbox-union" in _codes(result)
    assert sheet.extent.reference_systems == [epsg_iri(c) for c in (2154, 2972, 4471, 2975, 4467, 4459)]
    # noConditionsApply is a condition, not a licence: the licence stays to be filled.
    assert sheet.licence.licence is None and "licence.licence" in result.to_fill_mandatory
    assert "licence-condition-not-licence" in _codes(result)
    assert sheet.precision.resolution_m == 1.0 and sheet.precision.scale_denominator == 10000
    assert sheet.quality.conformity[0].specification == "http://data.europa.eu/eli/reg/2010/1089"
    assert sheet.quality.conformity[0].degree.endswith("/conformant")
    (dist,) = sheet.access.distributions
    assert dist.access_service.endpoint_url == "https://data.geopf.fr/wfs" and dist.format == FILE_TYPE + "WFS_SRVC"
    assert sheet.nature.identifier == "IGNF_BDTOPOr_3"
    assert sheet.id == "https://w3id.org/jnt/dataset/IGNF_BDTOPOr_3.xml" and "iri-minted" in _codes(result)


def test_geolittoral_zones_basses(imported):
    result = imported["geolittoral_zones-basses-phma.xml"]
    sheet = result.sheet
    assert sheet.nature.geoconcept == GC049  # "Zones basses du littoral (PHMA)"
    assert sheet.licence.licence == LICENCES["etalab-2.0"] and not result.field("licence.licence").inferred
    assert sheet.access.access_rights == access_right_iri("PUBLIC") and "access-code-misuse" in _codes(result)
    # Five "name (EPSG:nnnn)" labels.
    assert sheet.extent.reference_systems == [epsg_iri(c) for c in (2154, 5490, 2972, 2975, 4471)]
    assert sheet.access.landing_page.endswith("cartographie-nationale-des-zones-basses-du-a1610.html")


def test_semic_reference_record(imported):
    result = imported["semic_basic_dataset_input.xml"]
    sheet = result.sheet
    assert sheet.language == "en" and sheet.nature.title == "Land Use map of MyCountry"
    assert sheet.id == "http://www.my-organisation.eu/so/lu/land-use-map"
    assert sheet.nature.inspire_themes == [inspire_theme_iri("lu")]
    assert sheet.access.access_rights == access_right_iri("RESTRICTED")  # INSPIRE Article 13(1)(d) Anchor
    assert sheet.extent.reference_systems == [epsg_iri(4258)] and CRS84 not in sheet.extent.reference_systems
    assert sheet.frequency.temporal_start == date(2019, 4, 29) and sheet.frequency.temporal_end is None
    assert sheet.licence.licence is None  # noConditionsApply is not a licence
    assert sheet.quality.conformity[0].specification == "http://data.europa.eu/eli/reg/2010/1089"
    assert [s.iri for s in sheet.standard.conforms_to] == ["http://data.europa.eu/eli/reg/2010/1089"]
    assert {d.access_service.service_type.rsplit("/", 1)[-1] for d in sheet.access.distributions} == {"view",
                                                                                                      "download"}


@pytest.mark.parametrize("name", SAMPLES)
def test_imported_sheets_fail_shacl_only_on_fields_still_to_fill(imported, name):
    """The values the importer writes are valid for the JNT / DCAT-AP shapes: the only violations are the
    mandatory fields it reports as still to fill."""
    shacl = pytest.importorskip("catalog.shacl")
    result = imported[name]
    report = shacl.validate_sheet(result.sheet, "en")
    assert sorted(set(report.fields("violation"))) == sorted(result.to_fill_mandatory), report.to_text("en")
