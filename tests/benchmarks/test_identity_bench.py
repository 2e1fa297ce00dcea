"""Benchmarks of the identity layer: verifying a self-issued ID token (signature through the caller's DID
document, membership credential, status list, replay store write) once the DID documents and the status list are
cached, and, for information, signing one. Run with `make bench`; figures in docs/benchmarks.md.

Benchmarks, not timed tests: nothing asserts on a duration. Each one asserts that verification succeeds with the
right claims, and that no HTTP request at all leaves the verifier during the timed loop (an httpx event hook on
the verifier's client, plus request counters on the servers)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest

from connector.identity import Participant, build_verifier, create_authority_app, create_participant_app
from connector.identity.did import did_from_url
from connector.server import BackgroundServer
from connector.settings import Settings

PASS = "correct horse battery staple"
ADMIN = "bench-admin-token"
ROUNDS = 3000


class _Counting:
    def __init__(self, app):
        self.app, self.hits = app, Counter()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.hits[scope["path"]] += 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    import httpx

    root = tmp_path_factory.mktemp("identity-bench")
    authority_server = BackgroundServer()
    authority_did = did_from_url(authority_server.base_url)
    authority = _Counting(create_authority_app(Settings(
        _env_file=None, data_dir=root / "authority", did=authority_did, dev_mode=True, key_passphrase=PASS,
        admin_token=ADMIN)))
    authority_server.start(authority)

    caller_server = BackgroundServer()
    caller = Participant.init(root / "caller", did_from_url(caller_server.base_url), PASS.encode())
    caller_app = _Counting(create_participant_app([caller]))
    caller_server.start(caller_app)
    enrolment = httpx.post(authority_server.base_url + "/admin/participants",
                           headers={"Authorization": f"Bearer {ADMIN}"},
                           json={"did": caller.did, "name": "Nantes Métropole", "category": "public",
                                 "kind": "metropole", "siren": "244400404"})
    caller.save_credential(enrolment.json()["credential"])

    requests: list[str] = []
    client = httpx.Client(timeout=5, event_hooks={"request": [lambda r: requests.append(str(r.url))]})
    verifier_did = "did:web:127.0.0.1%3A1:verifier"  # the verifier only needs its own DID, not a server
    settings = Settings(_env_file=None, data_dir=root / "verifier", dev_mode=True, key_passphrase=PASS,
                        trusted_authorities=[authority_did])
    verifier = build_verifier(settings, verifier_did, client=client)
    warm = verifier.verify(caller.token_for(verifier_did))  # fetches both DID documents and the status list
    assert warm.did == caller.did and len(requests) == 3
    yield {"caller": caller, "verifier": verifier, "did": verifier_did, "requests": requests,
           "servers": (authority, caller_app)}
    client.close()
    caller_server.stop()
    authority_server.stop()


def test_verify_token_warm_cache(benchmark, identity):
    caller, verifier, audience = identity["caller"], identity["verifier"], identity["did"]
    requests = identity["requests"]
    before_requests = len(requests)
    before_hits = [sum(app.hits.values()) for app in identity["servers"]]
    tokens = iter([caller.token_for(audience) for _ in range(ROUNDS + 10)])

    def setup():
        return (next(tokens),), {}

    claims = benchmark.pedantic(verifier.verify, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=5)
    assert (claims.did, claims.category, claims.kind, claims.siren) == (caller.did, "public", "metropole",
                                                                        "244400404")
    assert len(requests) == before_requests, requests[before_requests:]  # no network call in the timed loop
    assert [sum(app.hits.values()) for app in identity["servers"]] == before_hits
    mean = benchmark.stats.stats.mean
    benchmark.extra_info.update({
        "verifications/s": 1 / mean, "mean µs": mean * 1e6, "median µs": benchmark.stats.stats.median * 1e6,
        "target µs": 1000, "network calls in loop": len(requests) - before_requests,
        "date": datetime.now(UTC).date().isoformat()})


def test_sign_token(benchmark, identity):
    caller, audience = identity["caller"], identity["did"]
    token = benchmark(caller.token_for, audience)
    assert token.count(".") == 2
    jti = uuid.UUID(__import__("jwt").decode(token, options={"verify_signature": False})["jti"])
    assert jti.version == 4
    benchmark.extra_info.update({"tokens/s": 1 / benchmark.stats.stats.mean,
                                 "mean µs": benchmark.stats.stats.mean * 1e6})
