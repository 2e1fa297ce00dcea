"""`jnt sheet …`: characterisation sheets from existing metadata. `import-iso` turns an ISO 19139 record (file or
URL) into a sheet and says which fields were filled from which XPath and which ones are still to fill;
`harvest-csw` does the same for every record of a CSW catalogue; `show` prints a sheet criterion by criterion with
its completeness. Every error is a message, never a traceback."""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from catalog.csw import DEFAULT_PAGE_SIZE, HarvestReport, Page, harvest
from catalog.iso19139 import ImportResult, IsoImportError, import_iso
from catalog.sheet import CRITERIA, ONE_OF, Sheet

from .i18n import t

app = typer.Typer(help=t("Fiches de caractérisation : import ISO 19139, moissonnage CSW, affichage.",
                         "Characterisation sheets: ISO 19139 import, CSW harvest, display."), no_args_is_help=True)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

# Output formats: json is the sheet itself; the RDF ones come from catalog.dcat when it provides them.
FORMATS: dict[str, tuple[str, str] | None] = {
    "json": None,
    "ttl": ("catalog.dcat", "sheet_to_turtle"),
    "jsonld": ("catalog.dcat", "sheet_to_jsonld"),
}


def _lang(ctx: typer.Context) -> str:
    return (ctx.obj or {}).get("lang", "fr")


def _fail(message: str, lang: str, code: int = 2) -> None:
    err.print(t("[bold red]Erreur[/] : ", "[bold red]Error[/]: ", lang) + escape(message))
    raise typer.Exit(code)


def _labels(lang: str) -> dict[str, str]:
    """Sheet field path → its label in the language."""
    labels: dict[str, str] = {}
    for key in CRITERIA:
        for name, info in Sheet.model_fields[key].annotation.model_fields.items():
            extra = info.json_schema_extra or {}
            labels[f"{key}.{name}"] = str(extra.get("label_en" if lang == "en" else "label_fr", name))
        for group in ONE_OF.get(key, ()):
            joined = t(" ou ", " or ", lang).join(labels[f"{key}.{n}"] for n in group)
            labels[f"{key}.{'|'.join(group)}"] = joined
    return labels


def _code(path: str) -> str:
    return CRITERIA[path.split(".", 1)[0]][0]


def _serialise(sheet: Sheet, fmt: str, lang: str) -> str:
    if fmt not in FORMATS:
        _fail(t(f"format « {fmt} » inconnu ; formats : {', '.join(FORMATS)}",
                f"unknown format '{fmt}'; formats: {', '.join(FORMATS)}", lang), lang)
    target = FORMATS[fmt]
    if target is None:
        return json.dumps(sheet.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2) + "\n"
    module_name, function_name = target
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError):
        _fail(t(f"le format {fmt} n'est pas encore disponible ({module_name}.{function_name} absent) ; "
                "utilisez --format json",
                f"format {fmt} is not available yet ({module_name}.{function_name} missing); use --format json",
                lang), lang)
    value = function(sheet)
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, indent=2)
    return value if value.endswith("\n") else value + "\n"


def _report(result: ImportResult, lang: str, console: Console) -> None:
    labels = _labels(lang)
    console.print(t(f"[bold]Champs remplis automatiquement ({len(result.filled)})[/]",
                    f"[bold]Fields filled automatically ({len(result.filled)})[/]", lang))
    for item in result.filled:
        deduced = t(" [yellow](déduit)[/]", " [yellow](deduced)[/]", lang) if item.inferred else ""
        console.print(f"  [green]✓[/] {_code(item.path)} {escape(labels.get(item.path, item.path))} "
                      f"[dim]({item.path})[/]{deduced} = {escape(item.value_preview)}")
        console.print(f"      [dim]← {escape(item.xpath)}[/]")
    if result.geoconcept_candidates and not result.sheet.nature.geoconcept:
        console.print(t("[bold]Géo-concept à choisir[/] :", "[bold]Géo-concept to choose[/]:", lang))
        for c in result.geoconcept_candidates:
            console.print(f"  - {c.id} {escape(c.label)} [dim]({c.iri}, score {c.score:.2f})[/]")
    if result.warnings:
        console.print(t(f"[bold]Avertissements ({len(result.warnings)})[/]",
                        f"[bold]Warnings ({len(result.warnings)})[/]", lang))
        for warning in result.warnings:
            console.print(f"  [yellow]![/] {escape(warning.message(lang))}")
    recommended = [p for p in result.to_fill if p not in result.to_fill_mandatory]
    console.print(t(f"[bold]À compléter — obligatoires ({len(result.to_fill_mandatory)})[/]",
                    f"[bold]Still to fill — mandatory ({len(result.to_fill_mandatory)})[/]", lang))
    for path in result.to_fill_mandatory:
        console.print(f"  [red]✗[/] {_code(path)} {escape(labels.get(path, path))} [dim]({path})[/]")
    console.print(t(f"[bold]À compléter — recommandés ({len(recommended)})[/] : ",
                    f"[bold]Still to fill — recommended ({len(recommended)})[/]: ", lang)
                  + ", ".join(escape(labels.get(p, p)) for p in recommended))


