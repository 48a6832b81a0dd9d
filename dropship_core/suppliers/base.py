"""The one small interface every supplier kind implements.

`supplier_catalog` calls `fetch(mode, cursor)` on the connector configured for a supplier
account and gets back canonical products, rejected records (quarantined with a reason), ids the
supplier deleted, and the cursor to store for the next incremental run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from dropship_core.model import CanonicalProduct

SYNC_FULL = "full"
SYNC_INCREMENTAL = "incremental"


@dataclass
class Reject:
    """A record that failed validation. Kept whole, with why, so nothing is lost."""

    reason: str
    raw: dict[str, Any]
    source: str = ""  # e.g. "acme.xlsx!Sheet1:row 17" or "allItems page 3"


@dataclass
class FetchResult:
    products: list[CanonicalProduct] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    next_cursor: str | None = None
    # True when `products` is the supplier's whole catalog: ids missing from it were delisted.
    complete: bool = False
    stats: dict[str, Any] = field(default_factory=dict)


class SupplierError(Exception):
    """The supplier refused or failed; the message carries its own error text, never secrets."""


class SupplierConnector(Protocol):
    def fetch(self, mode: str, cursor: str | None) -> FetchResult: ...

    def ping(self) -> str: ...


def http_parts(settings, transport, service: str):
    """The retry policy, pacer and HTTP client a supplier connector runs on, from its settings
    (max_retries, backoff_base_s, max_backoff_s, min_interval_s, timeout_s): one HTTP layer."""
    from dropship_core.http import RetryPolicy, TokenBucket, make_client

    return (RetryPolicy.exponential(settings.max_retries, settings.backoff_base_s, settings.max_backoff_s),
            TokenBucket.interval(settings.min_interval_s, service=service),
            make_client(settings.timeout_s, transport, service=service))
