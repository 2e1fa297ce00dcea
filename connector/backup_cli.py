"""`jnt backup …`: one archive with a participant's database, identity (keys still encrypted) and configuration
(`create`), its contents (`show`), and a restore into a new data directory and database (`restore`) — after
which the participant starts as before: same DID, same agreements, transfers and audit chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from sqlalchemy import Engine

from .i18n import t
from .ops.backup import BackupError, create_backup, describe, restore_backup
from .participant_cli import fail, lang_of, settings_of

app = typer.Typer(help=t("Sauvegarde et restauration d'un participant (base, clés chiffrées, configuration).",
                         "Back up and restore a participant (database, encrypted keys, configuration)."),
                  no_args_is_help=True)

Service = Literal["connector", "authority", "catalogue"]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help=t(
    "Répertoire du participant.", "The participant's directory."))]
Url = Annotated[str | None, typer.Option("--database-url", help=t(
    "URL SQLAlchemy de la base (sinon JNT_DATABASE_URL ou la base SQLite du répertoire).",
    "SQLAlchemy database URL (else JNT_DATABASE_URL or the directory's SQLite database)."))]


def prepare_schema(engine: Engine, manifest: dict[str, Any]) -> None:
    """Create the tables a service makes at start-up rather than by migration, so its rows can be restored."""
    from .identity import replay

    replay.metadata.create_all(engine)
    service = manifest.get("service", "connector")
    if service == "authority":
        from .identity import authority

        authority.metadata.create_all(engine)
    elif service == "catalogue":
        from catalog.federated.schema import migrate

        migrate(engine)


def _fail(ctx: typer.Context, exc: BackupError) -> None:
    fail(ctx, exc.fr, exc.en)


@app.command(help=t("Écrit une archive .tar.gz : base (instantané cohérent), identité et clés (chiffrées), "
                    "configuration sans les secrets.", "Write a .tar.gz archive: database (consistent snapshot), "
                    "identity and keys (encrypted), configuration without the secrets."))
def create(
    ctx: typer.Context,
    data_dir: DataDir = None,
    database_url: Url = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=t(
        "Fichier à écrire (défaut : jnt-backup-AAAAMMJJ-HHMMSS.tar.gz).",
        "File to write (default: jnt-backup-YYYYMMDD-HHMMSS.tar.gz)."))] = None,
    service: Annotated[str, typer.Option("--service", help=t(
        "connector, authority ou catalogue.", "connector, authority or catalogue."))] = "connector",
    with_data: Annotated[bool, typer.Option("--with-data", help=t(
        "Inclure les sources de données et les copies reçues.", "Include the data sources and received copies."))]
        = False,
) -> None:
    if service not in ("connector", "authority", "catalogue"):
        fail(ctx, f"service inconnu : {service} (connector, authority, catalogue)",
             f"unknown service: {service} (connector, authority, catalogue)", 2)
    settings = settings_of(ctx, data_dir=data_dir, database_url=database_url)
    archive = out or Path(f"jnt-backup-{datetime.now(UTC):%Y%m%d-%H%M%S}.tar.gz")
    try:
        report = create_backup(settings, archive, service=service, include_data=with_data)
    except BackupError as exc:
        _fail(ctx, exc)
    except Exception as exc:  # database unreachable...
        fail(ctx, f"sauvegarde impossible : {exc}", f"backup failed: {exc}")
    lang = lang_of(ctx)
    rows = sum(report.tables.values())
    typer.echo(t(f"sauvegarde écrite : {report.archive} ({rows} lignes dans {len(report.tables)} tables, "
                 f"{report.files} fichiers, révision {report.revision})",
                 f"backup written: {report.archive} ({rows} rows in {len(report.tables)} tables, {report.files} "
                 f"files, revision {report.revision})", lang))


@app.command(help=t("Restaure une archive dans un répertoire et une base neufs.",
                    "Restore an archive into a new directory and database."))
def restore(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help=t("Archive à restaurer.", "Archive to restore."))],
    data_dir: DataDir = None,
    database_url: Url = None,
) -> None:
    settings = settings_of(ctx, data_dir=data_dir, database_url=database_url)
    try:
        report = restore_backup(archive, settings, prepare=prepare_schema)
    except BackupError as exc:
        _fail(ctx, exc)
    lang = lang_of(ctx)
    rows = sum(report.tables.values())
    typer.echo(t(f"restauré : {report.did} dans {settings.data_dir} ({rows} lignes, {report.files} fichiers) ; "
                 "vérifier le journal d'audit : jnt audit verify",
                 f"restored: {report.did} into {settings.data_dir} ({rows} rows, {report.files} files); check the "
                 "audit log: jnt audit verify", lang))


@app.command(help=t("Affiche le manifeste d'une archive (empreintes vérifiées).",
                    "Show an archive's manifest (digests checked)."))
def show(ctx: typer.Context,
         archive: Annotated[Path, typer.Argument(help=t("Archive.", "Archive."))]) -> None:
    try:
        typer.echo(json.dumps(describe(archive), indent=2, ensure_ascii=False))
    except BackupError as exc:
        _fail(ctx, exc)
