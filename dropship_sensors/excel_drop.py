"""Excel drop folders: a workbook placed in a supplier's inbox is ingested once.

The sensor requests one run per new file (run key: the file's name, size and mtime); the run
claims the file by an atomic rename into `processing/<run id>/` before reading it, so even two
runs for one file (a manual re-launch, a second daemon) ingest it once. Files left in
`processing/` by a run that did not succeed are reported on each tick: re-executing that run
picks its file up again.
"""

import json

import dagster as dg

from dropship_assets.jobs import product_sync_job
from dropship_core.suppliers.inbox import claimed_files, list_dropped
from dropship_resources.suppliers import SuppliersResource

# How many files one tick turns into runs; the rest wait for the next tick (cursor keeps order).
MAX_FILES_PER_TICK = 20


def _stuck_claims(context: dg.SensorEvaluationContext, key: str, inbox: str) -> list[str]:
    """Claimed files whose run is over without success (or unknown to this instance)."""
    stuck = []
    for run_id, path in claimed_files(inbox):
        run = context.instance.get_run_by_id(run_id)
        if run is None or (run.is_finished and not run.is_success):
            status = run.status.value if run else "unknown"
            stuck.append(f"{key}: {path.name} held by run {run_id} ({status}); re-execute that run")
            context.log.warning(stuck[-1])
    return stuck


@dg.sensor(
    job=product_sync_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts an ingest run for each workbook dropped into an Excel supplier's inbox folder.",
)
def excel_drop_sensor(context: dg.SensorEvaluationContext, suppliers: SuppliersResource):
    seen: dict[str, list[str]] = json.loads(context.cursor) if context.cursor else {}
    known = set(context.instance.get_dynamic_partitions("supplier"))
    requests: list[dg.RunRequest] = []
    skipped: list[str] = []
    for account in suppliers.accounts():
        inbox = account.setting("inbox")
        if account.kind != "excel" or not inbox or not account.enabled:
            continue
        if account.key not in known:
            skipped.append(f"{account.key} is not a supplier partition yet")
            continue
        done = set(seen.get(account.key, []))
        for f in list_dropped(inbox):
            if f.key in done or len(requests) >= MAX_FILES_PER_TICK:
                continue
            requests.append(dg.RunRequest(
                run_key=f"drop:{account.key}:{f.key}",
                partition_key=account.key,
                run_config={"ops": {"supplier_catalog": {"config": {"file_path": str(f.path), "sync_mode": "full"}}}},
                tags={"dropship/trigger": "excel_drop", "dropship/file": f.path.name},
            ))
            done.add(f.key)
        skipped += _stuck_claims(context, account.key, inbox)
        # forget files that left the inbox (moved to processed/ or failed/) to keep the cursor small
        present = {f.key for f in list_dropped(inbox, min_age_seconds=0)}
        seen[account.key] = sorted(k for k in done if k in present)
    if not requests:
        return dg.SkipReason("no new files in any inbox" + (f" ({'; '.join(skipped)})" if skipped else ""))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))
