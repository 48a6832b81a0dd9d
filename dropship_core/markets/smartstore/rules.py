"""SmartStore listing rules (limits from the contracts, section 2)."""

from __future__ import annotations

from dropship_core.markets.common import option_groups, total_stock, valid_price
from dropship_core.markets.names import SMARTSTORE, TITLE_LIMITS
from dropship_core.markets.smartstore.body import NAVER_MAX_OPTIONAL_IMAGES

NAVER_MAX_PRICE = 999_999_990
NAVER_MAX_STOCK = 99_999_999
NAVER_MAX_BASE_FEE = 100_000
NAVER_MAX_OPTION_GROUPS = 3
NAVER_NAME_MAX = TITLE_LIMITS[SMARTSTORE]["chars"]


def reasons(listing: dict) -> list[str]:
    """Why SmartStore refuses this listing, beyond the generic checks."""
    out: list[str] = []
    title = (listing.get("title") or "").strip()
    price = valid_price(listing)
    images = listing.get("images") or []
    if len(title) > NAVER_NAME_MAX:
        out.append(f"name too long: {len(title)} > {NAVER_NAME_MAX} characters")
    if price and price > NAVER_MAX_PRICE:
        out.append(f"salePrice {price} above {NAVER_MAX_PRICE}")
    if total_stock(listing) > NAVER_MAX_STOCK:
        out.append(f"stockQuantity above {NAVER_MAX_STOCK}")
    if len(images) > 1 + NAVER_MAX_OPTIONAL_IMAGES:
        out.append(f"too many images: {len(images)} > {1 + NAVER_MAX_OPTIONAL_IMAGES}")
    groups = len(option_groups(listing))
    if groups > NAVER_MAX_OPTION_GROUPS:
        out.append(f"too many option groups: {groups} > {NAVER_MAX_OPTION_GROUPS}")
    if int(listing.get("shipping_fee") or 0) > NAVER_MAX_BASE_FEE:
        out.append(f"delivery baseFee above {NAVER_MAX_BASE_FEE}")
    return out
