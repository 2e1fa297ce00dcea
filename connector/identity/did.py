"""did:web identifiers and DID documents. `did:web:<host>[%3A<port>][:<path>...]` maps to
`https://<host>[:<port>]/<path>/did.json`, or to `/.well-known/did.json` without a path (did:web method spec).
A participant publishes its keys as `JsonWebKey2020` verification methods and its DSP catalogue as a service.
`DidResolver` fetches documents over HTTPS, keeps them in a TTL cache (no network call per request once warm) and
refuses a document whose `id` is not the DID asked for. Plain HTTP is accepted only in development mode and only
for loopback hosts."""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx
import jwt

from .errors import IdentityError

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
JWS2020_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"
RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityInvocation")
MAX_DOCUMENT_BYTES = 256 * 1024
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_SEGMENT = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=@%-]+$")


@dataclass(frozen=True)
class DidWeb:
    host: str
    port: int | None
    path: tuple[str, ...]

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host

    @property
    def document_path(self) -> str:
        """The HTTP path of the DID document."""
        if not self.path:
            return "/.well-known/did.json"
        return "/" + "/".join(self.path) + "/did.json"


def _bad_did(did: str, why_fr: str, why_en: str) -> IdentityError:
    return IdentityError("did", f"DID did:web invalide : {did!r} ({why_fr})", f"invalid did:web DID: {did!r} ({why_en})")


def parse_did_web(did: str) -> DidWeb:
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise _bad_did(did, "doit commencer par did:web:", "must start with did:web:")
    parts = did[len("did:web:"):].split(":")
    authority, path = parts[0], tuple(parts[1:])
    host, _, port_text = unquote(authority).partition(":")
    host = host.lower()
    if not _HOST.match(host):
        raise _bad_did(did, "nom d'hôte", "host name")
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _bad_did(did, "port", "port")
        port = int(port_text)
    if any(not seg or not _SEGMENT.match(seg) or seg in (".", "..") for seg in path):
        raise _bad_did(did, "segment de chemin", "path segment")
    return DidWeb(host, port, path)


def did_from_url(url: str) -> str:
    """The did:web DID of a base URL: `http://127.0.0.1:8443/participants/ign` →
    `did:web:127.0.0.1%3A8443:participants:ign`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IdentityError("did", f"URL invalide pour un DID : {url!r}", f"invalid URL for a DID: {url!r}")
    did = "did:web:" + parts.hostname.lower() + (f"%3A{parts.port}" if parts.port else "")
    segments = [seg for seg in parts.path.split("/") if seg]
    if segments:
        did += ":" + ":".join(quote(seg, safe="") for seg in segments)
    parse_did_web(did)
    return did


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(url: str, dev_mode: bool) -> None:
    """HTTPS always; plain HTTP only for a loopback host in development mode."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and dev_mode and parts.hostname and is_loopback(parts.hostname):
        return
    raise IdentityError(
        "transport",
        f"HTTP non chiffré refusé pour {url} : HTTPS obligatoire (HTTP admis seulement en boucle locale en mode "
        "développement)",
        f"plain HTTP refused for {url}: HTTPS is required (HTTP is allowed only on loopback in development mode)")


def did_to_url(did: str, dev_mode: bool = False) -> str:
    """Where the DID document lives. HTTPS, except loopback hosts in development mode, which use plain HTTP."""
    parsed = parse_did_web(did)
    scheme = "http" if dev_mode and is_loopback(parsed.host) else "https"
    return f"{scheme}://{parsed.netloc}{parsed.document_path}"


def did_base_url(did: str, dev_mode: bool = False) -> str:
    """The base URL a did:web DID names: `did:web:h%3A8443:participants:ign` → `https://h:8443/participants/ign`."""
    parsed = parse_did_web(did)
    scheme = "http" if dev_mode and is_loopback(parsed.host) else "https"
    return f"{scheme}://{parsed.netloc}" + "".join("/" + seg for seg in parsed.path)


