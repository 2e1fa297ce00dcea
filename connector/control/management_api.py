"""The management API of a connector (mounted under `/management` when a management token is configured): what an
operator or the participant console does — publish datasets (a characterisation sheet or an ISO 19139 record, with
an ODRL offer written by hand or generated from the licence and access mode), read a provider's catalogue through
this participant's identity, start and follow negotiations, read agreements, start and steer transfers, pull a
transfer's data as consumer (and hand its EDR to an application), list the copies received, read and verify the
audit log, run an access plan of the federated catalogue (`plans_api`: negotiations, transfers and pulls for a
use case's géo-concepts, with progress).

Every route needs the management token (`Authorization: Bearer <token>` or `X-Api-Key: <token>`). Every refusal is
a JSON problem `{"error", "field", "fr", "en"}` naming the input at fault and the rule it breaks — input the schema
rejects is a 422, input the rules reject a 400, unknown ids a 404, a state that forbids the action a 409 — and a
refused call writes nothing. Calls that change a process wake the dispatcher, which sends the protocol messages."""

from __future__ import annotations

import dataclasses
import hmac
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
from fastapi import APIRouter, Body, Path, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.dsp_paging import parse_link_header
from catalog.iso19139 import IsoImportError, import_iso_bytes
from catalog.shacl import validate_sheet
from catalog.sheet import Sheet
from connector.audit import AuditError, record_json
from connector.data.consumer import FetchError, copy_json
from connector.data.duties import delete_by
from connector.data.errors import DataSourceError
from connector.data.geojson import parse_bbox
from connector.data.sources import parse_source
from connector.dsp.schemas import CONTEXT_URL
from connector.dsp.states import (
    InvalidTransition,
    NegotiationState,
    TransferIntent,
    TransferState,
    next_transfer_state,
)
from connector.identity.auth import DspAuth
from connector.store import ConcurrentUpdate
from connector.store.schema import Agreement, Negotiation, Transfer
from policies import Party, Policy, PolicyError, parse_policy, request_from_json
from policies.templates import LICENCES, Restrictions, offer_template

from .datasets import DatasetError, PublishedDataset
from .errors import ProtocolError
from .plane import ControlPlane
from .processes import INITIAL

log = logging.getLogger("jnt.management")

DEFAULT_FORMATS = ("HttpData-PULL",)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
CATALOG_TIMEOUT = 15.0
CATALOG_MAX_PAGES = 100
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_ATTEMPTS = 5  # compare-and-set retries when the dispatcher updates the same process

TAG_DATASETS = "Jeux de données"
TAG_CATALOG = "Catalogue d'un fournisseur"
TAG_NEGOTIATIONS = "Négociations"
TAG_AGREEMENTS = "Accords"
TAG_TRANSFERS = "Transferts"
TAG_RECEIVED = "Données reçues"
TAG_AUDIT = "Journal d'audit"


# --- problems ----------------------------------------------------------------------------------------------------


class FieldProblem(BaseModel):
    field: str | None = Field(None, description="Champ en cause (chemin dans la requête, ex. `template.licence`).")
    code: str = Field(description="Règle enfreinte (code stable).")
    fr: str = Field(description="Explication en français.")
    en: str = Field(description="Explication en anglais.")


class Problem(BaseModel):
    """Le corps de toute réponse d'erreur de l'API de gestion."""

    error: str = Field(description="Code stable de l'erreur : `invalid-input`, `not-found`, `unauthenticated`, "
                                   "`conflict`, `invalid-transition`…")
    field: str | None = Field(None, description="Champ de la requête en cause (ex. `sheet.nature.title`).")
    fr: str = Field(description="Ce qui ne va pas et quoi faire, en français.")
    en: str = Field(description="The same, in English.")
    problems: list[FieldProblem] | None = Field(None, description="Tous les problèmes quand il y en a plusieurs.")
    detail: dict[str, Any] | None = Field(None, description="Détails techniques (ex. réponse d'un fournisseur).")


class ApiProblem(Exception):
    """A refusal of the management API, rendered as a `Problem`."""

    def __init__(self, status: int, code: str, fr: str, en: str, *, field: str | None = None,
                 problems: list[FieldProblem] | None = None, detail: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.status, self.code, self.fr, self.en, self.field = status, code, fr, en, field
        self.problems, self.detail, self.headers = problems, detail, headers
        super().__init__(f"{status} {code}: {en}")

    def response(self) -> JSONResponse:
        body = Problem(error=self.code, field=self.field, fr=self.fr, en=self.en, problems=self.problems,
                       detail=self.detail)
        return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=self.status,
                            headers=self.headers)


def _invalid(field: str, fr: str, en: str, code: str = "invalid-input", status: int = 400) -> ApiProblem:
    return ApiProblem(status, code, f"{field} : {fr}", f"{field}: {en}", field=field)


def _not_found(what_fr: str, what_en: str, value: str, field: str) -> ApiProblem:
    return ApiProblem(404, "not-found", f"{what_fr} inconnu(e) : {value}", f"unknown {what_en}: {value}", field=field)


_PYDANTIC_FR = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu",
    "json_invalid": "JSON mal formé",
    "json_type": "JSON attendu",
    "model_type": "objet JSON attendu",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "string_type": "texte attendu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "bool_type": "booléen attendu (true / false)",
    "bool_parsing": "booléen attendu (true / false)",
    "greater_than": "valeur trop petite",
    "greater_than_equal": "valeur trop petite",
    "less_than": "valeur trop grande",
    "less_than_equal": "valeur trop grande",
    "literal_error": "valeur non permise",
    "enum": "valeur non permise",
    "datetime_parsing": "date-heure ISO 8601 attendue",
    "datetime_type": "date-heure ISO 8601 attendue",
    "datetime_from_date_parsing": "date-heure ISO 8601 attendue",
    "date_parsing": "date ISO 8601 attendue",
    "date_type": "date ISO 8601 attendue",
    "date_from_datetime_parsing": "date ISO 8601 attendue",
    "too_short": "trop peu d'éléments",
    "too_long": "trop d'éléments",
    "string_too_short": "texte trop court",
    "value_error": "valeur invalide",
}


def _loc_field(loc: tuple[Any, ...]) -> str:
    """`("body", "sheet", "nature", "title")` -> `sheet.nature.title`; `("query", "limit")` -> `limit`."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out or str(loc[0] if loc else "body")


def _validation_problem(exc: RequestValidationError) -> ApiProblem:
    problems = []
    for error in exc.errors():
        field = _loc_field(tuple(error.get("loc", ())))
        kind = str(error.get("type", "value_error"))
        english = str(error.get("msg", "invalid value"))
        limits = {k: v for k, v in (error.get("ctx") or {}).items() if k in ("ge", "gt", "le", "lt", "expected")}
        french = _PYDANTIC_FR.get(kind)
        if french is None:
            french = f"valeur invalide — {english}"
        elif kind == "value_error":
            french = f"{french} — {english}"
        if limits:
            french += " (" + ", ".join(f"{k} {v}" for k, v in limits.items()) + ")"
        problems.append(FieldProblem(field=field, code=kind, fr=f"{field} : {french}", en=f"{field}: {english}"))
    if not problems:
        problems.append(FieldProblem(field="body", code="invalid", fr="requête invalide", en="invalid request"))
    first = problems[0]
    return ApiProblem(422, "invalid-input", first.fr, first.en, field=first.field,
                      problems=problems if len(problems) > 1 else None)


def _protocol_problem(exc: ProtocolError) -> ApiProblem:
    fr = exc.reasons[0] if exc.reasons else exc.code
    en = exc.reasons[1] if len(exc.reasons) > 1 else fr
    field = {"unknown-agreement": "agreement_id", "agreement-not-finalized": "agreement_id",
             "unknown-offer": "offer", "invalid-data-address": "data_address",
             "feed-not-pushable": "format"}.get(exc.code)
    return ApiProblem(exc.status, exc.code, fr, en, field=field)


def _policy_problem(exc: PolicyError, field_of: Callable[[str], str]) -> ApiProblem:
    problems = [FieldProblem(field=field_of(p.path), code=p.code, fr=f"{field_of(p.path)} : {p.message_fr}",
                             en=f"{field_of(p.path)}: {p.message_en}") for p in exc.problems]
    first = problems[0]
    return ApiProblem(400, first.code, first.fr, first.en, field=first.field,
                      problems=problems if len(problems) > 1 else None)


class _ProblemRoute(APIRoute):
    """Every failure of a management route becomes a `Problem` (FastAPI's own 422 body would not say the rule in
    French, and an uncaught error would be a bare 500)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiProblem as exc:
                return exc.response()
            except RequestValidationError as exc:
                return _validation_problem(exc).response()
            except ProtocolError as exc:
                return _protocol_problem(exc).response()
            except FetchError as exc:
                return ApiProblem(exc.status, exc.code, exc.fr, exc.en, field=exc.field,
                                  detail=exc.detail).response()
            except DatasetError as exc:
                code = "conflict" if exc.status == 409 else "invalid-dataset"
                return ApiProblem(exc.status, code, f"{exc.field} : {exc.fr}", f"{exc.field}: {exc.en}",
                                  field=exc.field).response()
            except Exception:
                log.exception("management API: unexpected error on %s %s", request.method, request.url.path)
                return ApiProblem(500, "internal-error", "erreur interne du connecteur (voir son journal)",
                                  "internal connector error (see its log)").response()

        return guarded


