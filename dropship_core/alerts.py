"""Delivering an alert: to Sentry (through sentry-sdk, when SENTRY_DSN initialised it) and/or a
webhook (DROPSHIP_ALERT_WEBHOOK_URL).

The webhook is plain HTTP with explicit timeouts; a delivery failure is reported back, never
raised, so an alert path can not itself break a sensor. Sentry events are built and sent by the
SDK (`dropship_core.error_reporting`), scrubbed by its `before_send`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from dropship_core import error_reporting
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


def deliver(alert: Alert, *, webhook_url: str | None = None, timeout: float = 5.0,
            asset: str | None = None, sentry: bool = True) -> dict[str, str]:
    """Send the alert where configured; returns {channel: "ok" | "error: ..."} (no secrets).
    `sentry=False`: the caller reports to Sentry itself (one event per failed step)."""
    alert = alert.redacted()
    outcome: dict[str, str] = {}
    if sentry and error_reporting.enabled():
        event_id = error_reporting.report_failure(
            alert.message,
            tags={"kind": alert.kind, "run_id": alert.run_id, "job": alert.job_name,
                  "partition": alert.partition, "asset": asset},
            extra={"details": alert.details or {}},
            fingerprint=[alert.kind, alert.job_name or "", asset or ""])
        outcome["sentry"] = "ok" if event_id else "error: not sent"
    if webhook_url:
        try:
            with httpx.Client(timeout=timeout) as client:
                r = client.post(webhook_url, json={
                    "kind": alert.kind, "message": alert.message, "run_id": alert.run_id,
                    "job": alert.job_name, "partition": alert.partition, "details": alert.details or {}})
            outcome["webhook"] = "ok" if r.status_code < 300 else f"error: HTTP {r.status_code}"
        except httpx.HTTPError as e:
            outcome["webhook"] = f"error: {type(e).__name__}"
    return outcome
