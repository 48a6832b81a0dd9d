"""Jobs: named selections people launch from the UI, the CLI, schedules and sensors."""

import dagster as dg

from dropship_assets.partitions import market_supplier_partitions, supplier_partitions

supplier_sync_job = dg.define_asset_job(
    "supplier_sync",
    selection=dg.AssetSelection.assets("supplier_catalog", "source_products", "enriched_products"),
    partitions_def=supplier_partitions,
    description="Fetch one supplier's catalog, upsert its products and enrich what changed.",
)

listings_job = dg.define_asset_job(
    "build_listings",
    selection=dg.AssetSelection.assets("market_listings"),
    partitions_def=market_supplier_partitions,
    description="Recompute the listings of one market × supplier partition.",
)
