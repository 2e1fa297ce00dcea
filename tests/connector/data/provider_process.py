"""A data provider in its own OS process (`jnt connector serve`, as in production), for measurements that must not
share an interpreter with the client: datasets published straight into its database before it starts, its memory
read from /proc, and the consumer's side of a pull (negotiate, start the transfer, stream with the EDR).

Used by tests/connector/data/test_large_pull.py and tests/benchmarks/test_data_plane_bench.py."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from catalog.sheet import Sheet
from connector.control.client import ManagementClient
from connector.control.datasets import DatasetRegistry
from policies.templates import Restrictions, offer_template

from ..control.space import MANAGEMENT, Space
from ..control.test_reliability import ProviderProcess

NANTES = "44109"
PURPOSE = "flood-risk-simulation"


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident since start or the last `reset_peak`) of a process, in KiB."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux ≥ 4.0, `echo 5 > clear_refs`); False if not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def write_random_file(path: Path, size: int, block: int = 4 * 1024 * 1024) -> None:
    """`size` bytes of random data (one random block repeated: fast, and incompressible at the chunk scale)."""
    data = os.urandom(block)
    with open(path, "wb") as out:
        remaining = size
        while remaining > 0:
            out.write(data[:min(block, remaining)])
            remaining -= block


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class DataProvider:
    """A provider connector in a subprocess with local data sources under `sources`."""

    def __init__(self, space: Space, tmp_path: Path) -> None:
        self.process = ProviderProcess(space, tmp_path)
        self.process.env["JNT_DSP_FIRST_CALLBACK_DELAY"] = "0"
        self.did = self.process.did
        self.dsp_url = self.process.base_url + "/api/dsp/2025-1"
        self.sources = self.process.data_dir / "sources"
        self.sources.mkdir(parents=True, exist_ok=True)
        self.registry = DatasetRegistry(self.process.store.engine)

    @property
    def pid(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid

    def publish(self, data_source: dict[str, Any], restrictions: Restrictions | None = None) -> str:
        """Publish a dataset (before `start`, or while running: the database is shared); its id."""
        return publish(self.registry, self.did, data_source, restrictions)

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.process.stop()


def publish(registry: DatasetRegistry, did: str, data_source: dict[str, Any],
            restrictions: Restrictions | None = None) -> str:
    """Publish a dataset with one offer: Etalab 2.0, or the restricted template with `restrictions`; its id."""
    sheet = Sheet(id=f"https://data.example.org/meteo/{uuid.uuid4().hex[:8]}")
    sheet.nature.title = "Modèle numérique de terrain"
    sheet.licence.rights = "© Météo-France — Etalab 2.0"
    uid = f"{sheet.id}#offer"
    offer = (offer_template("restricted", "restricted", restrictions, uid=uid, assigner=did) if restrictions
             else offer_template("etalab-2.0", "public", uid=uid, assigner=did))
    registry.publish(sheet, [offer], data_source=data_source)
    return sheet.id


def obtain(consumer: ManagementClient, dsp_url: str, did: str, dataset_id: str, *, territory: str | None = None
           ) -> tuple[str, str]:
    """Negotiate (purpose flood-risk simulation) and start a pull transfer with the provider at `dsp_url`; the
    EDR's endpoint and access token."""
    catalog = consumer.fetch_catalog(dsp_url, did)
    offer = next(d for d in catalog["dataset"] if d["@id"] == dataset_id)["hasPolicy"][0]
    negotiation = consumer.start_negotiation(dsp_url, did, dataset_id, offer, purpose=PURPOSE, territory=territory)
    done = consumer.wait_negotiation(negotiation["id"], timeout=30)
    assert done["state"] == "FINALIZED", done
    transfer = consumer.start_transfer(done["agreement_id"])
    running = consumer.wait_transfer(transfer["id"], states=("STARTED",), timeout=30)
    assert running["state"] == "STARTED" and running["data_address"], running
    address = running["data_address"]
    token = next(p["value"] for p in address["endpointProperties"] if p["name"] == "authorization")
    return address["endpoint"], token


def consumer_client(connector: Any) -> ManagementClient:
    return ManagementClient(connector.base_url + "/management", MANAGEMENT, timeout=30, poll_interval=0.02)


def stream(client: httpx.Client, url: str, headers: dict[str, str] | None = None,
           sink: Callable[[bytes], object] | None = None) -> tuple[int, bytes, bytes]:
    """GET `url` and stream the body (raw, as the socket gives it) into `sink` (default: discard). The number of
    bytes, the first MiB and the last chunk (so the caller can check the bytes without hashing them all).
    `Accept-Encoding: identity` unless the caller says otherwise: httpx asks for gzip by default, and the data plane
    then compresses on the fly."""
    size, head, last = 0, bytearray(), b""
    with client.stream("GET", url, headers={"Accept-Encoding": "identity", **(headers or {})}) as answer:
        assert answer.status_code == 200, answer.read()[:500]
        for chunk in answer.iter_raw():
            size += len(chunk)
            if len(head) < 1024 * 1024:
                head += chunk[:1024 * 1024 - len(head)]
            last = chunk
            if sink is not None:
                sink(chunk)
    return size, bytes(head), last
