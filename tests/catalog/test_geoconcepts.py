"""The géo-concept registry: loading the working group's CSV (ours or a larger official one, without code
change), SKOS in and out, use cases, label search, and clear errors on bad files."""

from __future__ import annotations

import pytest

from catalog.geoconcepts import DEFAULT_BASE_IRI, RegistryError, fold, load_csv, load_registry, load_skos


def test_bundled_registry_matches_the_shared_table(shared_dir):
    bundled = load_registry()
    shared = load_registry(shared_dir / "data/geoconcepts-flood-risk.csv")
    assert len(bundled.concepts) == len(shared.concepts) == 74
    ppri = bundled.get("GC039")
    assert ppri.label_fr == "PPRI – zonage réglementaire" and ppri.role == "contextualisation"
    assert ppri.inspire_themes == ("nz", "lu", "am")
    assert ppri.iri() == DEFAULT_BASE_IRI + "GC039"
    assert bundled.get(DEFAULT_BASE_IRI + "GC039") is ppri
    roles = {c.role for c in bundled.concepts.values()}
    assert roles == {"calcul", "contextualisation"}


def test_a_larger_official_list_loads_without_code_change(tmp_path):
    lines = ["id,label_fr,role,inspire_themes,use_cases"]
    for i in range(1, 167):
        role = "calcul" if i % 2 else "contextualisation"
        lines.append(f"OFF{i:03d},Géo-concept officiel {i},{role},hy nz,flood-risk crisis")
    path = tmp_path / "official.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    registry = load_registry(path, base_iri="https://example.org/gc/")
    assert len(registry.concepts) == 166
    assert registry.get("OFF166").iri("https://example.org/gc/") == "https://example.org/gc/OFF166"
    cases = registry.use_cases()
    assert set(cases) == {"flood-risk", "crisis"} and len(cases["crisis"].concepts) == 166


def test_skos_round_trip_keeps_everything():
    registry = load_registry(base_iri="https://example.org/jnt/gc/")
    turtle = registry.to_turtle()
    assert "skos:ConceptScheme" in turtle and "Simulation du risque d'inondation" in turtle
    again = load_skos(turtle)
    assert again.base_iri == "https://example.org/jnt/gc/"
    assert set(again.concepts) == set(registry.concepts)
    for cid, concept in registry.concepts.items():
        other = again.get(cid)
        assert (other.label_fr, other.role, set(other.inspire_themes), other.typical_provider, other.use_cases) == (
            concept.label_fr, concept.role, set(concept.inspire_themes), concept.typical_provider, concept.use_cases)


def test_search_is_accent_insensitive_and_ranked():
    registry = load_registry()
    best, score = registry.search("PPRN inondation — zonage reglementaire de Saint-Vallier")[0]
    assert best.id == "GC039" and score > 0.5
    assert registry.search("") == [] and registry.search("xyzzy") == []
    assert fold("Réglementaire ÉTÉ") == "reglementaire ete"


@pytest.mark.parametrize("content, fragment", [
    ("id,label_fr,role\nGC1,x,calcul", "inspire_themes"),
    ("id,label_fr,role,inspire_themes\nGC1,x,computation,hy", "computation"),
    ("id,label_fr,role,inspire_themes\nGC1,x,calcul,hy\nGC1,y,calcul,hy", "GC1"),
    ("id,label_fr,role,inspire_themes\n,x,calcul,hy", "ligne 2"),
    ("id,label_fr,role,inspire_themes\nGC1,,calcul,hy", "GC1"),
    ("id,label_fr,role,inspire_themes\n", "aucun"),
])
def test_bad_csv_names_the_line_and_column(content, fragment):
    with pytest.raises(RegistryError) as info:
        load_csv(content)
    assert fragment in str(info.value)


def test_bad_files(tmp_path):
    with pytest.raises(RegistryError, match="introuvable"):
        load_registry(tmp_path / "missing.csv")
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix skos: <http://www.w3.org/2004/02/skos/core#> . <x> a skos:Concept ;", encoding="utf-8")
    with pytest.raises(RegistryError, match="Turtle"):
        load_registry(bad)
    no_role = tmp_path / "norole.ttl"
    no_role.write_text("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
                       "<https://e.org/gc/A> a skos:Concept ; skos:prefLabel \"A\"@fr .", encoding="utf-8")
    with pytest.raises(RegistryError, match="rôle"):
        load_registry(no_role)
