"""What never enters the audit log: secrets. The log is kept for years and shown to auditors, so ``details`` are
cleaned before they are hashed — values under keys that name a secret (tokens, passwords, API keys,
authorization headers, private keys, cookies) and any string that looks like a JWT / JWS are replaced by
``REDACTED``. Callers should not pass secrets at all; this is the safety net, applied to every append."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"pass(word|phrase|wd)|secret|token|authori[sz]ation|api[-_]?key|private[-_]?key|cookie|credential|bearer",
    re.IGNORECASE)
# header.payload[.signature], base64url, starting like every JOSE header ('{"' → eyJ).
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)


def redact_text(text: str) -> str:
    """`text` without JWTs and bearer credentials (explanations may quote a request)."""
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    if "earer" in text or "asic" in text:
        text = _BEARER.sub(REDACTED, text)
    return text


def redact(value: Any) -> Any:
    """A copy of `value` (JSON-like: mappings, lists, scalars) with secrets replaced by ``REDACTED``."""
    if isinstance(value, Mapping):
        return {key: REDACTED if isinstance(key, str) and _SECRET_KEY.search(key) else redact(item)
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
