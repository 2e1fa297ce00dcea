"""Rendering DSP 2025-1 Catalog and Dataset documents from sheets and offers: validity against the official DSP
JSON schemas, validity as JSON-LD (expanded offline, nothing silently dropped by the protected DSP context), the
DCAT-AP content of each criterion, offers without target, distributions, and CatalogError bodies."""

from __future__ import annotations

import json

import pytest
from jsonschema import ValidationError
from pyld import jsonld

from catalog import dsp_terms as t
from catalog.dsp_catalog import (
    CatalogEntry,
    DspRenderError,
    catalog_error,
    render_catalog,
    render_dataset,
    render_offer,
)
from policies.jsonld import DSP_CONTEXT, document_loader
from policies.templates import offer_template

GEO_WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
JNT = "https://w3id.org/jnt/ns#"


def _expand(doc):
    return jsonld.expand(doc, {"documentLoader": document_loader, "base": None})


def _key_iri(key: str) -> str:
    return t.TERM_IRIS.get(key) or t.expand(key)


# --- DSP JSON schemas ---------------------------------------------------------------------------------------------


def test_validator_accepts_the_spec_examples_and_rejects_an_empty_dataset_list(dsp_validator, loire):
    # The validator itself must be able to fail, or the tests below prove nothing.
    example = json.loads((loire.DSP_SPEC / "catalog" / "example" / "catalog.json").read_text(encoding="utf-8"))
    dsp_validator(example, "catalog/catalog-schema.json")
    with pytest.raises(ValidationError):
        dsp_validator({**example, "dataset": []}, "catalog/catalog-schema.json")
    with pytest.raises(ValidationError):
        dsp_validator({**example, "@context": DSP_CONTEXT}, "catalog/catalog-schema.json")


def test_catalog_is_valid_against_the_dsp_catalog_schema(entries, dsp_validator, loire):
    catalog = render_catalog(loire.INFO, entries)
    dsp_validator(catalog, "catalog/catalog-schema.json")
    assert catalog["@context"] == [DSP_CONTEXT]
    assert catalog["@type"] == "Catalog" and catalog["participantId"] == loire.PROVIDER
    assert catalog["service"] == [{"@id": loire.SERVICE.id, "@type": "DataService", "endpointURL": loire.SERVICE.endpoint_url,
                                   "dct:title": loire.SERVICE.title}]
    assert [d["@id"] for d in catalog["dataset"]] == [e.sheet.id for e in entries]
    assert catalog["dct:title"] == {"@value": loire.INFO.title, "@language": "fr"}
    assert catalog["dct:publisher"]["http://xmlns.com/foaf/0.1/name"] == loire.INFO.publisher.name


def test_each_dataset_alone_is_valid_against_the_dsp_dataset_schema(entries, dsp_validator, loire):
    for entry in entries:
        dataset = render_dataset(entry, loire.SERVICE)
        dsp_validator(dataset, "catalog/dataset-schema.json")
        assert dataset["@context"] == [DSP_CONTEXT]
        assert "@context" not in render_dataset(entry, loire.SERVICE, with_context=False)


def test_empty_catalog_leaves_the_dataset_key_out(dsp_validator, loire):
    catalog = render_catalog(loire.INFO, [])
    assert "dataset" not in catalog  # the schema refuses "dataset": []
    dsp_validator(catalog, "catalog/catalog-schema.json")


def test_catalog_error_body_is_valid(dsp_validator):
    body = catalog_error("404", ["Jeu de données inconnu : urn:x"])
    dsp_validator(body, "catalog/catalog-error-schema.json")
    assert body == {"@context": [DSP_CONTEXT], "@type": "CatalogError", "code": "404",
                    "reason": ["Jeu de données inconnu : urn:x"]}
    assert "reason" not in catalog_error("400", [])
    dsp_validator(catalog_error("400", [{"path": "page", "code": "minimum", "message": "…"}]),
                  "catalog/catalog-error-schema.json")
    with pytest.raises(TypeError, match="string"):
        catalog_error(404, ["x"])


# --- JSON-LD ------------------------------------------------------------------------------------------------------


