"""`jnt sheet validate` and `show` on a sheet imported from a real ISO 19139 record, as JSON and as Turtle."""

from __future__ import annotations

from typer.testing import CliRunner

from connector.cli import app


def _import(shared_dir, tmp_path, fmt):
    record = shared_dir / "samples/iso19139/datara_pprn-inondation-saint-vallier.xml"
    out = tmp_path / f"sheet.{fmt}"
    result = CliRunner().invoke(app, ["sheet", "import-iso", str(record), "--format", fmt, "--output", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_validate_lists_missing_mandatory_fields_in_french(shared_dir, tmp_path):
    for fmt in ("json", "ttl"):
        sheet = _import(shared_dir, tmp_path, fmt)
        result = CliRunner().invoke(app, ["sheet", "validate", str(sheet)])
        assert result.exit_code == 1, result.output
        assert "C3 Fréquence — Fréquence de mise à jour : champ obligatoire manquant" in result.output
        assert "3 violation(s)" in result.output
        shown = CliRunner().invoke(app, ["sheet", "show", str(sheet)])
        assert shown.exit_code == 0 and "Obligatoires : 18/21" in shown.output


def test_completed_sheet_conforms(shared_dir, tmp_path):
    import json

    sheet_path = _import(shared_dir, tmp_path, "json")
    data = json.loads(sheet_path.read_text(encoding="utf-8"))
    data["frequency"]["accrual_periodicity"] = "http://publications.europa.eu/resource/authority/frequency/AS_NEEDED"
    data["precision"]["scale_denominator"] = 5000
    data["standard"]["conforms_to"] = [{"title": "CNIG Géostandards Risques - Profil applicatif PPR"}]
    sheet_path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["--lang", "en", "sheet", "validate", str(sheet_path)])
    assert result.exit_code == 0, result.output
    assert "Sheet conforms" in result.output


def test_bad_inputs(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    for args in (["sheet", "validate", str(bad)], ["sheet", "validate", str(tmp_path / "none.json")],
                 ["sheet", "validate", "--shapes", "xyz", str(bad)]):
        result = CliRunner().invoke(app, ["--lang", "en", *args])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
