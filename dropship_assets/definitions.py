"""The code location: every asset, check, job, sensor and schedule, with their resources."""

import dagster as dg

from dropship_assets.catalog import supplier_catalog
from dropship_assets.enrichment import enriched_products
from dropship_assets.jobs import listings_job, supplier_sync_job
from dropship_assets.listings import market_listings
from dropship_assets.products import source_products
from dropship_assets.resources import RESOURCES

defs = dg.Definitions(
    assets=[supplier_catalog, source_products, enriched_products, market_listings],
    jobs=[supplier_sync_job, listings_job],
    resources=RESOURCES,
)
