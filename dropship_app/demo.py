"""`dropship demo`: the whole pipeline over every configured supplier, then a summary.

Runs go through the local Dagster instance, so they show up in the UI (`make dev`) afterwards
like any other run.
"""

import json
import os
from pathlib import Path
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
    print(f"store: {redact_url(url)}{' (embedded Postgres)' if is_embedded(url) else ''}")
    accounts = [a for a in load_accounts(suppliers_file) if a.enabled]
    Store(url).migrate()  # pending migrations, before anything writes
    # the demo always runs against the local sandboxes, whatever the environment points at
    # A quick dry run: a 300-item OwnerClan catalog, and the marketplace sandboxes without their
    # request limits (the connectors' pacing is lifted to match); the tests run them with limits.
    stack = start_stack(url, ownerclan_items=300, domeggook_items=150, markets_rate_limits=False)
    os.environ.update(stack.env())
    # the demo seller's category overrides (demo_data/category_overrides.yaml), unless set
    overrides = Path(suppliers_file).resolve().parent / "demo_data" / "category_overrides.yaml"
    if overrides.exists() and not os.environ.get("DROPSHIP_CATEGORY_OVERRIDES"):
        os.environ["DROPSHIP_CATEGORY_OVERRIDES"] = str(overrides)
        print(f"category overrides: {overrides}")
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

    quiet_logs = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

    def launch(job: str, pk):
        return _launch(defs, job, instance, pk, quiet_logs)

    failures: list[str] = []
    ran: list[str] = []

    def run(job: str, pk, label: str):
        ran.append(label)
        _report(launch(job, pk), label, failures, quiet)

    t0 = time.monotonic()
    before = _footprint(url)
    for key in keys:
        run("product_sync", key, f"product_sync[{key}]")
    for market in MARKETS:   # categories and rules from each market
        run("market_metadata", market, f"market_metadata[{market}]")
    if "naver_search" in stack.servers:
        from dropship_sandbox.naver_search import seed_from_store

        print(f"market search sandbox: {seed_from_store(stack.servers['naver_search'].url, url)} offers")
    for market in MARKETS:
        for key in keys:
            pk = dg.MultiPartitionKey({"market": market, "supplier": key})
            run("publish_listings", pk, f"publish_listings[{market}|{key}]")
            run("market_evidence", pk, f"market_evidence[{market}|{key}]")
    # the orders (the agents' sales rates come from them), the agents per market, then the
    # analytics models and the seller's report
    from dropship_app.orders_demo import run_orders_demo

    def order_run(res, label):
        ran.append(label)
        _report(res, label, failures, quiet)

    orders_table = run_orders_demo(url, instance, order_run)
    for market in MARKETS:
        run("market_agents", market, f"market_agents[{market}]")
    analytics = defs.resolve_job_def("analytics_daily")
    day = analytics.partitions_def.get_last_partition_key() if analytics.partitions_def else None
    run("analytics_daily", day, f"analytics_daily[{day}]")
    report_path = _write_report(url)
    elapsed = time.monotonic() - t0
    _print_outcome(url, keys, orders_table, report_path, f"{len(ran)} runs in {elapsed:.1f}s")
    print(_changes(before, _footprint(url)))
    if failures:
        print("FAILED runs: " + ", ".join(failures), file=sys.stderr)
        return 1
    return 0


def _footprint(url: str) -> tuple[int, dict[str, dict[str, float]]]:
    """Events stored and API calls made so far, per service and endpoint, from the store."""
    from dropship_core import metrics

    store = Store(url)
    metrics.flush(store)
    calls: dict[str, dict[str, float]] = {}
    for name, labels, value in store.metric_totals():
        if name == "dropship_http_requests_total":
            by_endpoint = calls.setdefault(labels.get("service", "?"), {})
            ep = labels.get("endpoint", "")
            by_endpoint[ep] = by_endpoint.get(ep, 0.0) + value
    return store.stats()["events"]["total"], calls


