"""Reading DSP catalogs back for the federated catalogue: the round trip render → parse keeps every indexed value,
the fast path reads the canonical compact form without any JSON-LD processing, other forms of the same catalogue
(expanded, flattened, other spellings, extra context) go through pyld and give equal results, offers are parsed
lazily, and garbage is refused with an error that names what is wrong and where."""

from __future__ import annotations

import contextlib
import copy
import json
import random

import pytest
from pyld import jsonld

import catalog.dsp_parse as dsp_parse
from catalog.dsp_catalog import (
    CatalogEntry,
    CatalogParseError,
    ParsedAgent,
    ParsedOffer,
    parse_catalog,
    parse_dataset,
    render_catalog,
    render_dataset,
)
from catalog.sheet import CRITERIA
from policies.errors import PolicyError
from policies.jsonld import DSP_CONTEXT, document_loader
from policies.model import Asset

OPTIONS = {"documentLoader": document_loader, "base": None}


def _agent_matches(parsed: ParsedAgent | None, agent, kind) -> None:
    assert parsed is not None
    assert (parsed.name, parsed.iri, parsed.type) == (agent.name, agent.iri, kind or agent.type)


def assert_same_as_sheet(parsed, entry: CatalogEntry, service) -> None:
    """Every value the catalogue indexes, compared with the sheet it was rendered from."""
    s = entry.sheet
    n, p, f, ext, acc, prec = s.nature, s.provenance, s.frequency, s.extent, s.access, s.precision
    assert parsed.id == s.id
    # C1
    assert (parsed.title, parsed.description) == (n.title, n.description)
    assert (parsed.geoconcept, parsed.role) == (n.geoconcept, n.role)
    assert parsed.themes == (*n.inspire_themes, *n.eu_themes)
    assert parsed.inspire_themes == tuple(n.inspire_themes) and parsed.eu_themes == tuple(n.eu_themes)
    assert (parsed.dataset_type, parsed.keywords, parsed.identifier) == (n.dataset_type, tuple(n.keywords),
                                                                         n.identifier)
    # C2
    if p.publisher:
        _agent_matches(parsed.publisher, p.publisher, p.publisher_type)
    contact = p.contact
    assert (parsed.contact is None) == (contact is None)
    if contact:
        assert (parsed.contact.name, parsed.contact.email, parsed.contact.url) == (contact.name, contact.email,
                                                                                   contact.url)
    # C3
    assert (parsed.accrual_periodicity, parsed.modified, parsed.issued) == (f.accrual_periodicity, f.modified,
                                                                            f.issued)
    assert (parsed.temporal_start, parsed.temporal_end) == (f.temporal_start, f.temporal_end)
    assert (parsed.temporal_resolution, parsed.version) == (f.temporal_resolution, f.version)
    # C4, C5
    assert parsed.acquisition_mode == s.origin.acquisition_mode
    assert parsed.licence == s.licence.licence
    # C6
    assert (parsed.bbox, parsed.centroid) == (ext.bbox, ext.centroid)
    assert parsed.admin_units == tuple(ext.admin_units)
    assert parsed.reference_systems == tuple(ext.reference_systems)
    # C7
    assert (parsed.access_rights, parsed.landing_page) == (acc.access_rights, acc.landing_page)
    sources = acc.distributions or [None]
    expected = [(fmt, d) for d in sources for fmt in entry.formats]
    assert len(parsed.distributions) == len(expected)
    for got, (fmt, dist) in zip(parsed.distributions, expected, strict=True):
        assert got.format == fmt
        assert (got.access_service.id, got.access_service.endpoint_url) == (service.id, service.endpoint_url)
        if dist is not None:
            assert (got.title, got.file_type, got.media_type, got.byte_size) == (dist.title, dist.format,
                                                                                 dist.media_type, dist.byte_size)
            assert got.conforms_to == tuple(dist.conforms_to)
    assert parsed.formats == tuple(entry.formats)
    # C8
    assert (parsed.resolution_m, parsed.scale_denominator) == (prec.resolution_m, prec.scale_denominator)
    # C9, C10
    assert [(c.specification, c.title, c.degree) for c in parsed.conformity] == [
        (c.specification, c.specification_title, c.degree) for c in s.quality.conformity]
    assert [(x.iri, x.title) for x in parsed.conforms_to] == [(x.iri, x.title) for x in s.standard.conforms_to]
    # completeness
    completeness = s.completeness()
    assert parsed.completeness == pytest.approx(completeness.score, abs=5e-5)
    assert parsed.mandatory_complete is completeness.complete
    assert parsed.missing_mandatory == tuple(x.path for x in completeness.missing_mandatory())
    # offers: ids, JSON kept, policies equal to the published ones with the dataset as target
    assert [o.id for o in parsed.offers] == [o.uid for o in entry.offers]
    for got, published in zip(parsed.offers, entry.offers, strict=True):
        assert got.policy.targets == (Asset(s.id),)
        assert got.policy.permissions == published.permissions
        assert got.policy.prohibitions == published.prohibitions
        assert got.policy.profiles == published.profiles and got.policy.conflict == published.conflict


