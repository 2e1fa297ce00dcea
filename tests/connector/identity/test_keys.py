"""Participant keys: encrypted at rest, unreadable without the passphrase, a clear error for a wrong one,
passphrase from a secret file, rotation with stable key ids."""

from __future__ import annotations

import stat

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from connector.identity import IdentityError, KeyStore, load_passphrase

DID = "did:web:127.0.0.1%3A8443:participants:ign"
PASS = b"correct horse battery staple"


def test_private_keys_are_encrypted_at_rest(tmp_path):
    store = KeyStore.create(tmp_path, DID, PASS)
    pem = (tmp_path / "key-1.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE((tmp_path / "key-1.pem").stat().st_mode) == 0o600
    with pytest.raises(TypeError):  # cryptography itself cannot read it without the passphrase
        serialization.load_pem_private_key(pem, password=None)
    public = store.public_jwks()[0]
    assert public["kid"] == f"{DID}#key-1" and public["crv"] == "Ed25519" and "d" not in public
    assert public["x"] not in pem.decode()


def test_wrong_passphrase_is_a_clear_error(tmp_path):
    KeyStore.create(tmp_path, DID, PASS)
    with pytest.raises(IdentityError) as info:
        KeyStore.open(tmp_path, b"not the passphrase")
    assert info.value.check == "passphrase"
    assert "phrase secrète incorrecte" in info.value.fr and "wrong passphrase" in info.value.en
    assert KeyStore.open(tmp_path, PASS).did == DID


def test_missing_keys_say_what_to_do(tmp_path):
    with pytest.raises(IdentityError) as info:
        KeyStore.open(tmp_path / "nothing", PASS)
    assert "jnt participant init" in info.value.fr


def test_passphrase_from_environment_or_file(tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text("from a mounted secret\n", encoding="utf-8")
    assert load_passphrase(None, secret) == b"from a mounted secret"
    assert load_passphrase("direct passphrase", secret) == b"direct passphrase"
    for bad in ((None, None), ("short", None), (None, tmp_path / "absent")):
        with pytest.raises(IdentityError) as info:
            load_passphrase(*bad)
        assert info.value.check == "passphrase"
    with pytest.raises(IdentityError) as info:
        load_passphrase(None, None)
    assert "JNT_KEY_PASSPHRASE" in info.value.fr


def test_rotation_adds_an_active_key_and_keeps_the_old_one_until_retired(tmp_path):
    store = KeyStore.create(tmp_path, DID, PASS)
    old_token = store.sign({"n": 1})
    assert store.rotate() == f"{DID}#key-2"
    new_token = store.sign({"n": 2})
    assert jwt.get_unverified_header(new_token)["kid"] == f"{DID}#key-2"
    reopened = KeyStore.open(tmp_path, PASS)  # the manifest survives a restart
    assert reopened.active_kid == f"{DID}#key-2" and reopened.kids == [f"{DID}#key-1", f"{DID}#key-2"]
    keys = {k["kid"]: jwt.PyJWK(k).key for k in reopened.public_jwks()}
    for token in (old_token, new_token):
        kid = jwt.get_unverified_header(token)["kid"]
        jwt.decode(token, keys[kid], algorithms=["EdDSA"])
    with pytest.raises(IdentityError):
        reopened.retire(reopened.active_kid)
    reopened.retire(f"{DID}#key-1")
    assert [k["kid"] for k in KeyStore.open(tmp_path, PASS).public_jwks()] == [f"{DID}#key-2"]


def test_p256_keys(tmp_path):
    store = KeyStore.create(tmp_path, DID, PASS, key_type="P-256")
    jwk = store.public_jwks()[0]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")
    jwt.decode(store.sign({"x": 1}), jwt.PyJWK(jwk).key, algorithms=["ES256"])


def test_creating_twice_is_refused_and_repr_shows_no_secret(tmp_path):
    store = KeyStore.create(tmp_path, DID, PASS)
    with pytest.raises(IdentityError):
        KeyStore.create(tmp_path, DID, PASS)
    assert "PRIVATE" not in repr(store) and PASS.decode() not in repr(store)
