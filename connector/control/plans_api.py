"""The management API's access-plan routes (mounted with the rest under `/management`): post an access plan made
by the federated catalogue for this consumer and the connector obtains the data — negotiations, transfers, pulls
into the received directory (`connector.control.brokering`) — then follow the run item by item, list the runs,
cancel one. The plan is checked before anything is written (`connector.control.access_plans`): a refused plan
names the field and the rule."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from connector.store.schema import Negotiation, PlanItem, PlanRun, Transfer

from .access_plans import PlanError, candidates, read_plan
from .brokering import DEFAULT_PARALLEL, MAX_PARALLEL, STATUSES, STEPS, wants_pull
from .management_api import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ApiProblem,
    FieldProblem,
    Problem,
    _Page,
    _page_next,
    _ProblemRoute,
    _validation_problem,
)
from .plane import ControlPlane

TAG_PLANS = "Plans d'accès"
_UNDER_WAY = ("negotiating", "agreed", "transferring", "started")


class PlanRunRequest(BaseModel):
    """Le corps de `POST /plans` : le plan et les options de son exécution (un plan seul est accepté aussi)."""

    model_config = ConfigDict(extra="forbid")

    plan: dict[str, Any] = Field(description="Le plan d'accès (`AccessPlan`, version 1) rendu par le catalogue "
                                             "fédéré pour ce connecteur.")
    fetch: bool | None = Field(None, description="Tirer les données dans le répertoire des données reçues une fois "
                                                 "le transfert démarré (par défaut : oui, pour les formats PULL).")
    use_alternatives: bool = Field(True, description="Essayer les alternatives d'un élément quand le fournisseur "
                                                     "refuse le contrat.")
    parallel: int = Field(DEFAULT_PARALLEL, ge=1, le=MAX_PARALLEL,
                          description="Nombre d'éléments menés en même temps.")


class ProcessRef(BaseModel):
    id: str = Field(description="Identifiant interne du processus (API `/negotiations` ou `/transfers`).")
    state: str | None = Field(description="État DSP (`INITIAL` tant que le premier message n'est pas acquitté).")


class ReceivedRef(BaseModel):
    copy_id: str | None
    path: str = Field(description="Fichier reçu, sur la machine du connecteur.")
    size: int | None = Field(description="Taille en octets.")


class PlanItemView(BaseModel):
    id: str
    position: int = Field(description="Rang de l'élément dans le plan (à partir de 0).")
    geoconcept: dict[str, Any] = Field(description="Le géo-concept : `id`, `iri`, `label` {fr, en}, `role`.")
    step: str = Field(description="Étape : " + ", ".join(f"`{s}`" for s in STEPS) + ".")
    candidate: int = Field(description="Candidat essayé : 0 le choix du plan, puis ses alternatives.")
    candidates: int = Field(description="Nombre de candidats permis (le choix et les alternatives utilisables).")
    provider: dict[str, Any] = Field(description="Fournisseur du candidat en cours : `did`, `name`, `category`, "
                                                 "`dsp`.")
    dataset: dict[str, Any] = Field(description="Jeu de données du candidat en cours : `id`, `record`, `title`.")
    offer_id: str
    format: str
    fetch: bool = Field(description="Le connecteur tire-t-il les données lui-même.")
    negotiation: ProcessRef | None = None
    agreement_id: str | None = None
    transfer: ProcessRef | None = None
    received: ReceivedRef | None = None
    error: dict[str, Any] | None = Field(None, description="Pourquoi l'élément a échoué ou a été sauté : `code`, "
                                                           "`fr`, `en` ; pour un refus du fournisseur, son code "
                                                           "(`provider_code`) et ses motifs (`provider_reason`).")
    attempts: list[dict[str, Any]] = Field(description="Chaque tentative : candidat, fournisseur, jeu, offre, "
                                                       "négociation, accord, transfert, issue et motif.")
    updated_at: datetime


class PlanTotals(BaseModel):
    items: int
    pending: int = Field(description="Pas encore commencés.")
    under_way: int = Field(description="En cours (négociation, transfert, réception).")
    succeeded: int = Field(description="Obtenus (reçus, ou transfert démarré quand les données ne sont pas tirées).")
    failed: int
    skipped: int
    gaps: int = Field(description="Géo-concepts que le plan ne peut pas couvrir (lacunes).")


class PlanRunSummary(BaseModel):
    id: str = Field(description="Identifiant de l'exécution.")
    plan_id: str = Field(description="Identifiant du plan (`urn:uuid:…`).")
    status: str = Field(description="État : " + ", ".join(f"`{s}`" for s in STATUSES) + ".")
    usecase: str | None
    purpose: str = Field(description="Finalité déclarée dans chaque demande de contrat.")
    territory: str | None = Field(description="Territoire déclaré dans chaque demande de contrat.")
    consumer: str | None = Field(description="Consommateur pour lequel le plan a été établi.")
    catalogue: str | None = Field(description="Catalogue qui a établi le plan.")
    options: dict[str, Any] = Field(description="`fetch`, `use_alternatives`, `parallel`.")
    totals: PlanTotals
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class PlanRunView(PlanRunSummary):
    items: list[PlanItemView]
    gaps: list[dict[str, Any]] = Field(description="Les lacunes du plan, telles quelles : ce qui ne peut pas être "
                                                   "obtenu, et pourquoi.")


class PlanRunPage(_Page):
    items: list[PlanRunSummary]


def _totals(run: PlanRun, items: list[PlanItem], ended: Any) -> dict[str, int]:
    return {"items": len(items), "pending": sum(1 for i in items if i.step == "pending"),
            "under_way": sum(1 for i in items if i.step in _UNDER_WAY and not ended(run, i)),
            "succeeded": sum(1 for i in items if ended(run, i) and i.step not in ("failed", "skipped")),
            "failed": sum(1 for i in items if i.step == "failed"),
            "skipped": sum(1 for i in items if i.step == "skipped"), "gaps": len(run.plan.get("gaps") or [])}


def _states(plane: ControlPlane, model: type[Negotiation] | type[Transfer], ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    table = model.__table__
    with plane.store.engine.connect() as connection:
        return dict(connection.execute(select(table.c.id, table.c.state).where(table.c.id.in_(ids))).all())


def plans_router(plane: ControlPlane) -> APIRouter:
    """The access-plan routes of `plane`'s management API (included by `management_router`, which guards them)."""
    router = APIRouter(route_class=_ProblemRoute)
    runner = plane.plans
    missing = {404: {"model": Problem, "description": "Identifiant inconnu."}}
    conflict = {409: {"model": Problem, "description": "L'état actuel ne permet pas cette action."}}

    def summary(run: PlanRun, items: list[PlanItem]) -> dict[str, Any]:
        plan = run.plan
        return {"id": run.id, "plan_id": run.plan_id, "status": run.status, "usecase": run.usecase,
                "purpose": run.purpose, "territory": run.territory, "consumer": plan.get("consumer"),
                "catalogue": plan.get("catalogue"), "options": run.options,
                "totals": _totals(run, items, runner.ended), "created_at": run.created_at,
                "updated_at": max([run.updated_at, *(i.updated_at for i in items)]), "finished_at": run.finished_at}

    def item_view(run: PlanRun, item: PlanItem, negotiations: Mapping[str, str],
                  transfers: Mapping[str, str]) -> dict[str, Any]:
        allowed = candidates(run.plan["items"][item.position],
                             use_alternatives=run.options.get("use_alternatives", True))
        candidate = allowed[item.candidate]
        return {
            "id": item.id, "position": item.position, "geoconcept": candidate["geoconcept"], "step": item.step,
            "candidate": item.candidate, "candidates": len(allowed), "provider": candidate["provider"],
            "dataset": candidate["dataset"], "offer_id": candidate["offer"]["@id"], "format": candidate["format"],
            "fetch": wants_pull(run.options, candidate),
            "negotiation": {"id": item.negotiation_id, "state": negotiations.get(item.negotiation_id)}
            if item.negotiation_id else None,
            "agreement_id": item.agreement_id,
            "transfer": {"id": item.transfer_id, "state": transfers.get(item.transfer_id)}
            if item.transfer_id else None,
            "received": {"copy_id": item.copy_id, "path": item.received_path, "size": item.received_size}
            if item.received_path else None,
            "error": item.error, "attempts": item.attempts or [], "updated_at": item.updated_at}

    def detail(run: PlanRun) -> dict[str, Any]:
        items = runner.runs.items(run.id)
        negotiations = _states(plane, Negotiation, [i.negotiation_id for i in items if i.negotiation_id])
        transfers = _states(plane, Transfer, [i.transfer_id for i in items if i.transfer_id])
        return {**summary(run, items), "items": [item_view(run, i, negotiations, transfers) for i in items],
                "gaps": run.plan.get("gaps") or []}

    def run_or_404(run_id: str) -> PlanRun:
        run = runner.runs.get_run(run_id)
        if run is None:
            raise ApiProblem(404, "not-found", f"exécution de plan inconnue : {run_id}",
                             f"unknown plan run: {run_id}", field="run_id")
        return run

    def plan_problem(exc: PlanError) -> ApiProblem:
        problems = [FieldProblem(**p) for p in exc.problems] if exc.problems else None
        return ApiProblem(exc.status, exc.code, exc.fr, exc.en, field=exc.field, problems=problems)

    def request_of(body: Any) -> tuple[PlanRunRequest, str]:
        """The request, and where its plan sits (`plan`, or `` for a plan posted alone)."""
        if isinstance(body, Mapping) and "plan" not in body and "type" in body:
            return PlanRunRequest(plan=dict(body)), ""
        try:
            return PlanRunRequest.model_validate(body), "plan"
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
            raise _validation_problem(RequestValidationError(errors)) from None

    @router.post("/plans", status_code=202, response_model=PlanRunView, tags=[TAG_PLANS],
                 summary="Obtenir les données d'un plan d'accès",
                 responses={400: {"model": Problem, "description": "Règle enfreinte : le champ est nommé (adresse "
                                                                   "DSP non http(s), plan d'un autre consommateur, "
                                                                   "offre illisible…)."},
                            409: {"model": Problem, "description": "Une exécution de ce plan est déjà en cours."}},
                 description="En consommateur : exécute un plan d'accès du catalogue fédéré. Pour chaque élément "
                             "(plusieurs à la fois, `parallel`), le connecteur négocie l'offre avec le fournisseur "
                             "en déclarant la finalité et le territoire du plan, demande le transfert une fois "
                             "l'accord conclu, puis tire les données dans le répertoire des données reçues "
                             "(`plans/<exécution>/<géo-concept>/`). Un refus du fournisseur fait essayer "
                             "l'alternative suivante (`use_alternatives`). Répond 202 avec l'exécution ; la suivre "
                             "avec `GET /plans/{id}` (en-tête `Location`). Le plan est vérifié contre le schéma JSON "
                             "des plans d'accès (422) et les règles (400) avant toute écriture. Corps : "
                             "`{\"plan\": {…}, \"fetch\", \"use_alternatives\", \"parallel\"}`, ou le plan seul.")
    def run_plan(request: Request, response: Response, body: Annotated[Any, Body(description=(
            "`{\"plan\": <AccessPlan>, \"fetch\": true, \"use_alternatives\": true, \"parallel\": 4}` ou le plan "
            "seul."))]) -> dict[str, Any]:
        wanted, prefix = request_of(body)
        try:
            plan = read_plan(wanted.plan, consumer_did=plane.did, field=prefix)
        except PlanError as exc:
            raise plan_problem(exc) from None
        running = runner.runs.running_with_plan(plan.id)
        if running is not None:
            where = f"{prefix}.id" if prefix else "id"
            raise ApiProblem(409, "plan-running", f"{where} : ce plan est déjà en cours d'exécution ({running}) ; "
                             "l'annuler d'abord pour le relancer", f"{where}: this plan is already running "
                             f"({running}); cancel that run first to run it again", field=where,
                             detail={"run_id": running})
        run = runner.submit(plan, fetch=wanted.fetch, use_alternatives=wanted.use_alternatives,
                            parallel=wanted.parallel)
        response.headers["Location"] = str(request.url_for("get_plan_run", run_id=run.id))
        return detail(run)

    @router.get("/plans", response_model=PlanRunPage, tags=[TAG_PLANS], summary="Lister les exécutions de plans",
                description="Les exécutions de plans d'accès, les plus récentes d'abord, avec leurs totaux, filtrées "
                            "par état, par pages.")
    def list_plan_runs(request: Request,
                       status: str | None = Query(None, description="État : " + ", ".join(STATUSES) + "."),
                       offset: int = Query(0, ge=0, description="Position du premier élément."),
                       limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Taille de page.")
                       ) -> dict[str, Any]:
        if status is not None and status not in STATUSES:
            raise ApiProblem(422, "invalid-input", f"status : état inconnu « {status} » ; états : "
                             f"{', '.join(STATUSES)}", f"status: unknown status '{status}'; statuses: "
                             f"{', '.join(STATUSES)}", field="status")
        runs, total = runner.runs.list_runs(status=status, offset=offset, limit=limit)
        items = runner.runs.items_of_runs([r.id for r in runs])
        return {"items": [summary(r, items[r.id]) for r in runs], "offset": offset, "limit": limit, "total": total,
                "next": _page_next(request, offset, limit, total)}

    @router.get("/plans/{run_id}", response_model=PlanRunView, tags=[TAG_PLANS], name="get_plan_run",
                summary="Suivre l'exécution d'un plan", responses=missing,
                description="L'état de l'exécution et de chaque élément : géo-concept, fournisseur, jeu de données, "
                            "étape, négociation et son état, accord, transfert et son état, fichier reçu, motif d'un "
                            "échec (le refus du fournisseur, avec l'explication de son moteur de politiques), "
                            "tentatives ; les totaux ; les lacunes du plan telles quelles.")
    def get_plan_run(run_id: str = Path(description="Identifiant de l'exécution.")) -> dict[str, Any]:
        return detail(run_or_404(run_id))

    @router.post("/plans/{run_id}/cancel", response_model=PlanRunView, tags=[TAG_PLANS],
                 summary="Annuler l'exécution d'un plan", responses={**missing, **conflict},
                 description="N'entame plus rien : les éléments pas encore terminés passent à `skipped` (sauf une "
                             "réception en cours, qui s'achève) ; les négociations et transferts déjà lancés suivent "
                             "leur cours (les arrêter avec leurs propres routes). Refusé (409) pour une exécution "
                             "terminée.")
    def cancel_plan_run(run_id: str = Path(description="Identifiant de l'exécution.")) -> dict[str, Any]:
        run = run_or_404(run_id)
        if not runner.cancel(run_id):
            raise ApiProblem(409, "not-running", f"l'exécution est terminée ({run.status})",
                             f"the run has ended ({run.status})", field="run_id")
        return detail(run_or_404(run_id))

    return router


__all__ = ["PlanRunRequest", "PlanRunView", "plans_router"]
