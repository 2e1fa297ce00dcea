"""The data plane end to end, on real servers on loopback with verified identities: a provider publishes datasets
backed by real files, a consumer negotiates and starts transfers through the management API, then pulls with the
EDR its connector received in the TransferStartMessage. Every acceptance point of the data-plane issue: ranges and
gzip, a count-limited agreement refusing use N+1, an expired agreement refusing, a territorial restriction serving
only the features inside the commune (clipped), a token of agreement A not reading dataset B, termination revoking
at once, refresh without lock-out, traversal and oversized requests refused, and an audit chain that verifies."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import shapely.geometry

from connector.control.client import ManagementClient
from policies.territories import get_territory

from ..control.space import MANAGEMENT, Space

NANTES = "44109"
# Points in Nantes and Saint-Nazaire, and a road leaving Nantes eastwards (clipped at the commune's boundary).
FEATURES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "nantes", "properties": {"name": "Station Nantes"},
     "geometry": {"type": "Point", "coordinates": [-1.5536, 47.2184]}},
    {"type": "Feature", "id": "saint-nazaire", "properties": {"name": "Station Saint-Nazaire"},
     "geometry": {"type": "Point", "coordinates": [-2.2130, 47.2735]}},
    {"type": "Feature", "id": "road", "properties": {"name": "Route vers l'est"},
     "geometry": {"type": "LineString", "coordinates": [[-1.55, 47.22], [-1.30, 47.22]]}},
]}


class Party:
    def __init__(self, connector) -> None:
        self.connector = connector
        self.client = ManagementClient(connector.base_url + "/management", MANAGEMENT, timeout=20, poll_interval=0.02)

    @property
    def did(self) -> str:
        return self.connector.plane.did


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    world = Space(tmp_path_factory.mktemp("data-plane"))
    provider = Party(world.connector("ddtm-44", "public", "service de l'État"))
    consumer = Party(world.connector("region-pdl", "public", "collectivité territoriale"))
    sources = provider.connector.plane.sources_dir
    (sources / "stations.geojson").write_text(json.dumps(FEATURES), encoding="utf-8")
    (sources / "mnt.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    (sources / "mnt.tif").write_bytes(b"II*\x00" + bytes(4096))  # served as image/tiff: a raster
    (sources / "folder").mkdir()
    (sources / "folder" / "a.csv").write_text("station;niveau\nnantes;4.2\n", encoding="utf-8")
    (sources / "secret.txt").write_text("not in the folder", encoding="utf-8")
    yield world, provider, consumer
    provider.client.close()
    consumer.client.close()
    world.close()


def publish(provider: Party, source: dict, restrictions: dict | None = None) -> str:
    dataset_id = f"https://data.example.org/ddtm44/{uuid.uuid4().hex[:8]}"
    template = ({"licence": "restricted", "access": "restricted", "restrictions": restrictions} if restrictions
                else {"licence": "etalab-2.0", "access": "public"})
    provider.client.publish_dataset(sheet={"id": dataset_id, "nature": {"title": "Stations hydrométriques"},
                                           "licence": {"rights": "© DDTM 44 — Etalab 2.0"}},
                                    template=template, data_source=source)
    return dataset_id


def obtain(provider: Party, consumer: Party, dataset_id: str, *, territory: str | None = NANTES) -> dict:
    """Negotiate and start a pull transfer; the consumer's transfer view (with the DataAddress it received)."""
    catalog = consumer.client.fetch_catalog(provider.connector.dsp_url, provider.did)
    offer = next(d for d in catalog["dataset"] if d["@id"] == dataset_id)["hasPolicy"][0]
    negotiation = consumer.client.start_negotiation(provider.connector.dsp_url, provider.did, dataset_id, offer,
                                                    purpose="flood-risk-simulation", territory=territory)
    done = consumer.client.wait_negotiation(negotiation["id"], timeout=20)
    assert done["state"] == "FINALIZED", done
    transfer = consumer.client.start_transfer(done["agreement_id"])
    running = consumer.client.wait_transfer(transfer["id"], states=("STARTED",), timeout=20)
    assert running["state"] == "STARTED" and running["data_address"], running
    return running


def prop(address: dict, name: str) -> str | None:
    return next((p["value"] for p in address.get("endpointProperties", []) if p["name"] == name), None)


