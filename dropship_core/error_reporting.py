"""Errors to Sentry with `sentry-sdk`: initialised once per process from SENTRY_DSN (the code
location, the webhook server and the CLI call `init_sentry`), every event scrubbed before it
leaves (`scrub_event`: secrets as the logs redact them, and buyer data).

Unhandled exceptions reach Sentry through the SDK's default integrations (excepthook, threads,
Starlette/ASGI in the receiver); run and step failures are reported by the run-failure sensor
through `report_failure`, tagged with run id, job, partition and asset.
"""

from __future__ import annotations

import logging
from importlib import metadata
from typing import Any

from dropship_core import config
from dropship_core.secrets import field_is_sensitive, redact_buyer

log = logging.getLogger("dropship.errors")

FILTERED = "[Filtered]"
_STATE: dict[str, Any] = {"dsn": None, "component": None}


def release() -> str:
    try:
        return f"dropship-pipeline@{metadata.version('dropship-pipeline')}"
    except metadata.PackageNotFoundError:
        return "dropship-pipeline@0.1.0"


def _sensitive_values(value: Any, inside: bool = False, out: set[str] | None = None, depth: int = 0) -> set[str]:
    """Every string held under a secret or buyer key, anywhere in `value`."""
    out = set() if out is None else out
    if depth > 40:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            _sensitive_values(v, inside or field_is_sensitive(k), out, depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _sensitive_values(v, inside, out, depth + 1)
    elif inside and isinstance(value, str) and len(value.strip("'\" ")) >= 2:
        out.add(value.strip("'\" "))
    return out


def _scrub(value: Any, known: list[str], depth: int = 0) -> Any:
    if depth > 40:
        return FILTERED
    if isinstance(value, dict):
        return {k: (FILTERED if field_is_sensitive(k) and v not in (None, "", [], {})
                    else _scrub(v, known, depth + 1)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, known, depth + 1) for v in value]
    if isinstance(value, str):
        for s in known:
            value = value.replace(s, FILTERED)
        return redact_buyer(value)
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """`before_send`: every secret or buyer key's value replaced, and those same values wherever
    else they appear (a buyer's name quoted in an exception message); every string redacted like
    the logs (secret values from the environment, URL passwords, JWTs, authorization headers,
    signatures) and cleared of phones, e-mails and ID numbers; request bodies and cookies dropped."""
    req = event.get("request")
    if isinstance(req, dict):
        for k in ("data", "cookies", "env"):
            req.pop(k, None)
    known = sorted(_sensitive_values(event), key=len, reverse=True)
    return _scrub(event, known)


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    return scrub_event(crumb)


def init_sentry(component: str, dsn: str | None = None, **options: Any) -> bool:
    """Initialise sentry-sdk once per process (later calls are no-ops); False without a DSN."""
    dsn = dsn or config.get("SENTRY_DSN")
    if not dsn:
        return False
    if _STATE["dsn"] == dsn:
        return True
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        release=release(),
        environment=config.get("SENTRY_ENVIRONMENT"),
        send_default_pii=False,
        traces_sample_rate=float(config.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        # log records become breadcrumbs; failures are reported explicitly (no duplicate events)
        integrations=[LoggingIntegration(level=logging.INFO, event_level=None)],
        **options,
    )
    sentry_sdk.set_tag("component", component)
    _STATE.update(dsn=dsn, component=component)
    return True


def enabled() -> bool:
    return _STATE["dsn"] is not None


def report_failure(message: str, *, tags: dict[str, str | None], extra: dict[str, Any] | None = None,
                   fingerprint: list[str] | None = None, level: str = "error") -> str | None:
    """One error event with `tags` (run_id, job, partition, asset, ...); returns its id, None
    when Sentry is not configured. Never raises."""
    if not enabled():
        return None
    import sentry_sdk

    try:
        with sentry_sdk.new_scope() as scope:
            for k, v in tags.items():
                if v:
                    scope.set_tag(k, str(v)[:200])
            for k, v in (extra or {}).items():
                scope.set_extra(k, v)
            if fingerprint:
                scope.fingerprint = fingerprint
            return sentry_sdk.capture_message(message, level=level)
    except Exception as e:  # noqa: BLE001 - reporting an error must not raise another
        log.warning("error report not sent (%s)", type(e).__name__)
        return None


def shutdown() -> None:
    """Send what is queued and stop reporting from this process."""
    if enabled():
        import sentry_sdk

        sentry_sdk.get_client().close(timeout=5.0)
        _STATE.update(dsn=None, component=None)


def flush(timeout: float = 5.0) -> None:
    if enabled():
        import sentry_sdk

        sentry_sdk.flush(timeout=timeout)
