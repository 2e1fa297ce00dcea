"""The consumer's side of the data plane, end to end on loopback with verified identities: a consumer connector pulls
a transfer's data into its received directory (SHA-256 equal to the provider's file, flat memory, the attribution
kept), refreshes an expired token by itself and keeps the new pair (also under concurrent fetches), leaves no file
when the provider fails mid-stream, records the delete-by date of an agreement with a deletion duty and deletes the
copy when it passes (sweeper thread and `jnt connector purge`), and `jnt connector fetch` drives it all through the
management API of the running connector."""

from __future__ import annotations

import hashlib
import json
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from connector.cli import app as cli
from connector.control.client import ManagementError
from connector.data.consumer import FetchError
from connector.server import BackgroundServer
from connector.store.schema import ReceivedCopy

from ..control.space import MANAGEMENT, PASSPHRASE, Space, wait_for
from .test_data_plane import FEATURES, Party, obtain, prop, publish

ATTRIBUTION = "© DDTM 44 — Etalab 2.0"  # the sheet's rights statement, as `publish` writes it
MNT = bytes(range(256)) * 4096  # 1 MiB


def _upstream_dying_mid_stream():
    """An HTTP upstream that announces 1 MiB, sends a quarter of it, then fails."""

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/octet-stream"), (b"content-length", b"1048576")]})
        await send({"type": "http.response.body", "body": b"x" * 262144, "more_body": True})
        raise RuntimeError("the upstream dies mid-stream")

    return BackgroundServer(log_level="critical").start(app)


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    world = Space(tmp_path_factory.mktemp("consumer"))
    provider = Party(world.connector("ddtm-44", "public", "service de l'État"))
    consumer = Party(world.connector("region-pdl", "public", "collectivité territoriale"))
    sources = provider.connector.plane.sources_dir
    (sources / "mnt.bin").write_bytes(MNT)
    (sources / "big.bin").write_bytes(bytes(range(256)) * (32 * 4096))  # 32 MiB
    (sources / "stations.geojson").write_text(json.dumps(FEATURES), encoding="utf-8")
    (sources / "folder").mkdir()
    (sources / "folder" / "a.csv").write_text("station;niveau\nnantes;4.2\n", encoding="utf-8")
    upstream = _upstream_dying_mid_stream()
    yield world, provider, consumer, upstream
    upstream.stop()
    provider.client.close()
    consumer.client.close()
    world.close()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def test_fetch_writes_the_data_with_the_sources_sha256_and_records_it(space):
    _, provider, consumer, _ = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))
    receiver = consumer.connector.receiver
    copy = receiver.fetch(transfer["id"])
    target = receiver.received_dir / transfer["id"] / "mnt.bin"  # the provider's file name
    assert copy.path == str(target) and target.read_bytes() == MNT
    assert copy.sha256 == sha256(MNT) and copy.size == len(MNT)
    assert copy.attribution == ATTRIBUTION and copy.delete_by is None
    assert copy.agreement_id == transfer["agreement_id"] and copy.provider_did == provider.did
    assert leftovers(target.parent) == ["mnt.bin"]  # no temporary file left
    record = consumer.connector.audit.query(event="data.received", transfer_id=transfer["id"])[0]
    assert record.agreement_id == transfer["agreement_id"] and record.actor == provider.did
    assert record.details["sha256"] == sha256(MNT) and record.details["bytes"] == len(MNT)
    assert record.details["path"] == str(target) and record.details["attribution"] == ATTRIBUTION
    assert record.details["use"] == "1"

    # The same through the management API, into a chosen place of the received directory.
    answer = consumer.client.fetch_transfer(transfer["id"], out="flood/mnt-copy.bin")
    assert answer["sha256"] == sha256(MNT) and answer["attribution"] == ATTRIBUTION
    assert answer["path"] == str((receiver.received_dir / "flood" / "mnt-copy.bin").resolve())
    listed = consumer.client.list_received(transfer=transfer["id"])
    assert listed["total"] == 2 and {c["sha256"] for c in listed["items"]} == {sha256(MNT)}
    # Fetching to the same place again replaces the copy (the earlier one is closed as replaced).
    consumer.client.fetch_transfer(transfer["id"], out="flood/mnt-copy.bin")
    assert consumer.client.list_received(transfer=transfer["id"], held=True)["total"] == 2
    closed = consumer.client.list_received(transfer=transfer["id"], held=False)["items"]
    assert [c["deleted_reason"] for c in closed] == ["replaced"]


