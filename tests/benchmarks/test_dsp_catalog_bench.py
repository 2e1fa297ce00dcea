"""Benchmarks of the DSP Catalog Protocol documents (`catalog.dsp_render`, `catalog.dsp_paging`,
`catalog.dsp_parse`): rendering one page of 100 datasets out of a 10,000-dataset catalogue (target: at most
100 ms) and parsing a 250-dataset catalogue as the federated catalogue's crawler receives it (target: at most
100 ms). Run with `make bench`; results are in docs/benchmarks.md ("DSP catalog").

These are benchmarks, not timed tests: nothing asserts on a duration. Every benchmark checks its result (the page
holds the right 100 datasets and validates against the DSP schema, the parse finds every dataset through the fast
path with no policy parsed…), so a benchmark of broken code fails.

The catalogue: 10,000 characterisation sheets of the Loire estuary built once per module, each one distinct (own
IRI, title, géo-concept among the 74 of the flood-risk registry, producer among the demo organisations, bbox
shifted), with full C1–C10 content like a published sheet: two thirds open (Etalab offer, one GeoPackage
distribution), one third restricted (public bodies, flood-risk purpose, one year, no redistribution, deletion at the
end; two offers, one of them limited to Nantes), and their completeness computed at render time."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from catalog.dsp_catalog import (
    CatalogEntry,
    CatalogInfo,
    DspService,
    PageRequest,
    parse_catalog,
    parse_link_header,
    render_catalog,
    render_catalog_page,
)
from catalog.geoconcepts import load_registry
from catalog.sheet import Agent, Sheet
from policies.templates import Restrictions, offer_template

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "tests" / "catalog" / "data" / "full-sheet.json"
ORGANISATIONS = ROOT.parent / "shared" / "data" / "demo-organisations.csv"
DSP_SPEC = ROOT.parent / "shared" / "spec" / "dsp-2025-1"
PROVIDER = "did:web:connecteur.geopal.example.fr"
URL = "https://connecteur.geopal.example.fr/api/dsp/2025-1/catalog/request"
SERVICE = DspService(id=PROVIDER + "#dsp", endpoint_url="https://connecteur.geopal.example.fr/api/dsp/2025-1")
INFO = CatalogInfo(id="https://connecteur.geopal.example.fr/catalog", participant_id=PROVIDER, service=SERVICE,
                   title="Catalogue de l'estuaire de la Loire", publisher=Agent(name="GéoPal"))
ADMS = "http://purl.org/adms/publishertype/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
CATALOGUE_SIZE = 10_000
PARSE_SIZE = 250


def _record_ms(benchmark, **extra) -> float:
    stats = getattr(benchmark, "stats", None)
    mean = stats.stats.mean if stats is not None else 0.0
    benchmark.extra_info["mean_ms"] = round(mean * 1e3, 3)
    if stats is not None:
        benchmark.extra_info["median_ms"] = round(stats.stats.median * 1e3, 3)
    benchmark.extra_info.update(extra)
    return mean * 1e3


def _organisations() -> list[dict[str, str]]:
    with ORGANISATIONS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def catalogue() -> list[CatalogEntry]:
    """10,000 distinct published datasets (built once: about 2 s)."""
    template = json.loads(FULL.read_text(encoding="utf-8"))
    template["access"]["distributions"] = template["access"]["distributions"][:1]
    concepts = list(load_registry().concepts.values())
    organisations = _organisations()
    open_offer = offer_template("etalab-2.0", "public", uid="urn:x", assigner=PROVIDER)
    restricted = Restrictions(categories=["public"], purposes=["flood-risk-simulation"], duration="P1Y",
                              no_distribute=True, delete_at_end=True)
    restricted_offer = offer_template("restricted", "restricted", restricted, uid="urn:x", assigner=PROVIDER)
    nantes_offer = offer_template("restricted", "restricted", replace(restricted, territories=["44109"]),
                                  uid="urn:x", assigner=PROVIDER)
    entries = []
    for i in range(CATALOGUE_SIZE):
        concept = concepts[i % len(concepts)]
        org = organisations[i % len(organisations)]
        data = json.loads(json.dumps(template))
        data["id"] = f"https://data.geopal.example.fr/dataset/{org['id']}/{concept.id.lower()}-{i:05d}"
        nature = data["nature"]
        nature["title"] = f"{concept.label_fr} — {org['name']} (lot {i})"
        nature["geoconcept"] = concept.iri()
        nature["role"] = concept.role_iri
        nature["inspire_themes"] = list(concept.theme_iris)
        nature["keywords"] = [concept.label_fr.split()[0].lower(), "inondation", f"lot-{i % 50}"]
        nature["identifier"] = f"urn:jnt:{org['id']}:{i}"
        data["provenance"]["publisher"] = {"name": org["name"], "iri": f"https://{org['id']}.example.fr/"}
        data["provenance"]["publisher_type"] = ADMS + ("Company" if org["category"] == "private" else
                                                       "LocalAuthority")
        dx, dy = (i % 100) * 0.004, (i // 100 % 100) * 0.002
        data["extent"]["bbox"] = [-2.3 + dx, 47.1 + dy, -2.2 + dx, 47.15 + dy]
        private = i % 3 == 2
        data["access"]["access_rights"] = ACCESS + ("RESTRICTED" if private else "PUBLIC")
        sheet = Sheet.model_validate(data)
        if private:
            offers = [replace(restricted_offer, uid=f"urn:jnt:offer:{i}:public-bodies"),
                      replace(nantes_offer, uid=f"urn:jnt:offer:{i}:nantes")]
        else:
            offers = [replace(open_offer, uid=f"urn:jnt:offer:{i}:open")]
        entries.append(CatalogEntry(sheet, offers))
    return entries


@pytest.fixture(scope="module")
def dsp_validator():
    from jsonschema import Draft201909Validator
    from referencing import Registry, Resource

    resources = []
    for path in DSP_SPEC.glob("*/*-schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    schema = json.loads((DSP_SPEC / "catalog" / "catalog-schema.json").read_text(encoding="utf-8"))
    return Draft201909Validator(schema, registry=Registry().with_resources(resources))


# --- rendering ----------------------------------------------------------------------------------------------------


def test_render_page_of_100_from_10000(benchmark, catalogue, dsp_validator):
    """The reference measurement: page 50 (datasets 4,901–5,000) of the 10,000-dataset catalogue, body + Link."""
    request = PageRequest(page=50, per_page=100)
    page = benchmark(render_catalog_page, INFO, catalogue, request, url=URL)
    assert [d["@id"] for d in page.body["dataset"]] == [e.sheet.id for e in catalogue[4900:5000]]
    links = parse_link_header(page.link)
    assert links["next"].endswith("page=51&per_page=100") and links["last"].endswith("page=100&per_page=100")
    dsp_validator.validate(page.body)
    body = json.dumps(page.body, ensure_ascii=False).encode()
    mean = _record_ms(benchmark, target_ms=100, datasets=100, catalogue=CATALOGUE_SIZE, body_bytes=len(body))
    benchmark.extra_info["per_dataset_us"] = round(mean * 10, 1)


def test_render_page_with_stored_completeness(benchmark, catalogue):
    """For information: the same page when the connector stored each sheet's completeness at publication."""
    page_entries = [replace(e, completeness=e.sheet.completeness()) for e in catalogue[4900:5000]]
    body = benchmark(render_catalog, INFO, page_entries)
    assert len(body["dataset"]) == 100
    _record_ms(benchmark, datasets=100)


