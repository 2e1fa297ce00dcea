"""The DSP 2025-1 HTTPS binding of one participant: catalog, negotiation and transfer endpoints, provider and
consumer sides (the callback address of this connector is its DSP base, so both sides share the paths), and the
unauthenticated ``/.well-known/dspace-version``.

Every request is authenticated (self-issued token verified by the identity layer; TCK modes aside). Process
endpoints answer 404 for an unknown pid *and* for a caller who is not the process's counterparty (nothing is
revealed). Bodies are JSON (415 for another declared media type), size-limited, parsed, brought to the canonical
compact form (expanded JSON-LD and other compactions are accepted) and validated against the DSP schemas before
anything is read from them; then the endpoint's own rules are checked (initial or follow-up form of a message, a
callback address that can be called, identifiers that fit in the store). A refusal is a 4xx with a
``ContractNegotiationError`` / ``TransferError`` / ``CatalogError`` body naming the field and the rule, and nothing
is written. A transition is committed before the acknowledgement is returned; the messages that follow
are sent by the dispatcher once the response has gone out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from catalog.dsp_catalog import (
    CatalogInfo,
    PagingError,
    catalog_error,
    link_header,
    page_of,
    paging_params,
    render_catalog,
)
from connector.dsp.schemas import DEFAULT_SIZE_LIMIT, MessageError
from connector.dsp.wire import validate_incoming
from connector.identity.auth import Authenticator
from connector.identity.errors import IdentityError
from connector.identity.tokens import VerifiedClaims
from connector.store.schema import Agreement, MessageSeen, Negotiation, Transfer

from .errors import ProtocolError
from .plane import ControlPlane
from .processes import ProcessProtocol

log = logging.getLogger("jnt.dsp")
JSONLD = "application/json"
VERSION = "2025-1"


class _TooLarge(Exception):
    pass


_JSON_MEDIA_TYPES = frozenset({"application/json", "application/ld+json"})


def _media_type_error(request: Request) -> ProtocolError | None:
    """A body declared as anything but JSON (``application/json``, ``application/ld+json``, ``application/*+json``)
    is refused with 415. A body without ``Content-Type`` is read as JSON."""
    declared = request.headers.get("content-type")
    if declared is None:
        return None
    media = declared.split(";", 1)[0].strip().lower()
    if media in _JSON_MEDIA_TYPES or (media.startswith("application/") and media.endswith("+json")):
        return None
    shown = declared[:80]
    return ProtocolError(415, "unsupported-media-type", [
        f"Content-Type « {shown} » non pris en charge : envoyer application/json",
        f"Content-Type '{shown}' is not supported: send application/json"])


# The pid a follow-up message carries instead of the initial message's callbackAddress (the schemas' oneOf), and
# the endpoints of each form.
_FOLLOW_UP_PID = {"ContractRequestMessage": ("providerPid", "/negotiations/request", "/negotiations/{pid}/request"),
                  "ContractOfferMessage": ("consumerPid", "/negotiations/offers", "/negotiations/{pid}/offers")}


def _length(column: Any) -> int:
    return column.type.length


# What a process endpoint stores from a message, and the room the store has for it (``connector.store.schema``).
_STORED_LENGTHS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("@id",), _length(MessageSeen.__table__.c.message_key)),
    (("providerPid",), _length(Negotiation.__table__.c.provider_pid)),
    (("consumerPid",), _length(Negotiation.__table__.c.consumer_pid)),
    (("callbackAddress",), _length(Negotiation.__table__.c.counterparty_address)),
    (("agreementId",), _length(Transfer.__table__.c.agreement_id)),
    (("format",), _length(Transfer.__table__.c.format)),
    (("offer", "target"), _length(Negotiation.__table__.c.dataset_id)),
    (("agreement", "@id"), _length(Agreement.__table__.c.id)),
    (("agreement", "target"), _length(Agreement.__table__.c.target)),
    (("agreement", "assignee"), _length(Agreement.__table__.c.consumer_did)),
)


def _check_received(doc: dict[str, Any], message: str, initial: bool) -> None:
    """What the schemas cannot say about a valid message at this endpoint: the initial or follow-up form the path
    requires, a callback address we can call back, identifiers that fit in the store."""
    form = _FOLLOW_UP_PID.get(message)
    if form is not None:
        pid, initial_path, follow_up_path = form
        if initial and pid in doc:
            raise ProtocolError(400, "invalid-message", [
                f"{pid} : interdit dans un {message} initial ; un message de suivi va à {follow_up_path}",
                f"{pid}: not allowed in an initial {message}; a follow-up message goes to {follow_up_path}"])
        if not initial and pid not in doc:
            raise ProtocolError(400, "invalid-message", [
                f"{pid} : requis dans un {message} de suivi ; un message initial (callbackAddress) va à "
                f"{initial_path}",
                f"{pid}: required in a follow-up {message}; an initial message (callbackAddress) goes to "
                f"{initial_path}"])
    for path, limit in _STORED_LENGTHS:
        value: Any = doc
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and len(value) > limit:
            where = ".".join(path)
            raise ProtocolError(400, "invalid-message", [f"{where} : {len(value)} caractères, au plus {limit}",
                                                         f"{where}: {len(value)} characters, at most {limit}"])
    address = doc.get("callbackAddress")
    if isinstance(address, str):
        try:
            parts = urlsplit(address)
            parts.port  # noqa: B018 - a malformed port raises ValueError
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            usable = False
        if not usable or any(c.isspace() for c in address):
            raise ProtocolError(400, "invalid-callback-address", [
                f"callbackAddress : « {address[:80]} » n'est pas une URL http(s) absolue",
                f"callbackAddress: '{address[:80]}' is not an absolute http(s) URL"])


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge(int(declared))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


def version_document(base_path: str) -> dict[str, Any]:
    return {"protocolVersions": [{"version": VERSION, "path": base_path, "binding": "HTTPS"}]}


def well_known_router(base_path: str) -> APIRouter:
    router = APIRouter()

    @router.get("/.well-known/dspace-version", tags=["DSP"], summary="Versions du protocole (DSP 2025-1)")
    def dspace_version() -> JSONResponse:
        return JSONResponse(version_document(base_path))

    return router


def dsp_router(plane: ControlPlane, authenticator: Authenticator, catalog_info: CatalogInfo, *,
               size_limit: int = DEFAULT_SIZE_LIMIT, default_per_page: int | None = None) -> APIRouter:
    router = APIRouter(tags=["DSP"])

    def claims_of(request: Request, *, hidden: bool, error: Callable[[ProtocolError], dict[str, Any]]
                  ) -> VerifiedClaims:
        try:
            return authenticator.authenticate(request.headers.get("authorization"))
        except IdentityError as exc:
            log.info("DSP request refused (%s): %s", exc.check, exc.en, extra={"path": request.url.path})
            if hidden:
                raise ProtocolError(404, "not-found", ["ressource inconnue", "unknown resource"]) from None
            raise ProtocolError(401, "unauthenticated", [exc.fr, exc.en]) from None

    def respond(protocol_error: ProtocolError, body_of: Callable[[ProtocolError], dict[str, Any]]) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if protocol_error.status == 401 else None
        return JSONResponse(body_of(protocol_error), status_code=protocol_error.status, headers=headers)

    def message_error(exc: MessageError, **pids: str | None) -> ProtocolError:
        status = 413 if exc.code == "too-large" else 400
        return ProtocolError(status, exc.code, exc.reasons, **pids)

    async def handle(request: Request, background: BackgroundTasks, protocol: ProcessProtocol, expected: str | None,
                     work: Callable[[VerifiedClaims, dict[str, Any]], Any], *, hidden: bool, created: bool = False
                     ) -> JSONResponse:
        try:
            try:
                raw = await _body(request, size_limit)
            except _TooLarge as exc:
                raise ProtocolError(413, "too-large", [f"corps de {exc.args[0]} octets, limite {size_limit}",
                                                       f"body of {exc.args[0]} bytes, limit {size_limit}"]) from None

            def run() -> Any:
                claims = claims_of(request, hidden=hidden, error=protocol.error_body)
                media_error = _media_type_error(request)
                if media_error is not None:
                    raise media_error
                try:
                    doc = validate_incoming(raw, expected, size_limit)
                except MessageError as exc:
                    raise message_error(exc) from None
                if expected is not None:
                    _check_received(doc, expected, initial=created)
                return work(claims, doc)

            process = await run_in_threadpool(run)
        except ProtocolError as exc:
            return respond(exc, protocol.error_body)
        background.add_task(plane.wake)  # after the response has gone out
        return JSONResponse(protocol.state_body(process), status_code=201 if created else 200)

    async def get_state(request: Request, protocol: ProcessProtocol, pid: str) -> JSONResponse:
        def run() -> Any:
            claims = claims_of(request, hidden=True, error=protocol.error_body)
            return protocol.find(pid, claims)

        try:
            process = await run_in_threadpool(run)
        except ProtocolError as exc:
            return respond(exc, protocol.error_body)
        return JSONResponse(protocol.state_body(process))

    negotiations, transfers = plane.negotiations, plane.transfers

    # -- catalog ----------------------------------------------------------------------------------------------------
    def catalog_claims(request: Request) -> VerifiedClaims | None:
        claims = claims_of(request, hidden=False, error=_catalog_body)
        return claims if claims.authenticated else None  # TCK modes: everything is visible

    @router.post("/catalog/request", summary="Catalogue (DSP CatalogRequestMessage)")
    async def catalog_request(request: Request) -> JSONResponse:
        try:
            try:
                raw = await _body(request, size_limit)
            except _TooLarge as exc:
                raise ProtocolError(413, "too-large", [f"body of {exc.args[0]} bytes, limit {size_limit}"]) from None

            def run() -> JSONResponse:
                claims = catalog_claims(request)
                media_error = _media_type_error(request)
                if media_error is not None:
                    raise media_error
                try:
                    doc = validate_incoming(raw, "CatalogRequestMessage", size_limit)
                except MessageError as exc:
                    raise message_error(exc) from None
                if doc.get("filter") not in (None, [], {}):
                    raise ProtocolError(400, "unsupported-filter", [
                        "le filtre de catalogue n'est pas pris en charge : demander le catalogue sans `filter`",
                        "catalog filters are not supported: request the catalog without `filter`"])
                ids = plane.datasets.visible_ids(claims)
                try:
                    page_request = paging_params(request.query_params, default_per_page=default_per_page)
                    page = page_of(page_request, len(ids))  # a page beyond the last one is refused too
                except PagingError as exc:
                    raise ProtocolError(400, exc.rule, [exc.message("fr"), exc.message("en")]) from None
                body = render_catalog(catalog_info, [])
                datasets = [plane.datasets.rendered(i, catalog_info.service) for i in ids[page.start:page.stop]]
                if datasets:
                    body["dataset"] = datasets
                return JSONResponse(body, headers={"Link": link_header(str(request.url), page)})

            return await run_in_threadpool(run)
        except ProtocolError as exc:
            return respond(exc, _catalog_body)

    @router.get("/catalog/datasets/{dataset_id:path}", summary="Jeu de données (DSP Dataset)")
    async def catalog_dataset(request: Request, dataset_id: str) -> JSONResponse:
        def run() -> JSONResponse:
            claims = catalog_claims(request)
            if dataset_id not in set(plane.datasets.visible_ids(claims)):
                raise ProtocolError(404, "not-found", [f"jeu de données inconnu : {dataset_id}",
                                                       f"unknown dataset: {dataset_id}"])
            body = {"@context": render_catalog(catalog_info, [])["@context"],
                    **plane.datasets.rendered(dataset_id, catalog_info.service)}
            return JSONResponse(body)

        try:
            return await run_in_threadpool(run)
        except ProtocolError as exc:
            return respond(exc, _catalog_body)

    # -- negotiations ---------------------------------------------------------------------------------------------
    @router.get("/negotiations/{pid}", summary="État d'une négociation")
    async def negotiation_state(request: Request, pid: str) -> JSONResponse:
        return await get_state(request, negotiations, pid)

    @router.post("/negotiations/request", status_code=201, summary="Demande de contrat initiale (fournisseur)")
    async def negotiation_request(request: Request, background: BackgroundTasks) -> JSONResponse:
        return await handle(request, background, negotiations, "ContractRequestMessage",
                            negotiations.receive_request, hidden=False, created=True)

    @router.post("/negotiations/offers", status_code=201, summary="Offre initiale du fournisseur (consommateur)")
    async def negotiation_initial_offer(request: Request, background: BackgroundTasks) -> JSONResponse:
        return await handle(request, background, negotiations, "ContractOfferMessage",
                            negotiations.receive_initial_offer, hidden=False, created=True)

    def negotiation_route(path: str, message: str, summary: str) -> None:
        async def endpoint(request: Request, background: BackgroundTasks, pid: str) -> JSONResponse:
            return await handle(request, background, negotiations, message,
                                lambda claims, doc: negotiations.receive_message(claims, pid, message, doc),
                                hidden=True)

        router.add_api_route(f"/negotiations/{{pid}}/{path}", endpoint, methods=["POST"], summary=summary,
                             name=f"negotiation_{path.replace('/', '_')}")

    negotiation_route("request", "ContractRequestMessage", "Contre-demande du consommateur")
    negotiation_route("offers", "ContractOfferMessage", "Offre du fournisseur")
    negotiation_route("events", "ContractNegotiationEventMessage", "Événement ACCEPTED / FINALIZED")
    negotiation_route("agreement/verification", "ContractAgreementVerificationMessage", "Vérification de l'accord")
    negotiation_route("agreement", "ContractAgreementMessage", "Accord du fournisseur")
    negotiation_route("termination", "ContractNegotiationTerminationMessage", "Fin de négociation")

    # -- transfers -------------------------------------------------------------------------------------------------
    @router.get("/transfers/{pid}", summary="État d'un transfert")
    async def transfer_state(request: Request, pid: str) -> JSONResponse:
        return await get_state(request, transfers, pid)

    @router.post("/transfers/request", status_code=201, summary="Demande de transfert (fournisseur)")
    async def transfer_request(request: Request, background: BackgroundTasks) -> JSONResponse:
        return await handle(request, background, transfers, "TransferRequestMessage", transfers.receive_request,
                            hidden=False, created=True)

    def transfer_route(path: str, message: str, summary: str) -> None:
        async def endpoint(request: Request, background: BackgroundTasks, pid: str) -> JSONResponse:
            return await handle(request, background, transfers, message,
                                lambda claims, doc: transfers.receive_message(claims, pid, message, doc),
                                hidden=True)

        router.add_api_route(f"/transfers/{{pid}}/{path}", endpoint, methods=["POST"], summary=summary,
                             name=f"transfer_{path}")

    transfer_route("start", "TransferStartMessage", "Démarrage / reprise du transfert")
    transfer_route("completion", "TransferCompletionMessage", "Fin normale du transfert")
    transfer_route("termination", "TransferTerminationMessage", "Arrêt du transfert")
    transfer_route("suspension", "TransferSuspensionMessage", "Suspension du transfert")

    return router


def _catalog_body(error: ProtocolError) -> dict[str, Any]:
    return catalog_error(error.code, error.reasons)


def dataset_path(dataset_id: str) -> str:
    return "/catalog/datasets/" + quote(dataset_id, safe="")
