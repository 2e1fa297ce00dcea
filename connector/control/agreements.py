"""Contract agreements: built by the provider from the offer it agreed to, signed with the provider's key (JWS),
and checked by the consumer against the offer it asked for.

* ``build_agreement``: the offer's rules with ``@type: Agreement``, a fresh ``@id``, ``assigner`` (provider DID),
  ``assignee`` (consumer DID), ``target`` (dataset) and ``timestamp`` — what DSP 2025-1 requires of an Agreement.
* ``sign_agreement`` / ``verify_signature``: a compact JWS whose payload names the agreement (``sub``), its signer
  (``iss`` = assigner) and the SHA-256 of its RDF canonical form (URDNA2015 over the DSP JSON-LD), so that a peer
  that re-serialises the agreement (other compaction, expanded JSON-LD) keeps a verifiable signature. The key is
  found in the signer's DID document (``assertionMethod``), so rotated keys keep old agreements verifiable while
  the old key is published.
* ``same_terms``: the consumer's canonical comparison of an agreement with its offer, on the parsed ODRL model
  (rules, actions, constraints, duties), ignoring the identifiers and parties the agreement adds.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jwt
from pyld import jsonld

from connector.dsp.schemas import CONTEXT_URL
from connector.identity.errors import IdentityError
from policies import PolicyError, parse_policy
from policies.jsonld import document_loader
from policies.model import Policy, Rule

from .messages import new_pid

#: Keys of an offer that the agreement replaces or that only identify the offer.
_IDENTITY_KEYS = ("@context", "@id", "@type", "target", "assigner", "assignee", "timestamp")
SIGNATURE_TYPE = "jnt-agreement+jwt"
SIGNATURE_RELATIONSHIPS = ("assertionMethod",)


class AgreementError(ValueError):
    """An agreement that cannot be accepted; ``fr`` / ``en`` say why."""

    def __init__(self, code: str, fr: str, en: str) -> None:
        self.code, self.fr, self.en = code, fr, en
        super().__init__(en)

    def reasons(self) -> list[str]:
        return [self.fr, self.en]


def timestamp_now(clock: datetime | None = None) -> str:
    now = (clock or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


def build_agreement(offer: Mapping[str, Any], *, target: str, assigner: str, assignee: str,
                    agreement_id: str | None = None, timestamp: str | None = None) -> dict[str, Any]:
    """The agreement for ``offer``: its rules, with the identifiers and parties an Agreement carries."""
    agreement: dict[str, Any] = {
        "@id": agreement_id or new_pid(),
        "@type": "Agreement",
        "target": target,
        "assigner": assigner,
        "assignee": assignee,
        "timestamp": timestamp or timestamp_now(),
    }
    agreement.update({key: value for key, value in offer.items() if key not in _IDENTITY_KEYS})
    return agreement


def _in_context(doc: Mapping[str, Any]) -> dict[str, Any]:
    body = {key: value for key, value in doc.items() if key != "@context"}
    return {"@context": [CONTEXT_URL], **body}


def canonical_digest(agreement: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the agreement's URDNA2015 canonical N-Quads (ODRL terms resolved as in policies.jsonld)."""
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader,
               "expandContext": {"@vocab": "http://www.w3.org/ns/odrl/2/"}, "base": ""}
    try:
        nquads = jsonld.normalize(_in_context(agreement), options)
    except jsonld.JsonLdError as exc:
        raise AgreementError("invalid-agreement", f"accord illisible en JSON-LD : {exc}",
                             f"agreement is not readable JSON-LD: {exc}") from None
    return hashlib.sha256(nquads.encode("utf-8")).hexdigest()


def sign_agreement(agreement: Mapping[str, Any], keys: Any, *, now: float | None = None) -> str:
    """A compact JWS over the agreement, by the provider's active key (`KeyStore.sign`)."""
    issued = int(now if now is not None else datetime.now(UTC).timestamp())
    claims = {"iss": keys.did, "sub": agreement["@id"], "iat": issued, "agreement_sha256": canonical_digest(agreement)}
    return keys.sign(claims, typ=SIGNATURE_TYPE)


