"""Prometheus metrics at ``GET /metrics`` (prometheus-client, text exposition format), one registry per service
instance — no global state, so several services can live in one process (tests, the demo).

What every service exposes:

* ``jnt_http_requests_total{area, endpoint, method, status}`` and ``jnt_http_request_duration_seconds{area}`` —
  every HTTP request, by area (``dsp``, ``data``, ``management``, ``catalogue``, ``health``, ``other``) and route
  template (``/api/dsp/2025-1/negotiations/{pid}/request``: never the raw path, so the label set stays small);
* ``jnt_data_bytes_total`` and ``jnt_data_requests_total{status}`` — data-plane bodies sent and requests served.

What a connector adds (read from its store and workers at scrape time, or counted from its audit log):

* ``jnt_negotiations{role, state}``, ``jnt_transfers{role, state}`` — processes by state;
* ``jnt_worker_queue_depth{kind}`` — processes with a pending intent (the dispatcher's work);
* ``jnt_dispatcher_messages_total{outcome}`` — messages sent, retried, failed for good;
* ``jnt_policy_decisions_total{event, decision}`` — every decision recorded in the audit log (permit / deny).

The federated catalogue adds its crawl figures (``jnt_crawl_duration_seconds``, ``jnt_crawl_connector_errors_total
{connector}``, ``jnt_crawl_datasets``...) through `crawl_collector`."""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

AREAS = (("/api/dsp/", "dsp"), ("/.well-known/dspace-version", "dsp"), ("/data", "data"),
         ("/management", "management"), ("/api/", "catalogue"), ("/health", "health"), ("/metrics", "health"))
DATA_AREA = "data"
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def area_of(path: str) -> str:
    for prefix, area in AREAS:
        if path.startswith(prefix) and (len(path) == len(prefix) or prefix.endswith("/")
                                        or path[len(prefix)] in "/?"):
            return area
    return "other"


def endpoint_of(scope: dict[str, Any]) -> str:
    """The matched route's template with its full prefix (`/api/dsp/2025-1/negotiations/{pid}/request`). Routers
    included with a prefix may report their route's path without it: the prefix is what the raw path has before
    the route's path with its parameters filled in."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not template:
        return "unmatched"
    params = scope.get("path_params") or {}
    try:
        rendered = _PARAM.sub(lambda m: str(params[m.group(1)]), template)
    except KeyError:
        return _PARAM.sub(r"{\1}", template)
    path = scope.get("path", "")
    prefix = path[:-len(rendered)] if rendered and path.endswith(rendered) else ""
    return prefix + _PARAM.sub(r"{\1}", template)


class ServiceMetrics:
    """The metrics of one service: a registry, the HTTP counters (fed by `middleware`), and collectors added by
    the service (`add`)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.requests = Counter("jnt_http_requests", "HTTP requests served, by area, route, method and status",
                                ["area", "endpoint", "method", "status"], registry=self.registry)
        self.duration = Histogram("jnt_http_request_duration_seconds", "Time to answer an HTTP request (headers "
                                  "and body)", ["area"], registry=self.registry,
                                  buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))
        self.data_bytes = Counter("jnt_data_bytes", "Body bytes sent by the data plane", registry=self.registry)
        self.data_requests = Counter("jnt_data_requests", "Data-plane requests, by status", ["status"],
                                     registry=self.registry)
        self.decisions = Counter("jnt_policy_decisions", "Policy decisions recorded in the audit log, by event and "
                                 "decision", ["event", "decision"], registry=self.registry)

    def add(self, collector: Collector) -> None:
        self.registry.register(collector)

    def on_audit(self, record: Any) -> None:
        """An audit-log listener: count the permit / deny decisions."""
        if record.decision in ("permit", "deny"):
            self.decisions.labels(record.event, record.decision).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def middleware(self, app: Any) -> Any:
        """Wrap an ASGI app: count each HTTP request once it is answered (and the data plane's body bytes)."""
        metrics = self

        async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = [500]
            sent = [0]
            data = area_of(scope.get("path", "")) == DATA_AREA

            async def counting_send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    status[0] = message["status"]
                elif data and message["type"] == "http.response.body":
                    sent[0] += len(message.get("body", b""))
                await send(message)

            try:
                await app(scope, receive, counting_send)
            finally:
                endpoint = endpoint_of(scope)
                area = area_of(scope.get("path", ""))
                code = str(status[0])
                metrics.requests.labels(area, endpoint, scope.get("method", ""), code).inc()
                metrics.duration.labels(area).observe(time.perf_counter() - started)
                if data:
                    metrics.data_requests.labels(code).inc()
                    if sent[0]:
                        metrics.data_bytes.inc(sent[0])

        return wrapped