def test_fetch_of_a_file_in_a_folder_and_of_a_bbox(space):
    _, provider, consumer, _ = space
    folder = obtain(provider, consumer, publish(provider, {"type": "folder", "path": "folder"}))
    copy = consumer.client.fetch_transfer(folder["id"], path="a.csv", out="csv/")
    assert copy["path"].endswith("/csv/a.csv") and copy["sub_path"] == "a.csv"
    assert Path(copy["path"]).read_text(encoding="utf-8") == "station;niveau\nnantes;4.2\n"
    vector = obtain(provider, consumer, publish(provider, {"type": "file", "path": "stations.geojson"},
                                                {"territories": ["44109"]}))
    copy = consumer.client.fetch_transfer(vector["id"], bbox=[-1.6, 47.1, -1.4, 47.3])
    features = json.loads(Path(copy["path"]).read_text(encoding="utf-8"))["features"]
    assert {f["id"] for f in features} == {"nantes", "road"}  # Saint-Nazaire is outside the box and Nantes
    assert copy["media_type"] == "application/geo+json"
    received = consumer.connector.audit.query(event="data.received", transfer_id=vector["id"])[0]
    assert "44109" in received.details["territory"] or "Nantes" in received.details["territory"]


def test_the_management_api_refuses_what_cannot_be_fetched(space):
    _, provider, consumer, _ = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))
    for kwargs, field in (({"out": "../outside.bin"}, "out"), ({"out": "/etc/passwd"}, "out"),
                          ({"bbox": "1,2,3"}, "bbox"), ({"bbox": [10, 50, 5, 40]}, "bbox")):
        with pytest.raises(ManagementError) as refused:
            consumer.client.fetch_transfer(transfer["id"], **kwargs)
        assert refused.value.status == 400 and refused.value.field == field, refused.value.body
        assert refused.value.fr and refused.value.en
    with pytest.raises(ManagementError) as unknown:
        consumer.client.fetch_transfer("no-such-transfer")
    assert unknown.value.status == 404
    provider_side = next(t for t in provider.client.list_transfers(role="provider", limit=500)["items"]
                         if t["provider_pid"] == transfer["provider_pid"])
    with pytest.raises(ManagementError) as wrong_side:
        provider.client.fetch_transfer(provider_side["id"])
    assert wrong_side.value.status == 409 and wrong_side.value.code == "not-consumer"
    with pytest.raises(ManagementError) as missing_file:
        consumer.client.fetch_transfer(transfer["id"], path="nothing-here.bin")
    assert missing_file.value.status == 502 and missing_file.value.body["detail"]["status"] == 404
    assert consumer.client.list_received(transfer=transfer["id"])["total"] == 0


def test_fetching_a_large_file_keeps_memory_flat(space):
    _, provider, consumer, _ = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "big.bin"}))
    tracemalloc.start()
    try:
        copy = consumer.connector.receiver.fetch(transfer["id"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert copy.size == 32 * 1024 * 1024
    assert copy.sha256 == sha256(bytes(range(256)) * (32 * 4096))
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 32 MiB file"


@pytest.fixture
def short_tokens(space):
    """The provider's access tokens live one second (and no leeway) while the test obtains its transfers."""
    edr = space[1].connector.data.edr
    lifetime, leeway = edr.lifetime, edr.leeway
    edr.lifetime, edr.leeway = 1, 0
    yield edr
    edr.lifetime, edr.leeway = lifetime, leeway


def test_an_expired_token_is_refreshed_and_the_new_pair_kept(space, short_tokens):
    _, provider, consumer, _ = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))
    first = transfer["data_address"]
    short_tokens.lifetime = 600  # tokens issued by the refresh will last
    time.sleep(1.2)
    expired = httpx.get(first["endpoint"], headers={"Authorization": f"Bearer {prop(first, 'authorization')}"},
                        timeout=20)
    assert expired.status_code == 401 and expired.json()["error"] == "token-expired"
    copy = consumer.connector.receiver.fetch(transfer["id"])
    assert copy.sha256 == sha256(MNT)
    stored = consumer.client.get_transfer(transfer["id"])["data_address"]
    assert prop(stored, "authorization") != prop(first, "authorization")
    assert prop(stored, "refreshToken") != prop(first, "refreshToken")
    assert prop(stored, "expiresIn") == "600"
    # The next fetch uses the stored pair as it is: no second refresh.
    consumer.connector.receiver.fetch(transfer["id"])
    assert consumer.client.get_transfer(transfer["id"])["data_address"] == stored


