"""Coupang listing rules (limits from the contracts, section 1)."""

from __future__ import annotations

from dropship_core.markets.common import option_prices, valid_price, variants
from dropship_core.markets.coupang.body import COUPANG_MAX_DETAIL_IMAGES, coupang_item_name
from dropship_core.markets.names import COUPANG, TITLE_LIMITS

COUPANG_NAME_MAX = TITLE_LIMITS[COUPANG]["chars"]
COUPANG_ITEM_NAME_MAX = 150
COUPANG_MAX_ITEMS = 200
COUPANG_VENDOR_PATH_MAX = 150


def reasons(listing: dict) -> list[str]:
    """Why Coupang refuses this listing, beyond the generic checks."""
    out: list[str] = []
    title = (listing.get("title") or "").strip()
    price = valid_price(listing)
    images = listing.get("images") or []
    vs = variants(listing)
    if len(title) > COUPANG_NAME_MAX:
        out.append(f"name too long: {len(title)} > {COUPANG_NAME_MAX} characters")
    if price and price % 10:
        out.append(f"salePrice {price} is not in 10-won units")
    if any(p % 10 for p in option_prices(listing)):
        out.append("an option's salePrice is not in 10-won units")
    if len(vs) > COUPANG_MAX_ITEMS:
        out.append(f"too many options: {len(vs)} > {COUPANG_MAX_ITEMS} items")
    if len(images) > 1 + COUPANG_MAX_DETAIL_IMAGES:
        out.append(f"too many images: {len(images)} > {1 + COUPANG_MAX_DETAIL_IMAGES}")
    if any(len(u) > COUPANG_VENDOR_PATH_MAX for u in images):
        out.append(f"image URL longer than {COUPANG_VENDOR_PATH_MAX} characters")
    if any(len(coupang_item_name(listing, v)) > COUPANG_ITEM_NAME_MAX for v in vs):
        out.append(f"option item name longer than {COUPANG_ITEM_NAME_MAX} characters")
    return out
