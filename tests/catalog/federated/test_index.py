"""The index without HTTP: the parsed form round-trips exactly (offers included), the schema is versioned and
re-opening is a no-op, writes are incremental by digest, the search cache follows the index generation, the
French text rules (accents, case, plurals as prefixes), and the connector lists (directory, JSON, CSV)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from catalog.dsp_catalog import CatalogInfo, DspService, parse_catalog, render_catalog
from catalog.federated import (
    ConnectorRef,
    FederatedIndex,
    SourceError,
    index_entry,
    parse_connector_list,
    parse_directory,
    parse_query,
    parsed_from_json,
    parsed_to_json,
)
from catalog.federated import text as fulltext
from catalog.federated.schema import SCHEMA_VERSION, schema_version
from catalog.sheet import Agent

from .conftest import corpus

DID = "did:web:ddtm44.example"
INFO = CatalogInfo(id="https://ddtm44.example/catalog", participant_id=DID,
                   service=DspService(id=DID + "#dsp", endpoint_url="https://ddtm44.example/dsp"),
                   title="DDTM 44", publisher=Agent(name="DDTM 44"))


def parsed_corpus():
    entries = [e for group in corpus().values() for e in group]
    return parse_catalog(render_catalog(INFO, entries)).datasets


def test_parsed_form_round_trips():
    for dataset in parsed_corpus():
        again = parsed_from_json(json.loads(json.dumps(parsed_to_json(dataset))))
        assert again == dataset
        assert again.offers[0].policy == dataset.offers[0].policy


def test_schema_is_versioned_and_writes_are_incremental(index):
    with index.engine.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
    FederatedIndex(index.engine).close()  # opening again migrates nothing
    index.sync_connectors([ConnectorRef(DID, "https://ddtm44.example/dsp", "DDTM 44", "public")], source="static")
    entries = [index_entry(d, registry=index.registry) for d in parsed_corpus()]
    assert index.apply(DID, entries).added == 6
    generation = index.generation()
    same = index.apply(DID, entries)
    assert (same.added, same.updated, same.removed, same.unchanged) == (0, 0, 0, 6)
    assert index.generation() == generation
    query = parse_query({"q": "crue"}, index.registry)
    first = index.search(query)
    assert index.search(query).records[0].record_id == first.records[0].record_id
    assert index.apply(DID, entries[:4]).removed == 2
    assert index.generation() != generation and index.count() == 4
    if index.sqlite:  # the side tables follow the datasets
        with index.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM fc_fts")).scalar_one() == 4
            assert connection.execute(text("SELECT count(*) FROM fc_bbox")).scalar_one() == 4
    assert [r.dataset_id for r in index.iter_records(batch=3)] == sorted(
        (e.dataset_id for e in entries[:4]), key=lambda i: [e.dataset_id for e in entries].index(i))
    assert index.remove_connector(DID) and index.count() == 0


@pytest.mark.parametrize("query,terms", [
    ("Inondations", ["inondation"]),
    ("crues de la Loire", ["crue", "de", "la", "loire"]),
    ("Réseau électrique", ["reseau", "electrique"]),
    ("l'eau, les EAUX", ["l", "eau", "les"]),
    ("PPRI 44109", ["ppri", "44109"]),
])
def test_query_terms(query, terms):
    assert fulltext.query_terms(query) == terms


def test_directory_and_connector_lists():
    directory = {"authority": "did:web:authority.example", "participants": [
        {"did": "did:web:ign.example", "name": "IGN", "category": "public", "kind": "epa",
         "endpoint": "https://ign.example/api/dsp/2025-1/"},
        {"did": "did:web:catalogue.example", "name": "Catalogue", "category": "public", "kind": "x",
         "endpoint": None},
        {"did": "did:web:enedis.example", "name": "Enedis", "category": "private", "kind": "network-operator"},
    ]}
    refs = parse_directory(directory, exclude={"did:web:catalogue.example"})
    assert [(r.did, r.address, r.category) for r in refs] == [
        ("did:web:ign.example", "https://ign.example/api/dsp/2025-1", "public"),
        ("did:web:enedis.example", "", "private")]
    listed = parse_connector_list(json.dumps({"connectors": [
        {"did": "did:web:a.example", "address": "https://a.example/dsp", "name": "A", "category": "private"}]}))
    assert listed == [ConnectorRef("did:web:a.example", "https://a.example/dsp", "A", "private")]
    csv_refs = parse_connector_list("did,address,name\ndid:web:b.example,http://127.0.0.1:9/dsp,B\n", format="csv")
    assert csv_refs[0].address == "http://127.0.0.1:9/dsp"
    with pytest.raises(SourceError, match="connector #2: missing or invalid `address`"):
        parse_connector_list(json.dumps([{"did": "did:web:a.example", "address": "https://a"},
                                         {"did": "did:web:b.example", "address": "ftp://b"}]))
    with pytest.raises(SourceError, match="duplicate DID"):
        parse_connector_list("did,address\ndid:web:a,http://a/dsp\ndid:web:a,http://b/dsp\n", format="csv")
