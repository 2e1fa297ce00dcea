"""The crawler against fake DSP connectors on loopback, on SQLite and PostgreSQL: several connectors crawled
(with paging) and searched; an incremental re-crawl that changes nothing, then picks up an edit and a removal; a
connector that is down, slow, answers an error, invalid JSON, a schema-invalid catalogue or another participant's
catalogue — recorded in its status, the crawl going on, its last good data kept and marked stale, retried after a
backoff; one unparsable dataset keeping its last good version; a fresh token for the connector's DID on every
page."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from catalog.dsp_catalog import CatalogEntry
from catalog.federated import (
    Backoff,
    ConnectorRef,
    Crawler,
    CrawlSettings,
    StaticSource,
    parse_query,
)

from .conftest import CATEGORIES, corpus, open_offer, sheet
from .fake_dsp import FakeDspServer, closed_port_url


def serve_corpus(server: FakeDspServer, per_page: int = 2) -> StaticSource:
    refs = []
    for name, entries in corpus().items():
        connector = server.add(name, entries, per_page=per_page)
        refs.append(ConnectorRef(connector.did, connector.address, name=name.upper(), category=CATEGORIES[name]))
    return StaticSource(refs)


def titles(index, **params) -> list[str]:
    return sorted(r.values["title"] for r in index.search(parse_query(params, index.registry)).records)


def test_crawl_several_connectors_then_search(index, fake_server):
    source = serve_corpus(fake_server)
    report = Crawler(index).crawl_sync(source)
    assert (report.ok, report.failed) == (3, 0)
    assert report.to_json()["datasets"]["added"] == 6
    assert report.outcome(fake_server.connectors["ddtm44"].did).pages == 2  # 3 datasets, 2 per page
    assert index.count() == 6
    statuses = {s.did: s for s in index.connector_statuses()}
    ddtm = statuses["did:web:ddtm44.example"]
    assert ddtm.state == "ok" and ddtm.dataset_count == 3 and ddtm.pages == 2 and ddtm.latency_ms is not None
    assert ddtm.catalog_title == "Catalogue de ddtm44" and not ddtm.stale

    hta = "Réseau électrique HTA — Nantes Métropole"
    ppri = "Zonage réglementaire PPRI — Inondation Loire aval"
    assert titles(index, q="inondation") == [ppri]
    assert titles(index, q="INONDATIONS") == [ppri]
    assert titles(index, q="réseau électrique") == titles(index, q="reseau electrique") == [hta]
    assert titles(index, q="crue") == ["Crues de la Loire — hauteurs d'eau à Nantes", "Repères de crues historiques"]
    assert titles(index, q="Enedis") == [hta]  # the publisher's name is searchable
    assert titles(index, geoconcept="GC039") == titles(index, geoconcept="https://w3id.org/jnt/geoconcept/GC039")
    assert titles(index, usecase="flood-risk", category="private") == [hta]
    assert titles(index, territory="44109") == [
        "Crues de la Loire — hauteurs d'eau à Nantes", "Orthophotographie BD ORTHO", hta]
    assert "Repères de crues historiques" in titles(index, bbox="-1.64,47.182,-1.478,47.297")  # Nantes' bbox
    assert titles(index, licence="etalab-2.0", access="PUBLIC", max_resolution="1") == [
        "MNT RGE ALTI 1 m — Angers", "Orthophotographie BD ORTHO"]

    detail = index.get("https://data.example.fr/enedis/hta")
    assert detail.provider.category == "private" and detail.provider.name == "ENEDIS"
    assert detail.parsed.offers[0].policy.uid == "urn:offer:hta:restricted"


def test_recrawl_is_incremental(index, fake_server):
    source = serve_corpus(fake_server)
    crawler = Crawler(index)
    crawler.crawl_sync(source)
    generation = index.generation()

    again = crawler.crawl_sync(source)
    assert again.to_json()["datasets"] == {"added": 0, "updated": 0, "removed": 0, "unchanged": 6}
    assert sum(o.parsed for o in again.outcomes) == 0  # unchanged datasets are not even parsed
    assert index.generation() == generation  # nothing written: search caches stay valid

    ddtm = fake_server.connectors["ddtm44"]
    entries = list(ddtm.entries)
    edited = entries[0].sheet.model_copy(deep=True)
    edited.nature.title = "Crues de la Loire — hauteurs d'eau à Nantes (révisé)"
    ddtm.set_entries([CatalogEntry(edited, entries[0].offers), entries[1]])  # edit one, remove the third
    report = crawler.crawl_sync(source)
    outcome = report.outcome(ddtm.did)
    assert (outcome.result.added, outcome.result.updated, outcome.result.removed, outcome.result.unchanged) == \
        (0, 1, 1, 1)
    assert outcome.parsed == 1
    assert titles(index, q="révisé") == ["Crues de la Loire — hauteurs d'eau à Nantes (révisé)"]
    assert titles(index, q="repères") == []
    assert index.connector_status(ddtm.did).dataset_count == 2


@pytest.mark.parametrize("mode,code", [
    ("invalid-json", "invalid-json"),
    ("schema-invalid", "invalid-catalog"),
    ("http-500", "http-status"),
    ("wrong-participant", "participant-mismatch"),
    ("slow", "timeout"),
    ("down", "unreachable"),
])
def test_failing_connector_keeps_stale_data(index, fake_server, mode, code):
    source = serve_corpus(fake_server)
    moments = iter(datetime(2026, 11, 29, 10, 0, tzinfo=UTC) + timedelta(seconds=s) for s in itertools.count(0, 1))
    clock = lambda: next(moments)  # noqa: E731 - one tick per reading
    settings = CrawlSettings(timeout=0.5, backoff=Backoff(base=600, maximum=3600))
    crawler = Crawler(index, settings=settings, clock=clock)
    crawler.crawl_sync(source)
    ign = fake_server.connectors["ign"]
    good = index.connector_status(ign.did)
    if mode == "down":
        refs = [replace(r, address=closed_port_url()) if r.did == ign.did else r for r in source.refs]
        source = StaticSource(refs)
    else:
        ign.mode = mode
        ign.delay = 2.0 if mode == "slow" else 0.0

    report = crawler.crawl_sync(source, force=True)
    assert (report.ok, report.failed) == (2, 1)
    failed = report.outcome(ign.did)
    assert not failed.ok and failed.error.code == code
    status = index.connector_status(ign.did)
    assert status.state == "stale" and status.stale and status.consecutive_failures == 1
    assert status.last_error_code == code and status.last_error["message"]["fr"]
    assert status.last_success == good.last_success and status.dataset_count == 2
    assert status.next_attempt - status.last_attempt == timedelta(seconds=600)
    # The last good data stays searchable, marked stale; it can be left out.
    record = index.get("https://data.example.fr/ign/mnt")
    assert record is not None and record.provider.stale
    assert "MNT RGE ALTI 1 m — Angers" not in titles(index, include_stale="false")
    assert len(titles(index)) == 6

    skipped = crawler.crawl_sync(source)  # within the backoff: not retried
    assert skipped.outcome(ign.did).skipped and skipped.ok == 2

    ign.mode, ign.delay = "ok", 0.0
    if mode == "down":
        source = serve_corpus_refs(fake_server)
    recovered = crawler.crawl_sync(source, force=True)
    assert recovered.outcome(ign.did).ok
    status = index.connector_status(ign.did)
    assert status.state == "ok" and not status.stale and status.consecutive_failures == 0
    assert status.next_attempt is None and status.last_error is None


def serve_corpus_refs(server: FakeDspServer) -> StaticSource:
    return StaticSource([ConnectorRef(c.did, c.address, name=name.upper(), category=CATEGORIES[name])
                         for name, c in server.connectors.items()])


def test_backoff_grows_exponentially(sqlite_index, fake_server):
    source = serve_corpus(fake_server)
    fake_server.connectors["enedis"].mode = "http-500"
    now = [datetime(2026, 11, 29, 10, 0, tzinfo=UTC)]
    crawler = Crawler(sqlite_index, clock=lambda: now[0],
                      settings=CrawlSettings(backoff=Backoff(base=10, factor=2, maximum=35)))
    did = fake_server.connectors["enedis"].did
    delays = []
    for _ in range(4):
        report = crawler.crawl_sync(source, force=True)
        assert report.outcome(did).error.code == "http-status"
        assert "panne simulée" in report.outcome(did).error.fr
        status = sqlite_index.connector_status(did)
        delays.append((status.next_attempt - status.last_attempt).total_seconds())
    assert delays == [10, 20, 35, 35]
    assert sqlite_index.connector_status(did).state == "failing"  # never succeeded: nothing stale to show
    now[0] += timedelta(seconds=36)
    assert not crawler.crawl_sync(source).outcome(did).skipped  # due again once the delay is over


def test_every_page_carries_a_fresh_token_for_the_connector(sqlite_index, fake_server):
    source = serve_corpus(fake_server, per_page=1)
    counter = itertools.count()
    issued: list[str] = []

    def token_for(audience: str) -> str:
        issued.append(audience)
        return f"token-{audience}-{next(counter)}"

    Crawler(sqlite_index, token_for=token_for).crawl_sync(source)
    ddtm = fake_server.connectors["ddtm44"]
    assert ddtm.requests == 3  # one page per dataset
    assert all(a.startswith(f"Bearer token-{ddtm.did}-") for a in ddtm.authorizations)
    assert len(set(ddtm.authorizations)) == 3
    assert sorted(set(issued)) == sorted(c.did for c in fake_server.connectors.values())


def test_a_dataset_that_no_longer_parses_keeps_its_last_good_version(sqlite_index, fake_server):
    source = serve_corpus(fake_server, per_page=10)
    crawler = Crawler(sqlite_index)
    crawler.crawl_sync(source)
    ddtm = fake_server.connectors["ddtm44"]

    def break_second(doc):
        doc["dataset"][1]["dct:modified"] = {"@value": "pas une date", "@type": "xsd:date"}
        doc["dataset"][2]["dct:title"] = {"@value": "Repères de crues (mis à jour)", "@language": "fr"}
        return doc

    ddtm.mutate = break_second
    report = crawler.crawl_sync(source)
    outcome = report.outcome(ddtm.did)
    assert outcome.ok and outcome.invalid == 1 and outcome.result.updated == 1 and outcome.result.removed == 0
    problems = sqlite_index.connector_status(ddtm.did).problems
    assert problems[0]["path"].startswith("dataset[1]") and problems[0]["page"] == 1
    assert titles(sqlite_index, q="PPRI") == ["Zonage réglementaire PPRI — Inondation Loire aval"]
    assert titles(sqlite_index, q="repères") == ["Repères de crues (mis à jour)"]


def test_paging_links_are_checked(sqlite_index, fake_server):
    source = serve_corpus(fake_server, per_page=1)
    fake_server.connectors["ign"].mode = "bad-link"
    report = Crawler(sqlite_index, settings=CrawlSettings(max_pages=2)).crawl_sync(source)
    assert report.outcome(fake_server.connectors["ign"].did).error.code == "bad-link"
    assert report.outcome(fake_server.connectors["ddtm44"].did).error.code == "too-many-pages"  # 3 pages
    assert report.outcome(fake_server.connectors["enedis"].did).ok


def test_connectors_leave_with_their_datasets(sqlite_index, fake_server):
    source = serve_corpus(fake_server)
    crawler = Crawler(sqlite_index)
    crawler.crawl_sync(source)
    remaining = StaticSource([r for r in source.refs if r.did != "did:web:enedis.example"])
    crawler.crawl_sync(remaining)
    assert sqlite_index.connector_status("did:web:enedis.example") is None
    assert sqlite_index.count() == 5


def test_new_dataset_with_same_iri_at_two_connectors(sqlite_index, fake_server):
    shared = CatalogEntry(sheet("shared/bati", "Bâtiments BD TOPO", "GC051", bbox=(-1.6, 47.2, -1.5, 47.3)),
                          [open_offer("bati")])
    a = fake_server.add("a", [shared])
    b = fake_server.add("b", [shared])
    Crawler(sqlite_index).crawl_sync(StaticSource([ConnectorRef(a.did, a.address), ConnectorRef(b.did, b.address)]))
    records = sqlite_index.records_for("https://data.example.fr/shared/bati")
    assert len(records) == 2 and len({r.record_id for r in records}) == 2
