"""W3C Bitstring Status List v1.0: revocation of membership credentials. The authority keeps one bit per issued
credential (1 = revoked) in a list of at least 131,072 bits, so that a list does not reveal how many credentials
exist; it serves the list as a `BitstringStatusListCredential`, itself a VC-JWT it signs, with the bitstring
gzip-compressed and multibase base64url-encoded (`u` prefix). Verifiers fetch that credential, check its
signature and keep it for a short, configurable time (`StatusListCache`)."""

from __future__ import annotations

import base64
import gzip
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from .did import check_transport
from .errors import IdentityError

if TYPE_CHECKING:
    from .credentials import CredentialVerifier
    from .keys import KeyStore

MIN_BITS = 131_072
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


class StatusList:
    """A bitstring; index 0 is the left-most (most significant) bit of the first byte, as the spec says."""

    def __init__(self, size: int = MIN_BITS, data: bytes | None = None) -> None:
        if size < MIN_BITS or size % 8:
            raise ValueError(f"a status list has at least {MIN_BITS} bits, a multiple of 8")
        self.size = size
        self._bits = bytearray(data) if data is not None else bytearray(size // 8)

    def __getitem__(self, index: int) -> bool:
        self._check(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def __setitem__(self, index: int, value: bool) -> None:
        self._check(index)
        if value:
            self._bits[index >> 3] |= 0x80 >> (index & 7)
        else:
            self._bits[index >> 3] &= ~(0x80 >> (index & 7)) & 0xFF

    def _check(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise IndexError(f"status list index {index} out of range 0..{self.size - 1}")

    def encode(self) -> str:
        """gzip, then base64url without padding, with the multibase prefix `u`."""
        packed = gzip.compress(bytes(self._bits), mtime=0)
        return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str) -> StatusList:
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise ValueError("encodedList must be multibase base64url (prefix 'u')")
        body = encoded[1:]
        data = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return cls(len(data) * 8, data)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def status_list_credential(keys: KeyStore, list_url: str, bits: StatusList, *, ttl_seconds: int = 86_400,
                           now: datetime | None = None) -> str:
    """The signed `BitstringStatusListCredential` (VC data model 2.0, secured as a JWT) for `list_url`."""
    now = now or datetime.now(UTC)
    until = now + timedelta(seconds=ttl_seconds)
    credential = {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": keys.did,
        "validFrom": _iso(now),
        "validUntil": _iso(until),
        "credentialSubject": {"id": f"{list_url}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": bits.encode()},
    }
    claims = {**credential, "iss": keys.did, "sub": list_url, "jti": f"urn:uuid:{uuid.uuid4()}",
              "iat": int(now.timestamp()), "nbf": int(now.timestamp()), "exp": int(until.timestamp())}
    return keys.sign(claims, typ="vc+jwt")


@dataclass(frozen=True)
class StatusEntry:
    """A credential's `credentialStatus` (type BitstringStatusListEntry)."""

    list_url: str
    index: int
    purpose: str = "revocation"

    def as_json(self) -> dict[str, Any]:
        return {"id": f"{self.list_url}#{self.index}", "type": "BitstringStatusListEntry",
                "statusPurpose": self.purpose, "statusListIndex": str(self.index),
                "statusListCredential": self.list_url}

    @classmethod
    def from_json(cls, value: Any) -> StatusEntry:
        try:
            if value["type"] != "BitstringStatusListEntry":
                raise ValueError(value["type"])
            return cls(str(value["statusListCredential"]), int(value["statusListIndex"]),
                       str(value.get("statusPurpose", "revocation")))
        except (KeyError, TypeError, ValueError):
            raise IdentityError("credential-status", "statut de l'attestation illisible (credentialStatus)",
                                "unreadable credential status (credentialStatus)") from None


class StatusListCache:
    """Fetches and verifies status list credentials and keeps each for `ttl_seconds`. A list that cannot be
    fetched or verified makes the check fail: revocation is fail-closed."""

    def __init__(self, verifier: CredentialVerifier, *, dev_mode: bool = False, ttl_seconds: float = 300.0,
                 client: httpx.Client | None = None, timeout: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._verifier = verifier
        self.dev_mode = dev_mode
        self.ttl = ttl_seconds
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._owns_client = client is None
        self._clock = clock
        self._cache: dict[str, tuple[float, str, StatusList]] = {}  # url -> (expires, issuer, bits)
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def is_set(self, entry: StatusEntry, issuer: str) -> bool:
        """Whether the credential's bit is set. The list must be signed by the credential's own issuer."""
        cached = self._cache.get(entry.list_url)
        if cached is None or cached[0] <= self._clock():
            cached = self._fetch(entry.list_url)
        expires, list_issuer, bits = cached
        if list_issuer != issuer:
            raise IdentityError("credential-status", f"liste de statut signée par {list_issuer}, pas par {issuer}",
                                f"status list signed by {list_issuer}, not by {issuer}")
        try:
            return bits[entry.index]
        except IndexError:
            raise IdentityError("credential-status", "index de statut hors de la liste",
                                "status index outside the list") from None

    def _fetch(self, url: str) -> tuple[float, str, StatusList]:
        check_transport(url, self.dev_mode)
        try:
            response = self._client.get(url, headers={"Accept": "application/vc+jwt, application/jwt"})
        except httpx.HTTPError as exc:
            raise IdentityError("status-unavailable", f"liste de statut injoignable : {url} ({exc})",
                                f"status list unreachable: {url} ({exc})") from None
        if response.status_code != 200:
            raise IdentityError("status-unavailable", f"liste de statut : {url} répond {response.status_code}",
                                f"status list: {url} answered {response.status_code}")
        claims = self._verifier.verify_status_list(response.text.strip(), url)
        try:
            subject = claims["credentialSubject"]
            if subject.get("statusPurpose") != "revocation":
                raise ValueError("statusPurpose")
            bits = StatusList.decode(subject["encodedList"])
        except (KeyError, TypeError, ValueError, OSError, EOFError, zlib.error):
            raise IdentityError("credential-status", f"liste de statut illisible : {url}",
                                f"unreadable status list: {url}") from None
        entry = (self._clock() + self.ttl, claims["issuer"], bits)
        with self._lock:
            self._cache[url] = entry
        return entry
