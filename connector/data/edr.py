"""Endpoint data references (EDR): the bearer tokens a consumer presents to the provider's data plane.

An access token is a JWS signed by the provider (``typ: jnt-edr+jwt``), valid at most 10 minutes, bound to the
agreement, the transfer, the consumer's DID and the dataset. It comes with a refresh token: an opaque random
secret, stored only as its SHA-256 digest, that buys a new pair at the refresh endpoint while the transfer is
STARTED.

Refresh tokens are *grants* with a generation number. A refresh creates a grant one generation on; the old
grant stays usable until the new grant's access token is first presented — so a refresh response lost on the
way does not lock the consumer out: it simply refreshes again with the old secret. The first use of a grant's
access token retires every other grant of the transfer of the same or an older generation. Ending, suspending
or terminating the transfer retires them all (and the data plane checks the transfer's state at every request
anyway, so access stops at once)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from connector.store.schema import EdrGrant

EDR_TYPE = "jnt-edr+jwt"
_GRANT_STATE = select(EdrGrant.used_at, EdrGrant.retired_at).where(EdrGrant.access_jti == bindparam("jti"))
MAX_LIFETIME = 600  # seconds


class EdrError(Exception):
    """A token or refresh token that is not accepted: HTTP status, code and the reason in both languages."""

    def __init__(self, status: int, code: str, fr: str, en: str) -> None:
        super().__init__(f"{code}: {en}")
        self.status, self.code, self.fr, self.en = status, code, fr, en


@dataclass(frozen=True, slots=True)
class EdrClaims:
    jti: str
    consumer: str  # DID
    agreement: str
    transfer: str  # the transfer's provider pid
    dataset: str | None
    expires_at: int


@dataclass(frozen=True, slots=True)
class Binding:
    """What a transfer's tokens are bound to."""

    provider_pid: str
    agreement_id: str
    consumer_did: str
    dataset_id: str | None


