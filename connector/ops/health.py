"""Liveness and readiness probes, the same on every service (connector, federated catalogue, trust authority):

* ``GET /health/live`` — 200 as long as the process answers HTTP (what a Kubernetes liveness probe restarts on);
* ``GET /health/ready`` — 200 when every check passes, else 503; the body lists each check with its outcome and,
  when it fails, why (French and English), so an operator sees at once which dependency is at fault.

A check is a small callable returning a `CheckResult`; the usual ones are built here: database reachable,
migrations applied, background workers running, signing keys loaded. Checks run in a worker thread, each bounded
by a timeout: a database that hangs makes the service not ready within that time instead of hanging the probe."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, inspect, text

DEFAULT_TIMEOUT = 3.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    fr: str = ""
    en: str = ""

    def to_json(self, name: str, elapsed_ms: float) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "status": "ok" if self.ok else "failed",
                               "elapsed_ms": round(elapsed_ms, 1)}
        if self.fr or self.en:
            out["message"] = {"fr": self.fr, "en": self.en}
        return out


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], CheckResult]


def _short(exc: BaseException) -> str:
    text_ = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text_[:200]}" if text_ else type(exc).__name__


def database_check(engine: Engine, name: str = "database") -> Check:
    """The database answers a trivial query."""

    def run() -> CheckResult:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not reachable" to the probe
            return CheckResult(False, f"base de données injoignable ({_short(exc)})",
                               f"database unreachable ({_short(exc)})")
        return CheckResult(True)

    return Check(name, run)


def migrations_check(current: Callable[[], Any], expected: Any, name: str = "migrations") -> Check:
    """The schema is at the version this code expects (`current()` reads it from the database)."""

    def run() -> CheckResult:
        try:
            found = current()
        except Exception as exc:
            return CheckResult(False, f"version du schéma illisible ({_short(exc)})",
                               f"cannot read the schema version ({_short(exc)})")
        if found != expected:
            return CheckResult(False, f"schéma en version {found}, attendue {expected} : lancer `jnt db upgrade`",
                               f"schema at version {found}, expected {expected}: run `jnt db upgrade`")
        return CheckResult(True)

    return Check(name, run)


def tables_check(engine: Engine, tables: Sequence[str], name: str = "schema") -> Check:
    """The service's tables exist (for a database created at start-up rather than migrated)."""

    def run() -> CheckResult:
        try:
            present = set(inspect(engine).get_table_names())
        except Exception as exc:
            return CheckResult(False, f"schéma illisible ({_short(exc)})", f"cannot read the schema ({_short(exc)})")
        missing = [table for table in tables if table not in present]
        if missing:
            return CheckResult(False, f"tables absentes : {', '.join(missing)}", f"missing tables: {', '.join(missing)}")
        return CheckResult(True)

    return Check(name, run)


def worker_check(name: str, running: Callable[[], bool]) -> Check:
    """A background worker (dispatcher, push, crawl scheduler...) is alive."""

    def run() -> CheckResult:
        if running():
            return CheckResult(True)
        return CheckResult(False, f"le processus de fond « {name} » ne tourne pas",
                           f"the background worker '{name}' is not running")

    return Check(f"worker:{name}", run)


def keys_check(active_kid: Callable[[], str], name: str = "keys") -> Check:
    """The signing keys are loaded (an active key exists)."""

    def run() -> CheckResult:
        try:
            kid = active_kid()
        except Exception as exc:
            return CheckResult(False, f"clés de signature non chargées ({_short(exc)})",
                               f"signing keys not loaded ({_short(exc)})")
        if not kid:
            return CheckResult(False, "aucune clé de signature active", "no active signing key")
        return CheckResult(True)

    return Check(name, run)


class Readiness:
    """Runs the checks of one service, each in a worker thread bounded by `timeout` seconds."""

    def __init__(self, service: str, checks: Sequence[Check], *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.service = service
        self.checks = list(checks)
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="jnt-health")

    def add(self, check: Check) -> None:
        self.checks.append(check)

    def run(self) -> tuple[bool, list[dict[str, Any]]]:
        started = {check.name: time.perf_counter() for check in self.checks}
        futures = [(check, self._pool.submit(check.run)) for check in self.checks]
        results = []
        deadline = time.monotonic() + self.timeout
        for check, future in futures:
            try:
                result = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                result = CheckResult(False, f"sans réponse après {self.timeout:g} s",
                                     f"no answer within {self.timeout:g} s")
            except Exception as exc:  # a check must never break the probe
                result = CheckResult(False, f"erreur du contrôle ({_short(exc)})", f"check error ({_short(exc)})")
            results.append(result.to_json(check.name, (time.perf_counter() - started[check.name]) * 1000))
        return all(r["status"] == "ok" for r in results), results

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def health_router(readiness: Readiness) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["Exploitation"])

    @router.get("/live", summary="Vivacité (le processus répond)")
    def live() -> dict[str, Any]:
        return {"status": "alive", "service": readiness.service}

    @router.get("/ready", summary="Disponibilité (base, migrations, processus de fond, clés)",
                responses={503: {"description": "Not ready: the failing checks say why"}})
    def ready() -> JSONResponse:
        ok, checks = readiness.run()
        return JSONResponse({"status": "ready" if ok else "not-ready", "service": readiness.service,
                             "checks": checks}, status_code=200 if ok else 503)

    return router
