"""Self-issued ID tokens, in the style of the Decentralized Claims Protocol: on every DSP request the caller signs
a short JWT with `iss` = `sub` = its DID, `aud` = the callee's DID, a fresh `jti`, `iat` and `exp` (at most
300 s later), and puts its membership credential (a VC-JWT) in the `membership` claim. `TokenVerifier` checks, in
order: structure, issuer = subject, audience, lifetime and times (with a clock-skew leeway), the signature
through the caller's DID document, the credential (trusted issuer, signature, subject = caller, validity, not
revoked), and last the replay store, so that a refused token never consumes its `jti`."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import jwt

from policies.requester import Requester

from .credentials import CredentialVerifier
from .did import DidResolver, parse_did_web
from .errors import IdentityError
from .keys import KeyStore
from .replay import MAX_JTI, ReplayStore
from .status_list import StatusListCache

MAX_LIFETIME = 300
DEFAULT_LIFETIME = 120
DEFAULT_LEEWAY = 30
#: Where a caller's signing key must appear in its DID document (DCP names capabilityInvocation).
TOKEN_KEY_RELATIONSHIPS = ("authentication", "capabilityInvocation")
_JWS = jwt.PyJWS()


@dataclass(frozen=True)
class VerifiedClaims:
    """Who is calling, as established by the identity layer: what policies evaluate and audit records name.
    `authenticated` is False only in the TCK modes (no verification)."""

    did: str
    name: str
    category: str | None
    kind: str | None
    siren: str | None = None
    credential_id: str | None = None
    issuer: str | None = None
    token_id: str | None = None
    authenticated: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def requester(self) -> Requester:
        """The caller as the policy engine sees it (`policies.requester`): what decisions are taken on."""
        return Requester(did=self.did, category=self.category, name=self.name, kind=self.kind, siren=self.siren)

    def policy_request(self, **extra: Any) -> dict[str, Any]:
        """The caller's part of a policy request (`policies.request_from_json`): who is asking (`assignee`) and its
        recipient category; add `purpose`, `target`, `area`... from the message."""
        request: dict[str, Any] = {"assignee": self.did}
        if self.category is not None:
            request["category"] = self.category
        return {**request, **extra}


def create_id_token(keys: KeyStore, audience: str, membership: str | None, *, lifetime: int = DEFAULT_LIFETIME,
                    now: float | None = None, jti: str | None = None) -> str:
    """A self-issued ID token from `keys.did` to `audience`, carrying the membership credential."""
    if not 0 < lifetime <= MAX_LIFETIME:
        raise ValueError(f"token lifetime must be in 1..{MAX_LIFETIME} s")
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"iss": keys.did, "sub": keys.did, "aud": audience, "jti": jti or str(uuid.uuid4()),
                              "iat": issued, "exp": issued + lifetime}
    if membership is not None:
        claims["membership"] = membership
    return keys.sign(claims)


def _refuse(check: str, fr: str, en: str) -> IdentityError:
    return IdentityError(check, fr, en)


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before the signature is checked, to find the key and refuse cheap cases first. Only
    parsing: PyJWT then verifies the signature and its strictly decoded payload must equal these claims. (PyJWT's
    own unverified decoding validates the base64 alphabet character by character in Python, which cost about
    40 % of a verification for tokens that carry a credential.)"""
    try:
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("segments")
        header, claims = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in parts[:2])
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("objects")
    except (ValueError, TypeError, UnicodeDecodeError):
        raise _refuse("malformed", "jeton illisible (JWT attendu)", "unreadable token (JWT expected)") from None
    return header, claims


