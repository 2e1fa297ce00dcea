"""Signed-cookie sessions and CSRF tokens for server-rendered pages, with HMAC-SHA256 from the standard library
(no other primitive).

A session is a small JSON object kept in the visitor's browser, in a cookie whose value is
`base64url(json).base64url(hmac)`: the server keeps no session table, and a value it did not sign, or signed with
another secret, or past its expiry (`exp`, inside the signed part), is ignored. The cookie is HttpOnly,
SameSite=Lax, Secure over HTTPS, and short-lived.

CSRF: every page with a form sets (once) a random *seed* cookie, HttpOnly; the forms carry `HMAC(secret, seed)`
in a hidden field; a POST is accepted only when the field matches the seed of the request's cookie (compared in
constant time) and, when the browser sends an `Origin` header, that origin is the site's own. A cross-site page can
neither read the seed nor compute the token, and with SameSite=Lax the browser does not even send the cookies on a
cross-site POST."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

CSRF_FIELD = "csrf"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCookies:
    """Sessions in the cookie `name`, signed with `secret` (random for this process when None: the sessions then
    end with the process), valid `max_age` seconds; CSRF seeds in the cookie `name + "_csrf"`. `origins`: the
    site's public origins (`https://catalogue.example`) when a proxy changes the Host header."""

    def __init__(self, name: str, *, secret: bytes | None = None, max_age: int = 1800,
                 secure: bool | None = None, path: str = "/", origins: tuple[str, ...] = ()) -> None:
        self.name = name
        self.origins = tuple(origin.rstrip("/") for origin in origins)  # besides the request's own
        self.csrf_cookie = name + "_csrf"
        self.max_age = max_age
        self.path = path
        self._secure = secure
        # One key per use, derived from the secret, so a session signature can never pass as a CSRF token.
        master = secret if secret is not None else secrets.token_bytes(32)
        self._session_key = hmac.new(master, b"jnt web session v1", hashlib.sha256).digest()
        self._csrf_key = hmac.new(master, b"jnt web csrf v1", hashlib.sha256).digest()

    def secure(self, request: Request) -> bool:
        return self._secure if self._secure is not None else request.url.scheme == "https"

    # -- sessions ------------------------------------------------------------------------------------------------

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._session_key, payload, hashlib.sha256).digest())

    def encode(self, data: Mapping[str, Any], *, now: float | None = None) -> str:
        """The cookie value of a session holding `data` (plus its expiry and a random id)."""
        moment = time.time() if now is None else now
        body = {**data, "sid": secrets.token_urlsafe(12), "exp": int(moment) + self.max_age}
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return f"{_b64(payload)}.{self._sign(payload)}"

    def decode(self, value: str | None, *, now: float | None = None) -> dict[str, Any] | None:
        """The session a cookie value holds; None when absent, forged, altered or expired."""
        if not value or value.count(".") != 1 or len(value) > 4096:
            return None
        encoded, signature = value.split(".")
        try:
            payload = _unb64(encoded)
        except ValueError:
            return None
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            data = json.loads(payload)
        except ValueError:
            return None
        exp = data.get("exp") if isinstance(data, dict) else None
        if not isinstance(exp, int) or exp <= (time.time() if now is None else now):
            return None
        return data

    def read(self, request: Request) -> dict[str, Any] | None:
        return self.decode(request.cookies.get(self.name))

    def open(self, request: Request, response: Response, data: Mapping[str, Any]) -> None:
        response.set_cookie(self.name, self.encode(data), max_age=self.max_age, httponly=True, samesite="lax",
                            secure=self.secure(request), path=self.path)

    def close(self, request: Request, response: Response) -> None:
        response.delete_cookie(self.name, httponly=True, samesite="lax", secure=self.secure(request), path=self.path)

    # -- CSRF ----------------------------------------------------------------------------------------------------

    def csrf_seed(self, request: Request) -> tuple[str, bool]:
        """The request's CSRF seed, and whether it is new (to be set on the response with `keep_seed`)."""
        seed = request.cookies.get(self.csrf_cookie)
        if seed and 16 <= len(seed) <= 64:
            return seed, False
        return secrets.token_urlsafe(24), True

    def csrf_token(self, seed: str) -> str:
        return _b64(hmac.new(self._csrf_key, seed.encode("ascii", "replace"), hashlib.sha256).digest())

    def keep_seed(self, request: Request, response: Response, seed: str) -> None:
        response.set_cookie(self.csrf_cookie, seed, httponly=True, samesite="lax", secure=self.secure(request),
                            path=self.path)

    def csrf_valid(self, request: Request, token: str | None) -> bool:
        """Whether a POST carries the token of its seed cookie and, if its `Origin` is given, comes from here."""
        origin = request.headers.get("origin")
        if origin is not None and origin != "null":
            own = f"{request.url.scheme}://{request.url.netloc}"
            if origin.rstrip("/") not in (own, *self.origins):
                return False
        elif origin == "null":
            return False
        seed = request.cookies.get(self.csrf_cookie)
        if not seed or not token:
            return False
        return hmac.compare_digest(self.csrf_token(seed), token)


__all__ = ["CSRF_FIELD", "SessionCookies"]
