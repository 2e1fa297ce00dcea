"""The characterisation sheet: its 10 criteria, mandatory and recommended fields, completeness per criterion and
overall, and refusal of malformed values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from catalog.sheet import CRITERIA, Agent, Conformity, Contact, Distribution, Sheet, StandardRef
from catalog.vocabularies import access_right_iri, epsg_iri, frequency_iri, inspire_theme_iri


def _full_mandatory() -> Sheet:
    s = Sheet(id="https://data.example.org/ds/ppri-loire-aval")
    s.nature.title = "PPRI Loire aval — zonage réglementaire"
    s.nature.description = "Zonage réglementaire du plan de prévention du risque inondation."
    s.nature.geoconcept = "https://w3id.org/jnt/geoconcept/GC039"
    s.nature.role = "https://w3id.org/jnt/role/contextualisation"
    s.nature.inspire_themes = [inspire_theme_iri("nz")]
    s.nature.eu_themes = ["http://publications.europa.eu/resource/authority/data-theme/ENVI"]
    s.provenance.publisher = Agent(name="DDTM de Loire-Atlantique")
    s.provenance.publisher_type = "http://purl.org/adms/publishertype/NationalAuthority"
    s.provenance.contact = Contact(email="ddtm@loire-atlantique.gouv.fr")
    s.frequency.accrual_periodicity = frequency_iri("AS_NEEDED")
    s.frequency.modified = "2024-03-01"
    s.origin.lineage = "Numérisé à partir des plans approuvés."
    s.origin.acquisition_mode = "https://w3id.org/jnt/origin/numerisation"
    s.licence.licence = "https://spdx.org/licenses/etalab-2.0.html"
    s.extent.bbox = (-2.3, 47.1, -1.4, 47.4)
    s.extent.reference_systems = [epsg_iri(2154)]
    s.access.access_rights = access_right_iri("PUBLIC")
    s.access.distributions = [Distribution(access_url="https://data.example.org/ppri.gpkg")]
    s.precision.scale_denominator = 5000
    s.quality.conformity = [Conformity(specification_title="CNIG PPR",
                                       degree="http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/conformant")]
    s.standard.conforms_to = [StandardRef(title="CNIG Géostandards Risques - Profil applicatif PPR")]
    return s


def test_ten_criteria_in_order():
    assert [code for code, _, _ in CRITERIA.values()] == [f"C{i}" for i in range(1, 11)]
    completeness = Sheet(id="urn:x").completeness()
    assert [c.code for c in completeness.criteria] == [f"C{i}" for i in range(1, 11)]


def test_empty_sheet_lists_every_mandatory_field():
    completeness = Sheet(id="urn:x").completeness()
    assert completeness.mandatory_filled == 0 and not completeness.complete
    labels = [f.label_fr for f in completeness.missing_mandatory()]
    assert "Titre" in labels and "Licence" in labels and "Droit d'accès" in labels
    assert "Résolution (m) ou Échelle (dénominateur)" in labels  # C8: one of the two
    assert completeness.mandatory_total == len(labels) == 21


def test_all_mandatory_fields_make_a_complete_sheet():
    completeness = _full_mandatory().completeness()
    assert completeness.complete and completeness.missing_mandatory() == []
    c8 = next(c for c in completeness.criteria if c.code == "C8")
    assert (c8.mandatory_filled, c8.mandatory_total) == (1, 1)
    assert 0.5 < completeness.score < 1  # mandatory fields count double; recommended ones are still empty


def test_recommended_fields_raise_the_score_not_the_mandatory_count():
    sheet = _full_mandatory()
    before = sheet.completeness()
    sheet.nature.keywords = ["inondation", "PPRI"]
    sheet.frequency.issued = "2020-01-01"
    after = sheet.completeness()
    assert after.mandatory_filled == before.mandatory_filled
    assert after.score > before.score
    c1 = next(c for c in after.criteria if c.code == "C1")
    assert c1.recommended_filled == 1


@pytest.mark.parametrize("path, value", [
    ("extent.bbox", (10.0, 47.0, 5.0, 48.0)),  # minx > maxx
    ("extent.bbox", (-2.0, 95.0, -1.0, 96.0)),  # latitude out of range
    ("precision.resolution_m", -1.0),
    ("precision.scale_denominator", 0),
])
def test_malformed_values_are_refused(path, value):
    sheet = _full_mandatory()
    part, name = path.split(".")
    with pytest.raises(ValidationError) as info:
        setattr(getattr(sheet, part), name, value)
    assert name in str(info.value)


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        Sheet.model_validate({"id": "urn:x", "nature": {"titre": "oops"}})
    with pytest.raises(ValidationError):
        Distribution(access_url="https://x", byte_size=-5)


def test_json_round_trip():
    sheet = _full_mandatory()
    assert Sheet.model_validate_json(sheet.model_dump_json()) == sheet
