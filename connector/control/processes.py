"""What negotiations and transfers have in common: receiving a message (lookup scoped to the caller, idempotency,
state machine, reaction, one transaction), and the life of an outgoing message (built from the persisted intent,
acknowledged, retried or given up).

Ordering rule: a message that the state machine refuses in the persisted state but accepts in the state our pending
intent would reach proves that the counterparty received our message before its acknowledgement was committed here
(the peer answered faster than we recorded its 2xx): the intent is taken as delivered and the message applied. The
sending worker then finds the process changed and drops its now-stale update."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connector.dsp.states import InvalidTransition, NegotiationIntent, TransferIntent, is_terminal
from connector.identity.tokens import VerifiedClaims
from connector.store import ConcurrentUpdate, message_digest
from connector.store.schema import Agreement

from .errors import ProtocolError, bad_request, not_found

if TYPE_CHECKING:
    from .plane import ControlPlane

log = logging.getLogger("jnt.control")
INITIAL = "INITIAL"  # stored state of a process whose first message is not acknowledged yet
_ATTEMPTS = 6


@dataclass
class Plan:
    """What a reaction decided: the next intent (or none), when, and what to store with it."""

    intent: str | None = None
    delay: float = 0.0
    changes: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    agreement: Agreement | None = None


def other_role(role: str) -> str:
    return "consumer" if role == "provider" else "provider"


def claims_snapshot(claims: VerifiedClaims) -> dict[str, Any]:
    return {"did": claims.did, "name": claims.name, "category": claims.category, "kind": claims.kind,
            "authenticated": claims.authenticated}


class ProcessProtocol:
    kind: str  # negotiation | transfer
    intents: type[NegotiationIntent] | type[TransferIntent]
    fr_name: str
    en_name: str

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.store = plane.store

    # -- to be provided by the protocol ---------------------------------------------------------------------------
    def next_state(self, current: str | None, message: str, sender: str, doc: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def reactions(self, role: str, event: str, process: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def act(self, process: Any, action: str, claims: VerifiedClaims | None, context: dict[str, Any]) -> Plan:
        raise NotImplementedError

    def outgoing(self, process: Any) -> tuple[str, dict[str, Any]] | None:
        raise NotImplementedError

    def on_ack(self, process: Any, body: Any) -> dict[str, Any]:
        return {}

    def error_body(self, error: ProtocolError) -> dict[str, Any]:
        raise NotImplementedError

    def state_body(self, process: Any) -> dict[str, Any]:
        raise NotImplementedError

    # -- lookups --------------------------------------------------------------------------------------------------
    def scope(self, claims: VerifiedClaims) -> str | None:
        """The DID a lookup is restricted to: the verified caller's; none when identities are not verified (TCK and
        development modes, where every caller has the same placeholder identity)."""
        return claims.did if self.plane.verify_identities else None

    def find(self, pid: str, claims: VerifiedClaims, roles: tuple[str, ...] = ("provider", "consumer")) -> Any:
        for role in roles:
            process = self.store.get_by_pid(self.kind, role, pid, self.scope(claims))
            if process is not None:
                return process
        raise not_found(self.fr_name + " inconnu(e)", "unknown " + self.en_name, pid)

    @staticmethod
    def protocol_state(process: Any) -> str | None:
        return None if process.state == INITIAL else process.state

    # -- planning -------------------------------------------------------------------------------------------------
    def plan_event(self, process: Any, event: str, claims: VerifiedClaims | None, context: dict[str, Any],
                   state: str | None) -> Plan:
        """The plan after ``event``: the next link of a pending chain, or the reaction to the event."""
        if state is not None and is_terminal(self._state_enum(state)):
            context.pop("then", None)
            return Plan(context=context)
        chain = list(context.get("then") or [])
        if event.startswith("sent:") and chain:
            action, rest = chain[0], chain[1:]
            delay = self.plane.chain_delay
        else:
            actions = list(self.reactions(process.role, event, process))
            if not actions:
                return Plan(context=context)
            action, rest = actions[0], actions[1:]
            delay = self.plane.chain_delay if event.startswith("sent:") else 0.0
        context["then"] = rest
        if not rest:
            context.pop("then")
        plan = self.act(process, action, claims, context)
        plan.delay = max(plan.delay, delay)
        plan.context = context
        return plan

    def _state_enum(self, state: str) -> Any:
        from connector.dsp.states import NegotiationState, TransferState

        return (NegotiationState if self.kind == "negotiation" else TransferState)(state)

    # -- incoming -------------------------------------------------------------------------------------------------
    def receive(self, claims: VerifiedClaims, pid: str, message: str, doc: Mapping[str, Any], event: str, *,
                roles: tuple[str, ...] = ("provider", "consumer"),
                extra: Callable[[Any, Mapping[str, Any]], dict[str, Any]] | None = None) -> Any:
        """Apply a message about an existing process; the updated process (committed) is returned."""
        key = doc["@id"] if isinstance(doc.get("@id"), str) else message_digest(doc)
        for _ in range(_ATTEMPTS):
            process = self.find(pid, claims, roles)
            self._check_pids(process, pid, doc)
            if self.store.seen(self.kind, process.id, key):
                return process
            sender = other_role(process.role)
            current = self.protocol_state(process)
            try:
                state = self.next_state(current, message, sender, doc)
            except InvalidTransition as exc:
                state = self._via_pending_intent(process, message, sender, doc)
                if state is None:
                    refusal = self._from_reached_state(process, message, sender, doc, exc) if current is None else exc
                    raise bad_request("invalid-transition", refusal.describe("fr"), refusal.describe("en"),
                                      **self._pids(process, doc)) from None
            changes = dict(extra(process, doc)) if extra else {}
            context = dict(process.context or {})
            context.pop("then", None) if is_terminal(self._state_enum(state)) else None
            plan = self.plan_event(process, event, claims, context, state)
            changes.update(plan.changes)
            try:
                updated = self.store.apply(
                    self.kind, process.id, process.version, message_key=key, message_type=message,
                    agreement=plan.agreement, state=state, intent=plan.intent,
                    next_attempt_at=self._due(plan) if plan.intent else None, retry_count=0,
                    context=plan.context or None, **changes)
            except ConcurrentUpdate:
                continue
            if updated is None:  # the same message, processed meanwhile
                return self.store.get(self.kind, process.id)
            self.committed(updated, current, plan)
            log.info("%s %s: %s received, now %s%s", self.kind, process.id, message, state,
                     f" (next: {plan.intent})" if plan.intent else "",
                     extra={"process_id": process.id, "counterparty": process.counterparty_did})
            return updated
        raise ProtocolError(409, "busy", ["processus modifié en parallèle, réessayer",
                                          "process changed concurrently, retry"], **self._pids_or_none(pid))

    def _via_pending_intent(self, process: Any, message: str, sender: str, doc: Mapping[str, Any]) -> str | None:
        if not process.intent:
            return None
        reached = self.intents(process.intent).reached.value
        try:
            return self.next_state(reached, message, sender, doc)
        except InvalidTransition:
            return None

    def _check_pids(self, process: Any, pid: str, doc: Mapping[str, Any]) -> None:
        own_key = "providerPid" if process.role == "provider" else "consumerPid"
        other_key = "consumerPid" if process.role == "provider" else "providerPid"
        other_pid = process.consumer_pid if process.role == "provider" else process.provider_pid
        if doc.get(own_key) not in (None, pid):
            raise bad_request("pid-mismatch", f"{own_key} du message ({doc.get(own_key)}) différent de l'URL ({pid})",
                              f"{own_key} in the message ({doc.get(own_key)}) differs from the URL ({pid})",
                              **self._pids(process))
        if other_pid is not None and doc.get(other_key) not in (None, other_pid):
            raise bad_request("pid-mismatch", f"{other_key} inattendu : {doc.get(other_key)}",
                              f"unexpected {other_key}: {doc.get(other_key)}", **self._pids(process))

    def _from_reached_state(self, process: Any, message: str, sender: str, doc: Mapping[str, Any],
                            refusal: InvalidTransition) -> InvalidTransition:
        """The refusal of a message about a process whose first message is not acknowledged yet: the sender knows
        our pid, so it has received that message; the refusal names the state that message reached, not "none"."""
        if not process.intent:
            return refusal
        try:
            self.next_state(self.intents(process.intent).reached.value, message, sender, doc)
        except InvalidTransition as exc:
            return exc
        return refusal

    @staticmethod
    def _pids(process: Any, doc: Mapping[str, Any] | None = None) -> dict[str, str | None]:
        """The pids for an error body; those we have not learnt yet (our first message's acknowledgement is not
        processed) are taken from the refused message."""
        doc = doc or {}
        return {"provider_pid": process.provider_pid or doc.get("providerPid"),
                "consumer_pid": process.consumer_pid or doc.get("consumerPid")}

    @staticmethod
    def _pids_or_none(pid: str) -> dict[str, str | None]:
        return {}

    def _due(self, plan: Plan) -> datetime:
        from datetime import timedelta

        return self.store.clock() + timedelta(seconds=plan.delay)

    def committed(self, process: Any, previous: str | None, plan: Any) -> None:
        """Called once a transition is committed (`previous`: the protocol state before it): subclasses record
        contract events in the audit log. Never raises: the transition is already acknowledged."""

    # -- outgoing -------------------------------------------------------------------------------------------------
    def delivered(self, process: Any, body: Any, owner: str | None = None) -> bool:
        """Our message was acknowledged: commit the state it reaches and plan what follows. With `owner` (the
        dispatcher holding the lease), the lease is given back in the same transaction; True if it was."""
        intent = self.intents(process.intent)
        state = intent.reached.value
        for _ in range(_ATTEMPTS):
            changes = self.on_ack(process, body)
            context = dict(process.context or {})
            merged = _with(process, changes)
            plan = self.plan_event(merged, f"sent:{state}", None, context, state)
            changes.update(plan.changes)
            try:
                updated = self.store.apply(
                    self.kind, process.id, process.version, agreement=plan.agreement, state=state,
                    intent=plan.intent, next_attempt_at=self._due(plan) if plan.intent else None,
                    retry_count=0, error_detail=None, context=plan.context or None, release_lease=owner, **changes)
                if updated is not None:
                    self.committed(updated, self.protocol_state(process), plan)
                log.info("%s %s: %s acknowledged, now %s%s", self.kind, process.id, intent.message, state,
                         f" (next: {plan.intent})" if plan.intent else "",
                         extra={"process_id": process.id, "counterparty": process.counterparty_did})
                return updated is not None and owner is not None
            except ConcurrentUpdate:
                fresh = self.store.get(self.kind, process.id)
                if fresh is None or fresh.intent != process.intent or fresh.state != process.state:
                    return False  # an incoming message already moved the process on
                process = fresh

    def give_up(self, process: Any, reason: str) -> None:
        """A delivery failed for good: terminate (tell the counterparty if we still can)."""
        terminating = self.intents("TERMINATING")
        for _ in range(_ATTEMPTS):
            context = dict(process.context or {})
            context.pop("then", None)
            try:
                if process.intent == terminating.value or self._other_pid(process) is None:
                    ended = self.store.apply(self.kind, process.id, process.version, state="TERMINATED",
                                             intent=None, next_attempt_at=None, error_detail=reason,
                                             context=context or None)
                    if ended is not None:
                        self.committed(ended, self.protocol_state(process), Plan())
                else:
                    context["reason"] = [f"échec d'envoi : {reason}", f"delivery failed: {reason}"]
                    context["code"] = "delivery-failed"
                    self.store.apply(self.kind, process.id, process.version, intent=terminating.value,
                                     next_attempt_at=self.store.clock(), retry_count=0, error_detail=reason,
                                     context=context)
                log.warning("%s %s: delivery of %s failed (%s)", self.kind, process.id, process.intent, reason,
                            extra={"process_id": process.id, "counterparty": process.counterparty_did})
                return
            except ConcurrentUpdate:
                fresh = self.store.get(self.kind, process.id)
                if fresh is None or fresh.intent != process.intent:
                    return
                process = fresh

    @staticmethod
    def _other_pid(process: Any) -> str | None:
        return process.consumer_pid if process.role == "provider" else process.provider_pid

    def terminate(self, process: Any, reasons: list[str], code: str = "terminated") -> Any:
        """Operator's termination (management API)."""
        if is_terminal(self._state_enum(process.state)) if process.state != INITIAL else False:
            raise ProtocolError(409, "terminal", [f"{self.fr_name} déjà terminé(e) ({process.state})",
                                                  f"{self.en_name} already ended ({process.state})"])
        context = dict(process.context or {})
        context.pop("then", None)
        context.update(reason=reasons, code=code)
        if self._other_pid(process) is None and process.state == INITIAL:
            ended = self.store.apply(self.kind, process.id, process.version, state="TERMINATED", intent=None,
                                     next_attempt_at=None, context=context, error_detail="; ".join(reasons))
            if ended is not None:
                self.committed(ended, None, Plan())
            return ended
        return self.store.apply(self.kind, process.id, process.version, intent="TERMINATING",
                                next_attempt_at=self.store.clock(), retry_count=0, context=context)


def _with(process: Any, changes: Mapping[str, Any]) -> Any:
    """A detached copy of the row with `changes` applied (what the reaction should see)."""
    if not changes:
        return process
    clone = type(process)(**{c.key: getattr(process, c.key) for c in type(process).__table__.columns})
    for key, value in changes.items():
        setattr(clone, key, value)
    return clone


def utc_now() -> datetime:
    return datetime.now(UTC)
