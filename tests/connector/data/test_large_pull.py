"""Issue 6 acceptance point "pull a 200 MB file with flat memory": the provider connector runs in its own OS process
(`jnt connector serve`), the consumer negotiates, starts the transfer and streams the file to disk with the EDR it
received. The provider's peak resident memory during the pull (VmHWM, reset just before) stays within a few MB of
what it was before — the file is never held in memory — and the bytes on disk are the file's (SHA-256)."""

from __future__ import annotations

import hashlib
import time

import httpx
import pytest

from ..control.space import Space
from .provider_process import (
    DataProvider,
    consumer_client,
    file_sha256,
    memory_kib,
    obtain,
    reset_peak,
    stream,
    write_random_file,
)

SIZE = 200 * 1000 * 1000  # 200 MB
MAX_GROWTH_MIB = 60  # generous: the data plane reads 256 KiB at a time; the whole file would be 191 MiB


@pytest.fixture
def world(tmp_path):
    space = Space(tmp_path / "space")
    provider = DataProvider(space, tmp_path)
    try:
        yield space, provider
    finally:
        provider.stop()
        space.close()
        for big in (*provider.sources.glob("*.bin"), tmp_path / "received.bin"):  # 400 MB: not left in /tmp
            big.unlink(missing_ok=True)


def test_pull_200_mb_with_flat_provider_memory(world, tmp_path):
    space, provider = world
    source = provider.sources / "mnt-loire.bin"
    write_random_file(source, SIZE)
    expected = file_sha256(source)
    dataset_id = provider.publish({"type": "file", "path": source.name})
    provider.start()
    consumer = space.connector("region-pdl", "public", "région")
    with consumer_client(consumer) as client:
        endpoint, token = obtain(client, provider.dsp_url, provider.did, dataset_id)
    auth = {"Authorization": f"Bearer {token}"}
    target = tmp_path / "received.bin"
    digest = hashlib.sha256()
    with httpx.Client(timeout=60) as http:
        # A first small read warms the provider up (compiled policy, pools); memory is measured from here.
        first = http.get(endpoint, headers={**auth, "Range": "bytes=0-1023"})
        assert first.status_code == 206, first.text
        before = memory_kib(provider.pid)["VmRSS"]
        peak_reset = reset_peak(provider.pid)
        started = time.perf_counter()
        with open(target, "wb") as out:
            def sink(chunk: bytes) -> None:
                out.write(chunk)
                digest.update(chunk)

            size, _, _ = stream(http, endpoint, auth, sink)
        seconds = time.perf_counter() - started
    after = memory_kib(provider.pid)
    growth_mib = ((after["VmHWM"] if peak_reset else after["VmRSS"]) - before) / 1024
    assert size == SIZE == target.stat().st_size
    assert digest.hexdigest() == expected == file_sha256(target)
    assert growth_mib < MAX_GROWTH_MIB, f"provider memory grew by {growth_mib:.1f} MiB during the pull"
    print(f"200 MB in {seconds:.2f} s ({SIZE / seconds / 1e6:.0f} MB/s); provider RSS {before / 1024:.0f} MiB, "
          f"peak growth {growth_mib:.1f} MiB")
