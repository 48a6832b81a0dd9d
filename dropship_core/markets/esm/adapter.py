"""ESM (Gmarket / Auction) sync steps (see markets/adapter.py for the protocol)."""

from __future__ import annotations

from dropship_core.markets.common import variants
from dropship_core.markets.esm import rules
from dropship_core.markets.esm.body import build_esm_goods, build_esm_sell_status
from dropship_core.markets.esm.client import EsmClient
from dropship_core.markets.names import GMARKET


class EsmAdapter:
    market = GMARKET
    primary_id = "goodsNo"
    env_vars = ("ESM_MASTER_ID", "ESM_SECRET_KEY", "ESM_SITE_IDS")
    resume_with_offer = True

    def client_from_env(self, seller, env, **kw) -> EsmClient:
        return EsmClient(env("ESM_MASTER_ID"), env("ESM_SECRET_KEY"), env("ESM_SITE_IDS"),
                         env("ESM_BASE_URL"), seller=seller, **kw)

    def rules(self, listing: dict) -> list[str]:
        return rules.reasons(listing)

    def build_body(self, listing: dict, seller) -> dict:
        return build_esm_goods(listing, seller)

    def find(self, run) -> list[dict]:
        return run.client.find_by_managed_code(run.code)

    def after_reconcile(self, run) -> None:
        pass

    def create(self, run) -> None:
        run.ext.update(run.client.create_goods(build_esm_goods(run.listing, run.seller)))

    def after_create(self, run) -> None:
        pass

    def update(self, run) -> None:
        run.client.update_goods(run.ext["goodsNo"], build_esm_goods(run.listing, run.seller))

    def offer(self, run, price_changed, stock_changed, new_items, action) -> bool:
        if variants(run.listing):
            return False   # option stock lives in recommendedOpts
        if price_changed or stock_changed or action == "resume":
            self._sell_status(run, True)
        return True

    def stop(self, run) -> None:
        self._sell_status(run, False)

    def resume(self, run) -> None:
        self._sell_status(run, True)

    @staticmethod
    def _sell_status(run, on_sale: bool) -> None:
        run.client.set_sell_status(run.ext["goodsNo"],
                                   build_esm_sell_status(run.listing, run.seller, on_sale))