def test_concurrent_fetches_after_expiry_never_lock_each_other_out(space, short_tokens):
    _, provider, consumer, _ = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))
    short_tokens.lifetime = 600
    time.sleep(1.2)
    receiver = consumer.connector.receiver
    with ThreadPoolExecutor(6) as pool:
        copies = list(pool.map(lambda i: receiver.fetch(transfer["id"], receiver.received_dir / f"race-{i}.bin"),
                               range(6)))
    assert {c.sha256 for c in copies} == {sha256(MNT)}
    # Whatever pair won, the stored one still works, and so does its refresh token.
    assert receiver.fetch(transfer["id"]).sha256 == sha256(MNT)
    stored = consumer.client.get_transfer(transfer["id"])["data_address"]
    refreshed = httpx.post(prop(stored, "refreshEndpoint"), json={"refresh_token": prop(stored, "refreshToken")},
                           timeout=20)
    assert refreshed.status_code == 200, refreshed.text


def test_the_edr_handed_to_an_application_is_refreshed_when_expiring(space, short_tokens):
    _, provider, consumer, _ = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))
    short_tokens.lifetime = 600
    original = prop(transfer["data_address"], "authorization")
    edr = consumer.client.get_edr(transfer["id"])  # one second left: less than the margin, so it is refreshed
    assert edr["authorization"] != original and edr["expires_in"] == 600
    assert datetime.fromisoformat(edr["expires_at"]) > datetime.now(UTC) + timedelta(minutes=9)
    assert edr["agreement_id"] == transfer["agreement_id"] and edr["provider_did"] == provider.did
    assert prop(consumer.client.get_transfer(transfer["id"])["data_address"], "authorization") == \
        edr["authorization"]
    read = httpx.get(edr["endpoint"], headers={"Authorization": f"Bearer {edr['authorization']}"}, timeout=20)
    assert read.status_code == 200 and read.content == MNT
    assert consumer.client.get_edr(transfer["id"])["authorization"] == edr["authorization"]  # still valid: kept


def test_no_half_written_file_when_the_provider_fails_mid_stream(space):
    _, provider, consumer, upstream = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "http", "url": upstream.base_url + "/mnt"}))
    receiver = consumer.connector.receiver
    with pytest.raises(FetchError) as failed:
        receiver.fetch(transfer["id"])
    assert failed.value.status == 502 and failed.value.code in ("interrupted", "incomplete"), failed.value
    assert leftovers(receiver.received_dir / transfer["id"]) == []
    # The same through the API, to a place where a good copy already lies: the good copy is left as it was.
    good = receiver.received_dir / "kept" / "mnt.bin"
    good.parent.mkdir(parents=True, exist_ok=True)
    good.write_bytes(MNT)
    with pytest.raises(ManagementError) as refused:
        consumer.client.fetch_transfer(transfer["id"], out="kept/mnt.bin")
    assert refused.value.status == 502 and refused.value.fr and refused.value.en
    assert good.read_bytes() == MNT and leftovers(good.parent) == ["mnt.bin"]
    assert consumer.client.list_received(transfer=transfer["id"])["total"] == 0
    assert not consumer.connector.audit.query(event="data.received", transfer_id=transfer["id"])


def test_a_deletion_duty_gives_a_delete_by_date_and_the_sweeper_deletes_the_copy(space):
    _, provider, consumer, _ = space
    until = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    dataset_id = publish(provider, {"type": "file", "path": "mnt.bin"},
                         {"valid_until": until.isoformat(), "delete_at_end": True})
    transfer = obtain(provider, consumer, dataset_id)
    assert consumer.client.get_agreement(transfer["agreement_id"])["delete_by"].startswith(
        until.strftime("%Y-%m-%dT%H:%M:%S"))
    copy = consumer.client.fetch_transfer(transfer["id"])
    assert datetime.fromisoformat(copy["delete_by"]) == until
    received = consumer.connector.audit.query(event="data.received", transfer_id=transfer["id"])[0]
    assert received.details["deleteBy"] == until.isoformat()

    sweeper = consumer.connector.plane.sweeper
    sweeper.wake()  # not due yet: nothing happens
    time.sleep(0.3)
    assert Path(copy["path"]).read_bytes() == MNT

    receiver = consumer.connector.receiver

    def later() -> datetime:
        return until + timedelta(seconds=1)

    receiver.clock = later
    try:
        with pytest.raises(ManagementError) as too_late:
            consumer.client.fetch_transfer(transfer["id"], out="late.bin")
        assert too_late.value.status == 409 and too_late.value.code == "delete-by-passed"
    finally:
        receiver.clock = lambda: datetime.now(UTC)
    sweeper.clock = later
    try:
        sweeper.wake()
        deleted = wait_for(lambda: consumer.client.list_received(transfer=transfer["id"])["items"][0],
                           lambda c: c["deleted_at"] is not None)
    finally:
        sweeper.clock = lambda: datetime.now(UTC)
    assert deleted["deleted_reason"] == "delete-by"
    assert not (receiver.received_dir / transfer["id"]).exists()  # the file and its emptied folder
    duty = consumer.connector.audit.query(event="duty.deleted", transfer_id=transfer["id"])
    assert len(duty) == 1 and duty[0].agreement_id == transfer["agreement_id"]
    assert duty[0].details["copy"] == copy["id"] and duty[0].details["sha256"] == sha256(MNT)
    assert duty[0].details["fileExisted"] is True and duty[0].explanation_fr and duty[0].explanation_en
    again = sweeper.run_once(until + timedelta(days=1))
    assert transfer["id"] not in {c.transfer_id for c in again}  # done once, not twice


