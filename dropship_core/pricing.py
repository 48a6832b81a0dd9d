"""Pricing policy: from a supplier's cost to a marketplace sale price.

    price = round_up((cost + absorbed shipping + fixed fee) / (1 - commission - target margin))

rounded up to the market's unit, and never below the break-even price (cost plus absorbed
shipping plus commission plus the minimum margin). The numbers come from `pricing.yaml`, not code.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class MarketPolicy:
    commission_rate: float
    target_margin: float = 0.15
    min_margin: float = 0.05
    rounding_unit: int = 10
    fixed_fee: int = 0
    # True: the listing ships free and the supplier's shipping fee is built into the price.
    free_shipping: bool = False
    max_price: int = 999_999_990
    safety_stock: int = 2
    max_stock: int = 9_999
    category_commission: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("commission_rate", "target_margin", "min_margin"):
            v = getattr(self, name)
            if not 0 <= v < 1:
                raise PolicyError(f"{name} must be in [0, 1), got {v}")
        if self.commission_rate + self.target_margin >= 0.95:
            raise PolicyError("commission_rate + target_margin leaves nothing to price on")
        if self.min_margin > self.target_margin:
            raise PolicyError("min_margin cannot exceed target_margin")
        if self.rounding_unit <= 0:
            raise PolicyError("rounding_unit must be positive")

    def commission_for(self, category_path: str | None) -> float:
        if category_path:
            best = ""
            for prefix in self.category_commission:
                if category_path.startswith(prefix) and len(prefix) > len(best):
                    best = prefix
            if best:
                return self.category_commission[best]
        return self.commission_rate


@dataclass(frozen=True)
class PricingPolicy:
    markets: dict[str, MarketPolicy]

    def for_market(self, market: str) -> MarketPolicy:
        try:
            return self.markets[market]
        except KeyError:
            raise PolicyError(f"no pricing policy for market {market!r}") from None

    def fingerprint(self) -> str:
        doc = {m: asdict(p) for m, p in sorted(self.markets.items())}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:12]


DEFAULT_POLICY_DOC: dict[str, Any] = {
    # Commission defaults from the published fee tables (see docs): SmartStore Npay order fee
    # (일반 3.63%) + sales fee (2.73% ex-VAT); Coupang and ESM vary by category.
    "smartstore": {"commission_rate": 0.0636, "target_margin": 0.15, "min_margin": 0.05, "rounding_unit": 10},
    "coupang": {
        "commission_rate": 0.108, "target_margin": 0.15, "min_margin": 0.05, "rounding_unit": 10,
        "category_commission": {"디지털/가전": 0.078, "패션의류": 0.105, "패션잡화": 0.105, "가구/인테리어": 0.108},
    },
    "gmarket": {"commission_rate": 0.12, "target_margin": 0.15, "min_margin": 0.05, "rounding_unit": 100},
}


def policy_from_doc(doc: dict[str, Any]) -> PricingPolicy:
    if not isinstance(doc, dict) or not doc:
        raise PolicyError("pricing policy must be a mapping of market -> settings")
    markets = {}
    for m, settings in doc.items():
        try:
            markets[m] = MarketPolicy(**settings)
        except TypeError as e:
            raise PolicyError(f"pricing policy for {m}: {e}") from None
    return PricingPolicy(markets)


def load_policy(path: str | Path | None = None) -> PricingPolicy:
    """`pricing.yaml` (markets: {...}) if present, else the defaults above."""
    p = Path(path) if path else Path("pricing.yaml")
    if path is None and not p.exists():
        return policy_from_doc(DEFAULT_POLICY_DOC)
    with open(p, encoding="utf-8") as f:
        doc = yaml.safe_load(f) or {}
    return policy_from_doc(doc.get("markets", doc))


def round_up(value: float, unit: int) -> int:
    return int(math.ceil(round(value, 6) / unit) * unit)


@dataclass
class PriceQuote:
    price: int
    break_even: int
    commission_rate: float
    absorbed_shipping: int
    margin: float  # realised margin after commission, as a share of price


def quote(cost: int, shipping_fee: int, policy: MarketPolicy, category_path: str | None = None) -> PriceQuote:
    """The sale price for one unit. Raises on a cost that cannot be priced."""
    if cost is None or cost <= 0:
        raise PolicyError(f"cost must be positive, got {cost}")
    commission = policy.commission_for(category_path)
    absorbed = shipping_fee if policy.free_shipping else 0
    base = cost + absorbed + policy.fixed_fee
    target = round_up(base / (1 - commission - policy.target_margin), policy.rounding_unit)
    floor = round_up(base / (1 - commission - policy.min_margin), policy.rounding_unit)
    price = max(target, floor)
    margin = (price * (1 - commission) - base) / price
    return PriceQuote(price=price, break_even=floor, commission_rate=commission, absorbed_shipping=absorbed,
                      margin=round(margin, 4))


def option_delta(delta: int, policy: MarketPolicy, category_path: str | None = None) -> int:
    """An option's extra cost, marked up like the base price (a negative delta is passed on as is)."""
    if delta <= 0:
        return delta
    commission = policy.commission_for(category_path)
    return round_up(delta / (1 - commission - policy.target_margin), policy.rounding_unit)


def listed_stock(stock: int | None, policy: MarketPolicy, untracked_default: int = 99) -> int:
    """Stock shown on the market: the supplier's minus a safety buffer, capped, never negative.
    Untracked stock (None) lists a moderate default rather than an infinite number."""
    if stock is None:
        return min(untracked_default, policy.max_stock)
    return max(0, min(stock - policy.safety_stock, policy.max_stock))
