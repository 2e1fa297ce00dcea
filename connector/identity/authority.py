"""The trust authority: the data space's own key and DID, the register of enrolled participants, membership
credentials, their revocation through a Bitstring Status List, and the public participant directory that the
federated catalogue crawls. `create_authority_app(settings)` builds its web service:

* `GET /.well-known/did.json` — the authority's DID document (its keys sign credentials);
* `GET /participants` — the directory (DID, name, category, kind, SIREN, DSP endpoint) of active participants;
* `GET /status/{list_id}` — the status list credential (VC-JWT, `application/vc+jwt`);
* `POST /admin/participants` — enrol (or re-enrol) a participant, answers the credential;
* `POST /admin/participants/{did}/revoke` — revoke the participant's credentials;
* `GET /admin/participants` — the full register, revoked participants included.

The admin API requires `Authorization: Bearer <JNT_ADMIN_TOKEN>` and is disabled when no token is configured.
A path-based authority DID (`did:web:host:authority`) serves everything under that path."""

from __future__ import annotations

import hmac
import random
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .credentials import Membership, issue_membership_credential
from .did import did_base_url, did_document, did_from_url, parse_did_web
from .errors import IdentityError
from .keys import KeyStore, load_passphrase
from .participant import DID_MEDIA_TYPE
from .status_list import MIN_BITS, StatusEntry, StatusList, status_list_credential
from .storage import make_engine

if TYPE_CHECKING:
    from connector.settings import Settings

