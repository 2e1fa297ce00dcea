"""Eligibility: for a consumer (its verified claims, a `policies.requester.Requester`) and a declared purpose, and
optionally a territory of use, each offer of a dataset as the provider's connector would decide it at negotiation —
`obtainable`, `obtainable-with-duties` (with the duties: attribution, deletion by a date...) or `not-obtainable` —
with the policy engine's explanation in French and English.

The decision is the provider's own: the request is built and decided by `policies.requester.negotiation_request` /
`negotiation_decision`, the functions the connector runs on a ContractRequestMessage, over the offer exactly as the
provider published it. An anonymous caller (no token) is evaluated as an unknown participant (no DID, no category):
offers that depend on who asks are then refused with the condition named, and marked `identity_dependent`."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog import dsp_terms
from catalog.dsp_parse import ParsedOffer
from catalog.geoconcepts import Registry
from policies import CompiledPolicy, PolicyError, compile_policy, parse_policy
from policies.engine import Decision, DutyResult
from policies.explain import action_words, condition_text, duty_text
from policies.purposes import PURPOSE_NS, PURPOSES, UnknownPurpose, purpose_iri, purpose_label
from policies.requester import Requester, negotiation_decision, negotiation_request, refused_for_identity
from policies.territories import Territory, get_territory
from policies.vocab import DPV, ODRL, short

from .errors import QueryError
from .index import DatasetRecord
from .query import DatasetQuery, parse_query
from .views import record_path

OBTAINABLE = "obtainable"
WITH_DUTIES = "obtainable-with-duties"
NOT_OBTAINABLE = "not-obtainable"
DECISIONS = (OBTAINABLE, WITH_DUTIES, NOT_OBTAINABLE)
_LANGS = ("fr", "en")
_COMPILED_CACHE = 2048


# -- what the consumer declares -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """What a consumer declares in its contract request: the purpose (IRI) and the area of use — a named territory,
    or a bbox (declared as WKT), or none."""

    purpose: str
    territory: Territory | None = None
    bbox: tuple[float, float, float, float] | None = None

    @property
    def area(self) -> str | None:
        """The territory of use as the consumer's connector declares it in its ContractRequestMessage."""
        if self.territory is not None:
            return self.territory.code
        if self.bbox is not None:
            minx, miny, maxx, maxy = self.bbox
            return f"POLYGON(({minx} {miny}, {maxx} {miny}, {maxx} {maxy}, {minx} {maxy}, {minx} {miny}))"
        return None

    def to_json(self) -> dict[str, Any]:
        known = next((p for p in PURPOSES.values() if p.iri == self.purpose), None)
        label = {lang: known.label(lang) if known else purpose_label(self.purpose, lang) for lang in _LANGS}
        return {"purpose": self.purpose, "purpose_label": label, "territory": self.area}


def parse_purpose(value: str | None) -> str:
    """The purpose IRI of a declared purpose: a name of the JNT vocabulary (`flood-risk-simulation`), its IRI, or a
    DPV purpose IRI. Raises `QueryError` naming the accepted values."""
    names = ", ".join(sorted(PURPOSES))
    if value is None or not value.strip():
        raise QueryError("purpose", "required", f"finalité obligatoire ; finalités connues : {names}",
                         f"a purpose is required; known purposes: {names}")
    try:
        iri = purpose_iri(value)
    except UnknownPurpose:
        iri = None
    if iri is None or not (iri.startswith(PURPOSE_NS) or iri.startswith(DPV)):
        raise QueryError("purpose", "unknown-value",
                         f"finalité « {value} » inconnue ; attendu : {names}, leur IRI ({PURPOSE_NS}…) ou une IRI "
                         f"de finalité DPV (dpv:ResearchAndDevelopment)",
                         f"unknown purpose '{value}'; expected: {names}, their IRI ({PURPOSE_NS}…) or a DPV purpose "
                         f"IRI (dpv:ResearchAndDevelopment)", value)
    return iri


def declaration_of(query: DatasetQuery, purpose: str) -> Declaration:
    """The declaration that goes with a search: its territory, or else its bbox."""
    territory = get_territory(query.territory) if query.territory else None
    return Declaration(purpose, territory, None if territory is not None else query.bbox)


