"""The DSP 2025-1 contract negotiation and transfer process state machines, as data and pure functions.

The tables below are the two normative diagrams (`specifications/{negotiation,transfer}/figures/*.puml`)
written as ``(current state, message, sender) -> next state``. The machine is the same on both sides of a
process: a provider receiving a message from the consumer and the consumer that sent it compute the same next
state, so one table serves both roles; ``sender`` is the role that *sent* the message. ``current=None`` means
"no process yet" (the initial ContractRequestMessage, ContractOfferMessage or TransferRequestMessage). The
event message is keyed with its event type, as in the diagram: ``ContractNegotiationEventMessage:ACCEPTED``.

One deliberate widening of the negotiation diagram: the diagram draws termination from ACCEPTED and VERIFIED
by the provider only and from AGREED by the consumer only, but the spec text says the termination message "can
be sent at any state" by either participant, and refusing a termination would leave the two sides diverged. So
a ContractNegotiationTerminationMessage is accepted from either role in every non-terminal state (the TCK only
exercises the diagram's arrows, which stay allowed). Nothing else is widened: the TCK's own OFFERED -> OFFERED
(repeated offer) is refused, and a replayed TransferRequestMessage is an idempotency matter for the store
(same ``consumerPid``), not a transition.

How the connector uses this (the EDC shape, see ``design/STYLE.md``): an *incoming* message is
schema-validated, ``next_*_state`` is computed from the persisted state, the new state is committed, and only
then is the message acknowledged (a DSP state is entered when the counter-party ACKs). An *outgoing* message
is an intent: the process is persisted in one of the ``-ING`` states of :class:`NegotiationIntent` /
:class:`TransferIntent` (REQUESTING, OFFERING, ACCEPTING, AGREEING, VERIFYING, FINALIZING, TERMINATING;
REQUESTING, STARTING, SUSPENDING, COMPLETING, TERMINATING), next to the last protocol state. A worker picks it
up, checks it with ``next_*_state(last_state, intent.message, own_role, intent.event_type)``, sends the
message and, on a 2xx, commits ``intent.reached``; on a transient failure it leaves the intent for a retry, on
a final failure it moves to TERMINATING. Every step is idempotent, so a killed connector loses nothing. Two
intent enums exist because both processes have a REQUESTING and a TERMINATING intent; :data:`Intent` is their
union.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import t

__all__ = [
    "EVENT_MESSAGE",
    "NEGOTIATION_MESSAGES",
    "NEGOTIATION_TERMINAL",
    "NEGOTIATION_TRANSITIONS",
    "TRANSFER_MESSAGES",
    "TRANSFER_TERMINAL",
    "TRANSFER_TRANSITIONS",
    "Intent",
    "InvalidTransition",
    "NegotiationIntent",
    "NegotiationState",
    "Role",
    "TransferIntent",
    "TransferState",
    "allowed_negotiation_messages",
    "allowed_transfer_messages",
    "is_terminal",
    "next_negotiation_state",
    "next_transfer_state",
]


class Role(StrEnum):
    PROVIDER = "provider"
    CONSUMER = "consumer"


class NegotiationState(StrEnum):
    REQUESTED = "REQUESTED"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    AGREED = "AGREED"
    VERIFIED = "VERIFIED"
    FINALIZED = "FINALIZED"
    TERMINATED = "TERMINATED"


class TransferState(StrEnum):
    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


EVENT_MESSAGE = "ContractNegotiationEventMessage"
REQUEST = "ContractRequestMessage"
OFFER = "ContractOfferMessage"
ACCEPTED_EVENT = f"{EVENT_MESSAGE}:ACCEPTED"
FINALIZED_EVENT = f"{EVENT_MESSAGE}:FINALIZED"
AGREEMENT = "ContractAgreementMessage"
VERIFICATION = "ContractAgreementVerificationMessage"
NEGOTIATION_TERMINATION = "ContractNegotiationTerminationMessage"
NEGOTIATION_MESSAGES: tuple[str, ...] = (
    REQUEST, OFFER, ACCEPTED_EVENT, AGREEMENT, VERIFICATION, FINALIZED_EVENT, NEGOTIATION_TERMINATION,
)

TRANSFER_REQUEST = "TransferRequestMessage"
TRANSFER_START = "TransferStartMessage"
TRANSFER_SUSPENSION = "TransferSuspensionMessage"
TRANSFER_COMPLETION = "TransferCompletionMessage"
TRANSFER_TERMINATION = "TransferTerminationMessage"
TRANSFER_MESSAGES: tuple[str, ...] = (
    TRANSFER_REQUEST, TRANSFER_START, TRANSFER_SUSPENSION, TRANSFER_COMPLETION, TRANSFER_TERMINATION,
)

NEGOTIATION_TERMINAL = frozenset({NegotiationState.FINALIZED, NegotiationState.TERMINATED})
TRANSFER_TERMINAL = frozenset({TransferState.COMPLETED, TransferState.TERMINATED})

_P, _C = Role.PROVIDER, Role.CONSUMER
_BOTH = (_P, _C)
_N = NegotiationState
_T = TransferState


def _table(arrows):
    table = {}
    for current, message, senders, target in arrows:
        for sender in senders:
            table[(current, message, sender)] = target
    return table


NEGOTIATION_TRANSITIONS: Mapping[tuple[NegotiationState | None, str, Role], NegotiationState] = _table(
    [
        (None, REQUEST, (_C,), _N.REQUESTED),
        (None, OFFER, (_P,), _N.OFFERED),
        (_N.REQUESTED, OFFER, (_P,), _N.OFFERED),
        (_N.REQUESTED, AGREEMENT, (_P,), _N.AGREED),
        (_N.OFFERED, REQUEST, (_C,), _N.REQUESTED),
        (_N.OFFERED, ACCEPTED_EVENT, (_C,), _N.ACCEPTED),
        (_N.ACCEPTED, AGREEMENT, (_P,), _N.AGREED),
        (_N.AGREED, VERIFICATION, (_C,), _N.VERIFIED),
        (_N.VERIFIED, FINALIZED_EVENT, (_P,), _N.FINALIZED),
    ]
    + [(s, NEGOTIATION_TERMINATION, _BOTH, _N.TERMINATED) for s in _N if s not in NEGOTIATION_TERMINAL]
)

TRANSFER_TRANSITIONS: Mapping[tuple[TransferState | None, str, Role], TransferState] = _table(
    [
        (None, TRANSFER_REQUEST, (_C,), _T.REQUESTED),
        (_T.REQUESTED, TRANSFER_START, (_P,), _T.STARTED),
        (_T.REQUESTED, TRANSFER_TERMINATION, _BOTH, _T.TERMINATED),
        (_T.STARTED, TRANSFER_COMPLETION, _BOTH, _T.COMPLETED),
        (_T.STARTED, TRANSFER_SUSPENSION, _BOTH, _T.SUSPENDED),
        (_T.STARTED, TRANSFER_TERMINATION, _BOTH, _T.TERMINATED),
        (_T.SUSPENDED, TRANSFER_START, _BOTH, _T.STARTED),
        (_T.SUSPENDED, TRANSFER_TERMINATION, _BOTH, _T.TERMINATED),
    ]
)

_PROCESS_NAMES = {
    "negotiation": ("la négociation de contrat", "contract negotiation"),
    "transfer": ("le processus de transfert", "transfer process"),
}
_ROLE_NAMES = {Role.PROVIDER: ("fournisseur", "provider"), Role.CONSUMER: ("consommateur", "consumer")}


class InvalidTransition(ValueError):
    """A message that the state machine does not allow from this sender in this state (HTTP 400 in DSP)."""

    def __init__(self, process: str, current: StrEnum | None, message: str, sender: Role,
                 allowed: tuple[tuple[str, Role], ...] = ()) -> None:
        self.process = process
        self.current = current
        self.message = message
        self.sender = sender
        self.allowed = allowed
        super().__init__(self.describe())

    def describe(self, lang: str | None = None) -> str:
        process = t(*_PROCESS_NAMES[self.process], lang=lang)
        sender = t(*_ROLE_NAMES[self.sender], lang=lang)
        if self.current is None:
            state = t("aucun (nouveau processus)", "none (new process)", lang=lang)
        else:
            state = self.current.value
        if self.allowed:
            by_message: dict[str, list[str]] = {}
            for msg, role in self.allowed:
                by_message.setdefault(msg, []).append(t(*_ROLE_NAMES[role], lang=lang))
            listed = ", ".join(f"{msg} ({', '.join(roles)})" for msg, roles in by_message.items())
        elif self.current is not None and is_terminal(self.current):
            listed = t("aucun, c'est un état terminal", "none, this is a terminal state", lang=lang)
        else:
            listed = t("aucun", "none", lang=lang)
        return t(
            f"Transition interdite pour {process} : {self.message} envoyé par le {sender} "
            f"dans l'état {state}. "
            f"Messages autorisés dans cet état : {listed}.",
            f"Invalid {process} transition: {self.message} sent by the {sender} in state {state}. "
            f"Messages allowed in this state: {listed}.",
            lang=lang,
        )


def is_terminal(state: NegotiationState | TransferState | None) -> bool:
    return state in NEGOTIATION_TERMINAL or state in TRANSFER_TERMINAL


def _allowed(table, state, sender: Role | None) -> tuple[tuple[str, Role], ...]:
    return tuple(
        (message, role) for (current, message, role) in table if current == state and sender in (None, role)
    )


def allowed_negotiation_messages(state: NegotiationState | None, sender: Role) -> tuple[str, ...]:
    """Messages ``sender`` may send in ``state``; the event message reads ``...EventMessage:ACCEPTED``."""
    return tuple(message for message, _ in _allowed(NEGOTIATION_TRANSITIONS, state, sender))


def allowed_transfer_messages(state: TransferState | None, sender: Role) -> tuple[str, ...]:
    return tuple(message for message, _ in _allowed(TRANSFER_TRANSITIONS, state, sender))


def _negotiation_key(message: str, event_type: str | None) -> str:
    if message == EVENT_MESSAGE:
        return f"{EVENT_MESSAGE}:{(event_type or '').upper()}"
    if event_type is not None:
        raise ValueError(f"event_type only applies to {EVENT_MESSAGE}, not to {message}")
    return message


def next_negotiation_state(current: NegotiationState | None, message: str, sender: Role,
                           event_type: str | None = None) -> NegotiationState:
    """The state a negotiation reaches when ``sender``'s ``message`` is acknowledged, or InvalidTransition."""
    current = NegotiationState(current) if current is not None else None
    sender = Role(sender)
    key = _negotiation_key(message, event_type)
    try:
        return NEGOTIATION_TRANSITIONS[(current, key, sender)]
    except KeyError:
        allowed = _allowed(NEGOTIATION_TRANSITIONS, current, None)
        raise InvalidTransition("negotiation", current, key, sender, allowed) from None


