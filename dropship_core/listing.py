"""The listing a marketplace would get for one product, and why it cannot be listed if it cannot.

Input: a product's raw_data (canonical product) and ai_data; output: the `market_data[market]`
entry described in docs/data-shapes.md. Sync state (external ids, published hash) from the
previous entry is carried over untouched; only `market_sync` changes it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from dropship_core.ai.text import sanitize_description
from dropship_core.html_safety import formula_like, strip_formula_start
from dropship_core.model import STATUS_ACTIVE, canonical_json
from dropship_core.pricing import MarketPolicy, PolicyError, listed_stock, option_delta, quote
from dropship_core.titles import clean_title, fit_title

if TYPE_CHECKING:
    from dropship_core.markets.metadata import MarketMetadata

# Bumped when the listing rules change, so every listing is rebuilt once under the new rules.
LISTING_RULES_VERSION = "4"

# Keys of a market entry that belong to market_sync, never recomputed by the listing builder.
SYNC_KEYS = ("external", "published_hash", "published_listing", "last_error", "sync_status", "attempts",
             "price_override", "competitor_price", "sales_7d")


def listing_hash(listing: dict[str, Any]) -> str:
    return hashlib.blake2b(canonical_json(listing).encode(), digest_size=12).hexdigest()


# marketplace fields that sellers later open in spreadsheet exports
FORMULA_FIELDS = ("title", "brand", "manufacturer", "model", "origin")


def listing_description(ai: dict[str, Any], raw: dict[str, Any]) -> str:
    """The description a listing carries: the enriched one (model-written or not) when the
    product was enriched, else the supplier's, both through the same sanitiser. Never the raw
    text: a description sanitised to nothing stays empty."""
    if "description" in ai:
        return sanitize_description(ai.get("description"))
    return sanitize_description(raw.get("description"))


def formula_warnings(listing: dict[str, Any], raw: dict[str, Any], ai: dict[str, Any] | None) -> list[str]:
    """Fields whose source text looked like a spreadsheet formula (its leading characters were
    removed from the listing)."""
    ai = ai or {}
    sources = {"title": [raw.get("name"), *((ai.get("titles") or {}).values())],
               "brand": [raw.get("brand"), (ai.get("attributes") or {}).get("brand")],
               "manufacturer": [raw.get("manufacturer")], "model": [raw.get("model")], "origin": [raw.get("origin")]}
    return [f"{f}: formula-looking text neutralised ({str(v)[:40]!r})"
            for f in FORMULA_FIELDS for v in sources[f] if formula_like(v)][:10]


def build_listing(market: str, raw: dict[str, Any], ai: dict[str, Any] | None, policy: MarketPolicy,
                  price_override: int | None = None) -> tuple[dict[str, Any], list[str]]:
    ai = ai or {}
    reasons: list[str] = []
    category = (ai.get("categories") or {}).get(market) or {}
    title = (ai.get("titles") or {}).get(market) or fit_title(ai.get("clean_name") or clean_title(raw["name"]), market)
    title = fit_title(strip_formula_start(title) or "", market)
    if not title:
        reasons.append("empty title after cleaning")
    try:
        q = quote(raw["cost"], raw.get("shipping_fee") or 0, policy, category.get("path"))
        price = q.price
    except PolicyError as e:
        reasons.append(f"cannot price: {e}")
        q, price = None, 0
    if q and price_override:
        # an approved recommendation; never below the break-even price, whatever it says
        price = max(int(price_override), q.break_even)
    if price > policy.max_price:
        reasons.append(f"price {price} above the market maximum {policy.max_price}")
    consumer = raw.get("consumer_price")
    options = []
    for v in raw.get("variants") or []:
        options.append({
            "sku": v["sku"],
            "options": v["options"],
            "price_delta": option_delta(v.get("price_delta") or 0, policy, category.get("path")),
            "stock": listed_stock(v["stock"] if v.get("stock") is not None else raw.get("stock"), policy),
        })
    if options:
        if any(price + o["price_delta"] <= 0 for o in options):
            reasons.append("an option's price delta makes its price zero or negative")
        stock = sum(o["stock"] for o in options)
    else:
        stock = listed_stock(raw.get("stock"), policy)
    if not raw.get("images"):
        reasons.append("no representative image")
    if not category.get("id"):
        reasons.append(f"no {market} category mapping")
    elif category.get("held"):  # low-confidence or disagreeing category: held for review
        reasons.append(category.get("held_reason") or f"{market} category held for review")
    # a word flagged in the supplier's name but cleaned out of the title does not block; one
    # that would reach the marketplace (title or description) does
    flagged = (ai.get("banned_words_by_market") or {}).get(market) or ai.get("banned_words") or []
    description = listing_description(ai, raw)
    banned = [w for w in flagged if w in title or w in description]
    if banned:
        reasons.append("banned words: " + ", ".join(banned))
    listing = {
        "title": title,
        "price": price,
        "consumer_price": consumer if consumer and consumer > price else None,
        "stock": stock,
        "category_id": category.get("id"),
        "category_path": category.get("path"),
        "options": options,
        "images": list(raw.get("images") or []),
        "tax_type": raw.get("tax_type") or "TAX",
        "adult": bool(raw.get("adult")),
        "shipping_fee": 0 if policy.free_shipping else (raw.get("shipping_fee") or 0),
        "return_fee": raw.get("return_fee") if raw.get("return_fee") is not None else (raw.get("shipping_fee") or 0),
        "brand": strip_formula_start((ai.get("attributes") or {}).get("brand") or raw.get("brand")),
        "manufacturer": strip_formula_start(raw.get("manufacturer")),
        "model": strip_formula_start(raw.get("model")),
        "origin": strip_formula_start(raw.get("origin")),
        "description": description,
        "notice": raw.get("notice") or {},
        "seller_code": f"{raw['supplier_key']}:{raw['supplier_item_id']}",
        "state": raw.get("status") or STATUS_ACTIVE,
        "cost": raw["cost"],
        "margin": round((price * (1 - q.commission_rate) - raw["cost"] - q.absorbed_shipping) / price, 4) if q and price else None,
    }
    return listing, reasons


def diff_listing(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    if not old:
        return {"created": True}
    keys = sorted(set(old) | set(new))
    return {k: [old.get(k), new.get(k)] for k in keys if old.get(k) != new.get(k)}


def market_entry(market: str, raw: dict[str, Any], ai: dict[str, Any] | None, policy: MarketPolicy,
                 previous: dict[str, Any] | None, input_key: str,
                 metadata: "MarketMetadata | None" = None) -> dict[str, Any]:
    """The new market_data[market] entry; sync state from `previous` is kept as is.

    `metadata` is the market's category tree and rules (the shipped snapshot when not given);
    its version is recorded in the listing."""
    from dropship_core.markets.builders import validate_listing
    from dropship_core.markets.compliance import prepare
    from dropship_core.markets.metadata import shipped
    from dropship_core.markets.metadata.mapping import resolve

    previous = previous or {}
    md = metadata or shipped(market)
    category, why_not = resolve(market, ai or {}, md)
    ai_m = dict(ai or {}, categories={**((ai or {}).get("categories") or {}), market: category})
    listing, reasons = build_listing(market, raw, ai_m, policy, previous.get("price_override"))
    unmapped = f"no {market} category mapping"
    if why_not:
        reasons = [why_not if r == unmapped else r for r in reasons]
    elif (category or {}).get("auto"):
        reasons = [r for r in reasons if r != unmapped]
    reasons += [r for r in prepare(market, listing, raw, ai, md, category) if r not in reasons]
    if not reasons:
        # the marketplace's own rules (name limits, option and image counts, price units,
        # recommended options) as its request builder enforces them
        reasons = [r for r in validate_listing(market, listing) if r not in reasons]
    h = listing_hash(listing)
    entry = {k: previous[k] for k in SYNC_KEYS if k in previous}
    published = previous.get("published_hash")
    if reasons:
        status = "blocked"
    elif published == h:
        status = previous.get("status", "published")
    elif published:
        status = "pending_update"
    else:
        status = "pending"
    entry.update({
        "listing": listing,
        "listing_hash": h,
        "listable": not reasons,
        "blocked_reasons": reasons,
        "diff": diff_listing(previous.get("listing"), listing),
        "status": status,
        "input_key": input_key,
    })
    warnings = formula_warnings(listing, raw, ai)
    if warnings:
        entry["warnings"] = warnings
    return entry


def _safe_text(v: Any, limit: int = 200) -> str:
    return v[:limit] if isinstance(v, str) else ""


def error_entry(market: str, raw: Any, previous: dict[str, Any] | None, input_key: str,
                error: BaseException) -> dict[str, Any]:
    """The market entry of a product whose stored data cannot be turned into a listing at all
    (a wrong type, a missing field): blocked with the reason, its live listing (if any) taken off
    sale by market_sync (state `soldout`), sync state kept."""
    previous = previous or {}
    raw = raw if isinstance(raw, dict) else {}
    reason = f"invalid product data: {type(error).__name__}: {str(error)[:300]}"
    listing = {
        "title": _safe_text(raw.get("name")), "price": 0, "stock": 0, "options": [], "images": [],
        "seller_code": f"{_safe_text(raw.get('supplier_key'))}:{_safe_text(raw.get('supplier_item_id'))}",
        "state": "soldout", "cost": raw.get("cost") if isinstance(raw.get("cost"), int) else None,
    }
    entry = {k: previous[k] for k in SYNC_KEYS if k in previous}
    entry.update({
        "listing": listing, "listing_hash": listing_hash(listing), "listable": False,
        "blocked_reasons": [reason], "diff": diff_listing(previous.get("listing"), listing),
        "status": "blocked", "input_key": input_key, "invalid_data": reason,
    })
    return entry


def market_entry_or_error(market: str, raw: Any, ai: dict[str, Any] | None, policy: MarketPolicy,
                          previous: dict[str, Any] | None, input_key: str,
                          metadata: "MarketMetadata | None" = None) -> dict[str, Any]:
    """`market_entry`, or the blocked `error_entry` when the product's data breaks the builder:
    one bad product never stops the rest of its partition."""
    try:
        return market_entry(market, raw, ai, policy, previous, input_key, metadata=metadata)
    except Exception as e:  # noqa: BLE001 - per-product isolation: recorded as the listing's reason
        return error_entry(market, raw, previous, input_key, e)
