"""market_prices: per market and supplier, what comparable items sell for on the market."""

import dagster as dg

from dropship_assets.common import md_table, pipeline_asset
from dropship_assets.listings import market_listings, split_key
from dropship_assets.partitions import market_supplier_partitions
from dropship_core.evidence.prices import market_price_rows
from dropship_core.evidence.store import EvidenceStore
from dropship_resources.evidence import MarketSearchResource
from dropship_resources.store import StoreResource


@pipeline_asset(
    group="evidence", kinds={"python", "postgres"},
    partitions_def=market_supplier_partitions,
    deps=[market_listings],
    follow=False,
    check_specs=[dg.AssetCheckSpec("search_budget_left", asset="market_prices",
                                   description="The daily search budget was not spent before every product was "
                                               "searched.")],
)
def market_prices(context: dg.AssetExecutionContext, store: StoreResource, market_search: MarketSearchResource):
    """For each listed product: the lowest current price, the number of sellers and the price band
    among comparable items (Naver Shopping search; weak matches refused), with the evidence's age.
    Searches are cached per normalised query and counted against the daily call budget."""
    market, supplier = split_key(context)
    evidence = EvidenceStore(store.resolved_url())
    client = market_search.client(evidence)
    if client is None:
        context.log.info("no market search configured (NAVER_SEARCH_CLIENT_ID/SECRET): no evidence written")
        yield dg.MaterializeResult(metadata={"configured": False, "products": 0})
        yield dg.AssetCheckResult(check_name="search_budget_left", passed=True, metadata={"configured": False})
        return
    try:
        products = evidence.listed_products(market, supplier)
        run = market_price_rows(products, client)
    finally:
        client.close()
    evidence.save_market_prices(market, supplier, run.rows, context.run.run_id)
    for err in run.errors[:20]:
        context.log.warning(f"market search: {err}")
    summary = evidence.market_price_summary(market, supplier)
    yield dg.MaterializeResult(metadata={
        "configured": True,
        "products": dg.MetadataValue.int(len(products)),
        "searched": dg.MetadataValue.int(run.searched),
        "from_cache": dg.MetadataValue.int(run.from_cache),
        "http_calls": dg.MetadataValue.int(client.calls),
        "with_comparable": dg.MetadataValue.int(summary["with_comparable"]),
        "skipped": dg.MetadataValue.json(dict(run.skipped)),
        "preview": dg.MetadataValue.md(md_table(
            [r for r in run.rows if r["lowest_price"]],
            ["product_id", "own_price", "lowest_price", "seller_count", "band_low", "band_high"]))})
    yield dg.AssetCheckResult(check_name="search_budget_left", passed=not run.budget_exhausted,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"skipped_for_budget": run.skipped.get("daily search budget spent", 0)})
