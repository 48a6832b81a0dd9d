"""`dropship demo`: the whole pipeline over every configured supplier, then a summary.

Runs go through the local Dagster instance, so they show up in the UI (`make dev`) afterwards
like any other run.
"""

import json
import os
import sys
import time
import warnings

import dagster as dg

from dropship_app.table import table
from dropship_core.db import database_url, is_embedded, redact_url
from dropship_core.markets.names import MARKETS
from dropship_core.markets.report import listability
from dropship_sandbox.stack import WEBHOOK_SECRET, start_stack
from dropship_core.store import Store
from dropship_core.suppliers.registry import load_accounts


def run_demo(suppliers_file: str = "suppliers.yaml", quiet: bool = False) -> int:
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)

    url = database_url()
    print(f"store: {redact_url(url)}{' (embedded Postgres under .dropship/pg)' if is_embedded(url) else ''}")
    accounts = [a for a in load_accounts(suppliers_file) if a.enabled]
    Store(url).migrate()  # pending migrations, before anything writes
    # the demo always runs against the local sandboxes, whatever the environment points at
    # A quick dry run: a 300-item OwnerClan catalog, and the marketplace sandboxes without their
    # request limits (the connectors' pacing is lifted to match); the tests run them with limits.
    stack = start_stack(url, ownerclan_items=300, domeggook_items=150, markets_rate_limits=False)
    os.environ.update(stack.env())
    print("sandboxes: " + ", ".join(f"{k} {v.url}" for k, v in stack.servers.items()))
    try:
        return _run(url, accounts, stack, quiet)
    finally:
        stack.stop()


