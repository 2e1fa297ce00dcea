"""Benchmarks of the data plane (issue 6).

1. Pulling a 1 GiB file through the data plane — the provider connector in its own OS process (`jnt connector
   serve`, uvicorn), the consumer streaming with httpx and discarding the bytes — side by side with a plain uvicorn
   app returning a Starlette `FileResponse` of the same file, also in its own process, pulled the same way in the
   same run (one plain pull before each connector pull). Targets: connector throughput ≥ 70 % of the plain
   server's; the provider process's resident memory grows by ≤ 50 MB during the pull (VmHWM read from /proc after
   the pull, against VmRSS before it; the peak is reset before each pull).
2. Authentication and policy check per request for small responses (target ≤ 2 ms): `Enforcer.authorise`
   in-process with a real SQLite store, EDR and an agreement with five constraints (recipient category, purpose,
   time window, use count, territory of Nantes), and the full HTTP request for a 1 KiB file under that agreement
   against the provider process, with the plain FileResponse server's latency for the same file as the baseline.

Real components throughout (verified identities, DSP negotiation, signed agreements, transfer start with an EDR,
audit log). Each benchmark checks its result: every byte count, the first MiB and the last chunk of each pull
equal the file's; every authorisation is a permit that counts one more use and is restricted to Nantes; every
small response is the file. Results: docs/benchmarks.md ("Data plane")."""

from __future__ import annotations

import gc
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from policies.templates import Restrictions  # noqa: E402
from tests.connector.control.space import Space  # noqa: E402
from tests.connector.data.provider_process import (  # noqa: E402
    NANTES,
    DataProvider,
    consumer_client,
    memory_kib,
    obtain,
    publish,
    reset_peak,
    stream,
    write_random_file,
)

GIB = 1024 ** 3
MIB = 1024 ** 2
SMALL = bytes(range(256)) * 4  # 1 KiB
PULL_ROUNDS = 3
SMALL_ROUNDS = 500

PLAIN_APP = """
import os, sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Route

root = sys.argv[1]

async def serve(request):
    return FileResponse(os.path.join(root, request.path_params["name"]))

app = Starlette(routes=[Route("/files/{name}", serve)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PlainServer:
    """uvicorn + Starlette FileResponse over a folder, in its own process: the baseline."""

    def __init__(self, root: Path) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/files/"
        self.process = subprocess.Popen([sys.executable, "-c", PLAIN_APP, str(root), str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.process.stderr.read().decode())
            try:
                httpx.get(self.base_url + "small.bin", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the plain server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class RssSampler(threading.Thread):
    """VmRSS of a process every 10 ms while a pull runs (a second view of the peak besides VmHWM)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, memory_kib(self.pid)["VmRSS"])
            self._done.wait(0.01)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("data-plane-bench")
    space = Space(root)
    provider = DataProvider(space, root)
    plain = None
    client = None
    big = provider.sources / "big.bin"
    try:
        write_random_file(big, GIB)
        (provider.sources / "small.bin").write_bytes(SMALL)
        open_dataset = provider.publish({"type": "file", "path": "big.bin"})
        restrictions = Restrictions(categories=["public"], purposes=["flood-risk-simulation"],
                                    valid_until=datetime.now(UTC) + timedelta(days=30), max_count=10_000_000,
                                    territories=[NANTES])
        small_dataset = provider.publish({"type": "file", "path": "small.bin"}, restrictions)
        provider.start()
        plain = PlainServer(provider.sources)
        consumer = space.connector("region-pdl", "public", "région")
        client = consumer_client(consumer)
        yield {"space": space, "provider": provider, "plain": plain, "client": client, "consumer": consumer,
               "big": big, "open": open_dataset, "small": small_dataset}
    finally:
        if client is not None:
            client.close()
        if plain is not None:
            plain.stop()
        provider.stop()
        space.close()
        big.unlink(missing_ok=True)


def _check_pull(result: tuple[int, bytes, bytes], head: bytes, tail: bytes) -> None:
    size, got_head, last = result
    assert size == GIB
    assert got_head == head
    assert tail.endswith(last) and last


