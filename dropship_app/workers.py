"""Reconstructable job targets for executors that rebuild a job in another process (Celery workers)."""

from __future__ import annotations


def analytics_job_for_workers():
    """The analytics job: Celery workers rebuild it from this module."""
    from dropship_assets.definitions import defs

    return defs.resolve_job_def("analytics_daily")


def product_sync_job_for_workers():
    """product_sync (supplier_catalog → source_products → enriched_products) for Celery workers."""
    from dropship_assets.definitions import defs

    return defs.resolve_job_def("product_sync")


def publish_job_for_workers():
    """publish_listings (market_listings → market_sync) for Celery workers."""
    from dropship_assets.definitions import defs

    return defs.resolve_job_def("publish_listings")
