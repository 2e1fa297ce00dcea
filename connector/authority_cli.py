"""`jnt authority …`: run the trust authority (`serve`) and drive its admin API from the command line (`enrol`,
`revoke`, `participants`). The admin token comes from `--admin-token` or `JNT_ADMIN_TOKEN`, the authority's URL
from `--authority` or `JNT_AUTHORITY_URL`. Errors are one clear message, never a traceback."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer
import uvicorn

from .i18n import t
from .identity import IdentityError, create_authority_app
from .identity.authority import authority_did
from .participant_cli import fail, fail_identity, lang_of, settings_of

app = typer.Typer(help=t("Autorité de confiance : adhésion des participants, attestations, révocation.",
                         "Trust authority: participant enrolment, credentials, revocation."), no_args_is_help=True)

DEFAULT_PORT = 8400
AUTHORITY_HELP = t("URL de l'autorité (défaut : JNT_AUTHORITY_URL, sinon http://127.0.0.1:8400).",
                   "Authority URL (default: JNT_AUTHORITY_URL, else http://127.0.0.1:8400).")
TOKEN_HELP = t("Jeton d'administration (défaut : JNT_ADMIN_TOKEN).", "Admin token (default: JNT_ADMIN_TOKEN).")


class CategoryChoice(StrEnum):
    public = "public"
    private = "private"


@app.command(help=t("Lance l'autorité de confiance (clé et DID de l'espace de données, API d'administration, "
                    "annuaire, liste de statut).", "Run the trust authority (the data space's key and DID, admin "
                    "API, directory, status list)."))
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help=t("Adresse d'écoute.", "Listen address."))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=t("Port d'écoute.", "Listen port."))] = DEFAULT_PORT,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=t(
        "Répertoire de données (défaut : JNT_DATA_DIR/authority).",
        "Data directory (default: JNT_DATA_DIR/authority)."))] = None,
    public_url: Annotated[str | None, typer.Option("--public-url", help=t(
        "URL publique ; le DID en est dérivé (défaut : JNT_PUBLIC_URL, sinon http://<host>:<port>).",
        "Public URL; the DID derives from it (default: JNT_PUBLIC_URL, else http://<host>:<port>)."))] = None,
) -> None:
    base = settings_of(ctx)
    settings = settings_of(ctx, data_dir=data_dir or base.data_dir / "authority", public_url=public_url)
    if not settings.did and not settings.public_url:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        settings = settings.model_copy(update={"public_url": f"http://{shown}:{port}"})
    try:
        did = authority_did(settings)
        web = create_authority_app(settings)
    except IdentityError as exc:
        fail_identity(ctx, exc, 2)
    lang = lang_of(ctx)
    typer.echo(t(f"Autorité {did} sur http://{host}:{port} (données : {settings.data_dir})",
                 f"Authority {did} on http://{host}:{port} (data: {settings.data_dir})", lang), err=True)
    if settings.admin_token is None:
        typer.echo(t("API d'administration désactivée : définir JNT_ADMIN_TOKEN",
                     "admin API disabled: set JNT_ADMIN_TOKEN", lang), err=True)
    uvicorn.run(web, host=host, port=port, log_level=settings.log_level.lower())


def _client(ctx: typer.Context, authority: str | None, admin_token: str | None) -> httpx.Client:
    settings = settings_of(ctx)
    base = authority or settings.authority_url or f"http://127.0.0.1:{DEFAULT_PORT}"
    token = admin_token or (settings.admin_token.get_secret_value() if settings.admin_token else None)
    if not token:
        fail(ctx, "jeton d'administration requis : --admin-token ou JNT_ADMIN_TOKEN",
             "admin token required: --admin-token or JNT_ADMIN_TOKEN", 2)
    return httpx.Client(base_url=base.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _call(ctx: typer.Context, client: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        fail(ctx, f"autorité injoignable ({client.base_url}) : {exc}",
             f"authority unreachable ({client.base_url}): {exc}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.is_success:
        return body
    detail = body.get("detail") if isinstance(body, dict) else None
    message = detail.get("message") if isinstance(detail, dict) else None
    if isinstance(message, dict):
        fail(ctx, f"{message.get('fr')} (HTTP {response.status_code})",
             f"{message.get('en')} (HTTP {response.status_code})")
    fail(ctx, f"l'autorité répond HTTP {response.status_code}", f"the authority answered HTTP {response.status_code}")


@app.command(help=t("Inscrit un participant et obtient son attestation d'adhésion (JWT sur la sortie standard, ou "
                    "dans --output).", "Enrol a participant and get its membership credential (JWT on standard "
                    "output, or in --output)."))
def enrol(
    ctx: typer.Context,
    did: Annotated[str, typer.Option("--did", help=t("DID did:web du participant.", "The participant's did:web."))],
    name: Annotated[str, typer.Option("--name", help=t("Raison sociale.", "Legal name."))],
    category: Annotated[CategoryChoice, typer.Option("--category", help=t(
        "public (organisme public) ou private (entreprise privée).", "public (public body) or private (company)."))],
    kind: Annotated[str, typer.Option("--kind", help=t("Nature : commune, ddt, operateur-reseau…",
                                                       "Kind: commune, ddt, network-operator…"))],
    siren: Annotated[str | None, typer.Option("--siren", help=t("Numéro SIREN (9 chiffres).",
                                                                "SIREN number (9 digits)."))] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help=t(
        "URL de base DSP du connecteur (pour l'annuaire).", "DSP base URL of the connector (for the directory)."))] = None,
    authority: Annotated[str | None, typer.Option("--authority", help=AUTHORITY_HELP)] = None,
    admin_token: Annotated[str | None, typer.Option("--admin-token", help=TOKEN_HELP)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=t(
        "Écrit l'attestation dans ce fichier.", "Write the credential to this file."))] = None,
) -> None:
    body = {"did": did, "name": name, "category": category.value, "kind": kind, "siren": siren, "endpoint": endpoint}
    with _client(ctx, authority, admin_token) as client:
        result = _call(ctx, client, "POST", "/admin/participants", json=body)
    lang = lang_of(ctx)
    if output is not None:
        try:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(result["credential"] + "\n")
        except OSError as exc:
            fail(ctx, f"écriture impossible : {output} ({exc.strerror})", f"cannot write {output} ({exc.strerror})")
        typer.echo(t(f"attestation écrite dans {output}", f"credential written to {output}", lang), err=True)
    else:
        typer.echo(result["credential"])
    typer.echo(t(f"{did} inscrit ; attestation {result['credentialId']} valable jusqu'au {result['validUntil']}",
                 f"{did} enrolled; credential {result['credentialId']} valid until {result['validUntil']}", lang),
               err=True)


@app.command(help=t("Révoque les attestations d'un participant et le retire de l'annuaire.",
                    "Revoke a participant's credentials and remove it from the directory."))
def revoke(
    ctx: typer.Context,
    did: Annotated[str, typer.Option("--did", help=t("DID du participant.", "The participant's DID."))],
    authority: Annotated[str | None, typer.Option("--authority", help=AUTHORITY_HELP)] = None,
    admin_token: Annotated[str | None, typer.Option("--admin-token", help=TOKEN_HELP)] = None,
) -> None:
    with _client(ctx, authority, admin_token) as client:
        result = _call(ctx, client, "POST", f"/admin/participants/{quote(did, safe='')}/revoke")
    typer.echo(t(f"{did} : {result['revoked']} attestation(s) révoquée(s)",
                 f"{did}: {result['revoked']} credential(s) revoked", lang_of(ctx)))


@app.command(help=t("Affiche le registre des participants (JSON).", "Print the participant register (JSON)."))
def participants(
    ctx: typer.Context,
    authority: Annotated[str | None, typer.Option("--authority", help=AUTHORITY_HELP)] = None,
    admin_token: Annotated[str | None, typer.Option("--admin-token", help=TOKEN_HELP)] = None,
) -> None:
    with _client(ctx, authority, admin_token) as client:
        result = _call(ctx, client, "GET", "/admin/participants")
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