def test_pull_1gib_connector_vs_plain_fileresponse(benchmark, world):
    provider, plain = world["provider"], world["plain"]
    endpoint, token = obtain(world["client"], provider.dsp_url, provider.did, world["open"])
    with open(world["big"], "rb") as f:
        head = f.read(MIB)
        f.seek(-MIB, os.SEEK_END)
        tail = f.read()
    auth = {"Authorization": f"Bearer {token}"}
    http = httpx.Client(timeout=120)
    # One small request each first (connections, the provider's compiled policy), then the baseline memory.
    assert http.get(endpoint, headers={**auth, "Range": "bytes=0-1023"}).status_code == 206
    assert http.get(plain.base_url + "big.bin", headers={"Range": "bytes=0-1023"}).status_code == 206
    baseline_kib = memory_kib(provider.pid)["VmRSS"]
    plain_baseline_kib = memory_kib(plain.process.pid)["VmRSS"]
    peak_reset = reset_peak(provider.pid) and reset_peak(plain.process.pid)
    plain_seconds: list[float] = []
    connector_seconds: list[float] = []
    growth_kib: list[int] = []
    sampled_kib: list[int] = []
    plain_growth_kib: list[int] = []
    loads: list[float] = []
    cpu = {"connector": 0.0, "plain": 0.0}

    def plain_pull() -> None:
        gc.collect()
        before = memory_kib(plain.process.pid)["VmRSS"]
        reset_peak(plain.process.pid)
        cpu_before = _cpu_seconds(plain.process.pid)
        started = time.perf_counter()
        result = stream(http, plain.base_url + "big.bin")
        plain_seconds.append(time.perf_counter() - started)
        cpu["plain"] += _cpu_seconds(plain.process.pid) - cpu_before
        plain_growth_kib.append(memory_kib(plain.process.pid)["VmHWM"] - before)
        _check_pull(result, head, tail)
        loads.append(os.getloadavg()[0])

    def connector_pull() -> None:
        before = memory_kib(provider.pid)["VmRSS"]
        reset_peak(provider.pid)
        sampler = RssSampler(provider.pid)
        sampler.start()
        cpu_before = _cpu_seconds(provider.pid)
        started = time.perf_counter()
        result = stream(http, endpoint, auth)
        connector_seconds.append(time.perf_counter() - started)
        cpu["connector"] += _cpu_seconds(provider.pid) - cpu_before
        sampled_kib.append(sampler.stop() - before)
        growth_kib.append(memory_kib(provider.pid)["VmHWM"] - before)
        _check_pull(result, head, tail)

    try:
        benchmark.pedantic(connector_pull, setup=plain_pull, rounds=PULL_ROUNDS, iterations=1)
    finally:
        http.close()
    after_kib = memory_kib(provider.pid)["VmRSS"]
    connector_mib_s = [GIB / MIB / s for s in connector_seconds]
    plain_mib_s = [GIB / MIB / s for s in plain_seconds]
    ratios = [c / p for c, p in zip(connector_mib_s, plain_mib_s, strict=True)]
    benchmark.extra_info.update(
        connector_mib_s_median=statistics.median(connector_mib_s), connector_mib_s_best=max(connector_mib_s),
        plain_mib_s_median=statistics.median(plain_mib_s), plain_mib_s_best=max(plain_mib_s),
        ratio_median=statistics.median(ratios), ratio_of_bests=max(connector_mib_s) / max(plain_mib_s),
        provider_rss_before_mib=baseline_kib / 1024,
        provider_peak_growth_mib_max=max(growth_kib) / 1024, provider_sampled_growth_mib_max=max(sampled_kib) / 1024,
        provider_rss_after_all_mib=after_kib / 1024, provider_growth_since_baseline_mib=(after_kib - baseline_kib) / 1024,
        plain_rss_before_mib=plain_baseline_kib / 1024, plain_peak_growth_mib_max=max(plain_growth_kib) / 1024,
        provider_cpu_s_per_gib=cpu["connector"] / PULL_ROUNDS, plain_cpu_s_per_gib=cpu["plain"] / PULL_ROUNDS,
        peak_reset=peak_reset, load_1min=statistics.mean(loads), rounds=PULL_ROUNDS)


@pytest.fixture(scope="module")
def small_world(world):
    """The consumer's EDR for the 1 KiB file under the five-constraint agreement (territory of Nantes)."""
    provider = world["provider"]
    endpoint, token = obtain(world["client"], provider.dsp_url, provider.did, world["small"], territory=NANTES)
    return endpoint, token


