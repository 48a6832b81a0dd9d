"""Benchmark: request-body building throughput, and API calls per changed product on an
incremental sync against the sandbox marketplaces.

    PYTHONPATH=. python bench/bench_listings.py [--listings 100000] [--sync-products 200]

Prints markdown tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time

from dropship_core.markets import builders as b
from dropship_core.http import RetryPolicy
from dropship_core.markets.names import MARKETS
from dropship_core.markets.settings import SANDBOX_SELLER
from dropship_core.markets.sync import sync_listing
from dropship_sandbox.market_common import start_market_sandboxes

BUILDERS = {
    "smartstore": lambda listing, s: b.build_smartstore_product(listing, s),
    "coupang": lambda listing, s: b.build_coupang_product(listing, s),
    "gmarket": lambda listing, s: b.build_esm_goods(listing, s),
}


def make_listing(i: int, market: str, rng: random.Random) -> dict:
    n_opts = 0 if market == "gmarket" else rng.choice((0, 0, 2, 3, 6))
    colors = ["블랙", "화이트", "네이비", "그레이", "레드", "베이지"]
    return {
        "title": f"스테인리스 보온 텀블러 {i} {rng.choice(colors)} 500ml",
        "price": rng.randrange(500, 20000) * 10, "consumer_price": None,
        "stock": rng.randrange(0, 200), "category_id": str(50000000 + i % 900),
        "options": [{"sku": f"S{i}-{k}", "options": {"색상": colors[k % 6], "사이즈": str(k)},
                     "price_delta": 0 if k == 0 else 1000, "stock": rng.randrange(0, 30)}
                    for k in range(n_opts)],
        "images": [f"https://img.example.com/{i}/{k}.jpg" for k in range(rng.randrange(1, 6))],
        "tax_type": "TAX", "adult": False, "shipping_fee": rng.choice((0, 3000)),
        "return_fee": 3000, "brand": "브랜드", "manufacturer": "제조사", "model": f"M{i}",
        "origin": "중국", "description": "보온 보냉 텀블러\n스테인리스 304", "notice": {},
        "seller_code": f"bench:{market}:{i}", "state": "active",
    }


def bench_build(n: int) -> list[tuple]:
    rng = random.Random(7)
    rows = []
    for market in MARKETS:
        listings = [make_listing(i, market, rng) for i in range(n)]
        t0 = time.perf_counter()
        blocked = 0
        for listing in listings:
            if b.validate_listing(market, listing):
                blocked += 1
            BUILDERS[market](listing, SANDBOX_SELLER)
        dt = time.perf_counter() - t0
        rows.append((market, n, f"{dt:.2f}", f"{n / dt:,.0f}", blocked))
    return rows


def _change_some(entries: list[dict]) -> dict[str, list[dict]]:
    """One incremental run's changes: 10% price, 10% stock, 5% content, 5% delisted, rest unchanged."""
    kinds: dict[str, list[dict]] = {"price": [], "stock": [], "content": [], "delisted": []}
    for idx, e in enumerate(entries):
        r = idx % 20
        listing = dict(e["listing"])
        if r in (0, 1):
            listing["price"] += 500
            kinds["price"].append(e)
        elif r in (2, 3):
            if listing["options"]:
                listing["options"] = [dict(o) for o in listing["options"]]
                listing["options"][0]["stock"] += 1
            else:
                listing["stock"] += 1
            kinds["stock"].append(e)
        elif r == 4:
            listing["title"] += " 신상"
            kinds["content"].append(e)
        elif r == 5:
            listing["state"] = "deleted"
            kinds["delisted"].append(e)
        else:
            continue
        e["listing"] = listing
        e["listing_hash"] = b.digest(listing)
    return kinds


