"""`dropship serve`: the supplier webhook receiver and Prometheus `/metrics` on one port."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from dropship_core.metrics_collector import metrics_endpoint
from dropship_core.webhook import create_app


def build_app(store: Any, *, metrics_token: str | None = None, cache_s: float | None = None,
              **webhook_kw: Any) -> Starlette:
    """`/metrics` (bearer token, cached, read off the event loop) in front of the receiver."""
    endpoint = metrics_endpoint(store, token=metrics_token, cache_s=cache_s)
    app = Starlette(routes=[Route("/metrics", endpoint, methods=["GET"]),
                            Mount("/", create_app(store.database_url, **webhook_kw))])
    app.state.metrics = endpoint.snapshot
    return app
