"""`jnt participant …` and `jnt keys …`: create a participant's identity (encrypted keys, DID document), show its
DID document, store the membership credential the authority issued, issue a self-issued token for an audience (to
sign in to the catalogue's web site), serve the DID document in development, and rotate or retire keys. Errors are
one clear message in French or English, never a traceback."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
import uvicorn

from .i18n import t
from .identity import IdentityError, Participant, create_participant_app, load_passphrase
from .identity.did import did_from_url, did_to_url, parse_did_web
from .identity.tokens import MAX_LIFETIME
from .settings import Settings

app = typer.Typer(help=t("Identité d'un participant : clés, DID, attestation d'adhésion.",
                         "A participant's identity: keys, DID, membership credential."), no_args_is_help=True)
keys_app = typer.Typer(help=t("Clés de signature : rotation, retrait.", "Signing keys: rotation, retirement."),
                       no_args_is_help=True)

DATA_DIR_HELP = t("Répertoire de données (défaut : JNT_DATA_DIR/participant).",
                  "Data directory (default: JNT_DATA_DIR/participant).")


class KeyTypeChoice(StrEnum):
    ed25519 = "Ed25519"
    p256 = "P-256"


# -- helpers shared with authority_cli -------------------------------------------------------------------------------

def lang_of(ctx: typer.Context) -> str:
    return (ctx.obj or {}).get("lang", "fr")


def settings_of(ctx: typer.Context, **updates: object) -> Settings:
    settings: Settings = (ctx.obj or {}).get("settings") or Settings()
    values = {k: v for k, v in updates.items() if v is not None}
    return settings.model_copy(update=values) if values else settings


def fail(ctx: typer.Context, fr: str, en: str, code: int = 1) -> NoReturn:
    typer.echo(t(f"Erreur : {fr}", f"Error: {en}", lang_of(ctx)), err=True)
    raise typer.Exit(code)


def fail_identity(ctx: typer.Context, error: IdentityError, code: int = 1) -> NoReturn:
    fail(ctx, error.fr, error.en, code)


def passphrase_of(settings: Settings) -> bytes:
    secret = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    return load_passphrase(secret, settings.key_passphrase_file)


def participant_dir(settings: Settings, data_dir: Path | None) -> Path:
    return data_dir if data_dir is not None else settings.data_dir / "participant"


def _load(ctx: typer.Context, data_dir: Path | None) -> Participant:
    settings = settings_of(ctx)
    try:
        return Participant.load(participant_dir(settings, data_dir), passphrase_of(settings))
    except IdentityError as exc:
        fail_identity(ctx, exc)


# -- jnt participant -------------------------------------------------------------------------------------------------

@app.command(help=t("Crée l'identité d'un participant : clés chiffrées et document DID.",
                    "Create a participant's identity: encrypted keys and DID document."))
def init(
    ctx: typer.Context,
    did: Annotated[str | None, typer.Option("--did", help=t(
        "DID did:web du participant, p. ex. did:web:ign.example ou did:web:127.0.0.1%3A8443:participants:ign.",
        "The participant's did:web DID, e.g. did:web:ign.example or did:web:127.0.0.1%3A8443:participants:ign."))] = None,
    public_url: Annotated[str | None, typer.Option("--public-url", help=t(
        "…ou l'URL publique dont le DID est dérivé.", "…or the public URL the DID is derived from."))] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help=t(
        "URL de base DSP du connecteur (publiée dans le document DID).",
        "DSP base URL of the connector (published in the DID document)."))] = None,
    key_type: Annotated[KeyTypeChoice, typer.Option("--key-type", help="Ed25519 | P-256")] = KeyTypeChoice.ed25519,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=DATA_DIR_HELP)] = None,
) -> None:
    lang = lang_of(ctx)
    settings = settings_of(ctx)
    try:
        if did is None:
            if public_url is None:
                fail(ctx, "indiquer --did ou --public-url", "give --did or --public-url", 2)
            did = did_from_url(public_url)
        parse_did_web(did)
        directory = participant_dir(settings, data_dir)
        participant = Participant.init(directory, did, passphrase_of(settings), dsp_endpoint=endpoint,
                                       key_type=key_type.value)
    except IdentityError as exc:
        fail_identity(ctx, exc, 2)
    document = participant.did_document()
    (directory / "did.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    typer.echo(t(f"Identité créée dans {directory}", f"Identity created in {directory}", lang), err=True)
    typer.echo(t(f"  DID : {did}", f"  DID: {did}", lang), err=True)
    typer.echo(t(f"  clé active : {participant.keys.active_kid}", f"  active key: {participant.keys.active_kid}",
                 lang), err=True)
    typer.echo(t(f"  document DID à publier à : {did_to_url(did)} (copie : {directory / 'did.json'})",
                 f"  DID document to publish at: {did_to_url(did)} (copy: {directory / 'did.json'})", lang), err=True)
    typer.echo(did)


@app.command("did-document", help=t("Affiche le document DID du participant.",
                                    "Print the participant's DID document."))
def did_document_command(ctx: typer.Context, data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help=DATA_DIR_HELP)] = None) -> None:
    participant = _load(ctx, data_dir)
    sys.stdout.write(json.dumps(participant.did_document(), indent=2) + "\n")


@app.command("set-credential", help=t("Enregistre l'attestation d'adhésion émise par l'autorité.",
                                      "Store the membership credential issued by the authority."))
def set_credential(
    ctx: typer.Context,
    credential: Annotated[Path, typer.Argument(help=t("Fichier contenant l'attestation (JWT) ; - pour l'entrée "
                                                      "standard.", "File holding the credential (JWT); - for stdin."))],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=DATA_DIR_HELP)] = None,
) -> None:
    import jwt

    participant = _load(ctx, data_dir)
    try:
        text = sys.stdin.read() if str(credential) == "-" else credential.read_text(encoding="utf-8")
    except OSError as exc:
        fail(ctx, f"fichier illisible : {credential} ({exc.strerror})", f"cannot read {credential} ({exc.strerror})")
    try:
        claims = jwt.decode(text.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        fail(ctx, "ce n'est pas une attestation JWT", "this is not a JWT credential")
    subject = (claims.get("credentialSubject") or {}).get("id")
    if subject != participant.did:
        fail(ctx, f"l'attestation est celle de {subject}, pas de {participant.did}",
             f"the credential belongs to {subject}, not to {participant.did}")
    participant.save_credential(text)
    typer.echo(t(f"Attestation enregistrée (valable jusqu'au {claims.get('validUntil')})",
                 f"Credential stored (valid until {claims.get('validUntil')})", lang_of(ctx)), err=True)


@app.command(help=t("Émet un jeton d'identité auto-signé (avec l'attestation d'adhésion) pour un destinataire, "
                    "p. ex. pour se connecter au site du catalogue fédéré.",
                    "Issue a self-issued identity token (membership credential inside) for an audience, e.g. to "
                    "sign in to the federated catalogue's web site."))
def token(
    ctx: typer.Context,
    audience: Annotated[str, typer.Option("--audience", help=t(
        "DID du destinataire (le catalogue : did:web:catalogue.example).",
        "The audience's DID (the catalogue: did:web:catalogue.example)."))],
    lifetime: Annotated[int, typer.Option("--lifetime", help=t(
        f"Durée de vie en secondes (1..{MAX_LIFETIME}).", f"Lifetime in seconds (1..{MAX_LIFETIME})."))] = MAX_LIFETIME,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=DATA_DIR_HELP)] = None,
) -> None:
    if not 0 < lifetime <= MAX_LIFETIME:
        fail(ctx, f"--lifetime doit être entre 1 et {MAX_LIFETIME} s", f"--lifetime must be in 1..{MAX_LIFETIME} s", 2)
    try:
        parse_did_web(audience)
    except IdentityError as exc:
        fail_identity(ctx, exc, 2)
    participant = _load(ctx, data_dir)
    if participant.credential is None:
        fail(ctx, "aucune attestation d'adhésion : le destinataire refusera le jeton (jnt participant set-credential)",
             "no membership credential: the audience will refuse the token (jnt participant set-credential)")
    typer.echo(t(f"Jeton pour {audience}, valable {lifetime} s, à usage unique :",
                 f"Token for {audience}, valid {lifetime} s, single use:", lang_of(ctx)), err=True)
    typer.echo(participant.token_for(audience, lifetime=lifetime))


@app.command(help=t("Sert le document DID du participant (développement).",
                    "Serve the participant's DID document (development)."))
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8443,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=DATA_DIR_HELP)] = None,
) -> None:
    participant = _load(ctx, data_dir)
    typer.echo(t(f"{participant.did} : document DID sur http://{host}:{port}",
                 f"{participant.did}: DID document on http://{host}:{port}", lang_of(ctx)), err=True)
    uvicorn.run(create_participant_app([participant]), host=host, port=port, log_level="warning")


# -- jnt keys --------------------------------------------------------------------------------------------------------

@keys_app.command("list", help=t("Liste les clés publiées.", "List the published keys."))
def list_keys(ctx: typer.Context, data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help=DATA_DIR_HELP)] = None) -> None:
    participant = _load(ctx, data_dir)
    for kid in participant.keys.kids:
        active = t(" (active)", " (active)", lang_of(ctx)) if kid == participant.keys.active_kid else ""
        typer.echo(kid + active)


@keys_app.command(help=t("Crée une nouvelle clé active ; les anciennes restent publiées pour la vérification.",
                         "Create a new active key; older keys stay published for verification."))
def rotate(ctx: typer.Context, data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help=DATA_DIR_HELP)] = None) -> None:
    participant = _load(ctx, data_dir)
    kid = participant.keys.rotate()
    typer.echo(kid)


@keys_app.command(help=t("Retire une ancienne clé : ce qu'elle a signé n'est plus vérifiable.",
                         "Retire an old key: what it signed no longer verifies."))
def retire(
    ctx: typer.Context,
    kid: Annotated[str, typer.Argument(help=t("Identifiant de la clé (kid).", "Key id (kid)."))],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=DATA_DIR_HELP)] = None,
) -> None:
    participant = _load(ctx, data_dir)
    try:
        participant.keys.retire(kid)
    except IdentityError as exc:
        fail_identity(ctx, exc)
    typer.echo(t(f"clé retirée : {kid}", f"key retired: {kid}", lang_of(ctx)), err=True)

