"""`jnt connector …`: run a participant's connector (DSP 2025-1 endpoints, management API, dispatcher), or a
connector in TCK mode that the Eclipse Dataspace TCK can be pointed at; have a running connector pull a transfer's
data (`fetch`, through its management API); delete the received copies whose delete-by date has passed (`purge`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
import uvicorn
from pydantic import SecretStr

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
    management_url: Annotated[str | None, typer.Option("--management-url", help=t(
        "API de gestion du connecteur (défaut : JNT_PUBLIC_URL/management, sinon http://127.0.0.1:8282/management).",
        "The connector's management API (default: JNT_PUBLIC_URL/management, else "
        "http://127.0.0.1:8282/management)."))] = None,
    token: Annotated[str | None, typer.Option("--token", help=t(
        "Jeton de gestion (défaut : JNT_MANAGEMENT_TOKEN).", "Management token (default: JNT_MANAGEMENT_TOKEN)."))
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=t("Sortie JSON.", "JSON output."))] = False,
) -> None:
    """Fait tirer par le connecteur en marche les données d'un transfert démarré (API de gestion)."""
    from .control.client import ManagementClient, ManagementError

    settings = settings_of(ctx)
    lang = lang_of(ctx)
    secret = token or (settings.management_token.get_secret_value() if settings.management_token else None)
    if not secret:
        fail(ctx, "jeton de gestion absent : --token ou JNT_MANAGEMENT_TOKEN",
             "management token missing: --token or JNT_MANAGEMENT_TOKEN")
    with ManagementClient(_management_url(settings, management_url), secret) as client:
        try:
            copy = client.fetch_transfer(transfer_id, path=path, bbox=bbox, out=out)
        except ManagementError as exc:
            fail(ctx, exc.fr, exc.en)
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
