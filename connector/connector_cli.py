"""`jnt connector …`: run a participant's connector (DSP 2025-1 endpoints, management API, dispatcher), or a
connector in TCK mode that the Eclipse Dataspace TCK can be pointed at; have a running connector pull a transfer's
data (`fetch`, through its management API), or obtain everything an access plan of the federated catalogue lists
(`obtain`, and follow the runs with `plans`); delete the received copies whose delete-by date has passed
(`purge`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
import uvicorn
from pydantic import SecretStr
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .i18n import t
from .identity import IdentityError
from .participant_cli import fail, fail_identity, lang_of, settings_of
from .settings import Settings

app = typer.Typer(help=t("Connecteur : protocole DSP 2025-1, API de gestion, mode TCK.",
                         "Connector: Dataspace Protocol 2025-1, management API, TCK mode."), no_args_is_help=True)

HOST_HELP = t("Adresse d'écoute.", "Listen address.")
PORT_HELP = t("Port d'écoute.", "Listen port.")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help=HOST_HELP)] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=PORT_HELP)] = 8282,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=t(
        "Répertoire du participant (clés, attestation, base).", "Participant directory (keys, credential, db)."))] = None,
    public_url: Annotated[str | None, typer.Option("--public-url", help=t(
        "URL publique du connecteur (défaut : http://HOST:PORT).", "Public URL (default: http://HOST:PORT)."))] = None,
) -> None:
    """Lance le connecteur d'un participant (identité créée avec `jnt participant init`)."""
    from .control.runtime import build_connector

    settings = settings_of(ctx, data_dir=data_dir, public_url=public_url)
    base_url = settings.public_url or f"http://{host}:{port}"
    try:
        connector = build_connector(settings, base_url)
    except IdentityError as exc:
        fail_identity(ctx, exc)
    except Exception as exc:  # database unreachable, bad settings: one clear line
        fail(ctx, f"démarrage impossible : {exc}", f"cannot start: {exc}")
    lang = lang_of(ctx)
    typer.echo(t(f"Connecteur de {connector.participant.did}", f"Connector of {connector.participant.did}", lang))
    typer.echo(t(f"  DSP : {connector.dsp_url}", f"  DSP: {connector.dsp_url}", lang))
    typer.echo(t(f"  Gestion : {base_url}/management (documentation : {base_url}/docs)",
                 f"  Management: {base_url}/management (documentation: {base_url}/docs)", lang))
    try:
        uvicorn.run(connector.app, host=host, port=port, log_level="warning")
    finally:
        connector.close()


@app.command()
def tck(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help=HOST_HELP)] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=PORT_HELP)] = 8282,
    data_dir: Annotated[Path, typer.Option("--data-dir", help=t(
        "Répertoire de données du mode TCK.", "Data directory of the TCK mode."))] = Path("var/tck"),
    properties: Annotated[Path | None, typer.Option("--properties", help=t(
        "Écrit la configuration du kit (fichier .properties).", "Write the kit's configuration (.properties)."))] = None,
    callback: Annotated[str, typer.Option("--tck-callback", help=t(
        "Adresse de rappel du kit (dataspacetck.callback.address).",
        "The kit's callback address (dataspacetck.callback.address)."))] = "http://localhost:8083",
    auth: Annotated[str, typer.Option("--auth", help=t(
        "off (aucune vérification) ou static-token (JNT_TCK_TOKEN).", "off (no check) or static-token (JNT_TCK_TOKEN)."
    ))] = "off",
) -> None:
    """Mode TCK : connecteur pré-rempli avec les identifiants du kit de conformité DSP et ses réactions scriptées."""
    from .control.runtime import build_connector
    from .control.tck import TckReactions, seed, tck_properties, webhook_router

    if auth not in ("off", "static-token"):
        raise typer.BadParameter("off | static-token", param_hint="--auth")
    settings = settings_of(ctx, data_dir=data_dir, auth_mode=auth, dev_mode=True)
    if settings.key_passphrase is None and settings.key_passphrase_file is None:
        settings = settings.model_copy(update={"key_passphrase": SecretStr("tck mode — identity for conformance tests")})
    base_url = f"http://{host}:{port}"
    try:
        connector = build_connector(settings, base_url, reactions=TckReactions(), create_identity=True)
        connector.app.include_router(webhook_router(connector.plane))
        seed(connector.plane)
    except IdentityError as exc:
        fail_identity(ctx, exc)
    except Exception as exc:
        fail(ctx, f"démarrage impossible : {exc}", f"cannot start: {exc}")
    text = tck_properties(base_url, connector.dsp_url.removeprefix(base_url), callback=callback)
    if properties is not None:
        properties.write_text(text, encoding="utf-8")
    lang = lang_of(ctx)
    typer.echo(t(f"Mode TCK : DSP sur {connector.dsp_url}", f"TCK mode: DSP at {connector.dsp_url}", lang))
    typer.echo(t("Configuration du kit :", "Kit configuration:", lang) + (f" {properties}" if properties else ""))
    if properties is None:
        typer.echo(text)
    try:
        uvicorn.run(connector.app, host=host, port=port, log_level="warning")
    finally:
        connector.close()


