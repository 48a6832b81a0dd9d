"""From a marketplace listing (`market_data[market]["listing"]`, see docs/data-shapes.md) and the
seller's settings to each marketplace's exact request body, plus the listing rules.

Pure functions: no I/O, no Dagster. The bodies and rules live in each market's package
(`smartstore/`, `coupang/`, `esm/`: `body.py`, `rules.py`); this module is the one entry point
the rest of the code uses, and `validate_listing` dispatches once through the market adapter.
"""

from __future__ import annotations

from dropship_core.markets.adapter import adapter_for
from dropship_core.markets.common import (UNTRACKED_STOCK, content_of, detail_html, digest,
                                          generic_reasons, item_key, offer_of, option_groups,
                                          total_stock, variants)
from dropship_core.markets.coupang.body import build_coupang_product
from dropship_core.markets.esm.body import build_esm_goods, build_esm_sell_status
from dropship_core.markets.smartstore.body import (build_smartstore_option_stock,
                                                   build_smartstore_product, naver_option_info)

__all__ = ["UNTRACKED_STOCK", "build_coupang_product", "build_esm_goods", "build_esm_sell_status",
           "build_smartstore_option_stock", "build_smartstore_product", "content_of",
           "detail_html", "digest", "item_key", "naver_option_info", "offer_of", "option_groups",
           "total_stock", "validate_listing", "variants"]


def validate_listing(market: str, listing: dict) -> list[str]:
    """Why `market` cannot take this listing (empty list: it can)."""
    reasons = generic_reasons(listing)
    try:
        adapter = adapter_for(market)
    except ValueError:
        return reasons + [f"unknown market {market!r}"]
    return reasons + adapter.rules(listing)