def did_document(did: str, jwks: list[dict[str, Any]], dsp_endpoint: str | None = None) -> dict[str, Any]:
    """A participant's DID document: its public keys as JsonWebKey2020 verification methods, usable for
    authentication (self-issued tokens), assertions (credentials it issues) and capability invocation (what DCP
    verifiers look for), and its DSP catalogue as a `CatalogService` (DSP 2025-1 did-service-schema)."""
    methods = [{"id": jwk["kid"], "type": "JsonWebKey2020", "controller": did,
                "publicKeyJwk": {k: v for k, v in jwk.items() if k not in ("d",)}} for jwk in jwks]
    ids = [m["id"] for m in methods]
    doc: dict[str, Any] = {"@context": [DID_CONTEXT, JWS2020_CONTEXT], "id": did, "verificationMethod": methods}
    for rel in RELATIONSHIPS:
        doc[rel] = list(ids)
    if dsp_endpoint:
        doc["service"] = [{"id": f"{did}#dsp", "type": "CatalogService",
                           "serviceEndpoint": dsp_endpoint.rstrip("/") + "/catalog"}]
    return doc


# -- resolved documents -------------------------------------------------------------------------------------------

_ALG_FOR = {("OKP", "Ed25519"): "EdDSA", ("EC", "P-256"): "ES256"}


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    algorithm: str
    key: Any  # a cryptography public key object
    relationships: frozenset[str]


@dataclass(frozen=True)
class DidDocument:
    id: str
    keys: dict[str, VerificationKey]
    services: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def key(self, kid: str, relationships: tuple[str, ...]) -> VerificationKey | None:
        """The key `kid` if the document lists it under one of `relationships`."""
        kid = self.id + kid if kid.startswith("#") else kid
        found = self.keys.get(kid)
        if found is None or found.relationships.isdisjoint(relationships):
            return None
        return found

    def service_endpoint(self, service_type: str = "CatalogService") -> str | None:
        for service in self.services:
            if service.get("type") == service_type and isinstance(service.get("serviceEndpoint"), str):
                return service["serviceEndpoint"]
        return None


def parse_did_document(did: str, doc: Any) -> DidDocument:
    """Check and index a DID document. Its `id` must be the DID that was resolved."""
    if not isinstance(doc, dict):
        raise IdentityError("did-document", f"document DID invalide pour {did}", f"invalid DID document for {did}")
    if doc.get("id") != did:
        raise IdentityError("did-mismatch", f"le document DID servi pour {did} porte l'identifiant {doc.get('id')!r}",
                            f"the DID document served for {did} has id {doc.get('id')!r}")

    def absolute(ref: str) -> str:
        return did + ref if ref.startswith("#") else ref

    methods: dict[str, dict[str, Any]] = {}
    embedded: dict[str, set[str]] = {}
    for vm in doc.get("verificationMethod") or []:
        if isinstance(vm, dict) and isinstance(vm.get("id"), str):
            methods[absolute(vm["id"])] = vm
    relations: dict[str, set[str]] = {}
    for rel in RELATIONSHIPS:
        for ref in doc.get(rel) or []:
            if isinstance(ref, str):
                relations.setdefault(absolute(ref), set()).add(rel)
            elif isinstance(ref, dict) and isinstance(ref.get("id"), str):
                methods.setdefault(absolute(ref["id"]), ref)
                embedded.setdefault(absolute(ref["id"]), set()).add(rel)
    keys: dict[str, VerificationKey] = {}
    for kid, vm in methods.items():
        # A document may only vouch for its own keys.
        if not kid.startswith(did + "#"):
            continue
        rels = relations.get(kid, set()) | embedded.get(kid, set())
        jwk = vm.get("publicKeyJwk")
        if not rels or not isinstance(jwk, dict) or "d" in jwk:
            continue
        algorithm = _ALG_FOR.get((jwk.get("kty"), jwk.get("crv")))
        if algorithm is None:
            continue
        try:
            key = jwt.PyJWK({k: v for k, v in jwk.items() if k != "kid"}, algorithm=algorithm).key
        except (jwt.PyJWKError, ValueError, TypeError):
            continue
        keys[kid] = VerificationKey(kid, algorithm, key, frozenset(rels))
    services = tuple(s for s in doc.get("service") or [] if isinstance(s, dict))
    return DidDocument(did, keys, services, doc)