def test_small_response_latency_connector(benchmark, world, small_world):
    endpoint, token = small_world
    times: list[float] = []
    # identity: httpx asks for gzip by default and the data plane would compress even 1 KiB; the plain server never
    # compresses, so both are compared uncompressed.
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}) as http:
        for _ in range(20):
            assert http.get(endpoint).content == SMALL

        def request() -> None:
            started = time.perf_counter()
            answer = http.get(endpoint)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200 and answer.content == SMALL
            assert answer.headers["x-jnt-territory"]

        times.clear()
        pid = world["provider"].pid
        cpu_before = _cpu_seconds(pid)
        benchmark.pedantic(request, rounds=SMALL_ROUNDS, iterations=1)
        server_cpu = (_cpu_seconds(pid) - cpu_before) / SMALL_ROUNDS
    plain, plain_cpu = _plain_small_latency(world["plain"])
    benchmark.extra_info.update(
        p50_ms=statistics.median(times) * 1000, p95_ms=_percentile(times, 0.95) * 1000,
        server_cpu_ms_per_request=server_cpu * 1000,
        plain_fileresponse_p50_ms=statistics.median(plain) * 1000,
        plain_fileresponse_p95_ms=_percentile(plain, 0.95) * 1000,
        plain_server_cpu_ms_per_request=plain_cpu * 1000,
        overhead_p50_ms=(statistics.median(times) - statistics.median(plain)) * 1000,
        overhead_server_cpu_ms=(server_cpu - plain_cpu) * 1000,
        load_1min=os.getloadavg()[0])


def _plain_small_latency(plain: PlainServer) -> tuple[list[float], float]:
    """Latencies of the same 1 KiB file from the plain FileResponse server, and its CPU time per request."""
    times = []
    with httpx.Client(timeout=30, headers={"Accept-Encoding": "identity"}) as http:
        for _ in range(20):
            assert http.get(plain.base_url + "small.bin").content == SMALL
        cpu_before = _cpu_seconds(plain.process.pid)
        for _ in range(SMALL_ROUNDS):
            started = time.perf_counter()
            answer = http.get(plain.base_url + "small.bin")
            times.append(time.perf_counter() - started)
            assert answer.content == SMALL
        cpu = (_cpu_seconds(plain.process.pid) - cpu_before) / SMALL_ROUNDS
    return times, cpu


@pytest.fixture(scope="module")
def enforcement(tmp_path_factory):
    """An in-process provider (real SQLite store, EDR service, audit log) with a started transfer under the
    five-constraint agreement; the enforcer, the access token and the transfer's provider pid."""
    root = tmp_path_factory.mktemp("enforce-bench")
    space = Space(root)
    try:
        provider = space.connector("ddtm-44", "public", "service de l'État")
        consumer = space.connector("region-pdl", "public", "région")
        (provider.plane.sources_dir / "small.bin").write_bytes(SMALL)

        restrictions = Restrictions(categories=["public"], purposes=["flood-risk-simulation"],
                                    valid_until=datetime.now(UTC) + timedelta(days=30), max_count=10_000_000,
                                    territories=[NANTES])
        dataset = publish(provider.plane.datasets, provider.plane.did, {"type": "file", "path": "small.bin"},
                          restrictions)
        client = consumer_client(consumer)
        endpoint, token = obtain(client, provider.dsp_url, provider.plane.did, dataset, territory=NANTES)
        client.close()
        yield provider.data.enforcer, token, endpoint.rstrip("/").rsplit("/", 1)[-1]
    finally:
        space.close()


def test_enforcer_authorise(benchmark, enforcement):
    enforcer, token, transfer_pid = enforcement
    first = enforcer.authorise(token, transfer_pid)
    assert first.area is not None and "Nantes" in first.area.label
    uses = [first.uses]

    cpu: list[float] = []

    def authorise() -> None:
        started = time.thread_time()
        access = enforcer.authorise(token, transfer_pid)
        cpu.append(time.thread_time() - started)
        assert access.uses == uses[-1] + 1 and access.area is not None
        uses.append(access.uses)

    for _ in range(20):
        authorise()
    cpu.clear()
    benchmark.pedantic(authorise, rounds=SMALL_ROUNDS, iterations=1)
    stats = benchmark.stats.stats
    # The CPU time of the calling thread does not count the time the thread waited for a core: on a loaded
    # machine it is the better estimate of the cost on an idle one.
    benchmark.extra_info.update(median_ms=stats.median * 1000, mean_ms=stats.mean * 1000, min_ms=stats.min * 1000,
                                cpu_median_ms=statistics.median(cpu) * 1000, per_second=1 / stats.mean,
                                constraints=5, load_1min=os.getloadavg()[0])
