"""`jnt audit …`: check the connector's audit log (`verify`: exit 0 when the chain is intact, 1 with the first broken
record and why, 2 when it cannot be checked), list its records, show its head (to note as a checkpoint).

The participant directory is the connector's (`--data-dir`, default `JNT_DATA_DIR`): its `identity.json` gives the
DID, its key manifest the public keys — no passphrase needed. `--resolve` checks against the DID document as
published instead (stronger: whoever can rewrite the database may also reach the directory), `--did-document` against
a saved copy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from .audit import AuditError, AuditLog, record_json
from .i18n import t
from .identity import IdentityError
from .identity.keys import KeyStore, published_jwks
from .identity.participant import IDENTITY_FILE, KEYS_DIR
from .identity.storage import make_engine
from .participant_cli import fail, lang_of, passphrase_of, settings_of
from .settings import Settings

app = typer.Typer(help=t("Journal d'audit du connecteur : vérification de la chaîne, consultation.",
                         "The connector's audit log: chain verification, listing."), no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help=t(
    "Répertoire du participant (identité, clés, base SQLite par défaut).",
    "Participant directory (identity, keys, default SQLite database)."))]
Url = Annotated[str | None, typer.Option("--database-url", help=t(
    "URL SQLAlchemy de la base (sinon JNT_DATABASE_URL ou la base SQLite du répertoire).",
    "SQLAlchemy database URL (else JNT_DATABASE_URL or the directory's SQLite database)."))]
AsJson = Annotated[bool, typer.Option("--json", help=t("Sortie JSON.", "JSON output."))]
CANNOT_CHECK = 2


def _fail(ctx: typer.Context, error: AuditError | IdentityError, code: int = CANNOT_CHECK) -> NoReturn:
    fail(ctx, error.fr, error.en, code)


def _did(ctx: typer.Context, directory: Path) -> str:
    try:
        did = json.loads((directory / IDENTITY_FILE).read_text(encoding="utf-8"))["did"]
    except FileNotFoundError:
        fail(ctx, f"aucune identité dans {directory} : indiquer --data-dir",
             f"no identity in {directory}: give --data-dir", CANNOT_CHECK)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(ctx, f"identité illisible : {directory / IDENTITY_FILE} ({exc})",
             f"unreadable identity: {directory / IDENTITY_FILE} ({exc})", CANNOT_CHECK)
    return did


def _engine(ctx: typer.Context, settings: Settings) -> Engine:
    url = settings.effective_database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        fail(ctx, f"base absente : {parsed.database}", f"no database: {parsed.database}", CANNOT_CHECK)
    engine = make_engine(url)
    try:
        present = inspect(engine).has_table("audit_records")
    except Exception as exc:  # unreachable server, unreadable file
        engine.dispose()
        fail(ctx, f"base inaccessible : {exc}", f"database unreachable: {exc}", CANNOT_CHECK)
    if not present:
        engine.dispose()
        fail(ctx, "pas de journal d'audit dans cette base : lancer `jnt db upgrade`",
             "no audit log in this database: run `jnt db upgrade`", CANNOT_CHECK)
    return engine


def _open(ctx: typer.Context, data_dir: Path | None, database_url: str | None) -> tuple[AuditLog, Settings]:
    settings = settings_of(ctx, data_dir=data_dir, database_url=database_url)
    did = _did(ctx, Path(settings.data_dir))
    return AuditLog(_engine(ctx, settings), None, did), settings


def _local_keys(ctx: typer.Context, settings: Settings, did: str) -> list[dict[str, Any]]:
    """Public keys from the participant directory: the key manifest, the `did.json` copy written by `jnt
    participant init`, and — only if neither has any and a passphrase is configured — the key store itself."""
    directory = Path(settings.data_dir)
    jwks: dict[str, dict[str, Any]] = {}
    try:
        manifest_did, listed = published_jwks(directory / KEYS_DIR)
        if manifest_did != did:
            fail(ctx, f"les clés de {directory} appartiennent à {manifest_did}, pas à {did}",
                 f"the keys in {directory} belong to {manifest_did}, not to {did}", CANNOT_CHECK)
        jwks.update((jwk["kid"], jwk) for jwk in listed)
    except IdentityError:
        pass
    try:
        document = json.loads((directory / "did.json").read_text(encoding="utf-8"))
        if document.get("id") == did:
            for method in document.get("verificationMethod") or []:
                if isinstance(method, dict) and isinstance(method.get("publicKeyJwk"), dict):
                    jwks.setdefault(method["id"], {**method["publicKeyJwk"], "kid": method["id"]})
    except (OSError, ValueError, AttributeError):
        pass
    if not jwks and (settings.key_passphrase is not None or settings.key_passphrase_file is not None):
        try:
            return KeyStore.open(directory / KEYS_DIR, passphrase_of(settings)).public_jwks()
        except IdentityError as exc:
            _fail(ctx, exc)
    if not jwks:
        fail(ctx, f"aucune clé publique dans {directory} : utiliser --resolve ou --did-document",
             f"no public key in {directory}: use --resolve or --did-document", CANNOT_CHECK)
    return list(jwks.values())


def _checkpoint(ctx: typer.Context, text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        fail(ctx, "point de contrôle attendu sous la forme SEQ:EMPREINTE (sortie de `jnt audit head`)",
             "checkpoint expected as SEQ:HASH (output of `jnt audit head`)", CANNOT_CHECK)
    return int(seq), digest.lower()


@app.command(help=t(
    "Vérifie la chaîne : empreintes, chaînage, signatures, numéros, fin du journal. Code 0 : intègre ; 1 : rompue "
    "(le premier enregistrement en cause et pourquoi) ; 2 : vérification impossible.",
    "Verify the chain: hashes, links, signatures, numbering, end of the log. Exit 0: intact; 1: broken (the first "
    "record at fault and why); 2: cannot verify."))
def verify(
    ctx: typer.Context, data_dir: DataDir = None, database_url: Url = None,
    resolve: Annotated[bool, typer.Option("--resolve", help=t(
        "Vérifier avec le document DID publié (résolution did:web).",
        "Verify with the published DID document (did:web resolution)."))] = False,
    did_document: Annotated[Path | None, typer.Option("--did-document", help=t(
        "Vérifier avec ce document DID (fichier JSON).", "Verify with this DID document (JSON file)."))] = None,
    checkpoint: Annotated[str | None, typer.Option("--checkpoint", help=t(
        "Point de contrôle noté auparavant (SEQ:EMPREINTE, cf. `jnt audit head`) : détecte un journal ramené en "
        "arrière.", "Checkpoint noted earlier (SEQ:HASH, see `jnt audit head`): detects a log cut back."))] = None,
    as_json: AsJson = False,
) -> None:
    lang = lang_of(ctx)
    mark = _checkpoint(ctx, checkpoint)
    log, settings = _open(ctx, data_dir, database_url)
    resolver = None
    try:
        if resolve:
            from .identity.did import DidResolver

            resolver = DidResolver(dev_mode=settings.dev_mode)
            keys: Any = resolver
        elif did_document is not None:
            try:
                keys = json.loads(did_document.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                fail(ctx, f"document DID illisible : {did_document} ({exc})",
                     f"unreadable DID document: {did_document} ({exc})", CANNOT_CHECK)
        else:
            keys = _local_keys(ctx, settings, log.did)
        try:
            report = log.verify(keys, checkpoint=mark)
        except AuditError as exc:
            _fail(ctx, exc)
        except Exception as exc:  # the database went away during the check
            fail(ctx, f"vérification impossible : {exc}", f"cannot verify: {exc}", CANNOT_CHECK)
    finally:
        if resolver is not None:
            resolver.close()
        log.engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    elif report.ok:
        typer.echo(report.reason(lang))
    else:
        where = report.first_broken_seq
        typer.echo(t(f"chaîne rompue à l'enregistrement {where} : {report.reason_fr}" if where is not None else
                     f"chaîne rompue : {report.reason_fr}",
                     f"chain broken at record {where}: {report.reason_en}" if where is not None else
                     f"chain broken: {report.reason_en}", lang))
        typer.echo(t(f"{report.count} enregistrements intègres avant", f"{report.count} intact records before",
                     lang))
    raise typer.Exit(0 if report.ok else 1)


@app.command("list", help=t("Liste les enregistrements, du plus récent au plus ancien.",
                              "List the records, newest first."))
def list_records(
    ctx: typer.Context, data_dir: DataDir = None, database_url: Url = None,
    agreement: Annotated[str | None, typer.Option("--agreement", help=t("Identifiant d'accord.",
                                                                        "Agreement id."))] = None,
    transfer: Annotated[str | None, typer.Option("--transfer", help=t("Identifiant de transfert.",
                                                                      "Transfer id."))] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help=t("Identifiant de jeu de données.",
                                                                    "Dataset id."))] = None,
    event: Annotated[str | None, typer.Option("--event", help=t(
        "Événement (p. ex. data.refused ; `data.` pour tout un domaine).",
        "Event (e.g. data.refused; `data.` for a whole area)."))] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help=t(
        "Nombre maximal d'enregistrements.", "Maximum number of records."))] = 20,
    offset: Annotated[int, typer.Option("--offset", min=0, help=t("Enregistrements à sauter.",
                                                                  "Records to skip."))] = 0,
    as_json: AsJson = False,
) -> None:
    lang = lang_of(ctx)
    log, _ = _open(ctx, data_dir, database_url)
    try:
        records = log.query(agreement_id=agreement, transfer_id=transfer, dataset_id=dataset, event=event,
                            offset=offset, limit=limit)
    except AuditError as exc:
        _fail(ctx, exc, 1)
    finally:
        log.engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps([record_json(r) for r in records], ensure_ascii=False, indent=2) + "\n")
        return
    if not records:
        typer.echo(t("aucun enregistrement", "no record", lang))
    for record in records:
        at = record.at.strftime("%Y-%m-%d %H:%M:%S")
        ids = "  ".join(f"{name}={value}" for name, value in (
            (t("accord", "agreement", lang), record.agreement_id), (t("transfert", "transfer", lang),
                                                                    record.transfer_id),
            (t("jeu", "dataset", lang), record.dataset_id)) if value)
        typer.echo(f"{record.seq:>6}  {at}Z  {record.event:<18} {record.decision:<6} {record.actor or '-'}"
                   + (f"  {ids}" if ids else ""))
        explanation = record.explanation_en if lang == "en" else record.explanation_fr
        for line in (explanation or "").splitlines():
            typer.echo(f"        {line}")


@app.command(help=t("Affiche le dernier enregistrement (SEQ:EMPREINTE) : à noter ailleurs, pour `verify "
                    "--checkpoint`.",
                    "Print the last record (SEQ:HASH): note it elsewhere, for `verify --checkpoint`."))
def head(ctx: typer.Context, data_dir: DataDir = None, database_url: Url = None) -> None:
    log, _ = _open(ctx, data_dir, database_url)
    try:
        seq, digest = log.head()
    finally:
        log.engine.dispose()
    typer.echo(f"{seq}:{digest}")
