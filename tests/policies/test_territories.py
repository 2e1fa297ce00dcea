"""Named territories (codes, IRIs, bundled outlines and their consistency) and geometry parsing."""

from __future__ import annotations

import json
from itertools import combinations

import pytest
import shapely
from shapely.geometry import Point

from policies.territories import (
    TERRITORY_NS,
    GeometryError,
    Territory,
    TerritoryError,
    all_territories,
    bbox_geometry,
    find_territory,
    get_territory,
    is_territory_ref,
    parse_geometry,
    resolve_area,
)

COMMUNES = {
    "44109": "Nantes",
    "44162": "Saint-Herblain",
    "44143": "Rezé",
    "44114": "Orvault",
    "44020": "Bouguenais",
    "44047": "Couëron",
    "44190": "Saint-Sébastien-sur-Loire",
    "44215": "Vertou",
    "44184": "Saint-Nazaire",
    "44103": "Montoir-de-Bretagne",
    "44052": "Donges",
    "44210": "Trignac",
    "44132": "Pornichet",
    "44116": "Paimboeuf",
    "49007": "Angers",
}
EPCIS = {
    "244400404": "Nantes Métropole",
    "244400644": "CARENE Saint-Nazaire Agglomération",
    "244900015": "Angers Loire Métropole",
}
DEPARTEMENTS = {"44": "Loire-Atlantique", "49": "Maine-et-Loire"}
REGIONS = {"52": "Pays de la Loire"}

EPCI_MEMBERS = {
    "244400404": ["44109", "44162", "44143", "44114", "44020", "44047", "44190", "44215"],
    "244400644": ["44184", "44103", "44052", "44210", "44132"],
    "244900015": ["49007"],
}

ALL = [("commune", c) for c in COMMUNES] + [("epci", c) for c in EPCIS]
ALL += [("departement", c) for c in DEPARTEMENTS] + [("region", c) for c in REGIONS]

NANTES_CENTRE = Point(-1.5536, 47.2184)
SAINT_NAZAIRE_CENTRE = Point(-2.2137, 47.2735)
ANGERS_CENTRE = Point(-0.5540, 47.4736)


def _by_kind(kind: str) -> list[Territory]:
    return [t for t in all_territories() if t.kind == kind]


# ---------------------------------------------------------------------------------------------------------------
# Resolution


def test_bundled_set_is_exactly_the_expected_one() -> None:
    got = {(t.kind, t.code): t.name for t in all_territories()}
    expected = {("commune", c): n for c, n in COMMUNES.items()}
    expected |= {("epci", c): n for c, n in EPCIS.items()}
    expected |= {("departement", c): n for c, n in DEPARTEMENTS.items()}
    expected |= {("region", c): n for c, n in REGIONS.items()}
    assert got == expected
    kinds = [t.kind for t in all_territories()]
    assert kinds == sorted(kinds, key=["region", "departement", "epci", "commune"].index)


@pytest.mark.parametrize(("kind", "code"), ALL)
def test_every_code_resolves_by_every_accepted_form(kind: str, code: str) -> None:
    iri = f"{TERRITORY_NS}{kind}/{code}"
    forms = [f"{kind}:{code}", iri, f"<{iri}>", f"  {kind}:{code}  ", f"{kind.upper()}:{code}"]
    if kind != "region":  # a bare "52" is covered below; the other kinds are unambiguous
        forms.append(code)
    if kind == "commune":
        forms.append(f"insee:{code}")
    if kind == "epci":
        forms.append(f"siren:{code}")
    for form in forms:
        territory = get_territory(form)
        assert (territory.kind, territory.code) == (kind, code), form
        assert find_territory(form) is territory, form
        assert is_territory_ref(form), form
    assert territory.iri == iri