def next_transfer_state(current: TransferState | None, message: str, sender: Role) -> TransferState:
    """The state a transfer reaches when ``sender``'s ``message`` is acknowledged, or InvalidTransition."""
    current = TransferState(current) if current is not None else None
    sender = Role(sender)
    try:
        return TRANSFER_TRANSITIONS[(current, message, sender)]
    except KeyError:
        allowed = _allowed(TRANSFER_TRANSITIONS, current, None)
        raise InvalidTransition("transfer", current, message, sender, allowed) from None


@dataclass(frozen=True)
class _IntentSpec:
    message: str
    event_type: str | None
    reached: StrEnum
    senders: tuple[Role, ...]


class _IntentMixin:
    """What an intent sends, who may hold it, and the protocol state committed once the counter-party ACKs."""

    @property
    def spec(self) -> _IntentSpec:
        return self._specs()[self]

    @property
    def message(self) -> str:
        return self.spec.message

    @property
    def event_type(self) -> str | None:
        return self.spec.event_type

    @property
    def senders(self) -> tuple[Role, ...]:
        return self.spec.senders


class NegotiationIntent(_IntentMixin, StrEnum):
    REQUESTING = "REQUESTING"
    OFFERING = "OFFERING"
    ACCEPTING = "ACCEPTING"
    AGREEING = "AGREEING"
    VERIFYING = "VERIFYING"
    FINALIZING = "FINALIZING"
    TERMINATING = "TERMINATING"

    @classmethod
    def _specs(cls) -> Mapping[NegotiationIntent, _IntentSpec]:
        return _NEGOTIATION_INTENTS

    @property
    def reached(self) -> NegotiationState:
        return self.spec.reached  # type: ignore[return-value]


