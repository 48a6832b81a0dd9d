"""An inventory cycle over many supplier partitions x 3 markets, against the marketplace sandboxes
with no latency and no rate limits:

    python bench/bench_sync_cycle.py [--suppliers 100] [--products 100000] [--changed 0.01]
                                     [--seed-published | --no-seed-published]

Setup (not timed): N suppliers' products stored and enriched (offline enricher) through the
store, market metadata read, then the first publish to the three sandboxes, one of two ways:

- through the API (default below 20,000 products): the publish job, one ranged run per market;
- `--seed-published` (default from 20,000 products; the API path runs at ~30 products/s per
  market, hours at 100,000 x 3): the listings built by the build_listings job (one ranged run
  per market), then every product the publish job would create is created in bulk through each
  sandbox's own create validation and storage and recorded in the store with the state a
  successful publish records (bench/seed_published.py). Equivalence is checked, and printed: a
  publish_listings run per market afterwards must find no candidate and make 0 API calls.

Then the stock of `changed` of the products changes (re-ingested and re-enriched, as a supplier
sync would), and the inventory cycle runs as the schedule requests it: one run per market over
the range of supplier partitions (market_listings + market_sync, BackfillPolicy.single_run).
For comparison, a few single-partition inventory runs (the previous one-run-per-partition
cycle) are timed and extrapolated to every partition. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import drop_schema, schema_url  # noqa: E402
from dropship_core.db import database_url  # noqa: E402
from dropship_core.model import CanonicalProduct  # noqa: E402
from dropship_core.store import RunInfo, Store  # noqa: E402

COLOURS = ["블랙", "화이트", "네이비", "그레이", "민트", "핑크"]
SIZES_ML = [350, 500, 600, 750, 900]


def product(key: str, i: int, stock: int) -> CanonicalProduct:
    """A fully described product (colour and capacity in the name, as suppliers of drinkware
    write them), so that every market's required purchase options can be filled and the cycle
    syncs all three markets, not only the most lenient one."""
    colour, ml = COLOURS[i % len(COLOURS)], SIZES_ML[i % len(SIZES_ML)]
    return CanonicalProduct(key, f"{key}-{i}", f"코멧 스테인리스 진공 보온 텀블러 {ml}ml {colour} {i}호",
                            9000 + i % 5000, stock=stock, shipping_fee=3000, brand="코멧", origin="국산",
                            manufacturer="코멧", images=[f"https://img.kr/{i}.jpg"],
                            description=f"색상: {colour}\n용량: {ml}ml\n스테인리스 304 진공 이중 구조")


def enrich(store: Store, key: str) -> None:
    from dropship_assets.enrichment import enricher_version
    from dropship_core.ai.offline import OfflineEnricher

    enricher = OfflineEnricher()
    version = enricher_version(enricher.provider, enricher.model, enricher.prompt_version)
    pending = store.pending_enrichment(key, version)
    docs = enricher.enrich_many([p["raw_data"] for p in pending]) if pending else []
    store.set_ai_data([(p["id"], ai, f"{p['content_hash']}:{version}") for p, ai in zip(pending, docs)],
                      RunInfo("bench-enrich"))


def run_cycle(job, reqs, instance, resources) -> tuple[float, int]:
    t = time.perf_counter()
    for r in reqs:
        assert job.execute_in_process(instance=instance, resources=resources, tags=r.tags).success
    return time.perf_counter() - t, len(reqs)


def change_stock(store: Store, keys: list[str], per: int, products: int, share: float) -> list[int]:
    """A share of the products: stock changes at the supplier, synced in (ingest + enrichment)."""
    rng = random.Random(1)
    changed = rng.sample(range(products), max(1, int(products * share)))
    by_sup: dict[str, list[int]] = {}
    for n in changed:
        by_sup.setdefault(keys[n // per % len(keys)], []).append(n % per)
    for k, items in by_sup.items():
        store.ingest(k, [product(k, i, 7) for i in items], RunInfo("bench-change"))
        enrich(store, k)
    return changed


def single_partition_runs(job, sample: list[str], instance, resources) -> float:
    """The previous shape: one run per market x supplier partition (nothing left to change);
    seconds per run."""
    import dagster as dg

    t = time.perf_counter()
    for k in sample:
        pk = dg.MultiPartitionKey({"market": "coupang", "supplier": k})
        assert job.execute_in_process(instance=instance, resources=resources, partition_key=pk).success
    return (time.perf_counter() - t) / len(sample)


def read_metadata(defs, instance, resources) -> None:
    """Every market's category tree and the rules of the categories in use, read from the
    sandboxes as the weekly schedule does (ESM lists nothing without them)."""
    metadata = defs.resolve_job_def("market_metadata")
    for m in ("smartstore", "coupang", "gmarket"):
        assert metadata.execute_in_process(instance=instance, resources=resources, partition_key=m).success


def api_calls(servers) -> int:
    import httpx

    return sum(httpx.get(f"{s.url}/__calls").json().get("total", 0) for s in servers)


def first_publish(args, defs, reqs, instance, resources, store, keys, servers) -> dict:
    """The setup's first publish (see the module docstring); what the report prints of it."""
    if not args.seed_published:
        t = time.perf_counter()
        run_cycle(defs.resolve_job_def("publish_listings"), reqs, instance, resources)
        return {"publish": time.perf_counter() - t, "how": f"publish job, {len(reqs)} runs"}
    from seed_published import seed_published

    t = time.perf_counter()
    run_cycle(defs.resolve_job_def("build_listings"), reqs, instance, resources)
    t_listings = time.perf_counter() - t
    seeded = seed_published(store, keys, resources["marketplaces"].seller.get_settings())
    t_seed = time.perf_counter() - t - t_listings
    before = api_calls(servers)
    t = time.perf_counter()
    run_cycle(defs.resolve_job_def("publish_listings"), reqs, instance, resources)
    t_check = time.perf_counter() - t
    left = sum(len(store.sync_candidates(keys, m)) for m in ("smartstore", "coupang", "gmarket"))
    return {"publish": t_listings + t_seed, "how": f"build_listings ({len(reqs)} runs) + bulk seed",
            "listings": t_listings, "seed": t_seed, "seeded": seeded, "check": t_check,
            "check_calls": api_calls(servers) - before, "check_left": left, "check_runs": len(reqs)}


