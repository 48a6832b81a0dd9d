"""Listing parts every marketplace body and rule shares (pure functions, no I/O)."""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any

UNTRACKED_STOCK = 999          # a listing with stock None (supplier does not track it)

# fields whose change is a price/stock update, not a content update
OFFER_FIELDS = ("price", "stock")
STATE_FIELDS = ("state",)
# listing fields no marketplace body carries (our own bookkeeping): changing them alone is no
# reason to call a marketplace
INTERNAL_FIELDS = ("cost", "margin", "category_path")


# -- listing parts -------------------------------------------------------------------------

def stock_of(v: Any) -> int:
    return UNTRACKED_STOCK if v is None else max(0, int(v))


def variants(listing: dict) -> list[dict]:
    """The listing's real options: a single variant without option values is no option."""
    opts = [o for o in (listing.get("options") or []) if o.get("options")]
    return opts


def option_groups(listing: dict) -> list[str]:
    names: list[str] = []
    for o in variants(listing):
        for k in o["options"]:
            if k not in names:
                names.append(k)
    return names


def total_stock(listing: dict) -> int:
    vs = variants(listing)
    if vs:
        return sum(stock_of(v.get("stock")) for v in vs)
    return stock_of(listing.get("stock"))


def item_key(listing: dict, variant: dict | None) -> str:
    """The seller code of one sellable unit: the product's seller code, plus the option SKU."""
    code = str(listing.get("seller_code") or "")
    return f"{code}#{variant['sku']}" if variant else code


def offer_of(listing: dict) -> dict:
    """What a price/stock-only update changes: {"price": p, "items": {key: [price, stock]}}."""
    base = int(listing.get("price") or 0)
    vs = variants(listing)
    if not vs:
        return {"price": base, "items": {item_key(listing, None): [base, stock_of(listing.get("stock"))]}}
    items = {item_key(listing, v): [base + int(v.get("price_delta") or 0), stock_of(v.get("stock"))]
             for v in vs}
    return {"price": base, "items": items}


def content_of(listing: dict) -> dict:
    """The listing without price, stock and state: a change here needs a full update."""
    c = {k: v for k, v in listing.items()
         if k not in OFFER_FIELDS + STATE_FIELDS + INTERNAL_FIELDS and not k.startswith("_")}
    c["options"] = [{k: v for k, v in o.items() if k not in ("price_delta", "stock")}
                    for o in listing.get("options") or []]
    return c


def digest(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def detail_html(listing: dict) -> str:
    desc = listing.get("description") or listing.get("title") or ""
    if "<" in desc and ">" in desc:
        body = desc
    else:
        body = "".join(f"<p>{html.escape(line)}</p>" for line in desc.splitlines() if line.strip())
    imgs = "".join(f'<img src="{html.escape(u, quote=True)}"/>' for u in listing.get("images") or [])
    return body + imgs


def tags_of(listing: dict, max_n: int = 10, max_len: int = 10) -> list[str]:
    out = []
    for t in listing.get("tags") or listing.get("keywords") or []:
        t = "".join(ch for ch in str(t) if ch.isalnum())
        if t and len(t) <= max_len and t not in out:
            out.append(t)
    return out[:max_n]



def generic_reasons(listing: dict) -> list[str]:
    """What no marketplace takes: the checks before the per-market rules."""
    reasons: list[str] = []
    title = (listing.get("title") or "").strip()
    price = listing.get("price")
    if not title:
        reasons.append("missing title")
    if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
        reasons.append(f"price must be a positive whole number of won (got {price!r})")
        price = None
    if not listing.get("category_id") and not listing.get("coupang_auto_category"):
        reasons.append("no category id")
    if not listing.get("images"):
        reasons.append("no image")
    if not listing.get("seller_code"):
        reasons.append("missing seller_code")
    if price and any(p <= 0 for p in option_prices(listing)):
        reasons.append("an option's price (price + price_delta) is not positive")
    return reasons


def valid_price(listing: dict) -> int | None:
    price = listing.get("price")
    if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
        return None
    return price


def option_prices(listing: dict) -> list[int]:
    price = valid_price(listing)
    if not price:
        return []
    return [price + int(v.get("price_delta") or 0) for v in variants(listing)]