# --- request and response models ---------------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RestrictionsIn(_In):
    categories: list[str] = Field(default_factory=list,
                                  description="Catégories de destinataires admises : `public`, `private`.")
    recipients: list[str] = Field(default_factory=list, description="DID des destinataires nommés.")
    purposes: list[str] = Field(default_factory=list,
                                description="Finalités admises (ex. `flood-risk-simulation`, ou leur IRI).")
    valid_from: datetime | None = Field(None, description="Début de validité (ISO 8601).")
    valid_until: datetime | None = Field(None, description="Fin de validité (ISO 8601).")
    duration: str | None = Field(None, description="Durée d'usage depuis l'accord (xsd:duration, ex. `P6M`).")
    max_count: int | None = Field(None, description="Nombre maximal d'utilisations (au moins 1).")
    territories: list[str] = Field(default_factory=list,
                                   description="Territoires admis : code INSEE, département, SIREN d'EPCI.")
    actions: list[str] = Field(default_factory=lambda: ["use"],
                               description="Actions permises (par défaut `use` ; ex. `aggregate`).")
    no_distribute: bool = Field(False, description="Interdire la rediffusion.")
    delete_at_end: bool = Field(False, description="Devoir de supprimer les données à la fin de validité.")


class TemplateIn(_In):
    licence: str | None = Field(None, description="Licence (C5) : " + ", ".join(LICENCES) +
                                " ou son IRI ; par défaut celle de la fiche.")
    access: str | None = Field(None, description="Modalité d'accès (C7) : `public`, `restricted`, `non-public` "
                                                 "ou son IRI ; par défaut celle de la fiche.")
    restrictions: RestrictionsIn | None = Field(None, description="Conditions de l'offre restreinte.")


class OfferSource(_In):
    policy: dict[str, Any] | None = Field(
        None, description="Offre ODRL en JSON-LD (contexte DSP ou ODRL). Identifiant par défaut : "
                          "`<id du jeu>#offer` ; assigner : le DID de ce connecteur.")
    template: TemplateIn | None = Field(
        None, description="Offre générée depuis la licence et la modalité d'accès ; à défaut de `policy` et de "
                          "`template`, celles de la fiche sont utilisées.")
    offer_id: str | None = Field(None, description="Identifiant de l'offre (sinon `<id du jeu>#offer`).")


class PublishRequest(OfferSource):
    sheet: Sheet | None = Field(None, description="Fiche de caractérisation (10 critères) ; `id` et "
                                                  "`nature.title` sont obligatoires.")
    iso19139: str | None = Field(None, description="Ou : fiche de métadonnées ISO 19139 (texte XML) à importer.")
    formats: list[str] = Field(default_factory=lambda: list(DEFAULT_FORMATS),
                               description="Formats de transfert DSP proposés (ex. `HttpData-PULL`).")
    data_source: dict[str, Any] | None = Field(
        None, description="D'où viennent les données, pour le plan de données (ex. "
                          "`{\"type\": \"file\", \"path\": \"...\"}`).")
    replace: bool = Field(False, description="Remplacer un jeu de données déjà publié sous cet identifiant.")


class CompletenessView(BaseModel):
    score: float = Field(description="Complétude de 0 à 1 (les champs obligatoires comptent double).")
    complete: bool = Field(description="Tous les champs obligatoires sont remplis.")
    mandatory_filled: int
    mandatory_total: int
    missing_mandatory: list[str] = Field(description="Champs obligatoires vides (ex. `licence.licence`).")


class DatasetSummary(BaseModel):
    id: str = Field(description="Identifiant (IRI) du jeu de données.")
    title: str | None = Field(description="Titre (C1).")
    offers: list[str] = Field(description="Identifiants des offres.")
    formats: list[str] = Field(description="Formats de transfert proposés.")
    data_source: dict[str, Any] | None = Field(None, description="Source des données pour le plan de données.")
    completeness: CompletenessView


class PublicationWarning(BaseModel):
    source: Literal["shacl", "iso19139"] = Field(description="Validation SHACL de la fiche, ou import ISO 19139.")
    severity: str = Field(description="`violation`, `warning` ou `info` (SHACL) ; `notice` (import).")
    field: str | None = Field(None, description="Champ de la fiche concerné.")
    criterion: str | None = Field(None, description="Critère (ex. `C5 Licence`).")
    code: str | None = Field(None, description="Code du constat (import ISO 19139).")
    fr: str
    en: str


class PublishedView(DatasetSummary):
    warnings: list[PublicationWarning] = Field(
        description="Constats qui n'empêchent pas la publication (validation SHACL, import ISO 19139).")


class OfferView(BaseModel):
    dataset_id: str = Field(description="Jeu de données de l'offre.")
    offer_id: str = Field(description="Identifiant de l'offre.")
    policy: dict[str, Any] = Field(description="L'offre ODRL (JSON-LD compact DSP, sans `target`).")


class DatasetDetail(DatasetSummary):
    sheet: Sheet = Field(description="La fiche de caractérisation.")
    policies: list[OfferView] = Field(description="Les offres ODRL.")


class _Page(BaseModel):
    offset: int = Field(description="Position du premier élément.")
    limit: int = Field(description="Taille de page demandée.")
    total: int = Field(description="Nombre total d'éléments.")
    next: str | None = Field(None, description="Adresse de la page suivante, s'il y en a une.")


class DatasetPage(_Page):
    items: list[DatasetSummary]


class OfferPage(_Page):
    items: list[OfferView]


class NegotiationStart(_In):
    provider_address: str = Field(description="Adresse DSP du fournisseur (ex. `https://…/api/dsp/2025-1`).")
    provider_did: str = Field(description="DID du fournisseur (`participantId` de son catalogue).")
    dataset_id: str = Field(description="Jeu de données demandé.")
    offer: dict[str, Any] = Field(description="L'offre telle que publiée dans le catalogue du fournisseur.")
    purpose: str | None = Field(None, description="Finalité déclarée (ex. `flood-risk-simulation`).")
    territory: str | None = Field(None, description="Territoire d'usage déclaré (code INSEE…).")


