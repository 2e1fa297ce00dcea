"""The shipped shapes, vocabularies and JSON-LD context: the official DCAT-AP 3.0.0 shapes are the SEMIC file itself,
with its licence notice; the JNT shapes' lists are the tables of `catalog.vocabularies`; every JNT shape names a real
sheet field and speaks French and English; every controlled value the JNT shapes accept is typed by the shipped
vocabularies (so the official class checks pass for it)."""

from __future__ import annotations

import hashlib
from importlib.resources import files

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, SKOS

from catalog import vocabularies as v
from catalog.dcat import PREFIXES, SHEET_CONTEXT, document_loader, sheet_context
from catalog.geoconcepts import ROLE_NS, ROLES
from catalog.shacl import field_label

DATA = files("catalog") / "data"
JNTSH = Namespace("https://w3id.org/jnt/shapes/sheet#")
JNT = Namespace("https://w3id.org/jnt/ns#")


@pytest.fixture(scope="module")
def jnt_shapes() -> Graph:
    return Graph().parse(data=(DATA / "shapes" / "jnt-shapes.ttl").read_text(encoding="utf-8"), format="turtle")


@pytest.fixture(scope="module")
def vocabularies() -> Graph:
    return Graph().parse(data=(DATA / "vocab" / "controlled-vocabularies.ttl").read_text(encoding="utf-8"),
                         format="turtle")


def _in_list(graph: Graph, shape: URIRef) -> set[str]:
    return {str(item) for item in Collection(graph, graph.value(shape, SH["in"]))}


def test_the_official_shapes_are_the_semic_file_with_its_notice(shared_dir):
    shipped = (DATA / "shapes" / "dcat-ap-3.0.0-SHACL.ttl").read_bytes()
    original = (shared_dir / "spec/dcat-ap/dcat-ap-3.0.0/dcat-ap-SHACL.ttl").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == hashlib.sha256(original).hexdigest()
    notice = (DATA / "shapes" / "NOTICE.md").read_text(encoding="utf-8")
    assert "dcat-ap-3.0.0-SHACL.ttl" in notice and "CC BY 4.0" in notice and "SEMIC" in notice


@pytest.mark.parametrize("shape, expected", [
    ("role", {ROLE_NS + r for r in ROLES}),
    ("themeValue", {v.inspire_theme_iri(c) for c in v.INSPIRE_THEMES} | {v.data_theme_iri(c) for c in v.EU_DATA_THEMES}),
    ("publisherType", {v.ADMS_PUBLISHER_TYPE + c for c in v.PUBLISHER_TYPES}),
    ("acquisitionMode", {v.origin_iri(c) for c in v.ORIGINS}),
    ("accessRights", {v.access_right_iri(c) for c in v.ACCESS_RIGHTS}),
])
def test_the_jnt_lists_are_the_vocabularies_module(jnt_shapes, shape, expected):
    assert _in_list(jnt_shapes, JNTSH[shape]) == expected


def test_frequencies_and_degrees(jnt_shapes, vocabularies):
    accepted = _in_list(jnt_shapes, JNTSH.accrualPeriodicity)
    assert {v.frequency_iri(c) for c in v.FREQUENCIES} <= accepted
    # beyond the module's list, only codes of the EU frequency table (as shipped) are accepted
    eu_table = {str(s) for s in vocabularies.subjects(SKOS.inScheme, URIRef(v.FREQUENCY.rstrip("/")))}
    assert accepted <= eu_table
    degrees = [_in_list(jnt_shapes, p) for p in jnt_shapes.objects(JNTSH.ConformityTest, SH.property)
               if jnt_shapes.value(p, SH["in"]) is not None]
    assert degrees == [{v.DEGREE_OF_CONFORMITY + d for d in v.DEGREES}]


def test_accepted_concepts_are_typed_by_the_shipped_vocabularies(jnt_shapes, vocabularies):
    # DCAT-AP checks that a theme or a publisher type is a skos:Concept with a prefLabel
    for shape in (JNTSH.themeValue, JNTSH.publisherType):
        for value in _in_list(jnt_shapes, shape):
            assert vocabularies.value(URIRef(value), SKOS.prefLabel) is not None, value
    for code in v.ACCESS_RIGHTS:
        assert (URIRef(v.access_right_iri(code)), SKOS.inScheme, None) in vocabularies


def test_every_jnt_shape_names_a_sheet_field_and_speaks_both_languages(jnt_shapes):
    fields = list(jnt_shapes.subject_objects(JNT.sheetField))
    assert len(fields) >= 30
    prefixes = {"format": "access.distributions[0].", "media_type": "access.distributions[0].",
                "availability": "access.distributions[0].", "status": "access.distributions[0].",
                "email": "provenance.contact.", "degree": "quality.conformity[0].",
                "specification_title": "quality.conformity[0]."}
    for shape, field in fields:
        path = str(field).lstrip("/") if str(field).startswith("/") else prefixes[str(field)] + str(field)
        assert field_label(path)[0], (shape, field)
    for shape, message in jnt_shapes.subject_objects(SH.message):
        languages = {m.language for m in jnt_shapes.objects(shape, SH.message)}
        assert languages == {"fr", "en"}, shape
        assert isinstance(message, Literal)


def test_the_sheet_context_is_shipped_covers_the_mapping_and_is_cached():
    loaded = document_loader(SHEET_CONTEXT)
    assert loaded["tag"] == "static" and loaded["document"] is sheet_context()
    context = sheet_context()["@context"]
    for prefix, namespace in PREFIXES.items():
        assert context[prefix] == str(namespace), prefix
    with pytest.raises(Exception, match="never fetched"):
        document_loader("https://w3id.org/jnt/context/sheet/v2.jsonld")
    # the policies' contexts are still available through the same loader (DSP catalogs mix both)
    assert document_loader("https://w3id.org/dspace/2025/1/context.jsonld")["document"]["@context"]
