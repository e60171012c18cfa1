"""Prometheus metrics: request counts and latencies by route, live stream clients and events.

Each app has its own registry, so several apps (tests) never collide on metric names.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "entrywatch_http_requests",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "entrywatch_http_request_seconds",
            "HTTP request latency (to the response head for streams)",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.stream_clients = Gauge(
            "entrywatch_flag_stream_clients", "Open live flag streams", registry=self.registry
        )
        self.stream_events = Counter(
            "entrywatch_flag_stream_events",
            "Flag events sent on live streams",
            registry=self.registry,
        )


class MetricsMiddleware:
    """Pure ASGI (no response buffering), labels by the route template, not the raw path."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self._observe(scope, status, start)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _observe(self, scope: Scope, status: int, start: float) -> None:
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)
