"""Access plans: for a use case, a territory (or a bbox), a purpose and a consumer, the best dataset to ask for per
géo-concept, up to three alternatives, and the gaps — a géo-concept nobody offers there (`not-offered`), or offered
only under offers this consumer cannot obtain (`not-obtainable`, with each candidate's refusal explained). The
consumer's connector takes the plan as it is (`catalog/data/schemas/access-plan.schema.json`) and runs the
negotiations and transfers: each item carries the provider's DID and DSP base URL, the offer exactly as published,
a transfer format the dataset offers, and what to declare (`declared`: purpose and territory) so the provider
decides as the plan announced.

Candidates are the datasets of the use case's géo-concepts whose extent meets the territory's outline (or the
bbox). They are ranked: obtainable first (an offer this consumer can obtain for this purpose there), then datasets
of connectors whose last crawl succeeded, then by score, then by fewer duties. The score (0..1) is a weighted sum
of criteria, each in 0..1:

| criterion | weight | value |
|---|---|---|
| `completeness` | 0.25 | the sheet's completeness score (mandatory and recommended fields of the 10 criteria) |
| `coverage` | 0.20 | share of the territory (or bbox) the dataset's extent covers; 1 without a territory |
| `licence` | 0.15 | 1 open (Etalab, CC-BY, CC0, ODC-BY), 0.8 open share-alike (ODbL, CC-BY-SA), 0.5 another licence, 0.3 restricted, 0 none |
| `access` | 0.10 | access right (C7): 1 public, 0.5 restricted, 0.2 non-public, 0 unknown |
| `precision` | 0.10 | resolution 1 m or finer → 1, 1 km → 0 (log scale); scale 1:1 000 → 1, 1:1 000 000 → 0; the better of the two; 0 unknown |
| `frequency` | 0.10 | update frequency (C3): 1 continuous to hourly, 0.9 daily, 0.8 weekly, 0.7 monthly, 0.6 quarterly, 0.5 yearly, 0.4 every 2+ years, 0.3 irregular or as needed, 0.1 not planned, 0 unknown |
| `conformity` | 0.10 | 1 conformant to a specification (C9), 0.7 a data standard declared (C10), 0.3 a specification evaluated non-conformant, 0 none |"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

import shapely
from pydantic import BaseModel, ConfigDict, ValidationError

from catalog.geoconcepts import GeoConcept, Registry
from catalog.vocabularies import ACCESS_RIGHT, DEGREE_OF_CONFORMITY, FREQUENCY, LICENCES
from policies.requester import Requester
from policies.templates import LICENCES as POLICY_LICENCES
from policies.territories import get_territory

from .connectors import iso, utcnow
from .eligibility import (
    NOT_OBTAINABLE,
    Declaration,
    OfferDecision,
    best_decision,
    caller_view,
    decide_offers,
    declaration_of,
    parse_purpose,
)
from .errors import QueryError
from .facets import canonical_licence
from .index import DatasetRecord, FederatedIndex
from .query import DatasetQuery, parse_query

PLAN_TYPE = "AccessPlan"
PLAN_VERSION = 1
MAX_ALTERNATIVES = 3
PREFERRED_FORMAT = "HttpData-PULL"
_PAGE = 100
WEIGHTS = {"completeness": 0.25, "coverage": 0.20, "licence": 0.15, "access": 0.10, "precision": 0.10,
           "frequency": 0.10, "conformity": 0.10}
_OPEN = {LICENCES[k] for k in ("etalab-2.0", "etalab-1.0", "cc-by-4.0", "cc0", "odc-by")}
_SHARE_ALIKE = {LICENCES[k] for k in ("odbl", "cc-by-sa-4.0")}
_RESTRICTED = POLICY_LICENCES["restricted"].iri
_ACCESS = {"PUBLIC": 1.0, "RESTRICTED": 0.5, "NON_PUBLIC": 0.2}
_FREQUENCY = {
    **dict.fromkeys(("CONT", "1MIN", "5MIN", "10MIN", "15MIN", "30MIN", "HOURLY"), 1.0),
    "DAILY": 0.9, "WEEKLY": 0.8, "BIWEEKLY": 0.75, "MONTHLY": 0.7, "MONTHLY_2": 0.72, "QUARTERLY": 0.6,
    "ANNUAL_2": 0.55, "ANNUAL": 0.5, "BIENNIAL": 0.4, "TRIENNIAL": 0.4, "QUADRENNIAL": 0.4, "QUINQUENNIAL": 0.4,
    "DECENNIAL": 0.4, "IRREG": 0.3, "AS_NEEDED": 0.3, "UPDATE_CONT": 1.0, "NOT_PLANNED": 0.1,
}
ROLE_LABELS = {"calcul": {"fr": "calcul", "en": "computation"},
               "contextualisation": {"fr": "contextualisation", "en": "context"}}


def schema_path() -> Any:
    """The JSON Schema of an access plan (shipped in the package; the consumer's connector validates with it)."""
    return files("catalog").joinpath("data/schemas/access-plan.schema.json")


@cache
def plan_schema() -> dict[str, Any]:
    return json.loads(schema_path().read_text(encoding="utf-8"))


def validate_plan(plan: Mapping[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` when `plan` does not follow the access-plan schema."""
    import jsonschema

    jsonschema.validate(plan, plan_schema(), format_checker=jsonschema.FormatChecker())


# -- scoring ---------------------------------------------------------------------------------------------------------


def _licence_score(iri: str | None) -> float:
    if not iri:
        return 0.0
    iri = canonical_licence(iri)
    if iri in _OPEN:
        return 1.0
    if iri in _SHARE_ALIKE:
        return 0.8
    return 0.3 if iri == _RESTRICTED else 0.5


def _log_score(value: float | None, best: float, worst: float) -> float | None:
    """1 at `best` or better, 0 at `worst` or worse, linear in the logarithm between."""
    if value is None or value <= 0:
        return None
    position = (math.log10(value) - math.log10(best)) / (math.log10(worst) - math.log10(best))
    return min(1.0, max(0.0, 1.0 - position))


def _conformity_score(record: DatasetRecord) -> float:
    parsed = record.parsed
    degrees = {(c.degree or "").removeprefix(DEGREE_OF_CONFORMITY) for c in parsed.conformity}
    if "conformant" in degrees:
        return 1.0
    if parsed.conforms_to:
        return 0.7
    return 0.3 if degrees - {""} else 0.0


def coverage(record: DatasetRecord, area: Any) -> float | None:
    """Share of `area` (a shapely geometry) the dataset's bbox covers; None when either is unknown."""
    if area is None or record.bbox is None or area.area <= 0:
        return None
    return float(shapely.box(*record.bbox).intersection(area).area / area.area)


def score(record: DatasetRecord, area: Any = None) -> tuple[float, dict[str, float]]:
    """The record's score and the value of each criterion (see the module's table)."""
    values = record.values
    precision = [s for s in (_log_score(values.get("resolution_m"), 1.0, 1000.0),
                             _log_score(values.get("scale_denominator"), 1000.0, 1_000_000.0)) if s is not None]
    covered = coverage(record, area)
    criteria = {
        "completeness": float(values.get("completeness") or 0.0),
        "coverage": 1.0 if area is None else (covered or 0.0),
        "licence": _licence_score(values.get("licence")),
        "access": _ACCESS.get((values.get("access_rights") or "").removeprefix(ACCESS_RIGHT), 0.0),
        "precision": max(precision) if precision else 0.0,
        "frequency": _FREQUENCY.get((values.get("frequency") or "").removeprefix(FREQUENCY), 0.0),
        "conformity": _conformity_score(record),
    }
    criteria = {name: round(value, 3) for name, value in criteria.items()}
    return round(sum(WEIGHTS[name] * value for name, value in criteria.items()), 4), criteria


# -- candidates ------------------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """A dataset that may serve a géo-concept: its record, score, and (with a declaration) each offer's decision."""

    record: DatasetRecord
    score: float
    criteria: dict[str, float]
    decisions: list[OfferDecision] = field(default_factory=list)

    @property
    def best(self) -> OfferDecision | None:
        return best_decision(self.decisions)

    @property
    def format(self) -> str | None:
        formats = self.record.parsed.formats
        if PREFERRED_FORMAT in formats:
            return PREFERRED_FORMAT
        return formats[0] if formats else None

    @property
    def obtainable(self) -> bool:
        best = self.best
        return best is not None and best.obtainable and self.format is not None

    @property
    def decision(self) -> str:
        return self.best.decision if self.obtainable and self.best is not None else NOT_OBTAINABLE

    def rank(self) -> tuple[Any, ...]:
        best = self.best
        return (not self.obtainable, self.record.provider.stale, -self.score,
                len(best.duties) if best is not None else 0, self.record.values.get("title") or "",
                self.record.record_id)


def _pages(index: FederatedIndex, query: DatasetQuery) -> Iterator[DatasetRecord]:
    page = 1
    while True:
        result = index.search(dataclasses.replace(query, page=page, per_page=_PAGE, with_facets=False))
        yield from result.records
        if page >= result.pages:
            return
        page += 1


def gather(index: FederatedIndex, query: DatasetQuery, *, requester: Requester | None = None,
           declaration: Declaration | None = None, now: datetime | None = None) -> dict[str, list[Candidate]]:
    """The candidates of each géo-concept of `query`'s use case (registry ids; every géo-concept of the use case
    is a key, in registry order), ranked. With a `declaration`, each candidate's offers are decided for
    `requester`."""
    registry = index.registry
    use_case = registry.use_cases()[query.use_case] if query.use_case else None
    concepts = list(use_case.concepts) if use_case else []
    out: dict[str, list[Candidate]] = {cid: [] for cid in concepts}
    area = query.area if query.area is not None else (shapely.box(*query.bbox) if query.bbox else None)
    for record in _pages(index, query):
        concept = registry.get(record.values.get("geoconcept") or "")
        if concept is None or concept.id not in out:
            continue
        points, criteria = score(record, area)
        candidate = Candidate(record, points, criteria)
        if declaration is not None:
            candidate.decisions = decide_offers(record.parsed.offers, requester, declaration, now=now)
        out[concept.id].append(candidate)
    for candidates in out.values():
        candidates.sort(key=Candidate.rank)
    return out


# -- the plan --------------------------------------------------------------------------------------------------------


class PlanRequest(BaseModel):
    """The body of `POST /api/plans`."""

    model_config = ConfigDict(extra="forbid")

    usecase: str
    purpose: str
    territory: str | None = None
    bbox: list[float] | str | None = None


def _validation_error(exc: ValidationError) -> QueryError:
    error = exc.errors()[0]
    where = str(error["loc"][0]) if error["loc"] else "body"
    kind = error["type"]
    if kind == "missing":
        return QueryError(where, "required", "champ obligatoire", "required field")
    if kind == "extra_forbidden":
        return QueryError(where, "unknown-parameter", "champ inconnu ; champs acceptés : usecase, purpose, "
                          "territory, bbox", "unknown field; accepted: usecase, purpose, territory, bbox")
    expected = {"bbox": ("quatre nombres [minx, miny, maxx, maxy] ou le texte « minx,miny,maxx,maxy »",
                         "four numbers [minx, miny, maxx, maxy] or the text 'minx,miny,maxx,maxy'")}.get(
        where, ("un texte", "a string"))
    return QueryError(where, "type", f"valeur invalide ({error['msg']}) ; attendu : {expected[0]}",
                      f"invalid value ({error['msg']}); expected: {expected[1]}", error.get("input"))


def parse_plan_request(body: Any, registry: Registry) -> tuple[DatasetQuery, Declaration]:
    """The search and the declaration a plan request asks for; raises `QueryError` (400) naming the field."""
    if not isinstance(body, Mapping):
        raise QueryError("body", "json-object", "un objet JSON est attendu : {usecase, purpose, territory | bbox}",
                         "a JSON object is expected: {usecase, purpose, territory | bbox}")
    try:
        request = PlanRequest.model_validate(body)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    params = [("usecase", request.usecase)]
    if request.territory is not None:
        params.append(("territory", request.territory))
    if request.bbox is not None:
        bbox = request.bbox if isinstance(request.bbox, str) else ",".join(str(v) for v in request.bbox)
        params.append(("bbox", bbox))
    query = parse_query(params, registry)
    return query, declaration_of(query, parse_purpose(request.purpose))


def geoconcept_view(concept: GeoConcept, registry: Registry) -> dict[str, Any]:
    # The registry has French labels only: English shows the same words.
    return {"id": concept.id, "iri": concept.iri(registry.base_iri),
            "label": {"fr": concept.label_fr, "en": concept.label_fr}, "role": concept.role}


def provider_view(record: DatasetRecord) -> dict[str, Any]:
    provider = record.provider
    return {"did": provider.did, "name": provider.name, "category": provider.category or record.values.get("category"),
            "dsp": provider.address, "stale": provider.stale}


def _candidate_view(candidate: Candidate, concept: GeoConcept, registry: Registry) -> dict[str, Any]:
    record = candidate.record
    best = candidate.best
    out: dict[str, Any] = {
        "geoconcept": geoconcept_view(concept, registry),
        "dataset": {"id": record.dataset_id, "record": record.record_id, "title": record.values.get("title")},
        "provider": provider_view(record),
        "offer": best.offer.raw if best is not None else None,
        "format": candidate.format,
        "formats": list(record.parsed.formats),
        "decision": candidate.decision,
        "duties": best.duties if best is not None and best.obtainable else [],
        "explanation": best.explanation if best is not None else {
            "fr": "refusé : le jeu de données ne publie aucune offre", "en": "denied: the dataset publishes no offer"},
        "score": candidate.score,
        "criteria": candidate.criteria,
    }
    if best is not None and best.obtainable and candidate.format is None:
        out["explanation"] = {"fr": "refusé : le jeu de données n'a aucune distribution DSP (format de transfert)",
                              "en": "denied: the dataset has no DSP distribution (transfer format)"}
    if best is not None and not candidate.obtainable:
        out["identity_dependent"] = best.identity_dependent
    return out


def _gap(concept: GeoConcept, candidates: list[Candidate], registry: Registry, place: Mapping[str, str]
         ) -> dict[str, Any]:
    view = geoconcept_view(concept, registry)
    if not candidates:
        return {"geoconcept": view, "reason": "not-offered", "candidates": [], "explanation": {
            "fr": f"aucun jeu de données du catalogue ne couvre ce géo-concept {place['fr']}",
            "en": f"no dataset in the catalogue covers this géo-concept {place['en']}"}}
    refused = [_candidate_view(c, concept, registry) for c in candidates]
    first = refused[0]["explanation"]
    count = len(refused)
    return {"geoconcept": view, "reason": "not-obtainable", "candidates": refused, "explanation": {
        "fr": f"offert par {count} jeu(x) de données {place['fr']}, aucun n'est obtenable pour ce consommateur et "
              f"cette finalité ; le premier : {first['fr']}",
        "en": f"offered by {count} dataset(s) {place['en']}, none obtainable by this consumer for this purpose; "
              f"the first: {first['en']}"}}


def _place(query: DatasetQuery) -> dict[str, str]:
    if query.territory:
        return {"fr": f"sur {query.territory_label}", "en": f"in {query.territory_label}"}
    if query.bbox:
        box = ",".join(f"{v:g}" for v in query.bbox)
        return {"fr": f"dans l'emprise {box}", "en": f"within the bbox {box}"}
    return {"fr": "dans l'espace de données", "en": "in the data space"}


def territory_view(query: DatasetQuery) -> dict[str, Any] | None:
    if not query.territory:
        return None
    territory = get_territory(query.territory)
    return {"code": territory.code, "label": territory.name, "bbox": list(query.bbox or territory.geometry.bounds),
            "kind": territory.kind, "iri": territory.iri, "full_label": territory.label()}


def build_plan(index: FederatedIndex, query: DatasetQuery, declaration: Declaration, *,
               requester: Requester | None = None, catalogue: str | None = None,
               now: datetime | None = None) -> dict[str, Any]:
    """The access plan for `query` (its use case and territory or bbox), `declaration` and `requester`."""
    if not query.use_case:
        raise QueryError("usecase", "required", "cas d'usage obligatoire", "a use case is required")
    registry = index.registry
    now = now or utcnow()
    gathered = gather(index, query, requester=requester, declaration=declaration, now=now)
    place = _place(query)
    items, gaps = [], []
    for cid, candidates in gathered.items():
        concept = registry.concepts[cid]
        obtainable = [c for c in candidates if c.obtainable]
        if not obtainable:
            gaps.append(_gap(concept, candidates, registry, place))
            continue
        item = _candidate_view(obtainable[0], concept, registry)
        item["alternatives"] = [_candidate_view(c, concept, registry) for c in obtainable[1:1 + MAX_ALTERNATIVES]]
        item["refused"] = len(candidates) - len(obtainable)
        items.append(item)
    use_case = registry.use_cases()[query.use_case]
    concepts = [registry.concepts[cid] for cid in gathered]
    return {
        "type": PLAN_TYPE, "version": PLAN_VERSION, "id": f"urn:uuid:{uuid.uuid4()}", "created": iso(now),
        "catalogue": catalogue, "consumer": requester.did if requester is not None else None,
        "usecase": query.use_case, "usecase_label": {"fr": use_case.label_fr, "en": use_case.label_en},
        "territory": territory_view(query), "bbox": list(query.bbox) if query.bbox and not query.territory else None,
        "purpose": declaration.purpose,
        "declared": declaration.to_json(),
        "caller": caller_view(requester),
        "summary": {"geoconcepts": len(concepts), "planned": len(items),
                    "not_offered": sum(1 for g in gaps if g["reason"] == "not-offered"),
                    "not_obtainable": sum(1 for g in gaps if g["reason"] == "not-obtainable"),
                    "calcul": sum(1 for c in concepts if c.role == "calcul"),
                    "calcul_planned": sum(1 for i in items if i["geoconcept"]["role"] == "calcul")},
        "scoring": {"weights": WEIGHTS, "order": ["obtainable", "fresh connector", "score", "fewer duties"]},
        "items": items,
        "gaps": gaps,
    }


def role_label(role: str) -> dict[str, str]:
    return ROLE_LABELS.get(role, {"fr": role, "en": role})


__all__ = ["MAX_ALTERNATIVES", "PLAN_TYPE", "PLAN_VERSION", "WEIGHTS", "Candidate", "PlanRequest", "build_plan",
           "coverage", "gather", "geoconcept_view", "parse_plan_request", "plan_schema", "provider_view",
           "role_label", "schema_path", "score", "territory_view", "validate_plan"]
