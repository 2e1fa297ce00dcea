"""The hash chain: what a record's hash covers and how it is computed, and what its signature says.

A record's hash is the SHA-256 (hex) of the canonical JSON — sorted keys, no whitespace, UTF-8, no NaN — of all its
fields except ``hash`` and ``signature``, ``prev_hash`` included, so every record commits to the whole history
before it. ``at`` is written as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC, microseconds: what both databases keep).
Record 1 follows ``GENESIS``. The signature is a compact JWS (``typ`` ``SIGNATURE_TYPE``) by the participant's
active key over ``{"iss": did, "sub": hash, "seq": seq}``: the hash already binds every field."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

GENESIS: Final = "0" * 64
SIGNATURE_TYPE: Final = "jnt-audit+jwt"
#: The fields the hash covers, in the order the database lists them.
HASHED_FIELDS: Final = ("seq", "id", "at", "event", "actor", "agreement_id", "transfer_id", "dataset_id",
                        "decision", "explanation_fr", "explanation_en", "details", "prev_hash", "kid")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime: audit times are timezone-aware (UTC)")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hashed_content(record: Mapping[str, Any]) -> dict[str, Any]:
    """The part of `record` (a row mapping or a dict of column values) that its hash covers."""
    content = {name: record[name] for name in HASHED_FIELDS}
    content["at"] = format_time(content["at"])
    return content


def record_hash(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(hashed_content(record)).encode("utf-8")).hexdigest()


def signature_claims(did: str, digest: str, seq: int) -> dict[str, Any]:
    return {"iss": did, "sub": digest, "seq": seq}
