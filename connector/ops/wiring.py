"""The probes and metrics of each service, assembled from its parts: what "ready" means for a connector, a
federated catalogue and a trust authority, and which collectors feed their `/metrics`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from connector.store.migrate import current_revision, head_revision

from .health import (
    Readiness,
    database_check,
    health_router,
    keys_check,
    migrations_check,
    tables_check,
    worker_check,
)
from .metrics import ServiceMetrics, StoreCollector, install


def _token(settings: Any) -> str | None:
    token = getattr(settings, "metrics_token", None)
    return token.get_secret_value() if token else None


def instrument_connector(app: Any, settings: Any, plane: Any, keys: Any, audit: Any) -> Readiness:
    """Probes and metrics of a connector: ready = database reachable, schema at the newest migration, dispatcher
    (and push worker, deletion sweeper) running, signing keys loaded."""
    engine: Engine = plane.store.engine
    checks = [database_check(engine), migrations_check(lambda: current_revision(engine), head_revision()),
              worker_check("dispatcher", lambda: plane.dispatcher.running), keys_check(lambda: keys.active_kid)]
    if plane.pusher is not None:
        checks.append(worker_check("push", lambda: plane.pusher.running))
    if plane.sweeper is not None:
        checks.append(worker_check("sweeper", lambda: plane.sweeper.running))
    readiness = Readiness("connector", checks)
    metrics = ServiceMetrics("connector")
    metrics.add(StoreCollector(plane.store.counts_by_state, plane.store.pending_by_kind, plane.dispatcher))
    audit.listeners.append(metrics.on_audit)
    _serve(app, settings, readiness, metrics)
    return readiness


def _serve(app: Any, settings: Any, readiness: Readiness, metrics: ServiceMetrics) -> None:
    app.include_router(health_router(readiness))
    install(app, metrics, token=_token(settings))
    app.state.readiness = readiness


def instrument_authority(app: Any, settings: Any, authority: Any, tables: list[str]) -> Readiness:
    """Probes and metrics of a trust authority: ready = database reachable with its register's tables, keys
    loaded."""
    readiness = Readiness("authority", [database_check(authority.engine), tables_check(authority.engine, tables),
                                        keys_check(lambda: authority.keys.active_kid)])
    _serve(app, settings, readiness, ServiceMetrics("authority"))
    return readiness


def instrument_catalogue(app: Any, settings: Any, catalogue: Any) -> Readiness:
    """Probes and metrics of a federated catalogue: ready = index reachable at its schema version, crawl scheduler
    running, keys loaded; metrics add the crawl figures."""
    from catalog.federated.schema import SCHEMA_VERSION, schema_version

    from .metrics import CrawlCollector

    engine: Engine = catalogue.index.engine

    def version() -> int:
        with engine.connect() as connection:
            return schema_version(connection)

    readiness = Readiness("catalogue", [
        database_check(engine), migrations_check(version, SCHEMA_VERSION),
        worker_check("crawler", lambda: catalogue.scheduler.running),
        keys_check(lambda: catalogue.participant.keys.active_kid)])
    metrics = ServiceMetrics("catalogue")
    metrics.add(CrawlCollector(catalogue.index.connector_statuses,
                               lambda: catalogue.scheduler.last_report, catalogue.index.count))
    _serve(app, settings, readiness, metrics)
    return readiness
