"""The participant console in a real browser (Debian's Chromium through Playwright), as an operator uses it: sign
in, publish a dataset from an ISO 19139 record filling what the record lacks, see it listed; as the consumer,
negotiate with the provider from its catalogue, see the negotiation FINALIZED, start the transfer, see it STARTED
and fetch the data; try a policy on a request it refuses and read why. The README's screenshots
(docs/screenshots/console-*.png) are taken here: `JNT_SCREENSHOTS=1 .venv/bin/python -m pytest
tests/connector/console/test_console_browser.py` refreshes them."""

from __future__ import annotations

import re

from ...web.browser import browser, page, shoot  # noqa: F401  (fixtures)
from ..control.space import MANAGEMENT
from .conftest import publish_restricted

ISO_SAMPLE = "samples/iso19139/datara_pprn-inondation-charmes-sur-rhone.xml"
TITLE = ("PPRN : Zonages réglementaires des plans de prévention des risques naturels inondation de "
         "CHARMES-SUR-RHONE (Ardèche)")


def sign_in(page, connector, token: str = MANAGEMENT) -> None:  # noqa: F811
    page.goto(connector.base_url + "/console/")
    assert "/console/connexion" in page.url  # every page needs a session
    page.get_by_label("Jeton (JNT_MANAGEMENT_TOKEN)").fill(token)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/console/$"))


def test_publish_a_dataset_from_an_iso_19139_record(page, world, shared_dir):  # noqa: F811
    page.goto(world.provider.base_url + "/console/connexion")
    shoot(page, "console-login")
    sign_in(page, world.provider)
    page.get_by_role("link", name="Jeux de données").first.click()
    page.get_by_role("link", name="Nouveau jeu depuis une fiche ISO 19139").click()
    page.get_by_label("Ou coller la fiche ISO 19139 (XML)").fill(
        (shared_dir / ISO_SAMPLE).read_text(encoding="utf-8"))
    page.get_by_role("button", name="Importer la fiche").click()

    # The fields the record lacks are form fields, marked as still to fill.
    missing = page.locator(".editor.still")
    assert missing.count() == 4, missing.all_inner_texts()
    page.get_by_label("Fréquence de mise à jour").select_option(label="annuelle")
    page.get_by_label("Mode d'obtention").select_option(label="numérisation")
    page.get_by_label("Spécification de conformité").fill("CNIG PPRN v1.0")
    page.get_by_label("Degré de conformité").select_option(label="conforme")
    # One left empty: publishing is refused and names it.
    page.get_by_label("Fichier ou dossier sous le répertoire des sources").select_option("file:ppri/zonage.geojson")
    page.get_by_role("button", name="Publier").click()
    alert = page.locator("#publish-errors")
    assert "Standard de données" in alert.inner_text()
    assert page.locator(".editor.still").count() == 1

    page.get_by_label("Standard de données (titre)").fill("Géostandard CNIG PPR")
    page.get_by_role("button", name="Vérifier (SHACL et offre)").click()
    assert page.locator(".editor.still").count() == 0
    words = page.locator("ul.words").inner_text()
    assert "Permis : utiliser" in words and "citer la source" in words, words  # Etalab 2.0, from the record's licence
    assert page.get_by_role("heading", name="Validation SHACL (DCAT-AP 3 et formes JNT)").is_visible()
    shoot(page, "console-new-dataset")

    page.get_by_role("button", name="Publier").click()
    page.wait_for_url(re.compile(r".*/console/jeux/fiche\?id=.*publie=1"))
    assert page.get_by_role("status").inner_text() == "Jeu de données publié."
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    shoot(page, "console-dataset")

    page.get_by_role("link", name="Jeux de données").first.click()
    row = page.get_by_role("row").filter(has_text=TITLE)
    assert "obligatoires 21/21" in row.inner_text() and "ppri/zonage.geojson" in row.inner_text()
    shoot(page, "console-datasets")
    published = world.provider_client.get_dataset(
        "https://catalogue.datara.gouv.fr/geonetwork/srv/04301749-df52-4c60-a640-87948241ac67")
    assert published["completeness"]["complete"] and published["sheet"]["standard"]["conforms_to"][0]["title"] == \
        "Géostandard CNIG PPR"


def test_negotiate_transfer_and_fetch_from_the_consumer_console(page, world):  # noqa: F811
    dataset_id = publish_restricted(world)
    sign_in(page, world.consumer)
    page.get_by_role("link", name="Négociations").first.click()
    page.get_by_role("link", name="Négocier avec un fournisseur").click()
    page.get_by_label("Adresse DSP du fournisseur").fill(world.provider.dsp_url)
    page.get_by_label("DID du fournisseur").fill(world.provider.plane.did)
    page.get_by_role("button", name="Lire son catalogue").click()
    offer = page.locator("article.offer").filter(has_text=dataset_id)
    assert "organisme public" in offer.inner_text()  # the offer in plain words
    offer.get_by_label("Territoire d'usage (code INSEE…)").fill("44109")
    offer.get_by_role("button", name=re.compile("Négocier cette offre")).click()

    page.wait_for_url(re.compile(r".*/console/negociations/[0-9a-f-]+$"))
    page.locator("#state").filter(has_text="FINALIZED").wait_for()  # the page refreshes itself
    assert "agreement.received" in page.locator("table").inner_text()
    shoot(page, "console-negotiation")

    page.get_by_role("button", name="Démarrer le transfert (HttpData-PULL)").click()
    page.wait_for_url(re.compile(r".*/console/transferts/[0-9a-f-]+$"))
    page.locator("#state").filter(has_text="STARTED").wait_for()
    page.get_by_role("button", name="Recevoir les données").click()
    received = page.locator("#received")
    received.wait_for()
    assert "© DDTM 44" in received.inner_text() and re.search(r"[0-9a-f]{64}", received.inner_text())
    shoot(page, "console-transfer")

    page.get_by_role("link", name="Journal d'audit").click()
    assert "Intègre" in page.locator("#verify").inner_text()
    assert "data.received" in page.get_by_role("table").inner_text()
    page.get_by_role("link", name="Tableau de bord").click()
    shoot(page, "console-dashboard")


def test_a_policy_test_request_is_refused_with_its_reason(page, world):  # noqa: F811
    sign_in(page, world.provider)
    # From the keyboard: the first Tab reaches the skip link, which leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    page.get_by_role("link", name="Politiques").first.click()
    page.get_by_label("Licence (C5)", exact=True).select_option("restricted")
    page.get_by_label("Modalité d'accès (C7)", exact=True).select_option("restricted")
    page.get_by_text("Restrictions (accès restreint ou non public)").click()
    page.get_by_label("organisme public").check()
    page.get_by_label("simulation du risque d'inondation").check()
    page.get_by_label("Catégorie du demandeur").select_option("private")
    page.get_by_label("Finalité déclarée").select_option("flood-risk-simulation")
    page.get_by_role("button", name="Essayer").click()
    decision = page.locator("#decision")
    assert "refusé" in decision.get_by_role("heading").inner_text()
    assert "la catégorie du destinataire 'entreprise privée' n'est pas dans {organisme public}" in \
        decision.inner_text()
    shoot(page, "console-policies")