def get(address: dict, suffix: str = "", token: str | None = None, **kwargs) -> httpx.Response:
    token = token or prop(address, "authorization")
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return httpx.get(address["endpoint"] + suffix, headers=headers, timeout=20, **kwargs)


def test_pull_with_range_and_gzip(space):
    _, provider, consumer = space
    address = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))["data_address"]
    assert prop(address, "refreshToken") and prop(address, "refreshEndpoint").endswith("/data/token")
    assert 0 < int(prop(address, "expiresIn")) <= 600
    whole = get(address)
    assert whole.status_code == 200 and whole.content == bytes(range(256)) * 4096
    assert whole.headers["x-jnt-attribution"]  # the sheet's rights statement comes with the data
    part = get(address, headers={"Range": "bytes=256-511"})
    assert part.status_code == 206 and part.content == bytes(range(256))
    assert part.headers["content-range"] == f"bytes 256-511/{256 * 4096}"
    binary = get(address, headers={"Accept-Encoding": "gzip"})
    assert binary.status_code == 200 and "content-encoding" not in binary.headers  # a binary is not recompressed
    text = obtain(provider, consumer, publish(provider, {"type": "file", "path": "stations.geojson"}))["data_address"]
    zipped = get(text, headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200 and zipped.headers.get("content-encoding") == "gzip"
    assert json.loads(zipped.content) == FEATURES  # httpx decodes
    bad_range = get(address, headers={"Range": "bytes=9999999-"})
    assert bad_range.status_code == 416


def test_count_limited_agreement_refuses_use_n_plus_one(space):
    _, provider, consumer = space
    dataset_id = publish(provider, {"type": "file", "path": "mnt.bin"}, {"max_count": 2})
    address = obtain(provider, consumer, dataset_id)["data_address"]
    assert get(address).status_code == 200
    assert get(address).status_code == 200
    third = get(address)
    assert third.status_code == 403, third.text
    body = third.json()
    assert body["error"] == "policy-refused" and "3" in body["en"] and body["fr"]


def test_expired_agreement_refuses(space):
    _, provider, consumer = space
    until = datetime.now(UTC) + timedelta(days=1)
    dataset_id = publish(provider, {"type": "file", "path": "mnt.bin"}, {"valid_until": until.isoformat()})
    address = obtain(provider, consumer, dataset_id)["data_address"]
    assert get(address).status_code == 200
    enforcer = provider.connector.data.enforcer
    clock = enforcer.clock
    enforcer.clock = lambda: until + timedelta(seconds=1)
    try:
        late = get(address)
    finally:
        enforcer.clock = clock
    assert late.status_code == 403 and late.json()["error"] == "policy-refused", late.text


def test_spatial_restriction_serves_only_features_inside_the_commune(space):
    _, provider, consumer = space
    dataset_id = publish(provider, {"type": "file", "path": "stations.geojson"}, {"territories": [NANTES]})
    address = obtain(provider, consumer, dataset_id)["data_address"]
    answer = get(address)
    assert answer.status_code == 200, answer.text
    features = {f["id"]: f for f in answer.json()["features"]}
    assert set(features) == {"nantes", "road"}  # Saint-Nazaire left out
    commune = get_territory(NANTES).geometry
    road = shapely.geometry.shape(features["road"]["geometry"])
    assert road.length < 0.25 and commune.buffer(1e-9).covers(road)  # clipped at the boundary
    assert "Nantes" in answer.headers["x-jnt-territory"] or NANTES in answer.headers["x-jnt-territory"]


def test_a_restricted_raster_needs_an_area_inside_the_territory(space):
    _, provider, consumer = space
    dataset_id = publish(provider, {"type": "file", "path": "mnt.tif"}, {"territories": [NANTES]})
    address = obtain(provider, consumer, dataset_id)["data_address"]
    unbounded = get(address)
    assert unbounded.status_code == 400 and unbounded.json()["error"] == "area-required", unbounded.text
    outside = get(address, params={"bbox": "-2.25,47.25,-2.20,47.29"})  # Saint-Nazaire
    assert outside.status_code == 403 and outside.json()["error"] == "policy-refused", outside.text
    inside = get(address, params={"bbox": "-1.556,47.216,-1.551,47.221"})  # central Nantes
    assert inside.status_code == 200 and inside.content.startswith(b"II*"), inside.text


def test_token_of_agreement_a_cannot_read_dataset_b(space):
    _, provider, consumer = space
    a = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))["data_address"]
    b = obtain(provider, consumer, publish(provider, {"type": "file", "path": "stations.geojson"}))["data_address"]
    crossed = httpx.get(b["endpoint"], headers={"Authorization": f"Bearer {prop(a, 'authorization')}"}, timeout=20)
    assert crossed.status_code == 403 and crossed.json()["error"] == "wrong-transfer"
    forged = prop(a, "authorization")[:-4] + "AAAA"
    assert get(a, token=forged).status_code == 401
    assert httpx.get(a["endpoint"], timeout=20).status_code == 401


