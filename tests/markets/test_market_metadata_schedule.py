"""The weekly metadata schedule asks for one run per market partition."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dropship_assets.market_metadata import market_metadata_job, market_metadata_schedule
from dropship_core.markets.names import MARKETS


def test_weekly_schedule_runs_every_market():
    assert market_metadata_schedule.cron_schedule == "0 4 * * 1"
    when = dt.datetime(2026, 12, 7, 4, 0, tzinfo=dt.timezone.utc)
    from dropship_assets.definitions import defs
    ctx = dg.build_schedule_context(scheduled_execution_time=when,
                                    repository_def=defs.get_repository_def())
    runs = market_metadata_schedule.evaluate_tick(ctx).run_requests
    assert sorted(r.partition_key for r in runs) == sorted(MARKETS)
    assert len({r.run_key for r in runs}) == len(MARKETS)
    assert market_metadata_job.name == "market_metadata"
