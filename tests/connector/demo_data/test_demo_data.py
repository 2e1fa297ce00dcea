"""The demo's data layer (`connector.demo_data`): the plan follows the organisations table exactly (40 providers,
30 public and 10 private, one dataset per géo-concept provided, all 74 géo-concepts covered); generation is
deterministic (same SHA-256 for the same seed) and writes valid data — GeoJSON that shapely reads, with valid
geometries inside each dataset's declared extent and inside the demo territory; a terrain grid that GDAL-style
readers accept and whose heights make sense; series that cover the period and show the flood; a feed the data
plane accepts — every sheet passes SHACL, every offer parses and compiles, and the policy choices decide as
documented (network operators: public bodies only; insurers: aggregation only; water utilities: their territory;
the engineering firm's model: named recipients)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import anyio
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box, shape

from catalog.geoconcepts import load_registry
from catalog.shacl import validate_sheet
from connector.data.sources import FeedSource, FileSource, parse_source
from connector.demo_data import (
    ANGERS,
    CONSUMERS,
    DEMO_NOW,
    ENGINEERING_FIRM,
    ESTUARY,
    PERIOD,
    REGION,
    default_did,
    generate,
    organisations,
    plan,
)
from connector.demo_data.geography import Territory
from connector.demo_data.organisations import OrganisationTableError, parse_organisations
from connector.demo_data.sites import RIVER_GAUGES
from policies import Request, World, compile_policy, parse_policy
from policies.profile import CATEGORIES
from policies.requester import Requester, admits, negotiation_decision, negotiation_request
from policies.serialize import to_jsonld

SHARED_TABLE = Path(__file__).resolve().parents[4] / "shared" / "data" / "demo-organisations.csv"
SEED = 7
RESTRICTED_LICENCE_WARNING = "https://w3id.org/jnt/odrl/licence/restricted"
PUBLIC = Requester(did=default_did(REGION.id), category="public")
PRIVATE = Requester(did=default_did(ENGINEERING_FIRM.id), category="private")


@pytest.fixture(scope="module")
def datasets():
    return plan(seed=SEED)


@pytest.fixture(scope="module")
def by_key(datasets):
    return {d.key: d for d in datasets}


@pytest.fixture(scope="module")
def generated(tmp_path_factory, datasets):
    return generate(tmp_path_factory.mktemp("demo-data"), seed=SEED, datasets=datasets)


def _read_csv(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8")), delimiter=delimiter))


def _file(generated, dataset) -> bytes:
    return (generated.target / dataset.provider.id / dataset.path).read_bytes()


# --- the plan follows the organisations table ---------------------------------------------------------------------


def test_forty_providers_thirty_public_ten_private():
    orgs = organisations()
    assert len(orgs) == 40
    assert Counter(o.category for o in orgs) == {"public": 30, "private": 10}
    assert [c.category for c in CONSUMERS] == ["public", "private"]
    assert not {c.id for c in CONSUMERS} & {o.id for o in orgs}


@pytest.mark.skipif(not SHARED_TABLE.is_file(), reason="shared/ not beside the repository")
def test_shipped_table_is_the_shared_one():
    shipped = Path(__file__).resolve().parents[3] / "connector" / "demo_data" / "data" / "demo-organisations.csv"
    assert shipped.read_bytes() == SHARED_TABLE.read_bytes()


def test_per_organisation_geoconcepts_match_the_table_exactly(datasets):
    planned: dict[str, list[str]] = {}
    for d in datasets:
        planned.setdefault(d.provider.id, []).append(d.geoconcept.id)
    assert planned == {o.id: list(o.provides) for o in organisations()}
    assert len(datasets) == sum(len(o.provides) for o in organisations()) == 100


def test_every_provided_geoconcept_has_a_dataset(datasets):
    provided = {gc for o in organisations() for gc in o.provides}
    assert provided <= {d.geoconcept.id for d in datasets}
    assert len(provided) == len(load_registry().concepts) == 74


def test_dataset_iris_are_stable_and_unique(datasets):
    iris = [d.iri for d in datasets]
    assert len(set(iris)) == len(iris)
    assert iris[0] == "https://data.ign.jnt.example/datasets/GC001"
    assert all(d.sheet.id == d.iri and d.offers[0].uid == d.iri + "#offer" for d in datasets)
    assert [d.iri for d in plan(seed=SEED)] == iris


def test_a_broken_table_is_refused_with_the_line():
    with pytest.raises(OrganisationTableError, match="line 2, column category"):
        parse_organisations("id,name,category,kind,provides\nx,X,semi-public,k,GC001\n")


# --- determinism, size ----------------------------------------------------------------------------------------------


def test_generation_is_deterministic(tmp_path, generated, datasets):
    again = generate(tmp_path / "again", seed=SEED, datasets=datasets)
    assert again.digests == generated.digests
    assert len(generated.digests) == 99  # every dataset but the real-time feed has a file
    other = generate(tmp_path / "other", seed=SEED + 1, datasets=datasets)
    changed = [path for path, digest in other.digests.items() if generated.digests[path] != digest]
    assert len(changed) > 50  # the seed drives the random details


def test_files_are_where_the_data_sources_say(generated, datasets):
    for d in datasets:
        source = parse_source(d.data_source, base_dir=generated.target / d.provider.id)
        if d.product.kind == "feed":
            assert isinstance(source, FeedSource) and d.path is None
        else:
            assert isinstance(source, FileSource)
            assert source.path.is_file() and source.media_type == d.media_type
    assert generated.total_bytes < 8_000_000


# --- vector layers ------------------------------------------------------------------------------------------------


def test_every_geojson_is_valid_and_inside_its_extent(generated, datasets):
    estuary, angers = box(*ESTUARY), box(*ANGERS)
    territory = shapely.union(estuary, angers).buffer(1e-9)
    checked = 0
    for d in datasets:
        if d.product.kind != "vector":
            continue
        document = json.loads(_file(generated, d))
        assert document["type"] == "FeatureCollection" and document["features"], d.key
        extent = box(*d.sheet.extent.bbox).buffer(1e-9)
        for feature in document["features"]:
            geom = shape(feature["geometry"])
            assert not geom.is_empty and geom.is_valid, (d.key, feature["id"], shapely.is_valid_reason(geom))
            assert extent.covers(geom), (d.key, feature["id"], geom.bounds, d.sheet.extent.bbox)
            assert territory.covers(geom), (d.key, feature["id"])
            assert isinstance(feature["properties"], dict) and feature["properties"]
            checked += 1
    assert checked > 10_000


def test_layers_are_plausible(generated, by_key):
    territory = Territory()

    def layer(key):
        return [(shape(f["geometry"]), f["properties"]) for f in json.loads(_file(generated, by_key[key]))["features"]]

    buildings = layer(("ign", "GC051"))
    assert len(buildings) > 500 and all(g.geom_type == "Polygon" for g, _ in buildings)
    assert not any(g.intersects(territory.water) for g, _ in buildings)  # nobody lives in the Loire
    nantes = Point(-1.5536, 47.2184)
    assert sum(g.distance(nantes) < 0.03 for g, _ in buildings) > 100
    rivers = {p["toponyme"]: g for g, p in layer(("ofb", "GC005"))}
    assert {"Loire", "Erdre", "Sèvre nantaise", "Acheneau", "Brivet", "Chézine"} <= set(rivers)
    loire = rivers["Loire"]
    assert loire.geom_type == "LineString" and 30 <= len(loire.coords) <= 60
    assert loire.distance(Point(-1.55, 47.20)) < 0.01 and loire.distance(Point(-2.21, 47.26)) < 0.02
    hazards = layer(("ddtm-44", "GC040"))
    assert {p["code_alea"] for _, p in hazards} == {"tres-fort", "fort", "moyen", "faible"}
    assert all(not a.overlaps(b) for (a, _), (b, _) in zip(hazards, hazards[1:], strict=False))
    dikes = layer(("dreal-pdl", "GC028"))
    assert len(dikes) >= 5 and all(g.geom_type in ("LineString", "MultiLineString") for g, _ in dikes)
    assert all(g.distance(territory.water) < 0.01 for g, _ in dikes)  # along the banks
    stations = {p["code_station"] for _, p in layer(("schapi", "GC009"))}
    assert stations == {g.id for g in RIVER_GAUGES}


# --- grids --------------------------------------------------------------------------------------------------------


def _grid(data: bytes) -> tuple[dict[str, float], np.ndarray, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        asc = next(n for n in names if n.endswith(".asc"))
        prj = archive.read(asc[:-4] + ".prj").decode("ascii")
        lines = archive.read(asc).decode("ascii").splitlines()
    header = {k.lower(): float(v) for k, v in (line.split() for line in lines[:6])}
    values = np.loadtxt(lines[6:])
    return header, values, prj


def test_terrain_model_is_readable_and_makes_sense(generated, by_key):
    dem = by_key[("ign", "GC001")]
    header, z, prj = _grid(_file(generated, dem))
    assert "WGS_1984" in prj
    assert z.shape == (int(header["nrows"]), int(header["ncols"]))
    assert min(z.shape) >= 100 and max(z.shape) >= 300  # a few hundred cells per side
    assert header["xllcorner"] == pytest.approx(ESTUARY[0]) and header["yllcorner"] == pytest.approx(ESTUARY[1])
    assert not (z == header["nodata_value"]).any()
    assert z.min() > -1 and z.max() < 120

    def at(lon, lat):
        col = int((lon - header["xllcorner"]) / header["cellsize"])
        row = int(header["nrows"]) - 1 - int((lat - header["yllcorner"]) / header["cellsize"])
        return z[row, col]

    assert at(-1.70, 47.201) < 5  # the Loire at Indre
    assert at(-1.99, 47.322) < 5  # the Donges marshes
    assert at(-1.80, 47.305) > 25  # the Sillon de Bretagne
    assert z.mean() > 12  # mostly plateau


def test_land_sea_model_has_the_channel_below_sea_level(generated, by_key):
    header, z, _prj = _grid(_file(generated, by_key[("shom", "GC003")]))
    assert z.min() < -8 and z.max() > 10


def test_rain_grids_agree_with_the_episode(generated, by_key):
    _header, radar, _prj = _grid(_file(generated, by_key[("meteo-france", "GC015")]))
    assert 60 < radar.mean() < 250 and radar.min() > 0


# --- series -------------------------------------------------------------------------------------------------------


def test_gauge_series_cover_the_period_with_a_flood(generated, by_key):
    rows = _read_csv(_file(generated, by_key[("schapi", "GC011")]))
    hours = int((PERIOD[1] - PERIOD[0]).total_seconds() // 3600)
    by_station: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_station.setdefault(row["code_station"], []).append(row)
    assert set(by_station) == {g.id for g in RIVER_GAUGES}
    start = PERIOD[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    last = (PERIOD[1] - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for station_rows in by_station.values():
        assert len(station_rows) == hours
        assert station_rows[0]["date_heure"] == start and station_rows[-1]["date_heure"] == last
    nantes = by_station["M800002010"]
    flows = [float(r["debit_m3_s"]) for r in nantes]
    peak = max(range(hours), key=flows.__getitem__)
    assert "2026-01-20" <= nantes[peak]["date_heure"][:10] <= "2026-01-26"
    assert flows[peak] > 3 * flows[0]
    levels = [float(r["hauteur_m"]) for r in nantes[:48]]
    assert max(levels) - min(levels) > 1.5  # the tide is felt in Nantes


def test_rain_series_cover_the_period_and_precede_the_flood(generated, by_key):
    rows = _read_csv(_file(generated, by_key[("meteo-france", "GC016")]), ";")
    totals = Counter()
    for row in rows:
        totals[row["NUM_POSTE"]] += float(row["RR1"])
    assert len(rows) == 9 * 720 and len(totals) == 9
    assert all(80 < total < 400 for total in totals.values())
    first_days = sum(float(r["RR1"]) for r in rows if r["AAAAMMJJHH"] < "2026012300")
    assert first_days > 0.8 * sum(totals.values())  # most of the rain falls before the Loire peaks


def test_other_series_parse(generated, by_key):
    assert len(_read_csv(_file(generated, by_key[("shom", "GC019")]))) == 30 * 144
    assert len(_read_csv(_file(generated, by_key[("brgm", "GC021")]))) == 6 * 365
    assert {r["periode_retour"] for r in _read_csv(_file(generated, by_key[("dreal-pdl", "GC035")]))} == \
        {"Q10", "Q30", "Q100", "Q1000"}
    assert _read_csv(_file(generated, by_key[("meteo-france", "GC018")]), ";")


def test_real_time_feed_streams_the_gauges(by_key):
    feed = by_key[("schapi", "GC010")]
    source = parse_source(feed.data_source, base_dir=Path("."))
    assert isinstance(source, FeedSource)
    station_ids = [s["id"] for s in feed.data_source["simulate"]["stations"]]
    assert set(station_ids) == {g.id for g in RIVER_GAUGES}

    async def first_tick():
        stream = await source.observations()
        seen = []
        async for observation in stream:
            seen.append(observation)
            if len(seen) == len(station_ids):
                break
        await stream.aclose()
        return seen

    observations = anyio.run(first_tick)
    assert [o["station"] for o in observations] == station_ids
    assert all(o["water_level_m"] >= 0 and "flow_m3_s" in o for o in observations)


# --- sheets and offers --------------------------------------------------------------------------------------------


def test_every_sheet_passes_shacl(datasets):
    for d in datasets:
        report = validate_sheet(d.sheet)
        assert report.conforms, (d.key, report.to_text("en"))
        # the one warning allowed: the data space's generic "restricted" licence is not an SPDX / EU licence
        assert all(RESTRICTED_LICENCE_WARNING in p.message for p in report.warnings), (d.key, report.to_text("en"))
        assert d.sheet.completeness().complete, d.key


def test_every_offer_parses_and_compiles(datasets):
    for d in datasets:
        for offer in d.offers:
            parsed = parse_policy(to_jsonld(offer))
            compiled = compile_policy(parsed)
            assert parsed.uid == offer.uid and compiled.policy.permissions, d.key
            assert offer.metadata["licence"] == d.sheet.licence.licence
            assert offer.metadata["accessRights"] == d.sheet.access.access_rights


def test_policy_profiles_follow_the_rules(datasets):
    profiles = {d.key: d.choice.profile for d in datasets}
    private = {o.id for o in organisations() if not o.public}
    assert all(profiles[k] != "open" for k in profiles if k[0] in private)
    assert {profiles[k] for k in profiles if k[0] in ("enedis", "grdf", "sncf-reseau", "orange", "bouygues-telecom")} \
        == {"network-operator"}
    assert {profiles[k] for k in profiles if k[0] in ("maif", "groupama-lb")} == {"insurer"}
    public_open = [d for d in datasets if d.provider.public and d.geoconcept.typical_access == "PUBLIC"]
    assert public_open and all(d.choice.access == "public" for d in public_open)
    assert {d.choice.licence for d in public_open} == {"etalab-2.0", "odbl-1.0"}
    assert all(d.choice.access != "public" for d in datasets if d.geoconcept.typical_access != "PUBLIC")


def _decide(dataset, requester, purpose="flood-risk-simulation", territory=None):
    policy = compile_policy(parse_policy(to_jsonld(dataset.offers[0])))
    request = negotiation_request(requester, dataset.iri, purpose=purpose, territory=territory)
    return negotiation_decision(policy, request, now=DEMO_NOW)


@pytest.mark.parametrize("key", [("enedis", "GC061"), ("grdf", "GC062"), ("orange", "GC067"),
                                 ("sncf-reseau", "GC065")])
def test_network_operators_serve_public_bodies_for_flood_risk_only(by_key, key):
    dataset = by_key[key]
    assert _decide(dataset, PUBLIC).permitted
    refused = _decide(dataset, PRIVATE)
    assert not refused.permitted and "private company" in refused.summary("en")
    assert not _decide(dataset, PUBLIC, purpose="urban-planning").permitted
    policy = compile_policy(dataset.offers[0])
    assert admits(policy, PUBLIC, dataset.iri) and not admits(policy, PRIVATE, dataset.iri)


def test_open_data_is_for_everyone_with_attribution(by_key):
    dataset = by_key[("ign", "GC001")]
    for requester in (PUBLIC, PRIVATE):
        decision = _decide(dataset, requester, purpose="urban-planning")
        assert decision.permitted
        assert [d["action"] for d in decision.to_json("en")["duties"]] == ["attribute"]


def test_insurers_allow_aggregation_only(by_key):
    policy = compile_policy(by_key[("maif", "GC072")].offers[0])
    world = World(now=DEMO_NOW)
    aggregate = Request(action="aggregate", purpose="https://w3id.org/jnt/purpose/flood-risk-simulation",
                        category=CATEGORIES["public"])
    assert policy.decide(aggregate, world).permitted
    use = Request(action="use", purpose=aggregate.purpose, category=aggregate.category)
    assert not policy.decide(use, world).permitted
    # A negotiation asks for `use` (policies.requester): the insurers' data cannot be agreed as things stand.
    assert not _decide(by_key[("maif", "GC072")], PUBLIC).permitted


def test_water_utilities_serve_their_territory(by_key):
    veolia = by_key[("veolia-eau", "GC063")]
    assert _decide(veolia, PRIVATE, territory="44184").permitted  # Saint-Nazaire, in the CARENE
    assert not _decide(veolia, PUBLIC, territory="44109").permitted  # Nantes is not
    assert not _decide(veolia, PUBLIC).permitted  # no area declared: fails closed


def test_the_engineering_models_recipients_are_named(by_key):
    model = by_key[("egis-eau", "GC038")]
    assert model.choice.access == "non-public"
    assert _decide(model, PUBLIC).permitted
    assert not _decide(model, PRIVATE).permitted
    assert not _decide(model, Requester(did=default_did("dreal-pdl"), category="public")).permitted


def test_real_dids_can_be_given(by_key):
    dids = {"enedis": "did:web:127.0.0.1%3A8443:participants:enedis"}
    dataset = plan(providers=[by_key[("enedis", "GC061")].provider],
                   did_for=lambda org: dids.get(org, default_did(org)))[0]
    assert [p.iri for p in dataset.offers[0].assigners] == [dids["enedis"]]


def test_the_connector_publishes_every_dataset_and_filters_the_catalogue(tmp_path, datasets):
    """The plan as a provider connector stores it (connector.control.datasets): every sheet, offer and data source
    is accepted, and a private company's catalogue leaves out what only public bodies or named recipients get."""
    from sqlalchemy import create_engine

    from connector.control.datasets import DatasetRegistry
    from connector.identity.tokens import VerifiedClaims
    from connector.store.migrate import upgrade

    engine = create_engine(f"sqlite:///{tmp_path / 'provider.db'}")
    upgrade(engine)
    registry = DatasetRegistry(engine)
    for d in datasets:
        registry.publish(d.sheet, list(d.offers), formats=d.formats, data_source=d.data_source)
    public = VerifiedClaims(did=PUBLIC.did, name=REGION.name, category="public", kind=REGION.kind)
    private = VerifiedClaims(did=PRIVATE.did, name=ENGINEERING_FIRM.name, category="private",
                             kind=ENGINEERING_FIRM.kind)
    seen_by_public, seen_by_private = set(registry.visible_ids(public)), set(registry.visible_ids(private))
    assert seen_by_public == {d.iri for d in datasets}
    hidden = {d.iri for d in datasets if d.choice.profile in ("network-operator", "security", "public-bodies",
                                                              "engineering-model")}
    assert seen_by_private == {d.iri for d in datasets} - hidden and len(hidden) == 19
    engine.dispose()
