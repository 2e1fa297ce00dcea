"""The use-case readiness report over the access corpus: every géo-concept of the use case in registry order,
grouped by role, offered or not, by whom, how many datasets, best completeness, licences and access rights, and —
with a purpose — whether the consumer can obtain it; totals for calcul and contextualisation géo-concepts. The
JSON, and the HTML page (French by default, English with `lang=en` or Accept-Language), parsed with lxml: table
captions, header scopes, the cells of a row, no external asset; bad parameters answered 400."""

from __future__ import annotations

import lxml.html
import pytest

from catalog.geoconcepts import load_registry

from .access_space import FLOOD, access_api, bearer

ACCESS = "http://publications.europa.eu/resource/authority/access-right/"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with access_api("sqlite", tmp_path_factory.mktemp("readiness")) as (client, index, fake):
        yield client


def report(api, token: str | None = None, **params) -> dict:
    answer = api.get("/api/reports/readiness", params={"usecase": "flood-risk", **params},
                     headers=bearer(token) if token else {})
    assert answer.status_code == 200, answer.text
    return answer.json()


def rows(body: dict) -> dict[str, dict]:
    return {row["geoconcept"]["id"]: row for group in body["groups"] for row in group["geoconcepts"]}


def test_report_json_for_a_consumer(api):
    body = report(api, "region-token", territory="44109", purpose=FLOOD)
    registry = load_registry()
    expected = list(registry.use_cases()["flood-risk"].concepts)
    assert [g["role"] for g in body["groups"]] == ["calcul", "contextualisation"]
    listed = [row["geoconcept"]["id"] for group in body["groups"] for row in group["geoconcepts"]]
    assert sorted(listed) == sorted(expected)
    for group in body["groups"]:  # registry order within each role
        ids = [row["geoconcept"]["id"] for row in group["geoconcepts"]]
        assert ids == [c for c in expected if registry.concepts[c].role == group["role"]]
        assert all(row["geoconcept"]["role"] == group["role"] for row in group["geoconcepts"])

    table = rows(body)
    mnt = table["GC001"]
    assert mnt["offered"] and mnt["datasets"] == 2 and mnt["obtainable"] and mnt["obtainable_datasets"] == 2
    assert [p["name"] for p in mnt["providers"]] == ["IGN"]
    assert mnt["best_completeness"] > 0 and mnt["licences"][0]["value"] == "https://spdx.org/licenses/etalab-2.0.html"
    assert mnt["best"]["dataset"]["title"] == "MNT RGE ALTI 1 m — Nantes Métropole"
    hta = table["GC061"]
    assert hta["obtainable"] and hta["decision"] == "obtainable"
    assert hta["access_rights"] == [{"value": ACCESS + "RESTRICTED", "label": {"fr": "restreint", "en": "restricted"}}]
    assert hta["providers"][0]["category"] == "private"
    ppri = table["GC039"]
    assert ppri["offered"] and not ppri["obtainable"] and ppri["decision"] == "not-obtainable"
    assert "research" in ppri["best"]["explanation"]["en"]
    nobody = table["GC002"]
    assert not nobody["offered"] and nobody["datasets"] == 0 and nobody["providers"] == []
    assert nobody["obtainable"] is False and nobody["typical"]["provider"] == "IGN"

    calcul = [r for r in table.values() if r["geoconcept"]["role"] == "calcul"]
    offered_calcul = sum(1 for r in calcul if r["offered"])
    assert offered_calcul == 3  # GC001, GC010, GC036
    totals = body["totals"]
    assert totals["calcul"]["geoconcepts"] == len(calcul) and totals["calcul"]["offered"] == offered_calcul
    assert totals["calcul"]["offered_pct"] == round(100 * offered_calcul / len(calcul), 1)
    assert totals["contextualisation"]["offered"] == 3 and totals["contextualisation"]["obtainable"] == 2
    assert totals["all"]["geoconcepts"] == 74 and totals["all"]["offered"] == 6 and totals["all"]["obtainable"] == 5
    assert body["caller"]["did"] == "did:web:region.example"


def test_report_without_purpose_or_for_a_private_company(api):
    plain = report(api, territory="44109")
    assert plain["purpose"] is None and plain["caller"] is None
    assert rows(plain)["GC061"]["obtainable"] is None and plain["totals"]["all"]["obtainable"] is None
    assert plain["totals"]["all"]["offered"] == 6

    firm = report(api, "firm-token", territory="44109", purpose=FLOOD)
    assert rows(firm)["GC061"]["obtainable"] is False
    assert "private company" in rows(firm)["GC061"]["best"]["explanation"]["en"]
    everywhere = report(api, purpose=FLOOD)
    assert everywhere["territory"] is None and rows(everywhere)["GC039"]["datasets"] == 2