def test_terminated_transfer_token_stops_working_at_once(space):
    _, provider, consumer = space
    transfer = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))
    address = transfer["data_address"]
    assert get(address).status_code == 200
    provider_view = next(t for t in provider.client.list_transfers(role="provider", limit=500)["items"]
                         if t["provider_pid"] == transfer["provider_pid"])
    provider.client.transfer_action(provider_view["id"], "terminate")
    after = get(address)
    assert after.status_code == 403 and after.json()["error"] == "transfer-not-started", after.text


def test_refresh_without_lock_out(space):
    _, provider, consumer = space
    address = obtain(provider, consumer, publish(provider, {"type": "file", "path": "mnt.bin"}))["data_address"]
    refresh_url, first_refresh = prop(address, "refreshEndpoint"), prop(address, "refreshToken")
    lost = httpx.post(refresh_url, json={"refresh_token": first_refresh}, timeout=20)
    assert lost.status_code == 200  # ...but suppose this answer never reached the consumer
    again = httpx.post(refresh_url, json={"refresh_token": first_refresh}, timeout=20)
    assert again.status_code == 200, again.text  # the old refresh token still works
    pair = again.json()
    assert pair["token_type"] == "Bearer" and pair["expires_in"] <= 600
    assert get(address).status_code == 200  # the first access token too, until the new one is used
    assert get(address, token=pair["access_token"]).status_code == 200
    assert get(address).status_code == 401  # now retired
    retired = httpx.post(refresh_url, json={"refresh_token": first_refresh}, timeout=20)
    assert retired.status_code == 401 and retired.json()["error"] == "invalid-refresh-token"
    assert httpx.post(refresh_url, json={"refresh_token": pair["refresh_token"]}, timeout=20).status_code == 200
    assert httpx.post(refresh_url, json={}, timeout=20).status_code == 400
    assert httpx.post(refresh_url, content=b"x" * 20000, timeout=20).status_code == 413


def test_traversal_and_oversized_requests_are_refused(space):
    _, provider, consumer = space
    address = obtain(provider, consumer, publish(provider, {"type": "folder", "path": "folder"}))["data_address"]
    ok = get(address, "/a.csv")
    assert ok.status_code == 200 and "nantes" in ok.text
    for path in ("/..%2Fsecret.txt", "/%2e%2e/secret.txt", "/%252e%252e/secret.txt", "/.hidden"):
        refused = get(address, path)
        assert refused.status_code in (400, 404), (path, refused.status_code, refused.text)
        assert "not in the folder" not in refused.text
    assert get(address, "/" + "a" * 2000).status_code == 414
    with_body = httpx.request("GET", address["endpoint"] + "/a.csv", content=b"x" * 10,
                              headers={"Authorization": f"Bearer {prop(address, 'authorization')}"}, timeout=20)
    assert with_body.status_code == 413


def test_audit_chain_verifies_and_names_a_tampered_record(space):
    _, provider, _ = space
    audit = provider.connector.audit
    records = audit.query(limit=1000)
    events = {r.event for r in records}
    assert {"data.access", "data.refused", "agreement.signed", "negotiation.finalized"} <= events
    consumer_events = {r.event for r in space[2].connector.audit.query(limit=1000)}
    assert {"agreement.received", "negotiation.finalized"} <= consumer_events
    refused = next(r for r in records if r.event == "data.refused")
    assert refused.decision == "deny" and refused.explanation_en
    report = audit.verify(provider.connector.participant.keys.public_jwks())
    assert report.ok, report.reason("en")
    assert all("eyJ" not in (r.explanation_en or "") for r in records)  # no token in the log
