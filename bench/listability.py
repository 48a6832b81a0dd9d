"""Listable / total per market on the demo catalog, with the top blocking reasons.

Starts the three sandbox marketplaces, reads their metadata the way the pipeline does
(`market_categories` + `market_category_rules`: tree, then the rules of the categories the
catalog maps to), builds every active product's listing per market, and (with --push) sends
each listable one to its sandbox to show the market accepts it.

    PYTHONPATH=$PWD python bench/listability.py [--push] [--offline] [--reasons]
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dropship_core.ai.offline import OfflineEnricher  # noqa: E402
from dropship_core.listing import market_entry  # noqa: E402
from dropship_core.markets.metadata import shipped  # noqa: E402
from dropship_core.markets.metadata.service import current  # noqa: E402
from dropship_core.markets.names import MARKETS  # noqa: E402
from dropship_core.pricing import load_policy  # noqa: E402
from dropship_core.suppliers.excel import ExcelCatalog  # noqa: E402

DEMO = [("excel-acme", "acme.xlsx"), ("excel-hanbit", "hanbit.xlsx"), ("excel-daon", "daon.xlsx")]


def demo_products() -> list[dict]:
    out = []
    for key, name in DEMO:
        out += [p.to_dict() for p in ExcelCatalog(key, ROOT / "demo_data" / name).fetch().products]
    return [p for p in out if (p.get("status") or "active") == "active"]


def build(md_by_market: dict, products: list[dict], ais: list[dict]) -> dict:
    policy = load_policy()
    out = {}
    for m in MARKETS:
        mp = policy.for_market(m)
        out[m] = [market_entry(m, p, ai, mp, None, "bench", metadata=md_by_market[m])
                  for p, ai in zip(products, ais)]
    return out


def push(entries: list[dict], market: str) -> collections.Counter:
    from dropship_core.markets.factory import client_from_env
    from dropship_core.markets.settings import SANDBOX_SELLER
    from dropship_core.markets.sync import sync_listing
    res: collections.Counter = collections.Counter()
    with client_from_env(market, seller=SANDBOX_SELLER, rate=1000, burst=1000) as c:
        for e in entries:
            if e["listable"]:
                o = sync_listing(c, market, e, lambda *a: None)
                res["accepted" if o.ok else "rejected: " + str((o.error or {}).get("invalid_inputs") or o.detail)[:300]] += 1
    return res


def print_reasons(entries: dict) -> None:
    """Every blocking reason per market, most frequent first (products counted once each)."""
    for m in MARKETS:
        reasons = collections.Counter(r for e in entries[m] for r in set(e["blocked_reasons"]))
        print(f"\n{m}: {sum(1 for e in entries[m] if not e['listable'])} blocked")
        for r, n in reasons.most_common():
            print(f"  {n:4d}  {r}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--push", action="store_true", help="send listable products to the sandboxes")
    ap.add_argument("--offline", action="store_true", help="shipped snapshots, no sandboxes")
    ap.add_argument("--reasons", action="store_true", help="every blocking reason with its count")
    args = ap.parse_args()
    products = demo_products()
    enr = OfflineEnricher()
    ais = [enr.enrich(p) for p in products]
    servers = []
    t0 = time.time()
    if args.offline:
        mds = {m: shipped(m) for m in MARKETS}
    else:
        from dropship_core.markets.factory import client_from_env
        from dropship_sandbox.market_common import start_market_sandboxes
        servers, env = start_market_sandboxes(0, rate_limits=False)
        os.environ.update(env)
        mds = {}
        for m in MARKETS:
            with client_from_env(m, rate=1000, burst=1000) as c:
                mds[m] = current(m, None, c, ais)
    entries = build(mds, products, ais)
    print("| market | listable / active | % | metadata | top blocking reasons |")
    print("|---|---|---|---|---|")
    for m in MARKETS:
        ok = sum(1 for e in entries[m] if e["listable"])
        reasons = collections.Counter(r for e in entries[m] for r in e["blocked_reasons"])
        top = "; ".join(f"{n}x {r[:110]}" for r, n in reasons.most_common(3)) or "-"
        print(f"| {m} | {ok} / {len(products)} | {100 * ok / len(products):.1f} | "
              f"{mds[m].version} | {top} |")
    if args.reasons:
        print_reasons(entries)
    if args.push:
        for m in MARKETS:
            print(m, dict(push(entries[m], m)))
    print(f"({time.time() - t0:.1f}s)")
    for s in servers:
        s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
