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
