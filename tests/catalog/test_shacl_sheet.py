"""SHACL validation of sheets: a complete sheet conforms to the official DCAT-AP 3.0.0 shapes and to the JNT shapes;
an empty sheet gives one violation per missing mandatory field, in French; wrong controlled-vocabulary values are
reported against the sheet field with a message for a person; the official shapes are really loaded (they catch what
the JNT shapes do not check)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from catalog.dcat import sheet_to_graph
from catalog.geoconcepts import load_registry
from catalog.shacl import field_label, to_text, validate_graph, validate_sheet
from catalog.sheet import Sheet

FULL = Path(__file__).parent / "data" / "full-sheet.json"
EU = "http://publications.europa.eu/resource/authority/"


@pytest.fixture()
def full() -> Sheet:
    return Sheet.model_validate_json(FULL.read_text(encoding="utf-8"))


@pytest.mark.parametrize("shapes", ["all", "dcat-ap", "jnt"])
def test_a_complete_sheet_conforms(full, shapes):
    report = validate_sheet(full, shapes=shapes)
    assert report.conforms and report.problems == [], to_text(report)
    assert to_text(report) == "Fiche conforme"


def test_the_registry_description_of_the_geoconcept_conforms_too(full):
    registry = load_registry()
    graph = sheet_to_graph(full, registry)
    concept = URIRef(full.nature.geoconcept)
    assert (concept, SKOS.prefLabel, Literal("PPRI – zonage réglementaire", lang="fr")) in graph
    assert (concept, SKOS.inScheme, URIRef(registry.scheme_iri)) in graph
    report = validate_sheet(full, registry=registry)
    assert report.conforms, to_text(report)


def test_an_empty_sheet_gives_one_violation_per_missing_mandatory_field_in_french():
    sheet = Sheet(id="https://data.example.org/ds/vide")
    report = validate_sheet(sheet)
    assert not report.conforms
    assert all(p.severity == "violation" for p in report.problems)
    missing = sheet.completeness().missing_mandatory()
    assert len(report.problems) == len(missing) == 21
    # the same fields, labels and paths as the sheet's own completeness (C8: resolution or scale, as one field)
    assert sorted((p.field, p.label) for p in report.problems) == sorted((f.path, f.label_fr) for f in missing)
    licence = next(p for p in report.problems if p.field == "licence.licence")
    assert licence.message == "C5 Licence — Licence : champ obligatoire manquant"
    assert licence.criterion == "C5 Licence"
    scale = next(p for p in report.problems if p.field.startswith("precision."))
    assert scale.message == ("C8 Précision — Résolution (m) ou Échelle (dénominateur) : champ obligatoire manquant")
    # problems come criterion by criterion, in the order of the sheet
    assert [p.criterion.split()[0] for p in report.problems] == sorted(
        (p.criterion.split()[0] for p in report.problems), key=lambda code: int(code[1:]))
    text = to_text(report)
    assert text.startswith("Fiche non conforme : 21 violations")
    assert "C7 Modalité d'accès — Droit d'accès : champ obligatoire manquant" in text
    assert "C7 Access mode — Access rights: mandatory field missing" in to_text(report, "en")


def test_filling_a_field_removes_its_violation(full):
    full.licence.licence = None
    report = validate_sheet(full)
    assert [p.field for p in report.violations] == ["licence.licence"]
    full.licence.licence = "https://spdx.org/licenses/etalab-2.0.html"
    full.precision.resolution_m = None  # the scale alone is enough for C8
    assert validate_sheet(full).conforms
    full.precision.scale_denominator = None
    assert validate_sheet(full).fields() == ["precision.resolution_m|scale_denominator"]


@pytest.mark.parametrize("change, field, words", [
    (lambda s: setattr(s.access, "access_rights", EU + "access-right/OPEN"),
     "access.access_rights", "C7 Modalité d'accès — Droit d'accès : la valeur " + EU + "access-right/OPEN n'est pas "
                             "un droit d'accès de la liste EU"),
    (lambda s: setattr(s.frequency, "accrual_periodicity", EU + "frequency/SOMETIMES"),
     "frequency.accrual_periodicity", "n'est pas une fréquence de la liste EU"),
    (lambda s: setattr(s.extent, "reference_systems", ["http://www.opengis.net/def/crs/EPSG/0/2154", "EPSG:2154"]),
     "extent.reference_systems[1]", "C6 Emprise — Système de référence n° 2 : la valeur « EPSG:2154 » n'est pas une "
                                    "IRI EPSG"),
    (lambda s: setattr(s.extent, "reference_systems", ["http://www.opengis.net/def/crs/EPSG/0/123"]),
     "extent.reference_systems[0]", "n'est pas une IRI EPSG"),
    (lambda s: setattr(s.access.distributions[0], "media_type", "application/geopackage+sqlite3"),
     "access.distributions[0].media_type", "Distributions n° 1 › Type MIME : la valeur « application/geopackage+sqlite3 »"
                                           " n'est pas un type MIME IANA"),
    (lambda s: setattr(s.access.distributions[1], "format", "http://example.org/formats/WFS"),
     "access.distributions[1].format", "C7 Modalité d'accès — Distributions n° 2 › Format : la valeur "
                                       "http://example.org/formats/WFS n'est pas un type de fichier de la liste EU"),
    (lambda s: setattr(s.licence, "licence", "Licence Ouverte 2.0"),
     "licence.licence", "C5 Licence — Licence : la licence doit être désignée par son IRI"),
    (lambda s: setattr(s.nature, "inspire_themes", [*s.nature.inspire_themes, "http://inspire.ec.europa.eu/theme/xx"]),
     "nature.inspire_themes[3]", "Thèmes INSPIRE n° 4 : la valeur http://inspire.ec.europa.eu/theme/xx n'est ni un "
                                 "thème INSPIRE"),
    (lambda s: setattr(s.nature, "role", "https://w3id.org/jnt/role/autre"), "nature.role", "n'est pas un rôle JNT"),
    (lambda s: setattr(s.provenance, "publisher_type", "http://purl.org/adms/publishertype/Club"),
     "provenance.publisher_type", "n'est pas un type d'acteur ADMS"),
    (lambda s: setattr(s.origin, "acquisition_mode", "https://w3id.org/jnt/origin/intuition"),
     "origin.acquisition_mode", "n'est pas un mode d'obtention JNT"),
    (lambda s: setattr(s.quality.conformity[1], "degree", "http://example.org/ok"),
     "quality.conformity[1].degree", "Conformité / validation n° 2 › Degré de conformité : la valeur"),
    (lambda s: setattr(s.frequency, "temporal_resolution", "toutes les heures"),
     "frequency.temporal_resolution", "Pas de temps : la valeur « toutes les heures » n'est pas du type xsd:duration"),
    (lambda s: setattr(s.provenance.contact, "email", "ddtm44"),
     "provenance.contact.email", "Contact › Courriel : l'adresse électronique mailto:ddtm44 n'est pas valide"),
    (lambda s: setattr(s.nature, "title", "   "), "nature.title", "C1 Nature — Titre : le champ est vide"),
])
def test_a_wrong_value_is_reported_against_its_field_in_french(full, change, field, words):
    change(full)
    report = validate_sheet(full)
    assert not report.conforms
    assert [p.field for p in report.violations] == [field], to_text(report)
    assert words in report.violations[0].message
    assert report.violations[0].focus_node and report.violations[0].shacl_path  # details for experts


def test_english_messages(full):
    full.access.access_rights = EU + "access-right/OPEN"
    problem = validate_sheet(full, "en").violations[0]
    assert problem.label == "Access rights" and problem.criterion == "C7 Access mode"
    assert problem.message.startswith("C7 Access mode — Access rights: " + EU + "access-right/OPEN is not an access")


def test_a_provider_licence_is_a_warning_and_an_etalab_alias_a_note(full):
    full.licence.licence = "https://www.operateur-reseau.example/licences/donnees-reseau-v1"
    report = validate_sheet(full)
    assert report.conforms and [(p.field, p.severity) for p in report.problems] == [("licence.licence", "warning")]
    assert "n'est ni une licence SPDX ni une licence de la liste EU" in report.problems[0].message
    full.licence.licence = "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf"
    report = validate_sheet(full)
    assert report.conforms and [p.severity for p in report.problems] == ["info"]
    assert "préférez son IRI SPDX https://spdx.org/licenses/etalab-2.0.html" in report.problems[0].message
    assert "1 information" in to_text(report)


def test_every_code_of_the_vocabularies_module_passes(full):
    from catalog import vocabularies as v

    for code in v.FREQUENCIES:
        full.frequency.accrual_periodicity = v.frequency_iri(code)
        assert validate_sheet(full).conforms, code
    for code in v.ACCESS_RIGHTS:
        full.access.access_rights = v.access_right_iri(code)
        assert validate_sheet(full).conforms, code
    for url in (*v.LICENCES.values(), "https://spdx.org/licenses/etalab-2.0.html"):
        full.licence.licence = url
        assert validate_sheet(full, shapes="all").conforms, url
    full.nature.inspire_themes = [v.inspire_theme_iri(code) for code in sorted(v.INSPIRE_THEMES)]
    full.nature.eu_themes = [v.data_theme_iri(code) for code in v.EU_DATA_THEMES]
    assert validate_sheet(full).conforms


# --- the official DCAT-AP 3.0.0 shapes are really loaded --------------------------------------------------------

RAW = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://data.example.org/ds/raw> a dcat:Dataset ; dct:title "Débits"@fr ; dct:description "Débits observés"@fr ;
    dcat:distribution <https://data.example.org/ds/raw#d1> .
<https://data.example.org/ds/raw#d1> a dcat:Distribution ; dcat:accessURL <https://data.example.org/debits.csv> ;
    dcat:byteSize "12.5"^^xsd:decimal ; dcat:accessService <https://data.example.org/api> .
<https://data.example.org/api> a dcat:DataService .
"""


