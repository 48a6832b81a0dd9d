"""The raw landing (supplier fetches stored as fetched, read back by the ingest step) and the
atomic claim of dropped files, on real Postgres and a real filesystem."""

import shutil
import threading

import dagster as dg
import pytest

from dropship_assets.catalog import supplier_catalog
from dropship_assets.products import source_products
from dropship_core.model import CanonicalProduct
from dropship_core.store import RunInfo
from dropship_core.suppliers.base import Reject
from dropship_core.suppliers.inbox import claim_dropped, list_dropped
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource


def product(i: int, cost: int = 1000) -> CanonicalProduct:
    return CanonicalProduct("sup", f"I{i}", f"상품 {i}", cost, stock=i, raw={"row": i, "메모": "원본"})


def test_landing_is_append_only_per_run_and_read_back_whole(store):
    a = store.land_fetch("sup", RunInfo("run-a"), products=[product(1), product(2)],
                         rejects=[Reject("cost missing", {"row": 9}, "x.xlsx!S:9")], deleted_ids=["I7"],
                         next_cursor="c1", complete=True, sync_mode="full", stats={"pages": 1})
    b = store.land_fetch("sup", RunInfo("run-b"), products=[product(1, 1200)], sync_mode="incremental")
    assert b > a
    # run-a's step sees only its own landing; a run that landed nothing takes every pending one
    (own,) = store.pending_landings("sup", "run-a")
    store.load_landing(own)
    assert own.id == a and own.complete and own.next_cursor == "c1" and own.deleted_ids == ["I7"]
    assert [p["supplier_item_id"] for p in own.products] == ["I1", "I2"]
    assert own.products[0] == product(1).to_dict()
    assert own.rejects == [Reject("cost missing", {"row": 9}, "x.xlsx!S:9")]
    assert [x.id for x in store.pending_landings("sup", "run-other")] == [a, b]
    # run-b takes the older landing run-a left un-ingested first, then its own
    assert [x.id for x in store.pending_landings("sup", "run-b")] == [a, b]
    store.mark_landing_ingested(a, RunInfo("run-b"))
    store.mark_landing_ingested(b, RunInfo("run-b"))
    assert store.pending_landings("sup", "run-other") == []
    assert [x.id for x in store.pending_landings("sup", "run-b")] == [b]  # a retried step reads its own again
    assert store.load_landing(store.pending_landings("sup", "run-b")[0]).products[0]["cost"] == 1200
    with pytest.raises(ValueError, match="belongs to sup"):
        store.land_fetch("other", RunInfo("run-c"), products=[product(3)])
    assert store.landing_counts("other") == {"landings_kept": 0, "landed_records_kept": 0}


def test_retention_keeps_the_newest_and_what_is_not_ingested_yet(store):
    ids = [store.land_fetch("sup", RunInfo(f"r{i}"), products=[product(i)]) for i in range(6)]
    for i in ids[:4]:
        store.mark_landing_ingested(i, RunInfo("ing"))
    # ids[4] and ids[5] are not ingested yet: kept although beyond keep=1
    assert store.prune_landings("sup", keep=1, max_age_days=7) == 4
    assert store.landing_counts("sup") == {"landings_kept": 2, "landed_records_kept": 2}
    store.mark_landing_ingested(ids[4], RunInfo("ing"))
    assert store.prune_landings("sup", keep=1, max_age_days=7) == 1
    # by age: everything older than now, except the newest
    store.land_fetch("sup", RunInfo("r9"), products=[product(9)])
    store.mark_landing_ingested(ids[5], RunInfo("ing"))
    assert store.prune_landings("sup", keep=10, max_age_days=0) == 1
    with store.connect() as c:
        assert c.execute("SELECT count(*) FROM supplier_landing_rows").fetchone()[0] == 1