def test_bare_two_digit_code_is_a_departement_then_a_region() -> None:
    assert get_territory("44").kind == "departement"
    assert get_territory("49").kind == "departement"
    # No département 52 (Haute-Marne) is bundled, so bare "52" is the Pays de la Loire région.
    assert get_territory("52").kind == "region"
    assert get_territory("52").name == "Pays de la Loire"
    assert get_territory("region:52") is get_territory("52")
    with pytest.raises(TerritoryError, match="departement:52"):
        get_territory("departement:52")
    # An explicit kind is never reinterpreted.
    assert find_territory("region:44") is None


def test_territory_attributes_iri_label_parents() -> None:
    nantes = get_territory("44109")
    assert nantes.name == "Nantes"
    assert nantes.iri == "https://w3id.org/jnt/territory/commune/44109"
    assert nantes.label() == "Nantes (commune 44109)"
    assert nantes.parents == ("244400404", "44", "52")
    assert get_territory("44116").parents == ("44", "52")  # Paimboeuf: no bundled EPCI
    assert get_territory("244900015").parents == ("49", "52")
    assert get_territory("49").parents == ("52",)
    assert get_territory("52").parents == ()
    assert get_territory("52").label() == "Pays de la Loire (région 52)"
    with pytest.raises(AttributeError):
        nantes.code = "44000"  # type: ignore[misc]


def test_parents_reference_bundled_territories_of_the_right_kinds() -> None:
    for territory in all_territories():
        parent_kinds = [get_territory(p).kind for p in territory.parents]
        expected = {
            "commune": [["epci", "departement", "region"], ["departement", "region"]],
            "epci": [["departement", "region"]],
            "departement": [["region"]],
            "region": [[]],
        }[territory.kind]
        assert parent_kinds in expected, territory.label()
        if territory.kind == "commune":
            assert territory.parents[-2] == territory.code[:2]


@pytest.mark.parametrize(
    "ref",
    ["44999", "commune:44999", "insee:44999", "epci:200000000", "departement:85", "region:53", "85", "2A"],
)
def test_unknown_code_raises_with_the_code_in_the_message(ref: str) -> None:
    assert is_territory_ref(ref)
    assert find_territory(ref) is None
    with pytest.raises(TerritoryError) as info:
        get_territory(ref)
    message = str(info.value)
    assert ref in message
    assert "INSEE commune code" in message and TERRITORY_NS in message


def test_unknown_iri_raises() -> None:
    with pytest.raises(TerritoryError, match="commune/44999"):
        get_territory(f"{TERRITORY_NS}commune/44999")
    with pytest.raises(TerritoryError, match="not a territory reference"):
        get_territory(f"{TERRITORY_NS}canton/4401")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Nantes",
        "4410",
        "441090",
        "commune:44",
        "epci:44109",
        "ville:44109",
        "POINT(-1.55 47.21)",
        '{"type": "Point", "coordinates": [-1.55, 47.21]}',
        "http://id.insee.fr/geo/commune/44109",
        f"{TERRITORY_NS}commune/",
        f"{TERRITORY_NS}quartier/44109",
    ],
)
def test_non_references(text: str) -> None:
    assert not is_territory_ref(text)
    assert find_territory(text) is None
    with pytest.raises(TerritoryError, match="expected an INSEE commune code"):
        get_territory(text)


def test_non_string_references() -> None:
    assert not is_territory_ref(44109)  # type: ignore[arg-type]
    assert find_territory(None) is None  # type: ignore[arg-type]
    with pytest.raises(TerritoryError):
        get_territory(44109)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# Bundled geometries


def test_geometries_are_valid_prepared_polygons_in_the_demo_area() -> None:
    for territory in all_territories():
        geometry = territory.geometry
        assert geometry.geom_type == "Polygon", territory.label()
        assert geometry.is_valid and not geometry.is_empty, territory.label()
        assert shapely.is_prepared(geometry), territory.label()
        minx, miny, maxx, maxy = geometry.bounds
        # Lon first: the whole set lies in western France, longitudes about -2.7..1, latitudes about 46..49.
        assert -2.7 < minx < maxx < 1.0 and 46.0 < miny < maxy < 49.0, territory.label()
        if territory.kind == "commune":
            assert len(geometry.exterior.coords) - 1 >= 8, "communes are outlines, not rectangles"


