"""The transfer process protocol, both roles: a transfer needs a finalized agreement between the same two
participants; the provider's start message carries the pull `DataAddress` (endpoint and a short-lived token bound to
the agreement, the transfer, the consumer and the dataset), made fresh at each sending. In a push format
(`HttpData-PUSH`) the consumer's request carries the address to deliver to instead, checked on arrival; the
provider's push worker (`plane.pusher`, `connector.data.push`) is told each time such a transfer enters or leaves
STARTED. Every change of state is an audit event on both sides (`transfer.started|suspended|completed|terminated`)
when the participant keeps an audit log."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from connector.data.address import AddressError, push_target
from connector.dsp.states import TransferIntent, TransferState, next_transfer_state
from connector.identity.tokens import VerifiedClaims
from connector.store.schema import Transfer

from . import messages as m
from .errors import ProtocolError, bad_request
from .processes import INITIAL, Plan, ProcessProtocol, claims_snapshot

_EVENT_FOR = {
    "TransferStartMessage": "started",
    "TransferSuspensionMessage": "suspended",
    "TransferCompletionMessage": "completed",
    "TransferTerminationMessage": "terminated",
}
_AUDITED = {"STARTED": "transfer.started", "SUSPENDED": "transfer.suspended", "COMPLETED": "transfer.completed",
            "TERMINATED": "transfer.terminated"}
log = logging.getLogger("jnt.control")


def is_push(format: str | None) -> bool:
    """A push format (`HttpData-PUSH`, …): the provider delivers to the address the consumer gave."""
    return (format or "").upper().endswith("PUSH")


def _address_problem(exc: AddressError) -> tuple[str, str]:
    return f"adresse de livraison refusée — {exc.field} : {exc.fr}", f"delivery address refused — {exc.field}: {exc.en}"


_PATH_FOR = {
    TransferIntent.STARTING: "start",
    TransferIntent.SUSPENDING: "suspension",
    TransferIntent.COMPLETING: "completion",
    TransferIntent.TERMINATING: "termination",
}


class TransferProtocol(ProcessProtocol):
    kind = "transfer"
    intents = TransferIntent
    fr_name = "transfert"
    en_name = "transfer process"

    def next_state(self, current: str | None, message: str, sender: str, doc: Mapping[str, Any]) -> str:
        return next_transfer_state(current, message, sender).value

    def reactions(self, role: str, event: str, process: Any) -> tuple[str, ...]:
        return tuple(self.plane.reactions.transfer(role, event, process.agreement_id))

    def error_body(self, error: ProtocolError) -> dict[str, Any]:
        return m.transfer_error(code=error.code, reasons=error.reasons, provider_pid=error.provider_pid,
                                consumer_pid=error.consumer_pid)

    def state_body(self, process: Transfer) -> dict[str, Any]:
        return m.transfer_process(provider_pid=process.provider_pid or "urn:jnt:unknown",
                                  consumer_pid=process.consumer_pid or "urn:jnt:unknown",
                                  state=self.protocol_state(process) or "REQUESTED")

    # -- incoming ---------------------------------------------------------------------------------------------------
    def receive_request(self, claims: VerifiedClaims, doc: Mapping[str, Any]) -> Transfer:
        """A consumer's TransferRequestMessage (we are the provider)."""
        consumer_pid = doc["consumerPid"]
        existing = self.store.find_by_counterparty_pid("transfer", "provider", consumer_pid, self.scope(claims))
        if existing is not None:
            return existing
        agreement_id = doc["agreementId"]
        agreement = self.store.get_agreement(agreement_id)
        mismatch = agreement is None or agreement.provider_did != self.plane.did or (
            self.plane.verify_identities and agreement.consumer_did != claims.did)
        if mismatch:
            raise bad_request("unknown-agreement", f"accord inconnu pour ce consommateur : {agreement_id}",
                              f"unknown agreement for this consumer: {agreement_id}", consumer_pid=consumer_pid)
        if agreement.negotiation_id:
            negotiation = self.store.get("negotiation", agreement.negotiation_id)
            # Finalized, or finalizing: the consumer commits FINALIZED on our event message a moment before we
            # commit it on the acknowledgement, and may ask for a transfer in between.
            finalizing = negotiation is not None and negotiation.intent == "FINALIZING"
            if negotiation is not None and negotiation.state != "FINALIZED" and not finalizing:
                raise bad_request("agreement-not-finalized",
                                  f"la négociation de l'accord n'est pas finalisée ({negotiation.state})",
                                  f"the agreement's negotiation is not finalized ({negotiation.state})",
                                  consumer_pid=consumer_pid)
        fmt = doc["format"]
        dataset = self.plane.datasets.get(agreement.target)
        if dataset is not None and fmt not in dataset.formats:
            raise bad_request("unsupported-format", f"format {fmt} non proposé ; formats : {', '.join(dataset.formats)}",
                              f"format {fmt} not offered; formats: {', '.join(dataset.formats)}",
                              consumer_pid=consumer_pid)
        if is_push(fmt):
            self._check_push_request(doc.get("dataAddress"), dataset, consumer_pid)
        context: dict[str, Any] = {"claims": claims_snapshot(claims)}
        process = Transfer(id=str(uuid.uuid4()), role="provider", provider_pid=m.new_pid(), consumer_pid=consumer_pid,
                           counterparty_did=claims.did, counterparty_address=doc["callbackAddress"].rstrip("/"),
                           state=TransferState.REQUESTED.value, agreement_id=agreement_id, format=fmt,
                           data_address=dict(doc["dataAddress"]) if doc.get("dataAddress") else None)
        plan = self.plan_event(process, "requested", claims, context, "REQUESTED")
        fields = {c.key: getattr(process, c.key) for c in Transfer.__table__.columns
                  if getattr(process, c.key, None) is not None}
        fields.update(plan.changes)
        fields["context"] = plan.context or None
        fields["intent"] = plan.intent
        if plan.intent:
            fields["next_attempt_at"] = self._due(Plan(delay=max(plan.delay, self.plane.first_callback_delay)))
        try:
            return self.store.create_with("transfer", **fields)
        except Exception as exc:
            existing = self.store.find_by_counterparty_pid("transfer", "provider", consumer_pid, self.scope(claims))
            if existing is not None:
                return existing
            raise bad_request("conflict", f"consumerPid déjà utilisé : {consumer_pid}",
                              f"consumerPid already in use: {consumer_pid}", consumer_pid=consumer_pid) from exc

    def _check_push_request(self, address: Any, dataset: Any, consumer_pid: str) -> None:
        """A push is refused at once (400) when it could never be delivered: no usable address, or a feed (a feed has
        no end: it is read live, by pull)."""
        try:
            target = push_target(address)
            pusher = getattr(self.plane, "pusher", None)
            if pusher is not None:
                pusher.check_transport(target)
        except AddressError as exc:
            fr, en = _address_problem(exc)
            raise bad_request("invalid-data-address", fr, en, consumer_pid=consumer_pid) from None
        source = (dataset.data_source or {}) if dataset is not None else {}
        if source.get("type") == "feed":
            raise bad_request("feed-not-pushable", "un flux temps réel se lit en direct (format PULL : SSE ou "
                                                   "NDJSON), il ne se pousse pas", "a real-time feed is read live "
                                                                                    "(PULL format: SSE or NDJSON), "
                                                                                    "it is not pushed",
                              consumer_pid=consumer_pid)

    def receive_message(self, claims: VerifiedClaims, pid: str, message: str, doc: Mapping[str, Any]) -> Transfer:
        return self.receive(claims, pid, message, doc, _EVENT_FOR[message], extra=self._incoming_fields)

    def committed(self, process: Any, previous: str | None, plan: Any) -> None:
        """A change of state is committed: tell the plane (a running access plan waits for it), audit it, and tell the
        push worker when a push transfer enters or leaves STARTED. Never raises: the transition is already acknowledged (a push missed here is found again by the
        worker's sweep of STARTED push transfers)."""
        if process.state == previous:
            return
        self.plane.process_committed(self.kind, process, previous)
        self._audit_transition(process, previous)
        pusher = getattr(self.plane, "pusher", None)
        if pusher is None or process.role != "provider" or not is_push(process.format):
            return
        try:
            if process.state == TransferState.STARTED.value:
                pusher.schedule(process)
            else:
                pusher.interrupt(process.id)
        except Exception:
            log.exception("transfer %s: the push worker could not be told of %s", process.id, process.state)

    def _audit_transition(self, process: Any, previous: str | None) -> None:
        audit = getattr(self.plane, "audit", None)
        event = _AUDITED.get(process.state)
        if audit is None or event is None:
            return
        context = process.context or {}
        explanation = None
        code = None
        if process.state in ("SUSPENDED", "TERMINATED"):
            if process.error_detail:  # a message received, or a delivery that failed: its own words
                explanation = (process.error_detail, process.error_detail)
            else:  # we sent it: the reason we gave, [fr, en]
                reasons = [str(r) for r in context.get("reason") or []]
                if reasons:
                    explanation = (reasons[0], reasons[1] if len(reasons) > 1 else reasons[0])
                code = context.get("code")
        try:
            agreement = self.store.get_agreement(process.agreement_id)
            audit.append(event, actor=process.counterparty_did, agreement_id=process.agreement_id,
                         transfer_id=process.id, dataset_id=agreement.target if agreement is not None else None,
                         decision="none", explanation=explanation,
                         details={"role": process.role, "previous": previous, "format": process.format,
                                  "providerPid": process.provider_pid, "consumerPid": process.consumer_pid,
                                  **({"code": code} if code else {})})
        except Exception:  # the transition is committed and acknowledged: report, never undo
            log.exception("transfer %s: audit append failed", process.id)

    def _incoming_fields(self, process: Transfer, doc: Mapping[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if process.role == "consumer" and process.provider_pid is None and doc.get("providerPid"):
            changes["provider_pid"] = doc["providerPid"]
        if doc.get("@type") == "TransferStartMessage" and process.role == "consumer" and doc.get("dataAddress"):
            changes["data_address"] = dict(doc["dataAddress"])
        if doc.get("@type") in ("TransferTerminationMessage", "TransferSuspensionMessage"):
            reasons = doc.get("reason") or []
            reasons = reasons if isinstance(reasons, list) else [reasons]
            changes["error_detail"] = "; ".join([f"{doc['@type']} (code {doc.get('code', '-')})",
                                                 *map(str, reasons)])
        return changes

    # -- reactions --------------------------------------------------------------------------------------------------
    def act(self, process: Any, action: str, claims: VerifiedClaims | None, context: dict[str, Any]) -> Plan:
        intent = {"start": TransferIntent.STARTING, "suspend": TransferIntent.SUSPENDING,
                  "complete": TransferIntent.COMPLETING, "terminate": TransferIntent.TERMINATING}.get(action)
        if intent is None:
            raise ValueError(f"unknown transfer action {action!r}")
        if intent is TransferIntent.TERMINATING:
            context.setdefault("code", "terminated")
        return Plan(intent=intent.value)

    # -- outgoing ---------------------------------------------------------------------------------------------------
    def outgoing(self, process: Transfer) -> tuple[str, dict[str, Any]] | None:
        intent = TransferIntent(process.intent)
        address = (process.counterparty_address or "").rstrip("/")
        pp, cp = process.provider_pid, process.consumer_pid
        context = process.context or {}
        if intent is TransferIntent.REQUESTING:
            return f"{address}/transfers/request", m.transfer_request(
                consumer_pid=cp, agreement_id=process.agreement_id, format=process.format or "HttpData-PULL",
                callback_address=self.plane.dsp_url, data_address=process.data_address)
        other = cp if process.role == "provider" else pp
        if other is None:
            return None
        url = f"{address}/transfers/{other}/{_PATH_FOR[intent]}"
        if intent is TransferIntent.STARTING:
            address_doc = None
            if process.role == "provider" and not is_push(process.format):
                address_doc = self.plane.data_address_for(process)
            return url, m.transfer_start(provider_pid=pp, consumer_pid=cp, data_address=address_doc)
        if intent is TransferIntent.SUSPENDING:
            return url, m.transfer_suspension(provider_pid=pp, consumer_pid=cp, code=context.get("code"),
                                              reasons=context.get("reason"))
        if intent is TransferIntent.COMPLETING:
            return url, m.transfer_completion(provider_pid=pp, consumer_pid=cp)
        return url, m.transfer_termination(provider_pid=pp, consumer_pid=cp, code=context.get("code", "terminated"),
                                           reasons=context.get("reason"))

    def on_ack(self, process: Transfer, body: Any) -> dict[str, Any]:
        if process.role == "consumer" and process.provider_pid is None and isinstance(body, Mapping):
            provider_pid = body.get("providerPid")
            if isinstance(provider_pid, str):
                return {"provider_pid": provider_pid}
        return {}

    # -- management ---------------------------------------------------------------------------------------------------
    def start(self, *, agreement_id: str, format: str = "HttpData-PULL", provider_address: str | None = None,
              provider_did: str | None = None, data_address: Mapping[str, Any] | None = None,
              process_id: str | None = None) -> Transfer:
        """Request a transfer as consumer under one of our agreements (the provider's address comes from the
        negotiation that produced it unless given). `process_id`: the id to give it, chosen and recorded beforehand
        by a caller that must never start it twice (a second insert fails)."""
        agreement = self.store.get_agreement(agreement_id)
        negotiation = self.store.get("negotiation", agreement.negotiation_id) if agreement else None
        if provider_address is None or provider_did is None:
            if agreement is None or negotiation is None or negotiation.role != "consumer":
                raise bad_request("unknown-agreement", f"accord inconnu : {agreement_id}",
                                  f"unknown agreement: {agreement_id}")
            if negotiation.state != "FINALIZED":
                raise bad_request("agreement-not-finalized",
                                  f"la négociation de l'accord n'est pas finalisée ({negotiation.state})",
                                  f"the agreement's negotiation is not finalized ({negotiation.state})")
            provider_address = provider_address or negotiation.counterparty_address
            provider_did = provider_did or negotiation.counterparty_did
        if is_push(format):
            try:
                push_target(data_address)
            except AddressError as exc:
                fr, en = _address_problem(exc)
                raise bad_request("invalid-data-address", fr, en) from None
        elif data_address:
            raise bad_request("invalid-data-address", "une adresse de livraison (data_address) ne va qu'avec un "
                                                      "format PUSH", "a delivery address (data_address) only goes "
                                                                     "with a PUSH format")
        return self.store.create_with(
            "transfer", role="consumer", provider_pid=None, consumer_pid=m.new_pid(), counterparty_did=provider_did,
            counterparty_address=(provider_address or "").rstrip("/"), state=INITIAL, agreement_id=agreement_id,
            format=format, data_address=dict(data_address) if data_address else None,
            intent=TransferIntent.REQUESTING.value, context={}, **({"id": process_id} if process_id else {}))

    def request_change(self, process: Transfer, action: str) -> Transfer:
        """Operator's suspend / resume / complete / terminate (management API), checked against the state machine."""
        plan = self.act(process, action, None, dict(process.context or {}))
        intent = TransferIntent(plan.intent)
        try:
            next_transfer_state(self.protocol_state(process), intent.message, process.role)
        except Exception as exc:
            raise ProtocolError(409, "invalid-transition", [str(exc)]) from None
        return self.store.apply("transfer", process.id, process.version, intent=intent.value,
                                next_attempt_at=self.store.clock(), retry_count=0, context=plan.context or
                                process.context)
