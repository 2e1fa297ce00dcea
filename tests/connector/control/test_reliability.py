"""Reliability: a provider killed with SIGKILL in the middle of a negotiation finishes it after a restart (its state
was committed before each acknowledgement and its pending messages are work for its dispatcher); many concurrent
negotiations between two connectors all finish with exactly one agreement each, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from catalog.sheet import Sheet
from connector.control.datasets import DatasetRegistry
from connector.identity import Participant
from connector.identity.did import did_from_url
from connector.store import Store, upgrade
from policies.templates import offer_template

from .space import ADMIN, PASSPHRASE, Space, wait_for, wait_negotiation


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _publish(registry: DatasetRegistry, did: str, count: int = 1) -> list[str]:
    ids = []
    for i in range(count):
        sheet = Sheet(id=f"https://data.example.org/gauges/{i}")
        sheet.nature.title = f"Stations hydrométriques {i}"
        registry.publish(sheet, [offer_template("etalab-2.0", "public", uid=f"{sheet.id}#offer", assigner=did)])
        ids.append(sheet.id)
    return ids


class ProviderProcess:
    """A provider connector in its own OS process (`jnt connector serve`), so that it can be killed for real."""

    def __init__(self, space: Space, tmp_path) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.data_dir = tmp_path / "provider"
        did = did_from_url(self.base_url)
        participant = Participant.init(self.data_dir, did, PASSPHRASE.encode(),
                                       dsp_endpoint=self.base_url + "/api/dsp/2025-1")
        answer = httpx.post(space.authority_server.base_url + "/admin/participants",
                            headers={"Authorization": f"Bearer {ADMIN}"},
                            json={"did": did, "name": "Météo-France", "category": "public", "kind": "établissement"})
        answer.raise_for_status()
        participant.save_credential(answer.json()["credential"])
        self.did = did
        self.db_url = f"sqlite:///{self.data_dir / 'jnt.sqlite'}"
        upgrade(self.db_url)
        self.store = Store.from_url(self.db_url)
        self.env = {**os.environ, "JNT_KEY_PASSPHRASE": PASSPHRASE, "JNT_TRUSTED_AUTHORITIES": space.authority_did,
                    "JNT_DEV_MODE": "true", "JNT_DATA_DIR": str(self.data_dir), "JNT_LOG_LEVEL": "WARNING",
                    "JNT_DSP_FIRST_CALLBACK_DELAY": "3", "JNT_REPLICA_ID": "provider-replica"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from connector.cli import main; main()", "connector", "serve",
             "--port", str(self.port)], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.process.stderr.read().decode())
            try:
                if httpx.get(self.base_url + "/.well-known/dspace-version", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("provider did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.store.engine.dispose()


def test_a_provider_killed_after_requested_finishes_the_negotiation_after_a_restart(space, tmp_path):
    provider = ProviderProcess(space, tmp_path)
    try:
        [dataset] = _publish(DatasetRegistry(provider.store.engine), provider.did)
        provider.start()
        consumer = space.connector("region-pdl", "public")
        offer = DatasetRegistry(provider.store.engine).message_offer(dataset, f"{dataset}#offer")
        process = consumer.plane.negotiations.start(provider_address=provider.base_url + "/api/dsp/2025-1",
                                                    provider_did=provider.did, offer=offer, dataset_id=dataset)
        consumer.plane.wake()
        wait_for(lambda: provider.store.list("negotiation"), lambda rows: rows and rows[0].state == "REQUESTED")
        # The consumer has the provider's acknowledgement too (it processes the 201 after the provider committed).
        wait_for(lambda: consumer.plane.store.get("negotiation", process.id), lambda p: p.state == "REQUESTED")
        provider.kill()  # REQUESTED committed, the agreement not sent yet (first callback delayed by 3 s)
        [row] = provider.store.list("negotiation")
        assert row.state == "REQUESTED" and row.intent == "AGREEING"
        provider.start()
        done = wait_negotiation(consumer, process.id, timeout=30)
        assert done.state == "FINALIZED", done.error_detail
        [row] = wait_for(lambda: provider.store.list("negotiation"), lambda rows: rows[0].state == "FINALIZED")
        assert row.agreement_id == done.agreement_id
        assert provider.store.get_agreement(done.agreement_id) is not None
        assert consumer.plane.store.get_agreement(done.agreement_id) is not None
    finally:
        provider.stop()


def _concurrent_negotiations(space: Space, count: int) -> None:
    provider = space.connector("dreal", "public", "service de l'État")
    consumer = space.connector("region-pdl", "public", "région")
    datasets = _publish(provider.plane.datasets, provider.plane.did, 10)
    offers = {d: provider.plane.datasets.message_offer(d, f"{d}#offer") for d in datasets}

    def start(i: int) -> str:
        dataset = datasets[i % len(datasets)]
        return consumer.plane.negotiations.start(provider_address=provider.dsp_url, provider_did=provider.plane.did,
                                                 offer=offers[dataset], dataset_id=dataset).id

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(start, range(count)))
    consumer.plane.wake()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        states = [consumer.plane.store.get("negotiation", i).state for i in ids]
        if all(s in ("FINALIZED", "TERMINATED") for s in states):
            break
        time.sleep(0.2)
    rows = [consumer.plane.store.get("negotiation", i) for i in ids]
    assert [r.error_detail for r in rows if r.state != "FINALIZED"] == []
    agreements = [r.agreement_id for r in rows]
    assert len(set(agreements)) == count
    assert all(consumer.plane.store.get_agreement(a) is not None for a in agreements)
    provider_rows = wait_for(lambda: provider.plane.store.list("negotiation", limit=count + 10),
                             lambda ps: len(ps) == count and all(p.state == "FINALIZED" for p in ps), timeout=30)
    assert {p.agreement_id for p in provider_rows} == set(agreements)
    assert provider.plane.store.count("negotiation") == count


def test_200_concurrent_negotiations_on_sqlite(space):
    _concurrent_negotiations(space, 200)


def test_200_concurrent_negotiations_on_postgresql(tmp_path, postgres_schemas):
    world = Space(tmp_path, database_for=postgres_schemas)
    try:
        _concurrent_negotiations(world, 200)
    finally:
        world.close()
