"""The participant console served by a connector, without a browser (HTTP + lxml): nothing without a session (every
route redirects to the sign-in page or answers 401, with nothing of the participant's in the body), the sign-in
(token, operator password, wrong credentials, rate limiting, the form's own CSRF nonce), the session cookie
(HttpOnly, SameSite=Strict, Secure over HTTPS, signed, expiring, ended by sign-out and by a new token), CSRF on
every form, the pages' data (datasets, sheet, offers in plain words, ISO 19139 import with what is missing, policy
test requests, the audit chain), and what accessibility checks a parser can make on every page."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from fastapi import FastAPI
from lxml import html as lxml_html
from starlette.testclient import TestClient
from typer.testing import CliRunner

from connector.cli import app as cli
from connector.console import Authenticator, Console, console_router, hash_password, parse_users
from connector.console.auth import ConsoleUserError, SignInLimiter, verify_password

from ..control.space import MANAGEMENT
from .conftest import publish_restricted

ISO_SAMPLE = "samples/iso19139/datara_pprn-inondation-charmes-sur-rhone.xml"
CSS = Path(__file__).resolve().parents[3] / "connector" / "console" / "static" / "console.css"
OPEN_PATHS = {"/console/connexion", "/console/static/console.css"}


def client(connector, base_url: str | None = None, address: str = "testclient") -> TestClient:
    return TestClient(connector.app, base_url=base_url or connector.base_url, follow_redirects=False,
                      client=(address, 50000))


def nonce_of(http: TestClient) -> str:
    page = http.get("/console/connexion")
    assert page.status_code == 200
    return re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)


def signed_in(connector, token: str = MANAGEMENT) -> TestClient:
    http = client(connector)
    answer = http.post("/console/connexion", data={"nonce": nonce_of(http), "token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/", answer.text
    return http


def csrf_of(http: TestClient, path: str = "/console/") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', http.get(path).text).group(1)


def tree(text: str):
    return lxml_html.fromstring(text)


def _walk(routes):
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI keeps an included router as one entry
        yield from _walk(inner.routes) if inner is not None else (route,)


def console_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in _walk(app.routes):
        path = getattr(route, "path", "")
        if path.startswith("/console") and path not in OPEN_PATHS:
            for method in sorted(getattr(route, "methods", ()) - {"HEAD"}):
                found.append((method, re.sub(r"\{[^}]+\}", "x", path)))
    return found


# -- nothing without a session ------------------------------------------------------------------------------------


def test_every_console_route_needs_a_session_and_leaks_nothing(world):
    dataset_id = publish_restricted(world, "Jeu secret du fournisseur")
    routes = console_routes(world.provider.app)
    assert len(routes) >= 25, routes  # the router's routes are all seen here
    http = client(world.provider)
    for method, path in routes:
        answer = http.request(method, path, data={"csrf": "guess"} if method == "POST" else None)
        if method == "GET":
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/console/connexion?suivant=")
        else:
            assert answer.status_code == 401, (method, path, answer.status_code)
        for secret in ("Jeu secret du fournisseur", dataset_id, world.provider.plane.did):
            assert secret not in answer.text, (method, path)
    # The same with a forged, or merely unsigned, session cookie.
    forged = Authenticator(token=MANAGEMENT, users={}).encode(Authenticator(token=MANAGEMENT, users={}).open("token"))
    http.cookies.set("jnt_console", forged, path="/console")
    assert http.get("/console/jeux").status_code == 303
    # Signed in, the page is there: the redirect target is kept through the sign-in.
    fresh = client(world.provider)
    target = fresh.get("/console/jeux/fiche?id=" + quote(dataset_id, safe="")).headers["location"]
    answer = fresh.post("/console/connexion", data={"nonce": nonce_of(fresh), "token": MANAGEMENT,
                                                    "suivant": unquote(target.split("suivant=")[1])})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/jeux/fiche?id=")
    assert "Jeu secret du fournisseur" in fresh.get(answer.headers["location"]).text


def test_sign_in_refusals_and_rate_limit(world):
    http = client(world.provider, address="192.0.2.7")  # failures are counted per client address
    assert http.post("/console/connexion", data={"token": MANAGEMENT}).status_code == 403  # no nonce: refused
    for _ in range(5):
        wrong = http.post("/console/connexion", data={"nonce": nonce_of(http), "token": "not-the-token"})
        assert wrong.status_code == 401 and "Identifiants incorrects" in wrong.text
        assert "jnt_console=" not in wrong.headers.get("set-cookie", "").replace("jnt_console_login", "")
    blocked = http.post("/console/connexion", data={"nonce": nonce_of(http), "token": MANAGEMENT})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Trop de tentatives" in blocked.text
    assert signed_in(world.provider).get("/console/").status_code == 200  # another address is not blocked
    # The limit is per client address and forgets: another address signs in; a limiter whose window passed too.
    limiter = SignInLimiter(attempts=2, window=60)
    limiter.failed("a", now=0)
    limiter.failed("a", now=1)
    assert limiter.retry_after("a", now=2) == 58 and limiter.retry_after("b", now=2) == 0
    assert limiter.retry_after("a", now=61.5) == 0


def test_session_cookie_flags_expiry_sign_out_and_token_change(world):
    http = client(world.provider, "https://connector.example")
    answer = http.post("/console/connexion", data={"nonce": nonce_of(http), "token": MANAGEMENT})
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("jnt_console="))
    for flag in ("HttpOnly", "SameSite=strict", "Secure", "Path=/console", "Max-Age=1800"):
        assert flag.lower() in cookie.lower(), cookie
    plain = signed_in(world.provider)
    assert "secure" not in next(c for c in plain.get("/console/").headers.get_list("set-cookie")
                                if c.startswith("jnt_console=")).lower()

    auth = Authenticator(token="one", users={}, secret=b"k", idle_seconds=60, max_seconds=300)
    session = auth.open("token", now=1000)
    value = auth.encode(session)
    assert auth.decode(value, now=1059) is not None and auth.decode(value, now=1060) is None  # idle expiry
    renewed = auth.encode(auth.renew(auth.decode(value, now=1050), now=1050))
    assert auth.decode(renewed, now=1100) is not None
    assert auth.decode(auth.encode(auth.renew(session, now=1290)), now=1310) is None  # absolute expiry
    assert auth.decode(value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1], now=1001) is None  # tampered
    rotated = Authenticator(token="two", users={}, secret=b"k")
    assert rotated.decode(value, now=1001) is None  # a new management token ends the old sessions

    page = plain.get("/console/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    old_cookie = plain.cookies.get("jnt_console")
    out = plain.post("/console/deconnexion", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/console/connexion?sortie=1"
    replay = client(world.provider)
    replay.cookies.set("jnt_console", old_cookie, path="/console")
    assert replay.get("/console/").status_code == 303  # the signed-out cookie is refused


def test_operators_sign_in_with_a_password(world):
    users = parse_users(["alice:" + hash_password("correct horse battery staple")])
    auth = Authenticator(token=None, users=users)
    app = FastAPI()
    app.include_router(console_router(Console(world.provider.plane, auth, registry=lambda: None,
                                              sources_dir=world.provider.plane.sources_dir)))
    http = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    form = http.get("/console/connexion").text
    assert 'name="username"' in form and 'name="token"' not in form  # no token configured: no token field
    wrong = http.post("/console/connexion", data={"nonce": nonce_of(http), "username": "alice",
                                                  "password": "wrong horse"})
    assert wrong.status_code == 401
    nobody = http.post("/console/connexion", data={"nonce": nonce_of(http), "username": "bob",
                                                   "password": "correct horse battery staple"})
    assert nobody.status_code == 401
    right = http.post("/console/connexion", data={"nonce": nonce_of(http), "username": "alice",
                                                  "password": "correct horse battery staple"})
    assert right.status_code == 303
    assert "Connecté : alice" in http.get("/console/").text
    # A new password for alice ends her sessions.
    auth.users["alice"] = hash_password("another long password")
    assert http.get("/console/").status_code == 303


def test_password_hashes_and_the_command_that_makes_them():
    encoded = hash_password("correct horse battery staple")
    assert encoded.startswith("scrypt$16384$8$1$") and ":" not in encoded and "," not in encoded
    assert verify_password("correct horse battery staple", encoded) and not verify_password("correct horse", encoded)
    with pytest.raises(ConsoleUserError):
        parse_users(["alice:plaintext"])
    with pytest.raises(ConsoleUserError):
        parse_users(["alice:" + encoded, "alice:" + encoded])
    made = CliRunner().invoke(cli, ["console", "hash-password", "--stdin", "--user", "alice"],
                              input="correct horse battery staple\n")
    assert made.exit_code == 0, made.output
    name, _, made_hash = made.output.strip().partition(":")
    assert name == "alice" and verify_password("correct horse battery staple", made_hash)
    short = CliRunner().invoke(cli, ["console", "hash-password", "--stdin"], input="short\n")
    assert short.exit_code == 1


# -- CSRF ---------------------------------------------------------------------------------------------------------


def test_forms_without_the_session_csrf_token_are_refused(world, shared_dir):
    http = signed_in(world.provider)
    record = (shared_dir / ISO_SAMPLE).read_text(encoding="utf-8")
    before = world.provider_client.list_datasets(limit=500)["total"]
    for data in ({"action": "import", "iso19139": record}, {"action": "import", "iso19139": record, "csrf": "x"}):
        refused = http.post("/console/jeux/nouveau", data=data)
        assert refused.status_code == 403 and "CSRF" in refused.text
    csrf = csrf_of(http)
    other_site = http.post("/console/jeux/nouveau", data={"action": "import", "iso19139": record, "csrf": csrf},
                           headers={"Origin": "https://evil.example"})
    assert other_site.status_code == 403
    stop = http.post("/console/deconnexion", data={"csrf": "nope"})
    assert stop.status_code == 403 and http.get("/console/").status_code == 200  # still signed in
    assert world.provider_client.list_datasets(limit=500)["total"] == before


# -- the pages' data ----------------------------------------------------------------------------------------------


def test_dataset_pages_show_the_sheet_the_offer_in_plain_words_and_the_source(world):
    publish_restricted(world, "Réseau HTA pour la page")
    http = signed_in(world.provider)
    listing = tree(http.get("/console/jeux").text)
    row = next(r for r in listing.xpath("//tbody/tr") if "Réseau HTA pour la page" in r.text_content())
    assert "ppri/zonage.geojson" in row.text_content()
    link = row.xpath(".//a/@href")[0]
    page = http.get(link)
    assert page.status_code == 200
    doc = tree(page.text)
    assert doc.xpath("string(//h1)") == "Réseau HTA pour la page"
    words = " ".join(doc.xpath("//article[@class='offer']//li/text()"))
    assert "organisme public" in words and "flood-risk-simulation" in words, words
    missing = doc.xpath("//tr[@class='missing']/th")
    assert len(missing) >= 10  # a bare sheet: most mandatory fields are marked missing
    assert http.get("/console/jeux/fiche?id=urn:nope").status_code == 404


def test_importing_an_iso_record_lists_what_is_missing_and_publishing_needs_it(world, shared_dir):
    http = signed_in(world.provider)
    csrf = csrf_of(http)
    record = (shared_dir / ISO_SAMPLE).read_text(encoding="utf-8")
    bad = http.post("/console/jeux/nouveau", data={"csrf": csrf, "action": "import", "iso19139": "<nope/>"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    imported = http.post("/console/jeux/nouveau", files={"iso_file": ("record.xml", record.encode(), "text/xml")},
                         data={"csrf": csrf, "action": "import"})
    assert imported.status_code == 200
    doc = tree(imported.text)
    editors = doc.xpath("//div[contains(@class, 'editor') and contains(@class, 'still')]/@id")
    assert editors == ["edit-frequency-accrual_periodicity", "edit-origin-acquisition_mode", "edit-quality-conformity",
                       "edit-standard-conforms_to"]
    form = {name: value for name, value in ((i.get("name"), i.get("value")) for i in doc.xpath("//form//input"))
            if name in ("csrf", "sheet", "missing", "notices")}
    form.update({"policy_mode": "template", "licence": "etalab-2.0", "access": "public",
                 "f.frequency.accrual_periodicity": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
                 "f.origin.acquisition_mode": "https://w3id.org/jnt/origin/numerisation",
                 "f.quality.conformity": "CNIG PPRN", "f.quality.conformity.degree": "conformant",
                 "f.standard.conforms_to": "Géostandard CNIG PPR", "data_source": "file:ppri/../../escape"})
    # A wrong value in a field: named, nothing published.
    wrong = http.post("/console/jeux/nouveau", data={**form, "f.quality.conformity.degree": "perfect",
                                                     "action": "publish"})
    assert wrong.status_code == 400 and "degré de conformité inconnu" in wrong.text
    # A data source outside the sources directory: the management API's refusal, named.
    outside = http.post("/console/jeux/nouveau", data={**form, "action": "publish"})
    assert outside.status_code == 400 and "data_source.path" in outside.text
    checked = http.post("/console/jeux/nouveau", data={**form, "data_source": "", "action": "check"})
    assert checked.status_code == 200 and "Permis : utiliser" in checked.text and "Validation SHACL" in checked.text
    published = http.post("/console/jeux/nouveau", data={**form, "data_source": "", "action": "publish"})
    assert published.status_code == 303 and "publie=1" in published.headers["location"]


def test_policy_page_decides_a_test_request(world):
    http = signed_in(world.provider)
    csrf = csrf_of(http, "/console/politiques")
    base = {"csrf": csrf, "policy_mode": "template", "licence": "restricted", "access": "restricted",
            "categories": "public", "purposes": ["flood-risk-simulation", "crisis-management"]}
    permitted = tree(http.post("/console/politiques", data={**base, "test_category": "public",
                                                            "test_purpose": "flood-risk-simulation"}).text)
    assert "permis" in permitted.xpath("string(//section[@id='decision']/h2)")
    refused = tree(http.post("/console/politiques", data={**base, "test_category": "public",
                                                          "test_purpose": "urban-planning"}).text)
    assert "refusé" in refused.xpath("string(//section[@id='decision']/h2)")
    assert "la finalité 'urban-planning' n'est pas dans" in refused.xpath("string(//section[@id='decision'])")
    odrl = ('{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Offer", "uid": "urn:x", '
            '"permission": [{"action": "use", "constraint": [{"leftOperand": "dateTime", "operator": "lt", '
            '"rightOperand": {"@value": "2020-01-01", "@type": "xsd:date"}}]}]}')
    late = tree(http.post("/console/politiques?lang=en", data={"csrf": csrf, "policy_mode": "odrl", "odrl": odrl,
                                                               "test_date": "2026-06-01"}).text)
    assert "refused" in late.xpath("string(//section[@id='decision']/h2)")
    broken = http.post("/console/politiques?lang=fr", data={"csrf": csrf, "policy_mode": "odrl", "odrl": "{not json"})
    assert broken.status_code == 400 and "JSON mal formé" in broken.text


def test_audit_page_verifies_the_chain_and_the_other_pages_render(world):
    publish_restricted(world)
    http = signed_in(world.consumer)
    audit = tree(http.get("/console/journal").text)
    assert "Intègre" in audit.xpath("string(//section[@id='verify'])")
    catalogue = http.get("/console/negociations/nouvelle", params={"address": world.provider.dsp_url,
                                                                   "did": world.provider.plane.did})
    assert catalogue.status_code == 200 and "Négocier cette offre" in catalogue.text
    unreachable = http.get("/console/negociations/nouvelle", params={"address": "http://127.0.0.1:9/api/dsp",
                                                                     "did": "did:web:nobody.example"})
    assert "injoignable" in unreachable.text
    english = http.get("/console/?lang=en")
    assert "Dashboard" in english.text and '<html lang="en">' in english.text
    assert "Published datasets" in http.get("/console/jeux").text  # the choice is kept (cookie)


# -- accessibility a parser can check -----------------------------------------------------------------------------


def _accessibility_problems(path: str, text: str) -> list[str]:
    doc = tree(text)
    problems = []
    if doc.get("lang") not in ("fr", "en"):
        problems.append("html without lang")
    if len(doc.xpath("//h1")) != 1:
        problems.append(f"{len(doc.xpath('//h1'))} h1")
    if not doc.xpath("//a[@class='skip' and @href='#contenu']") or not doc.xpath("//main[@id='contenu']"):
        problems.append("no skip link to the main content")
    labelled = set(doc.xpath("//label/@for"))
    for control in doc.xpath("//input[not(@type='hidden') and not(@type='submit')] | //select | //textarea"):
        inside = control.xpath("ancestor::label")
        if not inside and control.get("id") not in labelled and not control.get("aria-label"):
            problems.append(f"unlabelled {control.tag} {control.get('name')}")
    ids = doc.xpath("//@id")
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    for table in doc.xpath("//table"):
        if not table.xpath("caption"):
            problems.append("table without caption")
        for header in table.xpath(".//th"):
            if not header.get("scope"):
                problems.append("th without scope")
    for img in doc.xpath("//img[not(@alt)]"):
        problems.append(f"img without alt {img.get('src')}")
    return [f"{path}: {p}" for p in problems]


def test_every_page_passes_the_parser_accessibility_checks(world, shared_dir):
    publish_restricted(world)
    http = signed_in(world.provider)
    pages = {"/console/connexion": client(world.provider).get("/console/connexion").text}
    for path in ("/console/", "/console/jeux", "/console/jeux/nouveau", "/console/politiques",
                 "/console/negociations", "/console/accords", "/console/transferts", "/console/journal",
                 "/console/plans"):
        answer = http.get(path)
        assert answer.status_code == 200, path
        pages[path] = answer.text
    first = tree(pages["/console/jeux"]).xpath("//tbody//a/@href")[0]
    pages["dataset"] = http.get(first).text
    csrf = csrf_of(http)
    record = (shared_dir / ISO_SAMPLE).read_text(encoding="utf-8")
    pages["import"] = http.post("/console/jeux/nouveau", data={"csrf": csrf, "action": "import",
                                                               "iso19139": record}).text
    pages["policy test"] = http.post("/console/politiques", data={"csrf": csrf, "licence": "etalab-2.0",
                                                                  "access": "public", "test_date": "bad"}).text
    problems = [p for path, text in pages.items() for p in _accessibility_problems(path, text)]
    assert not problems, problems
    assert 'aria-invalid="true"' in pages["policy test"]  # a field in error says so, and why (aria-describedby)
    consumer = signed_in(world.consumer)
    negotiations = consumer.get("/console/negociations").text
    assert not _accessibility_problems("consumer negotiations", negotiations)


def _luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_stylesheet_colours_have_enough_contrast():
    css = CSS.read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    pairs = [("ink", "paper"), ("muted", "paper"), ("link", "paper"), ("ink", "soft"), ("muted", "soft"),
             ("bad", "paper"), ("bad", "bad-bg"), ("ok", "paper"), ("ok", "ok-bg"), ("warn", "paper"),
             ("warn", "warn-bg"), ("brand", "paper")]
    for fg, bg in pairs:
        assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg, contrast(colours[fg], colours[bg]))
    assert contrast("#ffffff", colours["brand"]) >= 4.5  # the header
    assert contrast(colours["focus"], colours["paper"]) >= 3 and contrast(colours["focus-on-brand"],
                                                                          colours["brand"]) >= 3  # focus rings
    assert contrast(colours["ink"], "#e8edf5") >= 4.5  # the navigation bar and table heads
    assert ":focus-visible" in css and "outline: 3px" in css  # focus is visible


# -- obtaining an access plan -------------------------------------------------------------------------------------


def _plan(world, dataset_id: str) -> dict:
    """An access plan in the federated catalogue's format, with one item: the provider's dataset."""
    import uuid

    catalog = world.consumer_client.fetch_catalog(world.provider.dsp_url, world.provider.plane.did)
    offer = next(d for d in catalog["dataset"] if d["@id"] == dataset_id)["hasPolicy"][0]
    gc = "https://w3id.org/jnt/geoconcept/GC039"
    return {"type": "AccessPlan", "version": 1, "id": f"urn:uuid:{uuid.uuid4()}", "created": "2026-12-08T10:00:00Z",
            "catalogue": None, "consumer": world.consumer.plane.did, "usecase": "flood-risk",
            "territory": {"code": "44109", "label": "Nantes", "bbox": [-1.64, 47.18, -1.48, 47.30]}, "bbox": None,
            "purpose": "https://w3id.org/jnt/purpose/flood-risk-simulation", "gaps": [],
            "items": [{"geoconcept": {"id": "GC039", "iri": gc, "label": {"fr": "Réseau électrique",
                                                                           "en": "Power network"}, "role": "calcul"},
                       "dataset": {"id": dataset_id, "record": "ds-1", "title": "Réseau HTA"},
                       "provider": {"did": world.provider.plane.did, "name": "DDTM 44", "category": "public",
                                    "dsp": world.provider.dsp_url},
                       "offer": offer, "format": "HttpData-PULL", "decision": "obtainable", "duties": [],
                       "explanation": {"fr": "autorisé", "en": "permitted"}, "score": 0.5, "alternatives": []}]}


def test_obtaining_an_access_plan_from_the_console_shows_its_progress(world):
    import json
    import time

    dataset_id = publish_restricted(world, "Réseau HTA du plan")
    http = signed_in(world.consumer)
    csrf = csrf_of(http, "/console/plans")
    unreadable = http.post("/console/plans", data={"csrf": csrf, "source": "paste", "plan": "{nope"})
    assert unreadable.status_code == 400 and "Plan illisible" in unreadable.text
    invalid = http.post("/console/plans", data={"csrf": csrf, "source": "paste", "plan": '{"type": "AccessPlan"}'})
    assert invalid.status_code == 422 and 'role="alert"' in invalid.text  # the management API's refusal, shown
    plan = _plan(world, dataset_id)
    started = http.post("/console/plans", data={"csrf": csrf, "source": "paste"},
                        files={"plan_file": ("plan.json", json.dumps(plan).encode(), "application/json")})
    assert started.status_code == 303, started.text
    target = started.headers["location"]
    deadline = time.monotonic() + 30
    while True:
        page = http.get(target)
        assert page.status_code == 200
        if 'http-equiv="refresh"' not in page.text:
            break
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.2)
    doc = tree(page.text)
    assert doc.xpath("string(//span[@id='status'])") == "completed"
    row = doc.xpath("string(//tbody/tr[1])")
    assert "fetched" in row and "Réseau électrique" in row and "zonage.geojson" in row, row
    assert doc.xpath("//progress/@value") == ["1"]
    assert "Réseau" not in client(world.consumer).get(target).text  # and nothing of it without a session
