"""Match collected order lines to our listings.

Keys, per market (what we sent when listing):
- SmartStore: `sellerProductCode` = the listing's seller code (sellerManagementCode), and
  `optionManageCode` = the option SKU (sellerManagerCode);
- Coupang: `externalVendorSkuCode` = "<seller code>#<option sku>" or "<seller code>";
- ESM: the site goods number / goods number recorded when the listing was published, or the
  seller code if the market sent it back.
A line that matches nothing is kept as `unmatched` with the reason, never dropped.
"""

from __future__ import annotations

from typing import Any

from dropship_core.orders.model import CollectedLine


class ListingIndex:
    def __init__(self, market: str, rows: list[dict[str, Any]]):
        self.market = market
        self.by_code: dict[str, dict] = {}
        self.by_goods: dict[str, dict] = {}
        for r in rows:
            entry = r["entry"] or {}
            listing = entry.get("listing") or {}
            code = str(listing.get("seller_code") or f"{r['supplier_key']}:{r['supplier_item_id']}")
            prod = {"row": r, "listing": listing, "code": code,
                    "variants": {str(v.get("sku")): v for v in (r["variants"] or [])},
                    "options": {str(o.get("sku")): o for o in listing.get("options") or []}}
            self.by_code[code] = prod
            for k, v in (entry.get("external") or {}).items():
                if k.lower().startswith(("goodsno", "sitegoodsno", "originproductno",
                                         "smartstorechannelproductno", "sellerproductid")) and v:
                    self.by_goods[str(v)] = prod

    def match(self, ln: CollectedLine) -> dict[str, Any]:
        k = ln.match_keys
        code, sku = k.get("seller_code"), k.get("option_code")
        if k.get("external_sku"):
            code, _, sku = str(k["external_sku"]).partition("#")
        prod = self.by_code.get(code) if code else None
        if prod is None and k.get("goods_no"):
            prod = self.by_goods.get(str(k["goods_no"]))
        if prod is None:
            shown = ", ".join(f"{a}={b}" for a, b in sorted(k.items()) if b) or "no keys"
            return {"unmatched_reason": f"no listing in {self.market} for {shown}"}
        return self._with_option(prod, sku or None)

    def _with_option(self, prod: dict, sku: str | None) -> dict[str, Any]:
        r, listing = prod["row"], prod["listing"]
        if prod["options"] and not sku:
            return {"unmatched_reason": f"listing {prod['code']} has options but the order names none"}
        if sku and sku not in prod["options"] and sku not in prod["variants"]:
            return {"unmatched_reason": f"option {sku} is not in listing {prod['code']}"}
        cost = int(r["cost"] or 0)
        price = int(listing.get("price") or 0)
        attrs = None
        if sku:
            v = prod["variants"].get(sku) or {}
            cost += int(v.get("price_delta") or 0)
            o = prod["options"].get(sku) or {}
            price += int(o.get("price_delta") or 0)
            attrs = v.get("options") or o.get("options")
        return {"product_id": r["id"], "supplier_key": r["supplier_key"],
                "supplier_item_id": r["supplier_item_id"], "option_sku": sku,
                "option_attrs": attrs, "listed_cost": cost, "listed_price": price,
                "commission_rate": None}


def match_lines(index: ListingIndex, lines: list[CollectedLine]) -> dict[str, dict]:
    return {ln.market_line_id: index.match(ln) for ln in lines}