@pytest.mark.parametrize(
    ("code", "west", "south", "east", "north"),
    [
        ("44109", -1.64, 47.18, -1.48, 47.30),  # Nantes
        ("44184", -2.33, 47.23, -2.17, 47.32),  # Saint-Nazaire
        ("49007", -0.62, 47.43, -0.50, 47.51),  # Angers
    ],
)
def test_commune_extents_are_roughly_real(
    code: str, west: float, south: float, east: float, north: float
) -> None:
    minx, miny, maxx, maxy = get_territory(code).geometry.bounds
    tolerance = 0.02  # about 1.5 to 2 km
    for got, want in zip((minx, miny, maxx, maxy), (west, south, east, north), strict=True):
        assert abs(got - want) < tolerance, (code, got, want)


def test_communes_do_not_overlap() -> None:
    communes = _by_kind("commune")
    assert len(communes) == len(COMMUNES)
    for a, b in combinations(communes, 2):
        overlap = shapely.intersection(a.geometry, b.geometry).area
        assert overlap < 1e-9, f"{a.label()} overlaps {b.label()} by {overlap}"


def test_nantes_metropole_communes_share_borders() -> None:
    # Neighbours touch (common border), so the outlines tile the metropolitan area without gaps between them.
    for a, b in [
        ("44109", "44143"),
        ("44109", "44162"),
        ("44109", "44114"),
        ("44143", "44020"),
        ("44184", "44132"),
    ]:
        assert get_territory(a).geometry.distance(get_territory(b).geometry) < 1e-6, (a, b)


def test_containment_chain() -> None:
    region = get_territory("region:52")
    for epci, members in EPCI_MEMBERS.items():
        for commune in members:
            assert get_territory(epci).geometry.covers(get_territory(commune).geometry), (epci, commune)
            assert get_territory(commune).parents[0] == epci
    for territory in all_territories():
        if territory.kind in ("commune", "epci"):
            departement = get_territory(f"departement:{territory.parents[-2]}")
            assert departement.geometry.covers(territory.geometry), (departement.label(), territory.label())
        if territory.kind != "region":
            assert region.geometry.covers(territory.geometry), territory.label()
    assert get_territory("44").geometry.covers(get_territory("44116").geometry)  # Paimboeuf, no EPCI


def test_departements_and_epcis_do_not_overlap() -> None:
    for kind in ("departement", "epci"):
        for a, b in combinations(_by_kind(kind), 2):
            assert shapely.intersection(a.geometry, b.geometry).area < 1e-9, (a.label(), b.label())


def test_paimboeuf_is_on_the_south_bank_outside_carene() -> None:
    paimboeuf = get_territory("44116").geometry
    assert not get_territory("244400644").geometry.intersects(paimboeuf)
    # South bank: south of Donges, across the estuary.
    assert paimboeuf.bounds[3] < get_territory("44052").geometry.bounds[1]


def test_known_points() -> None:
    assert get_territory("44109").geometry.contains(NANTES_CENTRE)
    assert not get_territory("44143").geometry.contains(NANTES_CENTRE)
    assert get_territory("244400404").geometry.contains(NANTES_CENTRE)
    assert get_territory("44184").geometry.contains(SAINT_NAZAIRE_CENTRE)
    assert get_territory("244400644").geometry.contains(SAINT_NAZAIRE_CENTRE)
    assert not get_territory("244400404").geometry.contains(SAINT_NAZAIRE_CENTRE)
    assert get_territory("49007").geometry.contains(ANGERS_CENTRE)
    assert not get_territory("44").geometry.contains(ANGERS_CENTRE)
    assert get_territory("49").geometry.contains(ANGERS_CENTRE)
    containing = [t.code for t in all_territories() if t.geometry.contains(NANTES_CENTRE)]
    assert containing == ["52", "44", "244400404", "44109"]