def test_rendered_catalog_is_valid_json_ld_and_no_key_is_dropped(entries, loire):
    catalog = render_catalog(loire.INFO, entries)
    expanded = _expand(catalog)
    assert len(expanded) == 1
    root = expanded[0]
    assert root["@type"] == [t.DCAT + "Catalog"]
    for key in catalog:
        if not key.startswith("@"):
            assert _key_iri(key) in root, f"catalog key {key} dropped by JSON-LD expansion"
    datasets = root[t.DCAT + "dataset"]
    assert [d["@id"] for d in datasets] == [e.sheet.id for e in entries]  # what the TCK checks (CAT:01-01)
    for compact, node in zip(catalog["dataset"], datasets, strict=True):
        for key in compact:
            if not key.startswith("@"):
                assert _key_iri(key) in node, f"{compact['@id']}: key {key} dropped by JSON-LD expansion"
        for dist_compact, dist in zip(compact["distribution"], node[t.DCAT + "distribution"], strict=True):
            for key in dist_compact:
                if not key.startswith("@"):
                    assert _key_iri(key) in dist, f"{compact['@id']}: distribution key {key} dropped"
            assert dist[t.DCT + "format"] == [{"@id": dist_compact["format"]}]
            assert dist[t.DCAT + "accessService"][0][t.DCAT + "endpointURL"] == [{"@value": loire.SERVICE.endpoint_url}]
        offer = node[t.ODRL + "hasPolicy"][0]
        assert offer["@type"] == [t.ODRL + "Offer"] and t.ODRL + "permission" in offer


def test_bbox_is_a_geosparql_wkt_literal_in_expanded_form(loire):
    expanded = _expand(render_dataset(CatalogEntry(loire.ppri_sheet(), [loire.open_offer("urn:o")]), loire.SERVICE))[0]
    location = next(p for p in expanded[t.DCT + "spatial"] if t.DCAT + "bbox" in p)
    assert location["@type"] == [t.DCT + "Location"]
    assert location[t.DCAT + "bbox"] == [{
        "@type": GEO_WKT, "@value": "POLYGON((-2.3 47.1,-1.4 47.1,-1.4 47.4,-2.3 47.4,-2.3 47.1))"}]
    assert expanded[JNT + "completeness"] == [{"@value": 1.0}]
    assert expanded[t.DCT + "modified"] == [{"@type": t.XSD + "date", "@value": "2024-03-01"}]
    assert expanded[t.DCAT + "spatialResolutionInMeters"] == [{"@type": t.XSD + "decimal", "@value": "2.5"}]


# --- content ------------------------------------------------------------------------------------------------------


def test_dataset_carries_the_key_values_of_every_criterion(loire):
    sheet = loire.ppri_sheet()
    d = render_dataset(CatalogEntry(sheet, [loire.open_offer("urn:o")]), loire.SERVICE)
    assert d["dct:title"] == {"@value": sheet.nature.title, "@language": "fr"}
    assert d["dct:subject"] == {"@id": "https://w3id.org/jnt/geoconcept/GC039"}
    assert d[JNT + "geoconceptRole"] == {"@id": "https://w3id.org/jnt/role/contextualisation"}
    assert [th["@id"] for th in d["dcat:theme"]] == sheet.nature.inspire_themes + sheet.nature.eu_themes
    assert [k["@value"] for k in d["dcat:keyword"]] == sheet.nature.keywords
    assert d["dct:publisher"]["dct:type"] == {"@id": "http://purl.org/adms/publishertype/NationalAuthority"}
    assert d["dct:accrualPeriodicity"] == {"@id": sheet.frequency.accrual_periodicity}
    assert d["http://www.w3.org/ns/prov#wasGeneratedBy"]["dct:type"] == {"@id": sheet.origin.acquisition_mode}
    assert d["dct:license"] == {"@id": "https://spdx.org/licenses/etalab-2.0.html"}
    assert d["dct:accessRights"] == {"@id": sheet.access.access_rights}
    assert d["http://data.europa.eu/930/referenceSystem"] == [{"@id": r} for r in sheet.extent.reference_systems]
    assert d["http://www.w3.org/ns/dqv#hasQualityMeasurement"][0]["http://www.w3.org/ns/dqv#value"] == {
        "@value": "0.0002", "@type": "xsd:decimal"}  # 1:5000
    assert [c.get(JNT + "specification") for c in d[JNT + "conformity"]] == [
        {"@id": c.specification} for c in sheet.quality.conformity]
    assert d["dct:conformsTo"][1] == {"@type": "dct:Standard",
                                      "dct:title": {"@value": "Gabarit GeoPackage du standard PPR", "@language": "fr"}}
    assert d[JNT + "completeness"] == 1.0 and d[JNT + "mandatoryComplete"] is True
    assert JNT + "missingMandatory" not in d


