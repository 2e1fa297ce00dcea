"""The géo-concept registry's SKOS publication passes the DCAT-AP 3.0.0 shapes for concepts and concept schemes,
and loads back — also for a larger, official-size list (166 géo-concepts) read from CSV without code change."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from catalog.geoconcepts import load_csv, load_registry, load_skos
from catalog.shacl import to_text, validate_graph

BASE = "https://example.org/jnt/gc/"


def _official_size_csv() -> str:
    lines = ["id,label_fr,role,inspire_themes,typical_provider,use_cases"]
    for i in range(1, 167):
        role = "calcul" if i % 3 else "contextualisation"
        themes = ("hy nz", "el", "bu pd us")[i % 3]
        lines.append(f"OFF{i:03d},Géo-concept officiel n° {i},{role},{themes},Fournisseur {i % 40},flood-risk")
    return "\n".join(lines)


def test_the_bundled_registry_publication_conforms():
    report = validate_graph(load_registry().to_skos(), shapes="dcat-ap")
    assert report.conforms and report.problems == [], to_text(report)


def test_an_official_size_list_publishes_validates_and_loads_back():
    registry = load_csv(_official_size_csv(), base_iri=BASE)
    assert len(registry.concepts) == 166
    turtle = registry.to_turtle()
    report = validate_graph(Graph().parse(data=turtle, format="turtle"))
    assert report.conforms, to_text(report)
    again = load_skos(turtle)
    assert again.base_iri == BASE and set(again.concepts) == set(registry.concepts)
    for cid, concept in registry.concepts.items():
        other = again.get(cid)
        assert (other.label_fr, other.role, set(other.inspire_themes), other.typical_provider, other.use_cases) == (
            concept.label_fr, concept.role, set(concept.inspire_themes), concept.typical_provider, concept.use_cases)


def test_a_concept_without_label_is_reported():
    graph = load_csv(_official_size_csv(), base_iri=BASE).to_skos()
    concept = URIRef(BASE + "OFF042")
    graph.remove((concept, SKOS.prefLabel, None))
    report = validate_graph(graph, shapes="dcat-ap")
    assert not report.conforms
    assert [(p.focus_node, p.shacl_path) for p in report.problems] == [(str(concept), "skos:prefLabel")]
    assert report.problems[0].message == f"{concept} › skos:prefLabel : champ obligatoire manquant"
