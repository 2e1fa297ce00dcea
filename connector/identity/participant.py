"""What a participant process needs to be somebody in the data space: its DID, its encrypted keys, its membership
credential, a router serving its DID document, and the means to sign tokens (`token_for`, `auth_for`). One data
directory per participant, so one process can host many participants under path-based DIDs
(`did:web:host%3A8443:participants:ign` is served at `/participants/ign/did.json`).

Layout of a data directory: `identity.json` (DID, DSP endpoint), `keys/` (manifest and encrypted PEM files),
`credential.jwt` (the membership credential, once enrolled)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from .auth import DspAuth
from .did import did_document, parse_did_web
from .errors import IdentityError
from .keys import KeyStore, KeyType
from .tokens import DEFAULT_LIFETIME, create_id_token

IDENTITY_FILE = "identity.json"
KEYS_DIR = "keys"
CREDENTIAL_FILE = "credential.jwt"
DID_MEDIA_TYPE = "application/did+json"


class Participant:
    def __init__(self, data_dir: Path, keys: KeyStore, dsp_endpoint: str | None, credential: str | None) -> None:
        self.data_dir = data_dir
        self.keys = keys
        self.dsp_endpoint = dsp_endpoint
        self.credential = credential

    @property
    def did(self) -> str:
        return self.keys.did

    @classmethod
    def init(cls, data_dir: str | Path, did: str, passphrase: bytes, *, dsp_endpoint: str | None = None,
             key_type: KeyType = "Ed25519") -> Participant:
        """Create the identity of a new participant: encrypted keys and `identity.json`."""
        parse_did_web(did)
        data_dir = Path(data_dir)
        if (data_dir / IDENTITY_FILE).exists():
            raise IdentityError("exists", f"une identité existe déjà dans {data_dir}",
                                f"an identity already exists in {data_dir}")
        keys = KeyStore.create(data_dir / KEYS_DIR, did, passphrase, key_type)
        participant = cls(data_dir, keys, dsp_endpoint, None)
        participant._save()
        return participant

    @classmethod
    def load(cls, data_dir: str | Path, passphrase: bytes) -> Participant:
        data_dir = Path(data_dir)
        try:
            info = json.loads((data_dir / IDENTITY_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IdentityError("missing", f"aucune identité dans {data_dir} : lancer `jnt participant init`",
                                f"no identity in {data_dir}: run `jnt participant init`") from None
        keys = KeyStore.open(data_dir / KEYS_DIR, passphrase)
        credential_path = data_dir / CREDENTIAL_FILE
        credential = credential_path.read_text(encoding="utf-8").strip() if credential_path.exists() else None
        return cls(data_dir, keys, info.get("dspEndpoint"), credential)

    def _save(self) -> None:
        data = {"did": self.did, "dspEndpoint": self.dsp_endpoint}
        (self.data_dir / IDENTITY_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def save_credential(self, credential: str) -> None:
        self.credential = credential.strip()
        path = self.data_dir / CREDENTIAL_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.credential + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def did_document(self) -> dict[str, Any]:
        return did_document(self.did, self.keys.public_jwks(), self.dsp_endpoint)

    def token_for(self, audience: str, lifetime: int = DEFAULT_LIFETIME) -> str:
        """A self-issued ID token for `audience` with this participant's membership credential."""
        return create_id_token(self.keys, audience, self.credential, lifetime=lifetime)

    def auth_for(self, audience: str) -> DspAuth:
        """The `httpx.Auth` to give to code that calls the participant `audience`."""
        return DspAuth(self, audience)

    def router(self) -> APIRouter:
        """Serves the DID document at the path its did:web DID names. Built on demand, so a rotated key is
        published at once."""
        router = APIRouter()

        def document() -> JSONResponse:
            return JSONResponse(self.did_document(), media_type=DID_MEDIA_TYPE)

        router.add_api_route(parse_did_web(self.did).document_path, document, methods=["GET"],
                             include_in_schema=False)
        return router


def create_participant_app(participants: list[Participant]) -> FastAPI:
    """An app serving the DID documents of one or more participants (multi-tenant hosting). The DSP endpoints
    join it when the control plane lands."""
    app = FastAPI(title="JNT participant", docs_url=None, redoc_url=None, openapi_url=None)
    for participant in participants:
        app.include_router(participant.router())
    return app
