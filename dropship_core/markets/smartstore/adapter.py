"""SmartStore sync steps (see markets/adapter.py for the protocol)."""

from __future__ import annotations

from typing import Any

from dropship_core.markets.common import variants
from dropship_core.markets.errors import MarketError
from dropship_core.markets.names import SMARTSTORE
from dropship_core.markets.smartstore import rules
from dropship_core.markets.smartstore.body import (build_smartstore_option_stock,
                                                   build_smartstore_product)
from dropship_core.markets.smartstore.client import NAVER_CDN_PREFIX, SmartStoreClient
from dropship_core.safe_fetch import UnsafeURL


class SmartStoreAdapter:
    market = SMARTSTORE
    primary_id = "originProductNo"
    env_vars = ("SMARTSTORE_CLIENT_ID", "SMARTSTORE_CLIENT_SECRET")
    resume_with_offer = False

    def client_from_env(self, seller, env, **kw) -> SmartStoreClient:
        return SmartStoreClient(env("SMARTSTORE_CLIENT_ID"), env("SMARTSTORE_CLIENT_SECRET"),
                                env("SMARTSTORE_BASE_URL"), seller=seller, **kw)

    def rules(self, listing: dict) -> list[str]:
        return rules.reasons(listing)

    def build_body(self, listing: dict, seller) -> dict:
        return build_smartstore_product(listing, seller)

    def find(self, run) -> list[dict]:
        return run.client.search_by_seller_code(run.code)

    def after_reconcile(self, run) -> None:
        pass

    def create(self, run) -> None:
        body = build_smartstore_product(run.listing, run.seller, _images(run))
        run.ext.update(product_ids(run.client.create_product(body)))

    def after_create(self, run) -> None:
        pass

    def update(self, run) -> None:
        run.client.update_product(run.ext["originProductNo"],
                                  build_smartstore_product(run.listing, run.seller, _images(run)))
        run.ext.pop("option_ids", None)    # option combinations may have been re-created

    def offer(self, run, price_changed, stock_changed, new_items, action) -> bool:
        if not (price_changed or stock_changed):
            return True
        if variants(run.listing):
            run.client.update_option_stock(
                run.ext["originProductNo"],
                build_smartstore_option_stock(run.listing, _option_ids(run)))
        else:
            # no options: the documented full update carries salePrice and stockQuantity (the
            # option-stock body for option-less products is not documented)
            self.update(run)
        return True

    def stop(self, run) -> None:
        run.client.change_status(run.ext["originProductNo"], "SUSPENSION")

    def resume(self, run) -> None:
        run.client.change_status(run.ext["originProductNo"], "SALE")


def _option_ids(run) -> dict:
    ids = run.ext.get("option_ids")
    if ids and all(str(v["sku"]) in ids for v in variants(run.listing)):
        return ids
    product = run.client.get_product(run.ext["originProductNo"])
    combos = (((product or {}).get("originProduct") or {}).get("detailAttribute") or {}).get(
        "optionInfo", {}).get("optionCombinations") or []
    ids = {str(cmb.get("sellerManagerCode")): int(cmb["id"]) for cmb in combos if cmb.get("id")}
    run.ext["option_ids"] = ids
    return ids


def product_ids(res: dict) -> dict:
    """The external ids a product create answers."""
    return {"originProductNo": res["originProductNo"],
            "smartstoreChannelProductNo": res.get("smartstoreChannelProductNo")}


def _images(run) -> list[str]:
    """Naver only takes images from its own CDN: upload supplier images once, remember the map."""
    images = list(run.listing.get("images") or [])
    if not run.seller.naver_upload_images:
        return images
    known: dict[str, Any] = dict(run.ext.get("images") or {})
    todo = [u for u in images if not u.startswith(NAVER_CDN_PREFIX) and u not in known]
    if todo:
        files = []
        for u in todo:
            try:
                files.append(run.client.fetch_image(u))
            except UnsafeURL as exc:  # the URL itself is refused: retrying changes nothing
                raise MarketError(SMARTSTORE, f"image refused: {exc}", retryable=False) from None
            except Exception as exc:
                raise MarketError(SMARTSTORE, f"could not fetch image {u}: {type(exc).__name__}",
                                  retryable=True) from None
        uploaded = run.client.upload_images(files)
        known.update(dict(zip(todo, uploaded)))
        run.ext["images"] = known
    return [known.get(u, u) for u in images]
