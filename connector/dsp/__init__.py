"""The Dataspace Protocol 2025-1 layer: the negotiation and transfer state machines (`states`) and the
validation of wire messages against the official JSON schemas shipped in `schemas/` (`schemas`)."""

from .schemas import MessageError, check_size, parse_message, schema_for, validate_message
from .states import (
    Intent,
    InvalidTransition,
    NegotiationIntent,
    NegotiationState,
    Role,
    TransferIntent,
    TransferState,
    allowed_negotiation_messages,
    allowed_transfer_messages,
    is_terminal,
    next_negotiation_state,
    next_transfer_state,
)

__all__ = [
    "Intent",
    "InvalidTransition",
    "MessageError",
    "NegotiationIntent",
    "NegotiationState",
    "Role",
    "TransferIntent",
    "TransferState",
    "allowed_negotiation_messages",
    "allowed_transfer_messages",
    "check_size",
    "is_terminal",
    "next_negotiation_state",
    "next_transfer_state",
    "parse_message",
    "schema_for",
    "validate_message",
]