class NegotiationView(BaseModel):
    id: str = Field(description="Identifiant interne du processus (pour cette API).")
    role: str = Field(description="Notre rôle : `consumer` ou `provider`.")
    state: str = Field(description="État DSP (`INITIAL` tant que le premier message n'est pas acquitté).")
    intent: str | None = Field(description="Message en cours d'envoi (ex. `REQUESTING`), sinon null.")
    provider_pid: str | None
    consumer_pid: str | None
    counterparty_did: str = Field(description="DID de l'autre partie.")
    counterparty_address: str | None = Field(description="Adresse DSP de l'autre partie.")
    dataset_id: str | None
    offer_id: str | None
    agreement_id: str | None = Field(description="Accord conclu, une fois la négociation aboutie.")
    error_detail: str | None = Field(description="Dernière erreur d'envoi ou motif de fin reçu.")
    reason: list[str] | None = Field(None, description="Motifs de la fin (refus expliqué, arrêt).")
    decision: dict[str, Any] | None = Field(None, description="Décision du fournisseur : issue et explication.")
    purpose: str | None = None
    territory: str | None = None
    retry_count: int
    created_at: datetime
    updated_at: datetime


class NegotiationPage(_Page):
    items: list[NegotiationView]


class Termination(_In):
    reason: str | None = Field(None, description="Motif transmis à l'autre partie.")


class AgreementView(BaseModel):
    id: str
    negotiation_id: str = Field(description="Négociation (identifiant interne) qui a produit l'accord.")
    role: str = Field(description="Notre rôle : `provider` ou `consumer`.")
    provider_did: str
    consumer_did: str
    target: str = Field(description="Jeu de données visé.")
    timestamp: datetime


class AgreementDetail(AgreementView):
    policy: dict[str, Any] = Field(description="L'accord ODRL (JSON-LD compact DSP).")
    signed_jws: str | None = Field(description="Signature JWS du fournisseur sur l'accord.")
    delete_by: datetime | None = Field(None, description="Date à laquelle l'accord impose de supprimer les données "
                                                         "reçues (devoir `delete` borné dans le temps), sinon null.")


class AgreementPage(_Page):
    items: list[AgreementView]


class TransferStart(_In):
    agreement_id: str = Field(description="Accord (finalisé) sous lequel le transfert est demandé.")
    format: str = Field("HttpData-PULL", description="Format de transfert DSP.")
    data_address: dict[str, Any] | None = Field(None, description="Adresse de livraison (formats PUSH).")


class TransferView(BaseModel):
    id: str = Field(description="Identifiant interne du processus (pour cette API).")
    role: str
    state: str
    intent: str | None
    provider_pid: str | None
    consumer_pid: str | None
    counterparty_did: str
    counterparty_address: str | None
    agreement_id: str
    format: str | None
    data_address: dict[str, Any] | None = Field(description="Adresse des données (point d'accès, jeton EDR).")
    error_detail: str | None
    retry_count: int
    created_at: datetime
    updated_at: datetime


class TransferPage(_Page):
    items: list[TransferView]


class FetchRequest(_In):
    path: str | None = Field(None, description="Fichier à lire dans une source de type dossier (ex. "
                                               "`2024/mesures.csv`).")
    bbox: str | list[float] | None = Field(None, description="Emprise `minx,miny,maxx,maxy` (CRS84, ou 4 nombres) "
                                                             "pour des données vectorielles.")
    out: str | None = Field(None, description="Destination dans le répertoire des données reçues : relative à lui, "
                                              "ou absolue à l'intérieur ; un `/` final désigne un dossier. Par défaut "
                                              "`<données reçues>/<id du transfert>/<nom donné par le fournisseur>`.")


class ReceivedView(BaseModel):
    id: str = Field(description="Identifiant de la copie reçue.")
    transfer_id: str = Field(description="Transfert (identifiant interne) sous lequel elle a été reçue.")
    agreement_id: str
    dataset_id: str | None
    provider_did: str | None
    path: str = Field(description="Fichier écrit, sur la machine du connecteur.")
    sub_path: str | None = Field(None, description="Fichier demandé dans une source de type dossier.")
    media_type: str | None
    size: int = Field(description="Taille en octets.")
    sha256: str = Field(description="Empreinte SHA-256 du contenu (hexadécimal).")
    attribution: str | None = Field(None, description="Mention d'attribution rendue par le fournisseur "
                                                      "(`X-JNT-Attribution`), à reproduire.")
    received_at: datetime
    delete_by: datetime | None = Field(None, description="Date à laquelle l'accord impose de supprimer la copie "
                                                         "(le connecteur la supprime alors).")
    deleted_at: datetime | None = None
    deleted_reason: str | None = Field(None, description="`delete-by` (devoir de suppression), `replaced` "
                                                         "(écrasée par une nouvelle réception), `discarded`.")


class ReceivedPage(_Page):
    items: list[ReceivedView]


class EdrView(BaseModel):
    transfer_id: str
    agreement_id: str
    provider_did: str
    endpoint: str = Field(description="Point d'accès aux données du fournisseur.")
    authorization: str | None = Field(description="Jeton d'accès (`Authorization: Bearer <jeton>`).")
    auth_type: str = "bearer"
    expires_in: int | None = Field(None, description="Durée de validité annoncée du jeton (secondes).")
    expires_at: datetime | None = Field(None, description="Expiration du jeton (lue dans le jeton).")
    refresh_endpoint: str | None = None
    refresh_token: str | None = Field(None, description="Jeton de rafraîchissement ; l'application devrait plutôt "
                                                        "redemander l'EDR ici, qui le rafraîchit au besoin.")


class AuditPage(_Page):
    items: list[dict[str, Any]] = Field(description="Enregistrements, du plus récent au plus ancien : `seq`, `at`, "
                                                    "`event`, `actor`, `agreementId`, `transferId`, `datasetId`, "
                                                    "`decision`, `explanation`, `details`, `hash`, `signature`…")


# --- helpers -----------------------------------------------------------------------------------------------------

P = TypeVar("P", Negotiation, Transfer)


def _page_next(request: Request, offset: int, limit: int, total: int) -> str | None:
    if offset + limit >= total:
        return None
    return str(request.url.include_query_params(offset=offset + limit, limit=limit))


def _ref(value: Any) -> Any:
    return value.get("@id") if isinstance(value, Mapping) else value