@app.command("import-iso")
def import_iso_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help=t("Fiche ISO 19139 : chemin de fichier ou URL http(s).",
                                                 "ISO 19139 record: file path or http(s) URL."))],
    fmt: Annotated[str, typer.Option("--format", "-f", help=t(
        "Format de la fiche produite : json (ttl et jsonld avec catalog.dcat).",
        "Output sheet format: json (ttl and jsonld with catalog.dcat)."))] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help=t(
        "Écrit la fiche dans ce fichier (sinon sur la sortie standard).",
        "Write the sheet to this file (else to standard output)."))] = None,
    timeout: Annotated[float, typer.Option("--timeout", help=t("Délai d'attente d'une URL (s).",
                                                               "Timeout for a URL (s)."))] = 10.0,
) -> None:
    """Importe une fiche ISO 19139 en fiche de caractérisation et liste ce qui reste à compléter."""
    lang = _lang(ctx)
    if fmt not in FORMATS:
        _serialise(Sheet(id="urn:x"), fmt, lang)  # the unknown-format message
    try:
        result = import_iso(source, timeout=timeout)
    except IsoImportError as exc:
        _fail(exc.message(lang), lang)
    text = _serialise(result.sheet, fmt, lang)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(t(f"impossible d'écrire {output} : {exc.strerror}", f"cannot write {output}: {exc.strerror}", lang),
                  lang)
        out.print(t(f"Fiche écrite dans {output}", f"Sheet written to {output}", lang))
        _report(result, lang, out)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
        _report(result, lang, err)


def _file_name(result: ImportResult, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", result.record_id or result.sheet.id.rsplit("/", 1)[-1]).strip("._")
    base = (base or "sheet")[:100]
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}-{n}"
    used.add(name)
    return name + ".json"


@app.command("harvest-csw")
def harvest_csw_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help=t("URL du service CSW 2.0.2.", "URL of the CSW 2.0.2 service."))],
    max_records: Annotated[int | None, typer.Option("--max", min=1, help=t(
        "Nombre maximal de fiches à moissonner.", "Maximum number of records to harvest."))] = None,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", "-d", help=t(
        "Dossier où écrire une fiche JSON par enregistrement.", "Folder to write one JSON sheet per record."))] = None,
    page_size: Annotated[int, typer.Option("--page-size", min=1, help=t(
        "Fiches demandées par page (maxRecords).", "Records asked for per page (maxRecords)."))] = DEFAULT_PAGE_SIZE,
    timeout: Annotated[float, typer.Option("--timeout", help=t("Délai d'attente par page (s).",
                                                               "Timeout per page (s)."))] = 30.0,
) -> None:
    """Moissonne un catalogue CSW (ISO 19139) en fiches de caractérisation ; code de sortie 1 si des fiches ou des
    pages ont échoué."""
    lang = _lang(ctx)
    if not re.match(r"^https?://", url):
        _fail(t(f"URL http(s) attendue : {url}", f"http(s) URL expected: {url}", lang), lang)
    if output_dir is not None:
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _fail(t(f"impossible de créer {output_dir} : {exc.strerror}",
                    f"cannot create {output_dir}: {exc.strerror}", lang), lang)
    used: set[str] = set()
    written = 0

    def progress(report: HarvestReport, page: Page | None) -> None:
        nonlocal written
        total = report.matched if report.matched is not None else "?"
        if page is None:
            failure = report.failed[-1]
            err.print(t(f"[red]{failure.where}[/] : {escape(failure.message(lang))}",
                        f"[red]{failure.where}[/]: {escape(failure.message(lang))}", lang))
        else:
            err.print(t(f"page {report.pages} (à partir de {page.start}) : {len(page.records)} fiche(s) — "
                        f"{len(report.imported)} importée(s), {len(report.failed)} en échec, {total} annoncée(s)",
                        f"page {report.pages} (from {page.start}): {len(page.records)} record(s) — "
                        f"{len(report.imported)} imported, {len(report.failed)} failed, {total} announced", lang))
        if output_dir is not None:
            for result in report.imported[written:]:
                (output_dir / _file_name(result, used)).write_text(_serialise(result.sheet, "json", lang),
                                                                  encoding="utf-8")
            written = len(report.imported)

    report = harvest(url, max_records=max_records, page_size=page_size, timeout=timeout, on_page=progress)
    out.print(t(f"[bold]{len(report.imported)} fiche(s) importée(s), {len(report.failed)} échec(s)[/] "
                f"({report.pages} page(s), {report.matched if report.matched is not None else '?'} annoncée(s))",
                f"[bold]{len(report.imported)} record(s) imported, {len(report.failed)} failed[/] "
                f"({report.pages} page(s), {report.matched if report.matched is not None else '?'} announced)", lang))
    for failure in report.failed:
        out.print(f"  [red]✗[/] {escape(failure.where)} : {escape(failure.message(lang))}")
    incomplete = sum(1 for r in report.imported if r.to_fill_mandatory)
    if report.imported:
        out.print(t(f"{incomplete} fiche(s) avec des champs obligatoires à compléter",
                    f"{incomplete} sheet(s) with mandatory fields still to fill", lang))
    if output_dir is not None and report.imported:
        out.print(t(f"Fiches écrites dans {output_dir}", f"Sheets written to {output_dir}", lang))
    if report.failed or not report.complete:
        raise typer.Exit(1)


