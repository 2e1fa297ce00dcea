"""Real-time feeds over a STARTED pull transfer, on real servers on loopback: a consumer reads a simulated river-gauge
feed as server-sent events or NDJSON and gets the simulation's own values, in order; a stream counts as one use of
the agreement however long it lasts; suspending or terminating the transfer — or the agreement running out — ends
the stream within about FEED_RECHECK_SECONDS even when the feed is silent; under a territorial restriction only the
stations inside the territory are served."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connector.data import http_api
from connector.data.sources import Station, simulated_observation

from ..control.space import Space
from .loopback import NANTES, Party, agree, prop, provider_view, publish

START = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)
STATIONS = [{"id": "loire-nantes", "name": "La Loire à Nantes", "lon": -1.5536, "lat": 47.2065},
            {"id": "erdre-nantes", "name": "L'Erdre à Nantes", "lon": -1.5580, "lat": 47.2390},
            {"id": "loire-saint-nazaire", "name": "La Loire à Saint-Nazaire", "lon": -2.2130, "lat": 47.2735}]
SEED = 7


def feed(interval: float, stations=STATIONS) -> dict:
    return {"type": "feed", "simulate": {"stations": stations, "interval": interval, "seed": SEED,
                                         "start": START.isoformat().replace("+00:00", "Z")}}


def expected(count: int, interval: float, stations=STATIONS) -> list[dict]:
    """The first `count` observations the simulation makes: one per station per tick, stations in order."""
    out: list[dict] = []
    tick = 0
    while len(out) < count:
        for item in stations:
            station = Station(item["id"], item.get("name"), item.get("lon"), item.get("lat"))
            out.append(simulated_observation(station, START + timedelta(seconds=tick * interval), SEED))
        tick += 1
    return out[:count]


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    world = Space(tmp_path_factory.mktemp("feeds"))
    provider = Party(world.connector("vigicrues", "public", "service de l'État"))
    consumer = Party(world.connector("region-pdl", "public", "collectivité territoriale"))
    yield world, provider, consumer
    provider.close()
    consumer.close()
    world.close()


def pull(provider: Party, consumer: Party, source: dict, restrictions: dict | None = None,
         territory: str | None = NANTES) -> tuple[dict, str]:
    """A STARTED pull transfer of a new feed dataset: the consumer's view (with its DataAddress), the agreement."""
    agreement_id = agree(provider, consumer, publish(provider, source, restrictions, formats=("HttpData-PULL",)),
                         territory=territory)
    transfer = consumer.client.start_transfer(agreement_id)
    running = consumer.client.wait_transfer(transfer["id"], states=("STARTED",), timeout=20)
    assert running["state"] == "STARTED" and running["data_address"], running
    return running, agreement_id


def open_stream(client: httpx.Client, address: dict, sse: bool):
    headers = {"Authorization": f"Bearer {prop(address, 'authorization')}"}
    if sse:
        headers["Accept"] = "text/event-stream"
    return client.stream("GET", address["endpoint"], headers=headers)


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    event, data = "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)


def ndjson(response: httpx.Response) -> Iterator[dict]:
    for line in response.iter_lines():
        if line.strip():
            yield json.loads(line)


def take(items: Iterator, count: int) -> list:
    return [next(items) for _ in range(count)]


def test_sse_gives_the_simulation_values_in_order(space):
    _, provider, consumer = space
    transfer, _ = pull(provider, consumer, feed(0.05), territory=None)
    with httpx.Client(timeout=10) as client, open_stream(client, transfer["data_address"], sse=True) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-jnt-use"] == "1"
        got = take(sse_events(response), 12)
    assert [event for event, _ in got] == ["message"] * 12
    assert [data for _, data in got] == expected(12, 0.05)


def test_ndjson_gives_the_same_values(space):
    _, provider, consumer = space
    transfer, _ = pull(provider, consumer, feed(0.05), territory=None)
    with httpx.Client(timeout=10) as client, open_stream(client, transfer["data_address"], sse=False) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        got = take(ndjson(response), 9)
    assert got == expected(9, 0.05)
    assert [o["time"] for o in got[::3]] == ["2026-01-15T06:00:00Z", "2026-01-15T06:00:00.050Z",
                                               "2026-01-15T06:00:00.100Z"]