def test_data_file_says_it_is_an_approximation() -> None:
    from importlib import resources

    text = (resources.files("policies") / "data" / "territories.geojson").read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 60_000
    document = json.loads(text)
    assert "ADMIN EXPRESS" in document["description"] and "APPROXIMATE" in document["description"]
    assert document["metadata"]["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    for feature in document["features"]:
        assert set(feature["properties"]) == {"code", "kind", "name", "parents"}


# ---------------------------------------------------------------------------------------------------------------
# Geometry parsing

SQUARE_WKT = "POLYGON((-1.6 47.2, -1.5 47.2, -1.5 47.3, -1.6 47.3, -1.6 47.2))"
SQUARE_GEOJSON = {
    "type": "Polygon",
    "coordinates": [[[-1.6, 47.2], [-1.5, 47.2], [-1.5, 47.3], [-1.6, 47.3], [-1.6, 47.2]]],
}


def test_parse_wkt() -> None:
    geometry = parse_geometry(SQUARE_WKT)
    assert geometry.geom_type == "Polygon"
    assert geometry.bounds == pytest.approx((-1.6, 47.2, -1.5, 47.3))
    assert parse_geometry("  point(-1.55 47.21) ").equals(Point(-1.55, 47.21))
    assert parse_geometry("LINESTRING(-1.6 47.2, -1.5 47.3)").geom_type == "LineString"


def test_parse_geosparql_wkt_literal_with_crs84() -> None:
    literal = f"<http://www.opengis.net/def/crs/OGC/1.3/CRS84> {SQUARE_WKT}"
    assert parse_geometry(literal).equals(parse_geometry(SQUARE_WKT))


def test_parse_wkt_with_another_crs_is_refused() -> None:
    # EPSG:4326 in GeoSPARQL means lat/lon order: silently accepting it would swap the axes.
    with pytest.raises(GeometryError, match="unsupported CRS"):
        parse_geometry(f"<http://www.opengis.net/def/crs/EPSG/0/4326> {SQUARE_WKT}")


def test_parse_geojson_text_dict_feature_collection() -> None:
    expected = parse_geometry(SQUARE_WKT)
    assert parse_geometry(json.dumps(SQUARE_GEOJSON)).equals(expected)
    assert parse_geometry(SQUARE_GEOJSON).equals(expected)
    feature = {"type": "Feature", "properties": {"name": "zone"}, "geometry": SQUARE_GEOJSON}
    assert parse_geometry(feature).equals(expected)
    assert parse_geometry(json.dumps(feature)).equals(expected)
    east = {
        "type": "Polygon",
        "coordinates": [[[-1.5, 47.2], [-1.4, 47.2], [-1.4, 47.3], [-1.5, 47.3], [-1.5, 47.2]]],
    }
    collection = {
        "type": "FeatureCollection",
        "features": [feature, {"type": "Feature", "properties": {}, "geometry": east}],
    }
    union = parse_geometry(collection)
    assert union.area == pytest.approx(0.02)
    assert union.bounds == pytest.approx((-1.6, 47.2, -1.4, 47.3))


def test_invalid_polygon_is_repaired() -> None:
    bow_tie = "POLYGON((-1.6 47.2, -1.5 47.3, -1.5 47.2, -1.6 47.3, -1.6 47.2))"
    assert not shapely.from_wkt(bow_tie).is_valid
    repaired = parse_geometry(bow_tie)
    assert repaired.is_valid
    assert repaired.geom_type in ("Polygon", "MultiPolygon")
    assert repaired.area == pytest.approx(0.005)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("POLYGON((-1.6 47.2, -1.5", "invalid WKT"),
        ("this is not a geometry", "invalid WKT"),
        ("POLYGON EMPTY", "empty"),
        ("   ", "empty"),
        ("{not json", "invalid GeoJSON"),
        ('{"type": "Polygon"}', "invalid GeoJSON"),
        ('{"coordinates": [1, 2]}', "invalid GeoJSON"),
        ({"type": "Feature", "geometry": None}, "without geometry"),
        ({"type": "FeatureCollection", "features": []}, "without features"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ("POINT(355000 6689000)", "out of range"),  # Lambert-93 given by mistake
        ("POINT(47.21 -1.55)", None),  # swapped axes still lie in range: accepted, nothing can tell
        (42, "cannot read a geometry from a int"),
        (["POINT(0 0)"], "cannot read a geometry"),
    ],
)
def test_parse_geometry_errors(value: object, message: str | None) -> None:
    if message is None:
        assert parse_geometry(value).geom_type == "Point"  # type: ignore[arg-type]
        return
    with pytest.raises(GeometryError, match=message):
        parse_geometry(value)  # type: ignore[arg-type]


