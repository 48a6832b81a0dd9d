"""kill -9 of the receiver in the middle of a webhook burst (the sender retries what was not
acknowledged), then kill -9 of the syncs reading the inbox: every event lands once, every
product once, the store replays clean."""

import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from dropship_core.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from faultkit import child, kill_at_random, rebuild_verify, run_to_end, wait_ready

N = 240
SUPPLIER = "push-faults"
SECRET = "fault-suite-webhook-secret"


def _event(i: int) -> bytes:
    product = {"name": f"무선 충전 보조배터리 {i}호", "cost": 5000 + 10 * i, "stock": 5 + i % 7,
               "images": [f"https://img.example/p{i}.jpg"], "shipping_fee": 3000}
    return json.dumps({"id": f"burst-{i}", "type": "item.changed", "item_id": f"P{i:04d}",
                       "data": {"product": product}}, ensure_ascii=False).encode()


class Receiver:
    """The receiver process; `restart()` after a kill -9 (the URL may change)."""

    def __init__(self, db_url):
        self.db_url = db_url
        self.lock = threading.Lock()
        self.proc = None
        self.url = None
        self.start()

    def start(self):
        p = child("child_receiver.py", self.db_url, SECRET, SUPPLIER, env={})
        url = wait_ready(p)[0]
        with self.lock:
            self.proc, self.url = p, url

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def _deliver(recv: Receiver, i: int) -> int:
    body, attempts = _event(i), 0
    while True:
        attempts += 1
        ts = str(int(time.time()))
        with recv.lock:
            url = recv.url
        try:
            r = httpx.post(f"{url}/webhooks/{SUPPLIER}", content=body, timeout=5,
                           headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(SECRET, ts, body)})
            if r.status_code == 202:
                return attempts
            assert r.status_code >= 500, r.text   # anything else is a bug, not a fault
        except httpx.HTTPError:
            pass
        time.sleep(0.05)


@pytest.mark.timeout(300)
def test_kill_9_during_a_burst_and_during_inbox_syncs(store, db_url, tmp_path):
    seed = int(os.environ.get("DROPSHIP_FAULT_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    recv = Receiver(db_url)
    kills = []

    def killer():
        for _ in range(2):
            time.sleep(rng.uniform(0.2, 1.2))
            recv.kill()
            kills.append(("receiver", time.monotonic()))
            recv.start()

    k = threading.Thread(target=killer)
    try:
        with ThreadPoolExecutor(8) as pool:
            k.start()
            attempts = list(pool.map(lambda i: _deliver(recv, i), range(N)))
        k.join()
    finally:
        recv.kill()
    with store.connect() as conn:
        rows, ids = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM webhook_inbox"
                                 " WHERE supplier_key = %s", (SUPPLIER,)).fetchone()
    assert (rows, ids) == (N, N), (seed, rows, ids)
    retried = sum(1 for a in attempts if a > 1)

    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - {{key: {SUPPLIER}, kind: webhook, batch_size: 30}}\n", encoding="utf-8")
    env = {"DATABASE_URL": db_url}
    sync_kills = []
    for _ in range(2):
        delay, killed = kill_at_random(child("child_inbox_sync.py", db_url, str(cfg), SUPPLIER, env=env),
                                       rng, 0.5, 6.0)
        with store.connect() as conn:
            n = conn.execute("SELECT count(*) FROM source_data WHERE supplier_key = %s", (SUPPLIER,)).fetchone()[0]
        sync_kills.append((round(delay, 2), killed, n))
    assert "DONE" in run_to_end(child("child_inbox_sync.py", db_url, str(cfg), SUPPLIER, env=env))
    print(f"seed {seed}: {len(kills)} receiver kills, {retried} deliveries retried; "
          f"sync kills (after s, mid-run, products stored) {sync_kills}")
    with store.connect() as conn:
        products, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT supplier_item_id) FROM source_data WHERE supplier_key = %s",
            (SUPPLIER,)).fetchone()
        ingested = conn.execute("SELECT count(*), count(DISTINCT product_id) FROM source_data_events"
                                " WHERE supplier_key = %s AND event_type = 'ingested'", (SUPPLIER,)).fetchone()
        quarantined = conn.execute("SELECT count(*) FROM quarantine WHERE supplier_key = %s",
                                   (SUPPLIER,)).fetchone()[0]
    assert (products, distinct) == (N, N), (seed, sync_kills, products, distinct)
    assert ingested == (N, N) and quarantined == 0, (seed, sync_kills, ingested, quarantined)
    rebuild_verify(db_url)
