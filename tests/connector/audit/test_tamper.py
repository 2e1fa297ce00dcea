"""Tampering, as someone with write access to the database would do it (triggers out of the way), on SQLite and
PostgreSQL: each kind of change is detected and the report names the first record at fault, with the reason."""

from __future__ import annotations

import hashlib

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from connector.audit import SIGNATURE_TYPE, record_hash
from connector.audit.chain import canonical_json, hashed_content

from .helpers import DID, fill

N = 6


@pytest.fixture
def records(log):
    records = fill(log, N)
    assert log.verify(log.signer).ok
    return records


def _broken(log, keys, seq, *words):
    report = log.verify(keys)
    assert not report.ok
    assert report.first_broken_seq == seq, report
    assert report.count == seq - 1
    for word in words:
        assert word in report.reason_fr + " | " + report.reason_en, report
    return report


def test_a_changed_field_is_detected(log, participant, records, tamper):
    tamper("UPDATE audit_records SET decision = 'permit' WHERE seq = 4")
    _broken(log, participant.keys, 4, "modifié", "changed")


def test_changed_details_are_detected(log, participant, records, tamper):
    tamper("UPDATE audit_records SET details = :d WHERE seq = 2", d='{"i": 1, "bytes": 0}')
    _broken(log, participant.keys, 2, "modifié")


def test_a_changed_time_is_detected(log, participant, records, tamper):
    tamper("UPDATE audit_records SET at = :at WHERE seq = 5", at=records[0].at.replace(tzinfo=None))
    _broken(log, participant.keys, 5, "modifié")


def test_a_changed_then_rehashed_record_fails_its_signature(log, participant, records, tamper):
    victim = records[2]
    forged = {**hashed_content({c.name: getattr(victim, c.name) for c in victim.__table__.c}),
              "at": victim.at, "decision": "deny"}
    tamper("UPDATE audit_records SET decision = 'deny', hash = :h WHERE seq = 3", h=record_hash(forged))
    _broken(log, participant.keys, 3, "autre contenu", "re-hashed")


def test_a_removed_record_is_detected(log, participant, records, tamper):
    tamper("DELETE FROM audit_records WHERE seq = 3")
    _broken(log, participant.keys, 3, "manquant", "deleted")


def test_several_removed_records_are_named(log, participant, records, tamper):
    tamper("DELETE FROM audit_records WHERE seq IN (2, 3)")
    report = _broken(log, participant.keys, 2, "records 2 to 3 missing")
    assert "enregistrements 2 à 3 manquants" in report.reason_fr


def test_removed_records_then_renumbered_are_detected(log, participant, records, tamper):
    tamper("DELETE FROM audit_records WHERE seq = 2",
           *(f"UPDATE audit_records SET seq = {seq - 1} WHERE seq = {seq}" for seq in range(3, N + 1)),
           f"UPDATE audit_head SET seq = {N - 1}")
    _broken(log, participant.keys, 2, "modifié")


def test_the_first_record_removed_is_detected(log, participant, records, tamper):
    tamper("DELETE FROM audit_records WHERE seq = 1")
    _broken(log, participant.keys, 1, "manquant")


def test_reordered_records_are_detected(log, participant, records, tamper):
    tamper("UPDATE audit_records SET seq = -4 WHERE seq = 4",
           "UPDATE audit_records SET seq = 4 WHERE seq = 3",
           "UPDATE audit_records SET seq = 3 WHERE seq = -4")
    _broken(log, participant.keys, 3, "déplacé", "moved")


def test_swapped_contents_keeping_numbers_are_detected(log, participant, records, tamper):
    # Records 3 and 4 exchange everything but their numbers: each hash covers its `seq`.
    columns = ("id", "at", "event", "actor", "agreement_id", "transfer_id", "dataset_id", "decision",
               "explanation_fr", "explanation_en", "prev_hash", "hash", "kid", "signature")

    def values(record):
        return {c: getattr(record, c).replace(tzinfo=None) if c == "at" else getattr(record, c) for c in columns}

    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    tamper("UPDATE audit_records SET id = 'swapping' WHERE seq = 3",
           f"UPDATE audit_records SET {assignments} WHERE seq = 4", **values(records[2]))
    tamper(f"UPDATE audit_records SET {assignments} WHERE seq = 3", **values(records[3]))
    _broken(log, participant.keys, 3, "modifié")