def test_two_claimants_of_one_dropped_file_one_wins(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = None
    for round_ in range(20):
        f = inbox / f"drop-{round_}.xlsx"
        f.write_bytes(b"x" * 1000)
        barrier = threading.Barrier(4)
        got = []

        def claim(run_id):
            barrier.wait()
            got.append(claim_dropped(f, run_id))

        threads = [threading.Thread(target=claim, args=(f"run{round_}-{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [p for p in got if p is not None]
        assert len(winners) == 1 and winners[0].read_bytes() == b"x" * 1000
        assert winners[0].parent.parent == inbox / "processing"
        first = first or winners[0]
    # losers leave no empty folders behind, and claimed files are not offered again
    assert len(list((inbox / "processing").iterdir())) == 20
    assert list_dropped(inbox, min_age_seconds=0) == []
    # the same run asking again (a retried step) gets its own claim back
    assert claim_dropped(inbox / "drop-0.xlsx", first.parent.name) == first
    assert claim_dropped(inbox / "drop-0.xlsx", "another-run") is None


@pytest.fixture
def drop_world(db_url, tmp_path, demo_dir):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-drop\n    kind: excel\n    path: {tmp_path / 'none.xlsx'}\n"
                   f"    inbox: {inbox}\n", encoding="utf-8")
    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=str(cfg))}
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("supplier", ["excel-drop"])
    f = inbox / "daon.xlsx"
    shutil.copy(demo_dir / "daon.xlsx", f)
    return resources, instance, inbox, f



def _sync_drop(resources, instance, f):
    """A full product_sync of the dropped file: the run's result and source_products' metadata."""
    cfg = {"ops": {"supplier_catalog": {"config": {"file_path": str(f), "sync_mode": "full"}}}}
    res = dg.materialize([supplier_catalog, source_products], partition_key="excel-drop", resources=resources,
                         instance=instance, run_config=cfg)
    assert res.success
    return res, next(e.event_specific_data.materialization.metadata for e in res.get_asset_materialization_events()
                     if e.asset_key.to_user_string() == "source_products")

def test_two_runs_for_one_dropped_file_ingest_it_once(drop_world):
    resources, instance, inbox, f = drop_world
    cfg = {"ops": {"supplier_catalog": {"config": {"file_path": str(f), "sync_mode": "full"}}}}

    def run():
        res = dg.materialize([supplier_catalog, source_products], partition_key="excel-drop",
                             resources=resources, instance=instance, run_config=cfg)
        assert res.success
        return {e.asset_key.to_user_string(): {k: v.value for k, v in
                                               e.event_specific_data.materialization.metadata.items()}
                for e in res.get_asset_materialization_events()}

    first, second = run(), run()
    assert first["supplier_catalog"]["products"] == 200 and first["source_products"]["new"] == 200
    assert second["supplier_catalog"]["source_unchanged"] is True
    assert second["supplier_catalog"]["details"]["drop_claimed_elsewhere"] is True
    assert second["source_products"]["received"] == 0 and second["source_products"]["landings_ingested"] == 0
    (moved,) = (inbox / "processed").iterdir()
    assert moved.name.endswith("-daon.xlsx") and not f.exists()
    assert not (inbox / "processing").exists() or list((inbox / "processing").iterdir()) == []
    with resources["store"].connect() as c:
        assert c.execute("SELECT count(*) FROM source_data_events").fetchone()[0] == 200


def test_drop_sensor_reports_a_file_held_by_a_run_that_did_not_finish_it(drop_world):
    from dropship_sensors.excel_drop import excel_drop_sensor

    resources, instance, inbox, f = drop_world
    held = claim_dropped(f, "3f0c0b7e-dead-4bee-8000-000000000000")
    ctx = dg.build_sensor_context(instance=instance, resources={"suppliers": resources["suppliers"]})
    res = excel_drop_sensor(ctx)
    assert isinstance(res, dg.SkipReason)
    assert f"daon.xlsx held by run {held.parent.name} (unknown); re-execute that run" in res.skip_message


def test_a_landing_left_by_a_failed_run_is_ingested_before_the_next_one(drop_world, demo_dir):
    resources, instance, inbox, f = drop_world
    s = resources["store"].store
    # a run landed a dropped update and died before source_products
    s.land_fetch("excel-drop", RunInfo("crashed"), products=[
        CanonicalProduct("excel-drop", "ONLY-IN-DROP", "드롭 파일 상품", 5000, stock=3)], sync_mode="full")
    res, md = _sync_drop(resources, instance, f)
    assert md["landings_ingested"].value == 2 and md["new"].value == 201
    assert s.get_by_supplier_item("excel-drop", "ONLY-IN-DROP")["status"] == "active"
    assert s.pending_landings("excel-drop", "later-run") == []


def test_an_older_landing_that_cannot_be_ingested_is_on_record_and_blocks_nothing(drop_world):
    resources, instance, inbox, f = drop_world
    s = resources["store"].store
    dup = CanonicalProduct("excel-drop", "TWICE", "두 번 온 상품", 5000)
    bad = s.land_fetch("excel-drop", RunInfo("bad-fetch"), products=[dup, dup], sync_mode="full")
    res, md = _sync_drop(resources, instance, f)
    assert md["landings_ingested"].value == 1 and md["new"].value == 200
    with s.connect() as c:
        err, by = c.execute("SELECT stats->>'ingest_error', ingested_run_id FROM supplier_landing WHERE id = %s",
                            (bad,)).fetchone()
    assert "duplicate supplier_item_id 'TWICE'" in err and by == res.run_id
    assert s.get_by_supplier_item("excel-drop", "TWICE") is None
