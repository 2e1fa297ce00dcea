"""Benchmark of the demo's data generation (`connector.demo_data`): planning the 100 datasets of the 40 providers
(sheets and offers) and writing all their files (GeoJSON layers, zipped grids, CSV series) for one seed. Target:
well under 10 s, ideally under 2 s, so that `make demo` stays within its 60 s. Run with `make bench`; results are in
docs/demo-data.md. A benchmark, not a timed test: nothing asserts on a duration; each round checks what it wrote."""

from __future__ import annotations

import itertools

from connector.demo_data import generate, plan


def test_plan_all_datasets(benchmark):
    plan()  # imports, registry and shared shapes loaded once, as a running demo has them
    datasets = benchmark(plan)
    assert len(datasets) == 100
    benchmark.extra_info["datasets"] = len(datasets)


def test_generate_all_files(benchmark, tmp_path):
    counter = itertools.count()

    def run():
        return generate(tmp_path / f"round-{next(counter)}", seed=0)

    result = benchmark.pedantic(run, rounds=3, iterations=1)
    assert len(result.sizes) == 99 and all(size > 0 for size in result.sizes.values())
    benchmark.extra_info["files"] = len(result.sizes)
    benchmark.extra_info["total_MB"] = round(result.total_bytes / 1e6, 2)
    benchmark.extra_info["largest_KB"] = round(max(result.sizes.values()) / 1e3)