class TransferIntent(_IntentMixin, StrEnum):
    REQUESTING = "REQUESTING"
    STARTING = "STARTING"
    SUSPENDING = "SUSPENDING"
    COMPLETING = "COMPLETING"
    TERMINATING = "TERMINATING"

    @classmethod
    def _specs(cls) -> Mapping[TransferIntent, _IntentSpec]:
        return _TRANSFER_INTENTS

    @property
    def reached(self) -> TransferState:
        return self.spec.reached  # type: ignore[return-value]


Intent = NegotiationIntent | TransferIntent

_NEGOTIATION_INTENTS: Mapping[NegotiationIntent, _IntentSpec] = {
    NegotiationIntent.REQUESTING: _IntentSpec(REQUEST, None, _N.REQUESTED, (_C,)),
    NegotiationIntent.OFFERING: _IntentSpec(OFFER, None, _N.OFFERED, (_P,)),
    NegotiationIntent.ACCEPTING: _IntentSpec(EVENT_MESSAGE, "ACCEPTED", _N.ACCEPTED, (_C,)),
    NegotiationIntent.AGREEING: _IntentSpec(AGREEMENT, None, _N.AGREED, (_P,)),
    NegotiationIntent.VERIFYING: _IntentSpec(VERIFICATION, None, _N.VERIFIED, (_C,)),
    NegotiationIntent.FINALIZING: _IntentSpec(EVENT_MESSAGE, "FINALIZED", _N.FINALIZED, (_P,)),
    NegotiationIntent.TERMINATING: _IntentSpec(NEGOTIATION_TERMINATION, None, _N.TERMINATED, _BOTH),
}

_TRANSFER_INTENTS: Mapping[TransferIntent, _IntentSpec] = {
    TransferIntent.REQUESTING: _IntentSpec(TRANSFER_REQUEST, None, _T.REQUESTED, (_C,)),
    TransferIntent.STARTING: _IntentSpec(TRANSFER_START, None, _T.STARTED, _BOTH),
    TransferIntent.SUSPENDING: _IntentSpec(TRANSFER_SUSPENSION, None, _T.SUSPENDED, _BOTH),
    TransferIntent.COMPLETING: _IntentSpec(TRANSFER_COMPLETION, None, _T.COMPLETED, _BOTH),
    TransferIntent.TERMINATING: _IntentSpec(TRANSFER_TERMINATION, None, _T.TERMINATED, _BOTH),
}
