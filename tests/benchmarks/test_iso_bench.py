"""Benchmarks of the ISO 19139 import (`catalog.iso19139`): records per second importing the six sample records
from local files (target >= 200 records/s on one core), the same from records already parsed (the CSW harvest
path), and lxml parsing alone for comparison. Run with `make bench`; results are in docs/benchmarks.md.

Benchmarks, not timed tests: nothing asserts on a duration, but every round checks the import's answer (the two
PPRN records recognised as GC039 with their Licence Ouverte, BD TOPO public), so a broken importer fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from catalog.iso19139 import import_iso, import_iso_element, parse_record
from catalog.vocabularies import LICENCES, access_right_iri

GC039 = "https://w3id.org/jnt/geoconcept/GC039"


@pytest.fixture(scope="module")
def sample_files(shared_dir) -> list[Path]:
    files = sorted((shared_dir / "samples" / "iso19139").glob("*.xml"))
    assert len(files) == 6
    return files


def _check(results) -> None:
    by_name = {Path(r.source).name if r.source else str(i): r for i, r in enumerate(results)}
    assert len(results) == 6
    for result in results:
        title = result.sheet.nature.title or ""
        if "PPRN" in title:
            assert result.sheet.nature.geoconcept == GC039, title
            assert result.sheet.licence.licence == LICENCES["etalab-2.0"], title
        if title == "BD TOPO®":
            assert result.sheet.access.access_rights == access_right_iri("PUBLIC")
    assert by_name


def _rate(benchmark, per_call: int) -> float:
    stats = getattr(benchmark, "stats", None)
    mean = stats.stats.mean if stats is not None else 0.0
    rate = per_call / mean if mean else 0.0
    benchmark.extra_info["records_per_s"] = round(rate, 1)
    if mean:
        benchmark.extra_info["ms_per_record"] = round(mean * 1e3 / per_call, 3)
    return rate


def test_import_six_samples_from_files(benchmark, sample_files):
    """Target: >= 200 records/s from local files (read, parse, map, recognise the géo-concept, completeness)."""
    def run():
        return [import_iso(path) for path in sample_files]

    _check(run())  # warm: the registry is loaded once
    results = benchmark(run)
    _check(results)
    benchmark.extra_info["target_records_per_s"] = 200
    benchmark.extra_info["bytes_per_round"] = sum(p.stat().st_size for p in sample_files)
    _rate(benchmark, len(sample_files))


def test_import_parsed_records(benchmark, sample_files):
    """The CSW harvest path: records arrive parsed in a GetRecords page; only the mapping is timed."""
    elements = [parse_record(p.read_bytes()) for p in sample_files]
    results = benchmark(lambda: [import_iso_element(e) for e in elements])
    _check(results)
    _rate(benchmark, len(elements))


def test_parse_only(benchmark, sample_files):
    """For comparison: lxml parsing of the six files, no mapping."""
    datas = [p.read_bytes() for p in sample_files]
    roots = benchmark(lambda: [etree.fromstring(d) for d in datas])
    assert all(r.tag.endswith("MD_Metadata") for r in roots)
    _rate(benchmark, len(datas))