def test_render_page_to_json_bytes(benchmark, catalogue):
    """For information: the page as the HTTP body, i.e. rendering plus `json.dumps(...).encode()`."""

    def to_bytes() -> bytes:
        page = render_catalog_page(INFO, catalogue, PageRequest(page=50, per_page=100), url=URL)
        return json.dumps(page.body, ensure_ascii=False, separators=(",", ":")).encode()

    body = benchmark(to_bytes)
    _record_ms(benchmark, body_bytes=len(body))


# --- parsing ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue_250(catalogue) -> bytes:
    document = render_catalog(INFO, catalogue[:PARSE_SIZE])
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def test_parse_250_dataset_catalog(benchmark, catalogue, catalogue_250):
    """The reference measurement: the crawler's view, JSON bytes of a 250-dataset catalogue to `ParsedCatalog`
    (json.loads included), offers kept as JSON."""
    parsed = benchmark(parse_catalog, catalogue_250)
    assert not parsed.via_jsonld and parsed.problems == ()
    assert [d.id for d in parsed.datasets] == [e.sheet.id for e in catalogue[:PARSE_SIZE]]
    first = parsed.datasets[0]
    assert first.bbox == catalogue[0].sheet.extent.bbox and first.scale_denominator == 5000
    assert all(o._policy is None for d in parsed.datasets for o in d.offers)  # nothing parsed yet
    offers = sum(len(d.offers) for d in parsed.datasets)
    mean = _record_ms(benchmark, target_ms=100, datasets=PARSE_SIZE, offers=offers, body_bytes=len(catalogue_250))
    benchmark.extra_info["per_dataset_us"] = round(mean * 1e3 / PARSE_SIZE, 1)


def test_parse_250_dataset_catalog_from_dict(benchmark, catalogue_250):
    """For information: the same, from an already decoded JSON object (without json.loads)."""
    document = json.loads(catalogue_250)
    parsed = benchmark(parse_catalog, document)
    assert len(parsed.datasets) == PARSE_SIZE
    _record_ms(benchmark)


def test_parse_every_offer_of_250_datasets(benchmark, catalogue_250):
    """For information: what parsing offers eagerly would add (why `ParsedOffer.policy` is lazy)."""
    parsed = parse_catalog(catalogue_250)
    offers = [o for d in parsed.datasets for o in d.offers]

    def parse_all() -> int:
        for offer in offers:
            offer._policy = None
            offer.policy  # noqa: B018
        return len(offers)

    count = benchmark.pedantic(parse_all, rounds=5, warmup_rounds=1)
    assert count == len(offers) and all(o.policy.targets for o in offers)
    mean = _record_ms(benchmark, offers=count)
    benchmark.extra_info["per_offer_ms"] = round(mean / count, 3)


def test_parse_expanded_250_dataset_catalog(benchmark, catalogue_250):
    """For information: the JSON-LD fallback on the same catalogue in expanded form (frame + compact with pyld)."""
    from pyld import jsonld

    from policies.jsonld import document_loader

    expanded = jsonld.expand(json.loads(catalogue_250), {"documentLoader": document_loader, "base": None})
    fast = parse_catalog(catalogue_250)
    parsed = benchmark.pedantic(parse_catalog, args=(expanded,), rounds=3, warmup_rounds=1)
    assert parsed.via_jsonld and [d.id for d in parsed.datasets] == [d.id for d in fast.datasets]
    assert parsed.datasets[17] == fast.datasets[17]
    _record_ms(benchmark, datasets=PARSE_SIZE)