def _run(url, accounts, stack, quiet) -> int:
    from dropship_assets.definitions import defs
    from dropship_app.instance import local_instance

    pushed = [a.key for a in accounts if a.kind == "webhook"]
    for key in pushed:
        n = push_demo_events(stack.servers["webhook"].url, key)
        print(f"pushed {n} signed webhook events for {key}")
    instance = local_instance()
    keys = [a.key for a in accounts]
    existing = set(instance.get_dynamic_partitions("supplier"))
    new_keys = [k for k in keys if k not in existing]
    if new_keys:
        instance.add_dynamic_partitions("supplier", new_keys)

    sync_job = defs.resolve_job_def("product_sync")
    listings_job = defs.resolve_job_def("publish_listings")
    quiet_logs = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    failures = []
    t0 = time.monotonic()
    for key in keys:
        res = sync_job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False,
                                          run_config=quiet_logs)
        _report(res, f"product_sync[{key}]", failures, quiet)
    metadata = defs.resolve_job_def("market_metadata")   # categories and rules from each market
    for market in MARKETS:
        res = metadata.execute_in_process(partition_key=market, instance=instance,
                                          raise_on_error=False, run_config=quiet_logs)
        _report(res, f"market_metadata[{market}]", failures, quiet)
    if "naver_search" in stack.servers:
        from dropship_sandbox.naver_search import seed_from_store

        print(f"market search sandbox: {seed_from_store(stack.servers['naver_search'].url, url)} offers")
    evidence_job = defs.resolve_job_def("market_evidence")
    for market in MARKETS:
        for key in keys:
            pk = dg.MultiPartitionKey({"market": market, "supplier": key})
            res = listings_job.execute_in_process(partition_key=pk, instance=instance, raise_on_error=False,
                                          run_config=quiet_logs)
            _report(res, f"publish_listings[{market}|{key}]", failures, quiet)
            res = evidence_job.execute_in_process(partition_key=pk, instance=instance, raise_on_error=False,
                                                  run_config=quiet_logs)
            _report(res, f"market_evidence[{market}|{key}]", failures, quiet)
    # the agents per market, then the analytics models and the seller's report
    agents = defs.resolve_job_def("market_agents")
    for market in MARKETS:
        res = agents.execute_in_process(partition_key=market, instance=instance, raise_on_error=False,
                                        run_config=quiet_logs)
        _report(res, f"market_agents[{market}]", failures, quiet)
    analytics = defs.resolve_job_def("analytics_daily")
    day = analytics.partitions_def.get_last_partition_key() if analytics.partitions_def else None
    res = analytics.execute_in_process(partition_key=day, instance=instance, raise_on_error=False,
                                       run_config=quiet_logs)
    _report(res, f"analytics_daily[{day}]", failures, quiet)
    report_path = None
    try:
        import psycopg

        from dbt_like_sql.report import write_report
        from dropship_core.db import project_home

        report_path = project_home() / "reports" / "analytics.html"
        report_path.parent.mkdir(parents=True, exist_ok=True)
        with psycopg.connect(url) as conn:
            write_report(conn, report_path)
    except Exception as e:  # the report is a convenience; the runs above are what matter
        print(f"report not written: {type(e).__name__}: {e}", file=sys.stderr)
        report_path = None
    elapsed = time.monotonic() - t0
    print()
    print(summary(url, keys))
    dec = Store(url).agent_decision_counts()
    if dec:
        print("\nAgent decisions (price changes wait for `dropship agents approve ID` unless approval is auto):")
        print(table([{"kind": k, "status": st, "count": n} for k, st, n in dec], ["kind", "status", "count"]))
    if report_path:
        print(f"\nanalytics report: {report_path}")
    print(f"\n{len(keys)} supplier(s), {len(keys) * (1 + 2 * len(MARKETS)) + len(MARKETS) + 1} runs in {elapsed:.1f}s; "
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
    store = Store(url)
    rows = []
    for key in keys:
        s = store.supplier_summary(key, MARKETS)
        row = {"supplier": key, **{k: s[k] for k in ("products", "active", "soldout", "deleted", "events",
                                                     "quarantined")}}
        for m in MARKETS:
            row[m] = f"{s[m]['published']}/{s[m]['listable']}/{s[m]['total']}"
        rows.append(row)
    reasons = store.blocked_reason_counts(6)
    q = [(r["supplier_key"], r["source"], r["reason"]) for r in store.quarantined(None, 12)]
    with store.connect() as conn:
        listable_rows = listability(conn)
    sync = conn_stats(url)
    out = ["Products, events and quarantine per supplier; listings per market (published/listable/total):",
           table(rows, ["supplier", "products", "active", "soldout", "deleted", "events", "quarantined", *MARKETS])]
    out += ["", "Listable per market (active products; `dropship listings why SUPPLIER ITEM --market M`"
            " explains one):", table(listable_rows, ["market", "listable", "percent", "top reasons"])]
    if reasons:
        out += ["", "Top reasons a product cannot be listed:",
                table([{"market": m, "reason": r, "products": n} for m, r, n in reasons], ["market", "reason", "products"])]
    if sync:
        out += ["", "Marketplace sync (sandbox APIs):",
                table(sync, ["market", "published", "stopped", "failed", "events", "api_failures"])]
    if q:
        out += ["", "Quarantined rows:", table([{"supplier": s, "source": src, "reason": r} for s, src, r in q],
                                               ["supplier", "source", "reason"])]
    return "\n".join(out)


def push_demo_events(base_url: str, supplier_key: str, count: int = 24) -> int:
    """A supplier pushing item changes: signed events, as a real integration would send them."""
    import httpx

    from dropship_core.webhook import sign

    names = ["무선 충전 보조배터리 10000mAh", "스테인리스 밀폐용기 5종", "캠핑 접이식 테이블", "유아 실리콘 턱받이",
             "남성 기능성 반팔티", "LED 센서 무드등", "대용량 텀블러 900ml", "강아지 쿨매트 M"]
    sent = 0
    with httpx.Client(timeout=10) as client:
        for i in range(count):
            product = {"name": f"{names[i % len(names)]} {i + 1}호", "cost": 5000 + 450 * i, "stock": 5 + i,
                       "brand": "푸시상회", "origin": "국산", "shipping_fee": 3000,
                       "images": [f"https://cdn.push-supplier.kr/{i}.jpg"], "category_path": "생활/건강"}
            body = json.dumps({"id": f"demo-evt-{i}", "type": "item.changed", "item_id": f"P{1000 + i}",
                               "occurred_at": "2026-11-26T09:00:00Z", "data": {"product": product}},
                              ensure_ascii=False).encode()
            ts = str(int(time.time()))
            r = client.post(f"{base_url}/webhooks/{supplier_key}", content=body,
                            headers={"X-Dropship-Timestamp": ts, "X-Dropship-Signature": sign(WEBHOOK_SECRET, ts, body),
                                     "Content-Type": "application/json"})
            if r.status_code != 202:
                raise RuntimeError(f"webhook receiver answered {r.status_code}: {r.text[:200]}")
            sent += 1
    return sent


def conn_stats(url: str) -> list[dict]:
    store = Store(url)
    rows = [{"market": m, **store.market_sync_summary(m)} for m in MARKETS]
    return rows if any(r["published"] or r["failed"] for r in rows) else []
