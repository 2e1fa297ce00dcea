"""Operations: liveness and readiness probes (`health`), Prometheus metrics (`metrics`), and their wiring into
each service (`wiring`)."""

from .health import (
    Check,
    CheckResult,
    Readiness,
    database_check,
    health_router,
    keys_check,
    migrations_check,
    worker_check,
)
from .metrics import ServiceMetrics, StoreCollector, install, metrics_router

__all__ = [
    "Check", "CheckResult", "Readiness", "ServiceMetrics", "StoreCollector", "database_check", "health_router",
    "install", "keys_check", "metrics_router", "migrations_check", "worker_check",
]
