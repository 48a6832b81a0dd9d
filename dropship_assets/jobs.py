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