def _management_url(settings: Settings, url: str | None) -> str:
    base = (url or (settings.public_url or "http://127.0.0.1:8282")).rstrip("/")
    return base if urlsplit(base).path not in ("", "/") else base + "/management"


def _size(size: int, lang: str) -> str:
    grouped = f"{size:,}".replace(",", " " if lang != "en" else ",")
    return t(f"{grouped} octets", f"{grouped} bytes", lang)


def print_copy(copy: dict[str, Any], lang: str) -> None:
    """A received copy in a few lines, in the user's language."""
    typer.echo(t(f"Reçu : {copy['path']}", f"Received: {copy['path']}", lang))
    typer.echo(t(f"  taille : {_size(copy['size'], lang)}", f"  size: {_size(copy['size'], lang)}", lang))
    typer.echo(f"  SHA-256 : {copy['sha256']}" if lang != "en" else f"  SHA-256: {copy['sha256']}")
    if copy.get("media_type"):
        typer.echo(t(f"  type : {copy['media_type']}", f"  type: {copy['media_type']}", lang))
    if copy.get("attribution"):
        typer.echo(t(f"  attribution à reproduire : {copy['attribution']}",
                     f"  attribution to reproduce: {copy['attribution']}", lang))
    if copy.get("delete_by"):
        when = str(copy["delete_by"]).replace("T", " ")
        typer.echo(t(f"  à supprimer au plus tard le {when} (devoir de l'accord ; le connecteur la supprimera)",
                     f"  to be deleted by {when} (duty of the agreement; the connector will delete it)", lang))


MANAGEMENT_URL_HELP = t(
    "API de gestion du connecteur (défaut : JNT_PUBLIC_URL/management, sinon http://127.0.0.1:8282/management).",
    "The connector's management API (default: JNT_PUBLIC_URL/management, else http://127.0.0.1:8282/management).")
TOKEN_HELP = t("Jeton de gestion (défaut : JNT_MANAGEMENT_TOKEN).", "Management token (default: JNT_MANAGEMENT_TOKEN).")
ManagementUrl = Annotated[str | None, typer.Option("--management-url", help=MANAGEMENT_URL_HELP)]
Token = Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)]
AsJson = Annotated[bool, typer.Option("--json", help=t("Sortie JSON.", "JSON output."))]


def _ask(ctx: typer.Context, management_url: str | None, token: str | None, call: Callable[[Any], Any]) -> Any:
    """`call(client)` with a client of the running connector's management API; a refusal ends the command with the
    API's explanation."""
    from .control.client import ManagementClient, ManagementError

    settings = settings_of(ctx)
    secret = token or (settings.management_token.get_secret_value() if settings.management_token else None)
    if not secret:
        fail(ctx, "jeton de gestion absent : --token ou JNT_MANAGEMENT_TOKEN",
             "management token missing: --token or JNT_MANAGEMENT_TOKEN")
    with ManagementClient(_management_url(settings, management_url), secret) as client:
        try:
            return call(client)
        except ManagementError as exc:
            fail(ctx, exc.fr, exc.en)


