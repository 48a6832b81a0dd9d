"""ESM (Gmarket / Auction) listing rules (contracts, section 3)."""

from __future__ import annotations

from dropship_core.markets.common import variants
from dropship_core.markets.esm.body import ESM_MAX_ADD_IMAGES
from dropship_core.markets.names import GMARKET, TITLE_LIMITS

ESM_NAME_MAX_BYTES = TITLE_LIMITS[GMARKET]["bytes"]   # one client's truncation, UNVERIFIED


def reasons(listing: dict) -> list[str]:
    """Why ESM refuses this listing, beyond the generic checks."""
    out: list[str] = []
    title = (listing.get("title") or "").strip()
    images = listing.get("images") or []
    n = len(title.encode("utf-8"))
    if n > ESM_NAME_MAX_BYTES:
        out.append(f"name too long: {n} > {ESM_NAME_MAX_BYTES} bytes (UTF-8)")
    if len(images) > 1 + ESM_MAX_ADD_IMAGES:
        out.append(f"too many images: {len(images)} > {1 + ESM_MAX_ADD_IMAGES}")
    if len(variants(listing)) > 1 and not listing.get("esm_recommended_opts"):
        out.append("ESM options must map to the category's recommended options "
                   "(esm_recommended_opts); free-text options are a restricted API")
    return out
