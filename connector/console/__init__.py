"""The participant console: the web pages a participant's operators use to run its connector (publish datasets
from ISO 19139 records, write and test policies, negotiate, follow agreements and transfers, obtain what an access
plan lists, read the audit log), served by the connector itself under `/console` and protected by a sign-in.

`console_from_settings` builds it for a control plane from the connector's settings; `connector.control.runtime`
mounts it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from .auth import Authenticator, ConsoleUserError, SignInLimiter, hash_password, parse_users, verify_password
from .pages import PREFIX, Console, console_router

__all__ = ["PREFIX", "Authenticator", "Console", "ConsoleUserError", "SignInLimiter", "console_from_settings",
           "console_router", "hash_password", "parse_users", "verify_password"]


def console_from_settings(settings, plane, *, sources_dir: Path | None = None) -> APIRouter:
    """The console's routes for `plane`, signed into with the management token and the `console_users` of
    `settings` (`connector.settings.Settings`)."""
    from catalog.geoconcepts import load_registry

    token = settings.management_token.get_secret_value() if settings.management_token else None
    secret = settings.console_session_secret.get_secret_value().encode() if settings.console_session_secret \
        else None
    auth = Authenticator(token=token, users=parse_users(settings.console_users), secret=secret,
                         idle_seconds=settings.console_session_minutes * 60)
    console = Console(plane, auth,
                      registry=lambda: load_registry(settings.geoconcepts_file, base_iri=settings.geoconcept_base_iri), sources_dir=sources_dir or settings.effective_sources_dir(),
                      default_lang=settings.lang, participant_name=settings.participant_name,
                      secure_cookies=bool(settings.public_url and settings.public_url.startswith("https://")))
    return console_router(console)
