"""The demo's policy choices: for each (provider, géo-concept), the licence (C5), the access mode (C7) and, when
access is restricted, the parameters of the restricted template (`policies.templates.Restrictions`). The offer
itself is always built by `policies.templates.offer_template`.

Rules, in order (docs/demo-data.md explains them):

* private providers, by trade — network operators (electricity, gas, rail, telecoms): public bodies only, for
  flood-risk simulation or crisis management, one year, no redistribution, deletion at the end; water utilities:
  flood-risk simulation or crisis management, at most 20 uses in six months, inside the territory they serve, no
  redistribution, deletion at the end; insurers: *aggregate* only (the permitted action is `odrl:aggregate`, not
  `use`), for flood-risk simulation or research, no redistribution; the engineering firm: its hydraulic model is
  non-public (named recipients: its client the EPTB and the Région's platform), its other studies restricted to
  flood-risk simulation or research, 50 uses;
* public bodies publish under an open licence what the géo-concept table says is public (Etalab 2.0; ODbL for
  Nantes Métropole and the Ville de Nantes, whose open-data portal uses it); what the table says is restricted is
  restricted: security-sensitive data (dikes, dams, rescue, police, potential flood zones, drinking-water works) to
  public bodies for flood-risk simulation or crisis management for a year with deletion at the end; land files
  (ayants droit) to public bodies; the rest on request, for flood-risk simulation, crisis management or
  research, without redistribution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from catalog.geoconcepts import GeoConcept
from policies.model import Policy
from policies.templates import Restrictions, offer_template

from .organisations import REGION, Organisation

NETWORK_OPERATORS = frozenset({"enedis", "grdf", "sncf-reseau", "orange", "bouygues-telecom"})
WATER_UTILITIES = {"veolia-eau": "244400644", "saur": "44"}  # provider -> territory it serves (CARENE, dépt 44)
INSURERS = frozenset({"maif", "groupama-lb"})
ENGINEERING_FIRMS = frozenset({"egis-eau"})
ODBL_PUBLISHERS = frozenset({"nantes-metropole", "ville-nantes"})
SECURITY_SENSITIVE = frozenset({"GC014", "GC028", "GC029", "GC031", "GC059", "GC060", "GC063"})
PUBLIC_BODIES_ONLY = frozenset({"GC052", "GC069", "GC073"})
RISK_PURPOSES = ["flood-risk-simulation", "crisis-management"]


@dataclass(frozen=True)
class OfferChoice:
    licence: str  # policies.templates licence key
    access: str  # public | restricted | non-public
    restrictions: Restrictions | None
    profile: str  # the rule applied (open, network-operator, water-utility, insurer, ...)
    reason_fr: str
    reason_en: str


def _public_access(gc: GeoConcept) -> bool:
    return gc.typical_access.strip().upper() == "PUBLIC"


def _public_bodies_for_a_year() -> Restrictions:
    """Public bodies only, flood-risk simulation or crisis management, one year, no redistribution, deletion at the
    end: the network operators' terms, and those of security-sensitive public data."""
    return Restrictions(categories=["public"], purposes=list(RISK_PURPOSES), duration="P1Y", no_distribute=True,
                        delete_at_end=True)


