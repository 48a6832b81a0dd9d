"""The marketplaces this product lists on, and the facts about each that listing rules need."""

SMARTSTORE = "smartstore"
COUPANG = "coupang"
GMARKET = "gmarket"
MARKETS = (SMARTSTORE, COUPANG, GMARKET)

# Name limits from the contracts: Naver and Coupang 100 characters; ESM 100 bytes of UTF-8.
TITLE_LIMITS = {
    SMARTSTORE: {"chars": 100},
    COUPANG: {"chars": 100},
    GMARKET: {"bytes": 100},
}

# The event types market sync appends to source_data_events.
MARKET_EVENT_TYPES = ("published", "updated", "price_changed", "stock_changed", "stopped",
                      "publish_failed", "reconciled")
