"""The repository on SQLite and PostgreSQL: concurrent workers never lease the same process, an expired lease is
claimed again, a stale update is refused, lookups are scoped to the counterparty, a repeated message is seen."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from connector.dsp.states import NegotiationIntent, NegotiationState, Role, TransferIntent, TransferState
from connector.store import ConcurrentUpdate, Store, message_digest, upgrade

ALICE = "did:web:alice.example"
BOB = "did:web:bob.example"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database_url, clock):
    upgrade(database_url)
    store = Store.from_url(database_url, clock=clock)
    yield store
    store.engine.dispose()


def _negotiation(store: Store, **fields):
    values = {"role": Role.PROVIDER, "counterparty_did": ALICE, "counterparty_address": "https://alice.example/dsp",
              "state": NegotiationState.REQUESTED, "consumer_pid": f"urn:uuid:{uuid.uuid4()}"}
    return store.create_negotiation(**{**values, **fields})


def test_concurrent_claimers_never_get_the_same_process(store):
    for n in range(200):
        _negotiation(store, consumer_pid=f"urn:uuid:c-{n}", intent=NegotiationIntent.AGREEING)
    claimed: Counter[str] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(owner: str) -> None:
        try:
            while batch := store.claim_due("negotiation", owner, lease_seconds=60, limit=7):
                with lock:
                    claimed.update(process.id for process in batch)
                assert all(process.lease_owner == owner for process in batch)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(claimed) == 200 and set(claimed.values()) == {1}


def test_only_due_processes_with_an_intent_are_claimed(store, clock):
    idle = _negotiation(store, consumer_pid="urn:uuid:idle")
    later = _negotiation(store, consumer_pid="urn:uuid:later")
    later = store.set_intent("negotiation", later.id, later.version, NegotiationIntent.OFFERING, delay=30)
    due = _negotiation(store, consumer_pid="urn:uuid:due", intent=NegotiationIntent.OFFERING)
    assert [p.id for p in store.claim_due("negotiation", "w", 60)] == [due.id]
    clock.advance(31)
    assert [p.id for p in store.claim_due("negotiation", "w", 60)] == [later.id]
    assert store.claim_due("negotiation", "w", 60) == []
    assert store.get("negotiation", idle.id).lease_owner is None
    assert store.claim_due("transfer", "w", 60) == []  # the kinds are separate queues


def test_an_expired_lease_is_claimed_again_and_a_released_one_at_once(store, clock):
    process = _negotiation(store, intent=NegotiationIntent.AGREEING)
    [claimed] = store.claim_due("negotiation", "crashed-worker", lease_seconds=30)
    assert claimed.lease_expires_at == clock.now + timedelta(seconds=30)
    assert store.claim_due("negotiation", "other", lease_seconds=30) == []
    clock.advance(30)
    assert [p.id for p in store.claim_due("negotiation", "other", lease_seconds=30)] == [process.id]
    assert not store.release("negotiation", process.id, "crashed-worker")  # not its lease any more
    assert store.release("negotiation", process.id, "other")
    assert [p.lease_owner for p in store.claim_due("negotiation", "third", 30)] == ["third"]


def test_reschedule_backs_off_and_keeps_the_intent(store, clock):
    process = _negotiation(store, intent=NegotiationIntent.AGREEING)
    [claimed] = store.claim_due("negotiation", "w", 60)
    assert store.reschedule("negotiation", process.id, "w", "connection refused", retry_count=claimed.retry_count,
                            base_delay=2)
    again = store.get("negotiation", process.id)
    assert (again.retry_count, again.error_detail, again.lease_owner) == (1, "connection refused", None)
    assert again.next_attempt_at == clock.now + timedelta(seconds=2)
    assert again.intent == "AGREEING" and again.version == process.version
    clock.advance(1)
    assert store.claim_due("negotiation", "w", 60) == []
    clock.advance(1)
    [claimed] = store.claim_due("negotiation", "w", 60)
    store.reschedule("negotiation", process.id, "w", "timeout", retry_count=claimed.retry_count, base_delay=2)
    assert store.get("negotiation", process.id).next_attempt_at == clock.now + timedelta(seconds=4)


def test_a_stale_update_is_refused(store):
    process = _negotiation(store, intent=NegotiationIntent.AGREEING)
    [claimed] = store.claim_due("negotiation", "w", 60)
    agreed = store.set_state("negotiation", process.id, claimed.version, NegotiationState.AGREED,
                             agreement_id="urn:uuid:agreement-1")
    assert (agreed.state, agreed.intent, agreed.version) == ("AGREED", None, process.version + 1)
    assert agreed.next_attempt_at is None and agreed.agreement_id == "urn:uuid:agreement-1"
    with pytest.raises(ConcurrentUpdate):
        store.set_state("negotiation", process.id, claimed.version, NegotiationState.TERMINATED)
    assert store.get("negotiation", process.id).state == "AGREED"
    with pytest.raises(ConcurrentUpdate):
        store.update("negotiation", "no-such-id", 1, state="OFFERED")
    with pytest.raises(ValueError):
        store.update("negotiation", process.id, agreed.version, lease_owner="me")


def test_a_replayed_request_cannot_create_a_second_process(store):
    _negotiation(store, consumer_pid="urn:uuid:consumer-1")
    with pytest.raises(IntegrityError):
        _negotiation(store, consumer_pid="urn:uuid:consumer-1")
    _negotiation(store, consumer_pid="urn:uuid:consumer-1", role=Role.CONSUMER)  # unique per role


def test_lookups_by_pid_are_scoped_to_the_counterparty(store):
    ours = _negotiation(store, consumer_pid="urn:uuid:consumer-1")
    assert ours.provider_pid.startswith("urn:uuid:")  # our own pid is generated
    found = store.get_by_pid("negotiation", Role.PROVIDER, ours.provider_pid, ALICE)
    assert found is not None and found.id == ours.id and found.offer is None
    assert store.get_by_pid("negotiation", Role.PROVIDER, ours.provider_pid, BOB) is None
    assert store.get_by_pid("negotiation", Role.PROVIDER, "urn:uuid:unknown", ALICE) is None
    assert store.get_by_pid("negotiation", Role.CONSUMER, ours.provider_pid, ALICE) is None


def test_transfers_and_agreements_round_trip(store):
    agreement = store.save_agreement(id="urn:uuid:agreement-1", negotiation_id="n-1", provider_did=BOB,
                                     consumer_did=ALICE, target="urn:dataset:flood", policy={"permission": []},
                                     signed_jws="header.payload.signature")
    assert store.get_agreement(agreement.id).policy == {"permission": []}
    assert store.get_agreement(agreement.id).timestamp.tzinfo is not None
    transfer = store.create_transfer(role=Role.CONSUMER, counterparty_did=BOB, state=TransferState.REQUESTED,
                                     agreement_id=agreement.id, format="HttpData-PULL",
                                     intent=TransferIntent.REQUESTING, provider_pid=None)
    found = store.get_by_pid("transfer", Role.CONSUMER, transfer.consumer_pid, BOB)
    assert found.agreement_id == agreement.id and found.created_at.tzinfo is not None
    started = store.set_state("transfer", transfer.id, found.version, TransferState.STARTED,
                              provider_pid="urn:uuid:p-1", data_address={"endpoint": "https://bob.example/data"})
    assert started.data_address == {"endpoint": "https://bob.example/data"}
    assert store.get_by_pid("transfer", Role.CONSUMER, transfer.consumer_pid, ALICE) is None


def test_a_repeated_message_is_recognised(store):
    process = _negotiation(store)
    message = {"@type": "ContractRequestMessage", "consumerPid": process.consumer_pid, "offer": {"@id": "o-1"}}
    key = message_digest(message)
    assert key == message_digest(dict(reversed(message.items())))  # canonical: key order does not matter
    assert store.remember_message("negotiation", process.id, key, "ContractRequestMessage")
    assert not store.remember_message("negotiation", process.id, key, "ContractRequestMessage")
    assert store.remember_message("negotiation", "another-process", key)
    assert store.remember_message("transfer", process.id, key)