def demo_entries(env: dict, n: int) -> dict[str, list[dict]]:
    """Up to n listable entries per market, built by the pipeline's own path from the bundled demo
    catalog against the sandboxes' metadata (category tree and rules), as `market_listings` does."""
    import os

    from listability import build, demo_products

    from dropship_core.ai.offline import OfflineEnricher
    from dropship_core.markets.factory import client_from_env
    from dropship_core.markets.metadata.service import current

    os.environ.update(env)
    products = demo_products()
    enr = OfflineEnricher()
    ais = [enr.enrich(p) for p in products]
    mds = {}
    for m in MARKETS:
        with client_from_env(m, rate=1000, burst=1000) as c:
            mds[m] = current(m, None, c, ais)
    built = build(mds, products, ais)
    return {m: [dict(e, status="pending", external={}) for e in es if e["listable"]][:n]
            for m, es in built.items()}


def bench_sync(n: int) -> list[tuple]:
    servers, env = start_market_sandboxes(rate_limits=False, require_cdn_images=False)
    from dropship_core.markets.coupang import CoupangClient
    from dropship_core.markets.esm import EsmClient
    from dropship_core.markets.smartstore import SmartStoreClient

    seller = dataclasses.replace(SANDBOX_SELLER)
    kw = dict(rate=10_000, burst=10_000, retry=RetryPolicy(max_attempts=3, backoff_base=0.01),
              seller=seller)
    clients = {
        "smartstore": SmartStoreClient(env["SMARTSTORE_CLIENT_ID"],
                                       env["SMARTSTORE_CLIENT_SECRET"],
                                       env["SMARTSTORE_BASE_URL"], **kw),
        "coupang": CoupangClient(env["COUPANG_ACCESS_KEY"], env["COUPANG_SECRET_KEY"],
                                 env["COUPANG_VENDOR_ID"], env["COUPANG_BASE_URL"], **kw),
        "gmarket": EsmClient(env["ESM_MASTER_ID"], env["ESM_SECRET_KEY"], env["ESM_SITE_IDS"],
                             env["ESM_BASE_URL"], search_per_minute=600_000, **kw),
    }
    rows = []
    try:
        by_market = demo_entries(env, n)
        for market, client in clients.items():
            entries = by_market[market]
            n = len(entries)

            def run(entries_):
                c0 = client.http.calls.total
                t0 = time.perf_counter()
                outs = [sync_listing(client, market, e, lambda p, ev, pl, e=e: e.update(p))
                        for e in entries_]
                return outs, client.http.calls.total - c0, time.perf_counter() - t0

            outs, calls, dt = run(entries)
            ok = sum(o.ok for o in outs)
            rows.append((market, "initial publish", n, ok, calls, f"{calls / max(1, n):.2f}",
                         f"{n / dt:,.0f}"))
            # warm-up pass so option ids / vendor item ids are known, as in steady state
            run(entries)
            kinds = _change_some(entries)
            changed = sum(len(v) for v in kinds.values())
            outs, calls, dt = run(entries)
            rows.append((market, "incremental (all)", n, sum(o.ok for o in outs), calls,
                         f"{calls / max(1, changed):.2f} per changed", f"{n / dt:,.0f}"))
            for kind, es in kinds.items():
                c = sum(o.calls for o, e in zip(outs, entries) if e in es)
                rows.append((market, f"  {kind}", len(es), len(es), c,
                             f"{c / max(1, len(es)):.2f}", ""))
            unchanged = [o for o, e in zip(outs, entries)
                         if not any(e in es for es in kinds.values())]
            rows.append((market, "  unchanged", len(unchanged), len(unchanged),
                         sum(o.calls for o in unchanged), "0.00" if not sum(
                             o.calls for o in unchanged) else "!", ""))
    finally:
        for c in clients.values():
            c.close()
        for s in servers:
            s.stop()
    return rows


def table(headers: list[str], rows: list[tuple]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--listings", type=int, default=100_000)
    ap.add_argument("--sync-products", type=int, default=200)
    args = ap.parse_args()
    print(f"## Request bodies built (validate + build), {args.listings:,} listings per market\n")
    print(table(["market", "listings", "seconds", "listings/s", "blocked"],
                bench_build(args.listings)))
    print(f"\n## Incremental sync against the sandboxes, {args.sync_products} products per market\n")
    print(table(["market", "run", "products", "ok", "API calls", "calls/product",
                 "products/s"], bench_sync(args.sync_products)))


if __name__ == "__main__":
    main()
