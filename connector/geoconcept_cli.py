"""`jnt geoconcepts …`: list the géo-concepts of the registry (the bundled flood-risk list or the file named by
`JNT_GEOCONCEPTS_FILE`), and publish it as a SKOS concept scheme under the configured base IRI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from catalog.geoconcepts import Registry, RegistryError, load_registry

from .i18n import t

app = typer.Typer(help=t("Registre des géo-concepts : lister, publier en SKOS.",
                         "Géo-concept registry: list, publish as SKOS."), no_args_is_help=True)
out = Console(soft_wrap=True)


def _registry(ctx: typer.Context, file: Path | None, base_iri: str | None) -> Registry:
    settings = (ctx.obj or {}).get("settings")
    lang = (ctx.obj or {}).get("lang", "fr")
    path = file or (Path(settings.geoconcepts_file) if settings and settings.geoconcepts_file else None)
    base = base_iri or (settings.geoconcept_base_iri if settings else None) or "https://w3id.org/jnt/geoconcept/"
    try:
        return load_registry(path, base_iri=base)
    except RegistryError as exc:
        typer.echo(t(f"Erreur : {exc}", f"Error: {exc}", lang), err=True)
        raise typer.Exit(2) from None


FileOption = Annotated[Path | None, typer.Option("--file", help=t(
    "Liste de géo-concepts (CSV ou SKOS Turtle) ; défaut : JNT_GEOCONCEPTS_FILE ou la liste fournie.",
    "Géo-concept list (CSV or SKOS Turtle); default: JNT_GEOCONCEPTS_FILE or the bundled list."))]
BaseOption = Annotated[str | None, typer.Option("--base-iri", help=t(
    "IRI de base de publication (défaut : JNT_GEOCONCEPT_BASE_IRI).", "Publication base IRI (default: JNT_GEOCONCEPT_BASE_IRI)."))]


@app.command("list")
def list_(ctx: typer.Context, file: FileOption = None, base_iri: BaseOption = None,
          use_case: Annotated[str | None, typer.Option("--use-case", help=t("Filtrer par cas d'usage.",
                                                                              "Filter by use case."))] = None) -> None:
    """Liste les géo-concepts avec leur rôle et leurs thèmes INSPIRE."""
    lang = (ctx.obj or {}).get("lang", "fr")
    registry = _registry(ctx, file, base_iri)
    table = Table(title=t(f"{len(registry.concepts)} géo-concepts", f"{len(registry.concepts)} géo-concepts", lang))
    for column in ("id", t("libellé", "label", lang), t("rôle", "role", lang), "INSPIRE", t("fournisseur type", "typical provider", lang)):
        table.add_column(column)
    for concept in registry.concepts.values():
        if use_case and use_case not in concept.use_cases:
            continue
        table.add_row(concept.id, concept.label_fr, concept.role, " ".join(concept.inspire_themes), concept.typical_provider)
    out.print(table)


@app.command()
def export(ctx: typer.Context, file: FileOption = None, base_iri: BaseOption = None,
           output: Annotated[Path | None, typer.Option("--output", "-o", help=t("Fichier de sortie (Turtle).",
                                                                                  "Output file (Turtle)."))] = None) -> None:
    """Publie le registre en schéma de concepts SKOS (Turtle)."""
    text = _registry(ctx, file, base_iri).to_turtle()
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