def test_the_official_shapes_catch_what_the_jnt_shapes_do_not_check():
    graph = Graph().parse(data=RAW, format="turtle")
    official = validate_graph(graph, shapes="dcat-ap")
    jnt = validate_graph(graph, shapes="jnt")
    size = "access.distributions[0].byte_size"
    service = {"access.distributions[0].access_service.title", "access.distributions[0].access_service.endpoint_url"}
    assert size in official.fields() and service <= set(official.fields())
    assert size not in jnt.fields() and not service & set(jnt.fields())
    both = validate_graph(graph)
    byte_size = next(p for p in both.problems if p.field == size)
    assert byte_size.shapes == "dcat-ap" and byte_size.source_shape.startswith("https://semiceu.github.io/DCAT-AP/")
    assert byte_size.message == ("C7 Modalité d'accès — Distributions n° 1 › Taille (octets) : la valeur « 12.5 » "
                                 "n'est pas du type xsd:nonNegativeInteger")


def test_the_official_shapes_check_a_distribution_without_access_url():
    graph = sheet_to_graph(Sheet(id="https://data.example.org/ds/x"))
    graph.parse(data="""@prefix dcat: <http://www.w3.org/ns/dcat#> .
        <https://data.example.org/ds/x> dcat:distribution [ a dcat:Distribution ] .""", format="turtle")
    report = validate_graph(graph, shapes="dcat-ap")
    assert "access.distributions[0].access_url" in report.fields()


def test_validating_raw_rdf_names_the_fields_it_can(shared_dir):
    graph = Graph().parse(shared_dir / "spec/dcat-ap/example-geoconcept-ppri-dcat-ap3.ttl")
    report = validate_graph(graph)
    fields = set(report.fields())
    # the example lacks the JNT role, uses no EU frequency... but its title, themes and bbox are there
    assert "nature.role" in fields and "nature.title" not in fields and "extent.bbox" not in fields
    assert all(p.message for p in report.problems)


def test_field_labels_come_from_the_sheet_model():
    assert field_label("access.distributions[0].format") == ("Format", "Distributions n° 1 › Format")
    assert field_label("access.distributions[0].format", "en") == ("Format", "Distributions #1 › Format")
    assert field_label("provenance.other_roles[2].agent.name") == ("Nom", "Autres rôles n° 3 › Organisme › Nom")
    assert field_label("licence.licence")[0] == "Licence"
    assert field_label("nope.nothing") == ("", "")
