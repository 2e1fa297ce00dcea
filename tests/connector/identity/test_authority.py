"""The trust authority's web service: admin API protection, enrolment and the credential it issues (VC data
model 2.0 as JWT), revocation through the status list it serves, the public directory, path-based hosting."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import httpx
import jwt
import pytest

from connector.identity import (
    CredentialVerifier,
    DidResolver,
    StatusList,
    StatusListCache,
    create_authority_app,
    did_from_url,
)
from connector.identity.status_list import StatusEntry
from connector.server import BackgroundServer

IGN = "did:web:127.0.0.1%3A8443:participants:ign"
ENEDIS = "did:web:enedis.example"


def _admin(space, token=None):
    token = token or space.admin_token
    return httpx.Client(base_url=space.authority_server.base_url, headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def test_admin_api_requires_the_admin_token(space):
    body = {"did": IGN, "name": "IGN", "category": "public", "kind": "national-agency"}
    base = space.authority_server.base_url
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": space.admin_token}):
        response = httpx.post(base + "/admin/participants", json=body, headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["detail"]["error"] == "admin-token"
    assert httpx.get(base + "/admin/participants").status_code == 401


def test_admin_api_is_disabled_without_a_configured_token(space):
    server = BackgroundServer()
    settings = space.settings_for(space.root / "no-admin", did=did_from_url(server.base_url))
    with server.start(create_authority_app(settings)):
        response = httpx.post(server.base_url + "/admin/participants", json={},
                              headers={"Authorization": "Bearer anything"})
    assert response.status_code == 503
    assert "JNT_ADMIN_TOKEN" in response.json()["detail"]["message"]["fr"]


@pytest.mark.parametrize(("field", "value"), [("category", "semi-public"), ("siren", "12345"), ("did", "did:key:z6"),
                                              ("endpoint", "ftp://x"), ("name", "")])
def test_enrolment_validation_names_the_field(space, field, value):
    body = {"did": IGN, "name": "IGN", "category": "public", "kind": "national-agency", field: value}
    with _admin(space) as admin:
        response = admin.post("/admin/participants", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["error"] == "invalid-request" and detail["problems"][0].startswith(field)
    assert detail["message"]["fr"].startswith("requête invalide") and detail["message"]["en"].startswith("invalid")


def test_issued_credential_follows_the_vc_data_model(space):
    enrolment = space.enrol(IGN, "Institut national de l'information géographique et forestière", "public",
                            "national-agency", siren="180067019", endpoint="https://ign.example/dsp")
    token = enrolment["credential"]
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "vc+jwt" and header["kid"].startswith(space.authority_did + "#key-")
    document = httpx.get(space.authority_server.base_url + "/.well-known/did.json").json()
    key = next(m for m in document["verificationMethod"] if m["id"] == header["kid"])
    vc = jwt.decode(token, jwt.PyJWK(key["publicKeyJwk"]).key, algorithms=["EdDSA"])
    assert vc["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert vc["type"] == ["VerifiableCredential", "JntMembershipCredential"]
    assert vc["issuer"] == vc["iss"] == space.authority_did and vc["sub"] == IGN
    assert vc["id"] == vc["jti"] == enrolment["credentialId"]
    assert vc["credentialSubject"] == {"id": IGN, "name": "Institut national de l'information géographique et "
                                       "forestière", "category": "public", "kind": "national-agency",
                                       "siren": "180067019"}
    valid_until = datetime.fromisoformat(vc["validUntil"].replace("Z", "+00:00"))
    assert int(valid_until.timestamp()) == vc["exp"]
    days = (valid_until - datetime.fromisoformat(vc["validFrom"].replace("Z", "+00:00"))).days
    assert days == space.authority_settings.credential_validity_days
    status = vc["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListCredential"] == enrolment["statusListCredential"]
    assert status["statusListCredential"].startswith(space.authority_server.base_url + "/status/")
    directory = httpx.get(space.authority_server.base_url + "/participants").json()
    entry = next(p for p in directory["participants"] if p["did"] == IGN)
    assert directory["authority"] == space.authority_did
    assert entry["endpoint"] == "https://ign.example/dsp" and entry["siren"] == "180067019"
    assert entry["category"] == "public" and entry["kind"] == "national-agency"


def _bits(space, url: str) -> StatusList:
    token = httpx.get(url).text
    document = httpx.get(space.authority_server.base_url + "/.well-known/did.json").json()
    key = jwt.PyJWK(document["verificationMethod"][-1]["publicKeyJwk"]).key
    claims = jwt.decode(token, key, algorithms=["EdDSA"])
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"] and claims["id"] == url
    assert claims["credentialSubject"]["statusPurpose"] == "revocation"
    return StatusList.decode(claims["credentialSubject"]["encodedList"])


def test_revocation_sets_the_bit_and_reenrolment_replaces_the_credential(space):
    first = space.enrol(ENEDIS, "Enedis", "private", "network-operator")
    assert not _bits(space, first["statusListCredential"])[first["statusListIndex"]]
    second = space.enrol(ENEDIS, "Enedis", "private", "network-operator", siren="444608442")
    bits = _bits(space, second["statusListCredential"])
    assert bits[first["statusListIndex"]] and not bits[second["statusListIndex"]]  # old one revoked
    with _admin(space) as admin:
        response = admin.post(f"/admin/participants/{quote(ENEDIS, safe='')}/revoke")
        assert response.status_code == 200 and response.json() == {"did": ENEDIS, "revoked": 1}
        assert _bits(space, second["statusListCredential"])[second["statusListIndex"]]
        register = admin.get("/admin/participants").json()["participants"]
        assert next(p for p in register if p["did"] == ENEDIS)["active"] is False
        missing = admin.post(f"/admin/participants/{quote('did:web:nobody.example', safe='')}/revoke")
        assert missing.status_code == 404 and missing.json()["detail"]["error"] == "unknown-participant"
    public = httpx.get(space.authority_server.base_url + "/participants").json()["participants"]
    assert ENEDIS not in {p["did"] for p in public}
    assert httpx.get(space.authority_server.base_url + "/status/999").status_code == 404


def test_path_based_authority(space, tmp_path):
    """An authority whose DID has a path serves everything below that path, and its credentials verify."""
    server = BackgroundServer()
    did = did_from_url(server.base_url + "/authority")
    settings = space.settings_for(tmp_path, did=did, admin_token="path-admin-token")
    with server.start(create_authority_app(settings)):
        assert httpx.get(server.base_url + "/authority/did.json").json()["id"] == did
        response = httpx.post(server.base_url + "/authority/admin/participants",
                              headers={"Authorization": "Bearer path-admin-token"},
                              json={"did": IGN, "name": "IGN", "category": "public", "kind": "national-agency"})
        assert response.status_code == 201
        enrolment = response.json()
        assert enrolment["statusListCredential"].startswith(server.base_url + "/authority/status/")
        resolver = DidResolver(dev_mode=True)
        verifier = CredentialVerifier(resolver, [did])
        credential = verifier.verify_membership(enrolment["credential"])
        assert credential.membership.did == IGN and credential.membership.category == "public"
        status = StatusListCache(verifier, dev_mode=True)
        assert status.is_set(credential.status, did) is False
        assert httpx.get(server.base_url + "/authority/participants").json()["participants"][0]["did"] == IGN
        with pytest.raises(Exception) as info:
            status.is_set(StatusEntry(credential.status.list_url, credential.status.index), "did:web:other.example")
        assert getattr(info.value, "check", None) == "credential-status"
