"""`jnt audit verify|list|head` on a participant directory and a database (SQLite and PostgreSQL): exit 0 with
"chaîne intègre : N enregistrements", 1 with the first broken record and why, 2 when the check cannot be made —
with the public keys read from the directory, without the passphrase."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from connector.audit import AuditLog
from connector.cli import app
from connector.identity import Participant, create_participant_app
from connector.identity.did import did_from_url
from connector.identity.storage import make_engine
from connector.server import BackgroundServer

from .helpers import DID, PASS, fill

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch):
    for name in ("JNT_KEY_PASSPHRASE", "JNT_KEY_PASSPHRASE_FILE", "JNT_DATABASE_URL", "JNT_DATA_DIR", "JNT_LANG",
                 "JNT_DEV_MODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def filled(log, participant, database_url):
    records = fill(log, 5)
    return records, ["--data-dir", str(participant.data_dir), "--database-url", database_url]


def jnt(*args: str, lang: str = "en"):
    return runner.invoke(app, ["--lang", lang, *args])


def test_verify_an_intact_chain(filled):
    _, where = filled
    english = jnt("audit", "verify", *where)
    assert english.exit_code == 0, english.output
    assert english.output.strip() == "chain intact: 5 records"
    french = jnt("audit", "verify", *where, lang="fr")
    assert french.exit_code == 0 and french.output.strip() == "chaîne intègre : 5 enregistrements"
    as_json = jnt("audit", "verify", *where, "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.output) == {"ok": True, "count": 5, "firstBrokenSeq": None, "headSeq": 5,
                                          "reason": {"fr": "chaîne intègre : 5 enregistrements",
                                                     "en": "chain intact: 5 records"}}


def test_verify_names_the_first_broken_record(filled, tamper):
    _, where = filled
    tamper("UPDATE audit_records SET actor = 'did:web:someone-else.example' WHERE seq = 3")
    tamper("DELETE FROM audit_records WHERE seq = 4")
    broken = jnt("audit", "verify", *where)
    assert broken.exit_code == 1, broken.output
    assert "chain broken at record 3: content changed" in broken.output
    assert "2 intact records before" in broken.output
    french = jnt("audit", "verify", *where, lang="fr")
    assert french.exit_code == 1 and "chaîne rompue à l'enregistrement 3 : contenu modifié" in french.output
    as_json = jnt("audit", "verify", *where, "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.output)["firstBrokenSeq"] == 3


def test_head_and_checkpoint(filled, tamper):
    records, where = filled
    head = jnt("audit", "head", *where)
    assert head.exit_code == 0 and head.output.strip() == f"5:{records[-1].hash}"
    tamper("DELETE FROM audit_records WHERE seq = 5", "UPDATE audit_head SET seq = 4, hash = :h", h=records[3].hash)
    assert jnt("audit", "verify", *where).exit_code == 0  # a consistent cut, seen from the database alone
    caught = jnt("audit", "verify", *where, "--checkpoint", head.output.strip())
    assert caught.exit_code == 1 and "record 5" in caught.output and "checkpoint" in caught.output
    bad = jnt("audit", "verify", *where, "--checkpoint", "five")
    assert bad.exit_code == 2 and "SEQ:HASH" in bad.output


def test_list_filters_and_json(filled):
    records, where = filled
    listed = jnt("audit", "list", *where, "--agreement", "urn:uuid:agreement-0")
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if not line.startswith(" " * 8)]
    assert [int(line.split()[0]) for line in lines] == [5, 3, 1]
    assert "duty.deleted" in lines[0] and "agreement=urn:uuid:agreement-0" in lines[0]
    assert "        access 4: the purpose is allowed" in listed.output
    assert "accès 4 : la finalité est autorisée" in jnt("audit", "list", *where, lang="fr").output
    as_json = jnt("audit", "list", *where, "--transfer", "urn:uuid:transfer-1", "--json")
    data = json.loads(as_json.output)
    assert [r["seq"] for r in data] == [5, 2]
    assert data[1]["hash"] == records[1].hash and data[1]["explanation"]["en"] == "access 1: the purpose is allowed"
    assert [r["seq"] for r in json.loads(jnt("audit", "list", *where, "--limit", "2", "--json").output)] == [5, 4]
    assert [r["seq"] for r in json.loads(jnt("audit", "list", *where, "--event", "data.", "--json").output)] == [4, 3]
    assert "no record" in jnt("audit", "list", *where, "--dataset", "urn:none").output


def test_default_database_in_the_participant_directory(tmp_path):
    participant = Participant.init(tmp_path / "p", DID, PASS)
    missing = jnt("audit", "verify", "--data-dir", str(participant.data_dir))
    assert missing.exit_code == 2 and "no database" in missing.output
    assert jnt("db", "upgrade", "--data-dir", str(participant.data_dir)).exit_code == 0
    engine = make_engine(f"sqlite:///{participant.data_dir / 'jnt.sqlite'}")
    try:
        fill(AuditLog(engine, participant.keys, participant.did), 2)
    finally:
        engine.dispose()
    ok = jnt("audit", "verify", "--data-dir", str(participant.data_dir))
    assert ok.exit_code == 0 and "2 records" in ok.output


def test_public_keys_without_the_passphrase_or_from_elsewhere(filled, participant, tmp_path, monkeypatch):
    _, where = filled
    manifest_path = participant.data_dir / "keys" / "keys.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["keys"]:
        del entry["public"]  # a manifest written before the public keys were kept in it
    manifest_path.write_text(json.dumps(manifest))
    nothing = jnt("audit", "verify", *where)
    assert nothing.exit_code == 2 and "no public key" in nothing.output and "--resolve" in nothing.output
    document = tmp_path / "did-document.json"
    document.write_text(json.dumps(participant.did_document()))
    assert jnt("audit", "verify", *where, "--did-document", str(document)).exit_code == 0
    (participant.data_dir / "did.json").write_text(json.dumps(participant.did_document()))  # `participant init`
    assert jnt("audit", "verify", *where).exit_code == 0
    (participant.data_dir / "did.json").unlink()
    monkeypatch.setenv("JNT_KEY_PASSPHRASE", PASS.decode())
    assert jnt("audit", "verify", *where).exit_code == 0  # last resort: the key store itself


def test_verify_against_the_published_did_document(engine, database_url, tmp_path, monkeypatch):
    server = BackgroundServer()
    participant = Participant.init(tmp_path / "p", did_from_url(server.base_url), PASS)
    server.start(create_participant_app([participant]))
    try:
        fill(AuditLog(engine, participant.keys, participant.did), 3)
        monkeypatch.setenv("JNT_DEV_MODE", "true")  # plain HTTP to a loopback DID
        resolved = jnt("audit", "verify", "--data-dir", str(participant.data_dir), "--database-url", database_url,
                       "--resolve")
        assert resolved.exit_code == 0, resolved.output
        assert "3 records" in resolved.output
    finally:
        server.stop()
    down = jnt("audit", "verify", "--data-dir", str(participant.data_dir), "--database-url", database_url,
               "--resolve")
    assert down.exit_code == 2 and "cannot resolve" in down.output


def test_cannot_verify_is_exit_2(tmp_path, database_url):
    nobody = jnt("audit", "verify", "--data-dir", str(tmp_path / "nobody"), "--database-url", database_url)
    assert nobody.exit_code == 2 and "no identity" in nobody.output
    participant = Participant.init(tmp_path / "p", DID, PASS)
    where = ["--data-dir", str(participant.data_dir)]
    empty = make_engine(database_url)
    with empty.connect():  # an existing, empty database
        pass
    empty.dispose()
    unmigrated = jnt("audit", "verify", *where, "--database-url", database_url)
    assert unmigrated.exit_code == 2 and "jnt db upgrade" in unmigrated.output, unmigrated.output
    unreachable = jnt("audit", "list", *where, "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert unreachable.exit_code == 2 and "database unreachable" in unreachable.output
