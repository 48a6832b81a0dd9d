"""OwnerClan-style full sync from the local sandbox: items per second through the real connector.

    PYTHONPATH=. python bench/bench_ownerclan.py [--items 50000] [--page-size 1000]

The sandbox and the connector share this machine (and one Python process), so the figure is a
floor for the connector: against production, OwnerClan's pacing (~150 requests/minute) adds
0.4 s per page, shown in the last column.
"""

from __future__ import annotations

import argparse
import platform
import time

import httpx

from dropship_core.sandbox.ownerclan import DEFAULT_PASSWORD, DEFAULT_USERNAME, create_app
from dropship_core.sandbox.serve import ServerThread
from dropship_core.suppliers.base import SYNC_FULL, SYNC_INCREMENTAL
from dropship_core.suppliers.ownerclan import OwnerClanConnector, OwnerClanSettings, normalize_item


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--changes", type=int, default=500, help="items changed before the incremental run")
    args = ap.parse_args()

    t = time.perf_counter()
    app = create_app(count=args.items, rpm_limit=0)
    seed_s = time.perf_counter() - t
    rows = []
    with ServerThread(app) as srv:
        conn = OwnerClanConnector("bench", OwnerClanSettings(
            DEFAULT_USERNAME, DEFAULT_PASSWORD, auth_url=srv.url + "/auth", api_url=srv.url + "/v1/graphql",
            page_size=args.page_size, min_interval_s=0, timeout_s=120))
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

        keys = sorted(app.state.sandbox.items)
        step = max(1, len(keys) // max(1, args.changes))
        with httpx.Client(base_url=srv.url) as http:
            for k in keys[::step][: args.changes]:
                http.post(f"/__admin/items/{k}", json={"price": app.state.sandbox.items[k].price + 100}).raise_for_status()
        t = time.perf_counter()
        inc = conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
        inc_s = time.perf_counter() - t
        rows.append(("incremental", len(inc.products), inc.stats["requests"], inc_s))
        conn.close()

    print(f"OwnerClan sandbox sync: {args.items:,} items, page size {args.page_size}, "
          f"Python {platform.python_version()}, seeding {seed_s:.1f} s\n")
    print("| sync | items | requests | seconds | items/s | + pacing at 150 rpm |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, n, reqs, secs in rows:
        paced = f"{secs + reqs * 0.4:.1f} s" if reqs else "-"
        print(f"| {mode} | {n:,} | {reqs} | {secs:.2f} | {n / secs:,.0f} | {paced} |")


if __name__ == "__main__":
    main()