def parse_declaration(params: Mapping[str, str], registry: Registry, *, allowed: Iterable[str] = ()) -> Declaration:
    """`purpose` and an optional `territory` or `bbox` from query parameters (the others must be in `allowed`)."""
    extra = set(params) - {"purpose", "territory", "bbox", *allowed}
    if extra:
        name = sorted(extra)[0]
        accepted = ", ".join(["purpose", "territory", "bbox", *allowed])
        raise QueryError(name, "unknown-parameter", f"paramètre inconnu ; paramètres acceptés : {accepted}",
                         f"unknown parameter; accepted: {accepted}")
    purpose = parse_purpose(params.get("purpose"))
    query = parse_query({k: params[k] for k in ("territory", "bbox") if k in params}, registry)
    return declaration_of(query, purpose)


# -- decisions ------------------------------------------------------------------------------------------------------


class _PolicyCache:
    """Compiled offers, keyed on the offer's JSON: an offer is compiled once however many times it is evaluated."""

    def __init__(self, size: int = _COMPILED_CACHE) -> None:
        self._items: OrderedDict[str, CompiledPolicy | PolicyError] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, offer: ParsedOffer) -> CompiledPolicy:
        # Compiled as the provider compiles its stored offer: the published JSON, without a target (the request
        # names the dataset), so the explanations read the same on both sides.
        doc = {"@context": list(dsp_terms.CONTEXT), **{k: v for k, v in offer.raw.items() if k != "target"}}
        key = json.dumps(doc, sort_keys=True, ensure_ascii=False)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
        if found is None:
            try:
                found = compile_policy(parse_policy(doc))
            except PolicyError as exc:
                found = exc
            with self._lock:
                self._items[key] = found
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        if isinstance(found, PolicyError):
            raise found
        return found


_POLICIES = _PolicyCache()


def duty_view(duty: DutyResult) -> dict[str, Any]:
    """A duty the consumer takes on: its action, labels, conditions, and when it falls due (`due_at`: a date;
    `due_after`: a duration from the agreement)."""
    action = duty.duty.action.iri if duty.duty.action else None
    out: dict[str, Any] = {
        "action": short(action) if action else None,
        "iri": action,
        "label": {lang: action_words(action, lang) for lang in _LANGS},
        "text": {lang: duty_text(duty, lang) for lang in _LANGS},
        "conditions": {lang: [condition_text(c.compiled, lang) for c in duty.constraints if c.compiled is not None]
                       for lang in _LANGS},
        "state": duty.state,
    }
    for result in duty.constraints:
        compiled = result.compiled
        if compiled is None or not hasattr(compiled, "rights") or not compiled.constraint.right_operand:
            continue
        operand = compiled.constraint.left_operand
        lexical = getattr(compiled.constraint.right_operand[0], "lexical", None)
        if operand == ODRL + "dateTime" and lexical:
            out["due_at"] = lexical
        elif operand == ODRL + "elapsedTime" and lexical:
            out["due_after"] = lexical
    return out


@dataclass
class OfferDecision:
    """One offer of one dataset, decided for a requester and a declaration."""

    offer: ParsedOffer
    decision: str  # obtainable | obtainable-with-duties | not-obtainable
    outcome: str  # the engine's: permit | deny | not-applicable | invalid-offer | invalid-request
    explanation: dict[str, str]  # the summary line
    details: dict[str, list[str]]  # every line of the engine's explanation
    duties: list[dict[str, Any]] = field(default_factory=list)
    identity_dependent: bool = False  # refused only because of who asks (or because that is unknown)

    @property
    def obtainable(self) -> bool:
        return self.decision != NOT_OBTAINABLE

    def to_json(self) -> dict[str, Any]:
        return {"offer": self.offer.id, "decision": self.decision, "outcome": self.outcome,
                "duties": self.duties, "explanation": self.explanation, "details": self.details,
                "identity_dependent": self.identity_dependent}


def _refusal(offer: ParsedOffer, outcome: str, fr: str, en: str) -> OfferDecision:
    return OfferDecision(offer, NOT_OBTAINABLE, outcome, {"fr": fr, "en": en}, {"fr": [fr], "en": [en]})


