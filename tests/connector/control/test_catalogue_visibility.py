"""Which offers a verified requester sees in a catalogue: only conditions on who it is hide an offer; conditions on
use (a validity window not open yet, a purpose, a count) are left to the negotiation, even inside logical
constraints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.identity.tokens import VerifiedClaims
from policies import compile_policy
from policies.requester import admits
from policies.templates import Restrictions, offer_template

PUBLIC = VerifiedClaims(did="did:web:region.example", name="Région", category="public", kind="collectivité")
PRIVATE = VerifiedClaims(did="did:web:firm.example", name="Bureau d'études", category="private", kind="entreprise")
TARGET = "https://data.example.org/reseau"


def offer(**restrictions):
    return compile_policy(offer_template("restricted", "restricted", uid=f"{TARGET}#offer",
                                         restrictions=Restrictions(**restrictions)))


def test_a_window_not_yet_open_leaves_the_offer_visible():
    later = datetime.now(UTC) + timedelta(days=30)
    compiled = offer(valid_from=later, valid_until=later + timedelta(days=30))  # an `and` of two dateTime bounds
    assert admits(compiled, PUBLIC.requester(), TARGET)


def test_a_category_condition_hides_the_offer_from_others_only():
    later = datetime.now(UTC) + timedelta(days=30)
    compiled = offer(categories=["public"], valid_from=later, valid_until=later + timedelta(days=1))
    assert admits(compiled, PUBLIC.requester(), TARGET)
    assert not admits(compiled, PRIVATE.requester(), TARGET)
