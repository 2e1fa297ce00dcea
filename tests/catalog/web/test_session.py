"""Signed-cookie sessions and CSRF tokens: a session reads back only as signed (not altered, not forged with another
secret, not past its expiry), and a form's CSRF token passes only with its own seed cookie and from the site's own
origin."""

from __future__ import annotations

import base64
import json

from starlette.requests import Request

from catalog.web import SessionCookies


def request(cookies: dict[str, str] | None = None, origin: str | None = None) -> Request:
    headers = []
    if cookies:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    return Request({"type": "http", "method": "POST", "path": "/connexion", "headers": headers, "query_string": b"",
                    "scheme": "http", "server": ("catalogue.example", 80)})


def test_session_round_trip_and_refusals():
    sessions = SessionCookies("s", secret=b"k" * 32, max_age=60)
    value = sessions.encode({"did": "did:web:region.example", "category": "public"}, now=1000)
    data = sessions.decode(value, now=1030)
    assert data["did"] == "did:web:region.example" and data["exp"] == 1060 and data["sid"]
    assert sessions.decode(value, now=1061) is None  # expired
    payload, signature = value.split(".")
    altered = json.loads(base64.urlsafe_b64decode(payload + "=="))
    altered["category"] = "private"
    forged = base64.urlsafe_b64encode(json.dumps(altered).encode()).rstrip(b"=").decode()
    assert sessions.decode(f"{forged}.{signature}", now=1030) is None
    assert SessionCookies("s", secret=b"x" * 32).decode(value, now=1030) is None  # another secret
    for garbage in ("", "a", "a.b.c", "!!.??", "x" * 5000):
        assert sessions.decode(garbage, now=1030) is None
    assert SessionCookies("s").decode(SessionCookies("s").encode({"did": "d"})) is None  # random per instance


def test_csrf_token_bound_to_its_seed_and_origin():
    sessions = SessionCookies("s", secret=b"k" * 32, origins=("https://catalogue.example",))
    seed, new = sessions.csrf_seed(request())
    assert new and len(seed) >= 16
    token = sessions.csrf_token(seed)
    assert sessions.csrf_seed(request({"s_csrf": seed})) == (seed, False)
    assert sessions.csrf_valid(request({"s_csrf": seed}), token)
    assert sessions.csrf_valid(request({"s_csrf": seed}, origin="http://catalogue.example"), token)
    assert sessions.csrf_valid(request({"s_csrf": seed}, origin="https://catalogue.example"), token)
    assert not sessions.csrf_valid(request({"s_csrf": seed}, origin="https://evil.example"), token)
    assert not sessions.csrf_valid(request({"s_csrf": seed}, origin="null"), token)
    assert not sessions.csrf_valid(request({"s_csrf": "another-seed-of-length"}), token)
    assert not sessions.csrf_valid(request(), token)
    assert not sessions.csrf_valid(request({"s_csrf": seed}), None)
    # A session signature is never a valid CSRF token for the same bytes.
    assert sessions.csrf_token(seed) != sessions._sign(seed.encode())
