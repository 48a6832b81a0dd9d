"""/metrics after a demo-sized run: numbers recorded in the runs reach the long-running endpoint
through the store, behind a token, parsed with prometheus_client's own parser."""

import json
import threading
import time

import httpx
import psycopg
from prometheus_client.parser import text_string_to_metric_families

from dropship_app.serve_app import build_app
from dropship_core.markets.names import MARKETS
from dropship_core.serve import ServerThread
from dropship_core.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.observe.conftest import run_pipeline

TOKEN = "metrics-token-0451"
WHSEC = "webhook-secret-0451"


def push(url: str, supplier: str, event_id: str, item: str) -> httpx.Response:
    body = json.dumps({"id": event_id, "type": "item.stock_changed", "item_id": item,
                       "data": {"stock": 3}}).encode()
    ts = str(int(time.time()))
    return httpx.post(f"{url}/webhooks/{supplier}", content=body, timeout=10,
                      headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(WHSEC, ts, body)})


def samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, []).append(s)
    return out


def test_metrics_after_a_demo_sized_run(world):
    run_pipeline(world)
    store = world["resources"]["store"].store
    app = build_app(store, metrics_token=TOKEN, cache_s=0, secret=WHSEC, suppliers={"hook-sup"})
    with ServerThread(app) as srv:
        assert push(srv.url, "hook-sup", "e1", "W1").status_code == 202
        assert push(srv.url, "hook-sup", "e2", "W2").status_code == 202
        assert push(srv.url, "hook-sup", "e2", "W2").json()["duplicate"] is True
        assert httpx.post(f"{srv.url}/webhooks/hook-sup", content=b"{}", timeout=10).status_code == 401
        assert httpx.get(f"{srv.url}/metrics", timeout=10).status_code == 401
        assert httpx.get(f"{srv.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
        r = httpx.get(f"{srv.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    got = samples(text)

    calls = {m: sum(s.value for s in got["dropship_http_requests_total"] if s.labels["service"] == m)
             for m in MARKETS}
    assert all(v > 0 for v in calls.values()), calls
    # endpoint templates, status classes: bounded
    assert {s.labels["status_class"] for s in got["dropship_http_requests_total"]} <= {"2xx", "3xx", "4xx", "5xx", "error"}
    assert sum(s.value for s in got["dropship_http_request_duration_seconds_count"]) >= sum(calls.values())
    rows = {s.labels["outcome"]: s.value for s in got["dropship_ingest_rows_total"]}
    assert rows.get("new", 0) >= 12
    lag = {s.labels["market"]: s.value for s in got["dropship_market_sync_lag_seconds"]}
    assert set(lag) == set(MARKETS) and all(0 < v < 600 for v in lag.values()), lag
    assert got["dropship_webhook_inbox_depth"][0].value == 2
    assert {s.labels["duplicate"]: s.value for s in got["dropship_webhook_accepted_total"]} == {"false": 2.0, "true": 1.0}
    assert {s.labels["reason"]: s.value for s in got["dropship_webhook_refused_total"]}["unauthorized"] == 1
    created = {s.labels["market"]: s.value for s in got["dropship_sync_products_total"] if s.labels["action"] == "create"}
    with psycopg.connect(world["db_url"]) as c:
        published = {m: float(c.execute("SELECT count(*) FROM source_data WHERE market_data->%s->>'status'"
                                        " = 'published'", (m,)).fetchone()[0]) for m in MARKETS}
    assert created == published and all(v > 0 for v in published.values()), (created, published)
    assert all(s.value >= 1 for s in got["dropship_sync_calls_per_changed_product_count"])
    assert got["dropship_metrics_store_up"][0].value == 1
    # bounded labels: no supplier key, no product code, no account anywhere
    for needle in ("excel-observe", "hook-sup", "OB001", "W1"):
        assert needle not in text


def test_a_scrape_never_holds_up_a_webhook(world):
    """The store is read off the event loop: with the gauges' table locked (a scrape waits for
    it), a webhook delivery on the same server is still answered at once."""
    store = world["resources"]["store"].store
    store.migrate()
    app = build_app(store, metrics_token=TOKEN, cache_s=0, secret=WHSEC, suppliers={"hook-sup"})
    scraped: dict = {}
    with ServerThread(app) as srv, psycopg.connect(world["db_url"]) as locker:
        locker.execute("LOCK TABLE source_data IN ACCESS EXCLUSIVE MODE")  # held until rollback

        def scrape():
            t = time.perf_counter()
            scraped["status"] = httpx.get(f"{srv.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                                          timeout=30).status_code
            scraped["s"] = time.perf_counter() - t

        th = threading.Thread(target=scrape)
        th.start()
        time.sleep(0.5)   # the scrape is now waiting on the lock
        t = time.perf_counter()
        assert push(srv.url, "hook-sup", "slow-1", "W9").status_code == 202
        webhook_s = time.perf_counter() - t
        time.sleep(0.3)
        locker.rollback()
        th.join(30)
    assert webhook_s < 1.0, webhook_s
    assert scraped["status"] == 200 and scraped["s"] > 0.7


def test_no_token_configured_means_no_metrics(world, monkeypatch):
    monkeypatch.delenv("DROPSHIP_METRICS_TOKEN", raising=False)
    app = build_app(world["resources"]["store"].store, secret=WHSEC, suppliers={"hook-sup"})
    with ServerThread(app) as srv:
        r = httpx.get(f"{srv.url}/metrics", headers={"Authorization": "Bearer x"}, timeout=10)
    assert r.status_code == 503 and "DROPSHIP_METRICS_TOKEN" in r.text


def test_dropship_serve_command(db_url, tmp_path):
    """`dropship serve` as an operator starts it: receiver and /metrics on one port, token from
    the environment."""
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    # the receiver accepts pushes for enabled webhook accounts only
    (tmp_path / "suppliers.yaml").write_text("suppliers:\n  - {key: hook-cli, kind: webhook}\n", encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(root), "DROPSHIP_METRICS_TOKEN": TOKEN,
           "WEBHOOK_SECRET": WHSEC, "DROPSHIP_SUPPLIERS": str(tmp_path / "suppliers.yaml")}
    env.pop("SENTRY_DSN", None)
    proc = subprocess.Popen([sys.executable, "-m", "dropship_app.cli", "serve", "--port", str(port)], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "dropship serve did not start"
            time.sleep(0.2)
        assert push(url, "hook-cli", "c1", "W1").status_code == 202
        assert httpx.get(f"{url}/metrics", timeout=10).status_code == 401
        r = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert r.status_code == 200
        got = samples(r.text)
        assert got["dropship_webhook_inbox_depth"][0].value == 1
        assert got["dropship_webhook_accepted_total"][0].value >= 1
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_store_unreadable_is_flagged_not_raised():
    from dropship_core.metrics_collector import StoreMetrics
    from dropship_core.store import Store

    text = StoreMetrics(Store("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"), cache_s=0).render().decode()
    got = samples(text)
    assert got["dropship_metrics_store_up"][0].value == 0
