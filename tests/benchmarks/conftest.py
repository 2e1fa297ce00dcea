"""Benchmark helpers: after pytest-benchmark's timing table, print each benchmark's `extra_info` (decisions/s,
peak memory, sizes...), so that `make bench` shows every figure docs/benchmarks.md reports.

Benchmarks are excluded from `make test` (pyproject `norecursedirs`); run them with `make bench`."""

from __future__ import annotations

import pytest


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config) -> None:
    session = getattr(config, "_benchmarksession", None)
    benchmarks = getattr(session, "benchmarks", None) or []
    rows = [(b.name, b.extra_info) for b in benchmarks if getattr(b, "extra_info", None)]
    if not rows:
        return
    terminalreporter.write_sep("-", "benchmark figures (extra_info)")
    for name, info in rows:
        details = ", ".join(f"{key}={_fmt(value)}" for key, value in info.items())
        terminalreporter.write_line(f"{name}: {details}")