@app.command()
def fetch(
    ctx: typer.Context,
    transfer_id: Annotated[str, typer.Argument(help=t("Identifiant du transfert (côté consommateur).",
                                                      "Transfer id (consumer side)."))],
    out: Annotated[str | None, typer.Option("--out", help=t(
        "Destination, dans le répertoire des données reçues du connecteur (relative à lui, ou absolue à "
        "l'intérieur ; `/` final : un dossier).", "Destination inside the connector's received-data directory "
        "(relative to it, or absolute inside it; trailing `/`: a folder)."))] = None,
    path: Annotated[str | None, typer.Option("--path", help=t(
        "Fichier à lire dans une source de type dossier.", "File to read in a folder source."))] = None,
    bbox: Annotated[str | None, typer.Option("--bbox", help=t(
        "Emprise minx,miny,maxx,maxy (CRS84).", "Bounding box minx,miny,maxx,maxy (CRS84)."))] = None,
    management_url: ManagementUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Fait tirer par le connecteur en marche les données d'un transfert démarré (API de gestion)."""
    lang = lang_of(ctx)
    copy = _ask(ctx, management_url, token, lambda client: client.fetch_transfer(transfer_id, path=path, bbox=bbox,
                                                                                 out=out))
    if as_json:
        sys.stdout.write(json.dumps(copy, ensure_ascii=False, indent=2) + "\n")
    else:
        print_copy(copy, lang)


@app.command()
def purge(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=t(
        "Répertoire du participant (clés, base).", "Participant directory (keys, db)."))] = None,
) -> None:
    """Supprime une fois les copies reçues dont la date de suppression imposée par l'accord est passée, et l'inscrit
    au journal d'audit (le connecteur en marche le fait aussi régulièrement)."""
    from .audit import AuditLog
    from .data.duties import Sweeper
    from .identity import Participant
    from .identity.keys import load_passphrase
    from .store import Store, upgrade

    settings = settings_of(ctx, data_dir=data_dir)
    lang = lang_of(ctx)
    try:
        passphrase = load_passphrase(
            settings.key_passphrase.get_secret_value() if settings.key_passphrase else None,
            settings.key_passphrase_file)
        participant = Participant.load(Path(settings.data_dir), passphrase)
    except IdentityError as exc:
        fail_identity(ctx, exc)
    url = settings.effective_database_url()
    try:
        upgrade(url)
        store = Store.from_url(url)
    except Exception as exc:  # database unreachable: one clear line
        fail(ctx, f"base inaccessible : {exc}", f"database unreachable: {exc}")
    try:
        sweeper = Sweeper(store.engine, AuditLog(store.engine, participant.keys, participant.did),
                          root=settings.effective_received_dir())
        swept = sweeper.run_once()
    finally:
        store.engine.dispose()
    if not swept:
        typer.echo(t("aucune copie à supprimer", "no copy to delete", lang))
    for copy in swept:
        due = f"{copy.delete_by:%Y-%m-%d %H:%M} UTC"
        typer.echo(t(f"supprimé : {copy.path} (accord {copy.agreement_id}, échéance {due})",
                     f"deleted: {copy.path} (agreement {copy.agreement_id}, due {due})", lang))


# -- access plans (brokering) --------------------------------------------------------------------------------------

STEP_LABELS = {
    "pending": ("en attente", "pending"), "negotiating": ("négociation", "negotiating"),
    "agreed": ("accord conclu", "agreed"), "transferring": ("transfert demandé", "transferring"),
    "started": ("transfert démarré", "started"), "fetched": ("reçu", "fetched"), "failed": ("échec", "failed"),
    "skipped": ("sauté", "skipped"),
}
STATUS_LABELS = {
    "running": ("en cours", "running"), "completed": ("terminé", "completed"),
    "completed-with-failures": ("terminé avec des échecs", "completed with failures"),
    "failed": ("échoué", "failed"), "cancelled": ("annulé", "cancelled"),
}
#: Exit code of `obtain --wait` by the run's status.
EXIT_CODES = {"completed": 0, "completed-with-failures": 2}


