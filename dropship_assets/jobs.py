"""Jobs: named selections people launch from the UI, the CLI, schedules and sensors."""

import dagster as dg

# Partitioning is inferred from the selected assets.
# The seed's `product_sync` workflow: one run per supplier partition, `sync_mode` in the run
# config of supplier_catalog; listings follow through declarative automation or build_listings.
product_sync_job = dg.define_asset_job(
    "product_sync",
    selection=dg.AssetSelection.assets("supplier_catalog", "source_products", "enriched_products"),
    description="Fetch one supplier's catalog (full or incremental), upsert its products and enrich what changed.",
)

listings_job = dg.define_asset_job(
    "build_listings",
    selection=dg.AssetSelection.assets("market_listings"),
    description="Recompute the listings of one market × supplier partition.",
)

publish_job = dg.define_asset_job(
    "publish_listings",
    selection=dg.AssetSelection.assets("market_listings", "market_sync"),
    description="Recompute one market × supplier's listings and push every change to the marketplace.",
)

# The seed's market_management tasks: the same assets, restricted to one kind of change.
inventory_sync_job = dg.define_asset_job(
    "inventory_sync",
    selection=dg.AssetSelection.assets("market_listings", "market_sync"),
    config={"ops": {"market_sync": {"config": {"only": "stock"}}}},
    description="Fast path: push stock changes only (runnable every few minutes).",
)

price_optimization_job = dg.define_asset_job(
    "price_optimization",
    selection=dg.AssetSelection.assets("market_listings", "market_sync"),
    config={"ops": {"market_sync": {"config": {"only": "price"}}}},
    description="Re-price by policy (and approved recommendations) and push price changes only.",
)

agents_job = dg.define_asset_job(
    "market_agents",
    selection=dg.AssetSelection.groups("agents"),
    description="The AI conductor for one market: insights, price recommendations, inventory alerts, promotions.",
)

market_evidence_job = dg.define_asset_job(
    "market_evidence",
    selection=dg.AssetSelection.assets("market_prices"),
    description="Search the market for comparable items of one market × supplier's listings (daily call budget).",
)
