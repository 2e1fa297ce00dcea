"""Key rotation and the sources of public keys: records signed by a key that has since rotated still verify while
it is published; once retired, its records no longer do (and the report says which key); verification through
the participant's DID document served on loopback (did:web resolution, as an outside auditor would) and through
the key manifest read without the passphrase."""

from __future__ import annotations

import json

from connector.audit import AuditLog
from connector.identity import DidResolver, Participant, create_participant_app
from connector.identity.did import did_from_url
from connector.identity.keys import published_jwks
from connector.server import BackgroundServer

from .helpers import PASS, fill


def test_records_signed_before_a_rotation_still_verify(log, participant):
    before = fill(log, 3)
    old_kid = participant.keys.active_kid
    new_kid = participant.keys.rotate()
    after = fill(log, 3)
    assert {r.kid for r in before} == {old_kid} and {r.kid for r in after} == {new_kid}
    assert log.verify(participant.keys.public_jwks()).ok
    assert log.verify(participant.did_document()).ok
    # A process restarted after the rotation (keys reopened from disk) verifies too.
    reopened = Participant.load(participant.data_dir, PASS)
    assert log.verify(reopened.keys).ok and log.verify(published_jwks(participant.data_dir / "keys")[1]).ok

    participant.keys.retire(old_kid)
    report = log.verify(participant.keys)
    assert not report.ok and report.first_broken_seq == 1 and old_kid in report.reason_en
    assert "retirée" in report.reason_fr


class _RotatingOnFirstSign:
    """A signer whose key rotates between the moment the append reads the active kid and the signature."""

    def __init__(self, keys) -> None:
        self.keys, self.rotated = keys, False

    @property
    def active_kid(self) -> str:
        return self.keys.active_kid

    def sign(self, claims, typ="JWT"):
        if not self.rotated:
            self.rotated = True
            self.keys.rotate()
        return self.keys.sign(claims, typ=typ)


def test_a_key_rotated_during_an_append_gives_a_consistent_record(engine, participant):
    # The kid is part of the hash: a record must never name one key and be signed by another.
    first_kid = participant.keys.active_kid
    log = AuditLog(engine, _RotatingOnFirstSign(participant.keys), participant.did)
    record = log.append("data.access")
    assert record.kid == participant.keys.active_kid != first_kid
    assert log.verify(participant.keys).ok


def test_an_auditor_verifies_against_the_published_did_document(engine, tmp_path):
    server = BackgroundServer()
    participant = Participant.init(tmp_path / "ddtm", did_from_url(server.base_url + "/participants/ddtm"), PASS)
    server.start(create_participant_app([participant]))
    resolver = DidResolver(dev_mode=True)
    try:
        log = AuditLog(engine, participant.keys, participant.did)
        fill(log, 4)
        participant.keys.rotate()  # the document is built on demand: the new key is published at once
        fill(log, 2)
        auditor = AuditLog(engine, None, participant.did)
        assert auditor.verify(resolver).ok
        participant.keys.retire(f"{participant.did}#key-1")
        resolver.invalidate()
        report = auditor.verify(resolver)
        assert not report.ok and report.first_broken_seq == 1
    finally:
        resolver.close()
        server.stop()


def test_the_manifest_gives_the_public_keys_without_the_passphrase(participant):
    participant.keys.rotate()
    did, jwks = published_jwks(participant.data_dir / "keys")
    assert did == participant.did and jwks == participant.keys.public_jwks()
    manifest = (participant.data_dir / "keys" / "keys.json").read_text()
    assert '"d"' not in manifest and "PRIVATE" not in manifest


def test_an_old_manifest_gets_its_public_keys_when_next_opened(participant):
    path = participant.data_dir / "keys" / "keys.json"
    manifest = json.loads(path.read_text())
    for entry in manifest["keys"]:
        del entry["public"]
    path.write_text(json.dumps(manifest))
    assert published_jwks(path.parent)[1] == []
    Participant.load(participant.data_dir, PASS)
    assert published_jwks(path.parent)[1] == participant.keys.public_jwks()
