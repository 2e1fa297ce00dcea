"""The log scan of the whole test run (tests/conftest.py) does catch a leaked secret: fed the lines a careless
log call would write, a fresh scanner reports each, and says nothing of an ordinary line."""

from __future__ import annotations

import logging
import sys


def _scanner_class():
    for module in list(sys.modules.values()):
        found = getattr(module, "_SecretScanner", None)
        if found is not None and getattr(module, "_scanner", None) is not None:
            return found
    raise AssertionError("the log scanner of tests/conftest.py is not loaded")


def _scan(message: str, *args) -> list[str]:
    scanner = _scanner_class()()
    logger = logging.getLogger("jnt.test.scan")
    logger.propagate = False  # these lines are leaks on purpose: they must not reach the run's own scan
    logger.addHandler(scanner)
    try:
        logger.warning(message, *args)
    finally:
        logger.removeHandler(scanner)
    return scanner.hits


def test_the_scanner_reports_tokens_bearer_credentials_keys_and_test_secrets():
    jws = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6d2ViOmV4YW1wbGUifQ.c2lnbmF0dXJlLW9mLTY0LWJ5dGVzLWhlcmU"
    assert _scan("token refused: %s", jws)
    assert _scan("calling with Authorization: Bearer abcdefghijklmnop")
    assert _scan("key: -----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert _scan("management token management-token-for-tests accepted")
    assert _scan("negotiation %s finalized with %s", "urn:uuid:1", "did:web:ddtm44.example") == []
    assert _scan("Authorization: Bearer [redacted]") == []
