"""Shared by the audit tests: the participant's identity, and a log filled the way the connector fills it."""

from __future__ import annotations

from connector.audit import AuditLog

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASS = b"correct horse battery staple"
DID = "did:web:ddtm44.example"


def fill(log: AuditLog, n: int) -> list:
    """`n` records of varied events, as the data plane and the control plane would write them."""
    kinds = [("agreement.signed", "none"), ("transfer.started", "none"), ("data.access", "permit"),
             ("data.refused", "deny"), ("duty.deleted", "none")]
    records = []
    for i in range(n):
        event, decision = kinds[i % len(kinds)]
        records.append(log.append(
            event, actor="did:web:region-pdl.example", agreement_id=f"urn:uuid:agreement-{i % 2}",
            transfer_id=f"urn:uuid:transfer-{i % 3}", dataset_id="urn:jnt:ddtm44:ppri-loire", decision=decision,
            explanation=(f"accès {i} : la finalité est autorisée", f"access {i}: the purpose is allowed"),
            details={"i": i, "bytes": 1024 * i, "bbox": [-1.8, 47.1, -1.4, 47.3], "note": "é"}))
    return records
