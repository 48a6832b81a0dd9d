"""`dropship demo`: the whole pipeline over every configured supplier, then a summary.

Runs go through the local Dagster instance, so they show up in the UI (`make dev`) afterwards
like any other run.
"""

import sys
import time
import warnings

import dagster as dg

from dropship_core.cli import table
from dropship_core.db import database_url, is_embedded, redact_url
from dropship_core.markets.names import MARKETS
from dropship_core.suppliers.registry import load_accounts


def run_demo(suppliers_file: str = "suppliers.yaml", quiet: bool = False) -> int:
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from dropship_assets.definitions import defs
    from dropship_assets.instance import local_instance

    url = database_url()
    print(f"store: {redact_url(url)}{' (embedded Postgres under .dropship/pg)' if is_embedded(url) else ''}")
    accounts = [a for a in load_accounts(suppliers_file) if a.enabled]
    instance = local_instance()
    keys = [a.key for a in accounts]
    existing = set(instance.get_dynamic_partitions("supplier"))
    new_keys = [k for k in keys if k not in existing]
    if new_keys:
        instance.add_dynamic_partitions("supplier", new_keys)

    sync_job = defs.resolve_job_def("product_sync")
    listings_job = defs.resolve_job_def("build_listings")
    quiet_logs = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    failures = []
    t0 = time.monotonic()
    for key in keys:
        res = sync_job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False,
                                          run_config=quiet_logs)
        _report(res, f"product_sync[{key}]", failures, quiet)
    for market in MARKETS:
        for key in keys:
            pk = dg.MultiPartitionKey({"market": market, "supplier": key})
            res = listings_job.execute_in_process(partition_key=pk, instance=instance, raise_on_error=False,
                                          run_config=quiet_logs)
            _report(res, f"build_listings[{market}|{key}]", failures, quiet)
    elapsed = time.monotonic() - t0
    print()
    print(summary(url, keys))
    print(f"\n{len(keys)} supplier(s), {len(keys) * (1 + len(MARKETS))} runs in {elapsed:.1f}s; "
          f"open the UI with `make dev` to see them.")
    if failures:
        print("FAILED runs: " + ", ".join(failures), file=sys.stderr)
        return 1
    return 0


def _report(res, label, failures, quiet):
    ok = res.success
    if not ok:
        failures.append(label)
        for ev in res.all_events:
            if ev.is_failure and ev.step_failure_data:
                print(f"  {label}: {ev.step_failure_data.error.message.strip()}", file=sys.stderr)
    if not quiet:
        print(f"{'ok  ' if ok else 'FAIL'} {label}  run {res.run_id[:8]}")


def summary(url: str, keys: list[str]) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = []
        for key in keys:
            products, active, soldout, deleted = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE status='active'), count(*) FILTER (WHERE status='soldout'),"
                " count(*) FILTER (WHERE status='deleted') FROM source_data WHERE supplier_key=%s", (key,)).fetchone()
            events = conn.execute("SELECT count(*) FROM source_data_events WHERE supplier_key=%s", (key,)).fetchone()[0]
            quarantined = conn.execute(
                "SELECT count(*) FROM quarantine WHERE supplier_key=%s AND resolved_at IS NULL", (key,)).fetchone()[0]
            row = {"supplier": key, "products": products, "active": active, "soldout": soldout,
                   "deleted": deleted, "events": events, "quarantined": quarantined}
            for m in MARKETS:
                listable, blocked = conn.execute(
                    "SELECT count(*) FILTER (WHERE (market_data->%s->>'listable')::boolean),"
                    " count(*) FILTER (WHERE NOT (market_data->%s->>'listable')::boolean)"
                    " FROM source_data WHERE supplier_key=%s", (m, m, key)).fetchone()
                row[m] = f"{listable}/{listable + blocked}"
            rows.append(row)
        reasons = conn.execute(
            "SELECT m.key, r.reason, count(*) FROM source_data, jsonb_each(market_data) m,"
            " jsonb_array_elements_text(m.value->'blocked_reasons') r(reason) GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 6"
        ).fetchall()
        q = conn.execute("SELECT supplier_key, source, reason FROM quarantine WHERE resolved_at IS NULL ORDER BY id LIMIT 12").fetchall()
    out = ["Products, events and quarantine per supplier; listings per market (listable/total):",
           table(rows, ["supplier", "products", "active", "soldout", "deleted", "events", "quarantined", *MARKETS])]
    if reasons:
        out += ["", "Top reasons a product cannot be listed:",
                table([{"market": m, "reason": r, "products": n} for m, r, n in reasons], ["market", "reason", "products"])]
    if q:
        out += ["", "Quarantined rows:", table([{"supplier": s, "source": src, "reason": r} for s, src, r in q],
                                               ["supplier", "source", "reason"])]
    return "\n".join(out)
