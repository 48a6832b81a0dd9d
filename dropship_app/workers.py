"""Reconstructable job targets for executors that rebuild a job in another process (Celery workers)."""

from __future__ import annotations


def analytics_job_for_workers():
    """The analytics job: Celery workers rebuild it from this module."""
    from dropship_assets.definitions import defs

    return defs.resolve_job_def("analytics_daily")
