"""kill -9 at random points of the order cycle, several times over: every paid order is placed
with OwnerClan exactly once and every line dispatched exactly once (the sandboxes' records)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from dropship_core.orders.service import Orders
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo
from dropship_sandbox.order_seed import seed_orders

from .conftest import arm

ROOT = Path(__file__).resolve().parents[2]
MARKETS = ["smartstore", "coupang"]


def test_kill9_exactly_once(stack, db_url, order_env, products):
    seed = int(os.environ.get("KILL9_SEED") or random.randrange(1 << 30))
    rnd = random.Random(seed)
    print(f"KILL9_SEED={seed}")
    for m in MARKETS:
        seed_orders(stack.orders[m], m, products, 15, start=100 * MARKETS.index(m))
    # slow calls (processed after 0.3 s) widen the windows between a call and its write
    arm(stack, "ownerclan", [{"kind": "timeout_before", "route": "createOrder", "count": 40}], 0.3)
    for name, route in (("smartstore", "POST dispatch"), ("coupang", "POST invoices")):
        arm(stack, name, [{"kind": "timeout_before", "route": route, "count": 40}], 0.3)
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONPATH=str(ROOT), SETTLE_S="1.0")
    kills = 0
    deadline = time.monotonic() + 60
    while kills < 8 and time.monotonic() < deadline:
        p = subprocess.Popen([sys.executable, str(Path(__file__).with_name("cycle_worker.py")),
                              ",".join(MARKETS)], env=env, cwd=ROOT)
        time.sleep(rnd.uniform(0.4, 2.5))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
        kills += 1
        if rnd.random() < 0.5:
            stack.orders["ownerclan"].ship(None)
    stack.orders["ownerclan"].ship(None)
    o = Orders(OrderStore(db_url), settle_s=1.0)
    run = RunInfo(run_id="final", asset_key="orders")
    for _ in range(6):
        o.cycle(MARKETS, run)
        stack.orders["ownerclan"].ship(None)
        if o.store.status_counts() == {"shipped": 30}:
            break
        time.sleep(1.1)
    o.close()
    assert o.store.status_counts() == {"shipped": 30}, (seed, o.store.status_counts())
    creates = stack.orders["ownerclan"].dump()["creates_by_note"]
    assert len(creates) == 30 and set(creates.values()) == {1}, (seed, creates)
    ss = stack.orders["smartstore"].dump()["applied"]["dispatch"]
    cp = stack.orders["coupang"].dump()["applied"]["invoice"]
    assert len(ss) == 15 and set(ss.values()) == {1}, (seed, ss)
    assert len(cp) == 15 and set(cp.values()) == {1}, (seed, cp)
    assert kills >= 3
