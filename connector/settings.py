"""Settings of every JNT process, read from the environment (prefix `JNT_`) or a `.env` file, with defaults that
work on a developer's laptop. App factories and commands take a `Settings` object: no global state."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JNT_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    lang: Literal["fr", "en"] = Field("fr", description="Language of user-facing text (CLI messages, explanations).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Minimum level of log events.")
    log_format: Literal["text", "json"] = Field(
        "text", description="`text` for people (development), `json` for one JSON event per line (production)."
    )

    # -- identity and trust (docs/identity.md) --------------------------------------------------------------------
    data_dir: Path = Field(Path("var"), description="Where a process keeps its keys, credential and database.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: a SQLite file `jnt.sqlite` under the data directory.")
    did: str | None = Field(None, description="This process's did:web DID; default: derived from `public_url`.")
    public_url: str | None = Field(None, description="Base URL where this process is reachable (e.g. behind a proxy).")
    dev_mode: bool = Field(False, description="Development: allow plain HTTP to loopback hosts (DIDs, status lists).")
    key_passphrase: SecretStr | None = Field(None, description="Passphrase that encrypts the private keys at rest.")
    key_passphrase_file: Path | None = Field(None, description="File holding the key passphrase (a mounted secret).")
    admin_token: SecretStr | None = Field(None, description="Bearer token of the trust authority's admin API.")
    management_token: SecretStr | None = Field(
        None, description="API key of a connector's management API (`Authorization: Bearer` or `X-Api-Key`).")
    console_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Operators who may sign in to the participant console besides the "
        "management token: `name:hash` entries (comma-separated or a JSON list), each hash made by "
        "`jnt console hash-password` (scrypt).")
    console_session_secret: SecretStr | None = Field(
        None, description="Key that signs the console's session cookies; give every replica the same one. Unset: "
        "each process draws its own at start-up (sessions end when it restarts).")
    console_session_minutes: int = Field(
        30, ge=1, le=720, description="A console session ends after this many minutes without a page viewed "
        "(and after 8 hours in any case).")
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token a Prometheus scraper must present at `/metrics`; unset: `/metrics` is open "
                          "(it holds counts, never identifiers or secrets).")
    participant_name: str | None = Field(None, description="Display name of this participant (catalogue title).")
    replica_id: str = Field(
        default_factory=lambda: os.environ.get("HOSTNAME") or __import__("socket").gethostname(),
        description="Stable name of this connector replica; its work leases are released when it restarts.")
    dsp_first_callback_delay: float = Field(
        0.05, ge=0, le=10, description="Seconds between acknowledging a new process and sending its first callback.")
    sources_dir: Path | None = Field(
        None, description="Directory under which the local data sources (files, folders) of published datasets "
        "must lie; default: `sources` under the data directory.")
    received_dir: Path | None = Field(
        None, description="Directory where the data pulled as consumer is written (and the only place the management "
        "API may write it); default: `received` under the data directory.")
    authority_url: str | None = Field(None, description="Base URL of the trust authority (for `jnt authority ...`).")
    trusted_authorities: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="DIDs of the trust authorities whose credentials are accepted "
        "(comma-separated or a JSON list).")
    auth_mode: Literal["dcp", "off", "static-token"] = Field(
        "dcp", description="`dcp`: verify self-issued tokens; `off` / `static-token`: TCK modes (no real check).")
    tck_token: SecretStr | None = Field(None, description="The one bearer token accepted in `static-token` mode.")
    clock_skew_seconds: int = Field(30, ge=0, le=300, description="Tolerated clock difference for token times.")
    did_cache_ttl_seconds: float = Field(300.0, ge=0, description="How long a resolved DID document is reused.")
    status_list_ttl_seconds: float = Field(300.0, ge=0, description="How long a fetched status list is reused.")
    credential_validity_days: int = Field(365, ge=1, description="Validity of the membership credentials issued.")

    @field_validator("trusted_authorities", "console_users", mode="before")
    @classmethod
    def _split_dids(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("console_users")
    @classmethod
    def _check_console_users(cls, value: list[str]) -> list[str]:
        for i, entry in enumerate(value):
            name, _, encoded = entry.partition(":")
            if not name.strip() or len(encoded.strip().split("$")) != 6 or not encoded.strip().startswith("scrypt$"):
                raise ValueError(f"console_users[{i}]: expected name:scrypt$N$r$p$salt$key "
                                 "(made by `jnt console hash-password`)")
        return value

    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'jnt.sqlite'}"

    def effective_sources_dir(self) -> Path:
        return Path(self.sources_dir) if self.sources_dir is not None else Path(self.data_dir) / "sources"

    def effective_received_dir(self) -> Path:
        return Path(self.received_dir) if self.received_dir is not None else Path(self.data_dir) / "received"
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
