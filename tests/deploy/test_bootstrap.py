"""deploy/bin/jnt-bootstrap for real: a trust authority runs on loopback (`jnt authority serve`), and the script
creates the participants of deploy/participants.txt, enrols them and stores their credentials (docker compose), or
enrols those of the Kubernetes Job's list into Secrets of a fake API server, which the init containers' commands
then store; a second run changes nothing and enrols nobody again."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest
import yaml

from .deployfiles import BIN, DEPLOY, DSP_PATH, KUBERNETES, parse_participants
from .fakes import FakeKubernetes, fake_kubernetes_api

ADMIN_TOKEN = "admin-secret-for-tests"
PASSPHRASE = "correct horse battery staple"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """A trust authority on loopback (SQLite), as `jnt authority serve` runs it."""
    root = tmp_path_factory.mktemp("authority")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"PATH": os.environ["PATH"], "HOME": str(root), "JNT_ADMIN_TOKEN": ADMIN_TOKEN,
           "JNT_KEY_PASSPHRASE": PASSPHRASE, "JNT_LANG": "en"}
    process = subprocess.Popen([str(VENV_BIN / "jnt"), "authority", "serve", "--host", "127.0.0.1", "--port",
                                str(port), "--data-dir", str(root / "data"), "--public-url", url],
                               env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the authority did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def register(url: str) -> dict[str, dict]:
    answer = httpx.get(url + "/admin/participants", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    answer.raise_for_status()
    return {p["did"]: p for p in answer.json()["participants"]}


def bootstrap(authority_url: str, cwd: Path, *args: str, extra: dict[str, str] | None = None):
    env = {"PATH": f"{VENV_BIN}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(cwd),
           "JNT_AUTHORITY_URL": authority_url, "JNT_ADMIN_TOKEN": ADMIN_TOKEN, "JNT_KEY_PASSPHRASE": PASSPHRASE,
           "JNT_LANG": "en", "BOOTSTRAP_WAIT_SECONDS": "20", **(extra or {})}
    return subprocess.run([str(BIN / "jnt-bootstrap"), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def credential_claims(token: str) -> dict:
    return jwt.decode(token.strip(), options={"verify_signature": False})


def test_compose_bootstrap_creates_enrols_and_is_idempotent(authority, tmp_path):
    listing = DEPLOY / "participants.txt"
    participants = parse_participants(listing.read_text(encoding="utf-8"))
    root = tmp_path / "volumes"
    first = bootstrap(authority, tmp_path, "local", str(listing), str(root))
    assert first.returncode == 0, first.stderr
    enrolled = register(authority)
    for p in participants:
        directory = root / p.name
        identity = json.loads((directory / "identity.json").read_text())
        assert identity["did"] == p.did
        assert identity["dspEndpoint"] == (f"https://{p.host}{DSP_PATH}" if p.role == "connector" else None)
        subject = credential_claims((directory / "credential.jwt").read_text())["credentialSubject"]
        assert (subject["id"], subject["name"], subject["category"], subject["kind"]) == \
            (p.did, p.legal_name, p.category, p.kind)
        assert subject.get("siren") == (p.siren or None)
        assert enrolled[p.did]["endpoint"] == identity["dspEndpoint"], "the directory gives the DSP endpoint"
    stored = {p.name: (root / p.name / "credential.jwt").read_text() for p in participants}

    second = bootstrap(authority, tmp_path, "local", str(listing), str(root))
    assert second.returncode == 0, second.stderr
    assert "credential written" not in second.stderr, "enrolled again: that revokes the current credentials"
    assert second.stderr.count("already enrolled") == len(participants)
    assert {p.name: (root / p.name / "credential.jwt").read_text() for p in participants} == stored

    # a host changed under an existing identity is an error, not a second identity
    moved = tmp_path / "moved.txt"
    moved.write_text(listing.read_text().replace("|ddtm44.jnt.test|", "|ddtm44.example.org|"))
    third = bootstrap(authority, tmp_path, "local", str(moved), str(root))
    assert third.returncode != 0 and "holds the identity of did:web:ddtm44.jnt.test" in third.stderr


def test_a_bad_participant_line_is_refused(authority, tmp_path):
    listing = tmp_path / "participants.txt"
    listing.write_text("ddtm44|ddtm44.jnt.test|connector|semi-public|ddt|DDTM|\n")
    result = bootstrap(authority, tmp_path, "local", str(listing), str(tmp_path / "data"))
    assert result.returncode == 1 and "category 'semi-public'" in result.stderr
    assert not (tmp_path / "data").exists()


def test_kubernetes_job_and_init_containers(authority, tmp_path):
    """The Job's `jnt-bootstrap secrets` with the ConfigMap's list, then what each pod's init containers run."""
    documents = [d for d in yaml.safe_load_all((KUBERNETES / "bootstrap-job.yaml").read_text()) if d]
    configmap = next(d for d in documents if d["kind"] == "ConfigMap")
    listing = tmp_path / "participants.txt"
    listing.write_text(configmap["data"]["participants.txt"], encoding="utf-8")
    participants = parse_participants(listing.read_text(encoding="utf-8"))
    with fake_kubernetes_api(tmp_path) as kube:
        first = bootstrap(authority, tmp_path, "secrets", str(listing), extra=kube)
        assert first.returncode == 0, first.stderr
        secrets = dict(FakeKubernetes.secrets)
        assert set(secrets) == {f"jnt-credential-{p.name}" for p in participants}
        second = bootstrap(authority, tmp_path, "secrets", str(listing), extra=kube)
        assert second.returncode == 0, second.stderr
        assert "credential written" not in second.stderr and FakeKubernetes.secrets == secrets
    for p in participants:
        token = base64.b64decode(secrets[f"jnt-credential-{p.name}"]["data"]["credential.jwt"]).decode()
        assert credential_claims(token)["credentialSubject"]["id"] == p.did
    # the catalogue pod's init containers: identity, then the credential from the mounted Secret
    catalogue = next(p for p in participants if p.role == "catalogue")
    mounted = tmp_path / "credential" / "credential.jwt"
    mounted.parent.mkdir()
    mounted.write_bytes(base64.b64decode(secrets["jnt-credential-catalogue"]["data"]["credential.jwt"]))
    data = tmp_path / "catalogue-volume"
    for _run in range(2):  # a pod restart runs them again
        identity = bootstrap(authority, tmp_path, "identity", str(data), catalogue.host, catalogue.role)
        assert identity.returncode == 0, identity.stderr
        stored = bootstrap(authority, tmp_path, "credential", str(data), str(mounted))
        assert stored.returncode == 0, stored.stderr
    assert "identity exists" in identity.stderr and "already stored" in stored.stderr
    assert (data / "credential.jwt").read_text().strip() == mounted.read_text().strip()
    assert json.loads((data / "identity.json").read_text())["did"] == catalogue.did


def test_trust_bundle_adds_the_local_ca_to_the_public_roots(tmp_path):
    import certifi

    ca = tmp_path / "root.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\nLOCALCA\n-----END CERTIFICATE-----\n")
    bundle = tmp_path / "trust" / "ca-bundle.pem"
    result = bootstrap("http://unused", tmp_path, "trust", str(ca), str(bundle))
    assert result.returncode == 0, result.stderr
    text = bundle.read_text()
    assert text.startswith(Path(certifi.where()).read_text()) and text.rstrip().endswith(ca.read_text().rstrip())
    assert oct(bundle.stat().st_mode & 0o777) == "0o644"


def test_usage_errors(tmp_path):
    for args in ([], ["identity", "dir", "host"], ["identity", "d", "h", "provider"], ["nope"]):
        result = bootstrap("http://unused", tmp_path, *args)
        assert result.returncode != 0, args
