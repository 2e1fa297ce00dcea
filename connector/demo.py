"""The demonstration scenario, as far as the product is built. Six providers of the Loire-estuary data space
publish datasets described by characterisation sheets (validated with SHACL) with offers generated from their
licence (C5) and access mode (C7); a trust authority and the participants' DID documents run on loopback; the
Région Pays de la Loire's JNT platform (a public body) and an engineering firm (a private company) are enrolled,
and each provider verifies their signed tokens and decides, on the verified claims, which datasets each may obtain
for flood-risk simulation on Nantes — that is the DSP catalogue each would see. Says plainly what is not built."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from policies.templates import Restrictions, describe_policy

from .demo_space import Actor, Published, run_space
from .i18n import t

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
PURPOSE, TERRITORY = "flood-risk-simulation", "44109"

IGN = Actor("ign", "IGN", "public", "établissement public national")
DDTM = Actor("ddtm-44", "DDTM de Loire-Atlantique", "public", "service de l'État")
NANTES = Actor("nantes-metropole", "Nantes Métropole", "public", "collectivité territoriale")
ENEDIS = Actor("enedis", "Enedis", "private", "entreprise")
VEOLIA = Actor("veolia-eau", "Veolia Eau", "private", "entreprise")
MAIF = Actor("maif", "MAIF", "private", "entreprise")
REGION = Actor("region-pdl", "Région Pays de la Loire", "public", "collectivité territoriale")
EGIS = Actor("egis-eau", "Egis Eau", "private", "entreprise")


def catalogue() -> list[Published]:
    return [
        Published(IGN, "GC001", "MNT RGE ALTI 1 m", "etalab-2.0", "public", None, "ANNUAL", "leve", resolution=1.0),
        Published(DDTM, "GC039", "Zonage réglementaire PPRI Loire aval", "etalab-2.0", "public", None, "AS_NEEDED",
                  "numerisation", scale=5000),
        Published(NANTES, "GC033", "Réseau d'assainissement pluvial", "odbl-1.0", "public", None, "ANNUAL",
                  "leve", scale=2000),
        Published(ENEDIS, "GC061", "Postes sources et réseau HTA", "restricted", "restricted",
                  Restrictions(categories=["public"], purposes=["flood-risk-simulation", "crisis-management"],
                               valid_from=datetime(2026, 1, 1, tzinfo=UTC), valid_until=datetime(2027, 1, 1, tzinfo=UTC),
                               territories=["44"], no_distribute=True, delete_at_end=True),
                  "ANNUAL", "declaratif", scale=5000),
        Published(VEOLIA, "GC063", "Ouvrages d'eau potable", "restricted", "restricted",
                  Restrictions(purposes=["flood-risk-simulation"], max_count=10, duration="P6M",
                               territories=["244400404"], no_distribute=True),
                  "ANNUAL", "declaratif", scale=5000),
        Published(MAIF, "GC072", "Sinistralité inondation agrégée", "restricted", "restricted",
                  Restrictions(purposes=["flood-risk-simulation", "research"], actions=["aggregate"], no_distribute=True),
                  "ANNUAL", "derive", scale=25000),
    ]


NOT_BUILT = [
    ("Points d'accès DSP 2025-1 des connecteurs (catalogue, négociation, transfert)",
     "Connectors' DSP 2025-1 endpoints (catalog, negotiation, transfer)"),
    ("Plan de données (EDR, pull/push, journal d'audit)", "Data plane (EDR, pull/push, audit log)"),
    ("Catalogue fédéré, plans d'accès, sites web", "Federated catalogue, access plans, web sites"),
    ("Les 40 fournisseurs du scénario complet, déploiement", "The 40 providers of the full scenario, deployment"),
]


def run_demo(lang: str = "fr", report_json: Path | None = None, console: Console | None = None) -> int:
    console = console or Console()
    started = time.perf_counter()
    console.rule(t("JNT Data Space — démonstration, estuaire de la Loire", "JNT Data Space — demo, Loire estuary", lang))
    items = catalogue()
    console.print(t("Démarrage de l'autorité de confiance et des participants sur 127.0.0.1…",
                    "Starting the trust authority and the participants on 127.0.0.1…", lang))
    space = run_space(items, [REGION, EGIS], PURPOSE, TERRITORY, now=NOW)
    console.print(t(f"Autorité : {space.authority_url} — hôte des participants : {space.host_url} "
                    f"({len(space.participants)} participants inscrits)",
                    f"Authority: {space.authority_url} — participants' host: {space.host_url} "
                    f"({len(space.participants)} participants enrolled)", lang), highlight=False)

    console.print(t("\n[bold]Jeux de données publiés[/] (fiche validée par SHACL, offre issue de C5 × C7) :",
                    "\n[bold]Published datasets[/] (sheet validated with SHACL, offer from C5 × C7):", lang))
    for item, row in zip(items, space.datasets, strict=True):
        verdict = t("fiche conforme", "sheet conforms", lang) if row["conforms"] else \
            t(f"{item.shacl_violations} violation(s)", f"{item.shacl_violations} violation(s)", lang)
        console.print(f"[bold]{item.provider.name}[/] — {item.title} ({item.geoconcept}, {item.licence}, {item.access}) "
                      f"— {verdict}, {t('complétude', 'completeness', lang)} {row['completeness']:.0%}", highlight=False)
        for line in describe_policy(item.offer, lang):
            console.print(f"    {line}", highlight=False, markup=False)

    console.print(t("\n[bold]Identités vérifiées[/] (jeton auto-émis signé + attestation d'adhésion de l'autorité) :",
                    "\n[bold]Verified identities[/] (signed self-issued token + the authority's membership credential):",
                    lang))
    for row in {r["consumer"]: r for r in space.verified}.values():
        console.print(f"  {row['consumer']} — {row['did']} — {t('catégorie', 'category', lang)} {row['category']}",
                      highlight=False)

    table = Table(title=t(f"Ce que chacun peut obtenir pour la simulation du risque d'inondation sur Nantes ({TERRITORY})",
                          f"What each may obtain for flood-risk simulation on Nantes ({TERRITORY})", lang),
                  show_lines=True)
    for column in (t("consommateur", "consumer", lang), t("fournisseur", "provider", lang),
                   t("jeu de données", "dataset", lang), t("décision", "decision", lang), t("raison", "reason", lang)):
        table.add_column(column)
    results = []
    for row in space.catalogs:
        verdict = {"permit": t("[green]obtenable[/]", "[green]obtainable[/]", lang),
                   "deny": t("[red]refusé[/]", "[red]denied[/]", lang),
                   "not-applicable": t("[red]non obtenable[/]", "[red]not obtainable[/]", lang)}[row["decision"]]
        reason = row["reason"] if lang == "fr" else row["reason_en"]
        table.add_row(row["consumer"], row["provider"], row["dataset"], verdict, reason)
        results.append({"consumer": row["consumer"], "provider": row["provider"], "dataset": row["dataset"],
                        "decision": row["decision"], "reason": reason, "duties": row["duties"]})
    console.print(table)
    console.print(t("[bold]Pas encore construit[/] (voir les issues ouvertes) :",
                    "[bold]Not built yet[/] (see the open issues):", lang))
    for fr, en in NOT_BUILT:
        console.print(f"  - {t(fr, en, lang)}", highlight=False)
    elapsed = time.perf_counter() - started
    console.print(t(f"Scénario terminé en {elapsed:.1f} s ; les serveurs sont arrêtés.",
                    f"Scenario finished in {elapsed:.1f} s; the servers are stopped.", lang))
    if report_json is not None:
        report_json.write_text(json.dumps({
            "scenario": "loire-estuary-partial", "authority": space.authority_url, "participants": space.participants,
            "datasets": space.datasets, "verified": space.verified, "decisions": results,
        }, ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(t(f"Rapport écrit : {report_json}", f"Report written: {report_json}", lang))
    return 0