def page(api, path: str = "/reports/readiness", headers: dict | None = None, **params):
    answer = api.get(path, params=params, headers=headers or {})
    return answer, lxml.html.fromstring(answer.text)


def cells(doc, geoconcept: str) -> list[str]:
    row = doc.xpath(f"//tr[@data-geoconcept='{geoconcept}']")[0]
    return [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]


def test_html_page_in_french(api):
    answer, doc = page(api, territory="44109", purpose=FLOOD, headers=bearer("region-token"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert doc.get("lang") == "fr"
    captions = [c.text_content() for c in doc.xpath("//caption")]
    assert captions == ["Géo-concepts offerts et obtenables, par rôle",
                        "Géo-concepts de rôle calcul : offre et accès",
                        "Géo-concepts de rôle contextualisation : offre et accès"]
    for table in doc.xpath("//table"):
        assert all(th.get("scope") == "col" for th in table.xpath("./thead//th"))
        assert all(th.get("scope") == "row" for th in table.xpath("./tbody//th[not(ancestor::ul)]"))
    assert cells(doc, "GC061")[:4] == ["Postes de transformation / réseau électrique (GC061)", "oui", "ENEDIS", "1"]
    assert cells(doc, "GC061")[-1] == "oui (obtenable)"
    assert cells(doc, "GC039")[-1] == "non (non obtenable)"
    assert cells(doc, "GC002")[1:2] == ["non"] and "IGN" in cells(doc, "GC002")[2]
    mnt = cells(doc, "GC001")
    assert mnt[3] == "2" and mnt[4].endswith(" %") and mnt[5] == "Licence Ouverte 2.0 (Etalab)"
    totals = doc.xpath("//table[@id='totals']//tr[@data-role='contextualisation']")[0]
    contextualisation = [c.text_content().strip() for c in totals.xpath("./th|./td")]
    assert contextualisation[:3] == ["contextualisation", "38", "3"] and contextualisation[3] == "7,9"
    assert contextualisation[4] == "2"
    # Self-contained: no stylesheet, script, image or font from elsewhere.
    assert not doc.xpath("//link|//script|//img|//iframe")
    assert doc.xpath("//style") and "@media print" in doc.xpath("//style")[0].text
    assert [a.get("href") for a in doc.xpath("//nav/a")][1].startswith("/api/reports/readiness?")


def test_html_page_in_english(api):
    answer, doc = page(api, territory="44109", purpose=FLOOD, lang="en")
    assert doc.get("lang") == "en"
    assert doc.xpath("//caption")[1].text_content() == "Géo-concepts of role computation: offer and access"
    assert cells(doc, "GC061")[1] == "yes" and cells(doc, "GC061")[-1] == "no (not obtainable)"  # anonymous
    contextualisation = doc.xpath("//table[@id='totals']//tr[@data-role='contextualisation']/td")
    assert contextualisation[2].text_content().strip() == "7.9"
    _, negotiated = page(api, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}, territory="44109")
    assert negotiated.get("lang") == "en" and not negotiated.xpath("//th[text()='Obtainable']")
    _, french = page(api, headers={"Accept-Language": "de, fr;q=0.8, en;q=0.5"})
    assert french.get("lang") == "fr"
    answer, api_html = page(api, "/api/reports/readiness", usecase="flood-risk", format="html", lang="en")
    assert answer.status_code == 200 and api_html.get("lang") == "en"


def test_bad_parameters(api):
    answer, doc = page(api, territory="99999")
    assert answer.status_code == 400 and "territory" in doc.xpath("//p[@role='alert']")[0].text_content()
    for params, parameter, rule in (({"format": "pdf"}, "format", "unknown-value"),
                                    ({"purpose": "flooding"}, "purpose", "unknown-value"),
                                    ({"usecase": "drought"}, "usecase", "unknown-value"),
                                    ({"bbox": "1,2,3"}, "bbox", "format"),
                                    ({"colour": "red"}, "colour", "unknown-parameter")):
        answer = api.get("/api/reports/readiness", params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert (answer.json()["parameter"], answer.json()["rule"]) == (parameter, rule)
    refused = api.get("/api/reports/readiness", params={"purpose": FLOOD}, headers=bearer("forged"))
    assert refused.status_code == 401
    assert api.get("/reports/readiness", headers=bearer("forged")).status_code == 401
