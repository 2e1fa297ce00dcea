"""Shared test fixtures: where the read-only reference material (`../shared/`) lives."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"reference material not found at {SHARED}: the tests need ../shared beside the checkout")
    return SHARED


# -- no secret in any log line ------------------------------------------------------------------------------------
# Every log record of the whole run (our loggers from DEBUG, the libraries' from their own levels) is formatted
# with its exception text and scanned, raw — before any production redaction filter could hide a leak — for
# tokens (JWS/JWT), bearer credentials, private keys and the secrets the tests configure. A hit fails the run.
import logging  # noqa: E402
import re  # noqa: E402

_SECRET_PATTERNS = (
    ("a JWT / JWS", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")),
    ("a bearer credential", re.compile(r"Bearer\s+(?!\[redacted)[A-Za-z0-9._~+/=-]{12,}")),
    ("a private key", re.compile(r"-----BEGIN (?:ENCRYPTED |EC |RSA |OPENSSH )?PRIVATE KEY-----")),
)
_TEST_SECRETS = ("authority-admin-token", "bench-admin-token", "admin-secret-for-tests", "management-token-for-tests",
                 "correct horse battery staple", "control-plane tests passphrase")


class _SecretScanner(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines = 0
        self.hits: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be formatted is the logging call's problem, not a leak
            return
        self.lines += 1
        for what, pattern in _SECRET_PATTERNS:
            if pattern.search(line):
                self.hits.append(f"{what} in a log line of {record.name} ({record.pathname}:{record.lineno}): "
                                 f"{line[:300]}")
        for secret in _TEST_SECRETS:
            if secret in line:
                self.hits.append(f"the test secret {secret!r} in a log line of {record.name} "
                                 f"({record.pathname}:{record.lineno}): {line[:300]}")


_scanner = _SecretScanner()


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(_scanner)
    logging.getLogger("jnt").setLevel(logging.DEBUG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(_scanner)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if _scanner.hits:
        if reporter is not None:
            reporter.write_line(f"SECRETS IN LOGS: {len(_scanner.hits)} log line(s) hold a secret:", red=True)
            for hit in _scanner.hits[:50]:
                reporter.write_line("  " + hit, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter is not None:
        reporter.write_line(f"log scan: {_scanner.lines} log lines, no secret found")