class DidResolver:
    """Resolves did:web DIDs over HTTP(S) with an in-memory TTL cache. Thread-safe. After the first resolution of
    a DID, verification needs no network call until the entry expires. A key id missing from a cached document
    triggers one refresh (the participant may have rotated its keys), at most once per `min_refresh_seconds`."""

    def __init__(self, *, dev_mode: bool = False, ttl_seconds: float = 300.0, client: httpx.Client | None = None,
                 timeout: float = 5.0, min_refresh_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.dev_mode = dev_mode
        self.ttl = ttl_seconds
        self.min_refresh = min_refresh_seconds
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._owns_client = client is None
        self._clock = clock
        self._cache: dict[str, tuple[float, DidDocument]] = {}  # did -> (expires, document)
        self._forced: dict[str, float] = {}  # did -> time of the last refresh forced by an unknown key id
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def resolve(self, did: str) -> DidDocument:
        now = self._clock()
        entry = self._cache.get(did)
        if entry is not None and entry[0] > now:
            return entry[1]
        return self._fetch(did)

    def resolve_key(self, did: str, kid: str, relationships: tuple[str, ...]) -> VerificationKey:
        """The public key `kid` of `did`, listed under one of `relationships` (e.g. `authentication`)."""
        if not (kid.startswith(did + "#") or kid.startswith("#")):
            raise IdentityError("kid", f"l'identifiant de clé {kid!r} n'appartient pas à {did}",
                                f"key id {kid!r} does not belong to {did}")
        document = self.resolve(did)
        key = document.key(kid, relationships)
        if key is None:
            # Maybe a key rotated since the document was cached: refetch, but at most once per `min_refresh`
            # per DID, so that tokens with made-up key ids cannot make us hammer a participant's server.
            now = self._clock()
            with self._lock:
                allowed = now - self._forced.get(did, float("-inf")) >= self.min_refresh
                if allowed:
                    self._forced[did] = now
            if allowed:
                key = self._fetch(did).key(kid, relationships)
        if key is None:
            rels = ", ".join(relationships)
            raise IdentityError("unknown-key", f"clé {kid} absente du document DID de {did} ({rels})",
                                f"key {kid} not in the DID document of {did} ({rels})")
        return key

    def invalidate(self, did: str | None = None) -> None:
        with self._lock:
            if did is None:
                self._cache.clear()
            else:
                self._cache.pop(did, None)

    def _fetch(self, did: str) -> DidDocument:
        url = did_to_url(did, self.dev_mode)
        check_transport(url, self.dev_mode)
        try:
            response = self._client.get(url, headers={"Accept": "application/did+json, application/json"})
        except httpx.HTTPError as exc:
            raise IdentityError("did-resolution", f"résolution de {did} impossible ({url}) : {exc}",
                                f"cannot resolve {did} ({url}): {exc}") from None
        if response.status_code != 200:
            raise IdentityError("did-resolution", f"résolution de {did} : {url} répond {response.status_code}",
                                f"resolving {did}: {url} answered {response.status_code}")
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise IdentityError("did-document", f"document DID trop grand : {url}", f"DID document too large: {url}")
        try:
            raw = response.json()
        except ValueError:
            raise IdentityError("did-document", f"document DID non JSON : {url}", f"DID document is not JSON: {url}") \
                from None
        document = parse_did_document(did, raw)
        now = self._clock()
        with self._lock:
            self._cache[did] = (now + self.ttl, document)
        return document
