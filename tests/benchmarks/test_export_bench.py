"""Benchmarks of the DCAT-AP export and the SPARQL endpoint of the federated catalogue (`catalog.federated.export`,
`catalog.federated.sparql`) over an index of 10,000 datasets (the 40 × 250 complete PPRI sheets of
`federated_space`, written directly into a SQLite index as in `test_federated_bench`): the whole export in Turtle,
JSON-LD and N-Triples (time, size, growth of the peak RSS: the export is streamed), the SPARQL graph's build
(time, triples, peak RSS) and two queries on it. No target was set (issue 7); the figures are in
docs/benchmarks.md ("DCAT-AP export and SPARQL"). Each benchmark checks its result: 10,000 datasets and 10,000
records written, the query answers."""

from __future__ import annotations

import resource
import time

import pytest

from catalog.federated.export import (
    CatalogueDescription,
    CatalogueExport,
    jsonld_stream,
    ntriples_stream,
    turtle_stream,
)
from catalog.federated.sparql import CatalogueGraph

from . import test_federated_bench as federated

space = federated.space
parsed_datasets = federated.parsed_datasets
DESCRIPTION = CatalogueDescription(base_url="https://catalogue.jnt.example", publisher_did="did:web:catalogue.example")
SIZE = 10_000


@pytest.fixture(scope="module")
def index(parsed_datasets, tmp_path_factory):
    index = federated._build_index(tmp_path_factory.mktemp("export") / "catalog.sqlite", parsed_datasets, SIZE)
    assert index.count() == SIZE
    yield index
    index.close()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("name,stream,dataset_marker", [
    ("turtle", turtle_stream, " a dcat:Dataset"),
    ("jsonld", jsonld_stream, '"@type": "dcat:Dataset"'),
    ("ntriples", ntriples_stream, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                                  "<http://www.w3.org/ns/dcat#Dataset>"),
])
def test_export_10000(benchmark, index, name, stream, dataset_marker):
    figures = {}

    def run() -> None:
        before = _peak_rss_mib()
        export = CatalogueExport(index, DESCRIPTION)
        started = time.perf_counter()
        size = datasets = 0
        for piece in stream(export.chunks()):
            size += len(piece.encode("utf-8"))
            datasets += piece.count(dataset_marker)
        figures.update(seconds=round(time.perf_counter() - started, 1), mib=round(size / 2**20, 1),
                       datasets=datasets, records=export.summary.records,
                       peak_rss_growth_mib=round(_peak_rss_mib() - before, 1))

    benchmark.pedantic(run, rounds=1, iterations=1)
    assert figures["datasets"] == SIZE and figures["records"] == SIZE
    benchmark.extra_info.update(format=name, datasets_per_s=round(SIZE / figures["seconds"]), **figures)


def test_sparql_graph_and_queries_10000(benchmark, index):
    graph = CatalogueGraph(index, DESCRIPTION)
    before = _peak_rss_mib()
    figures = {}

    def build() -> None:
        started = time.perf_counter()
        figures["triples"] = len(graph.current())
        figures["build_s"] = round(time.perf_counter() - started, 1)

    benchmark.pedantic(build, rounds=1, iterations=1)
    started = time.perf_counter()
    count = graph.query("SELECT (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset ; dct:title ?t }")
    count_ms = (time.perf_counter() - started) * 1000
    assert int(next(iter(count.bindings))[next(iter(count.vars))]) == SIZE
    started = time.perf_counter()
    rows = graph.query("SELECT ?d ?title WHERE { ?d dct:subject <https://w3id.org/jnt/geoconcept/GC039> ; "
                       "dct:title ?title ; dct:license ?licence } ORDER BY ?title LIMIT 20")
    selective_ms = (time.perf_counter() - started) * 1000
    assert len(rows.bindings) == 20
    assert graph.current() is graph.current() and graph.builds == 1  # unchanged index: no rebuild
    benchmark.extra_info.update(peak_rss_growth_mib=round(_peak_rss_mib() - before, 1),
                                count_all_ms=round(count_ms, 1), geoconcept_query_ms=round(selective_ms, 1),
                                **figures)
