"""The federated catalogue's web site in a real browser (Debian's Chromium driven by Playwright), over a real data
space on loopback: the trust authority, provider connectors publishing through their management API, the catalogue
participant crawling them, two consumers (a public body and a private company) and a connector that is down.

A visitor reaches the search box with the keyboard and submits it with Enter, filters by clicking facets (results
and counts change), opens a sheet from a result and from the map, reads the connectors' status and the readiness
report; a private company signs in with a token its connector issued for the catalogue and sees the refusal of a
restricted offer with the provider's reason, a public body sees it obtainable. The pages work without JavaScript
and fit a 1024-pixel-wide screen. The main pages are photographed (see `tests/web/browser.py`, `shoot`)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from catalog.vocabularies import (
    ADMS_PUBLISHER_TYPE,
    DEGREE_OF_CONFORMITY,
    FILE_TYPE,
    access_right_iri,
    data_theme_iri,
    epsg_iri,
    frequency_iri,
    inspire_theme_iri,
    origin_iri,
)
from connector.cli import app as cli

from ...web.browser import loopback_context, shoot
from ..control.space import PASSPHRASE
from .test_catalogue_access import Access
from .test_federated_catalog import GC, OPEN, World, sheet

FLOOD = "flood-risk-simulation"


def full_sheet(uid: str, title: str, geoconcept: str, bbox: list[float], *, role: str, publisher: str,
               frequency: str, origin: str, file_type: str, theme: str, standard: str, **precision) -> dict:
    """A sheet with every mandatory field of the 10 criteria filled."""
    return {
        "id": f"https://data.example.fr/{uid}",
        "nature": {"title": title, "description": f"{title} : jeu de données de référence de l'estuaire de la Loire, "
                   f"publié pour la simulation du risque d'inondation.", "geoconcept": GC + geoconcept,
                   "role": "https://w3id.org/jnt/role/" + role, "inspire_themes": [inspire_theme_iri(theme)],
                   "eu_themes": [data_theme_iri("ENVI")], "keywords": ["Loire", "inondation"]},
        "provenance": {"publisher": {"name": publisher}, "publisher_type": ADMS_PUBLISHER_TYPE + "NationalAuthority",
                       "contact": {"name": publisher, "email": "donnees@example.fr"}},
        "frequency": {"accrual_periodicity": frequency_iri(frequency), "modified": "2026-01-15"},
        "origin": {"lineage": "Production du service, contrôlée avant publication.",
                   "acquisition_mode": origin_iri(origin)},
        "licence": {"licence": "https://spdx.org/licenses/etalab-2.0.html"},
        "extent": {"bbox": bbox, "reference_systems": [epsg_iri(2154)],
                   "admin_units": ["https://w3id.org/jnt/territory/commune/44109"]},
        "access": {"access_rights": access_right_iri("PUBLIC"),
                   "distributions": [{"access_url": f"https://files.example.fr/{uid}", "format": FILE_TYPE + file_type}]},
        "precision": precision,
        "quality": {"conformity": [{"specification_title": standard, "degree": DEGREE_OF_CONFORMITY + "conformant"}]},
        "standard": {"conforms_to": [{"title": standard, "iri": f"https://standards.example.fr/{uid}"}]},
    }


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("site"), None)
    access = Access(world)
    # A fuller catalogue than the world's, and a connector that is down.
    world.publish(world.ddtm, full_sheet("ddtm/hauteurs", "Hauteurs d'eau de la Loire — station de Nantes", "GC010",
                                         [-1.565, 47.205, -1.55, 47.213], role="calcul", publisher="DDTM 44",
                                         frequency="HOURLY", origin="mesure-capteur", file_type="CSV", theme="ef",
                                         standard="Hydrométrie SANDRE", resolution_m=1.0), OPEN)
    world.publish(world.ddtm, sheet("ddtm/digues", "Digues de la Loire aval", "GC028", [-2.2, 47.25, -1.62, 47.31]),
                  OPEN)
    world.publish(world.ign, full_sheet("ign/bati", "Bâtiments BD TOPO — Nantes Métropole", "GC051",
                                        [-1.82, 47.085, -1.38, 47.35], role="contextualisation", publisher="IGN",
                                        frequency="QUARTERLY", origin="numerisation", file_type="GPKG", theme="bu",
                                        standard="BD TOPO 3.3", scale_denominator=5000), OPEN)
    world.publish(world.ign, sheet("ign/ortho", "Orthophotographie — Saint-Nazaire", "GC074",
                                   [-2.33, 47.238, -2.175, 47.322]), OPEN)
    down = world.space.connector("sdis-44", "public", "service d'incendie et de secours")
    world.space.stop_member(down)
    world.recrawl()
    yield access
    access.close()
    world.close()


def url(space: Access, path: str) -> str:
    return space.world.server.base_url + path


def result_count(page) -> int:
    return page.locator("#results > li").count()


def facet_link(page, facet: str, label: str):
    return page.locator(f"section[data-facet='{facet}'] a", has_text=label).first


def count_of(link) -> int:
    return int(link.locator(".count").inner_text().split()[0])


def test_keyboard_search_and_facets(page, space, browser):
    page.goto(url(space, "/"))
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator("#figure-datasets strong").inner_text() == "8"
    shoot(page, "catalogue-home")

    page.keyboard.press("Tab")  # the skip link comes first, visible when focused, with a visible focus ring
    focused = page.evaluate("() => [document.activeElement.textContent, getComputedStyle(document.activeElement)"
                            ".outlineStyle, document.activeElement.getBoundingClientRect().top]")
    assert focused[0] == "Aller au contenu" and focused[1] != "none" and focused[2] >= 0
    for _ in range(15):
        if page.evaluate("() => document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "q"
    page.keyboard.type("Nantes")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche\?q=Nantes$"))
    expected = [d["title"] for d in space.api.get("/datasets", params={"q": "Nantes"}).json()["datasets"]]
    assert page.locator("#results h3").all_inner_texts() == expected and len(expected) == 4

    page.goto(url(space, "/recherche?territory=44109"))  # Nantes: its outline, the extents that cross it
    assert page.locator("#carte path.highlighted").count() == 1
    assert result_count(page) == space.api.get("/datasets", params={"territory": "44109"}).json()["total"] == 6
    shoot(page, "catalogue-search")
    page.goto(url(space, "/recherche"))
    assert result_count(page) == 8 and page.locator("#carte a.extent").count() == 8
    provider = facet_link(page, "provider", "ddtm-44")
    expected = count_of(provider)
    provider.click()
    page.wait_for_url(re.compile(r"provider="))
    assert result_count(page) == expected == 4
    assert facet_link(page, "provider", "ddtm-44").get_attribute("aria-current") == "true"
    geoconcepts = page.locator("section[data-facet='geoconcept'] a .count").all_inner_texts()
    assert sum(int(c.split()[0]) for c in geoconcepts) == 4  # the counts follow the filter
    facet_link(page, "geoconcept", "GC036").click()
    page.wait_for_url(re.compile(r"geoconcept="))
    assert result_count(page) == 1
    assert page.locator("#results h3").inner_text() == "Crues historiques de la Loire à Nantes"

    # Without JavaScript, the same: facets are links, the search a plain form.
    with loopback_context(browser, java_script_enabled=False, viewport={"width": 1024, "height": 768}) as context:
        bare = context.new_page()
        bare.goto(url(space, "/recherche"))
        facet_link(bare, "category", "entreprise privée").click()
        bare.wait_for_url(re.compile(r"category=private"))
        assert bare.locator("#results > li").count() == 1
        bare.fill("#q", "réseau")
        bare.click("#search-form button[type=submit]")
        bare.wait_for_url(re.compile(r"q=r%C3%A9seau"))
        assert bare.locator("#results h3").all_inner_texts() == ["Réseau électrique HTA — Nantes"]
        for path in ("/recherche", f"/jeux/{hta(space)}", "/connecteurs"):  # fits a 1024-pixel screen
            bare.goto(url(space, path))
            assert bare.evaluate("() => document.documentElement.scrollWidth") <= 1024, path


def hta(space: Access) -> str:
    found = space.api.get("/datasets", params={"q": "HTA"}).json()["datasets"]
    return found[0]["id"]


def test_open_a_sheet_from_a_result_and_from_the_map(page, space):
    page.goto(url(space, "/recherche?q=hauteurs"))
    page.locator("#results h3 a").first.click()
    page.wait_for_url(re.compile(r"/jeux/ds-"))
    assert page.locator("main h1").inner_text() == "Hauteurs d'eau de la Loire — station de Nantes"
    criteria = page.locator("section.criterion")
    assert criteria.count() == 10
    for i in range(10):  # every mandatory field filled: each criterion says so
        assert re.search(r"obligatoires : (\d+)/\1 ✓", criteria.nth(i).locator("h3").inner_text())
    assert page.locator("#C3 dd").first.inner_text() == "horaire"
    assert "Permis : utiliser; devoirs : citer la source" in page.locator("section.offer").first.inner_text()
    shoot(page, "catalogue-sheet")
    for link in page.locator("h3#vues + ul a").all():  # JSON, GeoJSON, ISO 19139, DCAT-AP: all served
        answer = page.request.get(url(space, link.get_attribute("href")))
        assert answer.status == 200 and "data.example.fr/ddtm/hauteurs" in answer.text(), link.inner_text()

    page.goto(url(space, "/recherche?territory=44109"))
    target = page.locator("#results > li", has_text="Hauteurs d'eau").get_attribute("data-id")
    page.locator(f"#carte a[data-extent='{target}'] rect").click()  # the smallest, drawn on top of the others
    page.wait_for_url(re.compile(re.escape(f"/jeux/{target}")))
    assert page.locator("main h1").inner_text() == "Hauteurs d'eau de la Loire — station de Nantes"


def jnt_token(space: Access, name: str, *args: str) -> tuple[int, str, str]:
    """`jnt participant token --audience <catalogue> …` run for the participant `name` of the space."""
    data_dir = space.world.space.settings(name).data_dir
    result = CliRunner().invoke(cli, ["participant", "token", "--data-dir", str(data_dir), *args],
                                env={"JNT_KEY_PASSPHRASE": PASSPHRASE, "JNT_LANG": "fr"})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout.strip(), result.stderr


def sign_in(page, space: Access, name: str) -> None:
    page.locator("#sign-in-link").click()
    page.wait_for_url(re.compile(r"/connexion"))
    assert space.catalogue_did in page.locator("#token-hint").inner_text()
    code, token, said = jnt_token(space, name, "--audience", space.catalogue_did)
    assert code == 0 and token.count(".") == 2 and f"Jeton pour {space.catalogue_did}" in said
    page.fill("#token", token)
    page.click("#sign-in-form button[type=submit]")


def test_signed_in_eligibility_refusal_and_obtainable(page, space):
    sheet_url = url(space, f"/jeux/{hta(space)}")
    page.goto(sheet_url)
    assert page.locator("#sign-in-hint").is_visible() and page.locator("[data-decision]").count() == 0
    assert jnt_token(space, "bureau", "--audience", "catalogue")[0] == 2  # not a DID
    assert jnt_token(space, "bureau", "--audience", space.catalogue_did, "--lifetime", "3600")[0] == 2
    sign_in(page, space, "bureau")
    page.wait_for_url(sheet_url)
    assert page.locator("#signed-in").inner_text() == "Connecté en tant que bureau (entreprise privée)"
    decision = page.locator("section.offer [data-decision]")
    assert decision.get_attribute("data-decision") == "not-obtainable"
    reason = decision.inner_text()
    assert reason.startswith("non obtenable — refusé : la catégorie du destinataire 'entreprise privée' n'est pas "
                             "dans {organisme public}"), reason
    page.locator("#offres").scroll_into_view_if_needed()
    shoot(page, "catalogue-eligibility")

    page.locator("form[action='/deconnexion'] button").click()
    page.wait_for_url(url(space, "/"))
    assert page.locator("#sign-in-link").is_visible()
    page.goto(sheet_url)
    sign_in(page, space, "region")
    page.wait_for_url(sheet_url)
    assert page.locator("#signed-in").inner_text() == "Connecté en tant que region (organisme public)"
    assert page.locator("section.offer [data-decision]").get_attribute("data-decision") == "obtainable"
    assert page.locator("section.offer [data-decision] strong").inner_text() == "obtenable"
    page.select_option("#purpose", "urban-planning")  # another purpose: refused, with the purpose as reason
    page.click("#eligibility-form button[type=submit]")
    page.wait_for_url(re.compile(r"purpose=urban-planning"))
    assert "la finalité 'urban-planning' n'est pas dans {flood-risk-simulation}" in \
        page.locator("section.offer [data-decision]").inner_text()
    page.goto(url(space, "/recherche?q=Nantes"))  # the results too
    row = page.locator("#results > li", has_text="Réseau électrique HTA")
    assert row.locator("[data-decision]").get_attribute("data-decision") == "obtainable"


def test_connectors_and_readiness_pages(page, space):
    page.goto(url(space, "/connecteurs"))
    down = page.locator("#connectors tbody tr", has_text="sdis-44")
    assert down.get_attribute("data-state") == "failing"
    assert "no-address" in down.inner_text() and "unknown DSP address" not in down.inner_text()  # in French
    assert page.locator("#connectors tbody tr[data-state='ok']").count() == 5
    shoot(page, "catalogue-connectors")
    page.goto(url(space, f"/reports/readiness?territory=44109&purpose={FLOOD}"))
    assert page.locator("nav.main a[aria-current='page']").inner_text() == "Préparation du cas d'usage"
    row = page.locator("tr[data-geoconcept='GC061']")
    assert row.locator("td").last.inner_text() == "non (non obtenable)"  # anonymous: an unknown participant
    shoot(page, "catalogue-readiness")
    page.locator("#switch-lang").click()
    assert page.get_attribute("html", "lang") == "en"
    page.goto(url(space, "/connecteurs"))
    assert page.locator("main h1").inner_text() == "Crawl status of the connectors"  # the choice is remembered
