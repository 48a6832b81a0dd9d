from dropship_core.model import CanonicalProduct, Variant
from dropship_core.store import RunInfo
from dropship_core.store.rebuild import rebuild
from dropship_core.suppliers.base import Reject

RUN1 = RunInfo("run-1", "source_products", "acme")
RUN2 = RunInfo("run-2", "source_products", "acme")


def products(n=5, cost=1000):
    return [
        CanonicalProduct("acme", f"A{i}", f"텀블러 {i}", cost + i, stock=10,
                         variants=[Variant(f"A{i}-1", {"색상": "블랙"}, 0, 5)])
        for i in range(n)
    ]


def count(store, sql, *args):
    with store.connect() as c:
        return c.execute(sql, args).fetchone()[0]


def test_upsert_new_changed_unchanged(store):
    ps = products()
    r1 = store.ingest("acme", ps, RUN1)
    assert (r1.new, r1.changed, r1.unchanged) == (5, 0, 0)
    r2 = store.ingest("acme", ps, RUN2)
    assert (r2.new, r2.changed, r2.unchanged) == (0, 0, 5)
    assert count(store, "SELECT count(*) FROM source_data_events") == 5
    ps[2].cost = 4321
    r3 = store.ingest("acme", ps, RUN2)
    assert (r3.new, r3.changed, r3.unchanged) == (0, 1, 4)
    assert r3.changed_ids == ["A2"]
    row = store.get_by_supplier_item("acme", "A2")
    assert row["raw_data"]["cost"] == 4321


def test_events_carry_run_asset_partition_and_diff(store):
    ps = products(2)
    store.ingest("acme", ps, RUN1)
    ps[0].name = "새 이름"
    store.ingest("acme", ps, RUN2)
    pid = store.get_by_supplier_item("acme", "A0")["id"]
    evs = store.events(pid)
    assert [e["event_type"] for e in evs] == ["ingested", "changed"]
    assert evs[0]["run_id"] == "run-1" and evs[1]["run_id"] == "run-2"
    assert evs[1]["asset_key"] == "source_products" and evs[1]["partition_key"] == "acme"
    assert evs[1]["payload"]["diff"] == {"name": ["텀블러 0", "새 이름"]}


def test_full_catalog_delists_missing_and_returning_item_is_a_change(store):
    ps = products(3)
    store.ingest("acme", ps, RUN1, complete=True)
    r = store.ingest("acme", ps[:2], RUN2, complete=True)
    assert r.delisted == 1
    gone = store.get_by_supplier_item("acme", "A2")
    assert gone["status"] == "deleted"
    assert [e["event_type"] for e in store.events(gone["id"])] == ["ingested", "delisted"]
    # deleting again changes nothing; the item coming back is a change, not a silent no-op
    assert store.ingest("acme", ps[:2], RUN2, complete=True).delisted == 0
    back = store.ingest("acme", ps, RUN2, complete=True)
    assert back.changed == 1 and store.get_by_supplier_item("acme", "A2")["status"] == "active"


def test_suppliers_are_isolated(store):
    store.ingest("acme", products(2), RUN1)
    other = [CanonicalProduct("hanbit", "A0", "다른 상품", 500)]
    r = store.ingest("hanbit", other, RUN1, complete=True)
    assert r.new == 1 and r.delisted == 0
    assert store.get_by_supplier_item("acme", "A0")["raw_data"]["name"] == "텀블러 0"


def test_quarantine_keeps_reason_and_is_not_duplicated(store):
    bad = [Reject("공급가: '문의' is not a number", {"상품코드": "X1", "공급가": "문의"}, "f.xlsx!S:row 3")]
    assert store.quarantine("acme", bad, RUN1) == 1
    store.quarantine("acme", bad, RUN2)
    rows = store.quarantined("acme")
    assert len(rows) == 1
    assert rows[0]["reason"].startswith("공급가") and rows[0]["raw"]["공급가"] == "문의"
    assert rows[0]["run_id"] == "run-2"


def test_seed_query_api(store):
    store.ingest("acme", products(3), RUN1)
    ids = [store.get_by_supplier_item("acme", f"A{i}")["id"] for i in range(3)]
    store.set_ai_data([(ids[0], {"quality_score": 0.91}, "h0"), (ids[1], {"quality_score": 0.5}, "h1")], RUN1)
    assert [r["id"] for r in store.with_ai_score_above(0.8)] == [ids[0]]
    store.update_market_data(ids[1], "smartstore", {"status": "published", "price": 15000})
    store.update_market_data(ids[2], "smartstore", {"status": "blocked"})
    assert [r["id"] for r in store.active_in_market("smartstore")] == [ids[1]]
    assert store.active_in_market("coupang") == []
    assert store.get(ids[1])["market_data"]["smartstore"]["price"] == 15000
    evs = store.events(ids[1])
    assert evs[-1]["event_type"] == "price_changed"
    assert evs[-1]["payload"]["diff"] == {"price": [None, 15000], "status": [None, "published"]}
    # a patch that changes nothing writes no event
    store.update_market_data(ids[1], "smartstore", {"price": 15000})
    assert len(store.events(ids[1])) == len(evs)


