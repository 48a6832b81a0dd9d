"""`dropship listings preview SUPPLIER_KEY ITEM_ID --market M`: the exact request body a
marketplace would receive for one product, or why it cannot be listed.

The listing is the one market_listings stored (what market_sync sends next); a product not built
for that market yet is built now from its stored data and the current pricing policy. Text that
went through the description sanitiser or had formula characters removed is flagged.

Exit status: 0 listable (body printed), 1 blocked (reasons printed), 2 unknown product or market.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dropship_core.html_safety import formula_like


def seller_settings():
    from dropship_core import config
    from dropship_core.markets.settings import SellerSettings, preset

    base = preset(config.get("DROPSHIP_SELLER_PRESET"))
    path = config.get("DROPSHIP_SELLER_SETTINGS")
    return SellerSettings.from_yaml(path, base) if path else base


def _strings(obj: Any, path: str = ""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(obj, str):
        yield path, obj


def request_body(market: str, entry: dict, seller) -> tuple[str, dict]:
    """(the call, its body) market_sync would make for this entry: a create, or an update of the
    product already on the market."""
    from dropship_core.markets.adapter import adapter_for
    from dropship_core.markets.coupang.body import build_coupang_product
    from dropship_core.markets.smartstore.body import build_smartstore_product

    listing, ext = entry["listing"], entry.get("external") or {}
    if market == "coupang" and ext.get("sellerProductId"):
        return "update (PUT seller-products)", build_coupang_product(
            listing, seller, seller_product_id=ext["sellerProductId"], vendor_items=ext.get("vendorItems"))
    if market == "smartstore":
        known = ext.get("images") or {}
        body = build_smartstore_product(listing, seller, [known.get(u, u) for u in listing.get("images") or []])
        return ("update" if ext else "create"), body
    return ("update" if ext else "create"), adapter_for(market).build_body(listing, seller)


def preview(store, supplier_key: str, item_id: str, market: str, seller=None) -> dict[str, Any]:
    """What `listings preview` prints, as data: status, reasons or the body, and warnings."""
    from dropship_core.listing import LISTING_RULES_VERSION, market_entry_or_error
    from dropship_core.markets.builders import validate_listing
    from dropship_core.pricing import load_policy

    row = store.get_by_supplier_item(supplier_key, item_id)
    if row is None:
        return {"error": f"no product {item_id!r} for supplier {supplier_key!r}"}
    entry = (row.get("market_data") or {}).get(market)
    out: dict[str, Any] = {"product_id": row["id"], "supplier": supplier_key, "item": item_id, "market": market,
                           "source": "stored listing (what market_sync sends next)"}
    if entry is None:
        policy = load_policy().for_market(market)
        entry = market_entry_or_error(market, row["raw_data"], row.get("ai_data"), policy, None,
                                      f"preview:{LISTING_RULES_VERSION}")
        out["source"] = "built now: market_listings has not built this product for this market yet"
    reasons = list(entry.get("blocked_reasons") or [])
    if entry.get("invalid_data"):
        reasons = [entry["invalid_data"]] + [r for r in reasons if r != entry["invalid_data"]]
    if not reasons and entry.get("listing"):
        reasons = validate_listing(market, entry["listing"])
    out.update(status=entry.get("status"), listable=not reasons, reasons=reasons,
               warnings=list(entry.get("warnings") or []))
    raw_desc = (row.get("raw_data") or {}).get("description") or ""
    if raw_desc and ("<" in raw_desc) and raw_desc.strip() != (entry.get("listing") or {}).get("description"):
        out["warnings"].append("description: supplier HTML sanitised (allow-list); the body shows what is sent")
    if reasons:
        return out
    out["call"], out["body"] = request_body(market, entry, seller or seller_settings())
    risky = [f"{p}: formula-looking text {v[:40]!r}" for p, v in _strings(out["body"]) if formula_like(v)]
    out["warnings"] += risky[:10]
    return out


def cmd_preview(args: argparse.Namespace) -> int:
    from dropship_app.common import open_store
    from dropship_core.markets.names import MARKETS

    if args.market not in MARKETS:
        print(f"error: unknown market {args.market!r}; one of {', '.join(MARKETS)}", file=sys.stderr)
        return 2
    out = preview(open_store(), args.supplier_key, args.item_id, args.market)
    if "error" in out:
        print(f"error: {out['error']}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0 if out["listable"] else 1
    print(f"{args.supplier_key} {args.item_id} on {args.market}: {out['status']} ({out['source']})")
    for w in out["warnings"]:
        print(f"  warning: {w}")
    if not out["listable"]:
        print("blocked:")
        for r in out["reasons"]:
            print(f"  - {r}")
        return 1
    print(f"request body ({out['call']}):")
    print(json.dumps(out["body"], ensure_ascii=False, indent=2))
    return 0


def _listings_group(sub) -> Any:
    """The `listings` command group: the existing one (another module may have made it) or new."""
    existing = sub.choices.get("listings") if hasattr(sub, "choices") else None
    if existing is not None:
        for action in existing._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
        return existing.add_subparsers(dest="listings_cmd", required=True)
    return sub.add_parser("listings", help="listings per market").add_subparsers(dest="listings_cmd", required=True)


def register_cli(sub, groups: dict | None = None) -> None:
    p = _listings_group(sub).add_parser(
        "preview", help="the exact request body a market would receive for one product, or why it is blocked")
    p.add_argument("supplier_key")
    p.add_argument("item_id")
    p.add_argument("--market", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_preview)
