"""source_data_events refuses UPDATE, DELETE and TRUNCATE, except in a transaction that rewrites
history on purpose (migrations, store rebuild, suppliers remove --purge)."""

import psycopg
import pytest

from dropship_core.model import CanonicalProduct
from dropship_core.store import RunInfo
from dropship_core.store.rebuild import rebuild


def _seed(store):
    store.ingest("k", [CanonicalProduct("k", f"A{i}", f"상품 {i}", 1000 + i) for i in range(3)],
                 RunInfo("run-1", "source_products", "k"))


@pytest.mark.parametrize("sql", ["UPDATE source_data_events SET event_type = 'x'",
                                 "DELETE FROM source_data_events",
                                 "TRUNCATE source_data_events"])
def test_history_cannot_be_rewritten(store, sql):
    _seed(store)
    with store.connect() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(sql)
    with store.connect() as conn:
        assert conn.execute("SELECT count(*) FROM source_data_events").fetchone()[0] == 3


def test_a_transaction_that_says_so_may(store):
    _seed(store)
    with store.connect() as conn, conn.transaction():
        conn.execute("SET LOCAL dropship.events_rewrite = 'on'")
        conn.execute("DELETE FROM source_data_events WHERE supplier_item_id = 'A0'")
    with store.connect() as conn:
        assert conn.execute("SELECT count(*) FROM source_data_events").fetchone()[0] == 2
        # the setting was local: the next transaction is guarded again
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM source_data_events")


def test_rebuild_and_inserts_still_work(store):
    _seed(store)
    with store.connect() as conn:
        assert rebuild(conn, apply=True).ok
    _seed(store)