def _display(value: Any) -> str:
    if isinstance(value, BaseModel):
        data = value.model_dump(exclude_none=True, exclude_defaults=True)
        if "name" in data and "email" in data:
            return f"{data['name']} <{data['email']}>"
        if "access_url" in data:
            fmt = str(data.get("format", "")).rsplit("/", 1)[-1]
            return f"{fmt + ' ' if fmt else ''}{data['access_url']}"
        if "specification_title" in data:
            return f"{data['specification_title']} → {str(data['degree']).rsplit('/', 1)[-1]}"
        if "role" in data and "agent" in data:
            return f"{str(data['role']).rsplit('/', 1)[-1]} : {data['agent'].get('name')}"
        return ", ".join(str(v) for v in data.values())
    if isinstance(value, tuple):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, list):
        return " ; ".join(_display(v) for v in value)
    text = " ".join(str(value).split())
    for prefix in ("http://publications.europa.eu/resource/authority/", "http://inspire.ec.europa.eu/",
                   "http://purl.org/adms/", "https://w3id.org/jnt/"):
        if text.startswith(prefix) and " " not in text:
            return text[len(prefix):]
    return text


def _load_sheet(file: Path, lang: str) -> Sheet:
    """A sheet from its JSON form, or from DCAT-AP RDF (Turtle by extension, JSON-LD when it has an @context)."""
    from catalog.dcat import SheetMappingError, sheet_from_jsonld, sheet_from_turtle

    try:
        if file.suffix.lower() in (".ttl", ".turtle"):
            return sheet_from_turtle(file.read_text(encoding="utf-8"))
        data = json.loads(file.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "@context" in data:
            return sheet_from_jsonld(data)
    except SheetMappingError as exc:
        _fail(t(f"{file} ne décrit pas une fiche lisible : {exc}", f"{file} does not describe a readable sheet: {exc}",
                lang), lang)
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):
            _fail(t(f"{file} illisible : {exc}", f"cannot read {file}: {exc}", lang), lang)
        _fail(t(f"JSON invalide dans {file} : {exc}", f"invalid JSON in {file}: {exc}", lang), lang)
    except FileNotFoundError:
        _fail(t(f"fichier introuvable : {file}", f"file not found: {file}", lang), lang)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(t(f"fichier introuvable : {file}", f"file not found: {file}", lang), lang)
    except (OSError, UnicodeDecodeError) as exc:
        _fail(t(f"fichier illisible : {file} ({exc})", f"cannot read file: {file} ({exc})", lang), lang)
    except json.JSONDecodeError as exc:
        _fail(t(f"JSON invalide dans {file} : {exc}", f"invalid JSON in {file}: {exc}", lang), lang)
    if isinstance(data, dict) and "sheet" in data and "nature" not in data:
        data = data["sheet"]  # an import result saved whole
    try:
        return Sheet.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        _fail(t(f"{file} n'est pas une fiche de caractérisation valide : {problems}",
                f"{file} is not a valid characterisation sheet: {problems}", lang), lang)
    raise AssertionError("unreachable")


