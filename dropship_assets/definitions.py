"""The code location: every asset, check, job, sensor and schedule, with their resources."""

import dagster as dg

from dbt_like_sql.dagster_assets import analytics_daily_job, analytics_daily_schedule, build_sql_assets

from dropship_assets.agents import agent_conductor
from dropship_assets.catalog import supplier_catalog
from dropship_assets.enrichment import enriched_products
from dropship_assets.evidence import market_prices
from dropship_assets.jobs import (
    agents_job,
    inventory_sync_job,
    listings_job,
    market_evidence_job,
    price_optimization_job,
    product_sync_job,
    publish_job,
)
from dropship_assets.listings import market_listings
from dropship_assets.market_metadata import (market_categories, market_category_rules,
                                             market_metadata_job, market_metadata_schedule)
from dropship_assets.products import source_products
from dropship_assets.resources import RESOURCES
from dropship_assets.sync import market_sync
from dropship_sensors.automation import follow_upstream_sensor, sync_follows_listings_sensor
from dropship_sensors.excel_drop import excel_drop_sensor
from dropship_sensors.run_failure import run_failure_alerts
from dropship_sensors.schedules import full_sync_schedule, incremental_sync_schedule, inventory_sync_schedule
from dropship_sensors.supplier_registry import supplier_registry_sensor
from dropship_sensors.webhook_inbox import build_webhook_inbox_sensor
from dropship_resources.executor import configured_executor
from dropship_core.error_reporting import init_sentry

# errors of the code location, its sensors and every run process loading it (no-op without SENTRY_DSN)
init_sentry("code_location")

defs = dg.Definitions(
    assets=[supplier_catalog, source_products, enriched_products, market_listings, market_sync, market_prices,
            agent_conductor, market_categories, market_category_rules, *build_sql_assets()],
    jobs=[agents_job, market_evidence_job, product_sync_job, listings_job, publish_job, inventory_sync_job,
          price_optimization_job, analytics_daily_job, market_metadata_job],
    schedules=[incremental_sync_schedule, full_sync_schedule, inventory_sync_schedule, analytics_daily_schedule,
               market_metadata_schedule],
    sensors=[
        supplier_registry_sensor,
        excel_drop_sensor,
        build_webhook_inbox_sensor(job_name="product_sync"),
        run_failure_alerts,
        follow_upstream_sensor,
        sync_follows_listings_sensor,
    ],
    resources=RESOURCES,
    executor=configured_executor(),
)
