"""Sales signals only from real data: the supplier's falling stock from the recorded snapshots."""

from __future__ import annotations

import psycopg

from dropship_core.evidence.store import EvidenceStore
from dropship_core.model import CanonicalProduct
from dropship_core.store import RunInfo


def test_supplier_stock_velocity_from_snapshots(store):
    run = RunInfo.cli("test")
    for stock in (50, 38):
        store.ingest("s1", [CanonicalProduct("s1", "A", "텀블러", 5000, stock=stock),
                            CanonicalProduct("s1", "B", "머그", 3000, stock=10)], run)
    with psycopg.connect(store.database_url) as c:
        ids = dict(c.execute("SELECT supplier_item_id, id FROM source_data").fetchall())
        # the first observation was two days ago (the test back-dates history on purpose)
        c.execute("SET LOCAL dropship.events_rewrite = 'on'")
        c.execute("UPDATE source_data_events SET created_at = now() - interval '2 days'"
                  " WHERE product_id = %s AND event_type = 'ingested'", (ids["A"],))
    v = EvidenceStore(store.database_url).supplier_stock_velocity(list(ids.values()))
    assert set(v) == {ids["A"]}  # B has one observation only: no rate is claimed
    assert abs(v[ids["A"]] - 6.0) < 0.01  # 12 units in 2 days
    store.ingest("s1", [CanonicalProduct("s1", "A", "텀블러", 5000, stock=100)], run)  # a restock is not a sale
    assert abs(EvidenceStore(store.database_url).supplier_stock_velocity([ids["A"]])[ids["A"]] - 6.0) < 0.01
