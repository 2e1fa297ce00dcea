"""Where identity meets HTTP. Outgoing: `DspAuth`, an `httpx.Auth` that signs a fresh self-issued token for the
callee on every request, so catalogue and connector code only pass an auth object around and never touch keys.
Incoming: `Authenticator`, whose `dependency()` is a FastAPI dependency yielding the caller's `VerifiedClaims`;
a failure answers 401 with a JSON body naming the failed check in French and English, or 404 with
`dependency(not_found=True)` for DSP process endpoints (the protocol hides the existence of processes from
unauthorised callers). The TCK modes switch verification off or accept one static token."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Literal, Protocol

import httpx
from fastapi import HTTPException, Request

from .errors import IdentityError
from .tokens import DEFAULT_LIFETIME, TokenVerifier, VerifiedClaims

if TYPE_CHECKING:
    from connector.settings import Settings

log = logging.getLogger("jnt.identity")
AuthMode = Literal["dcp", "off", "static-token"]
#: The claims given to every caller when authentication is off or the TCK static token matches.
TCK_CLAIMS = VerifiedClaims(did="urn:jnt:tck", name="TCK", category=None, kind=None, authenticated=False)


class TokenIssuer(Protocol):
    """Anything that can sign a self-issued token for an audience (a `Participant`)."""

    def token_for(self, audience: str, lifetime: int = DEFAULT_LIFETIME) -> str: ...


class DspAuth(httpx.Auth):
    """Adds `Authorization: Bearer <self-issued token>` to each request. `audience` is the callee's DID, or a
    function of the request (a crawler talking to many connectors with one client)."""

    def __init__(self, issuer: TokenIssuer, audience: str | Callable[[httpx.Request], str],
                 lifetime: int = DEFAULT_LIFETIME) -> None:
        self._issuer = issuer
        self._audience = audience
        self._lifetime = lifetime

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        audience = self._audience(request) if callable(self._audience) else self._audience
        request.headers["Authorization"] = f"Bearer {self._issuer.token_for(audience, self._lifetime)}"
        yield request


def bearer(header: str | None) -> str | None:
    """The token of an Authorization header, with or without the `Bearer ` prefix (DSP allows both)."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else header.strip()


class Authenticator:
    """Checks the Authorization header of incoming DSP requests according to the mode."""

    def __init__(self, mode: AuthMode = "dcp", verifier: TokenVerifier | None = None,
                 static_token: str | None = None) -> None:
        if mode == "dcp" and verifier is None:
            raise ValueError("the dcp mode needs a TokenVerifier")
        if mode == "static-token" and not static_token:
            raise IdentityError("config", "mode static-token : définir JNT_TCK_TOKEN",
                                "static-token mode: set JNT_TCK_TOKEN")
        self.mode = mode
        self.verifier = verifier
        self._static = static_token.encode("utf-8") if static_token else b""

    @classmethod
    def from_settings(cls, settings: Settings, own_did: str, *, client: httpx.Client | None = None) -> Authenticator:
        """The authenticator of the participant `own_did`, wired from settings (trusted authorities, caches,
        leeway, replay database)."""
        if settings.auth_mode != "dcp":
            token = settings.tck_token.get_secret_value() if settings.tck_token else None
            return cls(settings.auth_mode, None, token)
        return cls("dcp", build_verifier(settings, own_did, client=client))

    def close(self) -> None:
        if self.verifier is not None:
            self.verifier.close()

    def authenticate(self, authorization: str | None) -> VerifiedClaims:
        if self.mode == "off":
            return TCK_CLAIMS
        token = bearer(authorization)
        if not token:
            raise IdentityError("missing-token", "en-tête Authorization absent : jeton d'identité requis",
                                "missing Authorization header: an identity token is required")
        if self.mode == "static-token":
            raw = (authorization or "").strip().encode("utf-8")
            if hmac.compare_digest(token.encode("utf-8"), self._static) or hmac.compare_digest(raw, self._static):
                return TCK_CLAIMS
            raise IdentityError("static-token", "jeton statique (mode TCK) incorrect", "wrong static token (TCK mode)")
        assert self.verifier is not None
        return self.verifier.verify(token)

    def dependency(self, *, not_found: bool = False) -> Callable[[Request], VerifiedClaims]:
        """A FastAPI dependency yielding the verified claims. With `not_found=True` (DSP negotiation and transfer
        process endpoints) a failure answers 404, as if the process did not exist; the reason is logged."""

        def verified_claims(request: Request) -> VerifiedClaims:
            # A plain function: FastAPI runs it in its thread pool, so a (rare) DID resolution never blocks the
            # event loop.
            try:
                return self.authenticate(request.headers.get("authorization"))
            except IdentityError as exc:
                log.info("authentication refused (%s): %s", exc.check, exc.en,
                         extra={"check": exc.check, "path": request.url.path})
                if not_found:
                    raise HTTPException(404, detail="Not Found") from None
                raise HTTPException(401, detail={"error": "unauthenticated", **exc.as_dict()},
                                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None

        return verified_claims


def build_verifier(settings: Settings, own_did: str, *, client: httpx.Client | None = None) -> TokenVerifier:
    """A `TokenVerifier` for `own_did` from settings; `client` is shared by DID resolution and status lists."""
    from .credentials import CredentialVerifier
    from .did import DidResolver
    from .replay import ReplayStore
    from .status_list import StatusListCache
    from .storage import make_engine

    resolver = DidResolver(dev_mode=settings.dev_mode, ttl_seconds=settings.did_cache_ttl_seconds, client=client)
    credentials = CredentialVerifier(resolver, settings.trusted_authorities, leeway=settings.clock_skew_seconds,
                                     cache_seconds=settings.did_cache_ttl_seconds)
    status = StatusListCache(credentials, dev_mode=settings.dev_mode, ttl_seconds=settings.status_list_ttl_seconds,
                             client=client)
    replay = ReplayStore(make_engine(settings.effective_database_url()))
    return TokenVerifier(own_did, resolver, credentials, status, replay, leeway=settings.clock_skew_seconds)