def test_rebuild_equals_live_and_detects_tampering(store):
    ps = products(4)
    store.ingest("acme", ps, RUN1)
    ps[1].cost = 9999
    store.ingest("acme", ps[:3], RUN2, complete=True)
    pid = store.get_by_supplier_item("acme", "A0")["id"]
    store.set_ai_data([(pid, {"quality_score": 0.7, "clean_name": "텀블러"}, "h")], RUN2)
    store.update_market_data(pid, "coupang", {"status": "published", "price": 12000})
    store.update_market_data(pid, "smartstore", {"status": "pending"})
    with store.connect() as c:
        rep = rebuild(c)
    assert rep.ok and rep.live_rows == 4 and rep.mismatched == 0
    with store.connect() as c:
        c.execute("UPDATE source_data SET raw_data = jsonb_set(raw_data, '{cost}', '1') WHERE id = %s", (pid,))
        c.commit()
        rep = rebuild(c)
    assert not rep.ok and rep.mismatched == 1 and rep.sample[0]["id"] == pid
    with store.connect() as c:
        assert rebuild(c, apply=True).applied
        assert rebuild(c).ok
    assert store.get(pid)["raw_data"]["cost"] == 1000


def test_duplicate_ids_in_one_batch_are_refused(store):
    ps = products(2)
    ps[1].supplier_item_id = "A0"
    try:
        store.ingest("acme", ps, RUN1)
    except ValueError as e:
        assert "duplicate supplier_item_id 'A0'" in str(e)
    else:
        raise AssertionError("duplicate ids were accepted")
    assert count(store, "SELECT count(*) FROM source_data") == 0


def test_migrations_are_recorded_once(store, db_url):
    from dropship_core.store.migrate import apply_migrations
    import psycopg

    with psycopg.connect(db_url) as c:
        assert apply_migrations(c) == []
        n = c.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    assert n >= 2


def test_to_dict_matches_asdict():
    from dataclasses import asdict, fields

    from dropship_core.model import CanonicalProduct

    p = products(1)[0]
    p.images = ["a"]
    p.notice = {"k": "v"}
    p.raw = {"상품코드": "A0"}
    assert p.to_dict() == asdict(p)
    assert set(p.to_dict()) == {f.name for f in fields(CanonicalProduct)}
    assert CanonicalProduct.from_dict(p.to_dict()) == p


def test_large_first_load_in_chunks_of_one_transaction(store, monkeypatch):
    import dropship_core.store.ingest as store_mod

    monkeypatch.setattr(store_mod, "COPY_CHUNK", 4)
    ps = products(11)
    r = store.ingest("acme", ps, RUN1)
    assert r.new == 11
    with store.connect() as c:
        ids = [i for (i,) in c.execute("SELECT id FROM source_data ORDER BY id").fetchall()]
        ev = c.execute("SELECT count(*), count(DISTINCT product_id) FROM source_data_events").fetchone()
        rep = rebuild(c)
    assert len(set(ids)) == 11 and ev == (11, 11) and rep.ok
    # ids stay unique for the next batch, whichever path it takes
    more = [CanonicalProduct("acme", f"B{i}", f"상품 {i}", 900) for i in range(2)]
    store.ingest("acme", more, RUN2)
    with store.connect() as c:
        assert c.execute("SELECT count(DISTINCT id) FROM source_data").fetchone()[0] == 13


def test_patch_market_entries_is_update_market_data_in_bulk(store):
    store.ingest("acme", products(4), RUN1)
    ids = [store.get_by_supplier_item("acme", f"A{i}")["id"] for i in range(4)]
    for pid in ids:
        store.update_market_data(pid, "coupang", {"status": "pending", "listing_hash": "h1"})
    patch = {"status": "published", "external": {"sellerProductId": 7}, "published_hash": "h1",
             "last_error": None}
    # one by one for the first two, in bulk for the others
    for pid in ids[:2]:
        store.update_market_data(pid, "coupang", patch, RUN2, event_type="published",
                                 payload={"listing_hash": "h1"})
    n = store.patch_market_entries("coupang", [(pid, patch, {"listing_hash": "h1"}) for pid in ids[2:]],
                                   RUN2, "published")
    assert n == 2
    entries = [store.get(pid)["market_data"]["coupang"] for pid in ids]
    assert entries[2] == entries[3] == entries[0] == {"listing_hash": "h1", **patch}

    def last(pid):
        e = store.events(pid)[-1]
        return e["event_type"], e["run_id"], e["payload"]

    assert last(ids[2]) == last(ids[0])
    assert last(ids[2])[2]["diff"] == {"status": ["pending", "published"], "external": [None, {"sellerProductId": 7}],
                                       "published_hash": [None, "h1"]}
    assert store.patch_market_entries("coupang", [], RUN2, "published") == 0
    with store.connect() as c:
        assert rebuild(c).ok
