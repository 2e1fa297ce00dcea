"""Every left operand of the JNT profile, evaluated through the public API (parse → compile → decide), with at
least one permit and one refusal each and the French / English explanation of the refusal checked.

The policies are DSP 2025-1 JSON-LD offers (bare `purpose`, `dateTime`... work thanks to the `@vocab` fix)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import shapely.geometry

from policies import NOT_APPLICABLE, PERMIT, World, compile_policy, parse_policy, request_from_json

DSP = "https://w3id.org/dspace/2025/1/context.jsonld"
CATEGORY = "https://w3id.org/jnt/odrl/recipientCategory"
PUBLIC_BODY = "https://w3id.org/jnt/odrl/category/public-body"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

# A small square around Nantes city centre (-1.5536 47.2184): inside commune 44109, département 44.
NANTES_WKT = "POLYGON((-1.556 47.216, -1.551 47.216, -1.551 47.221, -1.556 47.221, -1.556 47.216))"
NANTES_GEOJSON = {
    "type": "Polygon",
    "coordinates": [
        [[-1.556, 47.216], [-1.551, 47.216], [-1.551, 47.221], [-1.556, 47.221], [-1.556, 47.216]]
    ],
}
NANTES_LABEL = "zone WKT (bbox -1.556,47.216,-1.551,47.221)"
# A larger rectangle over west Nantes, given as GeoJSON in policies.
WEST_NANTES = {
    "type": "Polygon",
    "coordinates": [[[-1.6, 47.2], [-1.5, 47.2], [-1.5, 47.25], [-1.6, 47.25], [-1.6, 47.2]]],
}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def offer(*constraints: dict) -> dict:
    return {
        "@context": [DSP],
        "@id": "urn:test:operands",
        "@type": "Offer",
        "permission": [{"action": "use", "constraint": list(constraints)}],
    }


def c(left: str, operator: str, right) -> dict:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def decide(constraints, request: dict | None = None, world: World | None = None):
    constraints = constraints if isinstance(constraints, list) else [constraints]
    policy = compile_policy(parse_policy(offer(*constraints)))
    return policy.decide(request_from_json(request or {}), world or World(now=NOW))


def assert_permit(decision) -> None:
    assert decision.outcome == PERMIT, decision.explain("en")
    assert decision.permitted
    assert decision.reason == "permitted"
    assert decision.explain("fr")[0].startswith("autorisé : permission « use »")
    assert decision.explain("en")[0].startswith("permitted: permission 'use'")


def assert_refused(decision, fr: str, en: str) -> None:
    """Closed world: no active permission, so the request is not permitted; the summary names the reason."""
    assert decision.outcome == NOT_APPLICABLE, decision.explain("en")
    assert not decision.permitted
    assert decision.reason == "no-applicable-rule"
    summary_fr, summary_en = decision.explain("fr")[0], decision.explain("en")[0]
    assert summary_fr.startswith("refusé : "), summary_fr
    assert summary_en.startswith("denied: "), summary_en
    assert fr in summary_fr, summary_fr
    assert en in summary_en, summary_en
    # The detail lines repeat the failed constraint, marked ✗.
    assert any(line.strip().startswith("✗") and fr in line for line in decision.explain("fr")[1:])


# ------------------------------------------------------------------------------------------------------------
# dateTime


WINDOW = {
    "and": [
        c("dateTime", "gteq", {"@value": "2026-01-01T00:00:00Z", "@type": "xsd:dateTime"}),
        c("dateTime", "lt", {"@value": "2026-07-01T00:00:00Z", "@type": "xsd:dateTime"}),
    ]
}


def test_datetime_window_with_and_permits_inside():
    assert_permit(decide(WINDOW, world=World(now=at(2026, 3, 1))))
    assert_permit(decide(WINDOW, world=World(now=at(2026, 1, 1))))  # gteq: the first instant counts


def test_datetime_window_with_and_refuses_before_start():
    d = decide(WINDOW, world=World(now=at(2025, 12, 31, 23, 59)))
    assert_refused(
        d, "toutes les conditions suivantes (non satisfaite)", "all of the following (not satisfied)"
    )
    assert (
        "la date d'accès '2025-12-31T23:59:00Z' est antérieure au 2026-01-01T00:00:00Z" in d.explain("fr")[0]
    )
    assert "the access date '2025-12-31T23:59:00Z' is before 2026-01-01T00:00:00Z" in d.explain("en")[0]


def test_datetime_window_with_and_refuses_at_end():
    d = decide(WINDOW, world=World(now=at(2026, 7, 1)))
    assert_refused(
        d,
        "la date d'accès '2026-07-01T00:00:00Z' n'est pas antérieure au 2026-07-01T00:00:00Z",
        "the access date '2026-07-01T00:00:00Z' is not before 2026-07-01T00:00:00Z",
    )


OUTSIDE_SUMMER = {
    "or": [
        c("dateTime", "lt", {"@value": "2026-06-01", "@type": "xsd:date"}),
        c("dateTime", "gteq", {"@value": "2026-09-01", "@type": "xsd:date"}),
    ]
}


@pytest.mark.parametrize("now", [at(2026, 5, 31, 23), at(2026, 9, 1), at(2027, 1, 1)])
def test_datetime_or_permits_either_side(now):
    assert_permit(decide(OUTSIDE_SUMMER, world=World(now=now)))


def test_datetime_or_refuses_when_neither_holds():
    d = decide(OUTSIDE_SUMMER, world=World(now=at(2026, 7, 14)))
    assert_refused(
        d,
        "au moins une des conditions suivantes (non satisfaite)",
        "at least one of the following (not satisfied)",
    )
    assert "n'est pas antérieure au 2026-06-01T00:00:00Z" in d.explain("fr")[0]
    assert "est antérieure au 2026-09-01T00:00:00Z" in d.explain("fr")[0]


def test_date_is_midnight_utc_for_lt():
    before_new_year = c("dateTime", "lt", {"@value": "2026-01-01", "@type": "xsd:date"})
    assert_permit(decide(before_new_year, world=World(now=at(2025, 12, 31, 23, 59, 59))))
    assert_refused(
        decide(before_new_year, world=World(now=at(2026, 1, 1))),
        "la date d'accès '2026-01-01T00:00:00Z' n'est pas antérieure au 2026-01-01T00:00:00Z",
        "the access date '2026-01-01T00:00:00Z' is not before 2026-01-01T00:00:00Z",
    )


def test_date_eq_means_the_midnight_instant():
    new_year = c("dateTime", "eq", {"@value": "2026-01-01", "@type": "xsd:date"})
    assert_permit(decide(new_year, world=World(now=at(2026, 1, 1))))
    assert_refused(
        decide(new_year, world=World(now=at(2026, 1, 1, 12))),
        "la date d'accès '2026-01-01T12:00:00Z' n'est pas le 2026-01-01T00:00:00Z",
        "the access date '2026-01-01T12:00:00Z' is not 2026-01-01T00:00:00Z",
    )


def test_untyped_date_string_is_read_as_a_date():
    assert_permit(decide(c("dateTime", "gteq", "2026-01-01"), world=World(now=at(2026, 1, 1))))
    assert_refused(
        decide(c("dateTime", "gteq", "2026-01-01"), world=World(now=at(2025, 12, 31, 23))),
        "est antérieure au 2026-01-01T00:00:00Z",
        "is before 2026-01-01T00:00:00Z",
    )


def test_date_with_offset_and_naive_datetime():
    # 2026-01-01+02:00 starts at 2025-12-31T22:00Z.
    with_offset = c("dateTime", "lt", {"@value": "2026-01-01+02:00", "@type": "xsd:date"})
    assert_permit(decide(with_offset, world=World(now=at(2025, 12, 31, 21, 59))))
    assert_refused(
        decide(with_offset, world=World(now=at(2025, 12, 31, 22, 30))),
        "n'est pas antérieure au 2025-12-31T22:00:00Z",
        "is not before 2025-12-31T22:00:00Z",
    )
    # A date-time without a zone is UTC.
    naive = c("dateTime", "lt", {"@value": "2026-01-01T00:00:00", "@type": "xsd:dateTime"})
    assert_permit(decide(naive, world=World(now=at(2025, 12, 31, 23, 30))))
    assert not decide(naive, world=World(now=at(2026, 1, 1, 0, 30))).permitted


# ------------------------------------------------------------------------------------------------------------
# elapsedTime


THIRTY_DAYS = c("elapsedTime", "lteq", {"@value": "P30D", "@type": "xsd:duration"})
ONE_MONTH = c("elapsedTime", "lteq", {"@value": "P1M", "@type": "xsd:duration"})


def test_elapsed_p30d_permits_up_to_the_thirtieth_day():
    start = at(2026, 1, 31)
    assert_permit(decide(THIRTY_DAYS, world=World(now=at(2026, 2, 15), agreement_start=start)))
    assert_permit(
        decide(THIRTY_DAYS, world=World(now=at(2026, 3, 2), agreement_start=start))
    )  # exactly 30 days


def test_elapsed_p30d_refuses_after():
    d = decide(THIRTY_DAYS, world=World(now=at(2026, 3, 2, 0, 0, 1), agreement_start=at(2026, 1, 31)))
    assert_refused(
        d,
        "la durée écoulée depuis l'accord 'P30DT1S' dépasse P30D",
        "the time elapsed since the agreement 'P30DT1S' exceeds P30D",
    )


def test_elapsed_before_any_agreement_is_zero():
    assert_permit(decide(THIRTY_DAYS, world=World(now=at(2030, 1, 1))))
    assert_refused(
        decide(c("elapsedTime", "gt", "P1D"), world=World(now=at(2030, 1, 1))),
        "la durée écoulée depuis l'accord",
        "the time elapsed since the agreement",
    )


def test_elapsed_p1m_is_a_calendar_month_clamped_to_month_end():
    # values.Elapsed.deadline: start + P1M with the day pinned to the month's last day
    # (XSD dateTime + duration): 2026-01-31 + P1M = 2026-02-28T00:00Z.
    start = at(2026, 1, 31)
    assert_permit(decide(ONE_MONTH, world=World(now=at(2026, 2, 27, 23), agreement_start=start)))
    assert_permit(decide(ONE_MONTH, world=World(now=at(2026, 2, 28), agreement_start=start)))
    assert_refused(
        decide(ONE_MONTH, world=World(now=at(2026, 2, 28, 0, 0, 1), agreement_start=start)),
        "la durée écoulée depuis l'accord 'P28DT1S' dépasse P1M",
        "the time elapsed since the agreement 'P28DT1S' exceeds P1M",
    )
    assert_refused(
        decide(ONE_MONTH, world=World(now=at(2026, 3, 1), agreement_start=start)),
        "'P29D' dépasse P1M",
        "'P29D' exceeds P1M",
    )


def test_elapsed_p1m_differs_from_p30d_in_a_31_day_month():
    # From 2026-01-15 one month ends 2026-02-15 (31 days): 30.5 days later, P1M still holds,
    # P30D no longer does.
    world = World(now=at(2026, 2, 14, 12), agreement_start=at(2026, 1, 15))
    assert_permit(decide(ONE_MONTH, world=world))
    assert_refused(decide(THIRTY_DAYS, world=world), "'P30DT12H' dépasse P30D", "'P30DT12H' exceeds P30D")


# ------------------------------------------------------------------------------------------------------------
# count


FIVE_USES = c("count", "lteq", 5)


@pytest.mark.parametrize("used", [0, 4])
def test_count_lteq_5_permits_the_fifth_use(used):
    assert_permit(decide(FIVE_USES, world=World(now=NOW, count=used)))


def test_count_lteq_5_refuses_the_sixth_use():
    assert_refused(
        decide(FIVE_USES, world=World(now=NOW, count=5)),
        "le nombre d'utilisations '6, en comptant celle-ci' dépasse 5",
        "the number of uses '6, counting this one' exceeds 5",
    )


def test_count_typed_literal_and_lt():
    once = c("count", "lt", {"@value": "2", "@type": "xsd:integer"})
    assert_permit(decide(once, world=World(now=NOW, count=0)))
    assert_refused(
        decide(once, world=World(now=NOW, count=1)),
        "le nombre d'utilisations '2, en comptant celle-ci' n'est pas inférieur à 2",
        "the number of uses '2, counting this one' is not less than 2",
    )


# ------------------------------------------------------------------------------------------------------------
# purpose


FLOOD_ONLY = c("purpose", "isAnyOf", ["flood-risk-simulation"])


def test_purpose_isanyof_permits_the_listed_purpose():
    assert_permit(decide(FLOOD_ONLY, {"purpose": "flood-risk-simulation"}))
    assert_permit(decide(FLOOD_ONLY, {"purpose": "https://w3id.org/jnt/purpose/flood-risk-simulation"}))


def test_purpose_isanyof_refuses_another_purpose():
    assert_refused(
        decide(FLOOD_ONLY, {"purpose": "urban-planning"}),
        "la finalité 'urban-planning' n'est pas dans {flood-risk-simulation}",
        "the purpose 'urban-planning' is not in {flood-risk-simulation}",
    )


def test_purpose_isanyof_does_not_follow_the_hierarchy():
    assert_refused(
        decide(c("purpose", "isAnyOf", ["risk-management"]), {"purpose": "flood-risk-simulation"}),
        "la finalité 'flood-risk-simulation' n'est pas dans {risk-management}",
        "the purpose 'flood-risk-simulation' is not in {risk-management}",
    )


@pytest.mark.parametrize("purpose", ["flood-risk-simulation", "crisis-management", "risk-management"])
def test_purpose_isa_follows_the_broader_hierarchy(purpose):
    assert_permit(decide(c("purpose", "isA", "risk-management"), {"purpose": purpose}))
    assert_permit(
        decide(
            c("purpose", "isPartOf", {"@id": "https://w3id.org/jnt/purpose/risk-management"}),
            {"purpose": purpose},
        )
    )


def test_purpose_isa_refuses_outside_the_hierarchy():
    assert_refused(
        decide(c("purpose", "isA", "risk-management"), {"purpose": "urban-planning"}),
        "la finalité 'urban-planning' ne relève pas de risk-management",
        "the purpose 'urban-planning' is not a risk-management",
    )


def test_purpose_isa_dpv_parent():
    assert_permit(
        decide(
            c("purpose", "isA", {"@id": "https://w3id.org/dpv#ResearchAndDevelopment"}),
            {"purpose": "research"},
        )
    )
    assert_refused(
        decide(c("purpose", "isA", "dpv:ResearchAndDevelopment"), {"purpose": "crisis-management"}),
        "'crisis-management' ne relève pas de dpv:ResearchAndDevelopment",
        "'crisis-management' is not a dpv:ResearchAndDevelopment",
    )


# ------------------------------------------------------------------------------------------------------------
# recipientCategory


def test_category_public_permitted_private_refused():
    public_only = c(CATEGORY, "eq", {"@id": PUBLIC_BODY})
    assert_permit(decide(public_only, {"category": "public"}))
    assert_permit(decide(public_only, {"recipientCategory": "public-body"}))
    assert_refused(
        decide(public_only, {"category": "private"}),
        "la catégorie du destinataire 'entreprise privée' ne vaut pas organisme public",
        "the recipient category 'private company' is not public body",
    )


def test_category_by_short_name_isanyof_and_neq():
    assert_permit(decide(c(CATEGORY, "isAnyOf", ["public", "private"]), {"category": "private"}))
    assert_permit(decide(c(CATEGORY, "neq", "private"), {"category": "public"}))
    assert_refused(
        decide(c(CATEGORY, "isNoneOf", ["private"]), {"category": "private"}),
        "la catégorie du destinataire 'entreprise privée' est dans {entreprise privée}",
        "the recipient category 'private company' is in {private company}",
    )


def test_category_compact_jnt_iri_with_declared_prefix():
    doc = offer(c("jnt:recipientCategory", "eq", "jnt:category/public-body"))
    doc["@context"] = [DSP, {"jnt": "https://w3id.org/jnt/odrl/"}]
    policy = compile_policy(parse_policy(doc))
    assert_permit(policy.decide(request_from_json({"category": "public"}), World(now=NOW)))
    assert not policy.decide(request_from_json({"category": "private"}), World(now=NOW)).permitted


def test_category_compact_jnt_iri_without_declared_prefix():
    assert_permit(
        decide(c("jnt:recipientCategory", "eq", "jnt:category/public-body"), {"category": "public"})
    )


# ------------------------------------------------------------------------------------------------------------
# recipient


NAMED = c(
    "recipient", "isAnyOf", [{"@id": "did:web:nantes-metropole.example"}, {"@id": "did:web:carene.example"}]
)


def test_recipient_isanyof_permits_a_named_did():
    assert_permit(decide(NAMED, {"assignee": "did:web:carene.example"}))


def test_recipient_isanyof_refuses_another_did():
    assert_refused(
        decide(NAMED, {"assignee": "did:web:someone.example"}),
        "le destinataire 'did:web:someone.example' n'est pas dans "
        "{did:web:nantes-metropole.example, did:web:carene.example}",
        "the recipient 'did:web:someone.example' is not in "
        "{did:web:nantes-metropole.example, did:web:carene.example}",
    )


def test_recipient_eq_and_isnoneof():
    assert_permit(
        decide(c("recipient", "eq", {"@id": "did:web:a.example"}), {"assignee": "did:web:a.example"})
    )
    blocked = c("recipient", "isNoneOf", [{"@id": "did:web:banned.example"}])
    assert_permit(decide(blocked, {"assignee": "did:web:a.example"}))
    assert_refused(
        decide(blocked, {"assignee": "did:web:banned.example"}),
        "le destinataire 'did:web:banned.example' est dans {did:web:banned.example}",
        "the recipient 'did:web:banned.example' is in {did:web:banned.example}",
    )


# ------------------------------------------------------------------------------------------------------------
# spatial


@pytest.mark.parametrize(
    "territory",
    [
        "44109",
        "insee:44109",
        {"@id": "https://w3id.org/jnt/territory/commune/44109"},
        "44",
        "departement:44",
        "244400404",
        "52",
    ],
)
def test_spatial_area_inside_nantes_is_part_of_its_territories(territory):
    assert_permit(decide(c("spatial", "isPartOf", territory), {"area": NANTES_WKT}))


def test_spatial_area_in_nantes_refused_for_saint_nazaire():
    assert_refused(
        decide(c("spatial", "isPartOf", "44184"), {"area": NANTES_WKT}),
        f"l'emprise demandée '{NANTES_LABEL}' n'est pas incluse dans Saint-Nazaire (commune 44184)",
        f"the requested area '{NANTES_LABEL}' does not lie within Saint-Nazaire (commune 44184)",
    )


def test_spatial_named_request_territory():
    assert_permit(decide(c("spatial", "isPartOf", "44"), {"territory": "44184"}))
    assert_refused(
        decide(c("spatial", "isPartOf", "44109"), {"territory": "44184"}),
        "l'emprise demandée 'Saint-Nazaire (commune 44184)' n'est pas incluse dans Nantes (commune 44109)",
        "the requested area 'Saint-Nazaire (commune 44184)' does not lie within Nantes (commune 44109)",
    )
    # Loire-Atlantique is not inside Nantes.
    assert not decide(c("spatial", "isPartOf", "44109"), {"territory": "44"}).permitted


def test_spatial_isanyof_any_territory_covering_the_area():
    assert_permit(decide(c("spatial", "isAnyOf", ["44184", "44109"]), {"area": NANTES_WKT}))
    assert_refused(
        decide(c("spatial", "isAnyOf", ["44184", "49007"]), {"area": NANTES_WKT}),
        "n'est pas dans {Saint-Nazaire (commune 44184), Angers (commune 49007)}",
        "is not in {Saint-Nazaire (commune 44184), Angers (commune 49007)}",
    )


def test_spatial_isnoneof():
    assert_permit(decide(c("spatial", "isNoneOf", ["44184"]), {"area": NANTES_WKT}))
    assert_refused(
        decide(c("spatial", "isNoneOf", ["44109"]), {"area": NANTES_WKT}),
        f"l'emprise demandée '{NANTES_LABEL}' est dans {{Nantes (commune 44109)}}",
        f"the requested area '{NANTES_LABEL}' is in {{Nantes (commune 44109)}}",
    )


def test_spatial_geojson_json_literal_right_operand():
    west = c("spatial", "isPartOf", {"@value": WEST_NANTES, "@type": "@json"})
    assert_permit(decide(west, {"area": NANTES_WKT}))
    assert_permit(decide(west, {"area": NANTES_GEOJSON}))
    assert_refused(
        decide(west, {"territory": "44184"}),
        "l'emprise demandée 'Saint-Nazaire (commune 44184)' n'est pas incluse dans "
        "zone GeoJSON (bbox -1.6,47.2,-1.5,47.25)",
        "the requested area 'Saint-Nazaire (commune 44184)' does not lie within "
        "zone GeoJSON (bbox -1.6,47.2,-1.5,47.25)",
    )


def test_spatial_wkt_right_operand():
    wkt = c("spatial", "isPartOf", "POLYGON((-1.6 47.2, -1.5 47.2, -1.5 47.25, -1.6 47.25, -1.6 47.2))")
    assert_permit(decide(wkt, {"area": NANTES_GEOJSON}))
    assert not decide(wkt, {"territory": "44109"}).permitted  # the commune is larger than the rectangle


def test_spatial_eq_and_haspart():
    assert_permit(decide(c("spatial", "eq", "44109"), {"territory": "44109"}))
    assert_refused(
        decide(c("spatial", "eq", "44109"), {"territory": "44"}),
        "l'emprise demandée 'Loire-Atlantique (département 44)' ne vaut pas Nantes (commune 44109)",
        "the requested area 'Loire-Atlantique (département 44)' is not Nantes (commune 44109)",
    )
    assert_permit(decide(c("spatial", "hasPart", "44109"), {"territory": "44"}))
    assert_refused(
        decide(c("spatial", "hasPart", "44"), {"territory": "44109"}),
        "ne contient pas Loire-Atlantique (département 44)",
        "does not contain Loire-Atlantique (département 44)",
    )


# ------------------------------------------------------------------------------------------------------------
# industry, deliveryChannel, fileFormat


def test_industry():
    assert_permit(decide(c("industry", "eq", "public-administration"), {"industry": "public-administration"}))
    assert_permit(decide(c("industry", "isAnyOf", ["research", "utilities"]), {"industry": "utilities"}))
    assert_refused(
        decide(c("industry", "isAnyOf", ["research", "utilities"]), {"industry": "insurance"}),
        "le secteur d'activité 'insurance' n'est pas dans {research, utilities}",
        "the industry 'insurance' is not in {research, utilities}",
    )
    assert_permit(decide(c("industry", "isNoneOf", ["insurance"]), {"industry": "utilities"}))
    assert_refused(
        decide(c("industry", "isNoneOf", ["insurance"]), {"industry": "insurance"}),
        "le secteur d'activité 'insurance' est dans {insurance}",
        "the industry 'insurance' is in {insurance}",
    )
    assert_refused(
        decide(c("industry", "eq", "research"), {"industry": "insurance"}),
        "le secteur d'activité 'insurance' ne vaut pas research",
        "the industry 'insurance' is not research",
    )


def test_delivery_channel():
    assert_permit(decide(c("deliveryChannel", "eq", "http-pull"), {"deliveryChannel": "http-pull"}))
    assert_permit(
        decide(
            c("deliveryChannel", "eq", {"@id": "https://w3id.org/jnt/odrl/channel/http-push"}),
            {"deliveryChannel": "http-push"},
        )
    )
    assert_permit(
        decide(c("deliveryChannel", "isAnyOf", ["http-pull", "http-push"]), {"deliveryChannel": "http-push"})
    )
    assert_refused(
        decide(c("deliveryChannel", "isAnyOf", ["http-pull"]), {"deliveryChannel": "stream"}),
        "le canal de livraison 'stream' n'est pas dans {http-pull}",
        "the delivery channel 'stream' is not in {http-pull}",
    )
    assert_permit(decide(c("deliveryChannel", "isNoneOf", ["stream"]), {"deliveryChannel": "http-pull"}))
    assert_refused(
        decide(c("deliveryChannel", "isNoneOf", ["stream"]), {"deliveryChannel": "stream"}),
        "le canal de livraison 'stream' est dans {stream}",
        "the delivery channel 'stream' is in {stream}",
    )


def test_file_format():
    assert_permit(
        decide(c("fileFormat", "eq", "application/geo+json"), {"fileFormat": "application/geo+json"})
    )
    assert_permit(
        decide(
            c("fileFormat", "eq", "https://www.iana.org/assignments/media-types/text/csv"),
            {"fileFormat": "TEXT/CSV"},
        )
    )
    geo_or_csv = c("fileFormat", "isAnyOf", ["application/geo+json", "text/csv"])
    assert_permit(decide(geo_or_csv, {"fileFormat": "text/csv"}))
    assert_refused(
        decide(geo_or_csv, {"fileFormat": "application/pdf"}),
        "le format de fichier 'application/pdf' n'est pas dans {application/geo+json, text/csv}",
        "the file format 'application/pdf' is not in {application/geo+json, text/csv}",
    )
    assert_permit(decide(c("fileFormat", "isNoneOf", ["text/csv"]), {"fileFormat": "application/geo+json"}))
    assert_refused(
        decide(c("fileFormat", "isNoneOf", ["text/csv"]), {"fileFormat": "text/csv"}),
        "le format de fichier 'text/csv' est dans {text/csv}",
        "the file format 'text/csv' is in {text/csv}",
    )
    assert_refused(
        decide(c("fileFormat", "eq", "text/csv"), {"fileFormat": "application/geo+json"}),
        "le format de fichier 'application/geo+json' ne vaut pas text/csv",
        "the file format 'application/geo+json' is not text/csv",
    )


# ------------------------------------------------------------------------------------------------------------
# Missing request values: every operator of every request-fed operand fails closed


_RIGHT_VALUES = {
    "purpose": ("la finalité", "the purpose", "flood-risk-simulation"),
    CATEGORY: ("la catégorie du destinataire", "the recipient category", "public"),
    "recipient": ("le destinataire", "the recipient", {"@id": "did:web:a.example"}),
    "spatial": ("l'emprise demandée", "the requested area", "44109"),
    "industry": ("le secteur d'activité", "the industry", "research"),
    "deliveryChannel": ("le canal de livraison", "the delivery channel", "http-pull"),
    "fileFormat": ("le format de fichier", "the file format", "text/csv"),
}
_OPERATORS = {
    "purpose": ["eq", "neq", "isA", "hasPart", "isPartOf", "isAllOf", "isAnyOf", "isNoneOf"],
    CATEGORY: ["eq", "neq", "isPartOf", "isAnyOf", "isNoneOf"],
    "recipient": ["eq", "neq", "isPartOf", "isAnyOf", "isNoneOf"],
    "spatial": ["eq", "neq", "hasPart", "isPartOf", "isAnyOf", "isNoneOf"],
    "industry": ["eq", "neq", "isPartOf", "isAnyOf", "isNoneOf"],
    "deliveryChannel": ["eq", "neq", "isPartOf", "isAnyOf", "isNoneOf"],
    "fileFormat": ["eq", "neq", "isPartOf", "isAnyOf", "isNoneOf"],
}


@pytest.mark.parametrize(("left", "operator"), [(left, op) for left, ops in _OPERATORS.items() for op in ops])
def test_missing_request_value_fails_closed(left, operator):
    label_fr, label_en, right = _RIGHT_VALUES[left]
    d = decide(c(left, operator, right), {})
    agreement = "e" if label_fr.startswith(("la ", "l'emprise")) else ""  # French gender of the operand's label
    assert_refused(
        d,
        f"{label_fr} n'est pas renseigné{agreement} dans la demande (attendu : {operator} ",
        f"{label_en} is not given in the request (expected: {operator} ",
    )
    constraint = d.to_json("fr")["rules"][0]["constraints"][0]
    assert constraint["satisfied"] is False
    assert constraint["value"] is None


def test_missing_value_does_not_hide_a_present_one():
    d = decide([FLOOD_ONLY, c("fileFormat", "eq", "text/csv")], {"purpose": "flood-risk-simulation"})
    assert_refused(
        d, "le format de fichier n'est pas renseigné", "the file format is not given in the request"
    )
    assert "finalité" not in d.explain("fr")[0]  # only the failed constraint is in the summary
    lines = d.explain("fr")
    assert "  ✓ la finalité 'flood-risk-simulation' est dans {flood-risk-simulation}" in lines


def test_decision_json_shape():
    data = decide(FLOOD_ONLY, {"purpose": "urban-planning"}).to_json("en")
    assert data["decision"] == "not-applicable"
    assert data["permitted"] is False
    assert data["reason"] == "no-applicable-rule"
    assert data["policy"] == "urn:test:operands"
    (rule,) = data["rules"]
    assert rule["kind"] == "permission" and rule["action"] == "use" and rule["applies"] and not rule["active"]
    assert rule["constraints"][0] == {
        "leftOperand": "purpose",
        "operator": "isAnyOf",
        "rightOperand": ["flood-risk-simulation"],
        "value": "urban-planning",
        "satisfied": False,
        "text": "the purpose 'urban-planning' is not in {flood-risk-simulation}",
    }


def test_permitted_area_is_the_union_of_matching_permissions_spatial_constraints():
    doc = offer(c("spatial", "isPartOf", "44109"))
    west_json = {"@value": WEST_NANTES, "@type": "@json"}
    doc["permission"].append({"action": "use", "constraint": [c("spatial", "isPartOf", west_json)]})
    doc["permission"].append({"action": "modify", "constraint": [c("spatial", "isPartOf", "44184")]})
    policy = compile_policy(parse_policy(doc))
    area = policy.permitted_area(request_from_json({}), World(now=NOW))
    assert area is not None
    west = shapely.geometry.shape(WEST_NANTES)
    assert area.geometry.covers(west) and area.geometry.area > west.area  # commune 44109 ∪ west rectangle
    saint_nazaire_point = shapely.geometry.Point(-2.21, 47.27)
    assert not area.geometry.covers(saint_nazaire_point)  # the `modify` rule does not apply to a `use` request


def test_permitted_area_none_without_spatial_restriction_or_matching_rule():
    unrestricted = compile_policy(parse_policy(offer(c("purpose", "eq", "flood-risk-simulation"))))
    assert unrestricted.permitted_area(request_from_json({}), World(now=NOW)) is None
    only_modify = offer(c("spatial", "isPartOf", "44109"))
    only_modify["permission"][0]["action"] = "modify"
    assert compile_policy(parse_policy(only_modify)).permitted_area(request_from_json({}), World(now=NOW)) is None


def test_two_spatial_constraints_on_one_rule_intersect():
    policy = compile_policy(parse_policy(offer(c("spatial", "isPartOf", "44109"),
                                                   c("spatial", "isPartOf", {"@value": WEST_NANTES, "@type": "@json"}))))
    area = policy.permitted_area(request_from_json({}), World(now=NOW))
    assert area.geometry.within(shapely.geometry.shape(WEST_NANTES).buffer(1e-9))