@app.command()
def show(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=t("Fiche de caractérisation (JSON).", "Characterisation sheet (JSON)."))],
) -> None:
    """Affiche une fiche critère par critère, avec sa complétude et les champs obligatoires manquants."""
    lang = _lang(ctx)
    sheet = _load_sheet(file, lang)
    completeness = sheet.completeness()
    out.print(f"[bold]{escape(sheet.nature.title or t('(sans titre)', '(untitled)', lang))}[/]  [dim]{sheet.id}[/]")
    for criterion in completeness.criteria:
        name = criterion.name_en if lang == "en" else criterion.name_fr
        state = "[green]" if criterion.complete else "[red]"
        out.print(f"\n{state}{criterion.code} {escape(name)}[/]  M {criterion.mandatory_filled}/"
                  f"{criterion.mandatory_total}  R {criterion.recommended_filled}/{criterion.recommended_total}")
        part = getattr(sheet, criterion.key)
        for state_field in criterion.fields:
            label = state_field.label_en if lang == "en" else state_field.label_fr
            if state_field.filled:
                names = state_field.path.split(".", 1)[1].split("|")
                values = [getattr(part, n) for n in names if getattr(part, n) not in (None, [], "")]
                text = " ; ".join(_display(v) for v in values)
                text = text if len(text) <= 160 else text[:157] + "…"
                out.print(f"  {escape(label)} : {escape(text)}")
            elif state_field.mandatory:
                out.print(f"  [red]✗ {escape(label)}[/] " + t("[red](obligatoire, à compléter)[/]",
                                                              "[red](mandatory, missing)[/]", lang))
    table = Table(title=t("Complétude", "Completeness", lang))
    for column in (t("critère", "criterion", lang), "M", "R", t("obligatoires manquants", "missing mandatory", lang)):
        table.add_column(column)
    for criterion in completeness.criteria:
        missing = ", ".join((f.label_en if lang == "en" else f.label_fr) for f in criterion.missing(True))
        table.add_row(f"{criterion.code} {criterion.name_en if lang == 'en' else criterion.name_fr}",
                      f"{criterion.mandatory_filled}/{criterion.mandatory_total}",
                      f"{criterion.recommended_filled}/{criterion.recommended_total}", missing or "—")
    out.print()
    out.print(table)
    out.print(t(f"Obligatoires : {completeness.mandatory_filled}/{completeness.mandatory_total} — "
                f"score {completeness.score:.0%}",
                f"Mandatory: {completeness.mandatory_filled}/{completeness.mandatory_total} — "
                f"score {completeness.score:.0%}", lang))


@app.command()
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=t("Fiche (JSON, Turtle ou JSON-LD DCAT-AP).",
                                                "Sheet (JSON, Turtle or DCAT-AP JSON-LD)."))],
    shapes: Annotated[str, typer.Option("--shapes", help=t(
        "Formes SHACL : all (DCAT-AP 3 officielles + JNT), dcat-ap, jnt.",
        "SHACL shapes: all (official DCAT-AP 3 + JNT), dcat-ap, jnt."))] = "all",
) -> None:
    """Valide une fiche avec SHACL (DCAT-AP 3 et formes JNT) ; code de sortie 0 si conforme, 1 sinon."""
    from catalog.shacl import validate_sheet

    lang = _lang(ctx)
    if shapes not in ("all", "dcat-ap", "jnt"):
        _fail(t("--shapes attend all, dcat-ap ou jnt", "--shapes expects all, dcat-ap or jnt", lang), lang)
    sheet = _load_sheet(file, lang)
    report = validate_sheet(sheet, lang, shapes=shapes)
    out.print(escape(report.to_text(lang)))
    if report.conforms:
        out.print(t("[green]Fiche conforme[/] (aucune violation).", "[green]Sheet conforms[/] (no violation).", lang))
        return
    out.print(t(f"[red]{len(report.violations)} violation(s)[/] : la fiche ne peut pas être publiée en l'état.",
                f"[red]{len(report.violations)} violation(s)[/]: the sheet cannot be published as it is.", lang))
    raise typer.Exit(1)
