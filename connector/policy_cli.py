"""`jnt policy …`: evaluate a request against an ODRL policy with its explanation, validate a policy, print a
policy from the licence (C5) x access mode (C7) templates, describe a policy in plain words, and show the JNT
policy profile. Every error is a message naming the element at fault, never a traceback."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from policies import PolicyError, compile_policy, load_request, load_world, parse_policies, parse_policy
from policies.profile import LEFT_OPERANDS
from policies.purposes import PURPOSES
from policies.serialize import to_jsonld, to_turtle
from policies.templates import LICENCES, Restrictions, describe_policy, offer_template
from policies.values import ValueFormatError, parse_datetime
from policies.vocab import short

from .i18n import t

app = typer.Typer(help=t("Politiques d'usage ODRL : évaluer, valider, générer, décrire.",
                         "ODRL usage policies: evaluate, validate, generate, describe."), no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _lang(ctx: typer.Context) -> str:
    return (ctx.obj or {}).get("lang", "fr")


def _fail(error: PolicyError, lang: str, code: int = 2) -> None:
    err.print(t("[bold red]Erreur[/] :", "[bold red]Error[/]:", lang), highlight=False)
    for p in error.problems:
        err.print(f"  - {p.message(lang)}", highlight=False, markup=False)
    raise typer.Exit(code)


def _input(path: Path, lang: str, what: str) -> Path:
    if not path.exists():
        _fail(PolicyError(_missing(path, what)), lang)
    return path


def _missing(path: Path, what: str):
    from policies.errors import problem

    return problem(what, "not-found", f"fichier introuvable : {path}", f"file not found: {path}")


@app.command()
def evaluate(
    ctx: typer.Context,
    policy: Annotated[Path, typer.Option("--policy", "-p", help=t("Politique (Turtle ou JSON-LD).",
                                                                  "Policy (Turtle or JSON-LD)."))],
    request: Annotated[Path, typer.Option("--request", "-r", help=t(
        "Demande : JSON simple {action, assignee, target, purpose, category, …} ou odrl:Request (Turtle/JSON-LD).",
        "Request: simple JSON {action, assignee, target, purpose, category, …} or odrl:Request (Turtle/JSON-LD)."))],
    sotw: Annotated[Path | None, typer.Option("--sotw", "-s", help=t(
        "État du monde : JSON {now, count, agreementStart, memberships, duties} ou Turtle.",
        "State of the world: JSON {now, count, agreementStart, memberships, duties} or Turtle."))] = None,
    open_world: Annotated[bool, typer.Option("--open", help=t(
        "Monde ouvert : ce qui n'est pas réglé est permis (défaut : fermé).",
        "Open world: what no rule governs is permitted (default: closed)."))] = False,
) -> None:
    """Évalue une demande contre une politique et explique la décision (JSON sur la sortie standard)."""
    lang = _lang(ctx)
    try:
        compiled = compile_policy(parse_policy(_input(policy, lang, "policy")), resolver=_sibling_resolver(policy))
        req, world = load_request(_input(request, lang, "request"))
        if sotw is not None:
            world = load_world(_input(sotw, lang, "sotw"))
        decision = compiled.decide(req, world, behaviour="open" if open_world else "closed")
    except PolicyError as exc:
        _fail(exc, lang)
    except ValueError as exc:  # a territory or geometry error from the request
        _fail(PolicyError(_problem("request", str(exc))), lang)
    result = decision.to_json(lang)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


def _problem(path: str, message: str):
    from policies.errors import problem

    return problem(path, "invalid", message, message)


def _sibling_resolver(path: Path):
    """Parents named by inheritFrom are looked up among the policies of the same file."""
    def resolve(uid: str):
        try:
            for candidate in parse_policies(path):
                if candidate.uid == uid:
                    return candidate
        except PolicyError:
            return None
        return None

    return resolve


@app.command()
def validate(
    ctx: typer.Context,
    policy: Annotated[Path, typer.Argument(help=t("Politique à vérifier (Turtle ou JSON-LD).",
                                                  "Policy to check (Turtle or JSON-LD)."))],
) -> None:
    """Liste les problèmes d'une politique ; code de sortie 0 si elle est valide, 1 sinon."""
    lang = _lang(ctx)
    try:
        policies = parse_policies(_input(policy, lang, "policy"))
        for p in policies:
            compile_policy(p, resolver=_sibling_resolver(policy))
    except PolicyError as exc:
        out.print(t(f"[red]{len(exc.problems)} problème(s)[/] dans {policy} :",
                    f"[red]{len(exc.problems)} problem(s)[/] in {policy}:", lang), highlight=False)
        for p in exc.problems:
            out.print(f"  - {p.message(lang)}  [dim]({p.code})[/]", highlight=False)
        raise typer.Exit(1) from None
    for p in policies:
        out.print(t(f"[green]valide[/] : {p.uid} ({p.type}, {len(p.rules)} règle(s))",
                    f"[green]valid[/]: {p.uid} ({p.type}, {len(p.rules)} rule(s))", lang), highlight=False)