def _label(labels: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    fr, en = labels.get(key, (key, key))
    return t(fr, en, lang)


def _title(item: dict[str, Any]) -> str:
    return str(item["dataset"].get("title") or item["dataset"]["id"])


def _in_lang(texts: dict[str, Any], lang: str) -> str:
    return str(texts.get(lang) or texts.get("fr") or "")


def _item_outcome(item: dict[str, Any], lang: str) -> str:
    if item.get("received"):
        received = item["received"]
        return f"{Path(received['path']).name} ({_size(received['size'] or 0, lang)})"
    if item.get("error"):
        return _in_lang(item["error"], lang)
    return ""


def print_run(run: dict[str, Any], lang: str, *, console: Console | None = None) -> None:
    """A plan run as a table, item by item, then its totals and the plan's gaps."""
    out = console or Console(soft_wrap=True)
    totals = run["totals"]
    out.print(t(f"Exécution {run['id']} du plan {run['plan_id']} : [bold]{_label(STATUS_LABELS, run['status'], lang)}"
                "[/]", f"Run {run['id']} of plan {run['plan_id']}: [bold]{_label(STATUS_LABELS, run['status'], lang)}"
                "[/]", lang), highlight=False)
    table = Table(show_lines=False)
    for column in (("#", "#"), ("Géo-concept", "Géo-concept"), ("Fournisseur", "Provider"),
                   ("Jeu de données", "Dataset"), ("Étape", "Step"), ("Négociation", "Negotiation"),
                   ("Transfert", "Transfer"), ("Reçu / motif", "Received / reason")):
        table.add_column(t(*column, lang), overflow="fold")
    for item in run["items"]:
        concept = item["geoconcept"]
        provider = item["provider"]
        attempt = f" ({item['candidate'] + 1}/{item['candidates']})" if item["candidate"] else ""
        negotiation, transfer = item.get("negotiation") or {}, item.get("transfer") or {}
        table.add_row(str(item["position"] + 1), escape(f"{concept['id']} {_in_lang(concept['label'], lang)}".strip()),
                      escape(str(provider.get("name") or provider["did"])), escape(_title(item) + attempt),
                      _label(STEP_LABELS, item["step"], lang), str(negotiation.get("state") or ""),
                      str(transfer.get("state") or ""), escape(_item_outcome(item, lang)))
    out.print(table)
    out.print(t(f"{totals['succeeded']} obtenu(s), {totals['failed']} échec(s), {totals['under_way']} en cours, "
                f"{totals['pending']} en attente, {totals['skipped']} sauté(s) ; {totals['gaps']} lacune(s) du plan",
                f"{totals['succeeded']} obtained, {totals['failed']} failed, {totals['under_way']} under way, "
                f"{totals['pending']} pending, {totals['skipped']} skipped; {totals['gaps']} gap(s) in the plan", lang),
              highlight=False)
    received = [item for item in run["items"] if item.get("received")]
    if received:
        out.print(t("Données reçues :", "Data received:", lang), highlight=False)
        for item in received:
            out.print(f"  {escape(item['geoconcept']['id'])} {escape(item['received']['path'])}", highlight=False)
    gaps = run.get("gaps") or []
    unobtainable = [gap for gap in gaps if gap.get("reason") == "not-obtainable"]
    unoffered = [gap["geoconcept"]["id"] for gap in gaps if gap.get("reason") != "not-obtainable"]
    if unoffered:
        out.print(t(f"Non offerts ({len(unoffered)}) : ", f"Not offered ({len(unoffered)}): ", lang) +
                  escape(", ".join(unoffered)), highlight=False)
    for gap in unobtainable:
        concept = gap["geoconcept"]
        out.print(t("Non obtenable", "Not obtainable", lang) + f" — {escape(concept['id'])} "
                  f"{escape(_in_lang(concept['label'], lang))} : {escape(_in_lang(gap['explanation'], lang))}",
                  highlight=False)


def _progress_printer(lang: str) -> Any:
    """Prints the items whose step changed since the last view (for `obtain --wait`)."""
    steps: dict[str, str] = {}

    def show(run: dict[str, Any]) -> None:
        for item in run["items"]:
            before = steps.get(item["id"])
            if before == item["step"]:
                continue
            steps[item["id"]] = item["step"]
            change = (f"{_label(STEP_LABELS, before, lang)} → " if before else "") + _label(STEP_LABELS, item["step"],
                                                                                                lang)
            typer.echo(f"  {item['geoconcept']['id']} {_title(item)} : {change}" if lang != "en" else
                       f"  {item['geoconcept']['id']} {_title(item)}: {change}")

    return show


@app.command()
def obtain(
    ctx: typer.Context,
    plan_file: Annotated[Path, typer.Argument(help=t("Plan d'accès (JSON) rendu par le catalogue fédéré.",
                                                     "Access plan (JSON) from the federated catalogue."))],
    no_fetch: Annotated[bool, typer.Option("--no-fetch", help=t(
        "S'arrêter aux transferts démarrés, sans tirer les données.",
        "Stop at the started transfers, without pulling the data."))] = False,
    no_alternatives: Annotated[bool, typer.Option("--no-alternatives", help=t(
        "Ne pas essayer les alternatives quand un fournisseur refuse.",
        "Do not try the alternatives when a provider refuses."))] = False,
    parallel: Annotated[int | None, typer.Option("--parallel", min=1, help=t(
        "Éléments menés en même temps (défaut : 4).", "Items run at the same time (default: 4)."))] = None,
    wait: Annotated[bool, typer.Option("--wait", help=t(
        "Suivre l'exécution jusqu'à sa fin.", "Follow the run until it ends."))] = False,
    timeout: Annotated[float, typer.Option("--timeout", help=t(
        "Attente maximale avec --wait (secondes).", "Longest wait with --wait (seconds)."))] = 3600.0,
    management_url: ManagementUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Fait obtenir par le connecteur les données d'un plan d'accès : négociations, transferts et réception, élément
    par élément (API de gestion)."""
    lang = lang_of(ctx)
    try:
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(ctx, f"lecture impossible de {plan_file} : {exc.strerror or exc}",
             f"cannot read {plan_file}: {exc.strerror or exc}")
    except ValueError as exc:
        fail(ctx, f"{plan_file} n'est pas du JSON : {exc}", f"{plan_file} is not JSON: {exc}")

    def run_it(client: Any) -> dict[str, Any]:
        run = client.run_plan(plan, fetch=False if no_fetch else None, use_alternatives=not no_alternatives,
                              parallel=parallel)
        if not as_json:
            totals = run["totals"]
            typer.echo(t(f"Exécution {run['id']} : {totals['items']} élément(s), {totals['gaps']} lacune(s)",
                         f"Run {run['id']}: {totals['items']} item(s), {totals['gaps']} gap(s)", lang))
        if wait:
            run = client.wait_plan_run(run["id"], timeout=timeout,
                                       on_progress=None if as_json else _progress_printer(lang))
        return run

    run = _ask(ctx, management_url, token, run_it)
    if as_json:
        sys.stdout.write(json.dumps(run, ensure_ascii=False, indent=2) + "\n")
    else:
        print_run(run, lang)
        if not wait:
            typer.echo(t(f"Suivre : jnt connector plans {run['id']}", f"Follow: jnt connector plans {run['id']}",
                         lang))
    if wait:
        raise typer.Exit(EXIT_CODES.get(run["status"], 1))


@app.command()
def plans(
    ctx: typer.Context,
    run_id: Annotated[str | None, typer.Argument(help=t("Une exécution à détailler.", "A run to show."))] = None,
    status: Annotated[str | None, typer.Option("--status", help=t(
        "Seulement les exécutions dans cet état (running, completed…).",
        "Only the runs in this status (running, completed...)."))] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help=t("Nombre maximal d'exécutions.",
                                                                         "Most runs shown."))] = 50,
    management_url: ManagementUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Les exécutions de plans d'accès du connecteur, ou le détail de l'une d'elles."""
    lang = lang_of(ctx)
    answer = _ask(ctx, management_url, token, lambda client: client.get_plan_run(run_id) if run_id else
                  client.list_plan_runs(status=status, limit=limit))
    if as_json:
        sys.stdout.write(json.dumps(answer, ensure_ascii=False, indent=2) + "\n")
        return
    if run_id:
        print_run(answer, lang)
        return
    out = Console(soft_wrap=True)
    table = Table(title=t(f"{answer['total']} exécution(s) de plans", f"{answer['total']} plan run(s)", lang))
    table.box = box.SIMPLE
    table.add_column(t("Exécution", "Run", lang), no_wrap=True, min_width=36)
    for column in (("État", "Status"), ("Obtenus", "Obtained"), ("Échecs", "Failed"), ("Créée (UTC)", "Created (UTC)")):
        table.add_column(t(*column, lang), overflow="fold")
    for run in answer["items"]:
        totals = run["totals"]
        table.add_row(run["id"], _label(STATUS_LABELS, run["status"], lang), f"{totals['succeeded']}/{totals['items']}",
                      str(totals["failed"]), str(run["created_at"]).replace("T", " ")[5:16])
    out.print(table)
