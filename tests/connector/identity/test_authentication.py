"""Authenticated DSP requests between real servers on loopback: a valid request is accepted with the caller's
claims, and each kind of bad token is refused — 401 naming the check at the authentication layer, 404 on DSP
process endpoints."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt as pyjwt
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from connector.identity import KeyStore, Participant, VerifiedClaims, create_authority_app, create_id_token
from connector.identity.credentials import Membership, issue_membership_credential
from connector.identity.did import did_from_url
from connector.server import BackgroundServer
from policies import World, compile_policy, request_from_json
from policies.templates import Restrictions, offer_template


@pytest.fixture(scope="module")
def nodes(space):
    """A (private company, caller) and B (public body, callee), both enrolled."""
    a = space.node("a", category="private", kind="network-operator")
    b = space.node("b", category="public", kind="ddt")
    return a, b


def token(caller, audience: str, **kwargs) -> str:
    return create_id_token(caller.participant.keys, audience, caller.participant.credential, **kwargs)


# -- the valid path ------------------------------------------------------------------------------------------------

def test_valid_request_is_accepted_with_the_callers_claims(space, nodes):
    a, b = nodes
    with httpx.Client(auth=a.participant.auth_for(b.did), timeout=10) as client:
        first = client.get(b.url + "/dsp/whoami")
        second = client.get(b.url + "/dsp/whoami")  # a fresh token (new jti) on every request
        process = client.get(b.url + "/dsp/negotiations/urn:uuid:1")
    assert first.status_code == 200, first.text
    claims = first.json()
    assert claims["did"] == a.did
    assert (claims["name"], claims["category"], claims["kind"]) == ("A", "private", "network-operator")
    assert claims["issuer"] == space.authority_did
    assert claims["credential_id"] == a.credential["credentialId"]
    assert claims["authenticated"] is True
    assert second.status_code == 200 and second.json()["token_id"] != claims["token_id"]
    assert process.status_code == 200 and process.json() == {"pid": "urn:uuid:1", "caller": a.did}


def test_verified_claims_are_what_policies_evaluate(nodes):
    """A private company's offer restricted to public bodies: B (public) gets a permit, A (private) does not,
    from the claims the identity layer verified, not from anything the caller declared."""
    a, b = nodes
    policy = compile_policy(offer_template("restricted", "restricted", Restrictions(categories=["public"]),
                                           uid="urn:jnt:test:offer"))
    decisions = {}
    for caller, callee in ((a, b), (b, a)):
        response = callee.call(create_id_token(caller.participant.keys, callee.did, caller.participant.credential))
        claims = VerifiedClaims(**response.json())
        decisions[claims.category] = policy.decide(request_from_json(claims.policy_request()), World())
    assert decisions["public"].permitted and not decisions["private"].permitted


def test_token_is_accepted_without_the_bearer_prefix(nodes):
    a, b = nodes
    response = b.call(None, raw=token(a, b.did))
    assert response.status_code == 200, response.text


def test_version_endpoint_needs_no_authentication(nodes):
    _, b = nodes
    response = b.call(None, "/.well-known/dspace-version")
    assert response.status_code == 200 and response.json()["protocolVersions"][0]["version"] == "2025-1"


def test_no_network_call_per_request_once_cached(space, nodes):
    a, b = nodes
    assert b.call(token(a, b.did)).status_code == 200  # warm: A's and the authority's documents, status list
    before_authority = sum(space.authority_counter.hits.values())
    before_a = sum(a.counter.hits.values())
    for _ in range(5):
        assert b.call(token(a, b.did)).status_code == 200
    assert sum(space.authority_counter.hits.values()) == before_authority
    assert sum(a.counter.hits.values()) == before_a


# -- refusals ------------------------------------------------------------------------------------------------------

def test_missing_token(nodes, refused):
    _, b = nodes
    refused(b.call(None), "missing-token")
    assert b.call(None, "/dsp/negotiations/x").status_code == 404


def test_garbage_token(nodes, refused):
    _, b = nodes
    refused(b.call("not-a-jwt"), "malformed")


def test_forged_signature(space, nodes, refused, tmp_path):
    """A token claiming to be A, with A's key id, signed by another key."""
    a, b = nodes
    forger = KeyStore.create(tmp_path / "forged", a.did, space.passphrase.encode())
    assert forger.active_kid == a.participant.keys.active_kid
    forged = create_id_token(forger, b.did, a.participant.credential)
    refused(b.call(forged), "signature")
    assert b.call(forged, "/dsp/negotiations/x").status_code == 404