def _changes(before, after) -> str:
    """What this run did: new events, and the API calls it made per service (a re-run on
    unchanged inputs still reads: supplier catalogs without a change feed, new orders)."""
    events = after[0] - before[0]
    lines = []
    for svc, eps in sorted(after[1].items()):
        done = {ep: n - before[1].get(svc, {}).get(ep, 0.0) for ep, n in eps.items()}
        done = {ep: int(n) for ep, n in done.items() if n > 0}
        if done:
            lines.append(f"  {svc}: {sum(done.values())} ({', '.join(f'{ep} {n}' for ep, n in sorted(done.items()))})")
    calls = "\n".join(lines) or "  none"
    return f"\nThis run wrote {events} new events and made these API calls:\n{calls}"


def _write_report(url: str):
    """The seller's HTML report, and the first day of data for the analytics partitions."""
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
    from dbt_like_sql.dagster_assets import record_analytics_start

    day = record_analytics_start(Store(url).first_event_day())
    if day:
        print(f"analytics partitions start at {day}, the day the data starts")
    return report_path


def _print_outcome(url: str, keys: list[str], orders_table: str, report_path, runs_line: str) -> None:
    print()
    print(summary(url, keys))
    dec = Store(url).agent_decision_counts()
    if dec:
        print("\nAgent decisions (price changes wait for `dropship agents approve ID` unless approval is auto):")
        print(table([{"kind": k, "status": st, "count": n} for k, st, n in dec], ["kind", "status", "count"]))
    print(f"\nOrders by market:\n{orders_table}")
    if report_path:
        print(f"\nanalytics report: {report_path}")
    print(f"\n{len(keys)} supplier(s), {runs_line}; open the UI with `make dev` to see them.")


def _launch(defs, job: str, instance, pk, run_config):
    """A run the UI links to its job (workspace origin, see run_launch); without a
    workspace.yaml here, a plain in-process run."""
    from dropship_app.run_launch import DEFAULT_WORKSPACE, launch_in_process

    if Path(DEFAULT_WORKSPACE).exists():
        return launch_in_process(job, instance, partition_key=pk, run_config=run_config)
    return defs.resolve_job_def(job).execute_in_process(partition_key=pk, instance=instance, raise_on_error=False,
                                                        run_config=run_config)


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

    # (name, the detail page's specification lines, the KC mark the goods need or "")
    items = [("무선 충전 보조배터리 10000mAh", {"색상": "화이트"}, "YU10{n:04d}-{n:04d}P"),
             ("스테인리스 밀폐용기 5종", {"구성품": "용기 5개", "색상": "실버"}, ""),
             ("캠핑 접이식 테이블", {"색상": "블랙", "가로길이": "90cm"}, ""),
             ("유아 실리콘 턱받이", {"색상": "민트"}, ""),
             ("남성 기능성 반팔티", {"색상": "블랙", "사이즈": "L"}, ""),
             ("LED 센서 무드등", {"색상": "화이트"}, "YU07{n:04d}-{n:04d}L"),
             ("대용량 텀블러 900ml", {"색상": "블랙"}, ""), ("강아지 쿨매트 M", {"색상": "블루", "쿨매트 구성품": "매트 1개"}, "")]
    sent = 0
    with httpx.Client(timeout=10) as client:
        for i in range(count):
            name, spec, kc = items[i % len(items)]
            product = {"name": f"{name} {i + 1}호", "cost": 5000 + 450 * i, "stock": 5 + i,
                       "brand": "푸시상회", "origin": "국산", "shipping_fee": 3000,
                       "images": [f"https://cdn.push-supplier.kr/{i}.jpg"], "category_path": "생활/건강",
                       "description": "".join(f"<p>■ {k}: {v}</p>" for k, v in spec.items())}
            if kc:
                product["notice"] = {"certificates": [{"type": "KC_CERTIFICATION", "name": "KC 안전확인",
                                                       "number": kc.format(n=1000 + i)}]}
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
