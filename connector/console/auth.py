"""Signing in to the participant console: who may (the management token, or an operator's name and password checked
against a scrypt hash from `JNT_CONSOLE_USERS`), how a signed-in browser is recognised (a session cookie signed with
HMAC-SHA256, HttpOnly, SameSite=Strict, Secure over HTTPS, expiring after a short idle time and a longer absolute
one), how every form is protected from cross-site requests (a CSRF token bound to the session, compared in constant
time), and how guessing is slowed down (failed sign-ins counted per client address, in memory).

The session carries a fingerprint of the credential it was opened with: changing the management token or an
operator's password ends the sessions opened with the old one, on every replica, at their next request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

# scrypt parameters of new hashes: 16 MiB of memory, about 50 ms on a laptop core.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_PREFIX = "scrypt"


class ConsoleUserError(ValueError):
    """A `JNT_CONSOLE_USERS` entry that cannot be read."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$<salt>$<key>` (URL-safe base64): no `:` nor `,`, so it fits a `name:hash` list entry."""
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32,
                         maxmem=_SCRYPT_MAXMEM)
    return f"{_PREFIX}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _PREFIX:
        raise ConsoleUserError("expected scrypt$N$r$p$salt$key (made by `jnt console hash-password`)")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError as exc:
        raise ConsoleUserError(f"unreadable scrypt hash: {exc}") from None
    if n < 2**10 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16 or len(salt) < 8 or len(key) < 16:
        raise ConsoleUserError("scrypt parameters out of range")
    return n, r, p, salt, key


def verify_password(password: str, encoded: str) -> bool:
    try:
        n, r, p, salt, key = _parse_hash(encoded)
    except ConsoleUserError:
        return False
    candidate = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(key),
                               maxmem=_SCRYPT_MAXMEM)
    return hmac.compare_digest(candidate, key)


def parse_users(entries: Iterable[str]) -> dict[str, str]:
    """`["alice:scrypt$…", …]` -> `{"alice": "scrypt$…"}`; a malformed entry raises `ConsoleUserError` naming it."""
    users: dict[str, str] = {}
    for i, entry in enumerate(entries):
        name, sep, encoded = entry.strip().partition(":")
        name = name.strip()
        if not sep or not name or not encoded.strip():
            raise ConsoleUserError(f"console_users[{i}]: expected name:hash")
        try:
            _parse_hash(encoded.strip())
        except ConsoleUserError as exc:
            raise ConsoleUserError(f"console_users[{i}] ({name}): {exc}") from None
        if name in users:
            raise ConsoleUserError(f"console_users[{i}]: user {name} given twice")
        users[name] = encoded.strip()
    return users


# A hash to check against when the name is unknown, so that timing does not tell which names exist.
_DUMMY_HASH = hash_password("unused", salt=b"jnt-console-dummy")


@dataclass(frozen=True)
class Session:
    user: str  # the operator's name, or "token" for the management token
    csrf: str
    issued: int  # absolute start (seconds since the epoch)
    expires: int
    credential: str  # fingerprint of the credential used (see `Authenticator.fingerprint`)
    lang: str | None = None