def test_tampered_claims(nodes, refused):
    """A valid token whose payload was edited (category of the caller cannot be changed either)."""
    a, b = nodes
    header, payload, signature = token(a, b.did).split(".")
    other_header, other_payload, _ = token(a, b.did).split(".")
    refused(b.call(f"{header}.{other_payload}.{signature}"), "signature")


def test_wrong_audience(space, nodes, refused):
    a, b = nodes
    c_did = did_from_url("http://127.0.0.1:1/elsewhere")
    refused(b.call(token(a, c_did)), "audience")
    assert b.call(token(a, c_did), "/dsp/negotiations/x").status_code == 404


def test_expired_token(nodes, refused):
    a, b = nodes
    refused(b.call(token(a, b.did, now=time.time() - 400, lifetime=120)), "expired")


def test_lifetime_over_five_minutes(nodes, refused):
    a, b = nodes
    now = int(time.time())
    claims = {"iss": a.did, "sub": a.did, "aud": b.did, "jti": str(uuid.uuid4()), "iat": now, "exp": now + 301,
              "membership": a.participant.credential}
    refused(b.call(a.participant.keys.sign(claims)), "lifetime")
    with pytest.raises(ValueError):
        token(a, b.did, lifetime=301)


def test_issuer_must_equal_subject(nodes, refused):
    a, b = nodes
    now = int(time.time())
    claims = {"iss": a.did, "sub": b.did, "aud": b.did, "jti": str(uuid.uuid4()), "iat": now, "exp": now + 60,
              "membership": a.participant.credential}
    refused(b.call(a.participant.keys.sign(claims)), "issuer")


def test_replayed_jti(nodes, refused):
    a, b = nodes
    once = token(a, b.did)
    assert b.call(once).status_code == 200
    refused(b.call(once), "replay")
    twice = token(a, b.did)
    assert b.call(twice, "/dsp/negotiations/p").status_code == 200
    assert b.call(twice, "/dsp/negotiations/p").status_code == 404


def test_refused_token_does_not_consume_its_jti(nodes, refused):
    """The replay store is written last: a token refused for its audience leaves its jti free."""
    a, b = nodes
    jti = str(uuid.uuid4())
    refused(b.call(token(a, "did:web:example.org", jti=jti)), "audience")
    assert b.call(token(a, b.did, jti=jti)).status_code == 200


def test_replay_is_refused_after_a_restart_of_the_verifier(space, nodes, refused):
    a, _ = nodes
    v = space.node("v-restart")
    kept = token(a, v.did, lifetime=300)
    assert v.call(kept).status_code == 200
    port = v.server.port
    v.server.stop()
    restarted = space.node("v-restart", enrol=False, port=port)  # same data directory, same DID, new process state
    assert restarted.did == v.did
    refused(restarted.call(kept), "replay")
    assert restarted.call(token(a, v.did)).status_code == 200


def test_credential_from_an_unknown_authority(space, nodes, refused):
    """A rogue authority with its own DID enrols A; B trusts only the data space authority, and refuses without
    even fetching the rogue authority's documents."""
    a, b = nodes
    server = BackgroundServer()
    space.servers.append(server)
    rogue_settings = space.settings_for(space.root / "rogue", did=did_from_url(server.base_url),
                                        admin_token="rogue-admin-token")
    rogue = space.CountingApp(create_authority_app(rogue_settings))
    server.start(rogue)
    response = httpx.post(server.base_url + "/admin/participants", headers={"Authorization": "Bearer rogue-admin-token"},
                          json={"did": a.did, "name": "A", "category": "public", "kind": "prefecture"})
    assert response.status_code == 201
    rogue_credential = response.json()["credential"]
    refused(b.call(create_id_token(a.participant.keys, b.did, rogue_credential)), "untrusted-issuer")
    assert sum(rogue.hits.values()) == 1  # only the enrolment above


def test_credential_of_another_participant(nodes, refused):
    """A presents B's (valid, trusted) credential as its own."""
    a, b = nodes
    refused(b.call(create_id_token(a.participant.keys, b.did, b.participant.credential)), "credential-subject")


def test_token_without_credential(nodes, refused):
    a, b = nodes
    refused(b.call(create_id_token(a.participant.keys, b.did, None)), "credential-missing")


def test_expired_credential(space, nodes, refused):
    a, b = nodes
    long_ago = datetime.now(UTC) - timedelta(days=400)
    membership = Membership(a.did, "A", "private", "network-operator")
    _, expired = issue_membership_credential(space.authority.keys, membership, None, validity=timedelta(days=1),
                                             now=long_ago)
    refused(b.call(create_id_token(a.participant.keys, b.did, expired)), "credential-expired")


