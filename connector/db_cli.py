"""`jnt db …`: the participant database's schema version — show it, migrate it forward, or back one step
(downgrades lose what newer revisions store: meant for rolling back a failed upgrade)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .i18n import t
from .participant_cli import fail, lang_of, settings_of
from .store import current_revision, head_revision, upgrade
from .store.migrate import downgrade as downgrade_to

app = typer.Typer(help=t("Base de données du participant : version du schéma, migrations.",
                         "Participant database: schema version, migrations."), no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help=t(
    "Répertoire du participant (base SQLite par défaut).", "Participant directory (default SQLite database)."))]
Url = Annotated[str | None, typer.Option("--database-url", help=t(
    "URL SQLAlchemy de la base (sinon JNT_DATABASE_URL ou la base SQLite du répertoire).",
    "SQLAlchemy database URL (else JNT_DATABASE_URL or the directory's SQLite database)."))]


def _url(ctx: typer.Context, data_dir: Path | None, database_url: str | None) -> str:
    return settings_of(ctx, data_dir=data_dir, database_url=database_url).effective_database_url()


@app.command()
def current(ctx: typer.Context, data_dir: DataDir = None, database_url: Url = None) -> None:
    """Affiche la révision du schéma et la plus récente disponible."""
    url = _url(ctx, data_dir, database_url)
    try:
        revision = current_revision(url)
    except Exception as exc:  # unreachable server, unreadable file
        fail(ctx, f"base inaccessible : {exc}", f"database unreachable: {exc}")
    head, lang = head_revision(), lang_of(ctx)
    typer.echo(t(f"révision : {revision or 'aucune (base vierge)'}", f"revision: {revision or 'none (empty)'}", lang))
    typer.echo(t(f"plus récente : {head}", f"newest: {head}", lang))
    if revision != head:
        typer.echo(t("→ lancez `jnt db upgrade`", "→ run `jnt db upgrade`", lang))


@app.command("upgrade")
def upgrade_command(ctx: typer.Context, data_dir: DataDir = None, database_url: Url = None,
                    revision: Annotated[str, typer.Option("--revision", help=t(
                        "Révision cible.", "Target revision."))] = "head") -> None:
    """Applique les migrations jusqu'à la révision voulue (la plus récente par défaut)."""
    url = _url(ctx, data_dir, database_url)
    try:
        before = current_revision(url)
        after = upgrade(url, revision)
    except Exception as exc:
        fail(ctx, f"migration impossible : {exc}", f"cannot migrate: {exc}")
    lang = lang_of(ctx)
    if before == after:
        typer.echo(t(f"déjà à jour ({after})", f"already up to date ({after})", lang))
    else:
        typer.echo(t(f"migrée : {before or 'vierge'} → {after}", f"migrated: {before or 'empty'} → {after}", lang))


@app.command()
def downgrade(ctx: typer.Context, data_dir: DataDir = None, database_url: Url = None,
              to: Annotated[str, typer.Option("--to", help=t(
                  "Révision cible (défaut : une étape en arrière ; `base` : vide).",
                  "Target revision (default: one step back; `base`: empty)."))] = "-1") -> None:
    """Revient à une révision antérieure (les données des révisions plus récentes sont perdues)."""
    url = _url(ctx, data_dir, database_url)
    try:
        after = downgrade_to(url, to)
    except Exception as exc:
        fail(ctx, f"retour arrière impossible : {exc}", f"cannot downgrade: {exc}")
    typer.echo(t(f"révision : {after or 'aucune'}", f"revision: {after or 'none'}", lang_of(ctx)))
