"""Upgrading with live negotiations: two connectors stop while negotiations are half done (the provider has the
requests and has not answered yet; the consumer waits), their databases are taken back to the previous schema
revision — a database as the previous release left it — and the new code starts on them: the migrations run at
start-up, and every negotiation reaches FINALIZED with one agreement, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from connector.control.plane import PlaneOptions
from connector.identity.storage import make_engine
from connector.server import BackgroundServer
from connector.store.migrate import _config, current_revision, downgrade, head_revision

from ..control.space import Space, wait_for, wait_negotiation
from ..data.loopback import Party, publish

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The provider waits before answering: long enough for the test to stop it with the requests unanswered.
SLOW = PlaneOptions(chain_delay=0.05, first_callback_delay=30.0, base_delay=0.05, max_delay=0.5, idle_poll=0.5)
QUICK = PlaneOptions(chain_delay=0.05, first_callback_delay=0.0, base_delay=0.05, max_delay=0.5, idle_poll=0.2)


def previous_revision() -> str:
    script = ScriptDirectory.from_config(_config())
    return script.get_revision(head_revision()).down_revision


@pytest.fixture(params=["sqlite", "postgresql"])
def database_for(request):
    if request.param == "sqlite":
        yield None
        return
    admin = make_engine(POSTGRES)
    urls: dict[str, str] = {}

    def url(name: str) -> str:
        if name not in urls:
            schema = f"jnt_upgrade_{uuid.uuid4().hex[:12]}"
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            urls[name] = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        return urls[name]

    yield url
    with admin.begin() as connection:
        for value in urls.values():
            schema = value.rsplit("%3D", 1)[1]
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_an_upgrade_finishes_the_negotiations_in_flight(tmp_path, database_for):
    space = Space(tmp_path, database_for=database_for)
    try:
        provider_server, consumer_server = BackgroundServer(), BackgroundServer()
        provider = Party(space.connector("ddtm44", "public", options=SLOW, server=provider_server))
        consumer = Party(space.connector("region-pdl", "public", options=QUICK, server=consumer_server))
        (provider.connector.plane.sources_dir / "zones.csv").write_text("zone;aléa\nZ1;fort\n", encoding="utf-8")
        dataset_id = publish(provider, {"type": "file", "path": "zones.csv"})
        catalog = consumer.client.fetch_catalog(provider.connector.dsp_url, provider.did)
        offer = next(d for d in catalog["dataset"] if d["@id"] == dataset_id)["hasPolicy"][0]
        started = [consumer.client.start_negotiation(provider.connector.dsp_url, provider.did, dataset_id, offer,
                                                     purpose="flood-risk-simulation")["id"] for _ in range(3)]
        for process_id in started:
            wait_for(lambda pid=process_id: consumer.connector.plane.store.get("negotiation", pid),
                     lambda p: p.state == "REQUESTED", timeout=20)
        pending = provider.connector.plane.store.pending_by_kind()["negotiation"]
        assert pending == 3  # the provider holds three answers it has not sent
        urls = {name: party.connector.plane.store.engine.url.render_as_string(hide_password=False)
                for name, party in (("ddtm44", provider), ("region-pdl", consumer))}
        provider_did, consumer_did = provider.did, consumer.did
        for party in (provider, consumer):
            party.close()
            space.stop_member(party.connector)

        previous = previous_revision()
        for url in urls.values():
            assert downgrade(url, previous) == previous  # the database as the previous release left it

        provider = Party(space.connector("ddtm44", "public", options=QUICK,
                                         server=BackgroundServer(port=provider_server.port)))
        consumer = Party(space.connector("region-pdl", "public", options=QUICK,
                                         server=BackgroundServer(port=consumer_server.port)))
        assert (provider.did, consumer.did) == (provider_did, consumer_did)
        for url in urls.values():
            assert current_revision(url) == head_revision()  # migrated at start-up
        # The answers were scheduled 30 s ahead by the slow options of the first run: make them due now.
        for process in provider.connector.plane.store.list("negotiation", role="provider"):
            provider.connector.plane.store.expedite("negotiation", process.id)
        provider.connector.plane.wake()
        agreements = set()
        for process_id in started:
            done = wait_negotiation(consumer.connector, process_id, timeout=30)
            assert done.state == "FINALIZED", done.error_detail
            agreements.add(done.agreement_id)
        assert len(agreements) == 3
        assert all(provider.connector.plane.store.get_agreement(a) is not None for a in agreements)
    finally:
        space.close()
