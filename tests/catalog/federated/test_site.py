"""The catalogue's public web site over the access corpus, served on loopback and read as a browser would get it
(HTML parsed with lxml): the home page's figures, the search with its facets (counts equal to the API's, values that
add and remove filters, counts of a filtered facet as if it were not), the territory picker and the map of the page's
extents, paging and sorting; the dataset sheet with the 10 criteria and the completeness of each, the offers in plain
words; the connectors' status; 404 and 400 pages in French naming what is wrong; English on request and remembered;
signing in with a token (CSRF, refusals with their reason, a signed session cookie), then each offer's eligibility
with the engine's reason, and the readiness page in the site's frame for the signed-in participant."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import lxml.html
import pytest

from catalog.federated import create_catalog_app
from catalog.federated.access import Unauthenticated, access_router
from catalog.federated.ogc_records import records_router
from catalog.federated.site import SESSION_COOKIE, CatalogueSite, SiteLinks
from policies.requester import Requester

from .access_space import CATALOGUE_DID, TOKENS, authenticate, crawl
from .conftest import open_index
from .fake_dsp import FakeDspServer, LoopbackServer

LICENCE_OUVERTE = "https://spdx.org/licenses/etalab-2.0.html"


def sign_in(token: str) -> Requester:
    if token not in TOKENS:
        raise Unauthenticated("signature", "signature du jeton invalide", "invalid token signature")
    return TOKENS[token]


@contextmanager
def site_server(directory: Path) -> Iterator[tuple[str, object]]:
    fake = FakeDspServer().start()
    try:
        with open_index("sqlite", directory) as index:
            crawl(index, fake)
            site = CatalogueSite(index, sign_in=sign_in, catalogue_did=CATALOGUE_DID, links=SiteLinks(ogcapi="/ogcapi"))
            app = create_catalog_app(index, routers=[access_router(index, authenticate=authenticate,
                                                                   catalogue_did=CATALOGUE_DID, pages=site),
                                                     records_router(index), site.router()])
            server = LoopbackServer(app).start()
            try:
                yield server.base_url, index
            finally:
                server.stop()
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with site_server(tmp_path_factory.mktemp("site")) as (base_url, index):
        yield base_url, index


@pytest.fixture
def browser(served) -> Iterator[httpx.Client]:
    """A fresh visitor: no cookie, French by default."""
    with httpx.Client(base_url=served[0], timeout=20, headers={"Accept-Language": "fr-FR,fr;q=0.9"}) as client:
        yield client


def html(answer: httpx.Response):
    assert answer.headers["content-type"].startswith("text/html"), answer.text[:300]
    return lxml.html.fromstring(answer.text)


def text(element) -> str:
    return " ".join(element.text_content().split())


def results(doc) -> list[str]:
    return doc.xpath("//ol[@id='results']/li/@data-id")


def facet_values(doc, name: str) -> dict[str, tuple[int, bool, str]]:
    """value -> (count, selected, href) of the facet `name` in the sidebar."""
    out = {}
    for link in doc.xpath(f"//section[@data-facet='{name}']//a"):
        count = int(link.xpath(".//span[@class='count']")[0].text.strip())
        out[link.get("data-value")] = (count, link.get("aria-current") == "true", link.get("href"))
    return out


def api_facets(client: httpx.Client, **params) -> dict[str, dict[str, int]]:
    body = client.get("/api/facets", params=params).json()
    return {f["name"]: {v["value"]: v["count"] for v in f["values"]} for f in body["facets"]}


def test_home_page(browser, served):
    doc = html(browser.get("/"))
    assert doc.get("lang") == "fr"
    assert doc.xpath("//main/h1") and doc.xpath("//header") and doc.xpath("//nav[@aria-label]")
    assert text(doc.xpath("//li[@id='figure-datasets']/strong")[0]) == str(served[1].count())
    assert text(doc.xpath("//li[@id='figure-connectors']/strong")[0]) == "3 / 3"
    search = doc.xpath("//form[@role='search']")[0]
    assert search.get("action") == "/recherche" and search.xpath(".//label[@for='q']")
    links = doc.xpath("//a[starts-with(@href, '/recherche?geoconcept=')]")
    assert links and all(re.search(r"\(\d+\)", text(a.getparent())) for a in links)
    assert doc.xpath("//a[@id='sign-in-link']")[0].get("href") == "/connexion"


def test_search_facets_counts_and_filters(browser):
    doc = html(browser.get("/recherche"))
    total = browser.get("/api/datasets").json()["total"]
    assert len(results(doc)) == total == 10
    assert text(doc.xpath("//h2[@id='results-title']")[0]) == "10 jeux de données"
    expected = api_facets(browser)
    for name in ("geoconcept", "role", "category", "licence", "access", "frequency", "provider"):
        shown = facet_values(doc, name)
        assert {v: c for v, (c, _, _) in shown.items()} == expected[name], name
    # Clicking a value filters on it: the results are the API's for that filter, and the counts change.
    count, selected, href = facet_values(doc, "licence")[LICENCE_OUVERTE]
    assert not selected and count == 7
    filtered = html(browser.get(href))
    assert len(results(filtered)) == 7
    assert sorted(results(filtered)) == sorted(d["id"] for d in browser.get(
        "/api/datasets", params={"licence": LICENCE_OUVERTE}).json()["datasets"])
    assert facet_values(filtered, "licence")[LICENCE_OUVERTE][1]  # shown as selected
    assert {v: c for v, (c, _, _) in facet_values(filtered, "category").items()} == \
        api_facets(browser, licence=LICENCE_OUVERTE)["category"]
    # A filtered facet keeps its other values with their own counts (any of the values selected in a facet).
    ign = next(v for v, (c, _, _) in facet_values(filtered, "provider").items() if c == 4)
    both = html(browser.get(facet_values(filtered, "provider")[ign][2]))
    providers = facet_values(both, "provider")
    assert providers[ign][1] and len(results(both)) == 4
    assert {v: c for v, (c, _, _) in providers.items()} == api_facets(browser, licence=LICENCE_OUVERTE)["provider"]
    # The active filters, each with a link that removes it.
    chips = both.xpath("//ul[contains(@class, 'active-filters')]//a")
    assert [text(a).split(" ✕")[0] for a in chips] == ["Licence : Licence Ouverte 2.0 (Etalab)", "Fournisseur : IGN",
                                                       "Tout effacer"]
    removed = html(browser.get(chips[0].get("href")))
    assert len(results(removed)) == 4 and not facet_values(removed, "licence")[LICENCE_OUVERTE][1]
    # Unselecting through the facet link itself.
    back = html(browser.get(facet_values(filtered, "licence")[LICENCE_OUVERTE][2]))
    assert len(results(back)) == 10


def test_territory_map_and_list(browser):
    doc = html(browser.get("/recherche", params={"territory": "44109"}))
    api = browser.get("/api/datasets", params={"territory": "44109"}).json()
    assert sorted(results(doc)) == sorted(d["id"] for d in api["datasets"])
    assert doc.xpath("//select[@id='territory']//option[@selected]")[0].get("value") == "44109"
    svg = doc.xpath("//svg[@id='carte']")[0]
    assert svg.get("aria-labelledby") == "carte-title carte-desc" and svg.xpath("./title") and svg.xpath("./desc")
    assert svg.xpath(".//path[contains(@class, 'highlighted')]")  # Nantes' outline
    extents = {a.get("data-extent"): a.get("href") for a in svg.xpath(".//a[contains(@class, 'extent')]")}
    with_bbox = {d["id"] for d in api["datasets"] if d["bbox"]}
    assert set(extents) == with_bbox and all(extents[i] == f"/jeux/{i}" for i in extents)
    for link in svg.xpath(".//a[contains(@class, 'extent')]"):
        assert link.get("aria-label") and link.xpath("./title")[0].text == link.get("aria-label")
    assert not doc.xpath("//img|//iframe|//script[not(@src)]|//link[@rel='stylesheet' and contains(@href, '//')]")
    assert doc.xpath("//script/@src") == ["/static/web/site.js"]


def test_paging_and_sorting(browser):
    first = html(browser.get("/recherche", params={"per_page": "3", "sort": "title"}))
    titles = [text(h) for h in first.xpath("//ol[@id='results']//h3")]
    assert len(titles) == 3 and titles == sorted(titles, key=str.casefold)
    pager = first.xpath("//nav[contains(@class, 'pager')]")[0]
    assert "Page 1 sur 4" in text(pager) and not pager.xpath(".//a[@rel='prev']")
    second = html(browser.get(pager.xpath(".//a[@rel='next']")[0].get("href")))
    assert not set(results(second)) & set(results(first))
    assert dict(parse_qsl(urlsplit(second.xpath("//a[@rel='prev']")[0].get("href")).query)) == \
        {"per_page": "3", "sort": "title"}
    by_date = html(browser.get("/recherche", params={"sort": "modified"}))
    assert by_date.xpath("//select[@id='sort']/option[@selected]")[0].get("value") == "modified"
    relevance = html(browser.get("/recherche", params={"q": "MNT"}))
    assert relevance.xpath("//select[@id='sort']/option[@selected]")[0].get("value") == "relevance"
    ranked = [text(h) for h in relevance.xpath("//ol[@id='results']//h3")]
    assert ranked == [d["title"] for d in browser.get("/api/datasets", params={"q": "MNT"}).json()["datasets"]]
    assert set(ranked[:2]) == {"MNT RGE ALTI 1 m — Angers", "MNT RGE ALTI 1 m — Nantes Métropole"}  # title first


def record_id(client: httpx.Client, words: str) -> str:
    found = client.get("/api/datasets", params={"q": words}).json()["datasets"]
    assert len(found) == 1, found
    return found[0]["id"]


def test_sheet_page(browser):
    rid = record_id(browser, "laisses")
    detail = browser.get(f"/api/datasets/{rid}").json()
    doc = html(browser.get(f"/jeux/{rid}"))
    assert text(doc.xpath("//main/h1")[0]) == "Laisses de crue — Nantes"
    criteria = doc.xpath("//section[contains(@class, 'criterion')]")
    assert [c.get("id") for c in criteria] == [f"C{i}" for i in range(1, 11)]
    missing = set(detail["completeness"]["missing_mandatory"])
    assert "licence.licence" in missing
    for section in criteria:
        filled, total = int(section.get("data-filled")), int(section.get("data-total"))
        heading = text(section.xpath("./h3")[0])
        assert f"obligatoires : {filled}/{total}" in heading
        code = section.get("id")
        key = {"C1": "nature", "C2": "provenance", "C3": "frequency", "C4": "origin", "C5": "licence",
               "C6": "extent", "C7": "access", "C8": "precision", "C9": "quality", "C10": "standard"}[code]
        assert total - filled == sum(1 for path in missing if path.startswith(key + ".")), code
    licence = doc.xpath("//section[@id='C5']")[0]
    assert text(licence.xpath(".//p[@class='missing']")[0]) == "Manquant : Licence"
    nature = doc.xpath("//section[@id='C1']")[0]
    pairs = dict(zip([text(d) for d in nature.xpath(".//dt")], [text(d) for d in nature.xpath(".//dd")], strict=True))
    assert pairs["Titre"] == "Laisses de crue — Nantes" and pairs["Géo-concept JNT"] == "Repères de crues / PHEC (GC036)"
    extent = doc.xpath("//section[@id='C6']")[0]
    assert extent.xpath(".//svg//a[@href='#emprise']") and "EPSG:2154" in text(extent)
    offers = doc.xpath("//section[contains(@class, 'offer')]")
    assert len(offers) == 1 and offers[0].get("data-offer") == "urn:offer:laisses:nantes"
    words = text(offers[0].xpath(".//ul")[0])
    assert words.startswith("Permis : utiliser — si la catégorie du destinataire est dans {organisme public}")
    assert "devoirs : supprimer les données" in words
    assert not doc.xpath("//*[@data-decision]") and doc.xpath("//p[@id='sign-in-hint']//a[@href]")
    views = [a.get("href") for a in doc.xpath("//h3[@id='vues']/following-sibling::ul[1]//a")]
    assert views == [f"/api/datasets/{rid}", f"/ogcapi/collections/jnt-datasets/items/{rid}"]  # those served
    for href in views:
        assert browser.get(href).json()["id"] == rid
    table = doc.xpath("//table")[0]
    assert table.xpath("./caption") and all(th.get("scope") == "col" for th in table.xpath("./thead//th"))
    assert all(th.get("scope") == "row" for th in table.xpath("./tbody//th"))
    dates = doc.xpath("//h2[@id='fournisseur']/following-sibling::dl[1]//time/@datetime")
    assert len(dates) == 3


def test_not_found_and_bad_parameters_in_french(browser):
    missing = browser.get("/jeux/ds-0000000000000000")
    assert missing.status_code == 404
    doc = html(missing)
    assert doc.get("lang") == "fr" and text(doc.xpath("//h1")[0]) == "Jeu de données introuvable"
    assert "ds-0000000000000000" in text(doc.xpath("//p[@role='alert']")[0])
    for params, fragment in (({"bbox": "1,2,3"}, "bbox : « 1,2,3 » : quatre nombres attendus"),
                             ({"colour": "red"}, "colour : paramètre inconnu"),
                             ({"territory": "Nantes"}, "territory : territoire introuvable"),
                             ({"page": "7"}, "page : vaut 7"),
                             ({"purpose": "flooding"}, "purpose : finalité « flooding » inconnue"),
                             ({"lang": "de"}, "lang : « de » ; attendu : fr ou en")):
        answer = browser.get("/recherche", params=params)
        assert answer.status_code == 400, params
        doc = html(answer)
        assert text(doc.xpath("//h1")[0]) == "Paramètre invalide"
        assert fragment in text(doc.xpath("//p[@role='alert']")[0]), (params, answer.text)
    assert browser.get(f"/jeux/{record_id(browser, 'laisses')}", params={"x": "1"}).status_code == 400
    assert browser.get("/connecteurs", params={"page": "2"}).status_code == 400


def test_english_on_request_and_remembered(browser):
    answer = browser.get("/recherche", params={"lang": "en", "licence": "etalab-2.0"})
    doc = html(answer)
    assert doc.get("lang") == "en" and text(doc.xpath("//h1")[0]) == "Search the catalogue"
    assert "jnt_lang=en" in answer.headers["set-cookie"] and "httponly" in answer.headers["set-cookie"].lower()
    switch = doc.xpath("//a[@id='switch-lang']")[0]
    assert switch.get("lang") == "fr" and text(switch) == "Français"
    assert dict(parse_qsl(urlsplit(switch.get("href")).query)) == {"licence": "etalab-2.0", "lang": "fr"}
    again = html(browser.get("/connecteurs"))  # remembered from the cookie
    assert again.get("lang") == "en" and text(again.xpath("//h1")[0]) == "Crawl status of the connectors"
    assert html(browser.get(switch.get("href"))).get("lang") == "fr"
    assert html(browser.get("/connecteurs")).get("lang") == "fr"
    with httpx.Client(base_url=str(browser.base_url), headers={"Accept-Language": "en-GB,en;q=0.8"}) as english:
        assert html(english.get("/")).get("lang") == "en"
        missing = english.get("/jeux/ds-0000000000000000")
        assert missing.status_code == 404 and text(html(missing).xpath("//h1")[0]) == "Dataset not found"


def test_connectors_page(browser, served):
    doc = html(browser.get("/connecteurs"))
    rows = doc.xpath("//table[@id='connectors']/tbody/tr")
    statuses = {s.did: s for s in served[1].connector_statuses()}
    assert {row.get("data-did") for row in rows} == set(statuses)
    for row in rows:
        status = statuses[row.get("data-did")]
        cells = [text(c) for c in row.xpath("./th|./td")]
        assert row.get("data-state") == "ok" and cells[1].startswith("à jour")
        assert cells[4] == str(status.dataset_count) and cells[5].endswith(" ms")
        assert row.xpath(".//time/@datetime")
    assert doc.xpath("//table[@id='connectors']/caption")


def form_token(doc) -> str:
    return doc.xpath("//form[@id='sign-in-form']//input[@name='csrf']/@value")[0]


def signed_in(browser: httpx.Client, token: str, next_url: str = "/") -> httpx.Response:
    page = html(browser.get("/connexion", params={"next": next_url}))
    return browser.post("/connexion", data={"csrf": form_token(page), "token": token,
                                           "next": page.xpath("//input[@name='next']/@value")[0]})


def test_sign_in_refusals(browser):
    page = html(browser.get("/connexion"))
    assert CATALOGUE_DID in text(page.xpath("//main")[0]) and page.xpath("//label[@for='token']")
    assert "jnt participant token --audience did:web:catalogue.example" in text(page.xpath("//ol")[0])
    forged = browser.post("/connexion", data={"csrf": "forged", "token": "region-token"})
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.headers.get("set-cookie", "")
    cross_site = browser.post("/connexion", data={"csrf": form_token(page), "token": "region-token"},
                              headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403
    refused = browser.post("/connexion", data={"csrf": form_token(page), "token": "stolen-token"})
    assert refused.status_code == 401
    doc = html(refused)
    assert text(doc.xpath("//p[@id='sign-in-error']")[0]) == \
        "Connexion refusée — jeton refusé : signature du jeton invalide"
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    browser.cookies.set(SESSION_COOKIE, "eyJkaWQiOiJkaWQ6d2ViOmV2aWwifQ.forged")
    assert not html(browser.get("/")).xpath("//span[@id='signed-in']")
    away = signed_in(browser, "firm-token", next_url="https://evil.example/")
    assert away.status_code == 303 and away.headers["location"] == "/"


def test_eligibility_for_a_signed_in_participant(browser):
    rid = record_id(browser, "laisses")
    answer = signed_in(browser, "firm-token", next_url=f"/jeux/{rid}")
    assert answer.status_code == 303 and answer.headers["location"] == f"/jeux/{rid}"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "max-age=1800" in cookie.lower() and "firm-token" not in cookie
    sheet = browser.get(f"/jeux/{rid}")
    assert sheet.headers["cache-control"] == "no-store"
    doc = html(sheet)
    assert text(doc.xpath("//span[@id='signed-in']")[0]) == \
        "Connecté en tant que Bureau d'études (entreprise privée)"
    decision = doc.xpath("//section[@data-offer='urn:offer:laisses:nantes']//*[@data-decision]")[0]
    assert decision.get("data-decision") == "not-obtainable"
    assert text(decision).startswith("non obtenable — refusé : la catégorie du destinataire 'entreprise privée' "
                                     "n'est pas dans {organisme public}")
    assert doc.xpath("//select[@id='purpose']/option[@selected]")[0].get("value") == "flood-risk-simulation"
    results_page = html(browser.get("/recherche", params={"q": "Nantes"}))
    decisions = {li.get("data-id"): li.xpath(".//*[@data-decision]/@data-decision")[0]
                 for li in results_page.xpath("//ol[@id='results']/li")}
    assert decisions[rid] == "not-obtainable" and decisions[record_id(browser, "MNT Nantes")] == \
        "obtainable-with-duties"

    sign_out = html(browser.get("/"))
    csrf = sign_out.xpath("//form[@action='/deconnexion']/input[@name='csrf']/@value")[0]
    assert browser.post("/deconnexion", data={"csrf": "x"}).status_code == 403
    out = browser.post("/deconnexion", data={"csrf": csrf})
    assert out.status_code == 303 and f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
    assert not html(browser.get(f"/jeux/{rid}")).xpath("//*[@data-decision]")

    signed_in(browser, "region-token")  # a public body, on Nantes: obtainable, with the deletion duty
    doc = html(browser.get(f"/jeux/{rid}", params={"purpose": "flood-risk-simulation", "territory": "44109"}))
    assert text(doc.xpath("//span[@id='signed-in']")[0]).endswith("Région Pays de la Loire (organisme public)")
    decision = doc.xpath("//*[@data-decision]")[0]
    assert decision.get("data-decision") == "obtainable-with-duties"
    assert "supprimer les données" in text(decision)
    research = html(browser.get(f"/jeux/{rid}", params={"purpose": "research", "territory": "44109"}))
    assert "la finalité 'research' n'est pas dans {flood-risk-simulation}" in \
        text(research.xpath("//*[@data-decision]")[0])


def test_readiness_page_in_the_site(browser):
    doc = html(browser.get("/reports/readiness", params={"territory": "44109", "purpose": "flood-risk-simulation"}))
    assert doc.xpath("//nav[@class='main']//a[@aria-current='page']/@href") == ["/reports/readiness"]
    assert doc.xpath("//link[@rel='stylesheet']/@href") == ["/static/web/site.css"] and not doc.xpath("//style")
    assert "participant inconnu" in text(doc.xpath("//dl[@class='context']")[0])
    signed_in(browser, "region-token")
    doc = html(browser.get("/reports/readiness", params={"territory": "44109", "purpose": "flood-risk-simulation"}))
    assert "Région Pays de la Loire (public)" in text(doc.xpath("//dl[@class='context']")[0])
    row = doc.xpath("//tr[@data-geoconcept='GC061']")[0]
    assert text(row.xpath("./td")[-1]) == "oui (obtenable)"
    standalone = html(browser.get("/api/reports/readiness", params={"format": "html"}))
    assert standalone.xpath("//style") and not standalone.xpath("//link|//script")


def test_static_files_and_headers(browser):
    css = browser.get("/static/web/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert browser.get("/static/web/site.css", headers={"If-None-Match": css.headers["etag"]}).status_code == 304
    assert browser.get("/static/web/../../etc/passwd").status_code == 404
    assert browser.get("/static/web/nothing.css").status_code == 404
    assert "url(" not in css.text and "@import" not in css.text  # nothing fetched from elsewhere
    page = browser.get("/recherche")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_search_page_renders_fast(browser):
    browser.get("/recherche", params={"territory": "44109"})  # templates compiled, caches warm
    timings = []
    for params in ({}, {"territory": "44109"}, {"licence": "etalab-2.0", "q": "Nantes"}, {"per_page": "5"}, {}):
        answer = browser.get("/recherche", params=params)
        timings.append(float(answer.headers["server-timing"].split("dur=")[1]))
    assert statistics.median(timings) < 50, timings
