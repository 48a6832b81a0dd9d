"""Schedules: supplier syncs (incremental hourly, full daily) and the stock push. Times are Korea
time. Cron strings come from `dropship_core.config` when the code location loads (Dagster fixes a
schedule's cron at definition time). Runs are requested only for accounts that are in
suppliers.yaml and enabled: a removed or disabled account keeps its partition (its history) but
is never synced again."""

import dagster as dg

from dropship_assets.jobs import product_sync_job
from dropship_core import config
from dropship_core.suppliers.registry import ConfigError, load_accounts

TIMEZONE = "Asia/Seoul"


def active_supplier_keys(context: dg.ScheduleEvaluationContext) -> list[str] | dg.SkipReason:
    """Supplier partitions whose account is configured and enabled, read at each tick."""
    keys = context.instance.get_dynamic_partitions("supplier")
    if not keys:
        return dg.SkipReason("no supplier partitions yet (the registry sensor adds them from suppliers.yaml)")
    try:
        enabled = {a.key for a in load_accounts() if a.enabled}
    except ConfigError as e:
        return dg.SkipReason(f"suppliers.yaml not usable, nothing scheduled: {e}")
    active = [k for k in keys if k in enabled]
    if not active:
        return dg.SkipReason("no enabled supplier account has a partition")
    return active


def _supplier_runs(context: dg.ScheduleEvaluationContext, mode: str):
    keys = active_supplier_keys(context)
    if isinstance(keys, dg.SkipReason):
        return keys
    stamp = context.scheduled_execution_time.strftime("%Y%m%dT%H%M")
    return [
        dg.RunRequest(
            run_key=f"{mode}:{key}:{stamp}",
            partition_key=key,
            run_config={"ops": {"supplier_catalog": {"config": {"sync_mode": mode}}}},
            tags={"dropship/trigger": f"schedule:{mode}"},
        )
        for key in keys
    ]


def _supplier_sync_schedule(name: str, mode: str, cron_setting: str, description: str) -> dg.ScheduleDefinition:
    @dg.schedule(name=name, job=product_sync_job, cron_schedule=config.get(cron_setting),
                 execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING,
                 description=description)
    def _schedule(context: dg.ScheduleEvaluationContext):
        return _supplier_runs(context, mode)

    return _schedule


incremental_sync_schedule = _supplier_sync_schedule(
    "incremental_sync_schedule", "incremental", "DROPSHIP_INCREMENTAL_SYNC_CRON",
    "Every supplier: changes since the last successful sync.")
full_sync_schedule = _supplier_sync_schedule(
    "full_sync_schedule", "full", "DROPSHIP_FULL_SYNC_CRON",
    "Every supplier: the whole catalog, so items that disappeared are delisted.")


@dg.schedule(
    job_name="inventory_sync",
    cron_schedule=config.get("DROPSHIP_INVENTORY_SYNC_CRON"),
    execution_timezone=TIMEZONE,
    # it writes to live marketplaces: a person turns it on once the credentials are real
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every market × supplier: push stock changes only (one run per market).",
)
def inventory_sync_schedule(context: dg.ScheduleEvaluationContext):
    return market_cycle_runs(context, "inventory")


def market_cycle_runs(context: dg.ScheduleEvaluationContext, cycle: str):
    """One run per market over a range of supplier partitions (market_listings and market_sync
    run a range in one run: BackfillPolicy.single_run), instead of one run per market x supplier.
    Each partition is still materialized, with its lineage, in that run. Disabled accounts split
    the range, so they are never synced."""
    from dropship_core.markets.names import MARKETS

    keys = active_supplier_keys(context)
    if isinstance(keys, dg.SkipReason):
        return keys
    stamp = context.scheduled_execution_time.strftime("%Y%m%dT%H%M")
    ranges = contiguous_ranges(context.instance.get_dynamic_partitions("supplier"), set(keys))
    return [
        dg.RunRequest(
            run_key=f"{cycle}:{m}:{lo}..{hi}:{stamp}",
            tags={"dagster/asset_partition_range_start": str(dg.MultiPartitionKey({"market": m, "supplier": lo})),
                  "dagster/asset_partition_range_end": str(dg.MultiPartitionKey({"market": m, "supplier": hi})),
                  "dropship/trigger": f"schedule:{cycle}_sync"})
        for m in MARKETS for lo, hi in ranges
    ]


def contiguous_ranges(ordered: list[str], wanted: set[str]) -> list[tuple[str, str]]:
    """(first, last) of each run of consecutive wanted keys, in partition order."""
    out, start, prev = [], None, None
    for k in [*ordered, None]:
        if k is not None and k in wanted:
            start, prev = (k if start is None else start), k
        elif start is not None:
            out.append((start, prev))
            start = None
    return out