def test_draft_sheet_publishes_its_completeness_and_missing_fields(loire):
    sheet = loire.draft_sheet()
    d = render_dataset(CatalogEntry(sheet, [loire.open_offer("urn:o")]), loire.SERVICE)
    completeness = sheet.completeness()
    assert d[JNT + "completeness"] == round(completeness.score, 4) < 0.5
    assert d[JNT + "mandatoryComplete"] is False
    assert d[JNT + "missingMandatory"] == [f.path for f in completeness.missing_mandatory()]
    assert "precision.resolution_m|scale_denominator" in d[JNT + "missingMandatory"]
    # no sheet distribution yet: still one DSP distribution, the connector's transfer format
    assert d["distribution"] == [{"@type": "Distribution", "format": "HttpData-PULL",
                                  "accessService": loire.SERVICE.to_json()}]


def test_completeness_computed_at_publication_is_used_as_given(loire):
    stored = loire.draft_sheet().completeness()
    d = render_dataset(CatalogEntry(loire.ppri_sheet(), [loire.open_offer("urn:o")], completeness=stored), loire.SERVICE)
    assert d[JNT + "completeness"] == round(stored.score, 4)


def test_one_distribution_per_sheet_distribution_and_transfer_format(entries, loire):
    hydro = next(e for e in entries if "hydrometrie" in e.sheet.id)
    d = render_dataset(hydro, loire.SERVICE)
    assert [(x["format"], x[JNT + "fileType"]["@id"].rsplit("/", 1)[1]) for x in d["distribution"]] == [
        ("HttpData-PULL", "JSON"), ("HttpData-PUSH", "JSON"), ("HttpData-PULL", "CSV"), ("HttpData-PUSH", "CSV")]
    assert all(x["accessService"] == loire.SERVICE.to_json() for x in d["distribution"])


def test_provider_access_urls_are_not_published(entries, loire):
    text = json.dumps(render_catalog(loire.INFO, entries))
    for entry in entries:
        for dist in entry.sheet.access.distributions:
            assert dist.access_url not in text
            assert not dist.download_url or dist.download_url not in text


# --- offers -------------------------------------------------------------------------------------------------------


def test_offers_are_dsp_offers_without_target(entries, loire):
    for dataset in render_catalog(loire.INFO, entries)["dataset"]:
        for offer in dataset["hasPolicy"]:
            assert offer["@type"] == "Offer" and "target" not in offer and offer["@id"]


def test_a_target_naming_the_dataset_is_dropped_another_is_refused(loire):
    sheet = loire.ppri_sheet()
    own = offer_template("etalab-2.0", "public", uid="urn:o1", target=sheet.id)
    assert "target" not in render_offer(own, sheet.id)
    other = offer_template("etalab-2.0", "public", uid="urn:o2", target="urn:other-dataset")
    with pytest.raises(DspRenderError, match="urn:other-dataset"):
        render_offer(other, sheet.id)


def test_offer_json_is_accepted_and_its_context_removed(dsp_validator, loire):
    example = json.loads((loire.DSP_SPEC / "catalog" / "example" / "dataset.json").read_text(encoding="utf-8"))
    offer = {"@context": [DSP_CONTEXT], **example["hasPolicy"][0]}
    d = render_dataset(CatalogEntry(loire.ppri_sheet(), [offer]), loire.SERVICE)
    assert d["hasPolicy"] == [example["hasPolicy"][0]]
    dsp_validator(d, "catalog/dataset-schema.json")


@pytest.mark.parametrize("offers, message", [
    ([], "no offer"),
    ([{"@type": "Set", "@id": "urn:o", "permission": [{"action": "use"}]}], "expected \"Offer\""),
    ([{"@type": "Offer", "permission": [{"action": "use"}]}], "needs an @id"),
    ([{"@type": "Offer", "@id": "urn:o"}], "neither permission nor prohibition"),
    (["urn:o"], "policies.Policy or a JSON object"),
])
def test_bad_offers_are_refused_with_the_reason(offers, message, loire):
    with pytest.raises(DspRenderError, match=message) as caught:
        render_dataset(CatalogEntry(loire.ppri_sheet(), offers), loire.SERVICE)
    assert loire.ppri_sheet().id in str(caught.value)


def test_a_policy_that_is_not_an_offer_is_refused(loire):
    from dataclasses import replace

    agreement = replace(loire.open_offer("urn:o"), type="Agreement")
    with pytest.raises(DspRenderError, match="Offers only"):
        render_offer(agreement, "urn:d")


def test_duplicate_offer_ids_and_missing_formats_are_refused(loire):
    with pytest.raises(DspRenderError, match="appears twice"):
        render_dataset(CatalogEntry(loire.ppri_sheet(), [loire.open_offer("urn:o"), loire.restricted_offer("urn:o")]), loire.SERVICE)
    with pytest.raises(DspRenderError, match="transfer format"):
        render_dataset(CatalogEntry(loire.ppri_sheet(), [loire.open_offer("urn:o")], formats=()), loire.SERVICE)
