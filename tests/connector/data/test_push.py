"""HTTP push end to end, on real servers on loopback with verified identities: a consumer asks for a transfer in
`HttpData-PUSH` with the address of its application; the provider's push worker sends the data there — streamed,
with the consumer's credentials, clipped to the permitted territory for vector data — then completes the transfer.
Failures are retried with backoff and, when they persist, end the transfer with the reason; the agreement is
enforced (one use per push, retries included); a suspended push stops and starts over when resumed; a restarted
provider loses no pending push; every step is in both audit logs."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import time
import tracemalloc

import pytest
import shapely.geometry
from sqlalchemy import delete

from connector.control.client import ManagementError
from connector.data.address import AddressError, PushTarget, push_target
from connector.data.push import check_ip, check_transport
from connector.identity.storage import make_engine
from connector.server import BackgroundServer
from connector.store.schema import DataPush
from policies.territories import get_territory

from ..control.space import Space, wait_for
from .loopback import NANTES, Inbox, Party, agree, data_address, provider_view, publish

FEATURES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "nantes", "properties": {"name": "Station Nantes"},
     "geometry": {"type": "Point", "coordinates": [-1.5536, 47.2184]}},
    {"type": "Feature", "id": "saint-nazaire", "properties": {"name": "Station Saint-Nazaire"},
     "geometry": {"type": "Point", "coordinates": [-2.2130, 47.2735]}},
    {"type": "Feature", "id": "road", "properties": {"name": "Route vers l'est"},
     "geometry": {"type": "LineString", "coordinates": [[-1.55, 47.22], [-1.30, 47.22]]}},
]}
PUSH = "HttpData-PUSH"


def quick(connector, **overrides) -> None:
    """Test timing for a provider's push worker (attributes read at each use)."""
    pusher = connector.plane.pusher
    for name, value in {"base_delay": 0.05, "max_delay": 0.5, "max_attempts": 3, "recheck": 0.2,
                        "idle_poll": 0.5, **overrides}.items():
        setattr(pusher, name, value)


def sources(connector) -> None:
    root = connector.plane.sources_dir
    (root / "stations.geojson").write_text(json.dumps(FEATURES), encoding="utf-8")
    (root / "mnt.bin").write_bytes(bytes(range(256)) * 4096 * 8)  # 8 MiB
    (root / "folder" / "sub").mkdir(parents=True, exist_ok=True)
    (root / "folder" / "a.csv").write_text("station;niveau\nnantes;4.2\n", encoding="utf-8")
    (root / "folder" / "sub" / "b.txt").write_text("bonjour", encoding="utf-8")


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    world = Space(tmp_path_factory.mktemp("push"))
    provider = Party(world.connector("ddtm-44", "public", "service de l'État"))
    consumer = Party(world.connector("region-pdl", "public", "collectivité territoriale"))
    sources(provider.connector)
    quick(provider.connector)
    inbox = Inbox()
    yield world, provider, consumer, inbox
    inbox.close()
    provider.close()
    consumer.close()
    world.close()


@pytest.fixture
def inbox(space):
    box = space[3]
    box.received.clear()
    box.refused.clear()
    box.fail.clear()
    box.delay = 0.0
    box.reading.clear()
    return box


def start_push(consumer: Party, agreement_id: str, address: dict) -> dict:
    return consumer.client.start_transfer(agreement_id, format=PUSH, data_address=address)


def finished(consumer: Party, transfer: dict, timeout: float = 30) -> dict:
    return consumer.client.wait_transfer(transfer["id"], states=("COMPLETED", "TERMINATED"), timeout=timeout)


def events(connector, transfer_id: str | None = None) -> list:
    records = connector.audit.query(limit=1000)
    return [r for r in records if transfer_id is None or r.transfer_id == transfer_id]


