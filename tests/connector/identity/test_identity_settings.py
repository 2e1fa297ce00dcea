"""Identity settings from JNT_* variables: trusted authorities as a list, secrets that never show."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from connector.logs import configure_logging
from connector.settings import Settings


@pytest.mark.parametrize("value", ["did:web:a.example, did:web:b.example", '["did:web:a.example", "did:web:b.example"]'])
def test_trusted_authorities_comma_separated_or_json(monkeypatch, value):
    monkeypatch.setenv("JNT_TRUSTED_AUTHORITIES", value)
    assert Settings(_env_file=None).trusted_authorities == ["did:web:a.example", "did:web:b.example"]


def test_defaults_and_bounds(monkeypatch, tmp_path):
    monkeypatch.setenv("JNT_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.auth_mode == "dcp" and settings.clock_skew_seconds == 30 and settings.dev_mode is False
    assert settings.effective_database_url() == f"sqlite:///{tmp_path / 'jnt.sqlite'}"
    monkeypatch.setenv("JNT_AUTH_MODE", "none")
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    assert "auth_mode" in str(info.value)


def test_secrets_are_masked(monkeypatch, capsys):
    monkeypatch.setenv("JNT_KEY_PASSPHRASE", "very secret passphrase")
    monkeypatch.setenv("JNT_ADMIN_TOKEN", "admin-token-value")
    monkeypatch.setenv("JNT_TCK_TOKEN", "tck-token-value")
    settings = Settings(_env_file=None, log_format="json")
    text = repr(settings) + str(settings.model_dump())
    for secret in ("very secret passphrase", "admin-token-value", "tck-token-value"):
        assert secret not in text
    assert settings.key_passphrase.get_secret_value() == "very secret passphrase"
    configure_logging(settings)
    logging.getLogger("jnt.test").info("settings %s", settings)
    assert "very secret passphrase" not in capsys.readouterr().err
