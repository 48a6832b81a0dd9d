"""An inventory cycle over many supplier partitions x 3 markets, against the marketplace sandboxes
with no latency and no rate limits:

    python bench/bench_sync_cycle.py [--suppliers 100] [--products 100000] [--changed 0.01]

Setup (not timed): N suppliers' products stored and enriched (offline enricher) through the
store, then published to the three sandboxes by the publish job (one ranged run per market).
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


def read_metadata(defs, instance, resources) -> None:
    """Every market's category tree and the rules of the categories in use, read from the
    sandboxes as the weekly schedule does (ESM lists nothing without them)."""
    metadata = defs.resolve_job_def("market_metadata")
    for m in ("smartstore", "coupang", "gmarket"):
        assert metadata.execute_in_process(instance=instance, resources=resources, partition_key=m).success


def report(args, products: int, changed: int, publish_runs: int, t: dict, runs: int, calls: int, live: int) -> None:
    parts = args.suppliers * 3
    print(f"\nInventory cycle: {args.suppliers} suppliers x 3 markets = {parts} partitions, "
          f"{products:,} products, {changed:,} changed ({args.changed:.0%}); "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| setup: store + enrich {products:,} products (s) | {t['setup']:.1f} |")
    print(f"| setup: first publish, {publish_runs} runs (s) | {t['publish']:.1f} |")
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
    args = ap.parse_args()

    import contextlib

    import dagster as dg
    import httpx

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
        t = time.perf_counter()
        run_cycle(defs.resolve_job_def("publish_listings"), reqs, instance, resources)
        t_publish = time.perf_counter() - t

        changed = change_stock(store, keys, per, args.products, args.changed)
        calls_before = sum(httpx.get(f"{s.url}/__calls").json().get("total", 0) for s in servers)

        inventory = defs.resolve_job_def("inventory_sync")
        t_cycle, runs = run_cycle(inventory, reqs, instance, resources)
        calls = sum(httpx.get(f"{s.url}/__calls").json().get("total", 0) for s in servers) - calls_before
        live = sum(store.sync_counts(k, m)["published"] for k in keys for m in ("smartstore", "coupang", "gmarket"))

        # the previous shape: one run per market x supplier partition (nothing left to change)
        sample = keys[: args.sample_single]
        t = time.perf_counter()
        for k in sample:
            pk = dg.MultiPartitionKey({"market": "coupang", "supplier": k})
            assert inventory.execute_in_process(instance=instance, resources=resources, partition_key=pk).success
        per_run = (time.perf_counter() - t) / len(sample)
        report(args, len(keys) * per, len(changed), len(reqs),
               {"setup": t_setup, "publish": t_publish, "cycle": t_cycle, "per_run": per_run}, runs, calls, live)
        assert contiguous_ranges(keys, set(keys)) == [(keys[0], keys[-1])]
    finally:
        stack.close()
        for s in servers:
            s.stop()
        drop_schema(base, schema)


if __name__ == "__main__":
    main()