def test_a_stream_counts_as_one_use(space):
    _, provider, consumer = space
    transfer, agreement_id = pull(provider, consumer, feed(0.02), {"max_count": 1}, territory=None)
    address = transfer["data_address"]
    usage = provider.connector.data.enforcer.usage
    with httpx.Client(timeout=10) as client:
        with open_stream(client, address, sse=False) as response:
            assert response.status_code == 200
            assert len(take(ndjson(response), 30)) == 30  # ten ticks: still one use
            assert usage.current(agreement_id) == 1
        again = client.get(address["endpoint"], headers={"Authorization": f"Bearer {prop(address, 'authorization')}"})
    assert again.status_code == 403 and again.json()["error"] == "policy-refused", again.text
    assert usage.current(agreement_id) == 1


def test_suspension_ends_a_silent_stream_within_the_recheck_period(space):
    _, provider, consumer = space
    transfer, _ = pull(provider, consumer, feed(3600), territory=None)  # one tick now, the next in an hour
    with httpx.Client(timeout=15) as client, open_stream(client, transfer["data_address"], sse=True) as response:
        events = sse_events(response)
        assert [e for e, _ in take(events, 3)] == ["message"] * 3
        provider.client.transfer_action(provider_view(provider, transfer)["id"], "suspend")
        suspended = time.monotonic()
        rest = list(events)  # until the provider ends the stream
        elapsed = time.monotonic() - suspended
    assert rest and rest[-1][0] == "end", rest
    assert rest[-1][1]["reason"] == "transfer-not-started" and rest[-1][1]["fr"]
    assert elapsed < http_api.FEED_RECHECK_SECONDS + 1.5, elapsed
    assert consumer.client.get_transfer(transfer["id"])["state"] == "SUSPENDED"


def test_termination_by_the_consumer_ends_an_ndjson_stream(space):
    _, provider, consumer = space
    transfer, _ = pull(provider, consumer, feed(3600), territory=None)
    with httpx.Client(timeout=15) as client, open_stream(client, transfer["data_address"], sse=False) as response:
        lines = ndjson(response)
        assert len(take(lines, 3)) == 3
        consumer.client.transfer_action(transfer["id"], "terminate", reason="fin de la crue")
        ended = time.monotonic()
        assert list(lines) == []  # the body simply ends
        elapsed = time.monotonic() - ended
    assert elapsed < http_api.FEED_RECHECK_SECONDS + 1.5, elapsed
    assert provider_view(provider, transfer)["state"] == "TERMINATED"


def test_a_stream_ends_when_the_agreement_runs_out(space):
    _, provider, consumer = space
    until = datetime.now(UTC) + timedelta(days=1)
    transfer, _ = pull(provider, consumer, feed(3600), {"valid_until": until.isoformat()}, territory=None)
    enforcer = provider.connector.data.enforcer
    clock = enforcer.clock
    with httpx.Client(timeout=15) as client, open_stream(client, transfer["data_address"], sse=True) as response:
        events = sse_events(response)
        assert len(take(events, 3)) == 3
        enforcer.clock = lambda: until + timedelta(seconds=1)
        try:
            rest = list(events)
        finally:
            enforcer.clock = clock
    assert rest[-1][0] == "end" and rest[-1][1]["reason"] == "policy-refused", rest
    refused = [r for r in provider.connector.audit.query(event="data.refused", limit=50)
               if (r.details or {}).get("during") == "delivery"]
    assert refused and refused[0].decision == "deny" and refused[0].explanation_en


def test_only_stations_inside_the_territory_are_served(space):
    _, provider, consumer = space
    transfer, _ = pull(provider, consumer, feed(0.05), {"territories": [NANTES]})
    with httpx.Client(timeout=10) as client, open_stream(client, transfer["data_address"], sse=False) as response:
        assert response.status_code == 200 and response.headers["x-jnt-territory"]
        got = take(ndjson(response), 6)
    inside = [s for s in STATIONS if s["id"] != "loire-saint-nazaire"]
    assert got == expected(6, 0.05, inside)  # Saint-Nazaire's gauge left out, the others in order
