"""Settings from JNT_* variables, and logs that never carry a secret."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from connector.logs import JsonFormatter, RedactingFilter, configure_logging, redact
from connector.settings import Settings, load_settings


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("JNT_LANG", "en")
    monkeypatch.setenv("JNT_LOG_FORMAT", "json")
    settings = load_settings()
    assert settings.lang == "en" and settings.log_format == "json"
    assert load_settings(lang="fr").lang == "fr"  # an explicit option wins over the environment


def test_bad_setting_names_the_field(monkeypatch):
    monkeypatch.setenv("JNT_LOG_LEVEL", "LOUD")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert "log_level" in str(info.value)


def test_json_logs_redact_secrets(capsys):
    configure_logging(Settings(log_format="json", log_level="INFO"))
    jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJkaWQ6d2ViOngifQ.c2lnbmF0dXJl"
    logging.getLogger("jnt.test").info("sent Authorization: Bearer %s", jwt, extra={"token": "s3cret", "pid": "urn:1"})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    event = json.loads(line)
    assert event["level"] == "info" and event["logger"] == "jnt.test" and event["pid"] == "urn:1"
    assert "s3cret" not in line and jwt not in line
    assert event["token"] == "[redacted]"


def test_library_request_logs_only_in_debug():
    configure_logging(Settings(log_level="INFO"))
    assert logging.getLogger("httpx").level == logging.WARNING
    configure_logging(Settings(log_level="DEBUG"))
    assert logging.getLogger("httpx").level == logging.DEBUG


def test_redact_plain_text():
    assert redact("Bearer abc.def") == "Bearer [redacted]"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "password is %s", ("hunter2",), None)
    record.password = "hunter2"
    RedactingFilter().filter(record)
    assert record.password == "[redacted]"
    assert JsonFormatter().format(record)