def _from_decision(offer: ParsedOffer, decision: Decision) -> OfferDecision:
    details = {lang: decision.explain(lang) for lang in _LANGS}
    if not decision.permitted:
        return OfferDecision(offer, NOT_OBTAINABLE, decision.outcome, {lang: details[lang][0] for lang in _LANGS},
                             details, identity_dependent=refused_for_identity(decision))
    duties = [duty_view(d) for d in decision.duties]
    return OfferDecision(offer, WITH_DUTIES if duties else OBTAINABLE, decision.outcome,
                         {lang: details[lang][0] for lang in _LANGS}, details, duties)


def decide_offer(offer: ParsedOffer, requester: Requester | None, declaration: Declaration, *,
                 now: datetime | None = None) -> OfferDecision:
    """The provider's decision on a contract request for `offer` by `requester` with `declaration`."""
    try:
        policy = _POLICIES.get(offer)
    except PolicyError as exc:
        return _refusal(offer, "invalid-offer", f"refusé : l'offre publiée n'est pas une politique valide ({exc})",
                        f"denied: the published offer is not a valid policy ({exc})")
    try:
        request = negotiation_request(requester, offer.dataset_id, purpose=declaration.purpose,
                                      territory=declaration.area)
    except PolicyError as exc:  # cannot happen with a checked declaration; said, never raised
        return _refusal(offer, "invalid-request", f"refusé : demande illisible ({exc})",
                        f"denied: unreadable request ({exc})")
    return _from_decision(offer, negotiation_decision(policy, request, now=now))


def decide_offers(offers: Sequence[ParsedOffer], requester: Requester | None, declaration: Declaration, *,
                  now: datetime | None = None) -> list[OfferDecision]:
    return [decide_offer(offer, requester, declaration, now=now) for offer in offers]


def best_decision(decisions: Sequence[OfferDecision]) -> OfferDecision | None:
    """The offer to ask for: obtainable first, then the fewest duties (the first published breaks ties)."""
    if not decisions:
        return None
    return min(enumerate(decisions), key=lambda item: (not item[1].obtainable, len(item[1].duties), item[0]))[1]


# -- views ----------------------------------------------------------------------------------------------------------


def caller_view(requester: Requester | None) -> dict[str, Any]:
    """Who the decisions are for, and for an anonymous caller what that means."""
    if requester is None or requester.anonymous:
        return {"anonymous": True, "did": None, "category": None, "note": {
            "fr": "aucun jeton présenté : décisions évaluées pour un participant inconnu (ni DID ni catégorie) ; les "
                  "offres qui dépendent de qui demande sont refusées ici (identity_dependent) — présentez un jeton "
                  "d'identité (audience : le DID du catalogue) pour connaître vos propres décisions",
            "en": "no token given: decisions evaluated for an unknown participant (no DID, no category); offers that "
                  "depend on who asks are refused here (identity_dependent) — present an identity token (audience: "
                  "the catalogue's DID) to learn your own decisions"}}
    return {"anonymous": False, "did": requester.did, "category": requester.category, "name": requester.name,
            "kind": requester.kind}


def summarise(decisions: Sequence[OfferDecision]) -> str:
    """A dataset's decision: its best offer's (not-obtainable when it has no offer)."""
    best = best_decision(decisions)
    return best.decision if best is not None else NOT_OBTAINABLE


def dataset_eligibility(record: DatasetRecord, decisions: Sequence[OfferDecision], *,
                        prefix: str = "/api/datasets/") -> dict[str, Any]:
    """One dataset's eligibility: its decision (the best offer's) and each offer's, with the offer as published."""
    best = best_decision(decisions)
    return {
        "id": record.record_id, "dataset_id": record.dataset_id, "title": record.values.get("title"),
        "provider": {"did": record.provider.did, "name": record.provider.name,
                     "category": record.provider.category or record.values.get("category"),
                     "dsp": record.provider.address, "stale": record.provider.stale},
        "decision": summarise(decisions),
        "best_offer": best.offer.id if best is not None and best.obtainable else None,
        "offers": [{**d.to_json(), "policy": d.offer.raw} for d in decisions],
        "links": {"self": record_path(record, prefix)},
    }


__all__ = ["DECISIONS", "NOT_OBTAINABLE", "OBTAINABLE", "WITH_DUTIES", "Declaration", "OfferDecision",
           "best_decision", "caller_view", "dataset_eligibility", "decide_offer", "decide_offers", "declaration_of",
           "duty_view", "parse_declaration", "parse_purpose", "summarise"]
