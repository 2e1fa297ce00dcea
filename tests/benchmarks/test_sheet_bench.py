"""Benchmarks of characterisation sheets (`catalog.dcat`, `catalog.shacl`): SHACL validation of one full sheet with the
shapes graph warm (target: at most 200 ms), loading the shapes, and the sheet ↔ graph ↔ Turtle / JSON-LD mapping.
Run with `make bench`; results are in docs/benchmarks.md ("Sheets").

These are benchmarks, not timed tests: nothing asserts on a duration. Every benchmark checks its result (the full
sheet conforms, the round trip gives the same sheet back…), so a benchmark of broken code fails.

The reference sheet is tests/catalog/data/full-sheet.json: a PPRI zoning dataset with every field of the ten
criteria filled, three distributions (one with a WFS service), three attributions, two conformity tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog import shacl
from catalog.dcat import (
    build_graph,
    parse_turtle,
    sheet_from_graph,
    sheet_from_jsonld,
    sheet_from_turtle,
    sheet_to_graph,
    sheet_to_jsonld,
    sheet_to_turtle,
)
from catalog.shacl import validate_sheet, warm_up
from catalog.sheet import Sheet

FULL = Path(__file__).resolve().parents[1] / "catalog" / "data" / "full-sheet.json"


def _record_ms(benchmark, **extra) -> float:
    stats = getattr(benchmark, "stats", None)
    mean = stats.stats.mean if stats is not None else 0.0
    benchmark.extra_info["mean_ms"] = round(mean * 1e3, 3)
    if stats is not None:
        benchmark.extra_info["median_ms"] = round(stats.stats.median * 1e3, 3)
    benchmark.extra_info.update(extra)
    return mean * 1e3


@pytest.fixture(scope="module")
def full() -> Sheet:
    return Sheet.model_validate_json(FULL.read_text(encoding="utf-8"))


# --- SHACL validation --------------------------------------------------------------------------------------------


def test_validate_full_sheet_warm(benchmark, full):
    """The reference measurement: official DCAT-AP 3.0.0 + JNT shapes, shapes already parsed (an app warms up)."""
    warm_up()
    validate_sheet(full)
    report = benchmark(validate_sheet, full)
    assert report.conforms and report.problems == [], shacl.to_text(report)
    graph, _index = build_graph(full)
    _record_ms(benchmark, target_ms=200, sheet_triples=len(graph), data_graph_triples=len(shacl._data_graph(graph)))


def test_validate_empty_sheet_warm(benchmark):
    """For information: a sheet with nothing filled (21 violations to map back to fields and word)."""
    warm_up()
    empty = Sheet(id="https://data.example.org/ds/empty")
    report = benchmark(validate_sheet, empty)
    assert len(report.violations) == 21
    _record_ms(benchmark, violations=len(report.violations))


def test_load_shapes_cold(benchmark):
    """For information: parsing both shapes files and the vocabularies, then pySHACL's shapes harvest (once per
    process, at start-up)."""

    def cold() -> None:
        shacl._load_shapes.cache_clear()
        shacl._vocabularies.cache_clear()
        warm_up()

    benchmark.pedantic(cold, rounds=5, warmup_rounds=1)
    shapes = shacl._load_shapes("all")
    assert len(shapes.official) > 300 and len(shapes.shapes_graph.shapes) > 300  # official shape nodes, harvested
    _record_ms(benchmark, shapes_triples=len(shapes.graph), vocabulary_triples=len(shacl._vocabularies()))


# --- mapping -----------------------------------------------------------------------------------------------------


def test_sheet_to_graph(benchmark, full):
    graph = benchmark(sheet_to_graph, full)
    assert sheet_from_graph(graph) == full
    _record_ms(benchmark, triples=len(graph))


def test_graph_to_sheet(benchmark, full):
    graph = sheet_to_graph(full)
    sheet = benchmark(sheet_from_graph, graph)
    assert sheet == full
    _record_ms(benchmark)


def test_sheet_to_turtle(benchmark, full):
    text = benchmark(sheet_to_turtle, full)
    assert sheet_from_turtle(text) == full
    _record_ms(benchmark, turtle_bytes=len(text.encode()))


def test_turtle_to_sheet(benchmark, full):
    text = sheet_to_turtle(full)
    sheet = benchmark(sheet_from_turtle, text)
    assert sheet == full
    _record_ms(benchmark)


def test_round_trip_sheet_graph_turtle_sheet(benchmark, full):
    """sheet → graph → Turtle → graph → sheet, the whole way."""

    def round_trip() -> Sheet:
        return sheet_from_graph(parse_turtle(sheet_to_graph(full).serialize(format="turtle")))

    assert benchmark(round_trip) == full
    _record_ms(benchmark)


def test_sheet_to_jsonld(benchmark, full):
    sheet_to_jsonld(full)  # first call: the shipped context is read and cached by pyld
    doc = benchmark(sheet_to_jsonld, full)
    assert sheet_from_jsonld(doc) == full
    _record_ms(benchmark, jsonld_bytes=len(json.dumps(doc, ensure_ascii=False).encode()))


def test_jsonld_to_sheet(benchmark, full):
    doc = sheet_to_jsonld(full)
    assert benchmark(sheet_from_jsonld, doc) == full
    _record_ms(benchmark)
