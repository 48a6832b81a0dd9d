"""The one place sync and validation meet a marketplace: a small adapter per market.

`sync.py` and `builders.validate_listing` look the adapter up once (`adapter_for(market)`)
and call it; nothing else compares market names. Each market package
(`smartstore/`, `coupang/`, `esm/`) holds its client, request bodies, rules and adapter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the sync run an adapter step works on (see sync._Run)
    from dropship_core.markets.sync import _Run as SyncRun
    from dropship_core.markets.settings import SellerSettings


class MarketAdapter(Protocol):
    market: str
    primary_id: str            # the external id that proves the product exists on the market
    env_vars: tuple[str, ...]  # credentials the client needs, in constructor order
    # ESM: one sell-status call both re-opens sales and sets price/stock, so a resume without
    # content change is left to `offer`
    resume_with_offer: bool

    def client_from_env(self, seller: "SellerSettings", env: Any, **kw) -> Any: ...
    def rules(self, listing: dict) -> list[str]: ...
    def build_body(self, listing: dict, seller: "SellerSettings") -> dict: ...
    def find(self, run: "SyncRun") -> list[dict]: ...
    def after_reconcile(self, run: "SyncRun") -> None: ...
    def create(self, run: "SyncRun") -> None: ...
    def after_create(self, run: "SyncRun") -> None: ...
    def update(self, run: "SyncRun") -> None: ...

    def offer(self, run: "SyncRun", price_changed: list[str], stock_changed: list[str],
              new_items: dict, action: str) -> bool:
        """Send the price/stock-only calls; False when only a full update can carry them."""
        ...

    def stop(self, run: "SyncRun") -> None: ...
    def resume(self, run: "SyncRun") -> None: ...


_ADAPTERS: dict[str, MarketAdapter] = {}


def adapters() -> dict[str, MarketAdapter]:
    if not _ADAPTERS:
        from dropship_core.markets.coupang.adapter import CoupangAdapter
        from dropship_core.markets.esm.adapter import EsmAdapter
        from dropship_core.markets.smartstore.adapter import SmartStoreAdapter
        for a in (SmartStoreAdapter(), CoupangAdapter(), EsmAdapter()):
            _ADAPTERS[a.market] = a
    return _ADAPTERS


def adapter_for(market: str) -> MarketAdapter:
    try:
        return adapters()[market]
    except KeyError:
        raise ValueError(f"unknown market {market!r}") from None
