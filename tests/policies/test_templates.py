"""Offer templates from the licence (C5) and access mode (C7) criteria: every template and every restriction
parameter both permits and refuses, returns the right duties, refuses invalid combinations, and writes a valid
DSP 2025-1 offer (checked against the official JSON schema)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from policies import DENY, PERMIT, PolicyError, World, compile_policy, request_from_json
from policies.serialize import to_jsonld
from policies.templates import Restrictions, describe_policy, offer_template

ODRL = "http://www.w3.org/ns/odrl/2/"
CC = "http://creativecommons.org/ns#"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONTRACT_SCHEMA = SHARED / "spec" / "dsp-2025-1" / "negotiation" / "contract-schema.json"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
NANTES_WKT = "POLYGON((-1.556 47.216, -1.551 47.216, -1.551 47.221, -1.556 47.221, -1.556 47.216))"
DID_A, DID_B = "did:web:nantes-metropole.example", "did:web:other.example"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def restricted(**params) -> object:
    return offer_template("restricted", "restricted", Restrictions(**params), uid="urn:offer:restricted")


def decide(policy, request: dict | None = None, world: World | None = None):
    return compile_policy(policy).decide(request_from_json(request or {}), world or World(now=NOW))


def duty_actions(decision) -> list[str]:
    return sorted(d.duty.action.iri for d in decision.duties)


def assert_not_permitted(decision, fragment_fr: str | None = None) -> None:
    assert not decision.permitted, decision.explain("en")
    if fragment_fr:
        assert fragment_fr in decision.explain("fr")[0], decision.explain("fr")[0]


# ------------------------------------------------------------------------------------------------------------
# Open licences, public access


@pytest.mark.parametrize("licence", ["etalab-2.0", "cc-by-4.0"])
def test_attribution_licences(licence):
    offer = offer_template(licence, "public", uid=f"urn:offer:{licence}")
    d = decide(offer, {"action": "use"})
    assert d.outcome == PERMIT
    assert duty_actions(d) == [ODRL + "attribute"]
    assert d.explain("fr")[0].endswith("; devoirs : citer la source (attribution)")
    assert decide(offer, {"action": "distribute"}).outcome == PERMIT  # distribute is included in use
    assert_not_permitted(
        decide(offer, {"action": "sell"}), "l'action demandée 'sell' n'est pas couverte par 'use'"
    )


def test_odbl_share_alike_on_derive():
    offer = offer_template("odbl-1.0", "public", uid="urn:offer:odbl")
    used = decide(offer, {"action": "read"})
    assert used.outcome == PERMIT and duty_actions(used) == [ODRL + "attribute"]
    derived = decide(offer, {"action": "derive"})
    assert derived.outcome == PERMIT
    assert CC + "ShareAlike" in duty_actions(derived) and ODRL + "attribute" in duty_actions(derived)
    assert "partager à l'identique les bases dérivées" in derived.explain("fr")[0]
    assert "share derived databases alike" in derived.explain("en")[0]
    assert_not_permitted(decide(offer, {"action": "sell"}))


def test_cc0_has_no_duty():
    offer = offer_template("cc0-1.0", "public", uid="urn:offer:cc0")
    d = decide(offer)
    assert d.outcome == PERMIT and d.duties == []
    assert d.explain("en")[0] == "permitted: permission 'use' applies"
    assert_not_permitted(decide(offer, {"action": "sell"}))


@pytest.mark.parametrize(
    ("key", "iri"),
    [
        ("etalab", "https://spdx.org/licenses/etalab-2.0.html"),
        ("https://spdx.org/licenses/etalab-2.0", "https://spdx.org/licenses/etalab-2.0.html"),
        ("odbl", "http://publications.europa.eu/resource/authority/licence/ODC_BL"),
        ("CC-BY-4.0", "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"),
        ("http://publications.europa.eu/resource/authority/licence/CC0", "http://publications.europa.eu/resource/authority/licence/CC0"),
    ],
)
def test_licence_aliases_and_metadata(key, iri):
    offer = offer_template(key, "PUBLIC", uid="urn:offer:alias")
    assert offer.metadata == {
        "licence": iri,
        "accessRights": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
    }
    assert offer.type == "Offer" and offer.profiles == ("https://w3id.org/jnt/odrl/profile/2025-1",)


# ------------------------------------------------------------------------------------------------------------
# Restricted access, parameter by parameter


def test_categories():
    offer = restricted(categories=["public"])
    assert decide(offer, {"category": "public"}).outcome == PERMIT
    assert_not_permitted(
        decide(offer, {"category": "private"}),
        "la catégorie du destinataire 'entreprise privée' n'est pas dans {organisme public}",
    )
    assert_not_permitted(decide(offer), "la catégorie du destinataire n'est pas renseigné")
    both = restricted(categories=["public", "private-company"])
    assert decide(both, {"category": "private"}).permitted


def test_recipients():
    offer = restricted(recipients=[DID_A])
    assert decide(offer, {"assignee": DID_A}).outcome == PERMIT
    assert_not_permitted(
        decide(offer, {"assignee": DID_B}), f"le destinataire '{DID_B}' n'est pas dans {{{DID_A}}}"
    )


def test_purposes():
    offer = restricted(purposes=["flood-risk-simulation", "crisis-management"])
    assert decide(offer, {"purpose": "crisis-management"}).outcome == PERMIT
    assert_not_permitted(
        decide(offer, {"purpose": "urban-planning"}),
        "la finalité 'urban-planning' n'est pas dans {flood-risk-simulation, crisis-management}",
    )


def test_validity_window():
    offer = restricted(valid_from=at(2026, 1, 1), valid_until=at(2027, 1, 1))
    assert decide(offer, world=World(now=at(2026, 1, 1))).outcome == PERMIT
    assert decide(offer, world=World(now=at(2026, 12, 31, 23, 59))).outcome == PERMIT
    assert_not_permitted(
        decide(offer, world=World(now=at(2025, 12, 31))),
        "la date d'accès '2025-12-31T00:00:00Z' est antérieure au 2026-01-01T00:00:00Z",
    )
    assert_not_permitted(
        decide(offer, world=World(now=at(2027, 1, 1))),  # the end is excluded
        "n'est pas antérieure au 2027-01-01T00:00:00Z",
    )


def test_validity_open_ended():
    since = restricted(valid_from=at(2026, 1, 1))
    assert decide(since, world=World(now=at(2030, 1, 1))).permitted
    assert not decide(since, world=World(now=at(2025, 1, 1))).permitted
    until = restricted(valid_until=at(2026, 1, 1))
    assert decide(until, world=World(now=at(2025, 1, 1))).permitted
    assert not decide(until, world=World(now=at(2026, 1, 1))).permitted


def test_duration_from_the_agreement():
    offer = restricted(duration="P30D")
    start = at(2026, 2, 1)
    assert decide(offer, world=World(now=at(2026, 3, 3), agreement_start=start)).outcome == PERMIT
    assert decide(offer, world=World(now=at(2030, 1, 1))).permitted  # at negotiation nothing has elapsed
    assert_not_permitted(
        decide(offer, world=World(now=at(2026, 3, 4), agreement_start=start)),
        "la durée écoulée depuis l'accord 'P31D' dépasse P30D",
    )


def test_max_count():
    offer = restricted(max_count=3)
    assert decide(offer, world=World(now=NOW, count=2)).outcome == PERMIT
    assert_not_permitted(
        decide(offer, world=World(now=NOW, count=3)),
        "le nombre d'utilisations '4, en comptant celle-ci' dépasse 3",
    )


def test_territories():
    offer = restricted(territories=["44109"])
    assert decide(offer, {"area": NANTES_WKT}).outcome == PERMIT
    assert decide(offer, {"territory": "44109"}).outcome == PERMIT
    assert_not_permitted(
        decide(offer, {"territory": "44184"}),
        "l'emprise demandée 'Saint-Nazaire (commune 44184)' n'est pas incluse dans Nantes (commune 44109)",
    )
    assert_not_permitted(decide(offer), "l'emprise demandée n'est pas renseigné")
    estuary = restricted(territories=["244400404", "epci:244400644"])
    assert decide(estuary, {"territory": "44184"}).permitted
    assert not decide(estuary, {"territory": "49007"}).permitted


def test_actions():
    offer = restricted(actions=["aggregate"])
    assert [r.action.iri for r in offer.permissions] == [ODRL + "aggregate"]
    assert decide(offer, {"action": "aggregate"}).outcome == PERMIT
    assert_not_permitted(
        decide(offer, {"action": "read"}), "l'action demandée 'read' n'est pas couverte par 'aggregate'"
    )
    several = restricted(actions=["read", "odrl:print"])
    assert decide(several, {"action": "print"}).permitted and decide(several, {"action": "read"}).permitted
    assert not decide(several, {"action": "distribute"}).permitted


def test_no_distribute():
    offer = restricted(purposes=["flood-risk-simulation"], no_distribute=True)
    assert [r.action.iri for r in offer.prohibitions] == [ODRL + "distribute"]
    assert decide(offer, {"purpose": "flood-risk-simulation"}).outcome == PERMIT
    d = decide(offer, {"action": "distribute", "purpose": "flood-risk-simulation"})
    assert not d.permitted
    # Outside the permission's conditions the prohibition alone applies.
    d = decide(offer, {"action": "distribute", "purpose": "urban-planning"})
    assert d.outcome == DENY and d.reason == "prohibited"
    only = restricted(no_distribute=True)
    assert decide(only).permitted and not decide(only, {"action": "distribute"}).permitted


def test_no_distribute_is_a_clean_prohibition():
    offer = restricted(purposes=["flood-risk-simulation"], no_distribute=True)
    request = {"action": "distribute", "purpose": "flood-risk-simulation"}
    assert decide(offer, request).outcome == DENY
    opened = compile_policy(offer).decide(request_from_json(request), World(now=NOW), behaviour="open")
    assert not opened.permitted


def test_delete_at_end_with_an_end_date():
    offer = restricted(valid_until=at(2027, 1, 1), delete_at_end=True)
    d = decide(offer)
    assert d.outcome == PERMIT
    (delete,) = d.duties
    assert delete.duty.action.iri == ODRL + "delete"
    assert not delete.active and not delete.blocking  # due only at the end
    assert "supprimer les données (pas encore applicable)" in d.explain("fr")[-1]
    assert d.to_json("en")["duties"][0]["conditions"] == [
        "the access date is at the earliest 2027-01-01T00:00:00Z"
    ]


def test_delete_at_end_with_a_duration():
    offer = restricted(duration="P1Y", delete_at_end=True)
    start = at(2026, 1, 1)
    d = decide(offer, world=World(now=at(2026, 6, 1), agreement_start=start))
    assert d.outcome == PERMIT and duty_actions(d) == [ODRL + "delete"]
    assert not d.duties[0].active
    at_end = decide(offer, world=World(now=at(2027, 1, 1), agreement_start=start))
    assert at_end.outcome == PERMIT and at_end.duties[0].active and not at_end.duties[0].blocking
    assert_not_permitted(decide(offer, world=World(now=at(2027, 1, 2), agreement_start=start)), "dépasse P1Y")


def test_restricted_with_every_parameter():
    offer = offer_template(
        "restricted",
        "restricted",
        Restrictions(
            categories=["public"],
            recipients=[DID_A],
            purposes=["flood-risk-simulation"],
            valid_from=at(2026, 1, 1),
            valid_until=at(2027, 1, 1),
            max_count=10,
            territories=["44"],
            actions=["read"],
            no_distribute=True,
            delete_at_end=True,
        ),
        uid="urn:offer:all",
        target="urn:data:flood",
        assigner="did:web:provider.example",
    )
    ok = {
        "action": "read",
        "assignee": DID_A,
        "category": "public",
        "purpose": "flood-risk-simulation",
        "area": NANTES_WKT,
        "target": "urn:data:flood",
    }
    d = decide(offer, ok)
    assert d.outcome == PERMIT and duty_actions(d) == [ODRL + "delete"]
    for key, value in [
        ("assignee", DID_B),
        ("category", "private"),
        ("purpose", "research"),
        ("area", "POLYGON((-0.6 47.45, -0.55 47.45, -0.55 47.5, -0.6 47.5, -0.6 47.45))"),
        ("target", "urn:data:other"),
    ]:
        assert not decide(offer, {**ok, key: value}).permitted, key
    assert not decide(offer, ok, World(now=NOW, count=10)).permitted


def test_non_public_with_recipients():
    offer = offer_template("restricted", "non-public", Restrictions(recipients=[DID_A]), uid="urn:offer:np")
    assert offer.metadata["accessRights"].endswith("/NON_PUBLIC")
    assert decide(offer, {"assignee": DID_A}).outcome == PERMIT
    assert_not_permitted(decide(offer, {"assignee": DID_B}), f"le destinataire '{DID_B}' n'est pas dans")
    assert_not_permitted(decide(offer), "le destinataire n'est pas renseigné")


def test_open_licence_with_restricted_access():
    offer = offer_template(
        "cc-by-4.0", "restricted", Restrictions(categories=["public"]), uid="urn:offer:ccby-r"
    )
    d = decide(offer, {"category": "public"})
    assert d.outcome == PERMIT and duty_actions(d) == [ODRL + "attribute"]
    assert not decide(offer, {"category": "private"}).permitted


def test_generated_uid_target_and_assigner():
    offer = offer_template("etalab-2.0", "public", target="urn:data:x", assigner="did:web:p.example")
    assert offer.uid.startswith("urn:uuid:")
    assert [t.iri for t in offer.targets] == ["urn:data:x"] and [a.iri for a in offer.assigners] == [
        "did:web:p.example"
    ]
    assert offer_template("etalab-2.0", "public").uid != offer.uid
    assert decide(offer, {"target": "urn:data:x"}).permitted
    assert not decide(offer, {"target": "urn:data:y"}).permitted


@pytest.fixture
def local_time_one_hour_east(monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    monkeypatch.setenv("TZ", "XYZ-1")  # POSIX TZ: one hour east of UTC, no tz database needed
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_naive_validity_dates_are_utc(local_time_one_hour_east):
    offer = restricted(valid_from=datetime(2026, 1, 1))
    (constraint,) = offer.permissions[0].constraints
    assert constraint.right_operand[0].lexical == "2026-01-01T00:00:00Z"


# ------------------------------------------------------------------------------------------------------------
# Descriptions


def test_describe_policy():
    assert describe_policy(offer_template("etalab-2.0", "public", uid="urn:o"), "fr") == [
        "Permis : utiliser; devoirs : citer la source (attribution)"
    ]
    assert describe_policy(offer_template("cc0-1.0", "public", uid="urn:o"), "en") == ["Permitted: use"]
    odbl = describe_policy(offer_template("odbl-1.0", "public", uid="urn:o"), "fr")
    assert odbl[1] == (
        "Permis : dériver; devoirs : citer la source (attribution), "
        "partager à l'identique les bases dérivées"
    )
    text = describe_policy(restricted(purposes=["research"], max_count=2, no_distribute=True), "en")
    assert text == [
        "Permitted: use — if the purpose is in {research} and the number of uses is at most 2",
        "Prohibited: distribute",
    ]
    deletion = describe_policy(restricted(duration="P1Y", delete_at_end=True), "fr")[0]
    assert deletion.endswith(
        "devoirs : supprimer les données (quand la durée écoulée depuis l'accord est au moins P1Y)"
    )


# ------------------------------------------------------------------------------------------------------------
# Invalid combinations


def _codes(*args, **kwargs) -> list[str]:
    with pytest.raises(PolicyError) as info:
        offer_template(*args, **kwargs)
    for p in info.value.problems:
        assert p.message_fr and p.message_en
    return [p.code for p in info.value.problems]


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (("restricted", "public"), ["licence-access-mismatch"]),
        (("etalab-2.0", "public", Restrictions(purposes=["research"])), ["public-with-restrictions"]),
        (
            ("restricted", "public", Restrictions(max_count=2)),
            ["licence-access-mismatch", "public-with-restrictions"],
        ),
        (("restricted", "restricted"), ["restricted-without-restriction"]),
        (("restricted", "restricted", Restrictions()), ["restricted-without-restriction"]),
        (("restricted", "non-public"), ["non-public-without-recipients"]),
        (
            ("restricted", "non-public", Restrictions(purposes=["research"])),
            ["non-public-without-recipients"],
        ),
        (
            ("restricted", "restricted", Restrictions(purposes=["research"], delete_at_end=True)),
            ["delete-without-end"],
        ),
        (("gpl-3.0", "public"), ["unknown-licence"]),
        (("etalab-2.0", "semi-public"), ["unknown-access-right"]),
        (("restricted", "restricted", Restrictions(territories=["99999"])), ["unknown-territory"]),
        (("restricted", "restricted", Restrictions(territories=["44109", "nowhere"])), ["unknown-territory"]),
        (("restricted", "restricted", Restrictions(purposes=["floods"])), ["unknown-purpose"]),
        (("restricted", "restricted", Restrictions(max_count=0)), ["bad-count"]),
        (("restricted", "restricted", Restrictions(max_count=-1)), ["bad-count"]),
        (
            ("restricted", "restricted", Restrictions(valid_from=at(2027, 1, 1), valid_until=at(2026, 1, 1))),
            ["empty-window"],
        ),
        (
            ("restricted", "restricted", Restrictions(valid_from=at(2026, 1, 1), valid_until=at(2026, 1, 1))),
            ["empty-window"],
        ),
        (("restricted", "restricted", Restrictions(duration="one year")), ["bad-duration"]),
        (("restricted", "restricted", Restrictions(categories=["startup"])), ["bad-value"]),
    ],
)
def test_invalid_combinations(args, codes):
    assert _codes(*args) == codes


def test_invalid_problems_name_the_parameter():
    with pytest.raises(PolicyError) as info:
        offer_template("restricted", "restricted", Restrictions(purposes=["floods"], territories=["99999"]))
    assert sorted(p.path for p in info.value.problems) == ["purposes", "territories"]
    assert "floods" in info.value.message("en") and "99999" in info.value.message("en")


# ------------------------------------------------------------------------------------------------------------
# The DSP 2025-1 contract schema


@pytest.fixture(scope="module")
def schema_validator():
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource

    if not CONTRACT_SCHEMA.is_file():
        pytest.fail(f"DSP contract schema not found at {CONTRACT_SCHEMA}")
    schema = json.loads(CONTRACT_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2019-09/schema"
    # Every $ref of the file is local (#/definitions/...): one resource is the whole registry.
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))

    def validator(definition: str):
        return jsonschema.Draft201909Validator(
            {"$ref": f"{schema['$id']}#/definitions/{definition}"}, registry=registry
        )

    return validator


TEMPLATES = {
    "etalab": lambda **kw: offer_template("etalab-2.0", "public", uid="urn:offer:etalab", **kw),
    "odbl": lambda **kw: offer_template("odbl-1.0", "public", uid="urn:offer:odbl", **kw),
    "cc-by": lambda **kw: offer_template("cc-by-4.0", "public", uid="urn:offer:cc-by", **kw),
    "cc0": lambda **kw: offer_template("cc0-1.0", "public", uid="urn:offer:cc0", **kw),
    "restricted-all": lambda **kw: offer_template(
        "restricted",
        "restricted",
        Restrictions(
            categories=["public", "private"],
            recipients=[DID_A, DID_B],
            purposes=["flood-risk-simulation", "research"],
            valid_from=at(2026, 1, 1),
            valid_until=at(2027, 1, 1),
            max_count=5,
            territories=["44109", "44184"],
            actions=["aggregate", "read"],
            no_distribute=True,
            delete_at_end=True,
        ),
        uid="urn:offer:all",
        **kw,
    ),
    "restricted-duration": lambda **kw: offer_template(
        "restricted",
        "restricted",
        Restrictions(duration="P6M", delete_at_end=True, categories=["public"]),
        uid="urn:offer:duration",
        **kw,
    ),
    "non-public": lambda **kw: offer_template(
        "restricted", "non-public", Restrictions(recipients=[DID_A]), uid="urn:offer:np", **kw
    ),
    "odbl-restricted": lambda **kw: offer_template(
        "odbl-1.0", "restricted", Restrictions(valid_until=at(2027, 1, 1)), uid="urn:offer:odbl-r", **kw
    ),
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_catalog_offer_matches_the_dsp_schema(schema_validator, name):
    doc = to_jsonld(TEMPLATES[name](assigner="did:web:provider.example"))
    assert "target" not in doc
    errors = [e.message for e in schema_validator("Offer").iter_errors(doc)]
    assert errors == []


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_message_offer_matches_the_dsp_schema(schema_validator, name):
    doc = to_jsonld(TEMPLATES[name](target="urn:data:flood", assigner="did:web:provider.example"))
    assert doc["target"] == "urn:data:flood" and doc["@type"] == "Offer"
    errors = [e.message for e in schema_validator("MessageOffer").iter_errors(doc)]
    assert errors == []
    # A catalog offer must not carry a target: the schema check is real.
    assert list(schema_validator("Offer").iter_errors(doc))


def test_schema_rejects_a_broken_offer(schema_validator):
    doc = to_jsonld(TEMPLATES["restricted-all"]())
    doc["permission"][0]["constraint"][0]["operator"] = "matches"
    assert list(schema_validator("Offer").iter_errors(doc))
    del doc["@id"]
    assert len(list(schema_validator("Offer").iter_errors(doc))) >= 2
