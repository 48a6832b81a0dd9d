"""Coupang sync steps (see markets/adapter.py for the protocol)."""

from __future__ import annotations

import logging

from dropship_core.markets.common import item_key, variants
from dropship_core.markets.coupang import rules
from dropship_core.markets.coupang.body import build_coupang_product
from dropship_core.markets.coupang.client import CoupangClient, vendor_items_by_sku
from dropship_core.markets.errors import MarketError
from dropship_core.markets.names import COUPANG

log = logging.getLogger("dropship.markets.sync")


class CoupangAdapter:
    market = COUPANG
    primary_id = "sellerProductId"
    env_vars = ("COUPANG_ACCESS_KEY", "COUPANG_SECRET_KEY", "COUPANG_VENDOR_ID")
    resume_with_offer = False

    def client_from_env(self, seller, env, **kw) -> CoupangClient:
        return CoupangClient(env("COUPANG_ACCESS_KEY"), env("COUPANG_SECRET_KEY"),
                             env("COUPANG_VENDOR_ID"), env("COUPANG_BASE_URL"), seller=seller,
                             **kw)

    def rules(self, listing: dict) -> list[str]:
        return rules.reasons(listing)

    def build_body(self, listing: dict, seller) -> dict:
        return build_coupang_product(listing, seller)

    def find(self, run) -> list[dict]:
        first = variants(run.listing)
        sku = item_key(run.listing, first[0] if first else None)
        return [{"sellerProductId": int(f["sellerProductId"])}
                for f in run.client.find_by_external_sku(sku)]

    def after_reconcile(self, run) -> None:
        refresh_items(run)

    def create(self, run) -> None:
        run.ext["sellerProductId"] = run.client.create_seller_product(
            build_coupang_product(run.listing, run.seller))

    def after_create(self, run) -> None:
        try:
            if refresh_items(run):
                run.record({"external": run.ext}, None, {})
        except MarketError as exc:
            log.info("coupang: vendorItemIds not readable yet for %s: %s", run.code, exc.message)

    def update(self, run) -> None:
        if not run.ext.get("vendorItems"):
            refresh_items(run)
        run.client.update_seller_product(build_coupang_product(
            run.listing, run.seller, seller_product_id=run.ext["sellerProductId"],
            vendor_items=run.ext.get("vendorItems")))

    def offer(self, run, price_changed, stock_changed, new_items, action) -> bool:
        vids = run.ext.get("vendorItems") or {}
        if any(k not in vids for k in price_changed + stock_changed):
            vids = refresh_items(run)
        if any(k not in vids for k in price_changed + stock_changed):
            return False   # not approved yet: the full body carries both
        for k in price_changed:
            run.client.update_price(vids[k], new_items[k][0])
        for k in stock_changed:
            run.client.update_quantity(vids[k], new_items[k][1])
        return True

    def stop(self, run) -> None:
        vids = run.ext.get("vendorItems") or refresh_items(run)
        if not vids:
            raise MarketError(COUPANG, "product not approved yet: no vendorItemId to stop",
                              retryable=True)
        for vid in vids.values():
            run.client.stop_sales(vid)

    def resume(self, run) -> None:
        vids = run.ext.get("vendorItems") or refresh_items(run)
        for vid in vids.values():
            run.client.resume_sales(vid)


def refresh_items(run) -> dict:
    product = run.client.get_seller_product(run.ext["sellerProductId"])
    vids = vendor_items_by_sku(product)
    run.ext["vendorItems"] = vids
    run.ext["approved"] = bool(vids)
    return vids