@app.command()
def describe(
    ctx: typer.Context,
    policy: Annotated[Path, typer.Argument(help=t("Politique (Turtle ou JSON-LD).", "Policy (Turtle or JSON-LD)."))],
) -> None:
    """Décrit une politique en langage courant."""
    lang = _lang(ctx)
    try:
        for p in parse_policies(_input(policy, lang, "policy")):
            out.print(f"[bold]{p.uid}[/] ({p.type})", highlight=False)
            for line in describe_policy(p, lang):
                out.print(f"  {line}", highlight=False, markup=False)
    except PolicyError as exc:
        _fail(exc, lang)


def _date(value: str | None, name: str, lang: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueFormatError as exc:
        _fail(PolicyError(_problem(name, str(exc))), lang)
    return None


@app.command()
def template(
    ctx: typer.Context,
    licence: Annotated[str, typer.Option("--licence", "-l", help=t(
        "C5 licence : etalab-2.0, odbl-1.0, cc-by-4.0, cc0-1.0, restricted.",
        "C5 licence: etalab-2.0, odbl-1.0, cc-by-4.0, cc0-1.0, restricted."))] = "etalab-2.0",
    access: Annotated[str, typer.Option("--access", "-a", help=t(
        "C7 modalité d'accès : public, restricted, non-public.", "C7 access mode: public, restricted, non-public."))] = "public",
    category: Annotated[list[str] | None, typer.Option("--category", help=t(
        "Catégorie de destinataire admise (public, private) ; répétable.",
        "Admitted recipient category (public, private); repeatable."))] = None,
    recipient: Annotated[list[str] | None, typer.Option("--recipient", help=t(
        "DID d'un destinataire nommé ; répétable.", "DID of a named recipient; repeatable."))] = None,
    purpose: Annotated[list[str] | None, typer.Option("--purpose", help=t(
        "Finalité admise (flood-risk-simulation, crisis-management, urban-planning, research, ou IRI DPV) ; répétable.",
        "Admitted purpose (flood-risk-simulation, crisis-management, urban-planning, research, or a DPV IRI); repeatable."))] = None,
    valid_from: Annotated[str | None, typer.Option("--from", help=t("Début de validité (ISO 8601).",
                                                                    "Start of validity (ISO 8601)."))] = None,
    valid_until: Annotated[str | None, typer.Option("--until", help=t("Fin de validité (ISO 8601, exclue).",
                                                                      "End of validity (ISO 8601, excluded)."))] = None,
    duration: Annotated[str | None, typer.Option("--duration", help=t(
        "Durée d'usage depuis l'accord (xsd:duration, ex. P1Y).", "Usage period from the agreement (xsd:duration, e.g. P1Y)."))] = None,
    max_count: Annotated[int | None, typer.Option("--max-count", help=t("Nombre maximal d'utilisations.",
                                                                        "Maximum number of uses."))] = None,
    territory: Annotated[list[str] | None, typer.Option("--territory", help=t(
        "Territoire autorisé (code INSEE, département, SIREN d'EPCI) ; répétable.",
        "Permitted territory (INSEE code, département, EPCI SIREN); repeatable."))] = None,
    action: Annotated[list[str] | None, typer.Option("--action", help=t(
        "Action permise au lieu de « use » (ex. aggregate) ; répétable.",
        "Permitted action instead of 'use' (e.g. aggregate); repeatable."))] = None,
    no_distribute: Annotated[bool, typer.Option("--no-distribute", help=t("Interdit la rediffusion.",
                                                                           "Prohibit redistribution."))] = False,
    delete_at_end: Annotated[bool, typer.Option("--delete-at-end", help=t(
        "Devoir de supprimer les données à la fin.", "Duty to delete the data at the end."))] = False,
    uid: Annotated[str | None, typer.Option("--uid", help=t("Identifiant de l'offre.", "Offer identifier."))] = None,
    assigner: Annotated[str | None, typer.Option("--assigner", help=t("DID du fournisseur.", "Provider DID."))] = None,
    target: Annotated[str | None, typer.Option("--target", help=t("Jeu de données visé.", "Target dataset."))] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonld | turtle")] = "jsonld",
    plain: Annotated[bool, typer.Option("--describe", help=t("Décrit l'offre en langage courant.",
                                                             "Describe the offer in plain words."))] = False,
) -> None:
    """Produit une offre ODRL (DSP 2025-1) à partir de la licence (C5) et de la modalité d'accès (C7)."""
    lang = _lang(ctx)
    restrictions = Restrictions(
        categories=category or [], recipients=recipient or [], purposes=purpose or [],
        valid_from=_date(valid_from, "from", lang), valid_until=_date(valid_until, "until", lang),
        duration=duration, max_count=max_count, territories=territory or [], actions=action or ["use"],
        no_distribute=no_distribute, delete_at_end=delete_at_end,
    )
    if fmt not in ("jsonld", "turtle"):
        _fail(PolicyError(_problem("format", t("format attendu : jsonld ou turtle", "expected format: jsonld or turtle", lang))), lang)
    try:
        policy = offer_template(licence, access, restrictions, uid=uid, assigner=assigner, target=target)
    except PolicyError as exc:
        _fail(exc, lang)
    if plain:
        for line in describe_policy(policy, lang):
            out.print(line, highlight=False, markup=False)
        return
    text = to_turtle(policy) if fmt == "turtle" else json.dumps(to_jsonld(policy), ensure_ascii=False, indent=2) + "\n"
    sys.stdout.write(text)


@app.command()
def profile(ctx: typer.Context) -> None:
    """Montre le profil de politique JNT : opérandes, finalités, licences, territoires."""
    lang = _lang(ctx)
    table = Table(title=t("Opérandes gauches du profil JNT", "Left operands of the JNT profile", lang))
    table.add_column(t("opérande", "operand", lang))
    table.add_column(t("opérateurs", "operators", lang))
    table.add_column(t("valeur évaluée", "evaluated value", lang))
    for spec in LEFT_OPERANDS.values():
        table.add_row(spec.name, ", ".join(sorted(short(o) for o in spec.operators)),
                      spec.source_fr if lang == "fr" else spec.source_en)
    out.print(table)
    out.print(t("Finalités : ", "Purposes: ", lang) + ", ".join(f"{p.name} ({p.label(lang)})" for p in PURPOSES.values()),
              highlight=False)
    out.print(t("Licences : ", "Licences: ", lang) + ", ".join(LICENCES), highlight=False)
    from policies.territories import all_territories

    out.print(t("Territoires : ", "Territories: ", lang) + ", ".join(f"{x.code} {x.name}" for x in all_territories()),
              highlight=False)
