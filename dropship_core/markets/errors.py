"""Errors raised by the marketplace clients.

They carry what the marketplace answered (status, parsed body, trace id) so an operator can act
on it, and never what we sent: request headers and token bodies hold credentials. A server that
echoes the request back would put them in its answer, so message, body and field errors are
redacted here (`dropship_core.http.redact`), before anything stores them.
"""

from __future__ import annotations

from typing import Any

from dropship_core.http import redact, redact_obj


class MarketError(Exception):
    """The marketplace answered with an error (or we gave up retrying)."""

    def __init__(self, market: str, message: str, *, status: int | None = None,
                 code: str | None = None, response: Any = None, method: str | None = None,
                 path: str | None = None, trace_id: str | None = None, retryable: bool = False,
                 invalid_inputs: list[dict] | None = None):
        self.market = market
        self.message = message = redact(message)
        self.status = status
        self.code = redact(code) if isinstance(code, str) else code
        self.response = redact_obj(response)
        self.method = method
        self.path = path
        self.trace_id = trace_id
        self.retryable = retryable
        self.invalid_inputs = redact_obj(invalid_inputs or [])
        where = f" {method} {path}" if method else ""
        head = f"{market}{where}: HTTP {status}" if status is not None else f"{market}{where}"
        tail = f" [{code}]" if code else ""
        fields = ""
        if self.invalid_inputs:
            fields = " (" + "; ".join(
                f"{i.get('name')}: {i.get('message') or i.get('type')}" for i in self.invalid_inputs
            ) + ")"
        super().__init__(f"{head}{tail} {message}{fields}".strip())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description for market_data.last_error and event payloads."""
        return {
            "market": self.market,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "method": self.method,
            "path": self.path,
            "trace_id": self.trace_id,
            "retryable": self.retryable,
            "invalid_inputs": self.invalid_inputs,
            "response": self.response,
        }


class MarketAuthError(MarketError):
    """Credentials, signature, token or IP rejected."""


class MarketRateLimited(MarketError):
    """Still throttled after the bounded retries."""


class OutcomeUnknown(MarketError):
    """A non-idempotent call (a create) may or may not have happened: the response was lost.

    The caller must look the object up (by seller code) before trying again.
    """