def report_seed(p: dict) -> None:
    if "seeded" not in p:
        return
    print(f"| setup: build_listings, {p['check_runs']} runs (s) | {p['listings']:.1f} |")
    for m, v in p["seeded"].items():
        print(f"| setup: bulk seed {m}: {int(v['seeded']):,} created, {int(v['refused']):,} refused (s) "
              f"| {v['s']:.1f} |")
        if v["first_refusal"]:
            print(f"|   first refusal: {str(v['first_refusal'])[:300]} | |")
    print(f"| check: publish_listings after the seed, {p['check_runs']} runs: API calls / candidates left "
          f"| {p['check_calls']:,} / {p['check_left']:,} ({p['check']:.1f} s) |")


def report(args, products: int, changed: int, pub: dict, t: dict, runs: int, calls: int, live: int) -> None:
    parts = args.suppliers * 3
    print(f"\nInventory cycle: {args.suppliers} suppliers x 3 markets = {parts} partitions, "
          f"{products:,} products, {changed:,} changed ({args.changed:.0%}); "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| setup: store + enrich {products:,} products (s) | {t['setup']:.1f} |")
    print(f"| setup: first publish: {pub['how']} (s) | {pub['publish']:.1f} |")
    report_seed(pub)
    print(f"| inventory cycle end to end (s) | {t['cycle']:.1f} |")
    print(f"| Dagster runs in the cycle | {runs} |")
    print(f"| marketplace API calls in the cycle | {calls:,} |")
    print(f"| listings live after the cycle | {live:,} |")
    print(f"| previous shape: one run per partition, measured per run (s) | {t['per_run']:.2f} |")
    print(f"| previous shape: {parts} runs, extrapolated (s) | {t['per_run'] * parts:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suppliers", type=int, default=100)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--changed", type=float, default=0.01)
    ap.add_argument("--sample-single", type=int, default=5)
    ap.add_argument("--seed-published", action=argparse.BooleanOptionalAction, default=None,
                    help="first publish in bulk (default: from 20,000 products)")
    args = ap.parse_args()
    if args.seed_published is None:
        args.seed_published = args.products >= 20_000

    import contextlib

    import dagster as dg

    from dropship_sandbox.market_common import start_market_sandboxes

    stack = contextlib.ExitStack()
    servers, env = start_market_sandboxes(0, rate_limits=False)
    os.environ.update(env)
    for market in ("SMARTSTORE", "COUPANG", "ESM"):  # no client-side pacing either
        os.environ[f"{market}_RATE_PER_S"] = "100000"
    base = database_url()
    url, schema = schema_url(base)
    try:
        from dropship_assets.definitions import defs
        from dropship_resources.llm import LLMResource
        from dropship_resources.markets import marketplaces_from_env
        from dropship_resources.pricing import PricingResource
        from dropship_resources.store import StoreResource
        from dropship_resources.suppliers import SuppliersResource
        from dropship_sensors.schedules import contiguous_ranges

        store = Store(url)
        store.migrate()
        keys = [f"sup{i:03d}" for i in range(args.suppliers)]
        per = args.products // args.suppliers
        t = time.perf_counter()
        for k in keys:
            store.ingest(k, [product(k, i, 50) for i in range(per)], RunInfo("bench-setup"))
            enrich(store, k)
        t_setup = time.perf_counter() - t
        cfg = Path(os.environ.get("DROPSHIP_HOME", ".dropship")) / "bench" / "sync_suppliers.yaml"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text("suppliers:\n" + "".join(f"  - {{key: {k}, kind: excel, path: none.xlsx}}\n" for k in keys))
        os.environ["DROPSHIP_SUPPLIERS"] = str(cfg)
        resources = {"store": StoreResource(database_url=url), "suppliers": SuppliersResource(config_path=str(cfg)),
                     "pricing": PricingResource(), "llm": LLMResource(), "marketplaces": marketplaces_from_env()}
        instance = stack.enter_context(dg.instance_for_test())
        instance.add_dynamic_partitions("supplier", keys)
        from dropship_sensors.schedules import inventory_sync_schedule

        ctx = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime.now(timezone.utc))
        reqs = inventory_sync_schedule(ctx)
        read_metadata(defs, instance, resources)
        pub = first_publish(args, defs, reqs, instance, resources, store, keys, servers)

        changed = change_stock(store, keys, per, args.products, args.changed)
        calls_before = api_calls(servers)

        inventory = defs.resolve_job_def("inventory_sync")
        t_cycle, runs = run_cycle(inventory, reqs, instance, resources)
        calls = api_calls(servers) - calls_before
        live = sum(store.sync_counts(k, m)["published"] for k in keys for m in ("smartstore", "coupang", "gmarket"))

        per_run = single_partition_runs(inventory, keys[: args.sample_single], instance, resources)
        report(args, len(keys) * per, len(changed), pub,
               {"setup": t_setup, "cycle": t_cycle, "per_run": per_run}, runs, calls, live)
        assert contiguous_ranges(keys, set(keys)) == [(keys[0], keys[-1])]
    finally:
        stack.close()
        for s in servers:
            s.stop()
        drop_schema(base, schema)


if __name__ == "__main__":
    main()
