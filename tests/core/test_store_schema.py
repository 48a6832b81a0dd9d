"""Migrations are an explicit step, and the named Store methods the assets use return what the
rows say."""

import psycopg
import pytest

from dropship_core.model import CanonicalProduct
from dropship_core.store import RunInfo, SchemaNotMigrated, Store
from dropship_core.store.migrate import apply_migrations, migration_files
from dropship_core.suppliers.base import Reject

RUN = RunInfo("run-1", "source_products", "acme")


def tables(url):
    with psycopg.connect(url) as c:
        return {r[0] for r in c.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").fetchall()}


def test_construction_touches_no_database_and_a_missing_schema_says_what_to_run(db_url):
    s = Store(db_url)
    assert tables(db_url) == set()
    with pytest.raises(SchemaNotMigrated) as e:
        s.stats()
    assert "run `dropship db migrate`" in str(e.value)
    assert "001_store.sql" in str(e.value)
    assert tables(db_url) == set()  # the check creates nothing either
    applied = s.migrate()
    assert applied == [name for name, _ in migration_files()]
    assert {"source_data", "source_data_events", "schema_migrations"} <= tables(db_url)
    assert s.stats()["products"]["total"] == 0
    assert Store(db_url).migrate() == []


def test_one_missing_migration_is_named(db_url):
    files = migration_files()
    with psycopg.connect(db_url) as c:
        apply_migrations(c, files[:-1])
    s = Store(db_url)
    assert s.pending_migrations() == [files[-1][0]]
    with pytest.raises(SchemaNotMigrated, match=f"lacks 1 migration.*{files[-1][0]}.*dropship db migrate"):
        s.get(1)
    s.migrate()
    assert s.get(1) is None


def test_cli_db_migrate(db_url, monkeypatch, capsys):
    from dropship_app.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["db", "migrate"]) == 0
    assert f"applied {len(migration_files())} migration(s)" in capsys.readouterr().out
    assert main(["db", "migrate"]) == 0
    assert "applied 0 migration(s)" in capsys.readouterr().out
    assert Store(db_url).pending_migrations() == []


def test_store_resource_migrates_once_at_first_use(db_url):
    from dropship_resources.store import StoreResource

    res = StoreResource(database_url=db_url)
    assert tables(db_url) == set()
    assert res.store.stats()["products"]["total"] == 0
    assert Store(db_url).pending_migrations() == []


def _listing(title, price, listable=True, status="ready", **extra):
    return {"status": status, "listable": listable, "listing": {"title": title, "price": price},
            "listing_hash": f"h-{title}-{price}", **extra}


def test_partition_and_listing_checks(store):
    ps = [CanonicalProduct("acme", "A1", "텀블러", 1000, stock=5),
          CanonicalProduct("acme", "A2", "컵", 0, stock=5),     # active without cost
          CanonicalProduct("acme", "A3", "", 500, stock=5),     # missing name
          CanonicalProduct("other", "B1", "접시", 100, stock=5)]
    store.ingest("acme", ps[:3], RUN)
    store.ingest("other", ps[3:], RunInfo("run-1", "source_products", "other"))
    store.quarantine("acme", [Reject("cost missing", {"a": 1}, "row 7")], RUN)
    assert store.partition_checks("acme") == {"active_without_cost": 1, "missing_fields": 1, "total": 3,
                                              "active": 3, "quarantine_open": 1}
    ids = {r["supplier_item_id"]: r["id"] for r in (store.get_by_supplier_item("acme", k) for k in ("A1", "A2", "A3"))}
    store.set_market_entries("coupang", [
        (ids["A1"], _listing("가" * 12, 900)),                      # listable at or below cost, long title
        (ids["A2"], _listing("컵", 5000, status="published", published_hash="h-컵-5000")),
        (ids["A3"], _listing("x", 800, listable=False, status="blocked")),
    ], RUN)
    assert store.listing_status_counts("acme", "coupang") == {"ready": 1, "published": 1, "blocked": 1}
    assert store.listing_check_counts("acme", "coupang", 10) == {
        "titles_over_limit": 1, "listable_at_or_below_cost": 1, "listable_with_banned_words": 0}
    store.set_ai_data([(ids["A1"], {"banned_words": ["가가"]}, "h1"), (ids["A3"], {"banned_words": ["x"]}, "h3")], RUN)
    assert store.listing_check_counts("acme", "coupang", 10)["listable_with_banned_words"] == 1  # A3 is blocked
    # 12 Hangul syllables are 36 bytes: over a 30-byte limit, not over 40
    assert store.listing_check_counts("acme", "coupang", 30, in_bytes=True)["titles_over_limit"] == 1
    assert store.listing_check_counts("acme", "coupang", 40, in_bytes=True)["titles_over_limit"] == 0
    # the ready one differs from what is published; the published one matches; blocked never went live
    assert [pid for pid, _ in store.sync_candidates("acme", "coupang")] == [ids["A1"]]
    assert store.sync_counts("acme", "coupang") == {"published": 1, "publishing": 0}
    assert store.sync_counts("other", "coupang") == {"published": 0, "publishing": 0}


def test_agent_decisions_supersede_and_alerts_once(store):
    from dropship_core.alerts import Alert

    store.ingest("acme", [CanonicalProduct("acme", "A1", "텀블러", 1000, stock=5)], RUN)
    pid = store.get_by_supplier_item("acme", "A1")["id"]
    store.set_market_entries("coupang", [(pid, _listing("텀블러", 2000))], RUN)
    assert [r["id"] for r in store.agent_listing_rows("coupang")] == [pid]
    assert store.agent_listing_rows("smartstore") == []
    d = {"agent": "pricing", "kind": "price_recommendation", "product_id": pid, "status": "pending_approval",
         "payload": {"new_price": 1900}}
    assert store.replace_agent_decisions("coupang", "r1", [d]) == 1
    with store.connect() as c:
        c.execute("UPDATE agent_decisions SET status = 'approved'")
    assert store.approved_product_ids("coupang") == {pid}
    store.replace_agent_decisions("coupang", "r2", [{**d, "status": "applied"}])
    assert store.approved_product_ids("coupang") == set()
    assert store.agent_decision_counts() == [("price_recommendation", "applied", 1),
                                             ("price_recommendation", "superseded", 1)]
    alert = Alert(kind="run_failure", message="job failed", run_id="r9", job_name="job", partition=None,
                  details={"failed_steps": []})
    store.record_alert(alert, {"webhook": "sent"})
    store.record_alert(alert, {"webhook": "sent"})
    with store.connect() as c:
        assert c.execute("SELECT count(*), max(delivered->>'webhook') FROM alerts").fetchone() == (1, "sent")
