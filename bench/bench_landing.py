"""Landing benchmark: a 100,000-product supplier sync through Dagster writes no pickle of the
catalog. supplier_catalog lands the fetch in Postgres and source_products reads it back, so the
bytes under DAGSTER_HOME/storage do not grow with the catalog.

Runs `product_sync`'s ingest steps (supplier_catalog → source_products; `--enrich` adds
enriched_products) as the product runs them: `execute_job` on a DAGSTER_HOME of its own with the
multiprocess executor, one process per step. Prints a markdown table. Uses DATABASE_URL if set,
else the embedded Postgres.
    python bench/bench_landing.py [--rows 100000] [--enrich]
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
import warnings
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import cached_workbook, schema_url  # noqa: E402

from dropship_core.db import database_url  # noqa: E402
from dropship_core.store import Store  # noqa: E402
from dropship_core.suppliers.excel import ExcelCatalog  # noqa: E402

SUPPLIER = "bench-landing"
LOG_SUFFIXES = (".out", ".err", ".complete", ".log")
# supplier_catalog's own timings, from its materialization metadata
LABELS = {"fetch_seconds": "supplier_catalog: workbook read", "landing_seconds": "supplier_catalog: COPY into the landing"}


def storage_bytes(home: Path) -> tuple[int, list[str]]:
    """Bytes under DAGSTER_HOME/storage, and the files there that are not compute logs."""
    root = home / "storage"
    total, outputs = 0, []
    for p in root.rglob("*") if root.exists() else []:
        if p.is_file():
            total += p.stat().st_size
            if p.suffix not in LOG_SUFFIXES:
                outputs.append(str(p.relative_to(root)))
    return total, outputs


def run_sync(job_fn, assets: list[str], mode: str) -> tuple[float, dict[str, float], str]:
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        t = time.perf_counter()
        res = dg.execute_job(dg.reconstructable(job_fn), instance=instance, raise_on_error=False,
                             asset_selection=[dg.AssetKey(a) for a in assets], tags={"dagster/partition": SUPPLIER},
                             run_config={"ops": {"supplier_catalog": {"config": {"sync_mode": mode}}},
                                         "loggers": {"console": {"config": {"log_level": "WARNING"}}}})
        elapsed = time.perf_counter() - t
        assert res.success, f"run {res.run_id} failed"
        steps: dict[str, float] = {}
        starts: dict[str, float] = {}
        for e in instance.all_logs(res.run_id):
            de = e.dagster_event
            if de and de.event_type_value == "STEP_START":
                starts[de.step_key] = e.timestamp
            elif de and de.event_type_value == "STEP_SUCCESS":
                steps[f"step {de.step_key}"] = e.timestamp - starts[de.step_key]
            elif de and de.event_type_value == "ASSET_MATERIALIZATION":
                md = de.event_specific_data.materialization.metadata
                for k, label in LABELS.items():
                    if k in md:
                        steps[label] = md[k].value
        return elapsed, steps, res.run_id


def main() -> None:
    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--enrich", action="store_true", help="include enriched_products (offline rules)")
    args = ap.parse_args()
    wb = cached_workbook(args.rows, options=False)
    base = database_url()
    url, schema = schema_url(base)
    tmp = Path(tempfile.mkdtemp(prefix="bench-landing-"))
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    (tmp / "suppliers.yaml").write_text(f"suppliers:\n  - key: {SUPPLIER}\n    kind: excel\n    path: {wb.resolve()}\n",
                                        encoding="utf-8")
    os.environ.update(DATABASE_URL=url, DAGSTER_HOME=str(home), DROPSHIP_SUPPLIERS=str(tmp / "suppliers.yaml"))
    os.environ.pop("DROPSHIP_EXECUTOR", None)
    try:
        import dagster as dg

        from dropship_app.workers import product_sync_job_for_workers

        Store(url).migrate()
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("supplier", [SUPPLIER])
        assets = ["supplier_catalog", "source_products"] + (["enriched_products"] if args.enrich else [])
        before, _ = storage_bytes(home)
        t_first, steps, _ = run_sync(product_sync_job_for_workers, assets, "full")
        after_first, outputs_first = storage_bytes(home)
        t_again, steps_again, _ = run_sync(product_sync_job_for_workers, assets, "incremental")
        after, outputs = storage_bytes(home)
        with psycopg.connect(url) as c:
            n = c.execute("SELECT count(*) FROM source_data").fetchone()[0]
            landed = c.execute("SELECT coalesce(sum(products), 0) FROM supplier_landing").fetchone()[0]
            landing_mb = c.execute("SELECT (pg_total_relation_size('supplier_landing_rows')"
                                   " + pg_total_relation_size('supplier_landing')) / 1e6").fetchone()[0]
        # what the previous design pickled under DAGSTER_HOME/storage on every run: the whole fetch
        pickled = len(pickle.dumps(ExcelCatalog(SUPPLIER, wb).fetch(), protocol=pickle.HIGHEST_PROTOCOL))

        print(f"\nLanding benchmark: {n:,} products ({args.rows:,} rows, {wb.stat().st_size / 1e6:.1f} MB workbook),"
              f" steps {' → '.join(assets)}, multiprocess executor\n")
        print("| measure | value |")
        print("|---|---:|")
        print(f"| DAGSTER_HOME/storage before | {before:,} bytes |")
        print(f"| after the full sync | {after_first:,} bytes ({after_first - before:+,}) |")
        print(f"| after an unchanged re-run | {after:,} bytes ({after - before:+,}) |")
        print(f"| step outputs stored there (files other than compute logs) | {len(outputs)} |")
        print(f"| the fetch as the previous design pickled it (every run) | {pickled:,} bytes |")
        print(f"| products landed in Postgres (supplier_landing) | {landed:,} ({landing_mb:.1f} MB with indexes) |")
        print(f"| full sync, whole run | {t_first:.1f} s ({n / t_first:,.0f} products/s) |")
        for what, sec in steps.items():
            print(f"| full sync, {what} | {sec:.1f} s |")
        print(f"| unchanged re-run (same workbook bytes), whole run | {t_again:.1f} s |")
        assert not outputs_first and not outputs, outputs_first + outputs
        assert landed == n
    finally:
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
