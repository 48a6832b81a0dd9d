"""An order line as every market client hands it over, and the order state machine.

States (order_lines.status):

    new ──► placing ──► placed ──► confirmed ──► dispatching ──► shipped ──► delivered
     │  ▲      │  │        │           │              │
     │  └──────┘  └► held ─┘(placing)  └───────┬──────┘
     ▼                                          ▼
  unmatched (kept, with its reason)     cancelling ──► cancelled

`placing` and `dispatching` are intents written BEFORE the non-idempotent call, so a run killed
between the call and the write finds them and reconciles (supplier `allOrders(note:)`, the market's
order status) instead of calling again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any

MARKETS = ("smartstore", "coupang", "gmarket")

TRANSITIONS: dict[str, set[str]] = {
    "new": {"placing", "held", "unmatched", "cancelling", "cancelled"},
    "unmatched": {"new", "cancelling", "cancelled"},
    "placing": {"placed", "held", "new", "cancelling", "cancelled"},
    "held": {"placing", "new", "cancelling", "cancelled"},
    "placed": {"confirmed", "dispatching", "cancelling", "cancelled"},
    "confirmed": {"dispatching", "cancelling", "cancelled"},
    "dispatching": {"shipped", "confirmed", "cancelling", "cancelled"},
    "shipped": {"delivered", "cancelling"},
    "delivered": set(),
    "cancelling": {"cancelled", "confirmed", "placed"},
    "cancelled": set(),
}
TERMINAL = {"delivered", "cancelled"}
KST = timezone(timedelta(hours=9))


def chunks(seq: list, n: int):
    """Consecutive slices of at most n items (markets cap ids per call)."""
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


class MarketOrdersBase:
    """What every market's order client shares: the market client it calls through (signing,
    pacing, retries) and that client's call counter."""

    market = ""

    def __init__(self, client: Any):
        self.c = client

    @property
    def calls(self):
        return self.c.http.calls


def kst(ts: str | None) -> str | None:
    """Coupang and ESM send Korean local time without an offset: make it explicit (+09:00), so
    Postgres does not read it as UTC. A bare date is the end of that day."""
    if not ts:
        return None
    ts = str(ts).strip()
    if len(ts) == 10:
        return f"{ts}T23:59:59+09:00"
    if ts.endswith("Z") or "+" in ts[10:] or "-" in ts[10:]:
        return ts
    return ts + "+09:00"


class TransitionError(ValueError):
    pass


def check_transition(old: str, new: str) -> None:
    if new != old and new not in TRANSITIONS.get(old, set()):
        raise TransitionError(f"order line cannot go from {old!r} to {new!r}")


@dataclass
class CollectedLine:
    """One order line from a market, normalised. `pii` holds buyer data and is only ever stored
    encrypted; nothing else here may carry a name, phone or address."""

    market: str
    market_line_id: str
    market_order_id: str
    market_status: str
    product_name: str
    quantity: int
    unit_price: int
    total_price: int
    paid_at: str | None
    match_keys: dict[str, str] = field(default_factory=dict)
    pii: dict[str, Any] = field(default_factory=dict)
    customs_code: str | None = None
    shipment_box_id: str | None = None
    market_extra: dict[str, Any] = field(default_factory=dict)
    dispatch_deadline: str | None = None
    placeable: bool = True     # a line we have never seen is stored only when placeable

    def __post_init__(self):
        for name in ("market_line_id", "market_order_id", "shipment_box_id"):
            v = getattr(self, name)
            if isinstance(v, float):
                raise TypeError(f"{name} must be text, got a float ({v!r}): ids lose digits as floats")
            if v is not None:
                setattr(self, name, str(v))

    def public_hash(self) -> str:
        """Hash of what is not buyer data (the buyer part has its own keyed hash)."""
        d = {"s": self.market_status, "n": self.product_name, "q": self.quantity,
             "u": self.unit_price, "t": self.total_price, "k": self.match_keys,
             "x": self.market_extra}
        return hashlib.blake2b(json.dumps(d, sort_keys=True, ensure_ascii=False).encode(),
                               digest_size=12).hexdigest()


PII_FIELDS = ("buyer_name", "buyer_phone", "receiver_name", "receiver_phone", "address1",
              "address2", "zip_code", "memo")
