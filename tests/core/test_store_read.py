"""The seed queries run on a kept per-thread connection: no connection setup per call, and a
connection that went away is replaced."""

import threading

import psycopg

from dropship_core.model import CanonicalProduct
from dropship_core.store import RunInfo


def test_kept_read_connection_is_reused_and_replaced(store, db_url):
    store.ingest("acme", [CanonicalProduct("acme", f"A{i}", f"상품 {i}", 1000) for i in range(3)], RunInfo("r"))
    with store.connect() as c:
        c.execute("UPDATE source_data SET market_data = '{\"coupang\": {\"status\": \"published\"}}',"
                  " ai_data = '{\"quality_score\": 0.9}'")
        c.commit()
    assert len(store.active_in_market("coupang", limit=100)) == 3
    pid = store._local.conn.info.backend_pid
    assert store.with_ai_score_above(0.8, limit=100)[0]["supplier_item_id"] == "A0"
    assert store._local.conn.info.backend_pid == pid  # the same connection, kept
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    assert len(store.active_in_market("coupang", limit=2)) == 2  # replaced, not an error
    assert store._local.conn.info.backend_pid != pid
    # each thread has its own
    other = []
    t = threading.Thread(target=lambda: other.append((store.active_in_market("coupang"),
                                                      store._local.conn.info.backend_pid)))
    t.start()
    t.join()
    assert len(other[0][0]) == 3 and other[0][1] != store._local.conn.info.backend_pid
