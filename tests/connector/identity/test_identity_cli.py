"""`jnt participant`, `jnt keys` and `jnt authority`: create an identity, enrol it with a running authority, store
the credential, revoke it, rotate keys; every error is a clear message, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from connector.cli import app
from connector.identity import Participant

PASS = "correct horse battery staple"


@pytest.fixture
def runner():
    return CliRunner()


def env(tmp_path, **extra):
    values = {"JNT_KEY_PASSPHRASE": PASS, "JNT_DATA_DIR": str(tmp_path), "JNT_LANG": "fr"}
    values.update(extra)
    return values


def clean(result) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def test_participant_init_and_keys(runner, tmp_path):
    did = "did:web:127.0.0.1%3A8443:participants:ign"
    result = runner.invoke(app, ["participant", "init", "--did", did, "--endpoint", "https://ign.example/dsp"],
                           env=env(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == did
    assert "http" in result.stderr and "participants/ign/did.json" in result.stderr
    document = json.loads((tmp_path / "participant" / "did.json").read_text())
    assert document["id"] == did and document["service"][0]["serviceEndpoint"] == "https://ign.example/dsp/catalog"
    shown = runner.invoke(app, ["participant", "did-document"], env=env(tmp_path))
    assert json.loads(shown.stdout) == document
    rotated = runner.invoke(app, ["keys", "rotate"], env=env(tmp_path))
    assert rotated.exit_code == 0 and rotated.stdout.strip() == f"{did}#key-2"
    listed = runner.invoke(app, ["keys", "list"], env=env(tmp_path)).stdout.splitlines()
    assert listed == [f"{did}#key-1", f"{did}#key-2 (active)"]
    retired = runner.invoke(app, ["keys", "retire", f"{did}#key-2"], env=env(tmp_path))
    assert retired.exit_code == 1 and "clé active" in retired.stderr
    clean(retired)
    again = runner.invoke(app, ["participant", "init", "--did", did], env=env(tmp_path))
    assert again.exit_code == 2 and "existe déjà" in again.stderr
    clean(again)


def test_passphrase_errors_are_clear(runner, tmp_path):
    no_passphrase = env(tmp_path)
    no_passphrase.pop("JNT_KEY_PASSPHRASE")
    result = runner.invoke(app, ["participant", "init", "--did", "did:web:ign.example"], env=no_passphrase)
    assert result.exit_code == 2 and "JNT_KEY_PASSPHRASE" in result.stderr
    clean(result)
    assert runner.invoke(app, ["participant", "init", "--did", "did:web:ign.example"], env=env(tmp_path)).exit_code == 0
    wrong = runner.invoke(app, ["participant", "did-document"], env=env(tmp_path, JNT_KEY_PASSPHRASE="wrong passphrase"))
    assert wrong.exit_code == 1 and "phrase secrète incorrecte" in wrong.stderr
    clean(wrong)
    english = runner.invoke(app, ["--lang", "en", "participant", "did-document"],
                            env=env(tmp_path, JNT_KEY_PASSPHRASE="wrong passphrase"))
    assert "wrong passphrase" in english.stderr
    bad_did = runner.invoke(app, ["participant", "init", "--did", "did:key:z6Mk"], env=env(tmp_path / "x"))
    assert bad_did.exit_code == 2 and "did:web" in bad_did.stderr
    clean(bad_did)


def test_enrol_store_and_revoke_through_the_cli(runner, space, tmp_path):
    base = env(tmp_path, JNT_AUTHORITY_URL=space.authority_server.base_url, JNT_ADMIN_TOKEN=space.admin_token)
    did = "did:web:cli.example"
    assert runner.invoke(app, ["participant", "init", "--did", did], env=base).exit_code == 0
    output = tmp_path / "credential.jwt"
    result = runner.invoke(app, ["authority", "enrol", "--did", did, "--name", "Commune de Rezé", "--category",
                                 "public", "--kind", "commune", "--siren", "214401430", "--output", str(output)],
                           env=base)
    assert result.exit_code == 0, result.output
    assert "inscrit" in result.stderr
    stored = runner.invoke(app, ["participant", "set-credential", str(output)], env=base)
    assert stored.exit_code == 0, stored.output
    participant = Participant.load(tmp_path / "participant", PASS.encode())
    claims = jwt.decode(participant.credential, options={"verify_signature": False})
    assert claims["credentialSubject"] == {"id": did, "name": "Commune de Rezé", "category": "public",
                                           "kind": "commune", "siren": "214401430"}
    to_stdout = runner.invoke(app, ["authority", "enrol", "--did", "did:web:other.example", "--name", "Other",
                                    "--category", "private", "--kind", "insurer"], env=base)
    assert to_stdout.exit_code == 0 and to_stdout.stdout.strip().count(".") == 2  # the JWT itself
    foreign = tmp_path / "foreign.jwt"
    foreign.write_text(to_stdout.stdout)
    refused = runner.invoke(app, ["participant", "set-credential", str(foreign)], env=base)
    assert refused.exit_code == 1 and "did:web:other.example" in refused.stderr
    revoked = runner.invoke(app, ["authority", "revoke", "--did", did], env=base)
    assert revoked.exit_code == 0 and "1 attestation(s) révoquée(s)" in revoked.stdout
    register = json.loads(runner.invoke(app, ["authority", "participants"], env=base).stdout)
    assert {p["did"]: p["active"] for p in register["participants"]}[did] is False


def test_authority_errors_are_clear(runner, space, tmp_path):
    base = env(tmp_path, JNT_AUTHORITY_URL=space.authority_server.base_url)
    args = ["authority", "enrol", "--did", "did:web:x.example", "--name", "X", "--category", "public", "--kind", "k"]
    no_token = runner.invoke(app, args, env=base)
    assert no_token.exit_code == 2 and "JNT_ADMIN_TOKEN" in no_token.stderr
    wrong = runner.invoke(app, [*args, "--admin-token", "wrong"], env=base)
    assert wrong.exit_code == 1 and "jeton d'administration absent ou incorrect (HTTP 401)" in wrong.stderr
    invalid = runner.invoke(app, [*args, "--siren", "12", "--admin-token", space.admin_token], env=base)
    assert invalid.exit_code == 1 and "siren" in invalid.stderr and "requête invalide" in invalid.stderr
    unknown = runner.invoke(app, ["authority", "revoke", "--did", "did:web:nobody.example", "--admin-token",
                                  space.admin_token], env=base)
    assert unknown.exit_code == 1 and "participant inconnu" in unknown.stderr
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    down = runner.invoke(app, [*args, "--admin-token", "t", "--authority", f"http://127.0.0.1:{port}"], env=base)
    assert down.exit_code == 1 and "autorité injoignable" in down.stderr
    bad_category = runner.invoke(app, [*args[:-4], "--category", "semi", "--kind", "k"], env=base)
    assert bad_category.exit_code == 2
    for result in (no_token, wrong, invalid, unknown, down, bad_category):
        clean(result)


def test_authority_serve_runs_the_service(tmp_path):
    """`jnt authority serve` in a real process: its DID document, directory and admin API answer."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    process_env = {**os.environ, **env(tmp_path, JNT_ADMIN_TOKEN="serve-admin-token", JNT_DEV_MODE="true")}
    command = [sys.executable, "-c", "from connector.cli import main; main()", "authority", "serve", "--port",
               str(port)]
    process = subprocess.Popen(command, env=process_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                document = httpx.get(url + "/.well-known/did.json", timeout=1).json()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.communicate(timeout=5)[1].decode()) from None
                time.sleep(0.1)
        assert document["id"] == f"did:web:127.0.0.1%3A{port}"
        assert (tmp_path / "authority" / "keys" / "key-1.pem").exists()
        response = httpx.post(url + "/admin/participants", headers={"Authorization": "Bearer serve-admin-token"},
                              json={"did": "did:web:ign.example", "name": "IGN", "category": "public",
                                    "kind": "national-agency"})
        assert response.status_code == 201
        assert httpx.get(url + "/participants").json()["participants"][0]["did"] == "did:web:ign.example"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
