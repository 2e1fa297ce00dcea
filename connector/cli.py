"""The `jnt` command line: one sub-command per area of the data space. Global options set the language and
logging; each sub-command builds what it needs from a `Settings` object."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import (
    audit_cli,
    authority_cli,
    backup_cli,
    catalog_cli,
    config_cli,
    connector_cli,
    console_cli,
    db_cli,
    geoconcept_cli,
    participant_cli,
    policy_cli,
    sheet_cli,
)
from .demo import run_demo
from .i18n import t
from .logs import configure_logging
from .settings import load_settings

app = typer.Typer(
    name="jnt",
    help=t("JNT Data Space : espace de données territorial pour les jumeaux numériques du territoire.",
           "JNT Data Space: territorial data space for territorial digital twins."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(policy_cli.app, name="policy")
app.add_typer(authority_cli.app, name="authority")
app.add_typer(participant_cli.app, name="participant")
app.add_typer(participant_cli.keys_app, name="keys")
app.add_typer(geoconcept_cli.app, name="geoconcepts")
app.add_typer(sheet_cli.app, name="sheet")
app.add_typer(connector_cli.app, name="connector")
app.add_typer(db_cli.app, name="db")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(catalog_cli.app, name="catalog")
app.add_typer(backup_cli.app, name="backup")
app.add_typer(config_cli.app, name="config")
app.add_typer(console_cli.app, name="console")


@app.callback()
def main_options(
    ctx: typer.Context,
    lang: Annotated[str | None, typer.Option("--lang", help=t("Langue : fr ou en (défaut : JNT_LANG, sinon fr).",
                                                              "Language: fr or en (default: JNT_LANG, else fr)."))] = None,
    log_level: Annotated[str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING, ERROR")] = None,
) -> None:
    if lang is not None and lang not in ("fr", "en"):
        raise typer.BadParameter(t("fr ou en", "fr or en"), param_hint="--lang")
    try:
        settings = load_settings(lang=lang, log_level=log_level.upper() if log_level else None)
    except Exception as exc:  # pydantic ValidationError: say which setting is wrong, no traceback
        typer.echo(t(f"Configuration invalide : {exc}", f"Invalid configuration: {exc}"), err=True)
        raise typer.Exit(2) from None
    configure_logging(settings)
    ctx.obj = {"settings": settings, "lang": settings.lang}


@app.command()
def version() -> None:
    """Affiche la version."""
    from importlib.metadata import version as dist_version

    typer.echo(f"jnt-dataspace {dist_version('jnt-dataspace')}")


@app.command()
def demo(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help=t("Exécute le scénario puis s'arrête.",
                                                        "Run the scenario, then exit."))] = False,
    report_json: Annotated[Path | None, typer.Option("--report-json", help=t(
        "Écrit un résumé JSON du scénario.", "Write a JSON summary of the scenario."))] = None,
) -> None:
    """Démonstration : l'espace de données de l'estuaire de la Loire et son scénario inondation."""
    raise typer.Exit(run_demo(ctx.obj["lang"], report_json, once=once))


def main() -> None:
    app()
