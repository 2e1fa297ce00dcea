"""`jnt console …`: what the participant console needs from the command line — the password hash of an operator,
for `JNT_CONSOLE_USERS` (`name:hash` entries)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .i18n import t
from .participant_cli import fail, lang_of

app = typer.Typer(help=t("Console du participant : comptes des opérateurs.",
                         "Participant console: operators' accounts."), no_args_is_help=True)


@app.command("hash-password", help=t(
    "Empreinte (scrypt) d'un mot de passe d'opérateur, à mettre dans JNT_CONSOLE_USERS sous la forme nom:empreinte. "
    "Le mot de passe est demandé deux fois (non affiché), ou lu sur l'entrée standard avec --stdin.",
    "Hash (scrypt) of an operator's password, for JNT_CONSOLE_USERS as name:hash. The password is asked twice "
    "(not shown), or read from standard input with --stdin."))
def hash_password_command(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help=t("Nom de l'opérateur : affiche nom:empreinte.",
                                                              "Operator's name: prints name:hash."))] = None,
    stdin: Annotated[bool, typer.Option("--stdin", help=t("Lire le mot de passe sur l'entrée standard (une ligne).",
                                                          "Read the password from standard input (one line)."))
                     ] = False,
) -> None:
    from .console.auth import hash_password

    lang = lang_of(ctx)
    if user is not None and (not user.strip() or ":" in user or "," in user):
        fail(ctx, "nom d'opérateur vide ou contenant « : » ou « , »", "operator name empty or holding ':' or ','")
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(t("Mot de passe", "Password", lang), hide_input=True,
                                confirmation_prompt=t("Encore une fois", "Once more", lang))
    if len(password) < 12:
        fail(ctx, "mot de passe trop court (12 caractères au moins)", "password too short (12 characters at least)")
    encoded = hash_password(password)
    typer.echo(f"{user}:{encoded}" if user else encoded)
