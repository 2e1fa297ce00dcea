"""`jnt geoconcepts list / export`: the bundled list, a replacement file from JNT_GEOCONCEPTS_FILE, the base IRI."""

from __future__ import annotations

from typer.testing import CliRunner

from catalog.geoconcepts import load_skos
from connector.cli import app


def test_list_bundled():
    result = CliRunner().invoke(app, ["geoconcepts", "list"])
    assert result.exit_code == 0 and "GC039" in result.output and "74 géo-concepts" in result.output


def test_export_with_base_iri_and_replacement_file(tmp_path, monkeypatch):
    csv = tmp_path / "official.csv"
    csv.write_text("id,label_fr,role,inspire_themes\nX1,Hauteurs d'eau simulées,calcul,hy\n", encoding="utf-8")
    monkeypatch.setenv("JNT_GEOCONCEPTS_FILE", str(csv))
    monkeypatch.setenv("JNT_GEOCONCEPT_BASE_IRI", "https://geo.example.org/gc/")
    out = tmp_path / "scheme.ttl"
    result = CliRunner().invoke(app, ["geoconcepts", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    registry = load_skos(out.read_text(encoding="utf-8"))
    assert list(registry.concepts) == ["X1"] and registry.base_iri == "https://geo.example.org/gc/"


def test_missing_file_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("JNT_GEOCONCEPTS_FILE", "/nonexistent/list.csv")
    result = CliRunner().invoke(app, ["--lang", "en", "geoconcepts", "list"])
    assert result.exit_code == 2 and "file not found" in result.output and "Traceback" not in result.output
