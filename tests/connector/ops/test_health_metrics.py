"""Probes and metrics of a connector, for real: a data space on loopback, PostgreSQL behind a TCP proxy that the
test cuts and restores (the database "goes down" the way a network partition or a database restart looks to the
connector), and Prometheus' text format parsed with prometheus-client's own parser."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from connector.identity.storage import make_engine

from ..control.space import Space
from ..data.loopback import Party, agree, publish

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class TcpProxy:
    """Forwards a loopback port to PostgreSQL; `cut()` closes every connection and refuses new ones, `restore()`
    listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown wakes the thread blocked in accept(), which close() alone does not on Linux
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.fixture
def proxied_schema():
    admin = make_engine(POSTGRES)
    schema = f"jnt_ops_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    proxy = TcpProxy(("127.0.0.1", 5432))
    yield proxy, f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test?options=-csearch_path%3D{schema}" \
        "&connect_timeout=2"
    proxy.cut()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _ready(base_url: str) -> httpx.Response:
    return httpx.get(base_url + "/health/ready", timeout=15)


def _wait_status(base_url: str, status: int, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        answer = _ready(base_url)
        if answer.status_code == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_readiness_flips_when_the_database_goes_down_and_back(tmp_path, proxied_schema):
    proxy, url = proxied_schema
    space = Space(tmp_path, database_for=lambda name: url)
    try:
        connector = space.connector("ddtm44", "public")
        live = httpx.get(connector.base_url + "/health/live", timeout=5)
        assert live.status_code == 200 and live.json()["status"] == "alive"
        ready = _ready(connector.base_url)
        assert ready.status_code == 200, ready.text
        checks = {c["name"]: c["status"] for c in ready.json()["checks"]}
        assert checks == {"database": "ok", "migrations": "ok", "worker:dispatcher": "ok", "keys": "ok",
                          "worker:push": "ok", "worker:sweeper": "ok"}

        proxy.cut()
        down = _wait_status(connector.base_url, 503)
        assert down.status_code == 503, down.text
        body = down.json()
        assert body["status"] == "not-ready"
        database = next(c for c in body["checks"] if c["name"] == "database")
        assert database["status"] == "failed" and "injoignable" in database["message"]["fr"], body
        assert httpx.get(connector.base_url + "/health/live", timeout=5).status_code == 200  # alive all along

        proxy.restore()
        back = _wait_status(connector.base_url, 200)
        assert back.status_code == 200, back.text
    finally:
        space.close()


def test_readiness_names_a_stopped_worker_and_missing_migrations(tmp_path):
    space = Space(tmp_path)
    try:
        connector = space.connector("ddtm44", "public")
        connector.plane.dispatcher.stop()
        body = _ready(connector.base_url).json()
        failed = {c["name"]: c["message"]["en"] for c in body["checks"] if c["status"] == "failed"}
        assert failed == {"worker:dispatcher": "the background worker 'dispatcher' is not running"}
        with connector.plane.store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        failed = {c["name"] for c in _ready(connector.base_url).json()["checks"] if c["status"] == "failed"}
        assert failed == {"worker:dispatcher", "migrations"}
    finally:
        space.close()


def _metrics(base_url: str, token: str | None = None) -> dict[str, dict[tuple, float]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(base_url + "/metrics", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def _value(metrics: dict, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for key, v in metrics.get(name, {}).items() if wanted <= set(key))


def test_metrics_count_a_negotiation_a_transfer_and_the_data_served(tmp_path):
    space = Space(tmp_path)
    try:
        provider = Party(space.connector("ddtm44", "public"))
        consumer = Party(space.connector("region-pdl", "public"))
        content = b"station;hauteur\nnantes;2.31\n" * 40
        (provider.connector.plane.sources_dir / "stations.csv").write_bytes(content)
        dataset_id = publish(provider, {"type": "file", "path": "stations.csv"})
        before = _metrics(provider.connector.base_url)
        assert _value(before, "jnt_negotiations", state="FINALIZED") == 0

        agreement_id = agree(provider, consumer, dataset_id, territory=None)
        transfer = consumer.client.start_transfer(agreement_id, format="HttpData-PULL")
        assert consumer.client.wait_transfer(transfer["id"])["state"] == "STARTED"
        copy = consumer.client.fetch_transfer(transfer["id"])
        assert copy["size"] == len(content)

        after = _metrics(provider.connector.base_url)
        assert _value(after, "jnt_negotiations", role="provider", state="FINALIZED") == 1
        assert _value(after, "jnt_transfers", role="provider", state="STARTED") == 1
        assert _value(after, "jnt_policy_decisions_total", event="agreement.signed", decision="permit") == 1
        assert _value(after, "jnt_policy_decisions_total", event="data.access", decision="permit") >= 1
        assert _value(after, "jnt_data_bytes_total") == len(content)
        assert _value(after, "jnt_data_requests_total", status="200") >= 1
        areas = {dict(k)["endpoint"]: dict(k)["area"] for k in after["jnt_http_requests_total"]}
        assert areas["/data/{transfer_pid}"] == "data"
        assert areas["/management/datasets"] == "management"
        assert areas["/.well-known/did.json"] == "other"
        dsp = {dict(k)["endpoint"] for k in after["jnt_http_requests_total"] if dict(k)["area"] == "dsp"}
        assert "/api/dsp/2025-1/negotiations/request" in dsp, dsp
        assert any("{" in endpoint for endpoint in dsp), dsp  # route templates, not raw pids
        assert _value(after, "jnt_worker_queue_depth", kind="negotiation") == 0
        assert _value(after, "jnt_dispatcher_messages_total", outcome="sent") >= 2  # AGREED, FINALIZED

        mine = _metrics(consumer.connector.base_url)
        assert _value(mine, "jnt_negotiations", role="consumer", state="FINALIZED") == 1
        assert _value(mine, "jnt_transfers", role="consumer", state="STARTED") == 1
        unknown = httpx.post(provider.connector.dsp_url + "/negotiations/urn:uuid:nope/events", json={})
        assert unknown.status_code in (400, 401, 404)
        statuses = {dict(k)["status"] for k in _metrics(provider.connector.base_url)["jnt_http_requests_total"]}
        assert str(unknown.status_code) in statuses
    finally:
        space.close()


def test_metrics_token_protects_the_endpoint(tmp_path):
    space = Space(tmp_path)
    try:
        server_settings = space.settings("ddtm44")
        assert server_settings.metrics_token is None
        from connector.control.runtime import build_connector
        from connector.identity import Participant
        from connector.server import BackgroundServer

        from ..control.space import PASSPHRASE, QUICK

        server = BackgroundServer()
        data_dir = tmp_path / "guarded"
        participant = Participant.init(data_dir, f"did:web:127.0.0.1%3A{server.port}", PASSPHRASE.encode())
        settings = space.settings("guarded", metrics_token="scrape-me")
        connector = build_connector(settings, server.base_url, participant=participant, options=QUICK)
        server.start(connector.app)
        try:
            assert httpx.get(server.base_url + "/metrics").status_code == 401
            assert httpx.get(server.base_url + "/metrics",
                             headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert "jnt_http_requests_total" in _metrics(server.base_url, "scrape-me")
        finally:
            server.stop()
            connector.close()
    finally:
        space.close()


def test_authority_probes_and_metrics(tmp_path):
    space = Space(tmp_path)
    try:
        base = space.authority_server.base_url
        assert httpx.get(base + "/health/live").json() == {"status": "alive", "service": "authority"}
        ready = _ready(base)
        assert ready.status_code == 200
        assert {c["name"] for c in ready.json()["checks"]} == {"database", "schema", "keys"}
        space.connector("ddtm44", "public")  # enrolment: the admin API and the directory are used
        metrics = _metrics(base)
        assert _value(metrics, "jnt_http_requests_total", endpoint="/admin/participants", method="POST") == 1
        with space.authority_server.app.state.authority.engine.begin() as connection:
            connection.execute(text("DROP TABLE authority_credentials"))
        failed = [c for c in _ready(base).json()["checks"] if c["status"] == "failed"]
        assert [c["name"] for c in failed] == ["schema"] and "authority_credentials" in failed[0]["message"]["en"]
    finally:
        space.close()