def choose(org: Organisation, gc: GeoConcept, did_for: Callable[[str], str]) -> OfferChoice:
    """The licence, access mode and restrictions of `org`'s dataset of géo-concept `gc`."""
    if org.id in NETWORK_OPERATORS:
        return OfferChoice("restricted", "restricted", _public_bodies_for_a_year(), "network-operator",
            "opérateur de réseau : organismes publics seulement, simulation du risque d'inondation ou gestion de "
            "crise, un an, sans rediffusion, suppression à la fin",
            "network operator: public bodies only, flood-risk simulation or crisis management, one year, no "
            "redistribution, deletion at the end")
    if org.id in WATER_UTILITIES:
        return OfferChoice("restricted", "restricted", Restrictions(
            purposes=list(RISK_PURPOSES), max_count=20, duration="P6M", territories=[WATER_UTILITIES[org.id]],
            no_distribute=True, delete_at_end=True), "water-utility",
            "exploitant de services d'eau : simulation du risque d'inondation ou gestion de crise, sur le "
            "territoire desservi, 20 utilisations en six mois, sans rediffusion, suppression à la fin",
            "water utility: flood-risk simulation or crisis management, on the territory served, 20 uses in six "
            "months, no redistribution, deletion at the end")
    if org.id in INSURERS:
        return OfferChoice("restricted", "restricted", Restrictions(
            purposes=["flood-risk-simulation", "research"], actions=["aggregate"], no_distribute=True), "insurer",
            "assureur : usage agrégé seulement (action « agréger »), simulation du risque d'inondation ou "
            "recherche, sans rediffusion",
            "insurer: aggregated use only (action 'aggregate'), flood-risk simulation or research, no "
            "redistribution")
    if org.id in ENGINEERING_FIRMS:
        if gc.id == "GC038":
            return OfferChoice("restricted", "non-public", Restrictions(
                recipients=[did_for("ep-loire"), did_for(REGION.id)], purposes=["flood-risk-simulation"],
                duration="P2Y", no_distribute=True, delete_at_end=True), "engineering-model",
                "modèle propriétaire du bureau d'études : réservé à son client (EPTB Loire) et à la plateforme JNT "
                "de la Région, simulation du risque d'inondation, deux ans, suppression à la fin",
                "the engineering firm's proprietary model: for its client (EPTB Loire) and the Région's JNT "
                "platform only, flood-risk simulation, two years, deletion at the end")
        return OfferChoice("restricted", "restricted", Restrictions(
            purposes=["flood-risk-simulation", "research"], max_count=50, no_distribute=True), "engineering-study",
            "étude de bureau d'études : simulation du risque d'inondation ou recherche, 50 utilisations, sans "
            "rediffusion", "engineering study: flood-risk simulation or research, 50 uses, no redistribution")
    if not org.public:
        raise ValueError(f"no policy rule for the private provider {org.id}")
    if _public_access(gc):
        licence = "odbl-1.0" if org.id in ODBL_PUBLISHERS else "etalab-2.0"
        return OfferChoice(licence, "public", None, "open",
                           f"donnée publique ouverte ({'ODbL' if licence == 'odbl-1.0' else 'Licence Ouverte 2.0'})",
                           f"open public data ({'ODbL' if licence == 'odbl-1.0' else 'Etalab Licence Ouverte 2.0'})")
    if gc.id in SECURITY_SENSITIVE:
        return OfferChoice("restricted", "restricted", _public_bodies_for_a_year(), "security",
            "donnée sensible (sûreté, sécurité publique) : organismes publics seulement, simulation du risque "
            "d'inondation ou gestion de crise, un an, suppression à la fin",
            "security-sensitive data: public bodies only, flood-risk simulation or crisis management, one year, "
            "deletion at the end")
    if gc.id in PUBLIC_BODIES_ONLY:
        purposes = [*RISK_PURPOSES, "urban-planning"] if gc.id == "GC052" else list(RISK_PURPOSES)
        return OfferChoice("restricted", "restricted", Restrictions(
            categories=["public"], purposes=purposes, no_distribute=True,
            duration="P1Y" if gc.id == "GC052" else None, delete_at_end=gc.id == "GC052"), "public-bodies",
            "réservé aux organismes publics (ayants droit, acteurs de la gestion de crise), sans rediffusion",
            "for public bodies only (entitled bodies, crisis-management actors), no redistribution")
    return OfferChoice("restricted", "restricted", Restrictions(
        purposes=[*RISK_PURPOSES, "research"], no_distribute=True), "on-request",
        "donnée communiquée sur demande : simulation du risque d'inondation, gestion de crise ou recherche, sans "
        "rediffusion", "data shared on request: flood-risk simulation, crisis management or research, no "
        "redistribution")


def build_offer(choice: OfferChoice, uid: str, assigner: str) -> Policy:
    return offer_template(choice.licence, choice.access, choice.restrictions, uid=uid, assigner=assigner)


# A fixed evaluation time for the demo's decisions (after every offer's start, before any end).
DEMO_NOW = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
