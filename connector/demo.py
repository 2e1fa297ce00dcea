"""The demonstration scenario, as far as the product is built: providers of the Loire-estuary data space publish
offers generated from their licence (C5) and access mode (C7), and two consumers — the Région Pays de la Loire's
JNT platform (a public body) and an engineering firm (a private company) — ask for them for flood-risk
simulation on Nantes. Each decision is printed with its reason. Says plainly which parts are not built yet."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from policies import World, compile_policy, request_from_json
from policies.templates import Restrictions, describe_policy, offer_template

from .i18n import t


@dataclass(frozen=True)
class DemoOffer:
    provider: str
    category: str
    dataset: str
    licence: str
    access: str
    restrictions: Restrictions | None = None


NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
OFFERS = [
    DemoOffer("IGN", "public", "MNT RGE ALTI 1 m", "etalab-2.0", "public"),
    DemoOffer("DDTM de Loire-Atlantique", "public", "Zonage réglementaire PPRI Loire aval", "etalab-2.0", "public"),
    DemoOffer("Nantes Métropole", "public", "Réseau d'assainissement pluvial", "odbl-1.0", "public"),
    DemoOffer("Enedis", "private", "Postes sources et réseau HTA", "restricted", "restricted",
              Restrictions(categories=["public"], purposes=["flood-risk-simulation", "crisis-management"],
                           valid_from=datetime(2026, 1, 1, tzinfo=UTC), valid_until=datetime(2027, 1, 1, tzinfo=UTC),
                           territories=["44"], no_distribute=True, delete_at_end=True)),
    DemoOffer("Veolia Eau", "private", "Ouvrages d'eau potable", "restricted", "restricted",
              Restrictions(purposes=["flood-risk-simulation"], max_count=10, duration="P6M",
                           territories=["244400404"], no_distribute=True)),
    DemoOffer("MAIF", "private", "Sinistralité inondation agrégée", "restricted", "restricted",
              Restrictions(purposes=["flood-risk-simulation", "research"], actions=["aggregate"], no_distribute=True)),
]
CONSUMERS = [
    ("Région Pays de la Loire", {"assignee": "did:web:jnt.paysdelaloire.example", "category": "public",
                                 "purpose": "flood-risk-simulation", "territory": "44109"}),
    ("Egis Eau", {"assignee": "did:web:egis-eau.example", "category": "private", "purpose": "flood-risk-simulation",
                  "territory": "44109"}),
]
NOT_BUILT = [
    ("Connecteurs DSP 2025-1 (catalogue, négociation, transfert)", "DSP 2025-1 connectors (catalog, negotiation, transfer)"),
    ("Autorité de confiance et attestations d'adhésion", "Trust authority and membership credentials"),
    ("Fiches de caractérisation (10 critères, DCAT-AP 3, import ISO 19139)",
     "Characterisation sheets (10 criteria, DCAT-AP 3, ISO 19139 import)"),
    ("Catalogue fédéré, plans d'accès, sites web", "Federated catalogue, access plans, web sites"),
    ("Plan de données (EDR, pull/push, journal d'audit)", "Data plane (EDR, pull/push, audit log)"),
]


def run_demo(lang: str = "fr", report_json: Path | None = None, console: Console | None = None) -> int:
    console = console or Console()
    console.rule(t("JNT Data Space — démonstration (moteur de politiques)", "JNT Data Space — demo (policy engine)", lang))
    console.print(t("Offres publiées, générées depuis C5 (licence) × C7 (modalité d'accès) :",
                    "Published offers, generated from C5 (licence) × C7 (access mode):", lang))
    compiled = []
    for i, offer in enumerate(OFFERS, 1):
        policy = offer_template(offer.licence, offer.access, offer.restrictions, uid=f"urn:jnt:demo:offer:{i}",
                                assigner=f"did:web:{offer.provider.lower().replace(' ', '-')}.example")
        compiled.append((offer, compile_policy(policy)))
        console.print(f"[bold]{offer.provider}[/] — {offer.dataset} ({offer.licence}, {offer.access})", highlight=False)
        for line in describe_policy(policy, lang):
            console.print(f"    {line}", highlight=False, markup=False)

    table = Table(title=t("Décisions pour la simulation du risque d'inondation sur Nantes",
                          "Decisions for flood-risk simulation on Nantes", lang), show_lines=True)
    for column in (t("consommateur", "consumer", lang), t("fournisseur", "provider", lang),
                   t("jeu de données", "dataset", lang), t("décision", "decision", lang),
                   t("raison", "reason", lang)):
        table.add_column(column)
    results = []
    world = World(now=NOW)
    for consumer, facts in CONSUMERS:
        request = request_from_json(facts)
        for offer, policy in compiled:
            decision = policy.decide(request, world)
            verdict = {"permit": t("[green]obtenable[/]", "[green]obtainable[/]", lang),
                       "deny": t("[red]refusé[/]", "[red]denied[/]", lang),
                       "not-applicable": t("[red]non obtenable[/]", "[red]not obtainable[/]", lang)}[decision.outcome]
            table.add_row(consumer, offer.provider, offer.dataset, verdict, decision.summary(lang))
            results.append({"consumer": consumer, "provider": offer.provider, "dataset": offer.dataset,
                            "decision": decision.outcome, "reason": decision.summary(lang),
                            "duties": [d["action"] for d in decision.to_json(lang)["duties"]]})
    console.print(table)
    console.print(t("[bold]Pas encore construit[/] (voir les issues ouvertes) :",
                    "[bold]Not built yet[/] (see the open issues):", lang))
    for fr, en in NOT_BUILT:
        console.print(f"  - {t(fr, en, lang)}", highlight=False)
    if report_json is not None:
        report_json.write_text(json.dumps({"scenario": "policy-engine", "decisions": results}, ensure_ascii=False,
                                          indent=2), encoding="utf-8")
        console.print(t(f"Rapport écrit : {report_json}", f"Report written: {report_json}", lang))
    return 0
