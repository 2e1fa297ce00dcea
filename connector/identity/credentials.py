"""Membership credentials: W3C Verifiable Credentials (data model 2.0) secured as JWTs (VC-JOSE-COSE, `typ`
`vc+jwt`). The trust authority issues one to each enrolled participant: subject DID, legal name, category
(`public` / `private`), kind and optional SIREN, a validity period (also the JWT `exp`) and a revocation entry in
its Bitstring Status List. `CredentialVerifier` checks that a credential (or a status list credential) is signed
by one of the configured trusted authorities, with a key its DID document lists under `assertionMethod`."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

from .did import DidResolver
from .errors import IdentityError
from .keys import KeyStore
from .status_list import VC_CONTEXT, StatusEntry

CREDENTIAL_TYPE = "JntMembershipCredential"
CATEGORIES = ("public", "private")
Category = Literal["public", "private"]
_SIREN = re.compile(r"^\d{9}$")
_JWS = jwt.PyJWS()


@dataclass(frozen=True)
class Membership:
    """What the authority vouches for about a participant."""

    did: str
    name: str
    category: Category
    kind: str
    siren: str | None = None

    def subject(self) -> dict[str, Any]:
        subject: dict[str, Any] = {"id": self.did, "name": self.name, "category": self.category, "kind": self.kind}
        if self.siren:
            subject["siren"] = self.siren
        return subject


@dataclass(frozen=True)
class MembershipCredential:
    """A verified membership credential (signature and issuer checked; validity and status checked by the caller
    at each use, since they change with time)."""

    id: str
    issuer: str
    membership: Membership
    not_before: int
    expires: int
    status: StatusEntry | None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def issue_membership_credential(keys: KeyStore, membership: Membership, status: StatusEntry | None, *,
                                validity: timedelta, now: datetime | None = None,
                                credential_id: str | None = None) -> tuple[str, str]:
    """Sign a membership credential with the authority's active key. Returns (credential id, VC-JWT)."""
    now = now or datetime.now(UTC)
    until = now + validity
    credential_id = credential_id or f"urn:uuid:{uuid.uuid4()}"
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": keys.did,
        "validFrom": _iso(now),
        "validUntil": _iso(until),
        "credentialSubject": membership.subject(),
    }
    if status is not None:
        credential["credentialStatus"] = status.as_json()
    claims = {**credential, "iss": keys.did, "sub": membership.did, "jti": credential_id,
              "iat": int(now.timestamp()), "nbf": int(now.timestamp()), "exp": int(until.timestamp())}
    return credential_id, keys.sign(claims, typ="vc+jwt")


def _untrusted(issuer: object) -> IdentityError:
    return IdentityError("untrusted-issuer", f"attestation émise par une autorité non reconnue : {issuer}",
                         f"credential issued by an untrusted authority: {issuer}")


class CredentialVerifier:
    """Verifies credentials issued by the trusted authorities. A credential from an unknown authority is refused
    before any network call. Verified signatures are remembered (keyed by the exact JWT, for at most
    `cache_seconds`), so that the same membership credential presented on every request is checked once."""

    def __init__(self, resolver: DidResolver, trusted_authorities: list[str] | tuple[str, ...], *,
                 leeway: int = 30, clock: Callable[[], float] = time.time, cache_seconds: float = 300.0,
                 cache_size: int = 4096) -> None:
        self.resolver = resolver
        self.trusted = frozenset(trusted_authorities)
        self.leeway = leeway
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._verified: OrderedDict[str, tuple[float, MembershipCredential]] = OrderedDict()
        self._lock = threading.Lock()

    def _verify_signed(self, token: str, what_fr: str, what_en: str) -> dict[str, Any]:
        """Check issuer trust and the signature; return the claims. Time checks are left to the caller."""
        try:
            unverified = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise IdentityError("credential-malformed", f"{what_fr} illisible (JWT)", f"unreadable {what_en} (JWT)") \
                from None
        header, claims = unverified["header"], unverified["payload"]
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or issuer not in self.trusted:
            raise _untrusted(issuer)
        if claims.get("issuer") not in (None, issuer):
            raise IdentityError("credential-malformed", f"{what_fr} : `issuer` et `iss` diffèrent",
                                f"{what_en}: `issuer` and `iss` differ")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise IdentityError("credential-malformed", f"{what_fr} sans `kid`", f"{what_en} without `kid`")
        key = self.resolver.resolve_key(issuer, kid, ("assertionMethod",))
        try:
            _JWS.decode(token, key.key, algorithms=[key.algorithm])
        except jwt.PyJWTError:
            raise IdentityError("credential-signature", f"signature de l'{what_fr} invalide",
                                f"invalid {what_en} signature") from None
        return claims

    def _check_time(self, nbf: int, exp: int, what_fr: str, what_en: str) -> None:
        now = self._clock()
        if nbf > now + self.leeway:
            raise IdentityError("credential-not-yet-valid", f"{what_fr} pas encore valide",
                                f"{what_en} not yet valid")
        if exp <= now - self.leeway:
            raise IdentityError("credential-expired", f"{what_fr} expirée", f"{what_en} expired")

    def verify_membership(self, token: str) -> MembershipCredential:
        now = self._clock()
        hit = self._verified.get(token)
        if hit is not None and hit[0] > now:
            credential = hit[1]
        else:
            credential = self._parse_membership(self._verify_signed(token, "attestation d'adhésion",
                                                                    "membership credential"))
            with self._lock:
                self._verified[token] = (now + self._cache_seconds, credential)
                while len(self._verified) > self._cache_size:
                    self._verified.popitem(last=False)
        self._check_time(credential.not_before, credential.expires, "attestation d'adhésion", "membership credential")
        return credential

    @staticmethod
    def _parse_membership(claims: dict[str, Any]) -> MembershipCredential:
        try:
            types = claims["type"]
            if CREDENTIAL_TYPE not in types or "VerifiableCredential" not in types:
                raise ValueError("type")
            if VC_CONTEXT not in claims["@context"]:
                raise ValueError("@context")
            subject = claims["credentialSubject"]
            category = subject["category"]
            siren = subject.get("siren")
            if category not in CATEGORIES or (siren is not None and not _SIREN.match(str(siren))):
                raise ValueError("category/siren")
            membership = Membership(did=str(subject["id"]), name=str(subject["name"]), category=category,
                                    kind=str(subject["kind"]), siren=siren)
            if claims.get("sub") not in (None, membership.did):
                raise ValueError("sub")
            exp, nbf = int(claims["exp"]), int(claims.get("nbf", claims.get("iat", 0)))
            status = StatusEntry.from_json(claims["credentialStatus"]) if "credentialStatus" in claims else None
        except (KeyError, TypeError, ValueError):
            raise IdentityError("credential-malformed", "attestation d'adhésion mal formée",
                                "malformed membership credential") from None
        return MembershipCredential(str(claims.get("id") or claims.get("jti")), claims["iss"], membership, nbf, exp,
                                    status)

    def verify_status_list(self, token: str, url: str) -> dict[str, Any]:
        """Verify a `BitstringStatusListCredential` fetched from `url`."""
        claims = self._verify_signed(token, "liste de statut", "status list")
        try:
            if "BitstringStatusListCredential" not in claims["type"] or claims.get("id") != url:
                raise ValueError("type/id")
            exp, nbf = int(claims["exp"]), int(claims.get("nbf", claims.get("iat", 0)))
        except (KeyError, TypeError, ValueError):
            raise IdentityError("credential-status", f"liste de statut mal formée : {url}",
                                f"malformed status list: {url}") from None
        self._check_time(nbf, exp, "liste de statut", "status list")
        return claims