def metrics_router(metrics: ServiceMetrics, token: str | None = None) -> APIRouter:
    """`GET /metrics`; with `token`, only for a scraper presenting it as a bearer token."""
    router = APIRouter(tags=["Exploitation"])
    expected = token.encode("utf-8") if token else None

    @router.get("/metrics", summary="Métriques Prometheus", response_class=Response)
    def exposition(request: Request) -> Response:
        if expected is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), expected):
                return JSONResponse({"error": "metrics-token", "message": {
                    "fr": "jeton des métriques absent ou incorrect (JNT_METRICS_TOKEN)",
                    "en": "missing or wrong metrics token (JNT_METRICS_TOKEN)"}}, status_code=401,
                    headers={"WWW-Authenticate": "Bearer"})
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def install(app: Any, metrics: ServiceMetrics, *, token: str | None = None) -> None:
    """Serve `/metrics` and count every request of the FastAPI `app`."""
    app.include_router(metrics_router(metrics, token))
    app.add_middleware(_Middleware, metrics=metrics)
    app.state.metrics = metrics


class _Middleware:
    def __init__(self, app: Any, metrics: ServiceMetrics) -> None:
        self._call = metrics.middleware(app)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self._call(scope, receive, send)


class StoreCollector(Collector):
    """A connector's processes and its dispatcher, read at scrape time."""

    def __init__(self, counts: Callable[[], Iterable[tuple[str, str, str, int]]],
                 queue: Callable[[], dict[str, int]], dispatcher: Any) -> None:
        self._counts = counts
        self._queue = queue
        self._dispatcher = dispatcher

    def collect(self) -> Iterator[Any]:
        families = {
            "negotiation": GaugeMetricFamily("jnt_negotiations", "Contract negotiations by role and state",
                                             labels=["role", "state"]),
            "transfer": GaugeMetricFamily("jnt_transfers", "Transfer processes by role and state",
                                          labels=["role", "state"]),
        }
        for kind, role, state, count in self._counts():
            families[kind].add_metric([role, state], count)
        yield from families.values()
        queue = GaugeMetricFamily("jnt_worker_queue_depth", "Processes with a message waiting to be sent",
                                  labels=["kind"])
        for kind, count in self._queue().items():
            queue.add_metric([kind], count)
        yield queue
        messages = CounterMetricFamily("jnt_dispatcher_messages", "Outgoing DSP messages: sent, retried, failed "
                                       "for good (since start)", labels=["outcome"])
        messages.add_metric(["sent"], self._dispatcher.sent)
        messages.add_metric(["retried"], self._dispatcher.retries)
        messages.add_metric(["failed"], self._dispatcher.failures)
        yield messages

    def describe(self) -> list[Any]:
        return []


class CrawlCollector(Collector):
    """A federated catalogue's crawl figures, read at scrape time from its index and scheduler."""

    def __init__(self, statuses: Callable[[], Iterable[Any]], last_report: Callable[[], Any],
                 datasets: Callable[[], int]) -> None:
        self._statuses = statuses
        self._last_report = last_report
        self._datasets = datasets

    def collect(self) -> Iterator[Any]:
        report = self._last_report()
        duration = GaugeMetricFamily("jnt_crawl_duration_seconds", "Duration of the last crawl")
        if report is not None:
            duration.add_metric([], report.duration)
        yield duration
        states = GaugeMetricFamily("jnt_crawl_connectors", "Crawled connectors by state", labels=["state"])
        failures = GaugeMetricFamily("jnt_crawl_connector_consecutive_failures", "Failed crawls in a row, per "
                                     "connector", labels=["connector"])
        latency = GaugeMetricFamily("jnt_crawl_connector_latency_seconds", "Latency of the last crawl, per "
                                    "connector", labels=["connector"])
        counted: dict[str, int] = {}
        for status in self._statuses():
            counted[status.state] = counted.get(status.state, 0) + 1
            failures.add_metric([status.did], status.consecutive_failures)
            if status.latency_ms is not None:
                latency.add_metric([status.did], status.latency_ms / 1000)
        for state, count in counted.items():
            states.add_metric([state], count)
        yield from (states, failures, latency)
        datasets = GaugeMetricFamily("jnt_crawl_datasets", "Datasets in the federated index")
        datasets.add_metric([], self._datasets())
        yield datasets

    def describe(self) -> list[Any]:
        return []
