"""The `jnt` command line: policy evaluate / validate / template / describe / profile, the demo, and clear errors
(never a traceback) on bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from connector.cli import app

POLICY = {
    "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
    "@id": "urn:jnt:test:offer",
    "@type": "Offer",
    "permission": [{
        "action": "use",
        "constraint": [{"leftOperand": "purpose", "operator": "isAnyOf",
                        "rightOperand": [{"@id": "https://w3id.org/jnt/purpose/flood-risk-simulation"}]}],
        "duty": [{"action": "odrl:attribute"}],
    }],
}


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def files(tmp_path):
    policy = tmp_path / "policy.jsonld"
    policy.write_text(json.dumps(POLICY), encoding="utf-8")
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps({"action": "use", "assignee": "did:web:region.example", "purpose": "flood-risk-simulation",
                              "category": "public"}), encoding="utf-8")
    ko = tmp_path / "ko.json"
    ko.write_text(json.dumps({"action": "use", "purpose": "urban-planning"}), encoding="utf-8")
    return tmp_path, policy, ok, ko


def test_evaluate_permit_with_duties(runner, files):
    _, policy, ok, _ = files
    result = runner.invoke(app, ["policy", "evaluate", "--policy", str(policy), "--request", str(ok)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["decision"] == "permit"
    assert [d["action"] for d in report["duties"]] == ["attribute"]
    assert report["explanation"][0].startswith("autorisé")


def test_evaluate_deny_explains_in_french_and_english(runner, files):
    _, policy, _, ko = files
    fr = json.loads(runner.invoke(app, ["policy", "evaluate", "-p", str(policy), "-r", str(ko)]).stdout)
    assert fr["decision"] == "not-applicable"
    assert fr["explanation"][0] == "refusé : la finalité 'urban-planning' n'est pas dans {flood-risk-simulation}"
    en = json.loads(runner.invoke(app, ["--lang", "en", "policy", "evaluate", "-p", str(policy), "-r", str(ko)]).stdout)
    assert en["explanation"][0] == "denied: the purpose 'urban-planning' is not in {flood-risk-simulation}"


def test_evaluate_with_sotw_file(runner, files):
    tmp, policy, ok, _ = files
    doc = dict(POLICY)
    doc["permission"] = [{"action": "use", "constraint": [
        {"leftOperand": "count", "operator": "lteq", "rightOperand": {"@value": "3", "@type": "xsd:integer"}}]}]
    counted = tmp / "counted.jsonld"
    counted.write_text(json.dumps(doc), encoding="utf-8")
    sotw = tmp / "sotw.json"
    sotw.write_text(json.dumps({"count": 3, "now": "2026-11-28T10:00:00Z"}), encoding="utf-8")
    report = json.loads(runner.invoke(app, ["policy", "evaluate", "-p", str(counted), "-r", str(ok), "-s", str(sotw)]).stdout)
    assert report["decision"] == "not-applicable"
    assert "le nombre d'utilisations '4, en comptant celle-ci' dépasse 3" in report["explanation"][0]


@pytest.mark.parametrize("content, fragment", [
    ('{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@id": "urn:p", "@type": "Offer", '
     '"permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "term-lteq", '
     '"rightOperand": 3}]}]}', "permission[0].constraint[0].operator"),
    ('{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@id": "urn:p", "@type": "Offer", '
     '"permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "lteq", '
     '"rightOperand": "five"}]}]}', "permission[0].constraint[0].rightOperand"),
    ('{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@id": "urn:p", "@type": "Offer", '
     '"permission": [{"action": "use", "constraint": [{"leftOperand": "temperature", "operator": "eq", '
     '"rightOperand": 3}]}]}', "permission[0].constraint[0].leftOperand"),
    ('{"@id": "urn:p", "permission": [', "JSON"),
    ("@prefix odrl: <http://www.w3.org/ns/odrl/2/> . <urn:p> a odrl:Set ; odrl:permission [ odrl:action ", "Turtle"),
])
def test_bad_policies_give_clear_errors(runner, files, content, fragment):
    tmp, _, ok, _ = files
    bad = tmp / "bad.policy"
    bad.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["--lang", "en", "policy", "evaluate", "-p", str(bad), "-r", str(ok)])
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output
    validated = runner.invoke(app, ["--lang", "en", "policy", "validate", str(bad)])
    assert validated.exit_code == 1 and fragment in validated.output


def test_bad_request_and_missing_file(runner, files):
    tmp, policy, _, _ = files
    bad = tmp / "bad.json"
    bad.write_text(json.dumps({"purpose": "knitting", "colour": "red"}), encoding="utf-8")
    result = runner.invoke(app, ["--lang", "en", "policy", "evaluate", "-p", str(policy), "-r", str(bad)])
    assert result.exit_code == 2 and "colour" in result.output and "Traceback" not in result.output
    missing = runner.invoke(app, ["--lang", "en", "policy", "evaluate", "-p", str(tmp / "nope.ttl"), "-r", str(bad)])
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_validate_ok(runner, files):
    _, policy, _, _ = files
    result = runner.invoke(app, ["policy", "validate", str(policy)])
    assert result.exit_code == 0 and "valide" in result.output


def test_template_round_trips_through_evaluate(runner, files):
    tmp, _, ok, ko = files
    result = runner.invoke(app, ["policy", "template", "--licence", "restricted", "--access", "restricted",
                                 "--category", "public", "--purpose", "flood-risk-simulation", "--no-distribute",
                                 "--uid", "urn:jnt:test:restricted"])
    assert result.exit_code == 0, result.output
    offer = json.loads(result.stdout)
    assert offer["@type"] == "Offer" and offer["@id"] == "urn:jnt:test:restricted"
    path = tmp / "restricted.jsonld"
    path.write_text(result.stdout, encoding="utf-8")
    assert json.loads(runner.invoke(app, ["policy", "evaluate", "-p", str(path), "-r", str(ok)]).stdout)["decision"] == "permit"
    assert json.loads(runner.invoke(app, ["policy", "evaluate", "-p", str(path), "-r", str(ko)]).stdout)["decision"] != "permit"
    turtle = runner.invoke(app, ["policy", "template", "--format", "turtle"])
    assert turtle.exit_code == 0 and "odrl:attribute" in turtle.stdout


def test_template_errors(runner):
    result = runner.invoke(app, ["--lang", "en", "policy", "template", "--licence", "restricted", "--access", "public"])
    assert result.exit_code == 2 and "restricted licence needs restricted or non-public access" in result.output
    result = runner.invoke(app, ["--lang", "en", "policy", "template", "--access", "restricted", "--until", "soon"])
    assert result.exit_code == 2 and "'soon'" in result.output


def test_describe_and_profile(runner, files):
    _, policy, _, _ = files
    result = runner.invoke(app, ["policy", "describe", str(policy)])
    assert result.exit_code == 0 and "Permis : utiliser" in result.output and "citer la source" in result.output
    result = runner.invoke(app, ["--lang", "en", "policy", "profile"])
    assert result.exit_code == 0 and "recipientCategory" in result.output and "44109 Nantes" in result.output


def test_demo_runs_the_flood_scenario_and_reports(runner, tmp_path):
    """`jnt demo --once`: the 40 providers, 2 consumers and the catalogue on loopback, the flood-risk scenario, and
    the checks of issue 9 — all crawled, readiness report computed, the public consumer obtains the open datasets and
    those reserved to public bodies (pulled, SHA-256 checked), the private consumer is refused those, with the
    provider's reason."""
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["--lang", "en", "demo", "--once", "--report-json", str(report)])
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["ok"] is True and all(data["checks"].values()), data["checks"]
    assert len(data["participants"]) == 42
    assert sum(1 for p in data["participants"].values() if p["category"] == "public") == 31  # 30 + the Région
    assert data["ready_seconds"] > 0 and "ready_within_budget" in data  # the figure itself: make bench
    assert data["readiness"]["region-pdl"]["all"]["obtainable"] > data["readiness"]["estuaire-ingenierie"]["all"][
        "obtainable"]
    fetched = [o for o in data["obtained"] if o["state"] == "fetched"]
    assert len(fetched) >= 40 and all(o["verified"] and o["size"] > 0 for o in fetched)
    assert data["refused"] and all(o["state"] == "refused" for o in data["refused"])
    assert all("private company" in o["detail"] for o in data["refused"])
    assert "Every check of the scenario passed" in result.output


def test_invalid_lang(runner):
    result = runner.invoke(app, ["--lang", "de", "version"])
    assert result.exit_code != 0 and "Traceback" not in result.output