def test_a_forged_signature_is_detected(log, participant, records, tamper):
    victim = records[1]
    other_key = ed25519.Ed25519PrivateKey.generate()
    forged = jwt.encode({"iss": DID, "sub": victim.hash, "seq": victim.seq}, other_key, algorithm="EdDSA",
                        headers={"kid": victim.kid, "typ": SIGNATURE_TYPE})
    tamper("UPDATE audit_records SET signature = :s WHERE seq = 2", s=forged)
    _broken(log, participant.keys, 2, "falsifiée", "forged")


def test_a_signature_copied_from_another_record_is_detected(log, participant, records, tamper):
    tamper("UPDATE audit_records SET signature = :s WHERE seq = 5", s=records[0].signature)
    _broken(log, participant.keys, 5, "autre contenu")


def test_a_record_signed_by_another_participant_is_detected(log, participant, records, tamper):
    stranger_key = ed25519.Ed25519PrivateKey.generate()
    kid = "did:web:intruder.example#key-1"
    victim = records[3]
    content = {**hashed_content({c.name: getattr(victim, c.name) for c in victim.__table__.c}), "kid": kid}
    digest = hashlib.sha256(canonical_json(content).encode()).hexdigest()
    signature = jwt.encode({"iss": "did:web:intruder.example", "sub": digest, "seq": 4}, stranger_key,
                           algorithm="EdDSA", headers={"kid": kid, "typ": SIGNATURE_TYPE})
    tamper("UPDATE audit_records SET kid = :k, hash = :h, signature = :s WHERE seq = 4",
           k=kid, h=digest, s=signature)
    _broken(log, participant.keys, 4, "autre participant")


def test_a_broken_link_is_detected(log, participant, records, tamper):
    tamper("UPDATE audit_records SET prev_hash = :h WHERE seq = 6", h=records[3].hash)
    _broken(log, participant.keys, 6, "modifié")


def test_a_truncated_tail_is_detected(log, participant, records, tamper):
    tamper(f"DELETE FROM audit_records WHERE seq >= {N - 1}")
    report = _broken(log, participant.keys, N - 1, "tronquée", "truncated")
    assert report.head_seq == N


def test_a_rewound_head_is_caught_by_a_checkpoint(log, participant, records, tamper):
    checkpoint = log.head()
    tamper(f"DELETE FROM audit_records WHERE seq = {N}", f"UPDATE audit_head SET seq = {N - 1}, hash = :h",
           h=records[-2].hash)
    # Without anything kept outside the database, a consistent cut is a shorter, valid log ...
    assert log.verify(participant.keys).ok
    # ... which the head noted earlier exposes.
    report = log.verify(participant.keys, checkpoint=checkpoint)
    assert not report.ok and report.first_broken_seq == N and "point de contrôle" in report.reason_fr
    assert log.verify(participant.keys, checkpoint=(3, records[2].hash)).ok
    wrong = log.verify(participant.keys, checkpoint=(3, records[3].hash))
    assert not wrong.ok and wrong.first_broken_seq == 3


def test_a_deleted_head_is_detected(log, participant, records, tamper):
    tamper("DELETE FROM audit_head")
    report = log.verify(participant.keys)
    assert not report.ok and report.first_broken_seq is None and "tête" in report.reason_fr


def test_an_unreadable_value_breaks_that_record_only(log, participant, records, tamper, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL stores only valid JSON")
    tamper("UPDATE audit_records SET details = :d WHERE seq = 4", d="{not json")
    _broken(log, participant.keys, 4, "illisible")


def test_an_unreadable_time_on_sqlite_breaks_that_record(log, participant, records, tamper, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL stores only valid timestamps")
    tamper("UPDATE audit_records SET at = 'hier soir' WHERE seq = 2")
    _broken(log, participant.keys, 2, "illisible")


def test_keys_of_another_participant_do_not_verify(log, records, tmp_path):
    from connector.identity import KeyStore

    other = KeyStore.create(tmp_path / "other", DID, b"another passphrase")
    _broken(log, other.public_jwks(), 1, "falsifiée")
