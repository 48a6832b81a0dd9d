"""Delivering an alert: to Sentry (SENTRY_DSN) and/or a webhook (DROPSHIP_ALERT_WEBHOOK_URL).

Both are plain HTTP with explicit timeouts; a delivery failure is reported back, never raised,
so an alert path can not itself break a sensor.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from dropship_core.secrets import redact


@dataclass(frozen=True)
class Alert:
    kind: str
    message: str
    run_id: str | None = None
    job_name: str | None = None
    partition: str | None = None
    details: dict[str, Any] | None = None

    def redacted(self) -> "Alert":
        return Alert(self.kind, redact(self.message), self.run_id, self.job_name, self.partition,
                     json.loads(redact(json.dumps(self.details or {}, ensure_ascii=False))))


def sentry_envelope(dsn: str, alert: Alert, environment: str = "production") -> tuple[str, dict[str, str], bytes]:
    """(url, headers, body) of a Sentry envelope carrying one error event."""
    parts = urlsplit(dsn)
    if not parts.username or not parts.hostname or not parts.path.strip("/"):
        raise ValueError("SENTRY_DSN must look like https://<key>@<host>/<project id>")
    project = parts.path.strip("/").split("/")[-1]
    prefix = "/".join(parts.path.strip("/").split("/")[:-1])
    port = f":{parts.port}" if parts.port else ""
    url = f"{parts.scheme}://{parts.hostname}{port}/{prefix + '/' if prefix else ''}api/{project}/envelope/"
    event_id = uuid.uuid4().hex
    event = {
        "event_id": event_id,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "logger": "dropship.alerts",
        "environment": environment,
        "message": {"formatted": alert.message},
        "tags": {k: v for k, v in {"kind": alert.kind, "job": alert.job_name, "run_id": alert.run_id,
                                  "partition": alert.partition}.items() if v},
        "extra": alert.details or {},
    }
    payload = json.dumps(event, ensure_ascii=False).encode()
    body = b"\n".join([
        json.dumps({"event_id": event_id, "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode(),
        json.dumps({"type": "event", "length": len(payload)}).encode(),
        payload,
    ])
    headers = {
        "Content-Type": "application/x-sentry-envelope",
        "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={parts.username}, sentry_client=dropship/0.1",
    }
    return url, headers, body


def deliver(alert: Alert, *, sentry_dsn: str | None = None, webhook_url: str | None = None,
            timeout: float = 5.0) -> dict[str, str]:
    """Send the alert where configured; returns {channel: "ok" | "error: ..."} (no secrets)."""
    alert = alert.redacted()
    outcome: dict[str, str] = {}
    with httpx.Client(timeout=timeout) as client:
        if sentry_dsn:
            try:
                url, headers, body = sentry_envelope(sentry_dsn, alert)
                r = client.post(url, headers=headers, content=body)
                outcome["sentry"] = "ok" if r.status_code < 300 else f"error: HTTP {r.status_code}"
            except (httpx.HTTPError, ValueError) as e:
                outcome["sentry"] = f"error: {type(e).__name__}"
        if webhook_url:
            try:
                r = client.post(webhook_url, json={
                    "kind": alert.kind, "message": alert.message, "run_id": alert.run_id,
                    "job": alert.job_name, "partition": alert.partition, "details": alert.details or {}})
                outcome["webhook"] = "ok" if r.status_code < 300 else f"error: HTTP {r.status_code}"
            except httpx.HTTPError as e:
                outcome["webhook"] = f"error: {type(e).__name__}"
    return outcome
