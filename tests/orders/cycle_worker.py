"""Runs the whole order cycle in a loop until killed (the kill -9 test's victim)."""

from __future__ import annotations

import os
import sys
import time

from dropship_core.orders.service import Orders
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo


def main() -> None:
    markets = sys.argv[1].split(",")
    o = Orders(OrderStore(os.environ["DATABASE_URL"]), settle_s=float(os.environ["SETTLE_S"]))
    for m in markets:
        from dropship_core.orders.collect import market_orders

        o.market_clients[m] = market_orders(m, timeout=1.0)
    run = RunInfo(run_id=f"worker-{os.getpid()}", asset_key="orders", partition_key=None)
    while True:
        o.cycle(markets, run)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
