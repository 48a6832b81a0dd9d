"""Declarative automation: downstream assets follow their upstream partitions.

Two sensors evaluate the assets' automation conditions. Catalog, enrichment, listings, analytics
follow on a fresh install; pushing to marketplaces (market_sync) follows only once a person turns
its sensor on, because it writes to live stores.
"""

import dagster as dg

follow_upstream_sensor = dg.AutomationConditionSensorDefinition(
    "follow_upstream",
    target=dg.AssetSelection.all() - dg.AssetSelection.assets("market_sync"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Products, enrichment, listings and analytics follow their upstream partitions.",
)

sync_follows_listings_sensor = dg.AutomationConditionSensorDefinition(
    "sync_follows_listings",
    target=dg.AssetSelection.assets("market_sync"),
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Push listing changes to the marketplaces as soon as they are built (turn on once credentials are real).",
)