def test_revoked_credential_is_refused_once_the_status_list_cache_expires(space, nodes, refused):
    a, _ = nodes
    r = space.node("r", category="private", kind="insurer")
    verifier = space.node("v-revoke", status_list_ttl_seconds=1.5)
    assert verifier.call(token(r, verifier.did)).status_code == 200
    fetched = time.monotonic()
    space.revoke(r.did)
    # Within the status list TTL the verifier still uses the list it has: the documented revocation delay.
    assert verifier.call(token(r, verifier.did)).status_code == 200
    time.sleep(max(0.0, 1.55 - (time.monotonic() - fetched)))
    refused(verifier.call(token(r, verifier.did)), "revoked")
    assert verifier.call(token(a, verifier.did)).status_code == 200  # others are not affected
    directory = httpx.get(space.authority_server.base_url + "/participants").json()["participants"]
    assert r.did not in {p["did"] for p in directory} and a.did in {p["did"] for p in directory}


def test_did_document_that_does_not_match(space, nodes, refused, tmp_path):
    """M is enrolled and signs correctly, but its server serves a DID document whose `id` is another DID."""
    _, b = nodes
    server = BackgroundServer()
    space.servers.append(server)
    m = Participant.init(tmp_path / "m", did_from_url(server.base_url), space.passphrase.encode())
    app = FastAPI()

    @app.get("/.well-known/did.json")
    def document() -> JSONResponse:
        return JSONResponse({**m.did_document(), "id": "did:web:someone-else.example"})

    server.start(app)
    m.save_credential(space.enrol(m.did, "M", "private", "consultancy")["credential"])
    refused(b.call(m.token_for(b.did)), "did-mismatch")


def test_unresolvable_caller(space, nodes, refused, tmp_path):
    """A caller whose DID document cannot be fetched (nobody listens on its port)."""
    _, b = nodes
    server = BackgroundServer()
    did = did_from_url(server.base_url)
    server.stop()  # the port is free again: connection refused
    ghost = Participant.init(tmp_path / "ghost", did, space.passphrase.encode())
    ghost.save_credential(space.enrol(did, "GHOST")["credential"])
    refused(b.call(ghost.token_for(b.did)), "did-resolution")


@pytest.mark.parametrize(("offset", "accepted"), [(20, True), (60, False)])
def test_clock_skew_token_from_the_future(nodes, refused, offset, accepted):
    """The caller's clock is ahead: within the 30 s tolerance the token is accepted, beyond it refused."""
    a, b = nodes
    response = b.call(token(a, b.did, now=time.time() + offset, lifetime=60))
    if accepted:
        assert response.status_code == 200, response.text
    else:
        refused(response, "not-yet-valid")


@pytest.mark.parametrize(("seconds_ago", "accepted"), [(10, True), (45, False)])
def test_clock_skew_token_just_expired(nodes, refused, seconds_ago, accepted):
    """The caller's clock is behind: a token that expired less than 30 s ago is still accepted."""
    a, b = nodes
    response = b.call(token(a, b.did, now=time.time() - 60 - seconds_ago, lifetime=60))
    if accepted:
        assert response.status_code == 200, response.text
    else:
        refused(response, "expired")


def test_key_rotation_keeps_old_tokens_verifiable(space, nodes, refused):
    _, b = nodes
    k = space.node("k")
    before = token(k, b.did)
    assert b.call(token(k, b.did)).status_code == 200  # B caches K's document with key-1 only
    new_kid = k.participant.keys.rotate()
    after = token(k, b.did)
    assert new_kid.endswith("#key-2")
    assert b.call(before).status_code == 200  # signed with key-1, still published
    assert b.call(after).status_code == 200  # key-2 unknown to B's cache: one refresh finds it
    keys = k.participant.keys
    old_kid = keys.kids[0]
    old_private = keys._private[old_kid]  # test-only: keep the retired key to sign with it afterwards
    keys.retire(old_kid)
    assert old_kid not in {m["id"] for m in k.participant.did_document()["verificationMethod"]}
    fresh_verifier = space.node("v-rotation")  # no cache: sees the document without key-1
    now = int(time.time())
    claims = {"iss": k.did, "sub": k.did, "aud": fresh_verifier.did, "jti": str(uuid.uuid4()), "iat": now,
              "exp": now + 60, "membership": k.participant.credential}
    late = pyjwt.encode(claims, old_private, algorithm="EdDSA", headers={"kid": old_kid})
    refused(fresh_verifier.call(late), "unknown-key")
