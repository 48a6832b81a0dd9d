"""market_sync: listings pushed to each marketplace, idempotently."""

import dagster as dg

from dropship_assets.common import pipeline_asset, run_info
from dropship_assets.listings import market_listings, suppliers_by_market
from dropship_assets.partitions import market_supplier_partitions
from dropship_core import metrics
from dropship_core.markets.sync import summarize, sync_listing
from dropship_resources.markets import MarketplacesResource
from dropship_resources.store import StoreResource

# what a market_management task pushes: every change, or only stock, or only price
ONLY = ("", "stock", "price")
STOCK_KEYS = {"stock", "options"}
PRICE_KEYS = {"price", "consumer_price", "options"}


class MarketSyncConfig(dg.Config):
    # "" pushes every change; "stock" (inventory_sync) and "price" (price_optimization) push
    # only listings whose difference from what is live is limited to those fields
    only: str = ""
    max_listings: int = 0  # 0 = no limit; a cap keeps one run short when a catalog is huge


def _changed_keys(listing: dict, published: dict | None) -> set[str]:
    if not published:
        return {"*"}
    keys = set(listing) | set(published)
    changed = {k for k in keys if listing.get(k) != published.get(k)}
    if "options" in changed:
        # options differing only in stock or only in price delta count as that kind of change
        old = {o.get("sku"): o for o in published.get("options") or []}
        for o in listing.get("options") or []:
            p = old.get(o.get("sku"))
            if p is None or o.get("options") != p.get("options"):
                changed.add("*")
    return changed


def wanted(entry: dict, only: str) -> bool:
    if not only:
        return True
    changed = _changed_keys(entry.get("listing") or {}, entry.get("published_listing"))
    allowed = STOCK_KEYS if only == "stock" else PRICE_KEYS
    return bool(changed) and changed <= allowed


@pipeline_asset(
    group="listings", kinds={"python", "api"},
    partitions_def=market_supplier_partitions,
    deps=[market_listings],
    # a cycle over many suppliers runs as one run per market range, not one run per partition
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS),
    check_specs=[dg.AssetCheckSpec("no_unknown_creates", asset="market_sync",
                                   description="No create is left with an unknown outcome after the run.")],
)
def market_sync(context: dg.AssetExecutionContext, config: MarketSyncConfig, store: StoreResource,
                marketplaces: MarketplacesResource):
    """Each listing as the marketplace holds it: created, updated (price and stock changes as the
    cheapest call the API offers), stopped when the supplier delisted or sold out the item.
    External ids are recorded the moment they are known and every outcome is an event; a create
    whose response was lost is reconciled by seller code instead of duplicated. An unchanged
    listing costs zero API calls, and one item's rejection never fails the batch."""
    if config.only not in ONLY:
        raise dg.Failure(f"only must be one of {ONLY}", allow_retries=False)
    s = store.store
    run = run_info(context)
    by_market = suppliers_by_market(context)
    outcomes, candidates, unknown, live = [], 0, 0, 0
    for market, suppliers in sorted(by_market.items()):
        todo = [(pid, entry) for pid, entry in s.sync_candidates(suppliers, market)
                if wanted(entry, config.only)]
        if config.max_listings:
            todo = todo[: config.max_listings]
        candidates += len(todo)
        if todo:
            with marketplaces.client(market) as client:
                for pid, entry in todo:
                    def record(patch, event_type, payload, _pid=pid, _m=market):
                        s.update_market_data(_pid, _m, patch, run, event_type=event_type or "sync_state",
                                             payload=payload)

                    outcomes.append(sync_listing(client, market, entry, record))
        metrics.record_sync_finished(market)
        counts = s.sync_counts(suppliers, market)
        unknown, live = unknown + counts["publishing"], live + counts["published"]
    meta = summarize(outcomes)
    yield dg.MaterializeResult(metadata={
        **{k: (dg.MetadataValue.md(v) if isinstance(v, str) and v.startswith("|") else v) for k, v in meta.items()},
        "candidates": dg.MetadataValue.int(candidates),
        "published_total": dg.MetadataValue.int(live),
        "partitions_in_run": dg.MetadataValue.int(sum(len(v) for v in by_market.values())),
        "only": config.only or "all changes",
    })
    yield dg.AssetCheckResult(check_name="no_unknown_creates", passed=unknown == 0,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"creates_with_unknown_outcome": unknown})
