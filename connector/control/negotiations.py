"""The contract negotiation protocol, both roles: initial messages, the provider's decision with the policy engine,
agreements signed by the provider and checked by the consumer, the messages each intent sends."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connector.dsp.states import NegotiationIntent, NegotiationState, next_negotiation_state
from connector.identity.tokens import VerifiedClaims
from connector.store.schema import Agreement, Negotiation
from policies.requester import Requester, negotiation_decision, negotiation_request

from . import messages as m
from .agreements import (
    AgreementError,
    build_agreement,
    check_agreement,
    same_terms,
    sign_agreement,
    verify_signature,
)
from .errors import ProtocolError, bad_request
from .processes import INITIAL, Plan, ProcessProtocol, claims_snapshot

log = logging.getLogger(__name__)

_EVENT_FOR = {
    "ContractRequestMessage": "counter-requested",
    "ContractOfferMessage": "offered",
    "ContractAgreementMessage": "agreed",
    "ContractAgreementVerificationMessage": "verified",
    "ContractNegotiationTerminationMessage": "terminated",
}


def _ref(value: Any) -> Any:
    return value.get("@id") if isinstance(value, Mapping) else value


def _reason_list(doc: Mapping[str, Any]) -> list[str]:
    reasons = doc.get("reason") or []
    reasons = reasons if isinstance(reasons, list) else [reasons]
    out = []
    for reason in reasons:
        if isinstance(reason, Mapping):
            reason = reason.get("@value") or reason.get("en") or reason.get("fr") or str(dict(reason))
        out.append(str(reason))
    return out


class NegotiationProtocol(ProcessProtocol):
    kind = "negotiation"
    intents = NegotiationIntent
    fr_name = "négociation"
    en_name = "negotiation"

    def next_state(self, current: str | None, message: str, sender: str, doc: Mapping[str, Any]) -> str:
        event_type = doc.get("eventType") if message == "ContractNegotiationEventMessage" else None
        return next_negotiation_state(current, message, sender, event_type).value

    def reactions(self, role: str, event: str, process: Any) -> tuple[str, ...]:
        return tuple(self.plane.reactions.negotiation(role, event, process.dataset_id))

    def error_body(self, error: ProtocolError) -> dict[str, Any]:
        return m.negotiation_error(code=error.code, reasons=error.reasons, provider_pid=error.provider_pid,
                                   consumer_pid=error.consumer_pid)

    def state_body(self, process: Negotiation) -> dict[str, Any]:
        return m.contract_negotiation(provider_pid=process.provider_pid or "urn:jnt:unknown",
                                      consumer_pid=process.consumer_pid or "urn:jnt:unknown",
                                      state=self.protocol_state(process) or "REQUESTED")

    # -- incoming: initial messages -------------------------------------------------------------------------------
    def receive_request(self, claims: VerifiedClaims, doc: Mapping[str, Any]) -> Negotiation:
        """A consumer's initial ContractRequestMessage (we are the provider)."""
        consumer_pid = doc["consumerPid"]
        offer = dict(doc["offer"])
        existing = self.store.find_by_counterparty_pid("negotiation", "provider", consumer_pid, self.scope(claims))
        if existing is not None:
            return existing  # a replayed request: same answer
        found = self.plane.datasets.find_offer(offer.get("@id", ""))
        target = _ref(offer.get("target"))
        if found is None or (target is not None and target != found[0].id):
            raise bad_request("unknown-offer",
                              f"offre inconnue : {offer.get('@id')}" + (f" pour {target}" if target else ""),
                              f"unknown offer: {offer.get('@id')}" + (f" for {target}" if target else ""),
                              consumer_pid=consumer_pid)
        dataset, _ = found
        offer.setdefault("target", dataset.id)
        context: dict[str, Any] = {"claims": claims_snapshot(claims)}
        purpose = _ref(doc.get(m.PURPOSE))
        if purpose:
            context["purpose"] = purpose
        if doc.get(m.TERRITORY):
            context["territory"] = _ref(doc.get(m.TERRITORY))
        process = Negotiation(id=str(uuid.uuid4()), role="provider", provider_pid=m.new_pid(), consumer_pid=consumer_pid,
                              counterparty_did=claims.did, counterparty_address=doc["callbackAddress"].rstrip("/"),
                              state=NegotiationState.REQUESTED.value, dataset_id=dataset.id, offer=offer,
                              context=context)
        plan = self.plan_event(process, "requested", claims, context, "REQUESTED")
        fields = {c.key: getattr(process, c.key) for c in Negotiation.__table__.columns
                  if getattr(process, c.key, None) is not None}
        fields.update(plan.changes)
        fields["context"] = plan.context or None
        fields["intent"] = plan.intent
        if plan.intent:
            fields["next_attempt_at"] = self._due(Plan(delay=max(plan.delay, self.plane.first_callback_delay)))
        try:
            created = self.store.create_with("negotiation", agreement=plan.agreement, **fields)
            self.committed(created, None, plan)
            return created
        except Exception as exc:  # a concurrent replay of the same request
            existing = self.store.find_by_counterparty_pid("negotiation", "provider", consumer_pid, self.scope(claims))
            if existing is not None:
                return existing
            raise bad_request("conflict", f"consumerPid déjà utilisé : {consumer_pid}",
                              f"consumerPid already in use: {consumer_pid}", consumer_pid=consumer_pid) from exc

    def receive_initial_offer(self, claims: VerifiedClaims, doc: Mapping[str, Any]) -> Negotiation:
        """A provider-initiated ContractOfferMessage (we are the consumer)."""
        provider_pid = doc["providerPid"]
        existing = self.store.find_by_counterparty_pid("negotiation", "consumer", provider_pid, self.scope(claims))
        if existing is not None:
            return existing
        offer = dict(doc["offer"])
        context = {"claims": claims_snapshot(claims)}
        process = Negotiation(id=str(uuid.uuid4()), role="consumer", provider_pid=provider_pid, consumer_pid=m.new_pid(),
                              counterparty_did=claims.did, counterparty_address=doc["callbackAddress"].rstrip("/"),
                              state="OFFERED", dataset_id=_ref(offer.get("target")), offer=offer, context=context)
        fields = {c.key: getattr(process, c.key) for c in Negotiation.__table__.columns
                  if getattr(process, c.key, None) is not None}
        # No automatic acceptance of an offer nobody asked for: an operator accepts or terminates it.
        return self.store.create_with("negotiation", **fields)

    # -- incoming: follow-up messages ------------------------------------------------------------------------------
    def receive_message(self, claims: VerifiedClaims, pid: str, message: str, doc: Mapping[str, Any]) -> Negotiation:
        if message == "ContractNegotiationEventMessage":
            event = str(doc.get("eventType", "")).lower()
        else:
            event = _EVENT_FOR[message]
        roles = {"ContractRequestMessage": ("provider",), "ContractOfferMessage": ("consumer",),
                 "ContractAgreementMessage": ("consumer",),
                 "ContractAgreementVerificationMessage": ("provider",)}.get(message, ("provider", "consumer"))
        return self.receive(claims, pid, message, doc, event, roles=roles, extra=self._incoming_fields)

    def committed(self, process: Any, previous: str | None, plan: Any) -> None:
        """Contract events in the audit log: an agreement stored (signed as provider, accepted as consumer), a
        negotiation finalized, or terminated with its reason. The plane hears of every change of state (a running
        access plan waits for them)."""
        if process.state != previous:
            self.plane.process_committed(self.kind, process, previous)
        audit = getattr(self.plane, "audit", None)
        if audit is None:
            return
        common = {"actor": process.counterparty_did, "agreement_id": process.agreement_id,
                  "dataset_id": process.dataset_id}
        try:
            if plan.agreement is not None:
                event = "agreement.signed" if process.role == "provider" else "agreement.received"
                audit.append(event, **common, decision="permit", details={"negotiation": process.id})
            if process.state != previous and process.state in ("FINALIZED", "TERMINATED"):
                context = process.context or {}
                decision = context.get("decision") or {}
                reasons = context.get("reason") or []
                if decision.get("fr") and process.state == "TERMINATED":  # our engine's refusal, line by line
                    fr, en = "\n".join(decision["fr"]), "\n".join(decision.get("en") or decision["fr"])
                else:  # a reason as sent or received: [fr, en] or a single text
                    fr = reasons[0] if reasons else None
                    en = reasons[1] if len(reasons) > 1 else fr
                audit.append(f"negotiation.{process.state.lower()}", **common,
                             decision="deny" if process.state == "TERMINATED" else "none",
                             explanation=(fr, en) if fr else None,
                             details={"negotiation": process.id, "role": process.role,
                                      "code": context.get("code")})
        except Exception:  # the transition is committed and acknowledged: report, never undo
            log.exception("negotiation %s: audit append failed", process.id)

    def _incoming_fields(self, process: Negotiation, doc: Mapping[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if process.role == "consumer" and process.provider_pid is None and doc.get("providerPid"):
            changes["provider_pid"] = doc["providerPid"]
        if doc.get("@type") == "ContractRequestMessage":
            offer = dict(doc["offer"])
            offer.setdefault("target", process.dataset_id)
            changes["offer"] = offer
        elif doc.get("@type") == "ContractOfferMessage":
            changes["offer"] = dict(doc["offer"])
        elif doc.get("@type") == "ContractAgreementMessage":
            agreement = dict(doc["agreement"])
            changes["agreement_id"] = agreement.get("@id")
            context = dict(process.context or {})
            context["received_agreement"] = agreement
            if doc.get(m.AGREEMENT_SIGNATURE):
                context["agreement_signature"] = doc[m.AGREEMENT_SIGNATURE]
            process.context = context
        elif doc.get("@type") == "ContractNegotiationTerminationMessage":
            reasons = _reason_list(doc)
            changes["error_detail"] = "; ".join([f"terminated by the counterparty (code {doc.get('code', '-')})",
                                                 *reasons])
            # Kept as sent, for whoever explains the refusal (an access plan's run shows it line by line).
            context = dict(process.context or {})
            context["termination"] = {"code": doc.get("code"), "reason": reasons}
            process.context = context
        return changes

    # -- reactions --------------------------------------------------------------------------------------------------
    def act(self, process: Any, action: str, claims: VerifiedClaims | None, context: dict[str, Any]) -> Plan:
        if action == "decide":
            return self._decide(process, claims, context)
        if action == "offer":
            dataset = self.plane.datasets.get(process.dataset_id) if process.dataset_id else None
            if dataset is not None and dataset.offers:
                offer_id = _ref((process.offer or {}).get("@id"))
                if offer_id not in dataset.offers:
                    offer_id = next(iter(dataset.offers))
                offer = self.plane.datasets.message_offer(dataset.id, offer_id)
            else:
                offer = dict(process.offer or {})
            return Plan(intent=NegotiationIntent.OFFERING.value, changes={"offer": offer})
        if action == "agree":
            return self._agree(process)
        if action == "finalize":
            return Plan(intent=NegotiationIntent.FINALIZING.value)
        if action == "accept":
            return Plan(intent=NegotiationIntent.ACCEPTING.value)
        if action == "verify":
            return self._store_received_agreement(process, context)
        if action == "counter":
            return Plan(intent=NegotiationIntent.REQUESTING.value)
        if action == "check":
            return self._check(process, context)
        if action == "accept-if-same":
            requested = context.get("requested_offer")
            if requested is None or same_terms(process.offer or {}, requested):
                return Plan(intent=NegotiationIntent.ACCEPTING.value)
            return self._terminating(context, "counter-offer-refused",
                                     ["l'offre du fournisseur diffère de l'offre demandée",
                                      "the provider's offer differs from the offer requested"])
        if action == "terminate":
            context.setdefault("code", "terminated")
            return Plan(intent=NegotiationIntent.TERMINATING.value)
        raise ValueError(f"unknown negotiation action {action!r}")

    @staticmethod
    def _terminating(context: dict[str, Any], code: str, reasons: list[str]) -> Plan:
        context["code"], context["reason"] = code, reasons
        return Plan(intent=NegotiationIntent.TERMINATING.value)

    def _decide(self, process: Any, claims: VerifiedClaims | None, context: dict[str, Any]) -> Plan:
        """The provider's decision: the requested offer must be one of ours, unchanged, and its policy must permit
        this consumer (verified claims) for its declared purpose."""
        dataset = self.plane.datasets.get(process.dataset_id) if process.dataset_id else None
        offer_id = _ref((process.offer or {}).get("@id"))
        if dataset is None or offer_id not in dataset.offers:
            return self._terminating(context, "unknown-offer", [f"offre inconnue : {offer_id}",
                                                                 f"unknown offer: {offer_id}"])
        stored = dataset.offers[offer_id]
        if not same_terms(process.offer or {}, stored):
            return self.act(process, "offer", claims, context)  # counter-offer: our own terms
        if claims is not None:
            requester = claims.requester()
        else:  # a decision retried later: the claims verified when the request arrived
            snapshot = context.get("claims") or {}
            requester = Requester(did=snapshot.get("did"), category=snapshot.get("category"))
        # The same request and decision as the federated catalogue's eligibility (policies.requester).
        try:
            policy_request = negotiation_request(requester, dataset.id, purpose=context.get("purpose"),
                                                 territory=context.get("territory"))
        except Exception as exc:  # an unknown purpose or territory name: refuse with the reason
            return self._terminating(context, "invalid-request", [f"demande illisible : {exc}",
                                                                   f"unreadable request: {exc}"])
        decision = negotiation_decision(self.plane.datasets.compiled(dataset, offer_id), policy_request)
        context["decision"] = {"outcome": decision.outcome, "fr": decision.explain("fr"),
                               "en": decision.explain("en")}
        if not decision.permitted:
            return self._terminating(context, "policy-refused", decision.explain(self.plane.lang) +
                                     decision.explain("en" if self.plane.lang == "fr" else "fr"))
        return self._agree(process)

    def _agree(self, process: Any) -> Plan:
        offer = dict(process.offer or {})
        assignee = process.counterparty_did
        agreement_json = build_agreement(offer, target=process.dataset_id or _ref(offer.get("target")),
                                         assigner=self.plane.did, assignee=assignee)
        signature = sign_agreement(agreement_json, self.plane.keys) if self.plane.keys is not None else None
        row = Agreement(id=agreement_json["@id"], negotiation_id=process.id,
                        provider_did=self.plane.did, consumer_did=assignee, target=agreement_json["target"],
                        policy=agreement_json, signed_jws=signature, timestamp=datetime.now(UTC))
        return Plan(intent=NegotiationIntent.AGREEING.value, changes={"agreement_id": row.id}, agreement=row)

    def _check(self, process: Any, context: dict[str, Any]) -> Plan:
        """The consumer's checks of a received agreement: signature (when identities are verified), parties,
        target and terms equal to the offer requested."""
        agreement = context.get("received_agreement") or {}
        offer = context.get("requested_offer") or process.offer or {}
        try:
            if self.plane.verify_identities:
                signature = context.get("agreement_signature")
                if not signature:
                    raise AgreementError("signature", "accord non signé par le fournisseur",
                                         "agreement not signed by the provider")
                verify_signature(agreement, signature, self.plane.resolver)
            check_agreement(agreement, offer, target=process.dataset_id or _ref(offer.get("target")),
                            assignee=self.plane.did if self.plane.verify_identities else None,
                            assigner=process.counterparty_did if self.plane.verify_identities else None)
        except AgreementError as exc:
            return self._terminating(context, f"agreement-{exc.code}", exc.reasons())
        return self._store_received_agreement(process, context)

    def _store_received_agreement(self, process: Any, context: dict[str, Any]) -> Plan:
        agreement = context.get("received_agreement") or {}
        plan = Plan(intent=NegotiationIntent.VERIFYING.value)
        if agreement.get("@id") and self.store.get_agreement(agreement["@id"]) is None:
            plan.agreement = Agreement(
                id=agreement["@id"], negotiation_id=process.id, provider_did=process.counterparty_did,
                consumer_did=_ref(agreement.get("assignee")) or self.plane.did,
                target=_ref(agreement.get("target")) or process.dataset_id or "", policy=agreement,
                signed_jws=context.get("agreement_signature"), timestamp=datetime.now(UTC))
        return plan

    # -- outgoing ---------------------------------------------------------------------------------------------------
    def outgoing(self, process: Negotiation) -> tuple[str, dict[str, Any]] | None:
        intent = NegotiationIntent(process.intent)
        address = (process.counterparty_address or "").rstrip("/")
        pp, cp = process.provider_pid, process.consumer_pid
        context = process.context or {}
        if intent is NegotiationIntent.REQUESTING:
            offer = dict(process.offer or {})
            if pp is None:
                return f"{address}/negotiations/request", m.contract_request(
                    consumer_pid=cp, offer=offer, callback_address=self.plane.dsp_url,
                    purpose=context.get("purpose"), territory=context.get("territory"))
            return f"{address}/negotiations/{pp}/request", m.contract_request(
                consumer_pid=cp, offer=offer, provider_pid=pp)
        if intent is NegotiationIntent.OFFERING:
            if cp is None:
                return f"{address}/negotiations/offers", m.contract_offer(
                    provider_pid=pp, offer=process.offer or {}, callback_address=self.plane.dsp_url)
            return f"{address}/negotiations/{cp}/offers", m.contract_offer(
                provider_pid=pp, consumer_pid=cp, offer=process.offer or {})
        if intent is NegotiationIntent.AGREEING:
            agreement = self.store.get_agreement(process.agreement_id) if process.agreement_id else None
            if agreement is None:
                return None
            return f"{address}/negotiations/{cp}/agreement", m.contract_agreement(
                provider_pid=pp, consumer_pid=cp, agreement=agreement.policy, signature=agreement.signed_jws)
        if intent is NegotiationIntent.ACCEPTING:
            return f"{address}/negotiations/{pp}/events", m.negotiation_event(
                provider_pid=pp, consumer_pid=cp, event_type="ACCEPTED")
        if intent is NegotiationIntent.VERIFYING:
            return f"{address}/negotiations/{pp}/agreement/verification", m.agreement_verification(
                provider_pid=pp, consumer_pid=cp)
        if intent is NegotiationIntent.FINALIZING:
            return f"{address}/negotiations/{cp}/events", m.negotiation_event(
                provider_pid=pp, consumer_pid=cp, event_type="FINALIZED")
        other = cp if process.role == "provider" else pp
        if other is None:
            return None
        return f"{address}/negotiations/{other}/termination", m.negotiation_termination(
            provider_pid=pp, consumer_pid=cp, code=context.get("code", "terminated"),
            reasons=context.get("reason"))

    def on_ack(self, process: Negotiation, body: Any) -> dict[str, Any]:
        if process.role == "consumer" and process.provider_pid is None and isinstance(body, Mapping):
            provider_pid = body.get("providerPid") or body.get("https://w3id.org/dspace/2025/1/providerPid")
            if isinstance(provider_pid, str):
                return {"provider_pid": provider_pid}
        if process.role == "provider" and process.consumer_pid is None and isinstance(body, Mapping):
            consumer_pid = body.get("consumerPid")
            if isinstance(consumer_pid, str):
                return {"consumer_pid": consumer_pid}
        return {}

    # -- management ---------------------------------------------------------------------------------------------------
    def start(self, *, provider_address: str, provider_did: str, offer: Mapping[str, Any], dataset_id: str,
              purpose: str | None = None, territory: str | None = None,
              process_id: str | None = None) -> Negotiation:
        """Start a negotiation as consumer: the request is sent by a worker. `process_id`: the id to give it, chosen
        and recorded beforehand by a caller that must never start it twice (a second insert fails)."""
        offer = dict(offer)
        offer.pop("@context", None)
        offer.setdefault("@type", "Offer")
        offer["target"] = dataset_id
        context: dict[str, Any] = {"requested_offer": offer}
        if purpose:
            context["purpose"] = purpose
        if territory:
            context["territory"] = territory
        return self.store.create_with(
            "negotiation", role="consumer", provider_pid=None, consumer_pid=m.new_pid(),
            counterparty_did=provider_did, counterparty_address=provider_address.rstrip("/"), state=INITIAL,
            intent=NegotiationIntent.REQUESTING.value, dataset_id=dataset_id, offer=offer, context=context,
            **({"id": process_id} if process_id else {}))

    def offer_to(self, *, consumer_address: str, consumer_did: str, dataset_id: str, offer_id: str) -> Negotiation:
        """A provider-initiated offer."""
        dataset = self.plane.datasets.get(dataset_id)
        if dataset is None or offer_id not in dataset.offers:
            raise bad_request("unknown-offer", f"offre inconnue : {offer_id}", f"unknown offer: {offer_id}")
        return self.store.create_with(
            "negotiation", role="provider", provider_pid=m.new_pid(), consumer_pid=None,
            counterparty_did=consumer_did, counterparty_address=consumer_address.rstrip("/"), state=INITIAL,
            intent=NegotiationIntent.OFFERING.value, dataset_id=dataset_id,
            offer=self.plane.datasets.message_offer(dataset_id, offer_id), context={})
