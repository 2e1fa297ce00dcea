"""The tamper-evident audit log of a connector (issue 6): every access decision and contract event is appended as a
record that is hash-chained to the previous one and signed with the participant's key; the database refuses
changes; ``verify`` names the first record that is not as written. ``jnt audit verify|list`` is the command line.

    log = AuditLog(engine, participant.keys, participant.did)
    log.append("data.access", actor=consumer_did, agreement_id=..., transfer_id=..., dataset_id=...,
               decision="permit", explanation=(fr, en), details={"bytes": 1024})
    log.query(agreement_id=..., limit=50)            # newest first
    log.verify(participant.keys.public_jwks())       # VerifyReport(ok, count, first_broken_seq, reason_fr, ...)
"""

from .chain import GENESIS, SIGNATURE_TYPE, canonical_json, record_hash
from .errors import AuditError
from .events import DECISIONS
from .log import AuditLog, Signer, record_json
from .redaction import REDACTED, redact
from .verify import VerifyReport, key_lookup, verify_chain

__all__ = [
    "AuditError", "AuditLog", "DECISIONS", "GENESIS", "REDACTED", "SIGNATURE_TYPE", "Signer", "VerifyReport",
    "canonical_json", "key_lookup", "record_hash", "record_json", "redact", "verify_chain",
]
