"""Peak memory of the product's import path for a 1,000,000-row workbook (flat, 15 columns):

    python bench/bench_ingest_memory.py [--rows 1000000]

The workbook is generated once (minutes) under $DROPSHIP_HOME/bench. The import runs in a child
process (`ExcelCatalog.fetch_prepared` + `Store.ingest_prepared` into a fresh schema, one
transaction) and its peak resident memory is read from the kernel (ru_maxrss of the child).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import cached_workbook, drop_schema, schema_url  # noqa: E402
from dropship_core.db import database_url  # noqa: E402

CHILD = """
import sys, time
from dropship_core.store import RunInfo, Store
from dropship_core.suppliers.excel import ExcelCatalog
store = Store(sys.argv[1]); store.migrate()
t = time.perf_counter()
fetched = ExcelCatalog("bench", sys.argv[2]).fetch_prepared()
t_read = time.perf_counter() - t
res = store.ingest_prepared("bench", fetched.products, RunInfo("mem"), complete=True)
print(f"{len(fetched.products)} {res.new} {t_read:.1f} {time.perf_counter() - t:.1f}")
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    wb = cached_workbook(args.rows, options=False)
    base = database_url()
    url, schema = schema_url(base)
    try:
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": root}
        out = subprocess.run([sys.executable, "-c", CHILD, url, str(wb)], env=env, capture_output=True, text=True,
                             check=False)
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        products, new, t_read, t_all = out.stdout.split()
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print("\n| workbook | products stored | read + normalise s | end to end s | peak RSS MB |")
        print("|---|---:|---:|---:|---:|")
        print(f"| {args.rows:,} rows, {wb.stat().st_size / 1e6:.0f} MB | {int(new):,} | {t_read} | {t_all} |"
              f" {peak_mb:,.0f} |")
    finally:
        drop_schema(base, schema)


if __name__ == "__main__":
    main()
