"""Schedules: supplier syncs (incremental hourly, full daily). Cron strings are configurable
through the environment; times are Korea time."""

import os

import dagster as dg

from dropship_assets.jobs import product_sync_job

TIMEZONE = "Asia/Seoul"


def _supplier_runs(context: dg.ScheduleEvaluationContext, mode: str):
    keys = context.instance.get_dynamic_partitions("supplier")
    if not keys:
        return dg.SkipReason("no supplier partitions yet (the registry sensor adds them from suppliers.yaml)")
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


@dg.schedule(
    job=product_sync_job,
    cron_schedule=os.environ.get("DROPSHIP_INCREMENTAL_SYNC_CRON", "0 * * * *"),
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every supplier: changes since the last successful sync.",
)
def incremental_sync_schedule(context: dg.ScheduleEvaluationContext):
    return _supplier_runs(context, "incremental")


@dg.schedule(
    job=product_sync_job,
    cron_schedule=os.environ.get("DROPSHIP_FULL_SYNC_CRON", "30 3 * * *"),
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every supplier: the whole catalog, so items that disappeared are delisted.",
)
def full_sync_schedule(context: dg.ScheduleEvaluationContext):
    return _supplier_runs(context, "full")


@dg.schedule(
    job_name="inventory_sync",
    cron_schedule=os.environ.get("DROPSHIP_INVENTORY_SYNC_CRON", "*/15 * * * *"),
    execution_timezone=TIMEZONE,
    # it writes to live marketplaces: a person turns it on once the credentials are real
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every market × supplier: push stock changes only.",
)
def inventory_sync_schedule(context: dg.ScheduleEvaluationContext):
    from dropship_core.markets.names import MARKETS

    keys = context.instance.get_dynamic_partitions("supplier")
    if not keys:
        return dg.SkipReason("no supplier partitions yet")
    stamp = context.scheduled_execution_time.strftime("%Y%m%dT%H%M")
    return [
        dg.RunRequest(run_key=f"inventory:{m}:{k}:{stamp}",
                      partition_key=dg.MultiPartitionKey({"market": m, "supplier": k}),
                      tags={"dropship/trigger": "schedule:inventory_sync"})
        for m in MARKETS for k in keys
    ]