class Authenticator:
    """Checks credentials, issues and reads session cookies. `secret` signs the cookies: give the same one to every
    replica behind a load balancer (`JNT_CONSOLE_SESSION_SECRET`); by default each process draws its own, and its
    sessions end when it restarts."""

    def __init__(self, *, token: str | None, users: dict[str, str], secret: bytes | None = None,
                 idle_seconds: int = 30 * 60, max_seconds: int = 8 * 3600) -> None:
        self.token = token or None
        self.users = dict(users)
        self.secret = hashlib.sha256(b"jnt-console-session\x00" + secret).digest() if secret else \
            secrets.token_bytes(32)
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._closed: dict[str, float] = {}  # csrf of signed-out sessions -> expiry
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.token is not None or bool(self.users)

    def fingerprint(self, user: str) -> str | None:
        """A digest of the credential currently valid for `user` (None when it has none any more)."""
        material = self.token if user == "token" else self.users.get(user)
        if material is None:
            return None
        return _b64(hmac.new(self.secret, f"{user}\x00{material}".encode(), hashlib.sha256).digest()[:12])

    def check_token(self, presented: str) -> bool:
        expected = (self.token or "").encode("utf-8")
        ok = hmac.compare_digest(presented.encode("utf-8"), expected)
        return bool(self.token) and bool(presented) and ok

    def check_password(self, name: str, password: str) -> bool:
        encoded = self.users.get(name)
        ok = verify_password(password, encoded or _DUMMY_HASH)
        return encoded is not None and ok

    # -- cookies ----------------------------------------------------------------------------------------------------

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self.secret, payload, hashlib.sha256).digest())

    def open(self, user: str, *, lang: str | None = None, now: float | None = None) -> Session:
        now = int(now if now is not None else time.time())
        return Session(user=user, csrf=secrets.token_urlsafe(24), issued=now, expires=now + self.idle_seconds,
                       credential=self.fingerprint(user) or "", lang=lang)

    def renew(self, session: Session, *, now: float | None = None) -> Session:
        now = int(now if now is not None else time.time())
        expires = min(now + self.idle_seconds, session.issued + self.max_seconds)
        return Session(session.user, session.csrf, session.issued, expires, session.credential, session.lang)

    def encode(self, session: Session) -> str:
        body = {"u": session.user, "c": session.csrf, "i": session.issued, "e": session.expires,
                "f": session.credential}
        if session.lang:
            body["l"] = session.lang
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload.encode())}"

    def decode(self, cookie: str | None, *, now: float | None = None) -> Session | None:
        """The session of a cookie, or None when it is absent, forged, expired, closed or its credential changed."""
        if not cookie or cookie.count(".") != 1 or len(cookie) > 4096:
            return None
        payload, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(payload.encode())):
            return None
        try:
            body = json.loads(_unb64(payload))
            session = Session(user=str(body["u"]), csrf=str(body["c"]), issued=int(body["i"]),
                              expires=int(body["e"]), credential=str(body["f"]), lang=body.get("l"))
        except (ValueError, KeyError, TypeError):
            return None
        now = now if now is not None else time.time()
        if now >= session.expires or now >= session.issued + self.max_seconds:
            return None
        current = self.fingerprint(session.user)
        if current is None or not hmac.compare_digest(current, session.credential):
            return None
        with self._lock:
            if session.csrf in self._closed:
                return None
        return session

    def close(self, session: Session) -> None:
        """Sign-out: the cookie is dropped by the browser, and this process refuses it until it would expire."""
        now = time.time()
        with self._lock:
            self._closed = {k: v for k, v in self._closed.items() if v > now}
            self._closed[session.csrf] = session.issued + self.max_seconds

    # -- CSRF of the sign-in form (before any session) ---------------------------------------------------------------

    def login_nonce(self) -> tuple[str, str]:
        """A nonce for the sign-in form's hidden field, and the signed value of its companion cookie."""
        nonce = secrets.token_urlsafe(18)
        return nonce, f"{nonce}.{self._sign(b'login:' + nonce.encode())}"

    def check_login_nonce(self, field_value: str | None, cookie: str | None) -> bool:
        if not field_value or not cookie or cookie.count(".") != 1:
            return False
        nonce, signature = cookie.split(".")
        return (hmac.compare_digest(signature, self._sign(b"login:" + nonce.encode()))
                and hmac.compare_digest(nonce, field_value))


@dataclass
class SignInLimiter:
    """At most `attempts` failed sign-ins per client address in `window` seconds; then every sign-in from that
    address is refused (even a right one) until the oldest failure leaves the window. Memory is bounded: at most
    `max_clients` addresses are tracked, the stalest forgotten first."""

    attempts: int = 5
    window: float = 300.0
    max_clients: int = 10_000
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, client: str, *, now: float | None = None) -> int:
        """Seconds before `client` may try again (0: now)."""
        now = now if now is not None else time.monotonic()
        with self._lock:
            failures = self._recent(client, now)
            if len(failures) < self.attempts:
                return 0
            return max(1, int(failures[0] + self.window - now + 0.999))

    def failed(self, client: str, *, now: float | None = None) -> None:
        now = now if now is not None else time.monotonic()
        with self._lock:
            failures = self._recent(client, now)
            failures.append(now)
            self._failures.pop(client, None)
            self._failures[client] = failures  # most recent last: the first ones are the stalest
            while len(self._failures) > self.max_clients:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