def test_a_file_is_pushed_with_the_bearer_token_then_the_transfer_completes(space, inbox):
    _, provider, consumer, _ = space
    dataset_id = publish(provider, {"type": "file", "path": "mnt.bin"})
    transfer = start_push(consumer, agree(provider, consumer, dataset_id), inbox.address())
    done = finished(consumer, transfer)
    assert done["state"] == "COMPLETED", done
    expected = bytes(range(256)) * 4096 * 8
    [body] = inbox.wait(1)
    assert body.method == "POST" and body.path == "/inbox" and body.complete
    assert body.size == len(expected) and body.sha256 == hashlib.sha256(expected).hexdigest()
    assert body.chunks > 1  # it arrived in pieces, as it was read
    assert body.headers["authorization"] == f"Bearer {inbox.token}"
    assert body.headers["content-length"] == str(len(expected))
    assert body.headers["x-jnt-transfer"] == transfer["consumer_pid"] and body.headers["x-jnt-attribution"]
    ours = provider_view(provider, done)
    assert ours["state"] == "COMPLETED"
    assert provider.connector.plane.pusher.state_of(ours["id"])["state"] == "done"
    mine = {r.event: r for r in events(provider.connector, ours["id"])}
    assert {"transfer.started", "data.access", "data.pushed", "transfer.completed"} <= set(mine)
    pushed = mine["data.pushed"]
    assert pushed.decision == "permit" and pushed.details["sha256"] == body.sha256
    assert pushed.details["bytes"] == len(expected) and pushed.details["attempts"] == 1
    assert mine["data.access"].details["channel"] == "push"
    assert inbox.token not in json.dumps([r.details for r in mine.values()])  # the consumer's secret is not logged
    theirs = {r.event for r in events(consumer.connector, transfer["id"])}
    assert {"transfer.started", "transfer.completed"} <= theirs