def test_round_trip_keeps_every_indexed_value(entries, loire):
    parsed = parse_catalog(render_catalog(loire.INFO, entries))
    assert not parsed.via_jsonld
    assert parsed.id == loire.INFO.id and parsed.participant_id == loire.PROVIDER
    assert (parsed.title, parsed.description) == (loire.INFO.title, loire.INFO.description)
    assert parsed.publisher == ParsedAgent(loire.INFO.publisher.name, loire.INFO.publisher.iri,
                                           loire.INFO.publisher.type)
    assert parsed.endpoint_url == loire.SERVICE.endpoint_url
    assert [(s.id, s.endpoint_url) for s in parsed.services] == [(loire.SERVICE.id, loire.SERVICE.endpoint_url)]
    assert len(parsed.datasets) == len(entries) and parsed.problems == ()
    for dataset, entry in zip(parsed.datasets, entries, strict=True):
        assert_same_as_sheet(dataset, entry, loire.SERVICE)


def test_publisher_category_and_incomplete_criteria(entries, loire):
    parsed = {d.id: d for d in parse_catalog(render_catalog(loire.INFO, entries)).datasets}
    categories = {d.geoconcept.rsplit("/", 1)[1]: d.publisher.category for d in parsed.values()}
    assert categories == {"GC039": "public", "GC001": "public", "GC010": "public", "GC061": "private",
                          "GC063": "private", "GC033": "public"}
    assert ParsedAgent("x", type="https://example.org/kind").category is None
    draft = parsed[loire.draft_sheet().id]
    incomplete = {CRITERIA[path.split(".")[0]][0] for path in draft.missing_mandatory}
    assert incomplete == {code for code, _, _ in CRITERIA.values()}  # the draft lacks something everywhere
    assert parsed[loire.ppri_sheet().id].missing_mandatory == ()


def test_parse_dataset_reads_a_dataset_response(entries, loire):
    for entry in entries:
        parsed = parse_dataset(json.dumps(render_dataset(entry, loire.SERVICE)))
        assert_same_as_sheet(parsed, entry, loire.SERVICE)


# --- fast path and JSON-LD fallback -------------------------------------------------------------------------------


