"""Enforcement at every data-plane request: the agreement is evaluated again, now, for this access.

A request is served only if: the token is the provider's, current, and bound to this transfer; the transfer is
STARTED (suspension, termination or completion stop access at once); the agreement still permits the use — its
time window and elapsed time, its use count (recorded atomically), its purpose and recipient conditions as
verified at negotiation, its territory. The territory becomes an area to clip vector data to, or a condition on
the area a raster request names. Every decision, permit or refusal, goes to the audit log with its explanation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select

from connector.store.schema import Transfer
from policies import (
    CompiledPolicy,
    PolicyError,
    Request,
    World,
    compile_policy,
    parse_policy,
    request_from_json,
)
from policies.request import Area

from .edr import Binding, EdrClaims, EdrError, EdrService
from .usage import UsageCounter

log = logging.getLogger(__name__)

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
STARTED = "STARTED"
STARTING = "STARTING"


def is_started(transfer: Any) -> bool:
    """The provider has started (or resumed) the transfer: STARTED, or its start message is on its way — the
    consumer holds the start message (and its token) as soon as it is acknowledged, a moment before the provider
    commits STARTED on that acknowledgement; refusing (and revoking) in that moment would break every fast
    consumer."""
    return transfer.state == STARTED or (transfer.intent == STARTING and transfer.state in ("REQUESTED",
                                                                                               "SUSPENDED"))


def _permit_explanation(decision: Any) -> dict[str, list[str]]:
    """A permit's explanation for the audit log, from the decision's results (the full line-by-line explanation
    is kept for refusals, where the reason matters; this keeps a permit under a millisecond)."""
    rules = [r for r in decision.rules if r.matched and r.active and r.rule.kind.value == "permission"]
    satisfied = sum(1 for r in rules for c in r.constraints if c.satisfied)
    actions = ", ".join(sorted({r.rule.action.iri.rsplit("/", 1)[-1] for r in rules if r.rule.action})) or "use"
    return {"fr": [f"permis : permission « {actions} » active, {satisfied} contrainte(s) satisfaite(s)"],
            "en": [f"permitted: permission '{actions}' active, {satisfied} constraint(s) satisfied"]}


_TRANSFER = select(Transfer.id, Transfer.role, Transfer.state, Transfer.intent, Transfer.provider_pid,
                   Transfer.consumer_pid,
                   Transfer.counterparty_did, Transfer.agreement_id, Transfer.format, Transfer.context).where(
    Transfer.role == "provider", Transfer.provider_pid == bindparam("pid"),
    Transfer.counterparty_did == bindparam("did"))


class AccessDenied(Exception):
    def __init__(self, status: int, code: str, fr: str | list[str], en: str | list[str]) -> None:
        self.status, self.code = status, code
        self.fr = fr if isinstance(fr, list) else [fr]
        self.en = en if isinstance(en, list) else [en]
        super().__init__(f"{code}: {'; '.join(self.en)}")


@dataclass
class Access:
    """A permitted access: what it is about, and the area the data must be restricted to (None: no restriction)."""

    claims: EdrClaims | None  # the bearer token's claims; None for a push (the provider delivers on its own)
    transfer: Any
    agreement: Any
    dataset_id: str
    area: Area | None
    uses: int  # this access's rank in the agreement's uses
    explanation: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Compiled:
    policy: CompiledPolicy
    request: dict[str, Any]  # the negotiated request facts: assignee, category, purpose, territory
    base: Request | None = None  # those facts as a policy request (no area)
    permitted_area: Area | None = None  # the territory the agreement allows (None: no restriction)


class Enforcer:
    def __init__(self, store: Any, edr: EdrService, usage: UsageCounter, *, audit: Any | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.edr, self.usage, self.audit, self.clock = store, edr, usage, audit, clock
        self._compiled: dict[str, _Compiled] = {}
        self._agreements: dict[str, Any] = {}  # agreements never change once stored

    def binding_of(self, transfer_id: str) -> Binding | None:
        """What a STARTED transfer's tokens are bound to (for a refresh); None if it is not STARTED."""
        transfer = self.store.get("transfer", transfer_id)
        if transfer is None or not is_started(transfer) or transfer.role != "provider":
            return None
        agreement = self.store.get_agreement(transfer.agreement_id)
        return Binding(transfer.provider_pid, transfer.agreement_id, transfer.counterparty_did,
                       agreement.target if agreement is not None else None)

    # -- the decision ----------------------------------------------------------------------------------------------
    def authorise(self, token: str | None, transfer_pid: str, *, requested: Area | None = None,
                  raster: bool = False, count: bool = True, verified: EdrClaims | None = None) -> Access:
        """Decide one access to transfer `transfer_pid` with bearer `token`; AccessDenied (audited) if refused."""
        claims: EdrClaims | None = None
        transfer = agreement = None
        try:
            if not token:
                raise AccessDenied(401, "missing-token", "jeton d'accès (Authorization: Bearer) requis",
                                   "an access token (Authorization: Bearer) is required")
            try:
                claims = verified or self.edr.verify(token)  # `verified`: this token's claims, checked already
            except EdrError as exc:
                raise AccessDenied(exc.status, exc.code, exc.fr, exc.en) from None
            if claims.transfer != transfer_pid:
                raise AccessDenied(403, "wrong-transfer", "ce jeton est lié à un autre transfert",
                                   "this token is bound to another transfer")
            transfer = self._transfer(transfer_pid, claims.consumer)
            if transfer is None or transfer.agreement_id != claims.agreement:
                raise AccessDenied(403, "wrong-transfer", "transfert inconnu pour ce jeton",
                                   "unknown transfer for this token")
            if not is_started(transfer):
                self.edr.revoke(transfer.id)
                raise AccessDenied(403, "transfer-not-started",
                                   f"accès révoqué : le transfert est {transfer.state}",
                                   f"access revoked: the transfer is {transfer.state}")
            if not self.edr.first_use(claims.jti):
                raise AccessDenied(401, "token-retired", "jeton retiré : un jeton plus récent est en service",
                                   "token retired: a newer token is in use")
            agreement = self._agreement(claims.agreement)
            if agreement is None or (claims.dataset and agreement.target != claims.dataset):
                raise AccessDenied(403, "wrong-dataset", "le jeton ne donne pas accès à ce jeu de données",
                                   "the token does not give access to this dataset")
            access = self._decide(claims, transfer, agreement, requested, raster, count)
        except AccessDenied as denied:
            self._audit("data.refused", claims.consumer if claims else None, claims.agreement if claims else None,
                        transfer, agreement, "deny", denied.fr, denied.en,
                        {"code": denied.code, "status": denied.status})
            raise
        self._audit("data.access", claims.consumer, claims.agreement, transfer, agreement, "permit",
                    access.explanation["fr"], access.explanation["en"], {"use": access.uses})
        return access

    def authorise_push(self, transfer_id: str, *, use: int | None = None, raster: bool = False) -> Access:
        """Decide one push of provider transfer `transfer_id` (our process id): the transfer is STARTED and the
        agreement, evaluated now, permits the use. `use`: the rank this push already counted — a retry is
        evaluated again but not counted twice. The decision is audited (`channel: push`), as for a pull."""
        transfer = agreement = None
        try:
            transfer = self.store.get("transfer", transfer_id)
            if transfer is None or transfer.role != "provider":
                raise AccessDenied(404, "unknown-transfer", f"transfert inconnu : {transfer_id}",
                                   f"unknown transfer: {transfer_id}")
            if not is_started(transfer):
                raise AccessDenied(409, "transfer-not-started", f"le transfert est {transfer.state}",
                                   f"the transfer is {transfer.state}")
            agreement = self.store.get_agreement(transfer.agreement_id)
            if agreement is None:
                raise AccessDenied(403, "unknown-agreement", "accord du transfert introuvable",
                                   "the transfer's agreement is missing")
            access = self._decide(None, transfer, agreement, None, raster, count=use is None, already=use)
        except AccessDenied as denied:
            self._audit("data.refused", transfer.counterparty_did if transfer else None,
                        transfer.agreement_id if transfer else None, transfer, agreement, "deny", denied.fr,
                        denied.en, {"code": denied.code, "status": denied.status, "channel": "push"})
            raise
        self._audit("data.access", transfer.counterparty_did, transfer.agreement_id, transfer, agreement, "permit",
                    access.explanation["fr"], access.explanation["en"], {"use": access.uses, "channel": "push"})
        return access

    def recheck(self, access: Access) -> None:
        """The periodic check of a long delivery (a feed, a push): the transfer is still STARTED and the agreement,
        evaluated now for the same use (not counted again), still permits it; else AccessDenied. A policy refusal
        is audited — it ends a delivery the consumer was receiving; a transfer that left STARTED is already in the
        log as a transfer event."""
        transfer = self.store.get("transfer", access.transfer.id)
        if transfer is None or not is_started(transfer):
            state = transfer.state if transfer is not None else "?"
            raise AccessDenied(403, "transfer-not-started", f"le transfert est {state}", f"the transfer is {state}")
        try:
            self._decide(access.claims, transfer, access.agreement, None, False, count=False, already=access.uses)
        except AccessDenied as denied:
            self._audit("data.refused", transfer.counterparty_did, transfer.agreement_id, transfer,
                        access.agreement, "deny", denied.fr, denied.en,
                        {"code": denied.code, "status": denied.status, "during": "delivery"})
            raise

    def _decide(self, claims: EdrClaims | None, transfer: Any, agreement: Any, requested: Area | None,
                raster: bool, count: bool, already: int | None = None) -> Access:
        compiled = self._policy(agreement)
        base, permitted_area = compiled.base, compiled.permitted_area
        if raster and permitted_area is not None and requested is None:
            raise AccessDenied(400, "area-required",
                               f"l'accord limite l'accès à {permitted_area.label} : précisez l'emprise (bbox)",
                               f"the agreement limits access to {permitted_area.label}: give the area (bbox)")
        area = requested if requested is not None else permitted_area
        if requested is not None and permitted_area is not None and not raster:
            # Vector data: a request beyond the territory is served clipped to it.
            area = Area(requested.geometry.intersection(permitted_area.geometry),
                        f"{requested.label} ∩ {permitted_area.label}")
            if area.geometry.is_empty:
                raise AccessDenied(403, "outside-territory",
                                   f"l'emprise demandée est hors du territoire permis ({permitted_area.label})",
                                   f"the requested area is outside the permitted territory ({permitted_area.label})")
        # A clipped vector request is decided on the territory itself: the intersection lies inside it by
        # construction, but its computed boundary may stray from the territory's by a rounding error.
        decided = permitted_area if (requested is not None and permitted_area is not None and not raster) else area
        request = Request(action=base.action, target=base.target, assignee=base.assignee, purpose=base.purpose,
                          category=base.category, industry=base.industry, area=decided, extra=base.extra)
        if already is not None:  # a use counted before: evaluated again, now, as that same use
            decision = compiled.policy.decide(request, self._world(agreement, already - 1))
            if not decision.permitted:
                raise AccessDenied(403, "policy-refused", decision.explain("fr"), decision.explain("en"))
            return Access(claims, transfer, agreement, agreement.target, area if permitted_area else None,
                          already, _permit_explanation(decision))
        def decide(seen: int) -> Any:
            decision = compiled.policy.decide(request, self._world(agreement, seen))
            if not decision.permitted:
                raise AccessDenied(403, "policy-refused", decision.explain("fr"), decision.explain("en"))
            return decision

        if count:  # the use is counted and decided in one transaction: a refusal rolls the count back
            seen, decision = self.usage.use(agreement.id, decide)
        else:
            seen = self.usage.current(agreement.id)
            decision = decide(seen)
        return Access(claims, transfer, agreement, agreement.target, area if permitted_area else None, seen + 1,
                      _permit_explanation(decision))

    def _transfer(self, provider_pid: str, consumer_did: str) -> Any:
        """Our provider transfer `provider_pid` with consumer `consumer_did`: a plain read of what the decision
        needs (the hot path of every request; an ORM session costs several times more)."""
        with self.store.engine.connect() as connection:
            return connection.execute(_TRANSFER, {"pid": provider_pid, "did": consumer_did}).one_or_none()

    def _agreement(self, agreement_id: str) -> Any:
        agreement = self._agreements.get(agreement_id)
        if agreement is None:
            agreement = self.store.get_agreement(agreement_id)
            if agreement is not None:
                self._agreements[agreement_id] = agreement
        return agreement

    def _world(self, agreement: Any, seen: int) -> World:
        return World(now=self.clock(), agreement_start=agreement.timestamp, count=seen)

    def _policy(self, agreement: Any) -> _Compiled:
        cached = self._compiled.get(agreement.id)
        if cached is not None:
            return cached
        policy = dict(agreement.policy)
        policy.setdefault("@context", [DSP_CONTEXT])
        try:
            compiled = compile_policy(parse_policy(policy))
        except PolicyError as exc:  # an agreement we stored ourselves: should never happen
            raise AccessDenied(500, "agreement-unreadable", f"accord illisible : {exc}",
                               f"unreadable agreement: {exc}") from None
        negotiation = self.store.get("negotiation", agreement.negotiation_id)
        context = (negotiation.context or {}) if negotiation is not None else {}
        snapshot = context.get("claims") or {}
        facts = {"assignee": agreement.consumer_did, "target": agreement.target,
                 "category": snapshot.get("category"), "purpose": context.get("purpose"),
                 "territory": context.get("territory")}
        base = request_from_json({k: v for k, v in facts.items() if v is not None and k != "territory"})
        # Which permissions match (action, target, assignee) does not depend on time or count: computed once.
        entry = _Compiled(compiled, facts, base, compiled.permitted_area(base, self._world(agreement, 0)))
        self._compiled[agreement.id] = entry
        return entry

    def _audit(self, event: str, actor: str | None, agreement_id: str | None, transfer: Any, agreement: Any,
               decision: str, fr: list[str], en: list[str], details: dict[str, Any]) -> None:
        if self.audit is None:
            return
        try:
            self.audit.append(event, actor=actor,
                              agreement_id=agreement.id if agreement is not None else agreement_id,
                              transfer_id=transfer.id if transfer is not None else None,
                              dataset_id=agreement.target if agreement is not None else None, decision=decision,
                              explanation=("\n".join(fr), "\n".join(en)), details=details)
        except Exception:  # an audit failure must be visible, not silent
            log.exception("audit log append failed for %s", event)
            raise
