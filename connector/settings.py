"""Settings of every JNT process, read from the environment (prefix `JNT_`) or a `.env` file, with defaults that
work on a developer's laptop. App factories and commands take a `Settings` object: no global state."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JNT_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    lang: Literal["fr", "en"] = Field("fr", description="Language of user-facing text (CLI messages, explanations).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Minimum level of log events.")
    log_format: Literal["text", "json"] = Field(
        "text", description="`text` for people (development), `json` for one JSON event per line (production)."
    )
    geoconcepts_file: str | None = Field(
        None, description="Géo-concept list (CSV or SKOS Turtle) replacing the bundled flood-risk list."
    )
    geoconcept_base_iri: str = Field(
        "https://w3id.org/jnt/geoconcept/", description="Base IRI under which géo-concepts are published (SKOS)."
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. command-line options) on top."""
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**values)


def ui_lang() -> str:
    """The language for static help text, known before any option is parsed."""
    lang = os.environ.get("JNT_LANG", "fr").lower()
    return "en" if lang.startswith("en") else "fr"