def _check_url(value: str, field: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _invalid(field, f"adresse http(s) attendue, reçu « {value} »",
                       f"an http(s) address is expected, got '{value}'")
    return value.strip().rstrip("/")


def _check_participant(value: str, field: str) -> str:
    # A DSP participant id is an IRI (a did:web DID in the JNT data space, `urn:jnt:tck` in the TCK modes).
    if not _IRI.match(value):
        raise _invalid(field, f"identifiant de participant attendu (DID, ex. did:web:…), reçu « {value} »",
                       f"a participant id (a DID, e.g. did:web:…) is expected, got '{value}'")
    return value


def _completeness(sheet: Sheet) -> CompletenessView:
    report = sheet.completeness()
    return CompletenessView(score=round(report.score, 3), complete=report.complete,
                            mandatory_filled=report.mandatory_filled, mandatory_total=report.mandatory_total,
                            missing_mandatory=[f.path for f in report.missing_mandatory()])


def _summary(dataset: PublishedDataset) -> dict[str, Any]:
    return {"id": dataset.id, "title": dataset.sheet.nature.title, "offers": list(dataset.offers),
            "formats": list(dataset.formats), "data_source": dataset.data_source,
            "completeness": _completeness(dataset.sheet)}


def _negotiation_view(process: Negotiation) -> NegotiationView:
    context = process.context or {}
    reason = context.get("reason")
    return NegotiationView(
        id=process.id, role=process.role, state=process.state, intent=process.intent,
        provider_pid=process.provider_pid, consumer_pid=process.consumer_pid,
        counterparty_did=process.counterparty_did, counterparty_address=process.counterparty_address,
        dataset_id=process.dataset_id, offer_id=_ref((process.offer or {}).get("@id")),
        agreement_id=process.agreement_id, error_detail=process.error_detail,
        reason=[str(r) for r in reason] if isinstance(reason, list) else ([str(reason)] if reason else None),
        decision=context.get("decision"), purpose=context.get("purpose"), territory=context.get("territory"),
        retry_count=process.retry_count or 0, created_at=process.created_at, updated_at=process.updated_at)


def _transfer_view(process: Transfer) -> TransferView:
    return TransferView(
        id=process.id, role=process.role, state=process.state, intent=process.intent,
        provider_pid=process.provider_pid, consumer_pid=process.consumer_pid,
        counterparty_did=process.counterparty_did, counterparty_address=process.counterparty_address,
        agreement_id=process.agreement_id, format=process.format, data_address=process.data_address,
        error_detail=process.error_detail, retry_count=process.retry_count or 0, created_at=process.created_at,
        updated_at=process.updated_at)


def _check_formats(formats: list[str]) -> list[str]:
    seen: list[str] = []
    for i, fmt in enumerate(formats):
        if not fmt.strip():
            raise _invalid(f"formats[{i}]", "format vide", "empty format")
        if fmt in seen:
            raise _invalid(f"formats[{i}]", f"format en double : {fmt}", f"duplicate format: {fmt}")
        seen.append(fmt)
    if not seen:
        raise _invalid("formats", "au moins un format de transfert (ex. HttpData-PULL) est nécessaire",
                       "at least one transfer format (e.g. HttpData-PULL) is needed")
    return seen


def _check_actions(policy: Policy, field: str) -> None:
    """Every rule names its action (ODRL 2.2 §2.3). The parser reads a rule given as a bare string as a reference
    to a rule node, without action: such an offer could never be evaluated, so it is refused here."""
    for kind, rules in (("permission", policy.permissions), ("prohibition", policy.prohibitions),
                        ("obligation", policy.obligations)):
        for i, rule in enumerate(rules):
            if not rule.actions:
                where = f"{field}.{kind}[{i}].action"
                raise _invalid(where, "chaque règle nomme son action (ex. « use »)",
                               "every rule names its action (e.g. 'use')")


def _template_field(path: str) -> str:
    if not path:
        return "template"
    return f"template.{path}" if path in ("licence", "access") else f"template.restrictions.{path}"


def _policy_field(path: str) -> str:
    return f"policy.{path}" if path else "policy"


# --- authentication ----------------------------------------------------------------------------------------------

# The two ways of presenting the token, as OpenAPI security schemes (either one is enough).
BEARER = HTTPBearer(auto_error=False, scheme_name="jeton-de-gestion",
                    description="Jeton de gestion du connecteur : `Authorization: Bearer <jeton>`.")
API_KEY = APIKeyHeader(name="X-Api-Key", auto_error=False, scheme_name="cle-de-gestion",
                       description="Ou le même jeton dans l'en-tête `X-Api-Key`.")


# --- the router --------------------------------------------------------------------------------------------------


def management_router(plane: ControlPlane, management_token: str) -> APIRouter:
    """The management API of `plane`, guarded by `management_token`."""
    expected = management_token.encode("utf-8")

    def authorise(credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
                  api_key: Annotated[str | None, Security(API_KEY)]) -> None:
        presented = [v for v in (credentials.credentials if credentials else None, api_key) if v]
        headers = {"WWW-Authenticate": "Bearer"}
        if not presented:
            raise ApiProblem(401, "unauthenticated",
                             "jeton de gestion absent : en-tête « Authorization: Bearer <jeton> » ou « X-Api-Key »",
                             "management token missing: send 'Authorization: Bearer <token>' or 'X-Api-Key'",
                             field="Authorization", headers=headers)
        # Every presented value is compared (constant time), so timing does not tell which header was wrong.
        matches = [hmac.compare_digest(value.encode("utf-8"), expected) for value in presented]
        if not expected or not any(matches):
            raise ApiProblem(401, "unauthenticated", "jeton de gestion incorrect", "wrong management token",
                             field="Authorization", headers=headers)

    errors: dict[int | str, dict[str, Any]] = {
        401: {"model": Problem, "description": "Jeton de gestion absent ou incorrect."},
        422: {"model": Problem, "description": "Requête non conforme au schéma : le champ et la règle sont nommés."},
    }
    router = APIRouter(route_class=_ProblemRoute, dependencies=[Security(authorise)], responses=errors)
    bad = {400: {"model": Problem, "description": "Entrée refusée : le champ et la règle sont nommés."}}
    missing = {404: {"model": Problem, "description": "Identifiant inconnu."}}
    conflict = {409: {"model": Problem, "description": "L'état actuel ne permet pas cette action."}}
    store, registry = plane.store, plane.datasets

    # -- datasets -------------------------------------------------------------------------------------------------

    def offer_from(source: OfferSource, sheet: Sheet, default_id: str) -> tuple[Policy, str]:
        """The offer of a publication (and the request field it comes from, for errors)."""
        if source.policy is not None and source.template is not None:
            raise _invalid("policy", "donner soit `policy` (offre ODRL) soit `template`, pas les deux",
                           "give either `policy` (an ODRL offer) or `template`, not both")
        offer_id = source.offer_id or default_id
        if source.policy is not None:
            return policy_offer(source.policy, offer_id, source.offer_id is not None), "policy"
        return template_offer(source.template or TemplateIn(), sheet, offer_id), "template"

    def policy_offer(doc: dict[str, Any], offer_id: str, forced: bool) -> Policy:
        doc = dict(doc)
        if forced or not (doc.get("@id") or doc.get("uid")):
            doc.pop("uid", None)
            doc["@id"] = offer_id
        doc.setdefault("@context", [CONTEXT_URL])
        try:
            policy = parse_policy(doc)
        except PolicyError as exc:
            raise _policy_problem(exc, _policy_field) from None
        _check_actions(policy, "policy")
        assigners = {party.iri for party in policy.assigners}
        if assigners and assigners != {plane.did}:
            raise _invalid("policy.assigner", f"l'assigner d'une offre de ce connecteur est son DID ({plane.did})",
                           f"the assigner of this connector's offers is its DID ({plane.did})")
        return dataclasses.replace(policy, assigners=(Party(plane.did),), targets=())

    def template_offer(template: TemplateIn, sheet: Sheet, offer_id: str) -> Policy:
        licence_key = template.licence or sheet.licence.licence
        access = template.access or sheet.access.access_rights
        if not licence_key:
            raise _invalid("template.licence", "licence nécessaire : la donner ici, ou remplir la licence (C5) de la "
                           "fiche, ou donner une offre ODRL (`policy`)",
                           "a licence is needed: give it here, fill the sheet's licence (C5), or give an ODRL offer "
                           "(`policy`)")
        if not access:
            raise _invalid("template.access", "modalité d'accès nécessaire : la donner ici ou remplir l'accès (C7) "
                           "de la fiche", "an access mode is needed: give it here or fill the sheet's access (C7)")
        r = template.restrictions or RestrictionsIn()
        restrictions = Restrictions(
            categories=r.categories, recipients=r.recipients, purposes=r.purposes, valid_from=r.valid_from,
            valid_until=r.valid_until, duration=r.duration, max_count=r.max_count, territories=r.territories,
            actions=r.actions or ["use"], no_distribute=r.no_distribute, delete_at_end=r.delete_at_end)
        try:
            return offer_template(licence_key, access, restrictions, uid=offer_id, assigner=plane.did)
        except PolicyError as exc:
            raise _policy_problem(exc, _template_field) from None

    def sheet_from(body: PublishRequest) -> tuple[Sheet, list[PublicationWarning]]:
        if body.sheet is not None and body.iso19139 is not None:
            raise _invalid("sheet", "donner soit `sheet` soit `iso19139`, pas les deux",
                           "give either `sheet` or `iso19139`, not both")
        if body.iso19139 is not None:
            # Bytes only: a string that looks like a path or a URL must never be opened or fetched from here.
            try:
                result = import_iso_bytes(body.iso19139.encode("utf-8"))
            except IsoImportError as exc:
                raise ApiProblem(400, exc.code, f"iso19139 : {exc.fr}", f"iso19139: {exc.en}",
                                 field="iso19139") from None
            notices = [PublicationWarning(source="iso19139", severity="notice", field=None, code=n.code,
                                          fr=n.fr, en=n.en) for n in result.warnings]
            return result.sheet, notices
        if body.sheet is None:
            raise _invalid("sheet", "fiche manquante : donner `sheet` (fiche JSON) ou `iso19139` (XML)",
                           "sheet missing: give `sheet` (JSON sheet) or `iso19139` (XML record)")
        return body.sheet, []

    def check_sheet(sheet: Sheet) -> None:
        if not sheet.id.strip():
            raise _invalid("sheet.id", "identifiant (IRI) du jeu de données obligatoire",
                           "the dataset identifier (IRI) is required")
        if not (sheet.nature.title or "").strip():
            raise _invalid("sheet.nature.title", "titre obligatoire (C1 Nature)", "a title is required (C1 Nature)")

    def shacl_warnings(sheet: Sheet) -> list[PublicationWarning]:
        report = validate_sheet(sheet, plane.lang)
        return [PublicationWarning(source="shacl", severity=p.severity, field=p.field or None,
                                   criterion=p.criterion or None, fr=p.messages.get("fr", p.message),
                                   en=p.messages.get("en", p.message)) for p in report.problems]

    def store_dataset(sheet: Sheet, offers: list[Any], formats: list[str], data_source: dict[str, Any] | None,
                      replace: bool, offer_field: str) -> PublishedDataset:
        try:
            return registry.publish(sheet, offers, formats=formats, data_source=data_source, replace=replace)
        except DatasetError as exc:
            field = offer_field if exc.field.startswith("offer") else exc.field
            code = "conflict" if exc.status == 409 else "invalid-dataset"
            raise ApiProblem(exc.status, code, f"{field} : {exc.fr}", f"{field}: {exc.en}", field=field) from None

    def check_source(data_source: dict[str, Any] | None) -> None:
        """A declared data source must be readable by the data plane: checked in full (members, paths inside the
        sources directory, URL schemes, SQL) before anything is stored."""
        if data_source is None or plane.sources_dir is None:
            return
        try:
            parse_source(data_source, base_dir=plane.sources_dir)
        except DataSourceError as exc:
            raise ApiProblem(400, exc.code, f"{exc.field} : {exc.fr}", f"{exc.field}: {exc.en}",
                             field=exc.field) from None

    def dataset_or_404(dataset_id: str) -> PublishedDataset:
        dataset = registry.get(dataset_id)
        if dataset is None:
            raise _not_found("jeu de données", "dataset", dataset_id, "dataset_id")
        return dataset

    @router.post("/datasets", status_code=201, response_model=PublishedView, tags=[TAG_DATASETS],
                 summary="Publier un jeu de données", responses={**bad, **conflict},
                 description="Publie un jeu de données décrit par une fiche de caractérisation (JSON) ou une fiche "
                             "ISO 19139 (XML) à importer, avec une offre ODRL écrite (`policy`) ou générée depuis la "
                             "licence et la modalité d'accès (`template`). La fiche est validée (SHACL : DCAT-AP 3 "
                             "et formes JNT) ; les constats sont rendus en avertissements et n'empêchent pas la "
                             "publication, mais l'identifiant et le titre sont obligatoires. La source de données "
                             "(`data_source`) est vérifiée : une erreur nomme le membre en cause "
                             "(`data_source.path`…). Tout ou rien : une publication refusée n'écrit rien.")
    def publish_dataset(body: PublishRequest) -> dict[str, Any]:
        sheet, warnings = sheet_from(body)
        check_sheet(sheet)
        formats = _check_formats(body.formats)
        offer, offer_field = offer_from(body, sheet, f"{sheet.id}#offer")
        check_source(body.data_source)
        warnings = shacl_warnings(sheet) + warnings
        dataset = store_dataset(sheet, [offer], formats, body.data_source, body.replace, offer_field)
        return {**_summary(dataset), "warnings": warnings}

    @router.get("/datasets", response_model=DatasetPage, tags=[TAG_DATASETS], summary="Lister les jeux publiés",
                description="Les jeux de données publiés par ce connecteur, dans l'ordre de publication, par pages.")
    def list_datasets(request: Request, offset: int = Query(0, ge=0, description="Position du premier élément."),
                      limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Taille de page.")
                      ) -> dict[str, Any]:
        datasets = registry.all()
        return {"items": [_summary(d) for d in datasets[offset:offset + limit]], "offset": offset, "limit": limit,
                "total": len(datasets), "next": _page_next(request, offset, limit, len(datasets))}

    @router.get("/datasets/{dataset_id:path}", response_model=DatasetDetail, tags=[TAG_DATASETS],
                summary="Lire un jeu publié", responses=missing,
                description="La fiche, les offres ODRL, les formats et la complétude d'un jeu de données publié "
                            "(identifiant encodé dans l'URL).")
    def get_dataset(dataset_id: str = Path(description="Identifiant (IRI) du jeu de données.")) -> dict[str, Any]:
        dataset = dataset_or_404(dataset_id)
        return {**_summary(dataset), "sheet": dataset.sheet,
                "policies": [{"dataset_id": dataset.id, "offer_id": k, "policy": v} for k, v in dataset.offers.items()]}

    @router.delete("/datasets/{dataset_id:path}", status_code=204, tags=[TAG_DATASETS], responses=missing,
                   summary="Retirer un jeu publié", response_class=Response,
                   description="Retire le jeu de données et ses offres du catalogue. Les accords déjà conclus "
                               "restent enregistrés.")
    def delete_dataset(dataset_id: str = Path(description="Identifiant (IRI) du jeu de données.")) -> Response:
        if not registry.remove(dataset_id):
            raise _not_found("jeu de données", "dataset", dataset_id, "dataset_id")
        return Response(status_code=204)

    @router.post("/datasets/{dataset_id:path}/offers", status_code=201, response_model=DatasetSummary,
                 tags=[TAG_DATASETS], summary="Ajouter une offre à un jeu publié",
                 responses={**bad, **missing, **conflict},
                 description="Ajoute une offre (ODRL écrite ou générée) à un jeu de données déjà publié ; ses offres "
                             "existantes sont conservées. Identifiant par défaut : `<id du jeu>#offer-<n>`.")
    def add_offer(body: OfferSource, dataset_id: str = Path(description="Identifiant (IRI) du jeu de données.")
                  ) -> dict[str, Any]:
        dataset = dataset_or_404(dataset_id)
        n = len(dataset.offers) + 1
        while f"{dataset.id}#offer-{n}" in dataset.offers:
            n += 1
        offer, offer_field = offer_from(body, dataset.sheet, f"{dataset.id}#offer-{n}")
        if offer.uid in dataset.offers:
            field = "offer_id" if body.offer_id else offer_field
            raise _invalid(field, f"ce jeu a déjà une offre {offer.uid}", f"this dataset already has an offer "
                           f"{offer.uid}", code="conflict", status=409)
        updated = store_dataset(dataset.sheet, [*dataset.offers.values(), offer], list(dataset.formats),
                                dataset.data_source, True, offer_field)
        return _summary(updated)

    @router.get("/offers", response_model=OfferPage, tags=[TAG_DATASETS], summary="Lister les offres publiées",
                description="Toutes les offres ODRL publiées, avec leur jeu de données, par pages.")
    def list_offers(request: Request, offset: int = Query(0, ge=0, description="Position du premier élément."),
                    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Taille de page.")
                    ) -> dict[str, Any]:
        offers = [{"dataset_id": d.id, "offer_id": k, "policy": v} for d in registry.all() for k, v in d.offers.items()]
        return {"items": offers[offset:offset + limit], "offset": offset, "limit": limit, "total": len(offers),
                "next": _page_next(request, offset, limit, len(offers))}

    # -- a provider's catalogue -------------------------------------------------------------------------------------

    @router.get("/catalog", response_model=dict[str, Any], tags=[TAG_CATALOG],
                summary="Lire le catalogue DSP d'un fournisseur",
                responses={**bad, 502: {"model": Problem, "description": "Fournisseur injoignable ou refus."}},
                description="Demande le catalogue DSP d'un fournisseur avec l'identité de ce participant (jeton "
                            "auto-émis pour le DID du fournisseur) et le renvoie tel quel, toutes pages réunies : "
                            "le catalogue ne montre que ce que la politique du fournisseur nous permet de voir.")
    def fetch_catalog(address: str = Query(description="Adresse DSP du fournisseur (ex. `https://…/api/dsp/2025-1`)."),
                      did: str = Query(description="DID du fournisseur (audience du jeton).")) -> dict[str, Any]:
        base = _check_url(address, "address")
        _check_participant(did, "did")
        auth = DspAuth(plane.token_issuer, did) if plane.token_issuer is not None else None
        url = base + "/catalog/request"
        merged: dict[str, Any] | None = None
        with httpx.Client(auth=auth, timeout=CATALOG_TIMEOUT) as http:
            for _ in range(CATALOG_MAX_PAGES):
                try:
                    answer = http.post(url, json={"@context": [CONTEXT_URL], "@type": "CatalogRequestMessage"})
                except httpx.HTTPError as exc:
                    raise ApiProblem(502, "provider-unreachable", f"fournisseur injoignable ({url}) : {exc}",
                                     f"provider unreachable ({url}): {exc}", field="address") from None
                try:
                    body = answer.json()
                except ValueError:
                    body = None
                if answer.status_code != 200:
                    raise ApiProblem(502, "catalog-refused",
                                     f"le fournisseur a répondu HTTP {answer.status_code} à la demande de catalogue",
                                     f"the provider answered HTTP {answer.status_code} to the catalogue request",
                                     field="address", detail={"status": answer.status_code, "body": body})
                if not isinstance(body, dict):
                    raise ApiProblem(502, "catalog-unreadable", "la réponse du fournisseur n'est pas un objet JSON",
                                     "the provider's answer is not a JSON object", field="address")
                if merged is None:
                    merged = body
                else:
                    more = body.get("dataset") or []
                    have = merged.get("dataset") or []
                    merged["dataset"] = ([have] if isinstance(have, dict) else list(have)) + (
                        [more] if isinstance(more, dict) else list(more))
                following = parse_link_header(answer.headers.get_list("link")).get("next")
                if not following:
                    break
                url = urljoin(url, following)
        assert merged is not None
        return merged

    # -- negotiations -----------------------------------------------------------------------------------------------

    def negotiation_or_404(negotiation_id: str) -> Negotiation:
        process = store.get("negotiation", negotiation_id)
        if process is None:
            raise _not_found("négociation", "negotiation", negotiation_id, "negotiation_id")
        return process  # type: ignore[return-value]

    def check_offer(offer: dict[str, Any], dataset_id: str) -> None:
        if not isinstance(offer.get("@id"), str) or not offer["@id"]:
            raise _invalid("offer.@id", "l'offre du catalogue doit avoir son identifiant @id",
                           "the catalogue's offer must carry its @id")
        target = _ref(offer.get("target"))
        if target and target != dataset_id:
            raise _invalid("dataset_id", f"l'offre vise {target}, pas {dataset_id}",
                           f"the offer targets {target}, not {dataset_id}")
        doc = dict(offer)
        doc.setdefault("@context", [CONTEXT_URL])
        try:
            policy = parse_policy(doc)
        except PolicyError as exc:
            raise _policy_problem(exc, lambda path: f"offer.{path}" if path else "offer") from None
        _check_actions(policy, "offer")

    @router.post("/negotiations", status_code=201, response_model=NegotiationView, tags=[TAG_NEGOTIATIONS],
                 summary="Démarrer une négociation de contrat", responses=bad,
                 description="En consommateur : demande au fournisseur un contrat sur l'une des offres de son "
                             "catalogue, avec la finalité et le territoire d'usage déclarés. La demande est envoyée "
                             "en arrière-plan ; suivre l'état avec `GET /negotiations/{id}` jusqu'à `FINALIZED` "
                             "(accord conclu) ou `TERMINATED` (refus expliqué dans `reason`).")
    def start_negotiation(body: NegotiationStart) -> NegotiationView:
        address = _check_url(body.provider_address, "provider_address")
        _check_participant(body.provider_did, "provider_did")
        if not body.dataset_id.strip():
            raise _invalid("dataset_id", "identifiant du jeu de données obligatoire", "the dataset id is required")
        check_offer(body.offer, body.dataset_id)
        for name, value in (("purpose", body.purpose), ("territory", body.territory)):
            if value is not None:
                try:
                    request_from_json({name: value})
                except PolicyError as exc:
                    raise _policy_problem(exc, lambda _path, name=name: name) from None
        process = plane.negotiations.start(provider_address=address, provider_did=body.provider_did,
                                           offer=body.offer, dataset_id=body.dataset_id, purpose=body.purpose,
                                           territory=body.territory)
        plane.wake()
        return _negotiation_view(process)

    @router.get("/negotiations", response_model=NegotiationPage, tags=[TAG_NEGOTIATIONS],
                summary="Lister les négociations",
                description="Les négociations de ce participant, les plus récentes d'abord, filtrées par rôle "
                            "ou état, par pages.")
    def list_negotiations(request: Request,
                          role: Literal["provider", "consumer"] | None = Query(None, description="Notre rôle."),
                          state: str | None = Query(None, description="État DSP (ou `INITIAL`)."),
                          offset: int = Query(0, ge=0, description="Position du premier élément."),
                          limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Taille de page.")
                          ) -> dict[str, Any]:
        states = [INITIAL, *(s.value for s in NegotiationState)]
        rows, total = processes(Negotiation, role, state, states, offset, limit)
        return {"items": [_negotiation_view(p) for p in rows], "offset": offset, "limit": limit, "total": total,
                "next": _page_next(request, offset, limit, total)}

    @router.get("/negotiations/{negotiation_id}", response_model=NegotiationView, tags=[TAG_NEGOTIATIONS],
                summary="Lire une négociation", responses=missing,
                description="État, message en cours d'envoi, identifiants DSP, autre partie, jeu de données, "
                            "accord conclu, dernière erreur, motifs d'une fin et décision du fournisseur.")
    def get_negotiation(negotiation_id: str = Path(description="Identifiant interne de la négociation.")
                        ) -> NegotiationView:
        return _negotiation_view(negotiation_or_404(negotiation_id))

    @router.post("/negotiations/{negotiation_id}/terminate", response_model=NegotiationView,
                 tags=[TAG_NEGOTIATIONS], summary="Mettre fin à une négociation", responses={**missing, **conflict},
                 description="Met fin à une négociation en cours ; l'autre partie en est informée (message de fin "
                             "avec le motif). Refusé (409) pour une négociation déjà finalisée ou terminée.")
    def terminate_negotiation(negotiation_id: str = Path(description="Identifiant interne de la négociation."),
                              body: Annotated[Termination | None, Body()] = None) -> NegotiationView:
        reason = body.reason if body and body.reason else None
        reasons = [reason] if reason else ["négociation arrêtée par l'opérateur", "negotiation ended by the operator"]
        process = with_retries(lambda: negotiation_or_404(negotiation_id),
                               lambda p: plane.negotiations.terminate(p, reasons, "terminated-by-operator"))
        plane.wake()
        return _negotiation_view(process)

    # -- agreements -------------------------------------------------------------------------------------------------

    def agreement_view(row: Agreement) -> dict[str, Any]:
        return {"id": row.id, "negotiation_id": row.negotiation_id,
                "role": "provider" if row.provider_did == plane.did else "consumer",
                "provider_did": row.provider_did, "consumer_did": row.consumer_did, "target": row.target,
                "timestamp": row.timestamp, "policy": row.policy, "signed_jws": row.signed_jws}

    @router.get("/agreements", response_model=AgreementPage, tags=[TAG_AGREEMENTS], summary="Lister les accords",
                description="Les accords conclus (en fournisseur ou en consommateur), les plus récents d'abord, "
                            "par pages.")
    def list_agreements(request: Request,
                        role: Literal["provider", "consumer"] | None = Query(None, description="Notre rôle."),
                        offset: int = Query(0, ge=0, description="Position du premier élément."),
                        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Taille de page.")
                        ) -> dict[str, Any]:
        query = select(Agreement)
        count = select(func.count(Agreement.id))
        if role is not None:
            condition = (Agreement.provider_did == plane.did) if role == "provider" else (
                Agreement.provider_did != plane.did)
            query, count = query.where(condition), count.where(condition)
        with Session(store.engine) as session:
            total = int(session.scalar(count) or 0)
            rows = session.scalars(query.order_by(Agreement.timestamp.desc(), Agreement.id)
                                   .offset(offset).limit(limit)).all()
            items = [agreement_view(row) for row in rows]
        return {"items": items, "offset": offset, "limit": limit, "total": total,
                "next": _page_next(request, offset, limit, total)}

    @router.get("/agreements/{agreement_id:path}", response_model=AgreementDetail, tags=[TAG_AGREEMENTS],
                summary="Lire un accord", responses=missing,
                description="L'accord ODRL, sa signature JWS par le fournisseur, les DID des parties, le jeu visé "
                            "et l'horodatage.")
    def get_agreement(agreement_id: str = Path(description="Identifiant de l'accord.")) -> dict[str, Any]:
        row = store.get_agreement(agreement_id)
        if row is None:
            raise _not_found("accord", "agreement", agreement_id, "agreement_id")
        return {**agreement_view(row), "delete_by": delete_by(row.policy, row.timestamp)}

    # -- transfers --------------------------------------------------------------------------------------------------

    def transfer_or_404(transfer_id: str) -> Transfer:
        process = store.get("transfer", transfer_id)
        if process is None:
            raise _not_found("transfert", "transfer", transfer_id, "transfer_id")
        return process  # type: ignore[return-value]

    @router.post("/transfers", status_code=201, response_model=TransferView, tags=[TAG_TRANSFERS],
                 summary="Demander un transfert", responses=bad,
                 description="En consommateur : demande au fournisseur un transfert sous un accord finalisé. La "
                             "demande part en arrière-plan ; à l'état `STARTED`, `data_address` donne le point "
                             "d'accès aux données et son jeton.")
    def start_transfer(body: TransferStart) -> TransferView:
        agreement = store.get_agreement(body.agreement_id)
        if agreement is None:
            raise _invalid("agreement_id", f"accord inconnu : {body.agreement_id}",
                           f"unknown agreement: {body.agreement_id}", code="unknown-agreement")
        if agreement.provider_did == plane.did:
            raise _invalid("agreement_id", "ce connecteur est le fournisseur de cet accord : c'est le consommateur "
                           "qui demande le transfert", "this connector is the provider of this agreement: the "
                           "consumer requests the transfer", code="not-consumer")
        if not body.format.strip():
            raise _invalid("format", "format de transfert vide", "empty transfer format")
        process = plane.transfers.start(agreement_id=body.agreement_id, format=body.format,
                                        data_address=body.data_address)
        plane.wake()
        return _transfer_view(process)

    @router.get("/transfers", response_model=TransferPage, tags=[TAG_TRANSFERS], summary="Lister les transferts",
                description="Les transferts de ce participant, les plus récents d'abord, filtrés par rôle ou état, "
                            "par pages.")
    def list_transfers(request: Request,
                       role: Literal["provider", "consumer"] | None = Query(None, description="Notre rôle."),
                       state: str | None = Query(None, description="État DSP (ou `INITIAL`)."),
                       offset: int = Query(0, ge=0, description="Position du premier élément."),
                       limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Taille de page.")
                       ) -> dict[str, Any]:
        states = [INITIAL, *(s.value for s in TransferState)]
        rows, total = processes(Transfer, role, state, states, offset, limit)
        return {"items": [_transfer_view(p) for p in rows], "offset": offset, "limit": limit, "total": total,
                "next": _page_next(request, offset, limit, total)}

    @router.get("/transfers/{transfer_id}", response_model=TransferView, tags=[TAG_TRANSFERS],
                summary="Lire un transfert", responses=missing,
                description="État, message en cours d'envoi, identifiants DSP, accord, format, adresse des données "
                            "et dernière erreur.")
    def get_transfer(transfer_id: str = Path(description="Identifiant interne du transfert.")) -> TransferView:
        return _transfer_view(transfer_or_404(transfer_id))

    def change(transfer_id: str, action: str) -> Transfer:
        """Suspend / resume / complete: checked against the state machine, one message at a time."""
        intent = {"suspend": TransferIntent.SUSPENDING, "start": TransferIntent.STARTING,
                  "complete": TransferIntent.COMPLETING}[action]

        def apply(process: Transfer) -> Transfer:
            if process.intent:
                raise ApiProblem(409, "busy", f"un message est en cours d'envoi ({process.intent}) : réessayer "
                                 "quand il est acquitté", f"a message is being sent ({process.intent}): retry once "
                                 "it is acknowledged")
            try:
                next_transfer_state(plane.transfers.protocol_state(process), intent.message, process.role)
            except InvalidTransition as exc:
                raise ApiProblem(409, "invalid-transition", exc.describe("fr"), exc.describe("en")) from None
            return plane.transfers.request_change(process, action)

        return with_retries(lambda: transfer_or_404(transfer_id), apply)

    def transfer_action(action: str, summary: str, description: str) -> None:
        def endpoint(transfer_id: str = Path(description="Identifiant interne du transfert.")) -> TransferView:
            process = change(transfer_id, action)
            plane.wake()
            return _transfer_view(process)

        name = {"start": "resume"}.get(action, action)
        router.add_api_route(f"/transfers/{{transfer_id}}/{name}", endpoint, methods=["POST"],
                             response_model=TransferView, tags=[TAG_TRANSFERS], summary=summary,
                             description=description, responses={**missing, **conflict}, name=f"transfer_{name}")

    transfer_action("suspend", "Suspendre un transfert",
                    "Suspend un transfert démarré ; l'autre partie en est informée. Reprise avec `resume`.")
    transfer_action("start", "Reprendre un transfert suspendu",
                    "Reprend un transfert suspendu (message de démarrage DSP).")
    transfer_action("complete", "Terminer normalement un transfert",
                    "Déclare le transfert achevé (message de fin normale DSP).")

    @router.post("/transfers/{transfer_id}/terminate", response_model=TransferView, tags=[TAG_TRANSFERS],
                 summary="Arrêter un transfert", responses={**missing, **conflict},
                 description="Arrête un transfert en cours ; l'autre partie en est informée avec le motif. Refusé "
                             "(409) pour un transfert déjà achevé ou arrêté.")
    def terminate_transfer(transfer_id: str = Path(description="Identifiant interne du transfert."),
                           body: Annotated[Termination | None, Body()] = None) -> TransferView:
        reason = body.reason if body and body.reason else None
        reasons = [reason] if reason else ["transfert arrêté par l'opérateur", "transfer ended by the operator"]
        process = with_retries(lambda: transfer_or_404(transfer_id),
                               lambda p: plane.transfers.terminate(p, reasons, "terminated-by-operator"))
        plane.wake()
        return _transfer_view(process)

    # -- pulling the data (consumer) --------------------------------------------------------------------------------

    def receiver() -> Any:
        if plane.receiver is None:
            raise ApiProblem(404, "not-available", "ce connecteur ne reçoit pas de données (pas de plan de données)",
                             "this connector does not receive data (no data plane)")
        return plane.receiver

    @router.post("/transfers/{transfer_id}/fetch", response_model=ReceivedView, tags=[TAG_RECEIVED],
                 summary="Recevoir les données d'un transfert",
                 responses={**bad, **missing, **conflict,
                            502: {"model": Problem, "description": "Le fournisseur refuse ou est injoignable."}},
                 description="En consommateur : tire les données d'un transfert `STARTED` avec le jeton reçu du "
                             "fournisseur (rafraîchi au besoin) et les écrit dans le répertoire des données reçues ; "
                             "rien n'est laissé en cas d'échec, pas même un fichier partiel. Rend la copie : chemin, "
                             "taille, SHA-256, mention d'attribution, date de suppression imposée par l'accord. La "
                             "réception est inscrite au journal d'audit (`data.received`).")
    def fetch_transfer(transfer_id: str = Path(description="Identifiant interne du transfert."),
                       body: Annotated[FetchRequest | None, Body()] = None) -> dict[str, Any]:
        body = body or FetchRequest()
        bbox = None
        if body.bbox is not None:
            try:
                bbox = ",".join(repr(v) for v in parse_bbox(body.bbox))
            except DataSourceError as exc:
                raise _invalid("bbox", exc.fr, exc.en) from None
        if body.path is not None and (not body.path.strip("/ ") or "\x00" in body.path):
            raise _invalid("path", "chemin de fichier vide ou invalide", "empty or invalid file path")
        source = receiver()
        transfer_or_404(transfer_id)
        out = source.resolve_out(body.out) if body.out is not None else None
        return copy_json(source.fetch(transfer_id, out, path=body.path, bbox=bbox))

    @router.get("/transfers/{transfer_id}/edr", response_model=EdrView, tags=[TAG_RECEIVED],
                summary="Lire le jeton d'accès aux données d'un transfert", responses={**missing, **conflict},
                description="En consommateur : l'EDR du transfert (point d'accès et jeton) à confier à une "
                            "application, rafraîchi s'il expire dans moins de 10 s. L'application redemande l'EDR "
                            "ici plutôt que de le rafraîchir elle-même (un rafraîchissement ailleurs retire le jeton "
                            "que tient le connecteur).")
    def get_edr(transfer_id: str = Path(description="Identifiant interne du transfert.")) -> dict[str, Any]:
        source = receiver()
        transfer_or_404(transfer_id)
        process, edr = source.current_edr(transfer_id)
        return {"transfer_id": process.id, "agreement_id": process.agreement_id,
                "provider_did": process.counterparty_did, **edr.to_json()}

    @router.get("/received", response_model=ReceivedPage, tags=[TAG_RECEIVED], summary="Lister les données reçues",
                description="Les copies reçues en consommateur, les plus récentes d'abord, avec leur date de "
                            "suppression imposée et leur état (conservée, supprimée).")
    def list_received(request: Request,
                      transfer: str | None = Query(None, description="Transfert (identifiant interne)."),
                      agreement: str | None = Query(None, description="Accord."),
                      held: bool | None = Query(None, description="`true` : copies présentes ; `false` : "
                                                                  "supprimées."),
                      offset: int = Query(0, ge=0, description="Position du premier élément."),
                      limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Taille de page.")
                      ) -> dict[str, Any]:
        rows, total = receiver().copies(transfer_id=transfer, agreement_id=agreement, held=held, offset=offset,
                                        limit=limit)
        return {"items": [copy_json(r) for r in rows], "offset": offset, "limit": limit, "total": total,
                "next": _page_next(request, offset, limit, total)}

    # -- audit log --------------------------------------------------------------------------------------------------

    def audit_log() -> Any:
        if plane.audit is None:
            raise ApiProblem(404, "not-available", "ce connecteur ne tient pas de journal d'audit",
                             "this connector keeps no audit log")
        return plane.audit

    def utc(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @router.get("/audit", response_model=AuditPage, tags=[TAG_AUDIT], summary="Lire le journal d'audit",
                description="Les enregistrements du journal d'audit (décisions d'accès, réceptions, devoirs "
                            "remplis, événements de contrat), du plus récent au plus ancien, filtrés et par pages. "
                            "`event` se termine par `.` pour tout un domaine (ex. `data.`) ; `since` inclus, "
                            "`until` exclu (ISO 8601, UTC par défaut).")
    def list_audit(request: Request,
                   agreement: str | None = Query(None, description="Identifiant d'accord."),
                   transfer: str | None = Query(None, description="Transfert (identifiant interne)."),
                   dataset: str | None = Query(None, description="Jeu de données."),
                   event: str | None = Query(None, description="Événement (ex. `data.refused`, ou `data.`)."),
                   since: Annotated[datetime | None, Query(description="Depuis (inclus).")] = None,
                   until: Annotated[datetime | None, Query(description="Jusqu'à (exclu).")] = None,
                   offset: int = Query(0, ge=0, description="Position du premier élément."),
                   limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Taille de page.")
                   ) -> dict[str, Any]:
        log_ = audit_log()
        filters = {"agreement_id": agreement, "transfer_id": transfer, "dataset_id": dataset, "event": event,
                   "since": utc(since), "until": utc(until)}
        try:
            records = log_.query(**filters, offset=offset, limit=limit)
            total = log_.count(**filters)
        except AuditError as exc:
            raise ApiProblem(400, exc.code, exc.fr, exc.en) from None
        return {"items": [record_json(r) for r in records], "offset": offset, "limit": limit, "total": total,
                "next": _page_next(request, offset, limit, total)}

    @router.get("/audit/verify", response_model=dict[str, Any], tags=[TAG_AUDIT],
                summary="Vérifier le journal d'audit", responses=bad,
                description="Vérifie toute la chaîne avec les clés publiques du participant : empreintes, chaînage, "
                            "signatures, numérotation, fin du journal. `ok`, le nombre d'enregistrements intègres, "
                            "le premier en cause (`firstBrokenSeq`) et pourquoi (`reason.fr`, `reason.en`). "
                            "`checkpoint` (`SEQ:EMPREINTE`, noté auparavant) détecte un journal ramené en arrière.")
    def verify_audit(checkpoint: str | None = Query(None, description="Point de contrôle `SEQ:EMPREINTE`.")
                     ) -> dict[str, Any]:
        log_ = audit_log()
        mark = None
        if checkpoint is not None:
            seq, _, digest = checkpoint.partition(":")
            if not seq.isdigit() or not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
                raise _invalid("checkpoint", "forme attendue SEQ:EMPREINTE (empreinte SHA-256 hexadécimale)",
                               "expected form SEQ:HASH (hexadecimal SHA-256 hash)")
            mark = (int(seq), digest.lower())
        if plane.keys is None:
            raise ApiProblem(404, "not-available", "clés du participant indisponibles", "participant keys unavailable")
        try:
            report = log_.verify(plane.keys, checkpoint=mark)
        except AuditError as exc:
            raise ApiProblem(500, exc.code, exc.fr, exc.en) from None
        return report.to_json()

    # -- shared -----------------------------------------------------------------------------------------------------

    def processes(model: type[P], role: str | None, state: str | None, states: list[str], offset: int,
                  limit: int) -> tuple[list[P], int]:
        if state is not None and state not in states:
            raise ApiProblem(422, "invalid-input", f"state : état inconnu « {state} » ; états : {', '.join(states)}",
                             f"state: unknown state '{state}'; states: {', '.join(states)}", field="state")
        query = select(model)
        count = select(func.count(model.id))
        for column, value in ((model.role, role), (model.state, state)):
            if value is not None:
                query, count = query.where(column == value), count.where(column == value)
        with Session(store.engine, expire_on_commit=False) as session:
            total = int(session.scalar(count) or 0)
            rows = list(session.scalars(query.order_by(model.created_at.desc(), model.id).offset(offset).limit(limit)))
        return rows, total

    def with_retries(read: Callable[[], P], act: Callable[[P], Any]) -> P:
        """`act` on a fresh read of the process, again if the dispatcher changed it meanwhile."""
        for _ in range(_ATTEMPTS):
            process = read()
            try:
                return act(process)
            except ConcurrentUpdate:
                continue
        raise ApiProblem(409, "busy", "processus modifié en parallèle : réessayer",
                         "process changed concurrently: retry")

    # -- access plans (brokering) -----------------------------------------------------------------------------------
    from .plans_api import plans_router  # it builds on this module's problems and pages

    router.include_router(plans_router(plane))
    return router