def verify_signature(agreement: Mapping[str, Any], signature: str, resolver: Any) -> dict[str, Any]:
    """Check the provider's JWS over ``agreement`` (``resolver``: a ``DidResolver``); its claims, or AgreementError."""
    assigner = agreement.get("assigner")
    if isinstance(assigner, Mapping):
        assigner = assigner.get("@id")
    try:
        header = jwt.get_unverified_header(signature)
        kid = header.get("kid")
        if not isinstance(kid, str) or not isinstance(assigner, str):
            raise AgreementError("signature", "signature d'accord sans identifiant de clé ou accord sans assigner",
                                 "agreement signature without a key id, or agreement without assigner")
        key = resolver.resolve_key(assigner, kid, SIGNATURE_RELATIONSHIPS)
        claims = jwt.decode(signature, key.key, algorithms=[key.algorithm], options={"require": ["iss", "sub"]})
    except IdentityError as exc:
        raise AgreementError("signature", f"clé de signature introuvable : {exc.fr}",
                             f"signing key not found: {exc.en}") from None
    except jwt.PyJWTError as exc:
        raise AgreementError("signature", f"signature d'accord invalide : {exc}",
                             f"invalid agreement signature: {exc}") from None
    if claims.get("iss") != assigner:
        raise AgreementError("signature", "l'accord n'est pas signé par son assigner",
                             "the agreement is not signed by its assigner")
    if claims.get("sub") != agreement.get("@id"):
        raise AgreementError("signature", "la signature porte sur un autre accord",
                             "the signature is about another agreement")
    if claims.get("agreement_sha256") != canonical_digest(agreement):
        raise AgreementError("signature", "l'accord a été modifié après sa signature",
                             "the agreement was modified after it was signed")
    return claims


def _bare_rule(rule: Rule) -> Rule:
    return dataclasses.replace(
        rule, uid=None, targets=(), assignees=(), assigners=(),
        duties=tuple(_bare_rule(d) for d in rule.duties),
        remedies=tuple(_bare_rule(d) for d in rule.remedies),
        consequences=tuple(_bare_rule(d) for d in rule.consequences),
    )


def _terms(doc: Mapping[str, Any]) -> tuple[frozenset[Rule], frozenset[Rule], frozenset[Rule], str | None]:
    body = {key: value for key, value in doc.items() if key not in _IDENTITY_KEYS}
    policy: Policy = parse_policy({"@context": [CONTEXT_URL], "@id": "urn:jnt:compare", "@type": "Offer", **body})
    return (frozenset(map(_bare_rule, policy.permissions)), frozenset(map(_bare_rule, policy.prohibitions)),
            frozenset(map(_bare_rule, policy.obligations)), policy.conflict)


def same_terms(agreement: Mapping[str, Any], offer: Mapping[str, Any]) -> bool:
    """Whether the agreement grants exactly the offer's rules (identifiers, parties and target aside)."""
    try:
        return _terms(agreement) == _terms(offer)
    except PolicyError:
        return False


def check_agreement(agreement: Mapping[str, Any], offer: Mapping[str, Any], *, target: str | None,
                    assignee: str | None, assigner: str | None) -> None:
    """The consumer's checks of a received agreement against its own offer; AgreementError if one fails.
    ``None`` for ``assignee`` / ``assigner`` skips that check (TCK mode, where identities are not verified)."""

    def ref(value: Any) -> Any:
        return value.get("@id") if isinstance(value, Mapping) else value

    if target is not None and ref(agreement.get("target")) != target:
        raise AgreementError("target", f"l'accord porte sur {ref(agreement.get('target'))}, pas sur {target}",
                             f"the agreement targets {ref(agreement.get('target'))}, not {target}")
    if assignee is not None and ref(agreement.get("assignee")) != assignee:
        raise AgreementError("assignee", "l'accord n'est pas attribué à ce participant",
                             "the agreement is not assigned to this participant")
    if assigner is not None and ref(agreement.get("assigner")) != assigner:
        raise AgreementError("assigner", "l'accord n'est pas donné par le fournisseur de la négociation",
                             "the agreement is not given by the negotiation's provider")
    if not same_terms(agreement, offer):
        raise AgreementError("terms", "les règles de l'accord diffèrent de l'offre demandée",
                             "the agreement's rules differ from the offer requested")
