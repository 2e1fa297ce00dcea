"""The DSP 2025-1 messages this connector sends, as compact JSON-LD with the DSP context (what every peer, the TCK
included, expects). Pure functions: a process row and a few values in, a JSON document out.

JNT extensions travel as full-IRI keys (they survive any peer's JSON-LD processing unchanged and are ignored by
peers that do not know them): the consumer's declared purpose and territory on a ContractRequestMessage, and the
provider's JWS over the agreement on a ContractAgreementMessage."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from connector.dsp.schemas import CONTEXT_URL

JNT_DSP = "https://w3id.org/jnt/dsp#"
PURPOSE = JNT_DSP + "purpose"
TERRITORY = JNT_DSP + "territory"
AGREEMENT_SIGNATURE = JNT_DSP + "agreementSignature"
HTTP_ENDPOINT_TYPE = "https://w3id.org/idsa/v4.1/HTTP"


def _message(type_name: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": [CONTEXT_URL], "@type": type_name}
    doc.update({key: value for key, value in fields.items() if value is not None})
    return doc


def _reasons(reasons: Iterable[str | Mapping[str, Any]] | None) -> list[Any] | None:
    items = [r if isinstance(r, str) else dict(r) for r in (reasons or ())]
    return items or None


# --- negotiation ------------------------------------------------------------------------------------------------


def contract_request(*, consumer_pid: str, offer: Mapping[str, Any], callback_address: str | None = None,
                     provider_pid: str | None = None, purpose: str | None = None,
                     territory: str | None = None) -> dict[str, Any]:
    """Initial request (with `callback_address`) or counter-request (with `provider_pid`)."""
    doc = _message("ContractRequestMessage", consumerPid=consumer_pid, providerPid=provider_pid,
                   offer=dict(offer), callbackAddress=None if provider_pid else callback_address)
    if purpose:
        doc[PURPOSE] = {"@id": purpose}
    if territory:
        doc[TERRITORY] = territory
    return doc


def contract_offer(*, provider_pid: str, offer: Mapping[str, Any], consumer_pid: str | None = None,
                   callback_address: str | None = None) -> dict[str, Any]:
    """An offer in a negotiation (with `consumer_pid`) or a provider-initiated one (with `callback_address`)."""
    return _message("ContractOfferMessage", providerPid=provider_pid, consumerPid=consumer_pid, offer=dict(offer),
                    callbackAddress=None if consumer_pid else callback_address)


def contract_agreement(*, provider_pid: str, consumer_pid: str, agreement: Mapping[str, Any],
                       signature: str | None = None) -> dict[str, Any]:
    doc = _message("ContractAgreementMessage", providerPid=provider_pid, consumerPid=consumer_pid,
                   agreement=dict(agreement))
    if signature:
        doc[AGREEMENT_SIGNATURE] = signature
    return doc


def agreement_verification(*, provider_pid: str, consumer_pid: str) -> dict[str, Any]:
    return _message("ContractAgreementVerificationMessage", providerPid=provider_pid, consumerPid=consumer_pid)


def negotiation_event(*, provider_pid: str, consumer_pid: str, event_type: str) -> dict[str, Any]:
    return _message("ContractNegotiationEventMessage", providerPid=provider_pid, consumerPid=consumer_pid,
                    eventType=event_type)


def negotiation_termination(*, provider_pid: str, consumer_pid: str, code: str | None = None,
                            reasons: Iterable[str | Mapping[str, Any]] | None = None) -> dict[str, Any]:
    return _message("ContractNegotiationTerminationMessage", providerPid=provider_pid, consumerPid=consumer_pid,
                    code=code, reason=_reasons(reasons))


def contract_negotiation(*, provider_pid: str, consumer_pid: str, state: str) -> dict[str, Any]:
    return _message("ContractNegotiation", providerPid=provider_pid, consumerPid=consumer_pid, state=state)


def negotiation_error(*, code: str, reasons: Iterable[str | Mapping[str, Any]] = (), provider_pid: str | None = None,
                      consumer_pid: str | None = None) -> dict[str, Any]:
    """A ContractNegotiationError. The schema requires both pids; an unknown one is given as ``urn:jnt:unknown``."""
    return _message("ContractNegotiationError", providerPid=provider_pid or "urn:jnt:unknown",
                    consumerPid=consumer_pid or "urn:jnt:unknown", code=code, reason=_reasons(reasons))


# --- transfer ---------------------------------------------------------------------------------------------------


def transfer_request(*, consumer_pid: str, agreement_id: str, format: str, callback_address: str,
                     data_address: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return _message("TransferRequestMessage", consumerPid=consumer_pid, agreementId=agreement_id, format=format,
                    callbackAddress=callback_address, dataAddress=dict(data_address) if data_address else None)


def transfer_start(*, provider_pid: str, consumer_pid: str,
                   data_address: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return _message("TransferStartMessage", providerPid=provider_pid, consumerPid=consumer_pid,
                    dataAddress=dict(data_address) if data_address else None)


def transfer_completion(*, provider_pid: str, consumer_pid: str) -> dict[str, Any]:
    return _message("TransferCompletionMessage", providerPid=provider_pid, consumerPid=consumer_pid)


def transfer_suspension(*, provider_pid: str, consumer_pid: str, code: str | None = None,
                        reasons: Iterable[str | Mapping[str, Any]] | None = None) -> dict[str, Any]:
    return _message("TransferSuspensionMessage", providerPid=provider_pid, consumerPid=consumer_pid, code=code,
                    reason=_reasons(reasons))


def transfer_termination(*, provider_pid: str, consumer_pid: str, code: str | None = None,
                         reasons: Iterable[str | Mapping[str, Any]] | None = None) -> dict[str, Any]:
    return _message("TransferTerminationMessage", providerPid=provider_pid, consumerPid=consumer_pid, code=code,
                    reason=_reasons(reasons))


def transfer_process(*, provider_pid: str, consumer_pid: str, state: str) -> dict[str, Any]:
    return _message("TransferProcess", providerPid=provider_pid, consumerPid=consumer_pid, state=state)


def transfer_error(*, code: str, reasons: Iterable[str | Mapping[str, Any]] = (), provider_pid: str | None = None,
                   consumer_pid: str | None = None) -> dict[str, Any]:
    return _message("TransferError", providerPid=provider_pid or "urn:jnt:unknown",
                    consumerPid=consumer_pid or "urn:jnt:unknown", code=code, reason=_reasons(reasons))


def http_data_address(endpoint: str, token: str | None = None, *, expires_in: int | None = None,
                      refresh_endpoint: str | None = None, refresh_token: str | None = None) -> dict[str, Any]:
    """A pull `DataAddress`: the endpoint and, as endpoint properties, the bearer token to present."""
    properties = []
    if token:
        properties.append({"@type": "EndpointProperty", "name": "authorization", "value": token})
        properties.append({"@type": "EndpointProperty", "name": "authType", "value": "bearer"})
    if expires_in is not None:
        properties.append({"@type": "EndpointProperty", "name": "expiresIn", "value": str(expires_in)})
    if refresh_endpoint:
        properties.append({"@type": "EndpointProperty", "name": "refreshEndpoint", "value": refresh_endpoint})
    if refresh_token:
        properties.append({"@type": "EndpointProperty", "name": "refreshToken", "value": refresh_token})
    address: dict[str, Any] = {"@type": "DataAddress", "endpointType": HTTP_ENDPOINT_TYPE, "endpoint": endpoint}
    if properties:
        address["endpointProperties"] = properties
    return address


def new_pid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"
