"""Jobs: named selections people launch from the UI, the CLI, schedules and sensors."""

import dagster as dg


def _assets_job(name: str, assets: tuple[str, ...], description: str, only: str | None = None):
    """A job over named assets; `only` restricts market_sync to one kind of change (stock, price)."""
    config = {"ops": {"market_sync": {"config": {"only": only}}}} if only else None
    return dg.define_asset_job(name, selection=dg.AssetSelection.assets(*assets), config=config,
                               description=description)


SYNC_ASSETS = ("market_listings", "market_sync")

# Partitioning is inferred from the selected assets.
# The seed's `product_sync` workflow: one run per supplier partition, `sync_mode` in the run
# config of supplier_catalog; listings follow through declarative automation or build_listings.
product_sync_job = _assets_job(
    "product_sync", ("supplier_catalog", "source_products", "enriched_products"),
    "Fetch one supplier's catalog (full or incremental), upsert its products and enrich what changed.")

listings_job = _assets_job(
    "build_listings", ("market_listings",), "Recompute the listings of one market × supplier partition.")

publish_job = _assets_job(
    "publish_listings", SYNC_ASSETS,
    "Recompute one market × supplier's listings and push every change to the marketplace.")

# The seed's market_management tasks: the same assets, restricted to one kind of change.
inventory_sync_job = _assets_job(
    "inventory_sync", SYNC_ASSETS, "Fast path: push stock changes only (runnable every few minutes).", only="stock")

price_optimization_job = _assets_job(
    "price_optimization", SYNC_ASSETS,
    "Re-price by policy (and approved recommendations) and push price changes only.", only="price")

agents_job = dg.define_asset_job(
    "market_agents",
    selection=dg.AssetSelection.groups("agents"),
    description="The AI conductor for one market: insights, price recommendations, inventory alerts, promotions.",
)

market_evidence_job = _assets_job(
    "market_evidence", ("market_prices",),
    "Search the market for comparable items of one market × supplier's listings (daily call budget).")
