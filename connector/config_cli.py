"""`jnt config …`: the configuration reference (every setting, its variable, its default) and the settings in
force, secrets hidden."""

from __future__ import annotations

import json

import typer

from .config_reference import reference as build_reference
from .i18n import t
from .ops.backup import public_settings
from .participant_cli import settings_of

app = typer.Typer(help=t("Configuration : référence des réglages, réglages en vigueur.",
                         "Configuration: settings reference, settings in force."), no_args_is_help=True)


@app.command(help=t("Référence de tous les réglages (Markdown) : variable d'environnement, type, défaut.",
                    "Reference of every setting (Markdown): environment variable, type, default."))
def reference() -> None:
    typer.echo(build_reference(), nl=False)


@app.command(help=t("Réglages en vigueur (JSON), secrets masqués.", "Settings in force (JSON), secrets hidden."))
def show(ctx: typer.Context) -> None:
    typer.echo(json.dumps(public_settings(settings_of(ctx)), indent=2, ensure_ascii=False, default=str))
