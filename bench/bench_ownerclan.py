"""OwnerClan-style full sync from the local sandbox: items per second through the real connector.

    PYTHONPATH=. python bench/bench_ownerclan.py [--items 50000] [--page-size 1000] [--in-process]

By default the sandbox runs in its own process (as a real API would), so the connector and the
server do not share one interpreter. Against production, OwnerClan's pacing (~150 requests a
minute) adds 0.4 s per request, shown in the last column.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx

from dropship_sandbox.ownerclan import DEFAULT_PASSWORD, DEFAULT_USERNAME
from dropship_core.suppliers.base import SYNC_FULL, SYNC_INCREMENTAL
from dropship_core.suppliers.ownerclan import OwnerClanConnector, OwnerClanSettings, normalize_item


@contextmanager
def sandbox(items: int, in_process: bool):
    if in_process:
        from dropship_sandbox.ownerclan import create_app
        from dropship_core.serve import ServerThread

        with ServerThread(create_app(count=items, rpm_limit=0)) as srv:
            yield srv.url
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "dropship_sandbox.ownerclan", "--items", str(items), "--rpm-limit", "0"],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ), start_new_session=True)
    try:
        line = proc.stdout.readline()  # "OwnerClan sandbox: auth http://127.0.0.1:PORT/auth, ..."
        if "auth http" not in line:
            raise RuntimeError(f"sandbox did not start: {line!r}")
        yield line.split("auth ", 1)[1].split("/auth", 1)[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--changes", type=int, default=500, help="items changed before the incremental run")
    ap.add_argument("--in-process", action="store_true", help="run the sandbox in this process")
    args = ap.parse_args()

    rows = []
    t = time.perf_counter()
    with sandbox(args.items, args.in_process) as url:
        start_s = time.perf_counter() - t
        conn = OwnerClanConnector("bench", OwnerClanSettings(
            DEFAULT_USERNAME, DEFAULT_PASSWORD, auth_url=url + "/auth", api_url=url + "/v1/graphql",
            page_size=args.page_size, min_interval_s=0, timeout_s=300))
        t = time.perf_counter()
        full = conn.fetch(SYNC_FULL, None)
        full_s = time.perf_counter() - t
        assert len(full.products) == args.items, (len(full.products), args.items)
        assert len({p.supplier_item_id for p in full.products}) == args.items
        rows.append(("full", len(full.products), full.stats["requests"], full_s))

        raws = [p.raw for p in full.products]
        t = time.perf_counter()
        for node in raws:
            normalize_item("bench", node)
        rows.append(("normalise only (no HTTP)", len(raws), 0, time.perf_counter() - t))

        keys = sorted(p.supplier_item_id for p in full.products)
        step = max(1, len(keys) // max(1, args.changes))
        prices = {p.supplier_item_id: p.cost for p in full.products}
        with httpx.Client(base_url=url) as http:
            for k in keys[::step][: args.changes]:
                http.post(f"/__admin/items/{k}", json={"price": prices[k] + 100}).raise_for_status()
        t = time.perf_counter()
        inc = conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
        inc_s = time.perf_counter() - t
        rows.append(("incremental", len(inc.products), inc.stats["requests"], inc_s))
        conn.close()

    where = "this process" if args.in_process else "a separate process"
    print(f"OwnerClan sandbox sync: {args.items:,} items, page size {args.page_size}, sandbox in {where} "
          f"(seeded in {start_s:.1f} s), Python {platform.python_version()}, {os.cpu_count()} CPUs\n")
    print("| sync | items | requests | seconds | items/s | + pacing at 150 rpm |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, n, reqs, secs in rows:
        paced = f"{secs + reqs * 0.4:.1f} s" if reqs else "-"
        print(f"| {mode} | {n:,} | {reqs} | {secs:.2f} | {n / secs:,.0f} | {paced} |")


if __name__ == "__main__":
    main()
