"""Run a list of (job, partition) one after the other on the instance of $DAGSTER_HOME.

    python tests/e2e/launch_runs.py in_process|celery '[["product_sync", "excel-acme"], ...]'

Prints `RUN <job> <partition> <run id> <success>` per run. The jobs are the reconstructable
targets of dropship_app.workers, so Celery workers rebuild them from the package, not from here.
"""

from __future__ import annotations

import json
import sys
import warnings

warnings.filterwarnings("ignore")

import dagster as dg  # noqa: E402

from dropship_app import workers  # noqa: E402

JOBS = {"product_sync": workers.product_sync_job_for_workers, "publish_listings": workers.publish_job_for_workers}


def run_config(job: str, mode: str) -> dict:
    cfg: dict = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if job == "product_sync":
        cfg["ops"] = {"supplier_catalog": {"config": {"sync_mode": "full"}}}
    if mode == "in_process":
        cfg["execution"] = {"config": {"in_process": {}}}
    return cfg


def main(mode: str, plan: list[list[str]]) -> int:
    failed = 0
    with dg.DagsterInstance.get() as instance:
        for job, pk in plan:
            tags = {"dagster/partition": pk, "dropship/test": mode}
            if "|" in pk:
                market, supplier = pk.split("|")
                tags.update({"dagster/partition/market": market, "dagster/partition/supplier": supplier})
            res = dg.execute_job(dg.reconstructable(JOBS[job]), instance=instance, run_config=run_config(job, mode),
                                 tags=tags, raise_on_error=False)
            print("RUN", job, pk, res.run_id, res.success, flush=True)
            failed += not res.success
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], json.loads(sys.argv[2])))