def test_jnt_connector_purge_deletes_what_is_due(space, monkeypatch):
    world, provider, consumer, _ = space
    until = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"},
                                                  {"valid_until": until.isoformat(), "delete_at_end": True}))
    kept = consumer.client.fetch_transfer(transfer["id"], out="purge/kept.bin")
    due = consumer.client.fetch_transfer(transfer["id"], out="purge/due.bin")
    sweeper = consumer.connector.plane.sweeper
    sweeper.stop()  # the connector's own sweeps would race with the command
    try:
        with consumer.connector.plane.store.engine.begin() as connection:  # as if its date had passed
            connection.execute(update(ReceivedCopy).where(ReceivedCopy.id == due["id"]).values(
                delete_by=datetime.now(UTC) - timedelta(seconds=1)))
        monkeypatch.setenv("JNT_KEY_PASSPHRASE", PASSPHRASE)
        runner = CliRunner()
        data_dir = str(world.settings("region-pdl").data_dir)
        done = runner.invoke(cli, ["--lang", "en", "connector", "purge", "--data-dir", data_dir])
        assert done.exit_code == 0, done.output
        assert f"deleted: {due['path']}" in done.output and transfer["agreement_id"] in done.output
        again = runner.invoke(cli, ["connector", "purge", "--data-dir", data_dir])
        assert again.exit_code == 0 and "aucune copie à supprimer" in again.output, again.output
    finally:
        sweeper.start()
    assert not Path(due["path"]).exists()
    assert Path(kept["path"]).read_bytes() == MNT
    duty = consumer.connector.audit.query(event="duty.deleted", transfer_id=transfer["id"])
    assert [r.details["copy"] for r in duty] == [due["id"]]


def test_jnt_connector_fetch_against_a_running_connector(space, monkeypatch):
    _, provider, consumer, _ = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))
    runner = CliRunner()
    url = consumer.connector.base_url
    english = runner.invoke(cli, ["--lang", "en", "connector", "fetch", transfer["id"], "--management-url", url,
                                  "--token", MANAGEMENT, "--out", "cli/mnt.bin"])
    assert english.exit_code == 0, english.output
    target = consumer.connector.receiver.received_dir.resolve() / "cli" / "mnt.bin"
    assert f"Received: {target}" in english.output and f"SHA-256: {sha256(MNT)}" in english.output
    assert f"attribution to reproduce: {ATTRIBUTION}" in english.output and "1,048,576 bytes" in english.output
    assert target.read_bytes() == MNT

    monkeypatch.setenv("JNT_MANAGEMENT_TOKEN", MANAGEMENT)  # the token from the environment
    french = runner.invoke(cli, ["connector", "fetch", transfer["id"], "--management-url", url + "/management"])
    assert french.exit_code == 0, french.output
    assert "Reçu : " in french.output and "1 048 576 octets" in french.output
    assert f"attribution à reproduire : {ATTRIBUTION}" in french.output
    as_json = runner.invoke(cli, ["connector", "fetch", transfer["id"], "--management-url", url, "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["sha256"] == sha256(MNT)

    unknown = runner.invoke(cli, ["--lang", "en", "connector", "fetch", "no-such-transfer", "--management-url", url])
    assert unknown.exit_code == 1 and "unknown transfer: no-such-transfer" in unknown.output
    monkeypatch.delenv("JNT_MANAGEMENT_TOKEN")
    wrong = runner.invoke(cli, ["--lang", "en", "connector", "fetch", transfer["id"], "--management-url", url,
                                "--token", "not-the-token"])
    assert wrong.exit_code == 1 and "wrong management token" in wrong.output


def test_the_consumers_audit_chain_verifies_through_the_api(space):
    _, provider, consumer, _ = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))
    consumer.client.fetch_transfer(transfer["id"])
    assert consumer.client.list_audit(event="data.received", transfer=transfer["id"])["total"] == 1
    report = consumer.client.verify_audit()
    assert report["ok"] and report["count"] == report["headSeq"] >= 1, report
