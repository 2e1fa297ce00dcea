"""Backup and restore, end to end: a provider that negotiated, transferred and served data is backed up with
`jnt backup create`, restored with `jnt backup restore` into a new data directory and database (SQLite, and
PostgreSQL schema to schema), and the restored participant has the same DID, the same agreements and transfers,
an audit chain that verifies with the `jnt audit verify` command, and starts as a connector again. Keys stay
encrypted in the archive. A target that is not empty, a tampered archive and a forged audit record are refused
with nothing written."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from connector.cli import app
from connector.control.runtime import build_connector
from connector.identity import Participant
from connector.identity.storage import make_engine
from connector.ops.backup import BackupError, restore_backup
from connector.server import BackgroundServer
from connector.store import Store

from ..control.space import PASSPHRASE, QUICK, Space
from ..data.loopback import Party, agree, publish

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_schemas():
    admin = make_engine(POSTGRES)
    made: list[str] = []

    def make() -> str:
        schema = f"jnt_backup_{uuid.uuid4().hex[:12]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return f"{POSTGRES}?options=-csearch_path%3D{schema}"

    yield make
    with admin.begin() as connection:
        for schema in made:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _env(data_dir, database_url=None):
    values = {"JNT_KEY_PASSPHRASE": PASSPHRASE, "JNT_DATA_DIR": str(data_dir), "JNT_LANG": "en",
              "JNT_DEV_MODE": "true"}
    if database_url:
        values["JNT_DATABASE_URL"] = database_url
    return values


def _run(*args, env):
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result


def _history(tmp_path, database_for=None):
    """A provider with a finalized negotiation, a started transfer and data served (audit records on both sides)."""
    space = Space(tmp_path / "space", database_for=database_for)
    provider = Party(space.connector("ddtm44", "public"))
    consumer = Party(space.connector("region-pdl", "public"))
    (provider.connector.plane.sources_dir / "digues.csv").write_text("digue;cote\nD1;6.5\n", encoding="utf-8")
    dataset_id = publish(provider, {"type": "file", "path": "digues.csv"})
    agreement_id = agree(provider, consumer, dataset_id, territory=None)
    transfer = consumer.client.start_transfer(agreement_id, format="HttpData-PULL")
    assert consumer.client.wait_transfer(transfer["id"])["state"] == "STARTED"
    consumer.client.fetch_transfer(transfer["id"])
    return space, provider


def _state(store: Store) -> dict:
    with store.engine.connect() as connection:
        agreements = connection.execute(text("SELECT id, signed_jws, policy FROM agreements ORDER BY id")).all()
        transfers = connection.execute(text("SELECT id, state, agreement_id FROM transfers ORDER BY id")).all()
        negotiations = connection.execute(text("SELECT id, state, version FROM negotiations ORDER BY id")).all()
        audit = connection.execute(text("SELECT seq, hash, signature FROM audit_records ORDER BY seq")).all()
        head = connection.execute(text("SELECT seq, hash FROM audit_head")).one()
    return {"agreements": [tuple(r) for r in agreements], "transfers": [tuple(r) for r in transfers],
            "negotiations": [tuple(r) for r in negotiations], "audit": [tuple(r) for r in audit],
            "head": tuple(head)}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_backup_and_restore_bring_back_agreements_transfers_and_a_valid_audit_chain(tmp_path, backend,
                                                                                   pg_schemas):
    target_url = pg_schemas() if backend == "postgresql" else None
    space, provider = _history(tmp_path, database_for=(lambda name: pg_schemas()) if target_url else None)
    try:
        data_dir = space.settings("ddtm44").data_dir
        source_db = provider.connector.plane.store.engine.url.render_as_string(hide_password=False)
        before = _state(provider.connector.plane.store)
        assert before["agreements"] and before["transfers"] and len(before["audit"]) >= 3
        archive = tmp_path / "ddtm44.tar.gz"
        created = _run("backup", "create", "--out", str(archive), "--with-data", env=_env(data_dir, source_db))
        assert created.exit_code == 0, created.output
        assert "backup written" in created.output
    finally:
        space.close()

    with tarfile.open(archive) as members:
        names = members.getnames()
        assert "manifest.json" in names and "database/agreements.jsonl" in names
        assert "data/sources/digues.csv" in names
        key_files = [n for n in names if n.startswith("identity/keys/") and n.endswith(".pem")]
        assert key_files
        for name in key_files:
            pem = members.extractfile(name).read()
            assert b"ENCRYPTED PRIVATE KEY" in pem and b"BEGIN PRIVATE KEY" not in pem

    restored_dir = tmp_path / "restored"
    restored = _run("backup", "restore", str(archive), env=_env(restored_dir, target_url))
    assert restored.exit_code == 0, restored.output
    target_db = target_url or f"sqlite:///{restored_dir / 'jnt.sqlite'}"
    store = Store.from_url(target_db)
    try:
        assert _state(store) == before
    finally:
        store.engine.dispose()
    assert (restored_dir / "sources" / "digues.csv").read_text(encoding="utf-8") == "digue;cote\nD1;6.5\n"
    verified = _run("audit", "verify", "--json", env=_env(restored_dir, target_url))
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["ok"] is True
    assert json.loads(verified.output)["count"] == len(before["audit"])

    participant = Participant.load(restored_dir, PASSPHRASE.encode())
    assert participant.did == provider.did
    server = BackgroundServer()
    settings = Space(tmp_path / "again").settings("ddtm44").model_copy(
        update={"data_dir": restored_dir, "database_url": target_url})
    connector = build_connector(settings, server.base_url, participant=participant, options=QUICK)
    server.start(connector.app)
    try:
        assert connector.plane.store.get_agreement(before["agreements"][0][0]) is not None
        assert connector.audit.verify(participant.keys).ok
    finally:
        server.stop()
        connector.close()


def _rewrite(archive, target, change):
    """A copy of `archive` whose member `name` is changed by `change(bytes) -> bytes`, the manifest's digest
    recomputed (what someone forging a backup would do)."""
    with tarfile.open(archive) as source:
        members = {m.name: source.extractfile(m).read() for m in source.getmembers() if m.isfile()}
    manifest = json.loads(members["manifest.json"])
    for name in list(members):
        if name != "manifest.json":
            new = change(name, members[name])
            if new != members[name]:
                members[name] = new
                manifest["sha256"][name] = hashlib.sha256(new).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as out:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_restore_refuses_a_used_target_a_tampered_archive_and_a_forged_audit_record(tmp_path):
    space, provider = _history(tmp_path)
    data_dir = space.settings("ddtm44").data_dir
    archive = tmp_path / "ddtm44.tar.gz"
    try:
        assert _run("backup", "create", "--out", str(archive), env=_env(data_dir)).exit_code == 0
        # into the directory it came from: it holds a participant already
        again = _run("backup", "restore", str(archive), env=_env(data_dir))
        assert again.exit_code == 1 and "already holds a participant" in again.output
    finally:
        space.close()

    # a member changed without its digest
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "database/agreements.jsonl":
                data = data.replace(b"FINALIZED", b"FINALIZE_")[:-1] + b" \n"
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    refused = _run("backup", "restore", str(tampered), env=_env(tmp_path / "t1"))
    assert refused.exit_code == 1 and "altered or unexpected file" in refused.output
    assert not (tmp_path / "t1" / "identity.json").exists()

    # an audit record rewritten with a matching digest: the chain triggers refuse it, nothing is written
    def forge(name, data):
        if name != "database/audit_records.jsonl":
            return data
        rows = [json.loads(line) for line in data.decode().splitlines()]
        rows[0]["explanation_en"] = "nothing happened here"
        rows[0]["hash"] = "f" * 64
        return "".join(json.dumps(r) + "\n" for r in rows).encode()

    forged = tmp_path / "forged.tar.gz"
    _rewrite(archive, forged, forge)
    target = tmp_path / "t2"
    refused = _run("backup", "restore", str(forged), env=_env(target))
    assert refused.exit_code == 1 and "restore failed, nothing was written" in refused.output
    assert not (target / "identity.json").exists()
    engine = make_engine(f"sqlite:///{target / 'jnt.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM agreements")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM audit_records")).scalar() == 0
    engine.dispose()

    with pytest.raises(BackupError) as not_a_backup:
        restore_backup(tmp_path / "nothing.tar.gz", space.settings("x"))
    assert not_a_backup.value.code == "unreadable"
