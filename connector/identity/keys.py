"""A participant's signing keys: generated with `cryptography` (Ed25519 by default, P-256 on request), stored as
PKCS#8 PEM encrypted with a passphrase (`JNT_KEY_PASSPHRASE` or the file named by `JNT_KEY_PASSPHRASE_FILE`),
several per participant so that keys can rotate. Each key has a `kid` = `<did>#key-<n>`; one is active (it signs),
older ones stay published for verification until they are retired. A small manifest (`keys.json`) lists them
with their public keys (`published_jwks` reads them without the passphrase).
Private keys never leave this module: callers ask the store to sign."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from .errors import IdentityError

log = logging.getLogger("jnt.identity.keys")

KeyType = Literal["Ed25519", "P-256"]
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

#: JOSE algorithm for each key type.
JWS_ALGORITHM: dict[str, str] = {"Ed25519": "EdDSA", "P-256": "ES256"}
MANIFEST = "keys.json"
RELOAD_SECONDS = 1.0  # how often a running service looks for a rotation done by another process
MIN_PASSPHRASE = 8


def load_passphrase(passphrase: str | None = None, passphrase_file: str | Path | None = None) -> bytes:
    """The key passphrase: given directly (JNT_KEY_PASSPHRASE) or read from a secret file (JNT_KEY_PASSPHRASE_FILE,
    e.g. a Docker / Kubernetes secret; one trailing newline is ignored)."""
    if passphrase is None and passphrase_file is not None:
        path = Path(passphrase_file)
        try:
            passphrase = path.read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
        except OSError as exc:
            raise IdentityError("passphrase", f"fichier de phrase secrète illisible : {path} ({exc.strerror})",
                                f"cannot read the passphrase file: {path} ({exc.strerror})") from None
    if not passphrase:
        raise IdentityError("passphrase", "aucune phrase secrète pour les clés : définir JNT_KEY_PASSPHRASE ou "
                            "JNT_KEY_PASSPHRASE_FILE", "no key passphrase: set JNT_KEY_PASSPHRASE or "
                            "JNT_KEY_PASSPHRASE_FILE")
    if len(passphrase) < MIN_PASSPHRASE:
        raise IdentityError("passphrase", f"phrase secrète trop courte (au moins {MIN_PASSPHRASE} caractères)",
                            f"passphrase too short (at least {MIN_PASSPHRASE} characters)")
    return passphrase.encode("utf-8")


def public_jwk(key: PublicKey) -> dict[str, Any]:
    """The public key as a JWK (RFC 7517 / 8037), without `kid`."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return OKPAlgorithm.to_jwk(key, as_dict=True)
    return ECAlgorithm.to_jwk(key, as_dict=True)


