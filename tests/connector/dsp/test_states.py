"""The DSP 2025-1 state machines against a table written by hand from the two normative diagrams."""

from __future__ import annotations

import contextlib
import re

import pytest

from connector.dsp.states import (
    NEGOTIATION_TRANSITIONS,
    TRANSFER_TRANSITIONS,
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

# From figures/contract.negotiation.state.machine.puml; "-" is [*]. Termination is widened to both roles in
# every non-terminal state (spec text "at any state", PROTOCOL.md §6 recommendation); the diagram-only arrows
# are marked "diagram" so the cross-check below knows which senders the figure draws.
NEGOTIATION_EXPECTED = """
-          ContractRequestMessage                    C    REQUESTED
-          ContractOfferMessage                      P    OFFERED
REQUESTED  ContractOfferMessage                      P    OFFERED
REQUESTED  ContractAgreementMessage                  P    AGREED
REQUESTED  ContractNegotiationTerminationMessage     CP   TERMINATED
OFFERED    ContractRequestMessage                    C    REQUESTED
OFFERED    ContractNegotiationEventMessage:ACCEPTED  C    ACCEPTED
OFFERED    ContractNegotiationTerminationMessage     CP   TERMINATED
ACCEPTED   ContractAgreementMessage                  P    AGREED
ACCEPTED   ContractNegotiationTerminationMessage     CP   TERMINATED
AGREED     ContractAgreementVerificationMessage      C    VERIFIED
AGREED     ContractNegotiationTerminationMessage     CP   TERMINATED
VERIFIED   ContractNegotiationEventMessage:FINALIZED P    FINALIZED
VERIFIED   ContractNegotiationTerminationMessage     CP   TERMINATED
"""

TRANSFER_EXPECTED = """
-          TransferRequestMessage      C    REQUESTED
REQUESTED  TransferStartMessage        P    STARTED
REQUESTED  TransferTerminationMessage  CP   TERMINATED
STARTED    TransferCompletionMessage   CP   COMPLETED
STARTED    TransferSuspensionMessage   CP   SUSPENDED
STARTED    TransferTerminationMessage  CP   TERMINATED
SUSPENDED  TransferStartMessage        CP   STARTED
SUSPENDED  TransferTerminationMessage  CP   TERMINATED
"""

NEGOTIATION_MESSAGES = [
    "ContractRequestMessage",
    "ContractOfferMessage",
    "ContractNegotiationEventMessage:ACCEPTED",
    "ContractNegotiationEventMessage:FINALIZED",
    "ContractAgreementMessage",
    "ContractAgreementVerificationMessage",
    "ContractNegotiationTerminationMessage",
]
TRANSFER_MESSAGES = [
    "TransferRequestMessage",
    "TransferStartMessage",
    "TransferSuspensionMessage",
    "TransferCompletionMessage",
    "TransferTerminationMessage",
]
ROLES = {"C": Role.CONSUMER, "P": Role.PROVIDER}


def _parse(text: str, states) -> dict:
    table = {}
    for line in text.strip().splitlines():
        current, message, senders, target = line.split()
        for letter in senders:
            table[(None if current == "-" else states(current), message, ROLES[letter])] = states(target)
    return table


NEGOTIATION_TABLE = _parse(NEGOTIATION_EXPECTED, NegotiationState)
TRANSFER_TABLE = _parse(TRANSFER_EXPECTED, TransferState)


def _split(message: str) -> tuple[str, str | None]:
    name, _, event = message.partition(":")
    return name, event or None


NEGOTIATION_TRIPLES = [
    (state, message, role)
    for state in [None, *NegotiationState]
    for message in NEGOTIATION_MESSAGES
    for role in Role
]
TRANSFER_TRIPLES = [
    (state, message, role)
    for state in [None, *TransferState]
    for message in TRANSFER_MESSAGES
    for role in Role
]


def _id(triple) -> str:
    state, message, role = triple
    return f"{state or 'none'}-{message}-{role}"


@pytest.mark.parametrize("triple", NEGOTIATION_TRIPLES, ids=_id)
def test_negotiation_transition_table(triple):
    state, message, sender = triple
    name, event = _split(message)
    expected = NEGOTIATION_TABLE.get(triple)
    if expected is not None:
        assert next_negotiation_state(state, name, sender, event) is expected
        assert message in allowed_negotiation_messages(state, sender)
    else:
        with pytest.raises(InvalidTransition) as info:
            next_negotiation_state(state, name, sender, event)
        err = info.value
        assert (err.process, err.current, err.message, err.sender) == ("negotiation", state, message, sender)
        assert message not in allowed_negotiation_messages(state, sender)


@pytest.mark.parametrize("triple", TRANSFER_TRIPLES, ids=_id)
def test_transfer_transition_table(triple):
    state, message, sender = triple
    expected = TRANSFER_TABLE.get(triple)
    if expected is not None:
        assert next_transfer_state(state, message, sender) is expected
        assert message in allowed_transfer_messages(state, sender)
    else:
        with pytest.raises(InvalidTransition) as info:
            next_transfer_state(state, message, sender)
        err = info.value
        assert (err.process, err.current, err.message, err.sender) == ("transfer", state, message, sender)
        assert message not in allowed_transfer_messages(state, sender)


def test_tables_hold_nothing_else():
    assert dict(NEGOTIATION_TRANSITIONS) == NEGOTIATION_TABLE
    assert dict(TRANSFER_TRANSITIONS) == TRANSFER_TABLE


_ARROW = re.compile(r"^\s*(\[\*\]|\w+)\s*-+>\s*(\[\*\]|\w+)\s*(?::\s*([CP/]+))?\s*$")


def _diagram_arrows(path) -> list[tuple[str | None, str, set[str]]]:
    arrows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ARROW.match(line)
        if match and match.group(2) != "[*]":
            source = None if match.group(1) == "[*]" else match.group(1)
            arrows.append((source, match.group(2), set(match.group(3).replace("/", ""))))
    return arrows


@pytest.mark.parametrize(
    ("figure", "table", "states"),
    [
        ("contract.negotiation.state.machine.puml", NEGOTIATION_TRANSITIONS, NegotiationState),
        ("transfer-process-state-machine.puml", TRANSFER_TRANSITIONS, TransferState),
    ],
)
def test_every_diagram_arrow_is_in_the_table(shared_dir, figure, table, states):
    arrows = _diagram_arrows(shared_dir / "spec" / "dsp-2025-1" / "figures" / figure)
    assert len(arrows) == (14 if states is NegotiationState else 8)
    for source, target, senders in arrows:
        current = None if source is None else states(source)
        for letter in senders:
            reached = {t for (s, _m, r), t in table.items() if s == current and r == ROLES[letter]}
            assert states(target) in reached, (source, target, letter)
    drawn = {(None if s is None else states(s), states(t)) for s, t, _ in arrows}
    assert {(s, t) for (s, _m, _r), t in table.items()} == drawn


@pytest.mark.parametrize(
    ("state", "message", "sender", "event"),
    [
        (NegotiationState.REQUESTED, "ContractAgreementMessage", Role.CONSUMER, None),
        (NegotiationState.ACCEPTED, "ContractAgreementMessage", Role.CONSUMER, None),
        (NegotiationState.OFFERED, "ContractAgreementMessage", Role.PROVIDER, None),
        (NegotiationState.REQUESTED, "ContractAgreementVerificationMessage", Role.CONSUMER, None),
        (NegotiationState.OFFERED, "ContractAgreementVerificationMessage", Role.CONSUMER, None),
        (NegotiationState.ACCEPTED, "ContractAgreementVerificationMessage", Role.CONSUMER, None),
        (NegotiationState.REQUESTED, "ContractRequestMessage", Role.CONSUMER, None),
        (NegotiationState.ACCEPTED, "ContractOfferMessage", Role.PROVIDER, None),
        (NegotiationState.OFFERED, "ContractOfferMessage", Role.PROVIDER, None),
        (NegotiationState.AGREED, "ContractNegotiationEventMessage", Role.PROVIDER, "FINALIZED"),
        (NegotiationState.VERIFIED, "ContractNegotiationEventMessage", Role.CONSUMER, "FINALIZED"),
        (NegotiationState.OFFERED, "ContractNegotiationEventMessage", Role.PROVIDER, "ACCEPTED"),
        (NegotiationState.OFFERED, "ContractNegotiationEventMessage", Role.CONSUMER, None),
        (NegotiationState.OFFERED, "ContractNegotiationEventMessage", Role.CONSUMER, "REJECTED"),
        (NegotiationState.FINALIZED, "ContractNegotiationTerminationMessage", Role.PROVIDER, None),
        (NegotiationState.TERMINATED, "ContractNegotiationTerminationMessage", Role.CONSUMER, None),
        (NegotiationState.TERMINATED, "ContractRequestMessage", Role.CONSUMER, None),
        (NegotiationState.FINALIZED, "ContractAgreementVerificationMessage", Role.CONSUMER, None),
        (None, "ContractAgreementMessage", Role.PROVIDER, None),
        (None, "ContractRequestMessage", Role.PROVIDER, None),
        (NegotiationState.OFFERED, "TransferStartMessage", Role.PROVIDER, None),
    ],
)
def test_forbidden_negotiation_messages(state, message, sender, event):
    with pytest.raises(InvalidTransition):
        next_negotiation_state(state, message, sender, event)


@pytest.mark.parametrize(
    ("state", "message", "sender"),
    [
        (TransferState.REQUESTED, "TransferStartMessage", Role.CONSUMER),
        (TransferState.REQUESTED, "TransferCompletionMessage", Role.PROVIDER),
        (TransferState.REQUESTED, "TransferSuspensionMessage", Role.CONSUMER),
        (TransferState.SUSPENDED, "TransferCompletionMessage", Role.PROVIDER),
        (TransferState.SUSPENDED, "TransferSuspensionMessage", Role.PROVIDER),
        (TransferState.STARTED, "TransferStartMessage", Role.PROVIDER),
        (TransferState.REQUESTED, "TransferRequestMessage", Role.CONSUMER),
        (TransferState.TERMINATED, "TransferStartMessage", Role.PROVIDER),
        (TransferState.TERMINATED, "TransferSuspensionMessage", Role.CONSUMER),
        (TransferState.TERMINATED, "TransferCompletionMessage", Role.CONSUMER),
        (TransferState.COMPLETED, "TransferTerminationMessage", Role.PROVIDER),
        (None, "TransferRequestMessage", Role.PROVIDER),
        (None, "TransferStartMessage", Role.PROVIDER),
    ],
)
def test_forbidden_transfer_messages(state, message, sender):
    with pytest.raises(InvalidTransition):
        next_transfer_state(state, message, sender)


def test_error_names_state_message_sender_and_what_is_allowed():
    with pytest.raises(InvalidTransition) as info:
        next_negotiation_state(NegotiationState.REQUESTED, "ContractAgreementMessage", Role.CONSUMER)
    err = info.value
    en, fr = err.describe("en"), err.describe("fr")
    assert "state REQUESTED" in en and "ContractAgreementMessage sent by the consumer" in en
    assert "l'état REQUESTED" in fr and "ContractAgreementMessage envoyé par le consommateur" in fr
    assert "ContractOfferMessage (provider)" in en
    assert "ContractAgreementMessage (provider)" in en
    assert "ContractNegotiationTerminationMessage (provider, consumer)" in en
    assert "ContractOfferMessage (fournisseur)" in fr
    assert str(err) in (en, fr)
    assert err.allowed


def test_error_in_terminal_state_says_so():
    with pytest.raises(InvalidTransition) as info:
        next_transfer_state(TransferState.COMPLETED, "TransferStartMessage", Role.PROVIDER)
    en, fr = info.value.describe("en"), info.value.describe("fr")
    assert "TransferStartMessage" in en and "COMPLETED" in en and "terminal state" in en
    assert "TransferStartMessage" in fr and "COMPLETED" in fr and "état terminal" in fr


def test_error_for_a_new_process_and_for_the_event_type():
    with pytest.raises(InvalidTransition) as info:
        next_negotiation_state(None, "ContractAgreementMessage", Role.PROVIDER)
    assert "none (new process)" in info.value.describe("en")
    assert "ContractRequestMessage (consumer)" in info.value.describe("en")
    with pytest.raises(InvalidTransition) as info:
        next_negotiation_state(
            NegotiationState.AGREED, "ContractNegotiationEventMessage", Role.PROVIDER, "FINALIZED"
        )
    assert "ContractNegotiationEventMessage:FINALIZED" in info.value.describe("en")


def test_event_type_only_for_the_event_message_and_case_insensitive():
    with pytest.raises(ValueError, match="event_type"):
        next_negotiation_state(NegotiationState.AGREED, "ContractAgreementVerificationMessage", Role.CONSUMER,
                               "ACCEPTED")
    assert next_negotiation_state("OFFERED", "ContractNegotiationEventMessage", "consumer", "accepted") is (
        NegotiationState.ACCEPTED
    )


def test_plain_strings_are_accepted_and_unknown_states_are_not():
    assert next_transfer_state("SUSPENDED", "TransferStartMessage", "consumer") is TransferState.STARTED
    with pytest.raises(ValueError):
        next_transfer_state("RUNNING", "TransferStartMessage", "consumer")


def test_terminal_states():
    terminal = {s for s in [*NegotiationState, *TransferState] if is_terminal(s)}
    assert terminal == {NegotiationState.FINALIZED, NegotiationState.TERMINATED, TransferState.COMPLETED,
                        TransferState.TERMINATED}
    assert not is_terminal(None)
    for role in Role:
        for state in (NegotiationState.FINALIZED, NegotiationState.TERMINATED):
            assert allowed_negotiation_messages(state, role) == ()
        for state in (TransferState.COMPLETED, TransferState.TERMINATED):
            assert allowed_transfer_messages(state, role) == ()


def test_allowed_messages_per_role():
    assert set(allowed_negotiation_messages(NegotiationState.OFFERED, Role.CONSUMER)) == {
        "ContractRequestMessage",
        "ContractNegotiationEventMessage:ACCEPTED",
        "ContractNegotiationTerminationMessage",
    }
    assert set(allowed_negotiation_messages(NegotiationState.OFFERED, Role.PROVIDER)) == {
        "ContractNegotiationTerminationMessage"
    }
    assert allowed_negotiation_messages(None, Role.PROVIDER) == ("ContractOfferMessage",)
    assert allowed_transfer_messages(TransferState.REQUESTED, Role.CONSUMER) == (
        "TransferTerminationMessage",
    )


@pytest.mark.parametrize(
    ("intent", "next_state", "states"),
    [(i, next_negotiation_state, NegotiationState) for i in NegotiationIntent]
    + [(i, lambda s, m, r, e: next_transfer_state(s, m, r), TransferState) for i in TransferIntent],
    ids=lambda v: getattr(v, "name", None) or "",
)
def test_each_intent_sends_its_message_and_reaches_its_state(intent, next_state, states):
    assert intent.value.endswith("ING")
    assert intent.value not in {s.value for s in states}
    for role in Role:
        reached = set()
        for state in [None, *states]:
            with contextlib.suppress(InvalidTransition):
                reached.add(next_state(state, intent.message, role, intent.event_type))
        if role in intent.senders:
            assert reached == {intent.reached}
        else:
            assert reached == set()


def test_intent_names():
    assert [i.value for i in NegotiationIntent] == [
        "REQUESTING", "OFFERING", "ACCEPTING", "AGREEING", "VERIFYING", "FINALIZING", "TERMINATING",
    ]
    assert [i.value for i in TransferIntent] == [
        "REQUESTING", "STARTING", "SUSPENDING", "COMPLETING", "TERMINATING",
    ]
    assert NegotiationIntent.FINALIZING.message == "ContractNegotiationEventMessage"
    assert NegotiationIntent.FINALIZING.event_type == "FINALIZED"
    assert TransferIntent.STARTING.reached is TransferState.STARTED