def test_geojson_crs_member() -> None:
    accepted = dict(
        SQUARE_GEOJSON, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    )
    assert parse_geometry(accepted).area == pytest.approx(0.01)
    refused = dict(SQUARE_GEOJSON, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}})
    with pytest.raises(GeometryError, match="EPSG::2154"):
        parse_geometry(refused)


# ---------------------------------------------------------------------------------------------------------------
# resolve_area and bbox_geometry


def test_resolve_area_territory() -> None:
    geometry, label = resolve_area("insee:44109")
    assert geometry is get_territory("44109").geometry
    assert label == "Nantes (commune 44109)"
    assert (
        resolve_area(f"{TERRITORY_NS}epci/244400644")[1]
        == "CARENE Saint-Nazaire Agglomération (EPCI 244400644)"
    )
    with pytest.raises(TerritoryError, match="44999"):
        resolve_area("44999")


def test_resolve_area_geometry() -> None:
    geometry, label = resolve_area(SQUARE_WKT)
    assert geometry.equals(parse_geometry(SQUARE_WKT))
    assert label == "zone WKT (bbox -1.6,47.2,-1.5,47.3)"
    assert resolve_area(SQUARE_GEOJSON)[1] == "zone GeoJSON (bbox -1.6,47.2,-1.5,47.3)"
    assert resolve_area(json.dumps(SQUARE_GEOJSON))[1] == "zone GeoJSON (bbox -1.6,47.2,-1.5,47.3)"
    with pytest.raises(GeometryError, match="nor is it a territory reference"):
        resolve_area("Nantes")


def test_resolved_zone_inside_territory() -> None:
    zone, _ = resolve_area("POLYGON((-1.56 47.21, -1.55 47.21, -1.55 47.22, -1.56 47.22, -1.56 47.21))")
    assert get_territory("44109").geometry.covers(zone)
    assert get_territory("244400404").geometry.covers(zone)
    assert not get_territory("44184").geometry.covers(zone)
    assert not get_territory("44109").geometry.covers(bbox_geometry(-1.7, 47.1, -1.4, 47.35))


def test_bbox_geometry() -> None:
    box = bbox_geometry(-1.6, 47.2, -1.5, 47.3)
    assert box.geom_type == "Polygon"
    assert box.bounds == pytest.approx((-1.6, 47.2, -1.5, 47.3))
    assert box.equals(parse_geometry(SQUARE_WKT))
    assert bbox_geometry(-2, 47, -1, 48).area == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1.5, 47.2, -1.6, 47.3), "minx=-1.5 must be less than maxx=-1.6"),
        ((-1.6, 47.3, -1.5, 47.2), "miny=47.3 must be less than maxy=47.2"),
        ((-1.6, 47.2, -1.6, 47.3), "minx"),
        ((-200.0, 47.2, -1.5, 47.3), "longitude"),
        ((-1.6, 47.2, -1.5, 95.0), "latitude"),
        ((float("nan"), 47.2, -1.5, 47.3), "finite number"),
        (("-1.6", 47.2, -1.5, 47.3), "finite number"),
    ],
)
def test_bbox_geometry_errors(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(GeometryError, match=message):
        bbox_geometry(*args)  # type: ignore[arg-type]
