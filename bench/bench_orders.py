"""Benchmark: collect, match, place and dispatch order lines against the local sandboxes
(SmartStore, Coupang, ESM order endpoints and OwnerClan's order mutations), through the real
clients and the order store in Postgres.

    DATABASE_URL=postgresql://... PYTHONPATH=. python bench/bench_orders.py [--lines 10000]
        [--esm-interval 0.05]

The lines are split 40 % SmartStore, 40 % Coupang, 20 % ESM. ESM's documented 5-second rule for
order queries is kept by the client; the default here shortens the sandbox's and the client's
interval so the run measures our side, and the table says how long the real rule would add.
Prints markdown tables: per phase seconds, lines/s and API calls per line (counted by the
sandboxes).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dropship_core.orders.pii import new_key_spec  # noqa: E402
from dropship_core.orders.service import Orders  # noqa: E402
from dropship_core.orders.store import OrderStore  # noqa: E402
from dropship_core.store.store import RunInfo, Store  # noqa: E402
from dropship_sandbox.order_seed import publish_ownerclan_listings, seed_orders  # noqa: E402
from dropship_sandbox.orders_stack import start_order_stack  # noqa: E402

MARKETS = ("smartstore", "coupang", "gmarket")
SANDBOX = {"smartstore": "smartstore", "coupang": "coupang", "gmarket": "esm"}


def _calls(stack) -> int:
    return sum(f.snapshot()["total"] for f in stack.faults.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--esm-interval", type=float, default=0.05)
    ap.add_argument("--products", type=int, default=150)
    args = ap.parse_args()
    from dropship_core.db import database_url

    base = database_url()
    schema = f"bench_orders_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema},public')}"
    stack = start_order_stack(ownerclan_items=max(400, args.products * 3), rate_limits=False,
                              esm_query_interval_s=args.esm_interval)
    os.environ.update(stack.env)
    os.environ.setdefault("DROPSHIP_PII_KEY", new_key_spec("bench"))
    os.environ["DROPSHIP_SUPPLIERS"] = "/nonexistent.yaml"
    try:
        run_bench(stack, url, args)
    finally:
        stack.stop()
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run_bench(stack, url: str, args) -> None:
    Store(url).migrate()
    products = publish_ownerclan_listings(Store(url), stack.base["ownerclan"], "ownerclan-bench",
                                          args.products)
    single = [p for p in products if not p["variants"]]
    split = {"smartstore": int(args.lines * 0.4), "coupang": int(args.lines * 0.4)}
    split["gmarket"] = args.lines - split["smartstore"] - split["coupang"]
    for m in MARKETS:
        seed_orders(stack.orders[SANDBOX[m]], m, single if m == "gmarket" else products, split[m])
    o = Orders(OrderStore(url), settle_s=60)
    run = RunInfo(run_id="bench", asset_key="bench_orders")
    rows = []

    def phase(name: str, fn) -> None:
        c0, t0 = _calls(stack), time.perf_counter()
        detail = fn()
        dt = time.perf_counter() - t0
        n = _calls(stack) - c0
        rows.append((name, dt, args.lines / dt, n, n / args.lines, detail))

    phase("collect + match", lambda: {m: o.collect(m, run)["new"] for m in MARKETS})
    phase("place (simulate + create)", lambda: o.place(run).get("placed"))
    phase("confirm", lambda: {m: o.confirm(m, run)["confirmed"] for m in MARKETS})
    stack.orders["ownerclan"].ship(None)
    phase("tracking", lambda: o.tracking(run))
    phase("dispatch", lambda: {m: o.ship(m, run)["shipped"] for m in MARKETS})
    total_t = sum(r[1] for r in rows)
    total_c = sum(r[3] for r in rows)
    print(f"\n### Orders: {args.lines} lines ({split}), {args.products} products\n")
    print("| phase | seconds | lines/s | API calls | calls/line | result |")
    print("|---|---:|---:|---:|---:|---|")
    for name, dt, lps, n, cpl, detail in rows:
        print(f"| {name} | {dt:.1f} | {lps:,.0f} | {n:,} | {cpl:.2f} | {detail} |")
    print(f"| **all** | {total_t:.1f} | {args.lines / total_t:,.0f} | {total_c:,} | "
          f"{total_c / args.lines:.2f} | {o.store.status_counts()} |")
    pages = -(-split["gmarket"] // 100)
    print(f"\nESM order-query interval here: {args.esm_interval} s; with the real 5-second rule the "
          f"{pages + 1} RequestOrders pages add about {(pages + 1) * 5} s to collect.")
    dups = stack.orders["ownerclan"].dump()["duplicate_notes"]
    print(f"OwnerClan orders: {stack.orders['ownerclan'].dump()['orders']}, duplicate notes: {len(dups)}")
    o.close()


if __name__ == "__main__":
    main()
