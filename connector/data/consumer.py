"""The consumer's side of the data plane: pulling the data of a STARTED transfer with the endpoint data reference
(EDR) the provider sent in its TransferStartMessage, into a file of the consumer's received directory.

`Receiver.fetch` streams the answer to a temporary file next to the destination (flat memory, SHA-256 computed on
the way), checks it is complete, then renames it into place: a failure at any point — the provider refusing, the
connection dropping mid-stream — leaves no file behind, never a half-written one. When the provider answers 401
`token-expired`, the access token is refreshed at the refresh endpoint and the new pair is stored in the transfer's
`data_address` (compare-and-set on the transfer's version) before the request is made again; when another fetch
refreshed first, its pair is used and ours is dropped unused, so concurrent fetches never retire each other's
tokens. Each copy is recorded (`received_copies`) with the provider's attribution text (`X-JNT-Attribution`) and the
delete-by date of its agreement (`connector.data.duties`), and appended to the audit log as `data.received`.

    receiver = Receiver(store, received_dir=Path("var/received"), audit=audit)
    copy = receiver.fetch(transfer_id)               # var/received/<transfer id>/<file name from the provider>
    receiver.current_edr(transfer_id)                # the EDR to hand to an application (refreshed if expiring)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import jwt
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from connector.store import ConcurrentUpdate
from connector.store.schema import ReceivedCopy, Transfer, utcnow

from .duties import delete_by, remove_copy

log = logging.getLogger(__name__)

STARTED = "STARTED"
DATA_RECEIVED = "data.received"
CHUNK_SIZE = 256 * 1024
DEFAULT_NAME = "data"
MAX_PROBLEM_BYTES = 64 * 1024  # of a provider's refusal body
EXPIRY_MARGIN = 10  # seconds: an EDR handed out with less validity than this is refreshed first
MAX_ATTEMPTS = 4  # requests per fetch (the first, then after a refresh or a newer stored pair)
CAS_ATTEMPTS = 8
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
REFRESHABLE = ("token-expired", "token-retired")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class FetchError(Exception):
    """Why a fetch (or an EDR) cannot be had: an HTTP status for the management API, a stable code, the input at
    fault (`field`) when there is one, the reason in French and English, and what the provider answered (`detail`)."""

    def __init__(self, status: int, code: str, fr: str, en: str, *, field: str | None = None,
                 detail: dict[str, Any] | None = None) -> None:
        self.status, self.code, self.fr, self.en, self.field, self.detail = status, code, fr, en, field, detail
        super().__init__(f"{code}: {en}")


# -- the EDR -----------------------------------------------------------------------------------------------------


def _properties(address: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for prop in address.get("endpointProperties") or []:
        if isinstance(prop, Mapping) and isinstance(prop.get("name"), str) and prop.get("value") is not None:
            name = prop["name"].rsplit("/", 1)[-1].rsplit("#", 1)[-1]  # expanded IRIs name the same property
            found[name] = str(prop["value"])
    return found


def _expiry(token: str | None) -> datetime | None:
    """When an access token expires, from its `exp` claim. Read without checking the signature: only the provider
    can check it, and a wrong value costs at most one refused request."""
    if not token:
        return None
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return None
    return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None


@dataclass(frozen=True)
class Edr:
    """A pull EDR as the consumer holds it: the endpoint, the bearer token, and how to refresh it."""

    endpoint: str
    token: str | None
    refresh_endpoint: str | None
    refresh_token: str | None
    expires_in: int | None
    expires_at: datetime | None

    @classmethod
    def of(cls, address: Mapping[str, Any] | None) -> Edr | None:
        if not isinstance(address, Mapping) or not isinstance(address.get("endpoint"), str):
            return None
        props = _properties(address)
        try:
            expires_in = int(props["expiresIn"]) if "expiresIn" in props else None
        except ValueError:
            expires_in = None
        token = props.get("authorization")
        return cls(address["endpoint"], token, props.get("refreshEndpoint"), props.get("refreshToken"), expires_in,
                   _expiry(token))

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "authorization": self.token, "auth_type": "bearer",
                "expires_in": self.expires_in, "expires_at": self.expires_at,
                "refresh_endpoint": self.refresh_endpoint, "refresh_token": self.refresh_token}


def with_tokens(address: Mapping[str, Any], access_token: str, refresh_token: str | None,
                expires_in: int | None) -> dict[str, Any]:
    """`address` with a new token pair, its other members and properties kept."""
    replaced = {"authorization": access_token, "refreshToken": refresh_token,
                "expiresIn": str(expires_in) if expires_in is not None else None}
    properties = [dict(p) for p in address.get("endpointProperties") or []
                  if not (isinstance(p, Mapping) and _properties({"endpointProperties": [p]}).keys() & replaced)]
    for name, value in replaced.items():
        if value is not None:
            properties.append({"@type": "EndpointProperty", "name": name, "value": value})
    return {**address, "endpointProperties": properties}


# -- the received file -------------------------------------------------------------------------------------------


def filename_from(content_disposition: str | None, fallback: str = DEFAULT_NAME) -> str:
    """A safe file name from a `Content-Disposition` header (`filename*` preferred), else `fallback`: no directory,
    no control or reserved character, not hidden, at most 200 characters."""
    name = None
    if content_disposition:
        star = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", content_disposition, re.IGNORECASE)
        plain = re.search(r'filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;\s]+)', content_disposition, re.IGNORECASE)
        if star:
            try:
                name = unquote(star.group(2).strip(), encoding=star.group(1) or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                name = None
        if not name and plain:
            name = plain.group(1) if plain.group(1) is not None else plain.group(2)
    for candidate in (name, fallback, DEFAULT_NAME):
        if not candidate:
            continue
        cleaned = _UNSAFE_NAME.sub("_", candidate.replace("\\", "/").rsplit("/", 1)[-1]).strip().lstrip(".")
        if cleaned:
            return cleaned[:200]
    return DEFAULT_NAME


def copy_json(copy: ReceivedCopy) -> dict[str, Any]:
    """A received copy as the management API shows it."""
    return {"id": copy.id, "transfer_id": copy.transfer_id, "agreement_id": copy.agreement_id,
            "dataset_id": copy.dataset_id, "provider_did": copy.provider_did, "path": copy.path,
            "sub_path": copy.sub_path, "media_type": copy.media_type, "size": copy.size, "sha256": copy.sha256,
            "attribution": copy.attribution, "received_at": copy.received_at, "delete_by": copy.delete_by,
            "deleted_at": copy.deleted_at, "deleted_reason": copy.deleted_reason}


# -- the receiver ------------------------------------------------------------------------------------------------


class Receiver:
    """Pulls the data of this participant's consumer transfers. `received_dir` is where copies go by default and
    the only place the management API lets a caller choose (`resolve_out`); `client` an HTTP client to share
    (default: one of its own, closed by `close`)."""

    def __init__(self, store: Any, *, received_dir: Path, audit: Any | None = None,
                 client: httpx.Client | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.store, self.audit, self.clock = store, audit, clock
        self.received_dir = Path(received_dir)
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self._sessions = sessionmaker(store.engine, expire_on_commit=False)

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    # -- which transfer ---------------------------------------------------------------------------------------------
    def started(self, transfer: Transfer | str) -> tuple[Transfer, Edr]:
        """The consumer transfer (read afresh) and its EDR; FetchError when it cannot be pulled now."""
        transfer_id = transfer if isinstance(transfer, str) else transfer.id
        current = self.store.get("transfer", transfer_id)
        if current is None:
            raise FetchError(404, "not-found", f"transfert inconnu : {transfer_id}", f"unknown transfer: {transfer_id}",
                             field="transfer_id")
        if current.role != "consumer":
            raise FetchError(409, "not-consumer", "ce connecteur est le fournisseur de ce transfert : c'est le "
                             "consommateur qui tire les données", "this connector is the provider of this transfer: "
                             "the consumer pulls the data")
        if current.state != STARTED:
            raise FetchError(409, "transfer-not-started", f"le transfert est {current.state} : les données ne se "
                             "tirent que d'un transfert STARTED", f"the transfer is {current.state}: data can only be "
                             "pulled from a STARTED transfer")
        edr = Edr.of(current.data_address)
        if edr is None or not edr.token:
            raise FetchError(409, "no-data-address", "le fournisseur n'a pas donné d'adresse de données avec jeton "
                             "(transfert PUSH ?)", "the provider gave no data address with a token (a PUSH "
                             "transfer?)")
        return current, edr

    # -- the EDR ----------------------------------------------------------------------------------------------------
    def current_edr(self, transfer: Transfer | str, *, margin: float = EXPIRY_MARGIN) -> tuple[Transfer, Edr]:
        """The transfer and its EDR, refreshed first when its token expires within `margin` seconds. An application
        given this EDR should come back here rather than refresh it itself: a refresh elsewhere retires the pair
        this connector holds."""
        current, edr = self.started(transfer)
        if edr.expires_at is not None and edr.expires_at <= self.clock() + timedelta(seconds=margin) and \
                edr.refresh_token:
            current = self.refresh(current, edr)
            edr = Edr.of(current.data_address) or edr
        return current, edr

    def refresh(self, transfer: Transfer, edr: Edr) -> Transfer:
        """A new token pair from the provider's refresh endpoint, stored in the transfer's `data_address`. If the
        stored pair changed meanwhile (another fetch refreshed), that one is kept and ours is never used."""
        if not edr.refresh_endpoint or not edr.refresh_token:
            raise FetchError(502, "no-refresh-token", "jeton d'accès expiré et le fournisseur n'a pas donné de jeton "
                             "de rafraîchissement", "access token expired and the provider gave no refresh token")
        try:
            answer = self.client.post(edr.refresh_endpoint, json={"refresh_token": edr.refresh_token})
        except httpx.HTTPError as exc:
            raise FetchError(502, "provider-unreachable", f"point de rafraîchissement injoignable : {exc}",
                             f"refresh endpoint unreachable: {exc}") from None
        if answer.status_code != 200:
            current = self.store.get("transfer", transfer.id)
            stored = Edr.of(current.data_address) if current is not None else None
            if current is not None and stored is not None and stored.refresh_token != edr.refresh_token:
                return current  # another fetch refreshed first, and its token retired ours: use its pair
            raise _refusal(answer, "rafraîchissement du jeton refusé", "token refresh refused")
        try:
            pair = answer.json()
            access, refresh = pair["access_token"], pair.get("refresh_token")
            expires_in = pair.get("expires_in")
            if not isinstance(access, str) or not access or (refresh is not None and not isinstance(refresh, str)):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise FetchError(502, "refresh-unreadable", "réponse de rafraîchissement illisible",
                             "unreadable refresh answer") from None
        for _ in range(CAS_ATTEMPTS):
            current = self.store.get("transfer", transfer.id)
            stored = Edr.of(current.data_address) if current is not None else None
            if current is None or stored is None:
                raise FetchError(409, "no-data-address", "l'adresse de données du transfert a disparu",
                                 "the transfer's data address is gone")
            if stored.refresh_token != edr.refresh_token:
                return current  # refreshed by someone else first: theirs is the pair in use
            try:
                return self.store.update("transfer", current.id, current.version, data_address=with_tokens(
                    current.data_address, access, refresh or edr.refresh_token,
                    expires_in if isinstance(expires_in, int) else None))
            except ConcurrentUpdate:
                continue  # the dispatcher changed the transfer: read it again
        raise FetchError(409, "busy", "transfert modifié en parallèle : réessayer", "transfer changed concurrently: "
                         "retry")

    # -- pulling ----------------------------------------------------------------------------------------------------
    def fetch(self, transfer: Transfer | str, dest: Path | str | None = None, *, path: str | None = None,
              bbox: str | None = None) -> ReceivedCopy:
        """Pull the data of a STARTED consumer transfer into `dest` — a file, or a directory (existing, or written
        with a trailing `/`) where the provider's file name is used; default `<received_dir>/<transfer id>/`.
        `path`: the file inside a folder source; `bbox`: `minx,miny,maxx,maxy` (CRS84) for vector data. The copy
        is recorded and audited; FetchError says why there is none (and no file is left)."""
        current, edr = self.started(transfer)
        agreement = self.store.get_agreement(current.agreement_id)
        deadline = delete_by(agreement.policy, agreement.timestamp) if agreement is not None else None
        if deadline is not None and deadline <= self.clock():
            when = deadline.strftime("%Y-%m-%d %H:%M:%S UTC")
            raise FetchError(409, "delete-by-passed", f"l'accord impose de supprimer ces données depuis le {when} : "
                             "elles ne peuvent plus être reçues", f"the agreement requires deleting this data since "
                             f"{when}: it can no longer be received")
        sub_path = path.strip("/") if path else None
        params = {"bbox": bbox} if bbox else None
        for _ in range(MAX_ATTEMPTS):
            url = edr.endpoint.rstrip("/") + (f"/{quote(sub_path, safe='/')}" if sub_path else "")
            headers = {"Authorization": f"Bearer {edr.token}", "Accept-Encoding": "identity"}
            try:
                with self.client.stream("GET", url, params=params, headers=headers) as response:
                    if response.status_code == 401:
                        problem = _problem_of(response)
                        current, edr = self._after_401(current, edr, problem, response)
                        continue
                    if response.status_code != 200:
                        raise _refusal(response, "le fournisseur refuse l'accès aux données",
                                       "the provider refuses access to the data")
                    return self._receive(current, agreement, deadline, response, dest, sub_path)
            except httpx.HTTPError as exc:
                raise FetchError(502, "provider-unreachable", f"fournisseur injoignable ({edr.endpoint}) : {exc}",
                                 f"provider unreachable ({edr.endpoint}): {exc}") from None
        raise FetchError(502, "token-refused", "le fournisseur refuse encore le jeton après rafraîchissement",
                         "the provider still refuses the token after a refresh")

    def _after_401(self, transfer: Transfer, edr: Edr, problem: dict[str, Any],
                   response: httpx.Response) -> tuple[Transfer, Edr]:
        """The pair to try next: a newer one stored meanwhile, else a refreshed one (for an expired or retired
        token); FetchError for any other 401."""
        current, stored = self.started(transfer)
        if stored.token != edr.token:
            return current, stored
        if problem.get("error") not in REFRESHABLE:
            raise _refusal(response, "jeton d'accès refusé", "access token refused", problem)
        current = self.refresh(current, stored)
        return current, Edr.of(current.data_address) or stored

    def _receive(self, transfer: Transfer, agreement: Any, deadline: datetime | None, response: httpx.Response,
                 dest: Path | str | None, sub_path: str | None) -> ReceivedCopy:
        fallback = sub_path.rsplit("/", 1)[-1] if sub_path else DEFAULT_NAME
        name = filename_from(response.headers.get("content-disposition"), fallback)
        target = self._target(dest, transfer.id, name)
        temp = target.parent / f".{target.name}.{uuid.uuid4().hex}.part"
        digest, size = hashlib.sha256(), 0
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "xb") as out:
                for chunk in response.iter_bytes(CHUNK_SIZE):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            expected = response.headers.get("content-length")
            encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
            if expected is not None and expected.isdigit() and not encoded and int(expected) != size:
                raise FetchError(502, "incomplete", f"données incomplètes : {size} octets reçus sur {expected}",
                                 f"incomplete data: {size} bytes received of {expected}")
            os.replace(temp, target)
        except httpx.HTTPError as exc:
            _discard(temp)
            raise FetchError(502, "interrupted", f"transfert interrompu après {size} octets : {exc}",
                             f"transfer interrupted after {size} bytes: {exc}") from None
        except OSError as exc:
            _discard(temp)
            raise FetchError(500, "cannot-write", f"écriture impossible de {target} : {exc.strerror or exc}",
                             f"cannot write {target}: {exc.strerror or exc}", field="out") from None
        except BaseException:
            _discard(temp)
            raise
        attribution = response.headers.get("x-jnt-attribution")
        copy = ReceivedCopy(
            id=str(uuid.uuid4()), transfer_id=transfer.id, agreement_id=transfer.agreement_id,
            dataset_id=agreement.target if agreement is not None else None, provider_did=transfer.counterparty_did,
            path=str(target), sub_path=sub_path, media_type=response.headers.get("content-type"), size=size,
            sha256=digest.hexdigest(), attribution=unquote(attribution) if attribution else None,
            received_at=self.clock(), delete_by=deadline)
        try:
            replaced = self._record(copy)
            self._audit(copy, replaced, response)
        except BaseException:
            # A copy that is not recorded would escape its deletion duty: it is not kept.
            remove_copy(target)
            with self._sessions() as session, session.begin():
                session.execute(update(ReceivedCopy).where(ReceivedCopy.id == copy.id).values(
                    deleted_at=utcnow(), deleted_reason="discarded"))
            raise
        return copy

    def _target(self, dest: Path | str | None, transfer_id: str, name: str) -> Path:
        if dest is None:
            return self.received_dir / transfer_id / name
        text = str(dest)
        target = Path(dest)
        if text.endswith(("/", os.sep)) or target.is_dir():
            return target / name
        return target

    def resolve_out(self, out: str) -> Path | str:
        """Where the management API may write: `out` relative to the received directory, or absolute inside it (a
        trailing `/` names a directory, and is kept: the text is returned). Anything else is refused on `out`."""
        if not out.strip() or "\x00" in out:
            raise FetchError(400, "invalid-out", "chemin de destination vide ou invalide",
                             "empty or invalid destination path", field="out")
        root = self.received_dir.resolve()
        candidate = Path(out)
        if ".." in candidate.parts:
            raise FetchError(400, "invalid-out", "« .. » n'est pas permis dans le chemin de destination",
                             "'..' is not allowed in the destination path", field="out")
        joined = candidate if candidate.is_absolute() else root / candidate
        resolved = joined.resolve()
        if not resolved.is_relative_to(root):
            raise FetchError(400, "invalid-out", f"la destination doit être dans le répertoire des données reçues "
                             f"({root})", f"the destination must lie inside the received-data directory ({root})",
                             field="out")
        return f"{resolved}{os.sep}" if out.endswith(("/", os.sep)) else resolved

    def _record(self, copy: ReceivedCopy) -> list[str]:
        """Insert the copy; copies at the same path that were still held are closed as replaced (their data was
        overwritten). The ids replaced."""
        with self._sessions() as session, session.begin():
            replaced = list(session.scalars(select(ReceivedCopy.id).where(
                ReceivedCopy.path == copy.path, ReceivedCopy.deleted_at.is_(None))))
            if replaced:
                session.execute(update(ReceivedCopy).where(ReceivedCopy.id.in_(replaced)).values(
                    deleted_at=copy.received_at, deleted_reason="replaced"))
            session.add(copy)
        return replaced

    def _audit(self, copy: ReceivedCopy, replaced: list[str], response: httpx.Response) -> None:
        if self.audit is None:
            return
        due_fr = due_en = ""
        if copy.delete_by is not None:
            when = copy.delete_by.strftime("%Y-%m-%d %H:%M:%S UTC")
            due_fr, due_en = f" ; à supprimer au plus tard le {when}", f"; to be deleted by {when}"
        territory = response.headers.get("x-jnt-territory")
        self.audit.append(
            DATA_RECEIVED, actor=copy.provider_did, agreement_id=copy.agreement_id, transfer_id=copy.transfer_id,
            dataset_id=copy.dataset_id, decision="none",
            explanation=(f"données reçues : {copy.size} octets, SHA-256 {copy.sha256}{due_fr}",
                         f"data received: {copy.size} bytes, SHA-256 {copy.sha256}{due_en}"),
            details={"copy": copy.id, "path": copy.path, "subPath": copy.sub_path, "bytes": copy.size,
                     "sha256": copy.sha256, "mediaType": copy.media_type, "attribution": copy.attribution,
                     "use": response.headers.get("x-jnt-use"),
                     "territory": unquote(territory) if territory else None,
                     "deleteBy": copy.delete_by.isoformat() if copy.delete_by else None, "replaces": replaced})

    # -- the copies -------------------------------------------------------------------------------------------------
    def copies(self, *, transfer_id: str | None = None, agreement_id: str | None = None, held: bool | None = None,
               offset: int = 0, limit: int = 50) -> tuple[list[ReceivedCopy], int]:
        """Received copies, newest first (`held`: only those still on disk, or only those deleted), and the total."""
        conditions = []
        if transfer_id is not None:
            conditions.append(ReceivedCopy.transfer_id == transfer_id)
        if agreement_id is not None:
            conditions.append(ReceivedCopy.agreement_id == agreement_id)
        if held is not None:
            conditions.append(ReceivedCopy.deleted_at.is_(None) if held else ReceivedCopy.deleted_at.is_not(None))
        with self._sessions() as session:
            total = int(session.scalar(select(func.count(ReceivedCopy.id)).where(*conditions)) or 0)
            rows = list(session.scalars(select(ReceivedCopy).where(*conditions).order_by(
                ReceivedCopy.received_at.desc(), ReceivedCopy.id).offset(offset).limit(limit)))
        return rows, total


def _discard(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:  # the parent is not a directory, or not ours: nothing was written there
        log.debug("cannot remove %s: %s", path, exc)


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    """A provider's problem body `{"error", "fr", "en"}` (read with a size cap), or {}."""
    try:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_PROBLEM_BYTES:
                return {}
        data = json.loads(body or b"{}")
    except (ValueError, httpx.HTTPError):
        return {}
    return data if isinstance(data, dict) else {}


def _refusal(response: httpx.Response, fr: str, en: str, problem: dict[str, Any] | None = None) -> FetchError:
    problem = problem if problem is not None else _problem_of(response)
    reason_fr, reason_en = problem.get("fr"), problem.get("en")
    code = problem.get("error")
    status = response.status_code
    return FetchError(502, "provider-refused",
                      f"{fr} (HTTP {status}{', ' + str(code) if code else ''})" + (f" : {reason_fr}" if reason_fr
                                                                                  else ""),
                      f"{en} (HTTP {status}{', ' + str(code) if code else ''})" + (f": {reason_en}" if reason_en
                                                                                 else ""),
                      detail={"status": status, "error": code, "fr": reason_fr, "en": reason_en})
