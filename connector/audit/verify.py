"""Checking an audit log: read every record in ``seq`` order and stop at the first one that is not what the
participant wrote — a number missing (a deleted record), a hash that no longer matches the content (a changed
field, a record moved to another place), a ``prev_hash`` that is not the previous record's hash, a signature that
does not verify with the participant's published keys or that is about another hash — then compare the end of
the chain with the head row (deleting the newest records leaves the head pointing past the end) and, if given, a
checkpoint ``(seq, hash)`` kept elsewhere (which also catches an attacker who rewinds the head). Only public keys
are needed: a list of JWKs (``KeyStore.public_jwks()``), a DID document, a ``KeyStore`` or a ``DidResolver``
(the document as published, the strongest check: keys in the participant's own directory can be swapped by whoever
can rewrite its database).

A broken chain is a ``VerifyReport`` with ``ok`` False, the first broken record's ``seq`` and the reason in
French and English; ``AuditError`` is kept for when the check cannot be done at all (keys unobtainable)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import Connection, Engine, Text, cast, select

from connector.identity.did import did_document, parse_did_document
from connector.identity.errors import IdentityError
from connector.store.schema import AuditHead, AuditRecord

from .chain import GENESIS, SIGNATURE_TYPE, record_hash
from .errors import AuditError

#: The DID-document relationship under which the keys that sign audit records are published.
SIGNATURE_RELATIONSHIPS = ("assertionMethod",)
BATCH = 1000
_RECORDS = AuditRecord.__table__
_HEAD = AuditHead.__table__
KeyLookup = Callable[[str], tuple[Any, str] | None]


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    count: int  # records found intact, in order, before the first broken one
    first_broken_seq: int | None
    reason_fr: str
    reason_en: str
    head_seq: int | None = None  # what the head row says the last record is

    def reason(self, lang: str = "fr") -> str:
        return self.reason_en if lang == "en" else self.reason_fr

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "count": self.count, "firstBrokenSeq": self.first_broken_seq,
                "headSeq": self.head_seq, "reason": {"fr": self.reason_fr, "en": self.reason_en}}


class _Broken(Exception):
    def __init__(self, seq: int | None, fr: str, en: str) -> None:
        self.seq, self.fr, self.en = seq, fr, en


# -- public keys ------------------------------------------------------------------------------------------------

def key_lookup(keys: Any, did: str) -> KeyLookup:
    """``kid -> (public key, JWS algorithm)`` (None: not a published key of `did`) from any source of keys."""
    cache: dict[str, tuple[Any, str] | None] = {}

    if hasattr(keys, "resolve_key"):  # DidResolver: the document as published
        def find(kid: str) -> tuple[Any, str] | None:
            try:
                key = keys.resolve_key(did, kid, SIGNATURE_RELATIONSHIPS)
            except IdentityError as exc:
                if exc.check in ("kid", "unknown-key"):
                    return None
                raise AuditError("keys-unavailable", f"clés de {did} indisponibles : {exc.fr}",
                                 f"keys of {did} unavailable: {exc.en}") from None
            return key.key, key.algorithm
    else:
        if hasattr(keys, "public_jwks"):  # KeyStore
            keys = keys.public_jwks()
        try:
            if isinstance(keys, Mapping):  # a DID document
                document = parse_did_document(did, keys)
            elif isinstance(keys, Iterable):  # JWKs with kid
                document = parse_did_document(did, did_document(did, [dict(jwk) for jwk in keys]))
            else:
                raise TypeError(type(keys).__name__)
        except IdentityError as exc:
            raise AuditError("keys", f"clés de vérification inutilisables : {exc.fr}",
                             f"unusable verification keys: {exc.en}") from None
        except (TypeError, KeyError) as exc:
            raise AuditError("keys", f"clés de vérification inutilisables ({exc})",
                             f"unusable verification keys ({exc})") from None

        def find(kid: str) -> tuple[Any, str] | None:
            key = document.key(kid, SIGNATURE_RELATIONSHIPS)
            return (key.key, key.algorithm) if key is not None else None

    def lookup(kid: str) -> tuple[Any, str] | None:
        if kid not in cache:
            cache[kid] = find(kid)
        return cache[kid]

    return lookup


# -- one record -------------------------------------------------------------------------------------------------

def _check_signature(row: Mapping[str, Any], did: str, lookup: KeyLookup) -> None:
    seq, signature, kid = row["seq"], row["signature"], row["kid"]
    if not isinstance(kid, str) or not kid.startswith(did + "#"):
        raise _Broken(seq, f"signé par une clé d'un autre participant : {kid}",
                      f"signed by a key of another participant: {kid}")
    key = lookup(kid)
    if key is None:
        raise _Broken(seq, f"signé par une clé inconnue ou retirée : {kid}", f"signed by an unknown or retired "
                      f"key: {kid}")
    try:
        # One parse for header and payload: PyJWT's segment checks are a third of the verification time.
        decoded = jwt.decode_complete(signature, key[0], algorithms=[key[1]],
                                      options={"require": ["iss", "sub", "seq"]})
    except jwt.InvalidSignatureError:
        raise _Broken(seq, "signature falsifiée (ne se vérifie pas avec la clé publiée)",
                      "forged signature (does not verify with the published key)") from None
    except jwt.PyJWTError as exc:
        raise _Broken(seq, f"signature invalide : {exc}", f"invalid signature: {exc}") from None
    header, claims = decoded["header"], decoded["payload"]
    if header.get("kid") != kid or header.get("typ") != SIGNATURE_TYPE:
        raise _Broken(seq, "la signature n'est pas celle de l'enregistrement (kid ou typ différent)",
                      "the signature is not the record's (other kid or typ)")
    if claims["iss"] != did:
        raise _Broken(seq, f"signé au nom de {claims['iss']}, pas de {did}",
                      f"signed on behalf of {claims['iss']}, not {did}")
    if claims["sub"] != row["hash"] or claims["seq"] != seq:
        raise _Broken(seq, "la signature porte sur un autre contenu : enregistrement modifié puis ré-haché",
                      "the signature is about other content: record changed then re-hashed")


def _check_record(row: Mapping[str, Any], expected_seq: int, prev_hash: str, did: str, lookup: KeyLookup) -> None:
    seq = row["seq"]
    if seq != expected_seq:
        if seq < expected_seq:
            raise _Broken(seq, f"numéro d'enregistrement inattendu : {seq}", f"unexpected record number: {seq}")
        if seq == expected_seq + 1:
            raise _Broken(expected_seq, f"enregistrement {expected_seq} manquant (supprimé)",
                          f"record {expected_seq} missing (deleted)")
        raise _Broken(expected_seq, f"enregistrements {expected_seq} à {seq - 1} manquants (supprimés)",
                      f"records {expected_seq} to {seq - 1} missing (deleted)")
    try:
        details = row["details"]
        content = {**row, "details": json.loads(details) if isinstance(details, str) else details}
        computed = record_hash(content)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _Broken(seq, f"contenu illisible : {exc}", f"unreadable content: {exc}") from None
    if computed != row["hash"]:
        raise _Broken(seq, "contenu modifié après écriture (l'empreinte recalculée diffère) ou enregistrement "
                      "déplacé", "content changed after writing (the recomputed hash differs) or record moved")
    if row["prev_hash"] != prev_hash:
        raise _Broken(seq, f"chaînage rompu : prev_hash ne désigne pas l'enregistrement {seq - 1}" if seq > 1 else
                      "chaînage rompu : le premier enregistrement ne part pas de l'origine",
                      f"chain broken: prev_hash does not name record {seq - 1}" if seq > 1 else
                      "chain broken: the first record does not start from the origin")
    _check_signature(row, did, lookup)


# -- the chain --------------------------------------------------------------------------------------------------

def _columns() -> list[Any]:
    # details read as text: a JSON value made unparsable by hand breaks one record, not the whole check.
    return [cast(_RECORDS.c.details, Text).label("details") if column.name == "details" else column
            for column in _RECORDS.c]


def _batches(connection: Connection, batch: int) -> Iterable[list[dict[str, Any]]]:
    """The records in ``seq`` order, a batch at a time; a row the database returns but cannot be decoded (a
    timestamp rewritten as garbage) is reported as broken."""
    after: int | None = None
    while True:
        seqs_query = select(_RECORDS.c.seq).order_by(_RECORDS.c.seq).limit(batch)
        if after is not None:
            seqs_query = seqs_query.where(_RECORDS.c.seq > after)
        seqs = list(connection.execute(seqs_query).scalars())
        if not seqs:
            return
        query = select(*_columns()).where(_RECORDS.c.seq.between(seqs[0], seqs[-1])).order_by(_RECORDS.c.seq)
        try:
            rows = [dict(row) for row in connection.execute(query).mappings()]
        except (ValueError, TypeError):
            # Find the culprit one row at a time; the rows before it are still checked first.
            readable = []
            for seq in seqs:
                try:
                    readable.append(dict(connection.execute(
                        select(*_columns()).where(_RECORDS.c.seq == seq)).mappings().one()))
                except (ValueError, TypeError) as exc:
                    yield readable
                    raise _Broken(seq, f"enregistrement illisible : {exc}", f"unreadable record: {exc}") from None
            rows = readable
        yield rows
        after = seqs[-1]


def verify_chain(engine: Engine, did: str, keys: Any, *, checkpoint: tuple[int, str] | None = None,
                 batch: int = BATCH) -> VerifyReport:
    """Check the audit log in `engine`, written by `did`, with its public `keys` (see the module docstring)."""
    lookup = key_lookup(keys, did)
    count, prev_hash, head_seq = 0, GENESIS, None
    try:
        with engine.connect() as connection:
            # One snapshot for the whole check: appends committed meanwhile (records and head move together)
            # must not look like records beyond the head.
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN")  # a read transaction is a snapshot in WAL mode
            else:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            head = connection.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).one_or_none()
            head_seq = head.seq if head is not None else None
            for rows in _batches(connection, batch):
                for row in rows:
                    _check_record(row, count + 1, prev_hash, did, lookup)
                    if checkpoint is not None and row["seq"] == checkpoint[0] and row["hash"] != checkpoint[1]:
                        raise _Broken(row["seq"], "l'enregistrement diffère du point de contrôle noté",
                                      "the record differs from the checkpoint noted")
                    count, prev_hash = count + 1, row["hash"]
        if head is None:
            raise _Broken(None, "tête du journal absente (supprimée)", "log head missing (deleted)")
        if head.seq > count:
            raise _Broken(count + 1, f"fin du journal tronquée : enregistrements {count + 1} à {head.seq} "
                          "supprimés", f"log tail truncated: records {count + 1} to {head.seq} deleted")
        if head.seq < count:
            raise _Broken(head.seq + 1, f"enregistrements au-delà de la tête ({head.seq}) : ajoutés hors du journal "
                          "ou tête reculée", f"records beyond the head ({head.seq}): added outside the log or head "
                          "moved back")
        if head.hash != prev_hash:
            raise _Broken(head.seq, "la tête ne désigne pas le dernier enregistrement",
                          "the head does not name the last record")
        if checkpoint is not None and checkpoint[0] > count:
            raise _Broken(count + 1, f"journal tronqué avant le point de contrôle noté ({checkpoint[0]})",
                          f"log truncated before the checkpoint noted ({checkpoint[0]})")
    except _Broken as broken:
        return VerifyReport(False, count, broken.seq, broken.fr, broken.en, head_seq)
    return VerifyReport(True, count, None, f"chaîne intègre : {count} enregistrements",
                        f"chain intact: {count} records", head_seq)