class TokenVerifier:
    """Verifies self-issued ID tokens addressed to `own_did`. Thread-safe; once the caller's DID document, the
    authority's DID document and the status list are cached, verification makes no network call."""

    def __init__(self, own_did: str, resolver: DidResolver, credentials: CredentialVerifier,
                 status_lists: StatusListCache, replay: ReplayStore, *, leeway: int = DEFAULT_LEEWAY,
                 clock: Callable[[], float] = time.time) -> None:
        self.own_did = own_did
        self.resolver = resolver
        self.credentials = credentials
        self.status_lists = status_lists
        self.replay = replay
        self.leeway = leeway
        self._clock = clock

    def close(self) -> None:
        """Release HTTP clients and database connections."""
        self.resolver.close()
        self.status_lists.close()
        self.replay.engine.dispose()

    def verify(self, token: str) -> VerifiedClaims:
        header, claims = _peek(token)
        caller = claims.get("iss")
        if not isinstance(caller, str) or claims.get("sub") != caller:
            raise _refuse("issuer", "jeton invalide : `iss` et `sub` doivent être le DID de l'appelant",
                          "invalid token: `iss` and `sub` must both be the caller's DID")
        parse_did_web(caller)
        self._check_audience(claims.get("aud"))
        exp, expires_at = self._check_times(claims)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
            raise _refuse("malformed", "jeton sans `jti` valide", "token without a valid `jti`")

        kid = header.get("kid")
        if not isinstance(kid, str):
            raise _refuse("malformed", "jeton sans `kid`", "token without `kid`")
        key = self.resolver.resolve_key(caller, kid, TOKEN_KEY_RELATIONSHIPS)
        try:
            payload = _JWS.decode(token, key.key, algorithms=[key.algorithm])
        except jwt.PyJWTError:
            raise _refuse("signature", f"signature du jeton invalide pour {caller}",
                          f"invalid token signature for {caller}") from None
        if json.loads(payload) != claims:  # what was checked above is exactly what was signed
            raise _refuse("malformed", "jeton illisible (JWT attendu)", "unreadable token (JWT expected)")

        membership = claims.get("membership")
        if not isinstance(membership, str):
            raise _refuse("credential-missing", "jeton sans attestation d'adhésion (`membership`)",
                          "token without a membership credential (`membership`)")
        credential = self.credentials.verify_membership(membership)
        if credential.membership.did != caller:
            raise _refuse("credential-subject", f"l'attestation d'adhésion est celle de {credential.membership.did}, "
                          f"pas de l'appelant {caller}",
                          f"the membership credential belongs to {credential.membership.did}, not to the caller "
                          f"{caller}")
        if credential.status is not None and self.status_lists.is_set(credential.status, credential.issuer):
            raise _refuse("revoked", f"attestation d'adhésion révoquée par {credential.issuer}",
                          f"membership credential revoked by {credential.issuer}")

        if not self.replay.remember(caller, jti, expires_at):
            raise _refuse("replay", "jeton déjà utilisé (rejeu)", "token already used (replay)")
        m = credential.membership
        return VerifiedClaims(did=caller, name=m.name, category=m.category, kind=m.kind, siren=m.siren,
                              credential_id=credential.id, issuer=credential.issuer, token_id=jti)

    def _check_audience(self, aud: object) -> None:
        if aud == self.own_did or (isinstance(aud, list) and self.own_did in aud):
            return
        raise _refuse("audience", f"jeton destiné à {aud!r}, pas à {self.own_did}",
                      f"token addressed to {aud!r}, not to {self.own_did}")

    def _check_times(self, claims: dict[str, Any]) -> tuple[int, float]:
        iat, exp, nbf = claims.get("iat"), claims.get("exp"), claims.get("nbf")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (iat, exp)) or (
                nbf is not None and (not isinstance(nbf, int | float) or isinstance(nbf, bool))):
            raise _refuse("malformed", "jeton sans `iat` / `exp` numériques", "token without numeric `iat` / `exp`")
        if exp <= iat or exp - iat > MAX_LIFETIME:
            raise _refuse("lifetime", f"durée de vie du jeton invalide : {exp - iat:g} s (maximum {MAX_LIFETIME} s)",
                          f"invalid token lifetime: {exp - iat:g} s (at most {MAX_LIFETIME} s)")
        now = self._clock()
        if iat > now + self.leeway or (nbf is not None and nbf > now + self.leeway):
            raise _refuse("not-yet-valid", f"jeton émis dans le futur (au-delà de la tolérance de {self.leeway} s)",
                          f"token issued in the future (beyond the {self.leeway} s tolerance)")
        if exp <= now - self.leeway:
            raise _refuse("expired", "jeton expiré", "token expired")
        return int(exp), float(exp + self.leeway)
