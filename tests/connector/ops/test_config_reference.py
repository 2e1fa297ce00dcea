"""The configuration reference in docs/ is the one the settings model generates (a setting added without it fails
here, with the command that fixes it), and `jnt config show` never prints a secret."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from connector.cli import app
from connector.config_reference import reference
from connector.settings import Settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_the_reference_in_docs_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == reference(), "run: jnt config reference > docs/configuration.md"


def test_every_setting_is_documented_with_its_variable():
    text = reference()
    for name, field in Settings.model_fields.items():
        assert f"`JNT_{name.upper()}`" in text
        assert field.description, f"setting {name} has no description"


def test_config_show_hides_secrets():
    result = CliRunner().invoke(app, ["config", "show"], env={"JNT_MANAGEMENT_TOKEN": "do-not-print-me",
                                                             "JNT_KEY_PASSPHRASE": "nor-me", "JNT_LANG": "en",
                                                             "JNT_DATABASE_URL": "postgresql+psycopg://jnt:s3cr3t-pw@db/jnt",
                                                             "JNT_CONSOLE_USERS": "alice:scrypt$16384$8$1$c2FsdA$aGFzaA"})
    assert result.exit_code == 0, result.output
    assert "do-not-print-me" not in result.output and "nor-me" not in result.output
    assert "s3cr3t-pw" not in result.output and "jnt:***@db" in result.output
    shown = json.loads(result.output)
    assert "scrypt$" not in result.output and "console_users" in shown["secrets_not_included"]
    assert {"management_token", "key_passphrase"} <= set(shown["secrets_not_included"])
