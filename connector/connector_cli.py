"""`jnt connector …`: run a participant's connector (DSP 2025-1 endpoints, management API, dispatcher), or a
connector in TCK mode that the Eclipse Dataspace TCK can be pointed at."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import SecretStr

from .i18n import t
from .identity import IdentityError
from .participant_cli import fail, fail_identity, lang_of, settings_of

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