def test_the_push_streams_with_flat_memory(space, inbox, tmp_path):
    _, provider, consumer, _ = space
    size = 48 * 1024 * 1024
    with open(provider.connector.plane.sources_dir / "big.bin", "wb") as out:
        block = bytes(range(256)) * 4096
        for _ in range(size // len(block)):
            out.write(block)
    dataset_id = publish(provider, {"type": "file", "path": "big.bin"})
    agreement_id = agree(provider, consumer, dataset_id)
    tracemalloc.start()
    try:
        transfer = start_push(consumer, agreement_id, inbox.address())
        done = finished(consumer, transfer, timeout=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert done["state"] == "COMPLETED", done
    assert inbox.wait(1)[0].size == size
    assert peak < size / 4, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB push"


def test_vector_data_is_clipped_to_the_territory_and_put_with_a_header_credential(space, inbox):
    _, provider, consumer, _ = space
    dataset_id = publish(provider, {"type": "file", "path": "stations.geojson"}, {"territories": [NANTES]})
    address = data_address(inbox.url + "/stations", method="PUT", authKey="X-Api-Key", authCode="s3cret-key")
    inbox.header, inbox.token = "x-api-key", "s3cret-key"
    try:
        done = finished(consumer, start_push(consumer, agree(provider, consumer, dataset_id), address))
    finally:
        inbox.header = None
    assert done["state"] == "COMPLETED", done
    [body] = inbox.wait(1)
    assert body.method == "PUT" and body.headers["content-type"] == "application/geo+json"
    assert "authorization" not in body.headers
    features = {f["id"]: f for f in json.loads(body.body)["features"]}
    assert set(features) == {"nantes", "road"}  # Saint-Nazaire left out
    road = shapely.geometry.shape(features["road"]["geometry"])
    assert road.length < 0.25 and get_territory(NANTES).geometry.buffer(1e-9).covers(road)
    assert body.headers["x-jnt-territory"]


def test_a_folder_is_pushed_file_by_file(space, inbox):
    _, provider, consumer, _ = space
    dataset_id = publish(provider, {"type": "folder", "path": "folder"})
    done = finished(consumer, start_push(consumer, agree(provider, consumer, dataset_id), inbox.address("/drop/")))
    assert done["state"] == "COMPLETED", done
    bodies = {b.path: b.body for b in inbox.wait(2)}
    assert bodies == {"/drop/a.csv": b"station;niveau\nnantes;4.2\n", "/drop/sub/b.txt": b"bonjour"}


def test_server_errors_are_retried_and_the_push_counts_once(space, inbox):
    _, provider, consumer, _ = space
    dataset_id = publish(provider, {"type": "file", "path": "stations.geojson"}, {"max_count": 1})
    agreement_id = agree(provider, consumer, dataset_id)
    inbox.fail[:] = [503, 502]
    done = finished(consumer, start_push(consumer, agreement_id, inbox.address()))
    assert done["state"] == "COMPLETED", done
    assert [status for status, _ in inbox.refused] == [503, 502] and len(inbox.wait(1)) == 1
    ours = provider_view(provider, done)
    pushed = next(r for r in events(provider.connector, ours["id"]) if r.event == "data.pushed")
    assert pushed.details["attempts"] == 3 and pushed.details["use"] == 1
    assert provider.connector.data.enforcer.usage.current(agreement_id) == 1  # three attempts, one use
    # The agreement allowed one use: a second push is refused by the policy, and the transfer ends with the reason.
    again = finished(consumer, start_push(consumer, agreement_id, inbox.address()))
    assert again["state"] == "TERMINATED", again
    assert len(inbox.received) == 1
    theirs = provider_view(provider, again)
    refused = next(r for r in events(provider.connector, theirs["id"]) if r.event == "data.refused")
    assert refused.decision == "deny" and refused.details["channel"] == "push" and "2" in refused.explanation_en
    ended = next(r for r in events(consumer.connector, again["id"]) if r.event == "transfer.terminated")
    assert "policy-refused" in (ended.explanation_en or "") or "count" in (ended.explanation_en or "").lower()


def test_a_push_that_keeps_failing_ends_the_transfer_after_bounded_attempts(space, inbox):
    _, provider, consumer, _ = space
    dataset_id = publish(provider, {"type": "file", "path": "stations.geojson"})
    inbox.fail[:] = [500] * 10
    done = finished(consumer, start_push(consumer, agree(provider, consumer, dataset_id), inbox.address()))
    assert done["state"] == "TERMINATED", done
    assert len(inbox.refused) == 3 and not inbox.received  # max_attempts, then no more
    assert "500" in (done["error_detail"] or ""), done
    ours = provider_view(provider, done)
    assert ours["state"] == "TERMINATED"
    failed = next(r for r in events(provider.connector, ours["id"]) if r.event == "data.push-failed")
    assert "3" in failed.explanation_en and failed.explanation_fr
    assert provider.connector.plane.pusher.state_of(ours["id"])["state"] == "failed"
    assert any(r.event == "transfer.terminated" for r in events(consumer.connector, done["id"]))


def test_a_refusal_by_the_endpoint_is_final(space, inbox):
    _, provider, consumer, _ = space
    dataset_id = publish(provider, {"type": "file", "path": "stations.geojson"})
    address = inbox.address()
    address["endpointProperties"][0]["value"] = "not-the-token"
    done = finished(consumer, start_push(consumer, agree(provider, consumer, dataset_id), address))
    assert done["state"] == "TERMINATED", done
    assert inbox.refused == [(401, "/inbox")]  # one request, no retry
    assert "401" in done["error_detail"]


def test_a_suspended_push_stops_and_starts_over_when_resumed(space, inbox):
    _, provider, consumer, _ = space
    with open(provider.connector.plane.sources_dir / "slow.bin", "wb") as out:
        for _ in range(32):
            out.write(bytes(range(256)) * 4096)  # 32 MiB: more than the socket buffers hold
    dataset_id = publish(provider, {"type": "file", "path": "slow.bin"})
    inbox.delay = 0.02  # a slow reader: the whole body would take many seconds
    transfer = start_push(consumer, agree(provider, consumer, dataset_id), inbox.address())
    assert inbox.reading.wait(20)
    consumer.client.transfer_action(transfer["id"], "suspend")
    suspended_at = time.monotonic()
    assert consumer.client.wait_transfer(transfer["id"], states=("SUSPENDED",))["state"] == "SUSPENDED"
    [cut] = inbox.wait(1)
    assert not cut.complete and time.monotonic() - suspended_at < 3  # the upload stopped midway, soon
    ours = provider_view(provider, consumer.client.get_transfer(transfer["id"]))
    assert wait_for(lambda: provider.connector.plane.pusher.state_of(ours["id"]),
                    lambda p: p["state"] == "interrupted")
    inbox.delay = 0.0
    consumer.client.transfer_action(transfer["id"], "resume")
    done = finished(consumer, transfer)
    assert done["state"] == "COMPLETED", done
    whole = inbox.wait(2)[1]
    assert whole.complete and whole.size == 32 * 1024 * 1024
    assert provider.connector.plane.pusher.state_of(ours["id"])["round"] == 2
    kinds = [r.event for r in reversed(events(consumer.connector, transfer["id"]))]
    assert kinds == ["transfer.started", "transfer.suspended", "transfer.started", "transfer.completed"]


def test_the_delivery_address_is_checked_when_the_transfer_is_requested(space):
    _, provider, consumer, _ = space
    dataset_id = publish(provider, {"type": "file", "path": "stations.geojson"})
    agreement_id = agree(provider, consumer, dataset_id)
    for address, words in ((None, "dataAddress"),
                           (data_address("ftp://example.org/in"), "http"),
                           (data_address("https://example.org/in", authKey="X-Key"), "authKey"),
                           (data_address("https://example.org/in", method="DELETE"), "method")):
        with pytest.raises(ManagementError) as refused:
            consumer.client.start_transfer(agreement_id, format=PUSH, data_address=address)
        assert refused.value.status == 400 and refused.value.code == "invalid-data-address"
        assert words in refused.value.message("en"), refused.value.message("en")
    # A feed has no end: the provider refuses to push it, and says why.
    feed_id = publish(provider, {"type": "feed", "simulate": {"stations": ["a"], "interval": 1}})
    transfer = start_push(consumer, agree(provider, consumer, feed_id), data_address("http://127.0.0.1:9/in"))
    ended = finished(consumer, transfer)
    assert ended["state"] == "TERMINATED" and "feed" in ended["error_detail"], ended


def test_destinations_must_be_public_unless_in_development():
    def target(url: str) -> PushTarget:
        return push_target(data_address(url))

    check_transport(target("https://93.184.216.34/in"))
    check_transport(target("https://data.example.org/in"))  # a name: its addresses are checked when pushing
    check_transport(target("http://127.0.0.1:8080/in"), dev_mode=True)
    for url in ("http://127.0.0.1:8080/in", "http://data.example.org/in", "https://10.1.2.3/in",
                "https://169.254.169.254/latest", "https://[::1]/in", "https://[::ffff:127.0.0.1]/in"):
        with pytest.raises(AddressError):
            check_transport(target(url))
    check_ip(ipaddress.ip_address("10.1.2.3"), allow_private=True)
    with pytest.raises(AddressError):
        check_ip(ipaddress.ip_address("169.254.169.254"), allow_private=True)
    assert push_target(data_address("https://x.example/in", authorization="t", authType="bearer")).headers == {
        "Authorization": "Bearer t"}
    assert push_target(data_address("https://x.example/in", authorization="Basic dTpw")).headers == {
        "Authorization": "Basic dTpw"}
    with pytest.raises(AddressError) as bad:
        push_target(data_address("https://u:p@x.example/in"))
    assert bad.value.field == "dataAddress.endpoint"
    with pytest.raises(AddressError):
        push_target(data_address("https://x.example/in", authKey="Host", authCode="evil"))
    with pytest.raises(AddressError):
        push_target(data_address("https://x.example/in", authorization="a\r\nX-Injected: 1"))
    named = {"@type": "DataAddress", "endpointType": "https://w3id.org/idsa/v4.1/HTTP", "endpoint": "https://x.example",
             "endpointProperties": [{"@type": "EndpointProperty", "name": "https://w3id.org/edc/v0.0.1/ns/method",
                                     "value": "put"}]}
    assert push_target(named).method == "PUT"


def test_a_pending_push_survives_a_provider_restart(tmp_path):
    world = Space(tmp_path)
    inbox = Inbox()
    provider = Party(world.connector("ddtm-44", "public", "service de l'État"))
    consumer = Party(world.connector("region-pdl", "public", "collectivité territoriale"))
    try:
        sources(provider.connector)
        quick(provider.connector, base_delay=2.0, max_delay=2.0)
        dataset_id = publish(provider, {"type": "file", "path": "stations.geojson"})
        agreement_id = agree(provider, consumer, dataset_id)
        # Two pushes fail once; one waits for its retry (its row is in the database), the other will have lost its
        # row as if the provider had died between the commit of STARTED and the recording of the push.
        inbox.fail[:] = [503, 503]
        kept = start_push(consumer, agreement_id, inbox.address())
        lost = start_push(consumer, agreement_id, inbox.address())
        wait_for(lambda: len(inbox.refused), lambda n: n == 2, timeout=20)
        lost_id = provider_view(provider, consumer.client.wait_transfer(lost["id"], states=("STARTED",)))["id"]
        port = provider.connector.base_url.rsplit(":", 1)[1]
        url = provider.connector.plane.store.engine.url
        provider.close()
        world.stop_member(provider.connector)
        engine = make_engine(url.render_as_string(hide_password=False))
        with engine.begin() as connection:
            connection.execute(delete(DataPush).where(DataPush.transfer_id == lost_id))
        engine.dispose()
        provider = Party(world.connector("ddtm-44", "public", "service de l'État",
                                         server=BackgroundServer(port=int(port))))
        for transfer in (kept, lost):
            assert finished(consumer, transfer)["state"] == "COMPLETED"
        assert len(inbox.wait(2)) == 2
    finally:
        inbox.close()
        provider.close()
        consumer.close()
        world.close()