def _generate(key_type: str) -> PrivateKey:
    if key_type == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "P-256":
        return ec.generate_private_key(ec.SECP256R1())
    raise IdentityError("key-type", f"type de clé inconnu : {key_type} (Ed25519 ou P-256)",
                        f"unknown key type: {key_type} (Ed25519 or P-256)")


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def published_jwks(directory: str | Path) -> tuple[str, list[dict[str, Any]]]:
    """The DID and published public keys (JWKs with `kid` and `alg`) of a key directory, read from its manifest
    without the passphrase: what a verifier on the same machine (`jnt audit verify`) needs. Keys of a manifest
    older than this field are left out until the store is next opened with its passphrase."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IdentityError("keys-missing", f"aucune clé dans {directory} : lancer d'abord `jnt participant init`",
                            f"no keys in {directory}: run `jnt participant init` first") from None
    except (OSError, ValueError) as exc:
        raise IdentityError("keys-unreadable", f"manifeste de clés illisible : {directory / MANIFEST} ({exc})",
                            f"unreadable key manifest: {directory / MANIFEST} ({exc})") from None
    jwks = [{**entry["public"], "kid": entry["kid"], "alg": JWS_ALGORITHM[entry["type"]]}
            for entry in manifest.get("keys", [])
            if entry.get("status") != "retired" and isinstance(entry.get("public"), dict)]
    return manifest["did"], jwks


@dataclass
class _Entry:
    kid: str
    file: str
    type: str
    created: str
    status: str  # "active" | "valid" (verifies, no longer signs) | "retired" (not published)
    public: dict[str, Any] | None = None  # the public JWK: lets verifiers read the keys without the passphrase


class KeyStore:
    """The keys of one DID, in one directory. Open it with the passphrase; then `sign` with the active key and
    publish `public_jwks()` in the DID document."""

    def __init__(self, directory: Path, did: str, entries: list[_Entry], passphrase: bytes) -> None:
        self.directory = directory
        self.did = did
        self._entries = entries
        self._passphrase = passphrase
        self._private: dict[str, PrivateKey] = {}
        # A running service sees `jnt keys rotate|retire` done by another process: the manifest is looked at again
        # (one stat) at most every RELOAD_SECONDS, and re-read when it changed.
        self._reload_lock = threading.Lock()
        self._checked = time.monotonic()
        self._stamp = self._manifest_stamp()
        for entry in entries:
            if entry.status != "retired":
                self._private[entry.kid] = self._load(entry)
        missing = [e for e in entries if e.public is None and e.kid in self._private]
        for entry in missing:  # manifests written before the public keys were kept in them
            entry.public = public_jwk(self._private[entry.kid].public_key())
        if missing:  # a read-only directory: the keys still work, verifiers will need the DID document
            with contextlib.suppress(OSError):
                self._save_manifest()

    # -- creation and opening -------------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: str | Path, did: str, passphrase: bytes, key_type: KeyType = "Ed25519") -> KeyStore:
        directory = Path(directory)
        if (directory / MANIFEST).exists():
            raise IdentityError("keys-exist", f"des clés existent déjà dans {directory}",
                                f"keys already exist in {directory}")
        directory.mkdir(parents=True, exist_ok=True)
        store = cls(directory, did, [], passphrase)
        store.rotate(key_type)
        return store

    @classmethod
    def open(cls, directory: str | Path, passphrase: bytes) -> KeyStore:
        directory = Path(directory)
        try:
            manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IdentityError("keys-missing", f"aucune clé dans {directory} : lancer d'abord `jnt participant init`",
                                f"no keys in {directory}: run `jnt participant init` first") from None
        except (OSError, ValueError) as exc:
            raise IdentityError("keys-unreadable", f"manifeste de clés illisible : {directory / MANIFEST} ({exc})",
                                f"unreadable key manifest: {directory / MANIFEST} ({exc})") from None
        entries = [_Entry(**entry) for entry in manifest["keys"]]
        return cls(directory, manifest["did"], entries, passphrase)

    @classmethod
    def open_or_create(cls, directory: str | Path, did: str, passphrase: bytes) -> KeyStore:
        if (Path(directory) / MANIFEST).exists():
            store = cls.open(directory, passphrase)
            if store.did != did:
                raise IdentityError("keys-did", f"les clés de {directory} appartiennent à {store.did}, pas à {did}",
                                    f"the keys in {directory} belong to {store.did}, not to {did}")
            return store
        return cls.create(directory, did, passphrase)

    def _load(self, entry: _Entry) -> PrivateKey:
        path = self.directory / entry.file
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=self._passphrase)
        except OSError as exc:
            raise IdentityError("keys-unreadable", f"clé illisible : {path} ({exc.strerror})",
                                f"unreadable key: {path} ({exc.strerror})") from None
        except (ValueError, TypeError):
            # cryptography says "Bad decrypt. Incorrect password?" for a wrong passphrase.
            raise IdentityError("passphrase", f"impossible de déchiffrer {path} : phrase secrète incorrecte",
                                f"cannot decrypt {path}: wrong passphrase") from None
        if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
            raise IdentityError("key-type", f"type de clé non pris en charge : {path}", f"unsupported key type: {path}")
        return key

    def _save_manifest(self) -> None:
        data = {"did": self.did, "keys": [vars(e) for e in self._entries]}
        tmp = self.directory / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.directory / MANIFEST)
        self._stamp = self._manifest_stamp()

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.directory / MANIFEST)
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _refresh(self) -> None:
        """Take in a rotation or retirement written to the manifest by another process."""
        now = time.monotonic()
        if now - self._checked < RELOAD_SECONDS:
            return
        self._checked = now
        stamp = self._manifest_stamp()
        if stamp is None or stamp == self._stamp:
            return
        with self._reload_lock:
            if stamp == self._stamp:
                return
            try:
                manifest = json.loads((self.directory / MANIFEST).read_text(encoding="utf-8"))
                if manifest.get("did") != self.did:
                    raise ValueError(f"manifest of {manifest.get('did')}")
                entries = [_Entry(**entry) for entry in manifest["keys"]]
                private = {e.kid: self._private.get(e.kid) or self._load(e) for e in entries if e.status != "retired"}
                if not any(e.status == "active" for e in entries):
                    raise ValueError("no active key")
            except (OSError, ValueError, TypeError, KeyError, IdentityError) as exc:
                log.warning("key manifest %s changed but cannot be used (%s): keeping the keys loaded",
                            self.directory / MANIFEST, exc)
                self._stamp = stamp
                return
            self._entries, self._private, self._stamp = entries, private, stamp
            log.info("keys reloaded for %s: active %s", self.did, self._active().kid)

    # -- rotation ---------------------------------------------------------------------------------------------

    def rotate(self, key_type: KeyType | None = None) -> str:
        """Create a new key and make it the active one. The previous keys stay published (status `valid`) so that
        tokens and credentials they signed still verify; retire them later with `retire`."""
        key_type = key_type or (self._active().type if self._entries else "Ed25519")
        private = _generate(key_type)
        n = max((int(e.kid.rsplit("-", 1)[1]) for e in self._entries), default=0) + 1
        kid = f"{self.did}#key-{n}"
        name = f"key-{n}.pem"
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(self._passphrase))
        _write_private(self.directory / name, pem)
        for entry in self._entries:
            if entry.status == "active":
                entry.status = "valid"
        created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        self._entries.append(_Entry(kid=kid, file=name, type=key_type, created=created, status="active",
                                    public=public_jwk(private.public_key())))
        self._private[kid] = private
        self._save_manifest()
        return kid

    def retire(self, kid: str) -> None:
        """Stop publishing a key: what it signed no longer verifies. The active key cannot be retired."""
        for entry in self._entries:
            if entry.kid == kid:
                if entry.status == "active":
                    raise IdentityError("key-active", f"la clé active ne peut pas être retirée : {kid}",
                                        f"the active key cannot be retired: {kid}")
                entry.status = "retired"
                self._private.pop(kid, None)
                self._save_manifest()
                return
        raise IdentityError("unknown-key", f"clé inconnue : {kid}", f"unknown key: {kid}")

    # -- use ----------------------------------------------------------------------------------------------------

    def _active(self) -> _Entry:
        self._refresh()
        return next(e for e in self._entries if e.status == "active")

    @property
    def active_kid(self) -> str:
        return self._active().kid

    @property
    def kids(self) -> list[str]:
        """Published keys (active and still valid), oldest first."""
        self._refresh()
        return [e.kid for e in self._entries if e.status != "retired"]

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        """A compact JWS of `claims`, signed by the active key, with its `kid` in the header."""
        entry = self._active()
        return jwt.encode(claims, self._private[entry.kid], algorithm=JWS_ALGORITHM[entry.type],
                          headers={"kid": entry.kid, "typ": typ})

    def verification_key(self, kid: str) -> tuple[Any, str] | None:
        """The public key and JWS algorithm of one of this participant's published keys (to check its own tokens
        without resolving its DID document); None for an unknown or retired key."""
        self._refresh()
        entry = next((e for e in self._entries if e.kid == kid and e.status != "retired"), None)
        if entry is None:
            return None
        return self._private[entry.kid].public_key(), JWS_ALGORITHM[entry.type]

    def public_jwks(self) -> list[dict[str, Any]]:
        """The published public keys as JWKs with `kid` and `alg`."""
        self._refresh()
        out = []
        for entry in self._entries:
            if entry.status != "retired":
                jwk = public_jwk(self._private[entry.kid].public_key())
                out.append({**jwk, "kid": entry.kid, "alg": JWS_ALGORITHM[entry.type]})
        return out

    def __repr__(self) -> str:  # never show key material
        return f"KeyStore(did={self.did!r}, keys={self.kids!r})"