@dataclass(frozen=True, slots=True)
class Edr:
    access_token: str
    refresh_token: str
    expires_in: int
    jti: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class EdrService:
    def __init__(self, engine: Engine, keys: Any, did: str, *, lifetime: int = MAX_LIFETIME,
                 clock: Callable[[], float] = time.time, leeway: int = 5) -> None:
        if not 0 < lifetime <= MAX_LIFETIME:
            raise ValueError(f"EDR lifetime must be within 1..{MAX_LIFETIME} s")
        self.engine, self.keys, self.did = engine, keys, did
        self.lifetime, self.clock, self.leeway = lifetime, clock, leeway

    # -- issuing ---------------------------------------------------------------------------------------------------
    def issue(self, transfer_id: str, provider_pid: str, agreement_id: str, consumer_did: str,
              dataset_id: str | None, generation: int = 0, session: Session | None = None) -> Edr:
        """A new access token and refresh token for a STARTED transfer (`transfer_id`: our process id)."""
        now = int(self.clock())
        jti = str(uuid.uuid4())
        claims = {"iss": self.did, "aud": self.did, "sub": consumer_did, "iat": now, "nbf": now,
                  "exp": now + self.lifetime, "jti": jti, "agreement": agreement_id, "transfer": provider_pid,
                  "dataset": dataset_id}
        token = self.keys.sign(claims, typ=EDR_TYPE)
        refresh = secrets.token_urlsafe(32)
        grant = EdrGrant(refresh_hash=_digest(refresh), transfer_id=transfer_id, access_jti=jti,
                         generation=generation, issued_at=datetime.fromtimestamp(now, UTC))
        if session is not None:
            session.add(grant)
        else:
            with Session(self.engine) as own, own.begin():
                own.add(grant)
        return Edr(token, refresh, self.lifetime, jti)

    def refresh(self, refresh_token: str, binding_of: Callable[[str], Binding | None]) -> Edr:
        """A new pair for a live refresh token. `binding_of(transfer_id)` gives what the tokens are bound to while
        the transfer is STARTED (else None), so a refresh never outlives the transfer."""
        with Session(self.engine) as session, session.begin():
            grant = session.get(EdrGrant, _digest(refresh_token or ""))
            if grant is None or grant.retired_at is not None:
                raise EdrError(401, "invalid-refresh-token", "jeton de rafraîchissement inconnu ou retiré",
                               "unknown or retired refresh token")
            binding = binding_of(grant.transfer_id)
            if binding is None:
                raise EdrError(403, "transfer-not-started",
                               "le transfert n'est pas en cours (terminé, suspendu ou achevé)",
                               "the transfer is not in progress (terminated, suspended or completed)")
            return self.issue(grant.transfer_id, binding.provider_pid, binding.agreement_id, binding.consumer_did,
                              binding.dataset_id, generation=grant.generation + 1, session=session)

    # -- checking --------------------------------------------------------------------------------------------------
    def verify(self, token: str) -> EdrClaims:
        """The claims of an access token signed by this participant, current and well-formed; else EdrError 401."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise EdrError(401, "invalid-token", "jeton d'accès illisible", "unreadable access token") from None
        if header.get("typ") != EDR_TYPE:
            raise EdrError(401, "invalid-token", "ce n'est pas un jeton d'accès aux données (EDR)",
                           "not a data access token (EDR)")
        found = self.keys.verification_key(str(header.get("kid", "")))
        if found is None:
            raise EdrError(401, "invalid-token", "jeton signé par une clé inconnue", "token signed by an unknown key")
        key, algorithm = found
        try:
            claims = jwt.decode(token, key, algorithms=[algorithm], audience=self.did, issuer=self.did,
                                leeway=self.leeway, options={"require": ["exp", "iat", "jti", "sub"]})
        except jwt.ExpiredSignatureError:
            raise EdrError(401, "token-expired", "jeton d'accès expiré : rafraîchissez-le",
                           "access token expired: refresh it") from None
        except jwt.PyJWTError as exc:
            raise EdrError(401, "invalid-token", f"jeton d'accès refusé : {exc}",
                           f"access token refused: {exc}") from None
        if claims["exp"] - claims["iat"] > MAX_LIFETIME:
            raise EdrError(401, "invalid-token", "durée de validité du jeton trop longue",
                           "token lifetime too long")
        for name in ("agreement", "transfer"):
            if not isinstance(claims.get(name), str):
                raise EdrError(401, "invalid-token", f"jeton sans « {name} »", f"token without '{name}'")
        return EdrClaims(claims["jti"], claims["sub"], claims["agreement"], claims["transfer"], claims.get("dataset"),
                         claims["exp"])

    def first_use(self, jti: str) -> bool:
        """Record the use of an access token; on its first use, retire the grants it supersedes. False if the
        token's grant is retired (the transfer ended, or a newer token is in use)."""
        with self.engine.connect() as connection:  # the usual case, a token in use already: one plain read
            row = connection.execute(_GRANT_STATE, {"jti": jti}).one_or_none()
        if row is None or row.retired_at is not None:
            return False
        if row.used_at is not None:
            return True
        with Session(self.engine) as session, session.begin():
            grant = session.scalars(select(EdrGrant).where(EdrGrant.access_jti == jti)).one_or_none()
            if grant is None or grant.retired_at is not None:
                return False
            if grant.used_at is None:
                now = datetime.now(UTC)
                grant.used_at = now
                session.execute(update(EdrGrant).where(
                    EdrGrant.transfer_id == grant.transfer_id, EdrGrant.refresh_hash != grant.refresh_hash,
                    EdrGrant.generation <= grant.generation, EdrGrant.retired_at.is_(None),
                ).values(retired_at=now))
            return True

    def revoke(self, transfer_id: str) -> int:
        """Retire every grant of a transfer (it ended or was suspended)."""
        with Session(self.engine) as session, session.begin():
            result = session.execute(update(EdrGrant).where(
                EdrGrant.transfer_id == transfer_id, EdrGrant.retired_at.is_(None)).values(retired_at=datetime.now(UTC)))
        return result.rowcount or 0
