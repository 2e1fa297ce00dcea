"""did:web ↔ URL (did:web method specification), DID documents, and resolution over HTTP with a TTL cache,
HTTPS-only except loopback in development mode."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from connector.identity import DidResolver, IdentityError, KeyStore, did_from_url, did_to_url, parse_did_web
from connector.identity.did import check_transport, did_base_url, did_document, parse_did_document
from connector.server import BackgroundServer

PASS = b"correct horse battery staple"


@pytest.mark.parametrize(("did", "url"), [
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
    ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
    ("did:web:127.0.0.1%3A8443:participants:ign", "https://127.0.0.1:8443/participants/ign/did.json"),
])
def test_did_web_to_url(did, url):
    assert did_to_url(did) == url


def test_loopback_uses_plain_http_only_in_development_mode():
    did = "did:web:127.0.0.1%3A8443:participants:ign"
    assert did_to_url(did, dev_mode=True) == "http://127.0.0.1:8443/participants/ign/did.json"
    assert did_to_url("did:web:localhost%3A9000", dev_mode=True) == "http://localhost:9000/.well-known/did.json"
    assert did_to_url("did:web:ign.example", dev_mode=True) == "https://ign.example/.well-known/did.json"
    assert did_base_url(did, dev_mode=True) == "http://127.0.0.1:8443/participants/ign"


def test_url_to_did_round_trip():
    assert did_from_url("http://127.0.0.1:8443/participants/ign") == "did:web:127.0.0.1%3A8443:participants:ign"
    assert did_from_url("https://IGN.example/") == "did:web:ign.example"


@pytest.mark.parametrize("bad", ["did:key:z6Mk", "did:web:", "did:web:exa mple.org", "did:web:host%3A99999",
                                 "did:web:host::x", "did:web:host:..", "web:host"])
def test_invalid_dids_are_refused(bad):
    with pytest.raises(IdentityError) as info:
        parse_did_web(bad)
    assert info.value.check == "did"


@pytest.mark.parametrize(("url", "dev_mode", "ok"), [
    ("https://ign.example/did.json", False, True),
    ("http://127.0.0.1:8000/did.json", True, True),
    ("http://localhost:8000/did.json", True, True),
    ("http://127.0.0.1:8000/did.json", False, False),  # production: HTTPS only, even on loopback
    ("http://ign.example/did.json", True, False),  # development mode does not open plain HTTP to the world
    ("http://10.0.0.1/did.json", True, False),
    ("ftp://ign.example/did.json", True, False),
])
def test_transport_rule(url, dev_mode, ok):
    if ok:
        check_transport(url, dev_mode)
    else:
        with pytest.raises(IdentityError) as info:
            check_transport(url, dev_mode)
        assert info.value.check == "transport"


def test_document_shape_and_dsp_service(tmp_path, shared_dir):
    import jsonschema
    from referencing import Registry, Resource

    did = "did:web:127.0.0.1%3A8443:participants:ign"
    keys = KeyStore.create(tmp_path, did, PASS)
    doc = did_document(did, keys.public_jwks(), "http://127.0.0.1:8443/participants/ign/dsp")
    kid = f"{did}#key-1"
    assert doc["id"] == did and doc["verificationMethod"][0]["type"] == "JsonWebKey2020"
    assert doc["verificationMethod"][0]["controller"] == did
    for relationship in ("authentication", "assertionMethod", "capabilityInvocation"):
        assert doc[relationship] == [kid]
    service = doc["service"][0]
    assert service["serviceEndpoint"] == "http://127.0.0.1:8443/participants/ign/dsp/catalog"
    # The service entry is valid against DSP 2025-1's did-service-schema.json.
    common = shared_dir / "spec" / "dsp-2025-1" / "common"
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in common.glob("*-schema.json")}
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values())
    jsonschema.Draft201909Validator(schemas["did-service-schema.json"], registry=registry).validate(service)
    parsed = parse_did_document(did, doc)
    assert parsed.key(kid, ("authentication",)).algorithm == "EdDSA"
    assert parsed.service_endpoint() == service["serviceEndpoint"]


def test_document_parsing_ignores_foreign_and_private_keys(tmp_path):
    did, other = "did:web:a.example", "did:web:b.example"
    mine = KeyStore.create(tmp_path / "a", did, PASS).public_jwks()[0]
    theirs = KeyStore.create(tmp_path / "b", other, PASS).public_jwks()[0]
    doc = did_document(did, [mine])
    doc["verificationMethod"].append({"id": theirs["kid"], "type": "JsonWebKey2020", "controller": other,
                                      "publicKeyJwk": theirs})
    doc["authentication"].append(theirs["kid"])
    doc["verificationMethod"].append({"id": f"{did}#leaky", "type": "JsonWebKey2020", "controller": did,
                                      "publicKeyJwk": {**mine, "d": "secret"}})
    doc["authentication"].append(f"{did}#leaky")
    parsed = parse_did_document(did, doc)
    assert set(parsed.keys) == {mine["kid"]}
    assert parsed.key("#key-1", ("authentication",)) is not None  # relative key ids are understood
    with pytest.raises(IdentityError) as info:
        parse_did_document(other, doc)
    assert info.value.check == "did-mismatch"


class _Host:
    """A loopback server whose DID document can be changed, counting document requests."""

    def __init__(self, tmp_path):
        self.server = BackgroundServer()
        self.did = did_from_url(self.server.base_url)
        self.keys = KeyStore.create(tmp_path, self.did, PASS)
        self.hits = 0
        self.document = did_document(self.did, self.keys.public_jwks())
        app = FastAPI()

        @app.get("/.well-known/did.json")
        def document() -> JSONResponse:
            self.hits += 1
            return JSONResponse(self.document)

        self.server.start(app)


@pytest.fixture
def host(tmp_path):
    host = _Host(tmp_path)
    yield host
    host.server.stop()


def test_resolver_caches_until_the_ttl_expires(host):
    now = [1000.0]
    resolver = DidResolver(dev_mode=True, ttl_seconds=60, clock=lambda: now[0])
    kid = host.keys.active_kid
    for _ in range(3):
        assert resolver.resolve_key(host.did, kid, ("authentication",)).kid == kid
    assert host.hits == 1
    now[0] += 61
    resolver.resolve(host.did)
    assert host.hits == 2


def test_unknown_key_refreshes_at_most_once_per_interval(host):
    now = [1000.0]
    resolver = DidResolver(dev_mode=True, ttl_seconds=300, min_refresh_seconds=30, clock=lambda: now[0])
    resolver.resolve(host.did)
    new_kid = host.keys.rotate()
    host.document = did_document(host.did, host.keys.public_jwks())
    assert resolver.resolve_key(host.did, new_kid, ("authentication",)).kid == new_kid  # rotation found
    assert host.hits == 2
    now[0] += 31
    for _ in range(3):
        with pytest.raises(IdentityError) as info:
            resolver.resolve_key(host.did, f"{host.did}#made-up", ("authentication",))
        assert info.value.check == "unknown-key"
    assert host.hits == 3  # one refresh for the made-up key id, then none within 30 s
    with pytest.raises(IdentityError) as info:
        resolver.resolve_key(host.did, "did:web:other.example#key-1", ("authentication",))
    assert info.value.check == "kid"


def test_resolver_refuses_plain_http_outside_development_mode(host):
    """In production the loopback DID maps to HTTPS; our plain-HTTP server is never asked for the document."""
    resolver = DidResolver(dev_mode=False, timeout=2)
    with pytest.raises(IdentityError) as info:
        resolver.resolve(host.did)
    assert info.value.check == "did-resolution"
    assert host.hits == 0


def test_resolver_refuses_a_mismatching_document(host):
    host.document = {**host.document, "id": "did:web:impostor.example"}
    with pytest.raises(IdentityError) as info:
        DidResolver(dev_mode=True).resolve(host.did)
    assert info.value.check == "did-mismatch"


@pytest.mark.parametrize(("body", "check"), [("not json", "did-document"), ("x" * 300_000, "did-document")])
def test_resolver_refuses_bad_documents(host, body, check):
    host.document = body
    with pytest.raises(IdentityError) as info:
        DidResolver(dev_mode=True).resolve(host.did)
    assert info.value.check == check


def test_resolver_reports_http_errors(host):
    resolver = DidResolver(dev_mode=True, client=httpx.Client(timeout=2))
    with pytest.raises(IdentityError) as info:
        resolver.resolve(host.did + ":nobody")
    assert info.value.check == "did-resolution" and "404" in info.value.en