def test_fast_path_uses_no_json_ld_processing(entries, loire, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the canonical compact form must be read without pyld")

    for name in ("frame", "expand", "compact", "flatten"):
        monkeypatch.setattr(dsp_parse.jsonld, name, forbidden)
    parsed = parse_catalog(render_catalog(loire.INFO, entries))
    assert not parsed.via_jsonld and len(parsed.datasets) == len(entries)


def test_expanded_catalog_gives_the_same_result(entries, loire):
    document = render_catalog(loire.INFO, entries)
    fast = parse_catalog(document)
    expanded = jsonld.expand(document, OPTIONS)
    assert isinstance(expanded, list) and "@context" not in json.dumps(expanded)
    slow = parse_catalog(expanded)
    assert slow.via_jsonld
    assert slow == fast
    # offers compacted by pyld are spelled differently (odrl:prohibit…) but are the same policies
    raw_differs = [o for a, b in zip(slow.datasets, fast.datasets, strict=True)
                   for o, p in zip(a.offers, b.offers, strict=True) if o.raw != p.raw]
    assert raw_differs, "expected at least one offer whose JSON differs after JSON-LD compaction"


def test_flattened_catalog_gives_the_same_result(entries, loire):
    document = render_catalog(loire.INFO, entries)
    flattened = jsonld.flatten(document, None, OPTIONS)
    slow = parse_catalog(flattened)
    assert slow.via_jsonld and slow == parse_catalog(document)


def test_other_spellings_and_an_extra_context_go_through_json_ld(entries, loire):
    document = render_catalog(loire.INFO, entries)
    fast = parse_catalog(document)
    respelled = {("dcat:dataset" if k == "dataset" else k): v for k, v in document.items()}
    for dataset in respelled["dcat:dataset"]:
        dataset["http://purl.org/dc/terms/title"] = dataset.pop("dct:title")
    parsed = parse_catalog(respelled)
    assert parsed.via_jsonld and parsed == fast
    # a producer that adds its own prefixes and compacts with them
    context = [DSP_CONTEXT, {"jnt": "https://w3id.org/jnt/ns#", "geo": "http://www.opengis.net/ont/geosparql#"}]
    compacted = jsonld.compact(jsonld.expand(document, OPTIONS), {"@context": context}, OPTIONS)
    assert "jnt:completeness" in json.dumps(compacted)
    parsed = parse_catalog(compacted)
    assert parsed.via_jsonld and parsed == fast


def test_string_context_and_single_values_are_read_directly(loire):
    # pyld compacts to "@context": "<url>" and one-item arrays to single values: still the fast path
    document = render_catalog(loire.INFO, [CatalogEntry(loire.ppri_sheet(), [loire.open_offer("urn:o")])])
    compacted = jsonld.compact(jsonld.expand(document, OPTIONS), {"@context": [DSP_CONTEXT]}, OPTIONS)
    assert compacted["@context"] == DSP_CONTEXT and isinstance(compacted["dataset"], list)
    parsed = parse_catalog(compacted)
    assert not parsed.via_jsonld and parsed == parse_catalog(document)
    with_profile = {**document, "@context": [DSP_CONTEXT, "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"]}
    assert not parse_catalog(with_profile).via_jsonld


def test_parse_dataset_falls_back_on_json_ld_too(loire):
    document = render_dataset(CatalogEntry(loire.hydrometry_sheet(), [loire.open_offer("urn:o")]), loire.SERVICE)
    fast = parse_dataset(document)
    assert parse_dataset(jsonld.expand(document, OPTIONS)) == fast
    assert parse_dataset(jsonld.flatten(document, None, OPTIONS)) == fast


def test_spec_examples_parse(loire):
    examples = loire.DSP_SPEC / "catalog" / "example"
    catalog = parse_catalog((examples / "catalog.json").read_bytes())
    assert catalog.participant_id == "urn:example:DataProviderA"
    assert catalog.endpoint_url == "https://provider-a.com/connector"
    dataset = catalog.datasets[0]
    assert dataset.formats == ("HttpData-PULL",) and dataset.title is None
    # accessService given as the service @id is resolved against the catalog's services
    assert dataset.distributions[0].access_service.endpoint_url == "https://provider-a.com/connector"
    assert dataset.offers[0].raw["permission"][0]["constraint"][0]["leftOperand"] == "spatial"
    # its `spatial` value is not a JNT territory: the JNT profile refuses it, but only when the policy is asked for
    with pytest.raises(PolicyError, match="spatial"):
        _ = dataset.offers[0].policy
    nested = parse_catalog((examples / "nested-catalog.json").read_text(encoding="utf-8"))
    assert [(c.id, c.endpoint_url) for c in nested.catalogs] == [
        ("02e83f88-f025-4a1c-89f2-8723c98fa92b", "https://provder-a.com/subcatalog")]
    alone = parse_dataset((examples / "dataset.json").read_text(encoding="utf-8"))
    assert alone.distributions[0].access_service.endpoint_url == "https://provider-a.com/connector"


# --- offers -------------------------------------------------------------------------------------------------------


def test_offers_are_parsed_only_when_asked(entries, loire, monkeypatch):
    calls = []
    real = dsp_parse.parse_policy
    monkeypatch.setattr(dsp_parse, "parse_policy", lambda doc: calls.append(doc) or real(doc))
    parsed = parse_catalog(render_catalog(loire.INFO, entries))
    assert calls == []
    offer = parsed.datasets[3].offers[1]
    assert offer.raw["@id"] == "urn:jnt:offer:enedis-nantes" and "target" not in offer.raw
    policy = offer.policy
    assert offer.policy is policy and len(calls) == 1  # parsed once, then kept
    assert policy.targets == (Asset(parsed.datasets[3].id),)


def test_message_offer_is_what_a_contract_request_carries(entries, loire, dsp_validator):
    offer = parse_catalog(render_catalog(loire.INFO, entries)).datasets[3].offers[0]
    message = {"@context": [DSP_CONTEXT], "@type": "ContractRequestMessage", "consumerPid": "urn:uuid:c1",
               "callbackAddress": "https://consumer.example/cb",
               "offer": {k: v for k, v in offer.message_offer().items() if k != "@context"}}
    dsp_validator(message, "negotiation/contract-request-message-schema.json")
    assert message["offer"]["target"] == offer.dataset_id


def test_offer_equality_falls_back_on_the_policies():
    a = ParsedOffer("urn:o", {"@id": "urn:o", "@type": "Offer", "permission": [{"action": "use"}]}, "urn:d")
    b = ParsedOffer("urn:o", {"@id": "urn:o", "@type": "odrl:Offer", "permission": {"action": "odrl:use"}}, "urn:d")
    c = ParsedOffer("urn:o", {"@id": "urn:o", "@type": "Offer", "prohibition": [{"action": "use"}]}, "urn:d")
    assert a == b and a != c and hash(a) == hash(b)
    assert a != ParsedOffer("urn:o", a.raw, "urn:other")


# --- garbage ------------------------------------------------------------------------------------------------------


def _catalog(loire, **changes):
    document = render_catalog(loire.INFO, [CatalogEntry(loire.ppri_sheet(), [loire.open_offer("urn:o1")]),
                                           CatalogEntry(loire.rge_alti_sheet(), [loire.open_offer("urn:o2")])])
    document.update(changes)
    return document


def _problems(excinfo) -> list[tuple[str, str]]:
    return [(p.path, p.code) for p in excinfo.value.problems]


@pytest.mark.parametrize("document, path, code, words", [
    ('{"@context": ["x"], "@type": "Catalog",', "", "malformed-json", "line 1, column"),
    (b"\xff\xfe\x00", "", "malformed-json", "malformed JSON"),
    ("[1, 2]", "@type", "no-catalog", "no node of type Catalog"),
    (42, "", "not-json-ld", "expected a JSON object, got int"),
    ({"title": "my catalog", "datasets": []}, "@type", "no-catalog", "no @context"),
    ({"@context": ["https://example.org/other-context.jsonld"], "@type": "Catalog"}, "", "malformed-jsonld",
     "never fetched over the network"),
])
def test_garbage_is_refused_with_a_clear_error(document, path, code, words):
    with pytest.raises(CatalogParseError) as caught:
        parse_catalog(document)
    assert _problems(caught)[0] == (path, code)
    assert words in str(caught.value)


def test_a_dataset_is_not_a_catalog(loire):
    document = render_dataset(CatalogEntry(loire.ppri_sheet(), [loire.open_offer("urn:o")]), loire.SERVICE)
    with pytest.raises(CatalogParseError, match="parse_dataset") as caught:
        parse_catalog(document)
    assert _problems(caught) == [("@type", "not-a-catalog")]
    with pytest.raises(CatalogParseError) as caught:
        parse_dataset(_catalog(loire))
    assert _problems(caught) == [("@type", "not-a-dataset")]


def test_catalog_without_participant_or_id_is_refused(loire):
    document = _catalog(loire)
    del document["participantId"]
    with pytest.raises(CatalogParseError) as caught:
        parse_catalog(document)
    assert _problems(caught) == [("participantId", "missing-participant")]
    assert "participantId" in caught.value.message("fr") and "fournisseur" in caught.value.message("fr")
    document = _catalog(loire)
    del document["@id"]
    with pytest.raises(CatalogParseError) as caught:
        parse_catalog(document)
    assert _problems(caught) == [("@id", "missing-id")]


@pytest.mark.parametrize("change, path, code, words", [
    (lambda d: d.pop("hasPolicy"), "dataset[1].hasPolicy", "no-offer", "at least one Offer"),
    (lambda d: d["hasPolicy"][0].pop("@id"), "dataset[1].hasPolicy[0]", "bad-offer", "no @id"),
    (lambda d: d.pop("distribution"), "dataset[1].distribution", "no-distribution", "at least one"),
    (lambda d: d["distribution"][0].pop("format"), "dataset[1].distribution[0].format", "bad-distribution",
     "HttpData-PULL"),
    (lambda d: d["distribution"][0].pop("accessService"), "dataset[1].distribution[0].accessService",
     "bad-distribution", "DataService"),
    (lambda d: d.update({"dct:modified": {"@value": "2024-13-45", "@type": "xsd:date"}}), "dataset[1].dct:modified",
     "bad-value", "2024-13-45"),
    (lambda d: d["dct:spatial"][0].update({"dcat:bbox": "POLYGON((west south))"}), "dataset[1].dcat:bbox",
     "bad-value", "coordinate"),
    (lambda d: d["dct:spatial"][0].update({"dcat:bbox": "POLYGON((-200 47, 3 48))"}), "dataset[1].dcat:bbox",
     "bad-value", "CRS84"),
    (lambda d: d.update({"https://w3id.org/jnt/ns#completeness": "high"}), "dataset[1].jnt:completeness",
     "bad-value", "not a number"),
    (lambda d: d.update({"dct:license": [{"dct:title": "Licence Ouverte"}]}), "dataset[1].dct:license", "bad-value",
     "expected an IRI"),
    (lambda d: d.pop("@id"), "dataset[1].@id", "missing-id", "every DSP Dataset has an @id"),
])
def test_a_bad_dataset_is_named_and_can_be_skipped(loire, change, path, code, words):
    document = _catalog(loire)
    change(document["dataset"][1])
    with pytest.raises(CatalogParseError) as caught:
        parse_catalog(document)
    assert _problems(caught) == [(path, code)]
    assert words in str(caught.value)
    lenient = parse_catalog(document, strict=False)
    assert [d.id for d in lenient.datasets] == [loire.ppri_sheet().id]
    assert [(p.path, p.code) for p in lenient.problems] == [(path, code)]


def test_duplicate_dataset_ids_are_reported(loire):
    document = _catalog(loire)
    document["dataset"].append(document["dataset"][0])
    with pytest.raises(CatalogParseError) as caught:
        parse_catalog(document)
    assert _problems(caught) == [("dataset[2].@id", "duplicate-dataset")]


def test_bbox_forms_other_producers_write(loire):
    document = _catalog(loire)
    spatial = document["dataset"][0]["dct:spatial"][0]
    epsg4326 = "<http://www.opengis.net/def/crs/EPSG/0/4326> POLYGON((47.1 -2.3,47.1 -1.4,47.4 -1.4,47.4 -2.3,47.1 -2.3))"
    for literal in (epsg4326, "ENVELOPE(-2.3, -1.4, 47.4, 47.1)",
                    {"@value": "POLYGON((-2.3 47.1,-1.4 47.4))", "@type": "http://www.opengis.net/ont/geosparql#wktLiteral"}):
        spatial["dcat:bbox"] = literal
        assert parse_catalog(document).datasets[0].bbox == (-2.3, 47.1, -1.4, 47.4)
    spatial["dcat:bbox"] = {"@value": "<gml:Envelope/>", "@type": "http://www.opengis.net/ont/geosparql#gmlLiteral"}
    assert parse_catalog(document).datasets[0].bbox is None  # other encodings are not read, not an error


_DELETE = object()
_JUNK = [None, 5, -1.5, True, "", "x", "POLYGON((", [], {}, [None], {"@id": 5}, {"@value": {"a": 1}, "@type": 5},
         {"@context": 7}, {"@type": ["Catalog", {"x": 1}]}, {"@list": [1]}, "dcat:Dataset"]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


def _mutate(document, path, junk):
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if junk is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = junk



@pytest.mark.parametrize("expanded", [False, True], ids=["compact", "expanded"])
def test_random_damage_gives_a_result_or_a_catalog_parse_error(loire, expanded):
    base = _catalog(loire)
    if expanded:
        base = jsonld.expand(base, OPTIONS)
    paths = [p for p in _paths(base) if p]
    rng = random.Random(20261128)
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(120 if expanded else 600):
        document = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(paths)
            with contextlib.suppress(KeyError, IndexError, TypeError):  # the path vanished under an earlier change
                _mutate(document, path, rng.choice([*_JUNK, _DELETE]))
        for strict in (True, False):
            try:
                parse_catalog(document, strict=strict)
                outcomes["parsed"] += 1
            except CatalogParseError as error:
                assert error.problems and all(p.message_en and p.message_fr for p in error.problems)
                outcomes["refused"] += 1
    assert outcomes["parsed"] and outcomes["refused"]