metadata = MetaData()
participants_table = Table(
    "authority_participants", metadata,
    Column("did", String(512), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("category", String(16), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("siren", String(9)),
    Column("endpoint", String(1000)),
    Column("enrolled_at", String(32), nullable=False),
    Column("active", Boolean, nullable=False),
)
credentials_table = Table(
    "authority_credentials", metadata,
    Column("id", String(100), primary_key=True),
    Column("participant_did", String(512), nullable=False, index=True),
    Column("list_id", String(32), nullable=False),
    Column("status_index", Integer, nullable=False),
    Column("issued_at", String(32), nullable=False),
    Column("valid_until", String(32), nullable=False),
    Column("revoked_at", String(32)),
    UniqueConstraint("list_id", "status_index"),
)
_SIREN = re.compile(r"^\d{9}$")
STATUS_LIST_VALIDITY = 3600  # seconds; a verifier refuses a status list credential older than this


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class EnrolRequest(BaseModel):
    did: str = Field(description="The participant's did:web DID.")
    name: str = Field(min_length=1, max_length=300, description="Legal name.")
    category: Literal["public", "private"]
    kind: str = Field(min_length=1, max_length=100, description="e.g. commune, ddt, network-operator.")
    siren: str | None = Field(None, description="SIREN number (9 digits).")
    endpoint: str | None = Field(None, max_length=1000, description="DSP base URL of the participant's connector.")

    @field_validator("did")
    @classmethod
    def _did(cls, value: str) -> str:
        try:
            parse_did_web(value)
        except IdentityError as exc:
            raise ValueError(exc.en) from None
        return value

    @field_validator("siren")
    @classmethod
    def _siren(cls, value: str | None) -> str | None:
        if value is not None and not _SIREN.match(value):
            raise ValueError("a SIREN number has 9 digits")
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("the DSP endpoint must be an http(s) URL")
        return value


def _api_error(status: int, error: str, fr: str, en: str) -> HTTPException:
    return HTTPException(status, detail={"error": error, "message": {"fr": fr, "en": en}})


class Authority:
    """The authority's state and operations, independent of HTTP."""

    def __init__(self, keys: KeyStore, engine: Engine, *, dev_mode: bool = False,
                 validity: timedelta = timedelta(days=365), list_size: int = MIN_BITS) -> None:
        self.keys = keys
        self.engine = engine
        self.validity = validity
        self.list_size = list_size
        self.base_url = did_base_url(keys.did, dev_mode)
        self._random = random.SystemRandom()
        metadata.create_all(engine)

    @property
    def did(self) -> str:
        return self.keys.did

    def status_list_url(self, list_id: str) -> str:
        return f"{self.base_url}/status/{list_id}"

    def did_document(self) -> dict[str, Any]:
        return did_document(self.did, self.keys.public_jwks())

    def _allocate(self, connection) -> tuple[str, int]:
        """A random free index in the first list less than half full (random indexes do not reveal the order or
        the number of enrolments, as the Bitstring Status List spec recommends)."""
        counts = dict(connection.execute(select(credentials_table.c.list_id, func.count())
                                         .group_by(credentials_table.c.list_id)).all())
        list_number = 1
        while counts.get(str(list_number), 0) >= self.list_size // 2:
            list_number += 1
        list_id = str(list_number)
        used = set(connection.execute(select(credentials_table.c.status_index)
                                      .where(credentials_table.c.list_id == list_id)).scalars())
        while True:
            index = self._random.randrange(self.list_size)
            if index not in used:
                return list_id, index

    def enrol(self, request: EnrolRequest) -> dict[str, Any]:
        """Register the participant (or update it) and issue a new credential; a previous credential is revoked,
        so that only the current description of the participant circulates."""
        for _attempt in range(5):
            now = _now()
            membership = Membership(request.did, request.name, request.category, request.kind, request.siren)
            try:
                with self.engine.begin() as connection:
                    list_id, index = self._allocate(connection)
                    status = StatusEntry(self.status_list_url(list_id), index)
                    credential_id, token = issue_membership_credential(self.keys, membership, status,
                                                                       validity=self.validity, now=now)
                    values = {"name": request.name, "category": request.category, "kind": request.kind,
                              "siren": request.siren, "endpoint": request.endpoint, "active": True}
                    updated = connection.execute(update(participants_table)
                                                 .where(participants_table.c.did == request.did).values(**values))
                    if not updated.rowcount:
                        connection.execute(participants_table.insert().values(did=request.did, enrolled_at=_iso(now),
                                                                              **values))
                    connection.execute(update(credentials_table)
                                       .where(credentials_table.c.participant_did == request.did,
                                              credentials_table.c.revoked_at.is_(None))
                                       .values(revoked_at=_iso(now)))
                    connection.execute(credentials_table.insert().values(
                        id=credential_id, participant_did=request.did, list_id=list_id, status_index=index,
                        issued_at=_iso(now), valid_until=_iso(now + self.validity)))
            except IntegrityError:  # two enrolments drew the same index, or raced on the same DID: draw again
                continue
            return {"did": request.did, "credentialId": credential_id, "credential": token,
                    "validUntil": _iso(now + self.validity), "statusListCredential": status.list_url,
                    "statusListIndex": index}
        raise RuntimeError("could not allocate a status list index")

    def revoke(self, did: str) -> int:
        """Revoke every current credential of `did` and remove it from the directory. Returns how many
        credentials were revoked; raises KeyError for an unknown participant."""
        with self.engine.begin() as connection:
            found = connection.execute(update(participants_table).where(participants_table.c.did == did)
                                       .values(active=False))
            if not found.rowcount:
                raise KeyError(did)
            revoked = connection.execute(update(credentials_table)
                                         .where(credentials_table.c.participant_did == did,
                                                credentials_table.c.revoked_at.is_(None))
                                         .values(revoked_at=_iso(_now())))
        return revoked.rowcount or 0

    def directory(self, include_inactive: bool = False) -> list[dict[str, Any]]:
        query = select(participants_table).order_by(participants_table.c.name)
        if not include_inactive:
            query = query.where(participants_table.c.active.is_(True))
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        out = []
        for row in rows:
            entry = {"did": row["did"], "name": row["name"], "category": row["category"], "kind": row["kind"],
                     "siren": row["siren"], "endpoint": row["endpoint"], "enrolledAt": row["enrolled_at"]}
            if include_inactive:
                entry["active"] = row["active"]
            out.append(entry)
        return out

    def status_list(self, list_id: str) -> str | None:
        """The signed status list credential, or None for a list that was never used."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(credentials_table.c.status_index, credentials_table.c.revoked_at)
                                      .where(credentials_table.c.list_id == list_id)).all()
        if not rows:
            return None
        bits = StatusList(self.list_size)
        for index, revoked_at in rows:
            if revoked_at is not None:
                bits[index] = True
        return status_list_credential(self.keys, self.status_list_url(list_id), bits, ttl_seconds=STATUS_LIST_VALIDITY)


def authority_did(settings: Settings) -> str:
    if settings.did:
        parse_did_web(settings.did)
        return settings.did
    if settings.public_url:
        return did_from_url(settings.public_url)
    raise IdentityError("config", "DID de l'autorité inconnu : définir JNT_DID ou JNT_PUBLIC_URL",
                        "unknown authority DID: set JNT_DID or JNT_PUBLIC_URL")


def open_authority(settings: Settings) -> Authority:
    """The authority of `settings`: its keys under `<data_dir>/keys` (created on first start), its register in
    the database."""
    did = authority_did(settings)
    secret = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    keys = KeyStore.open_or_create(settings.data_dir / "keys", did, load_passphrase(secret,
                                                                                     settings.key_passphrase_file))
    return Authority(keys, make_engine(settings.effective_database_url()), dev_mode=settings.dev_mode,
                     validity=timedelta(days=settings.credential_validity_days))


def create_authority_app(settings: Settings, authority: Authority | None = None) -> FastAPI:
    authority = authority or open_authority(settings)
    admin_token = settings.admin_token.get_secret_value().encode("utf-8") if settings.admin_token else None

    def require_admin(request: Request) -> None:
        if admin_token is None:
            raise _api_error(503, "admin-disabled", "API d'administration désactivée : définir JNT_ADMIN_TOKEN",
                             "admin API disabled: set JNT_ADMIN_TOKEN")
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode("utf-8"), admin_token):
            raise HTTPException(401, detail={"error": "admin-token", "message": {
                "fr": "jeton d'administration absent ou incorrect", "en": "missing or wrong admin token"}},
                headers={"WWW-Authenticate": "Bearer"})

    public = APIRouter()
    admin = APIRouter(prefix="/admin", dependencies=[Depends(require_admin)])

    def did_json() -> JSONResponse:
        return JSONResponse(authority.did_document(), media_type=DID_MEDIA_TYPE)

    @public.get("/participants")
    def directory() -> dict[str, Any]:
        return {"authority": authority.did, "participants": authority.directory()}

    @public.get("/status/{list_id}")
    def status(list_id: str) -> Response:
        token = authority.status_list(list_id)
        if token is None:
            raise _api_error(404, "unknown-status-list", f"liste de statut inconnue : {list_id}",
                             f"unknown status list: {list_id}")
        return Response(token, media_type="application/vc+jwt", headers={"Cache-Control": "max-age=60"})

    @admin.post("/participants", status_code=201)
    def enrol(body: EnrolRequest) -> dict[str, Any]:
        return authority.enrol(body)

    @admin.get("/participants")
    def register() -> dict[str, Any]:
        return {"authority": authority.did, "participants": authority.directory(include_inactive=True)}

    @admin.post("/participants/{did}/revoke")
    def revoke(did: str) -> dict[str, Any]:
        try:
            count = authority.revoke(did)
        except KeyError:
            raise _api_error(404, "unknown-participant", f"participant inconnu : {did}",
                             f"unknown participant: {did}") from None
        return {"did": did, "revoked": count}

    app = FastAPI(title="JNT trust authority", docs_url=None, redoc_url=None)
    parsed = parse_did_web(authority.did)
    prefix = "".join("/" + segment for segment in parsed.path)  # the base path a path-based DID names
    app.add_api_route(parsed.document_path, did_json, methods=["GET"], include_in_schema=False)
    app.include_router(public, prefix=prefix)
    app.include_router(admin, prefix=prefix)
    app.state.authority = authority
    from connector.ops.wiring import instrument_authority  # the ops layer sits above identity

    instrument_authority(app, settings, authority, [participants_table.name, credentials_table.name])

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": {
            "error": "invalid-request", "problems": problems,
            "message": {"fr": "requête invalide : " + "; ".join(problems),
                        "en": "invalid request: " + "; ".join(problems)}}})

    return app
