"""`jnt catalog …`: run the federated catalogue (`serve`: query API + periodic background crawl), crawl once or in
a loop without the API (`crawl`), and show each connector's crawl status (`status`). The catalogue is a
participant: its identity lives in `--data-dir` (`jnt participant init`, enrolment, `jnt participant
set-credential`)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from catalog.federated import CrawlReport, FederatedIndex, SourceError

from .federated_catalog import CatalogueConfigError, build_catalogue
from .i18n import t
from .identity import IdentityError
from .participant_cli import fail, fail_identity, lang_of, settings_of

app = typer.Typer(help=t("Catalogue fédéré : collecte des catalogues des connecteurs, recherche.",
                         "Federated catalogue: crawls the connectors' catalogues, search."), no_args_is_help=True)

DATA_DIR = t("Répertoire du catalogue (identité, index).", "The catalogue's directory (identity, index).")
AUTHORITY = t("URL de l'autorité de confiance : son annuaire donne les connecteurs (défaut : JNT_AUTHORITY_URL).",
              "Trust authority URL: its directory lists the connectors (default: JNT_AUTHORITY_URL).")
CONNECTORS = t("Ou : fichier JSON / CSV des connecteurs (did, address, name, category).",
               "Or: JSON / CSV file of connectors (did, address, name, category).")
INTERVAL = t("Secondes entre deux collectes.", "Seconds between two crawls.")


def _build(ctx: typer.Context, base_url: str, data_dir: Path | None, authority: str | None,
           connectors: Path | None, interval: float, public_url: str | None = None):
    settings = settings_of(ctx, data_dir=data_dir, public_url=public_url)
    try:
        return build_catalogue(settings, settings.public_url or base_url, authority_url=authority,
                               connectors_file=connectors, interval=interval)
    except IdentityError as exc:
        fail_identity(ctx, exc)
    except (CatalogueConfigError, SourceError) as exc:
        fail(ctx, exc.fr, exc.en, 2)
    except Exception as exc:  # database unreachable, bad settings: one clear line
        fail(ctx, f"démarrage impossible : {exc}", f"cannot start: {exc}")


def _summary(report: CrawlReport, lang: str) -> str:
    data = report.to_json()["datasets"]
    return t(f"Collecte en {report.duration:.1f} s : {report.ok} connecteur(s) lu(s), {report.failed} en échec, "
             f"{report.skipped} en attente ; jeux de données : {data['added']} ajoutés, {data['updated']} modifiés, "
             f"{data['removed']} retirés, {data['unchanged']} inchangés",
             f"Crawl in {report.duration:.1f} s: {report.ok} connector(s) read, {report.failed} failed, "
             f"{report.skipped} waiting; datasets: {data['added']} added, {data['updated']} updated, "
             f"{data['removed']} removed, {data['unchanged']} unchanged", lang)


@app.command(help=t("Lance le catalogue fédéré : API de recherche (/api) et collecte périodique en tâche de fond.",
                    "Run the federated catalogue: search API (/api) and periodic background crawl."))
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help=t("Adresse d'écoute.", "Listen address."))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=t("Port d'écoute.", "Listen port."))] = 8300,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=DATA_DIR)] = None,
    public_url: Annotated[str | None, typer.Option("--public-url", help=t(
        "URL publique (défaut : http://HOST:PORT).", "Public URL (default: http://HOST:PORT)."))] = None,
    authority: Annotated[str | None, typer.Option("--authority", help=AUTHORITY)] = None,
    connectors: Annotated[Path | None, typer.Option("--connectors", help=CONNECTORS)] = None,
    interval: Annotated[float, typer.Option("--interval", min=1, help=INTERVAL)] = 300.0,
) -> None:
    catalogue = _build(ctx, f"http://{host}:{port}", data_dir, authority, connectors, interval, public_url)
    lang = lang_of(ctx)
    typer.echo(t(f"Catalogue fédéré de {catalogue.participant.did}", f"Federated catalogue of "
                 f"{catalogue.participant.did}", lang))
    typer.echo(t(f"  API : {catalogue.base_url}/api/datasets (documentation : {catalogue.base_url}/docs)",
                 f"  API: {catalogue.base_url}/api/datasets (documentation: {catalogue.base_url}/docs)", lang))
    typer.echo(t(f"  Collecte toutes les {interval:g} s", f"  Crawling every {interval:g} s", lang))
    try:
        uvicorn.run(catalogue.app, host=host, port=port, log_level="warning")
    finally:
        catalogue.close()


@app.command(help=t("Collecte les catalogues des connecteurs (une fois avec --once, sinon en boucle), sans API.",
                    "Crawl the connectors' catalogues (once with --once, else in a loop), without the API."))
def crawl(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help=t("Une seule collecte, puis s'arrête.",
                                                        "One crawl, then exit."))] = False,
    force: Annotated[bool, typer.Option("--force", help=t(
        "Interroge aussi les connecteurs en attente après des échecs.",
        "Also crawl the connectors waiting after failures."))] = False,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=DATA_DIR)] = None,
    public_url: Annotated[str | None, typer.Option("--public-url", help=t(
        "URL publique du catalogue (pour son DID).", "The catalogue's public URL (for its DID)."))] = None,
    authority: Annotated[str | None, typer.Option("--authority", help=AUTHORITY)] = None,
    connectors: Annotated[Path | None, typer.Option("--connectors", help=CONNECTORS)] = None,
    interval: Annotated[float, typer.Option("--interval", min=1, help=INTERVAL)] = 300.0,
    as_json: Annotated[bool, typer.Option("--json", help=t("Rapport JSON.", "JSON report."))] = False,
) -> None:
    catalogue = _build(ctx, "http://127.0.0.1:8300", data_dir, authority, connectors, interval, public_url)
    lang = lang_of(ctx)
    failed = False
    try:
        while True:
            report = catalogue.crawler.crawl_sync(catalogue.source, force=force)
            typer.echo(json.dumps(report.to_json(), ensure_ascii=False) if as_json else _summary(report, lang))
            if report.source_error is not None and not as_json:
                typer.echo(t(f"  annuaire indisponible : {report.source_error.fr}",
                             f"  directory unavailable: {report.source_error.en}", lang), err=True)
            if not as_json:
                for outcome in report.outcomes:
                    if outcome.error is not None:
                        typer.echo(f"  {outcome.did}: {outcome.error.code} — "
                                   f"{t(outcome.error.fr, outcome.error.en, lang)}", err=True)
            failed = report.failed > 0
            if once:
                break
            time.sleep(interval)
    finally:
        catalogue.close()
    raise typer.Exit(1 if failed else 0)


@app.command(help=t("État de la collecte de chaque connecteur.", "Each connector's crawl status."))
def status(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=DATA_DIR)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=t("Sortie JSON.", "JSON output."))] = False,
) -> None:
    settings = settings_of(ctx, data_dir=data_dir)
    try:
        index = FederatedIndex(settings.effective_database_url())
    except Exception as exc:
        fail(ctx, f"index illisible : {exc}", f"cannot open the index: {exc}")
    try:
        statuses = index.connector_statuses()
    finally:
        index.close()
    if as_json:
        typer.echo(json.dumps([s.to_json() for s in statuses], ensure_ascii=False, indent=2))
        return
    lang = lang_of(ctx)
    for s in statuses:
        line = f"{s.state:8} {s.dataset_count:6} {s.name or '-':30} {s.did}"
        if s.last_error:
            line += f"  [{s.last_error_code}] {s.last_error['message'][lang]}"
        typer.echo(line)
