"""Inbox readers follow commit order: an event whose transaction commits after a later event was
read is still delivered (ids are taken before commit, so `id > last id read` would skip it)."""

from __future__ import annotations

import json

import psycopg
import pytest

from dropship_core.suppliers.base import SYNC_INCREMENTAL
from dropship_core.suppliers.inbox_cursor import InboxCursor, read_inbox
from dropship_core.suppliers.webhook_inbox import WebhookInboxConnector
from dropship_resources.suppliers_remote import WebhookResource

INSERT = ("INSERT INTO webhook_inbox (supplier_key, event_id, event_type, supplier_item_id, payload, signed_at)"
          " VALUES (%s, %s, 'item.changed', %s, %s::jsonb, 0) RETURNING id")


def _payload(eid: str, item: str) -> str:
    return json.dumps({"id": eid, "type": "item.changed", "item_id": item,
                       "data": {"product": {"name": f"상품 {item}", "cost": 1000, "stock": 3}}})


def _insert(conn, supplier, eid, item) -> int:
    return conn.execute(INSERT, (supplier, eid, item, _payload(eid, item))).fetchone()[0]


@pytest.fixture
def slow_and_fast(database_url, pg_schema, pg):
    """Event `slow` takes its id first but commits only after `fast` (a higher id) has committed
    and been read; yields (commit_slow, slow_id, fast_id)."""
    slow = psycopg.connect(database_url, options=f"-c search_path={pg_schema}")
    slow_id = _insert(slow, "push-acme", "slow", "S1")  # transaction left open
    fast_id = _insert(pg, "push-acme", "fast", "F1")    # autocommit: visible now
    assert slow_id < fast_id
    yield slow.commit, slow_id, fast_id
    slow.close()


def test_connector_reads_an_event_committed_after_a_higher_id(slow_and_fast, database_url, pg_schema):
    commit_slow, slow_id, fast_id = slow_and_fast
    conn = WebhookInboxConnector("push-acme", database_url, schema=pg_schema)
    first = conn.fetch(SYNC_INCREMENTAL, None)
    assert [p.supplier_item_id for p in first.products] == ["F1"]
    commit_slow()
    second = conn.fetch(SYNC_INCREMENTAL, first.next_cursor)
    assert [p.supplier_item_id for p in second.products] == ["S1"]
    third = conn.fetch(SYNC_INCREMENTAL, second.next_cursor)
    assert third.products == [] and third.stats["events"] == 0
    # the done-list holds only rows above the horizon (other sessions' open transactions on this
    # server may hold the horizon back, so it is not necessarily empty yet)
    assert len(InboxCursor.decode(third.next_cursor).done) <= 2


def test_sensor_resource_reads_an_event_committed_after_a_higher_id(slow_and_fast, database_url, pg_schema):
    commit_slow, slow_id, fast_id = slow_and_fast
    res = WebhookResource(secret="x", database_url=database_url, db_schema=pg_schema)
    rows, cur = res.events_since(None, 100)
    assert [r[0] for r in rows] == [fast_id]
    commit_slow()
    rows2, cur2 = res.events_since(cur, 100)
    assert [r[0] for r in rows2] == [slow_id]
    assert res.events_since(cur2, 100)[0] == []


def test_full_batches_never_skip_or_repeat(pg, database_url, pg_schema):
    ids = [_insert(pg, "push-acme", f"b{i}", f"I{i}") for i in range(7)]
    other = _insert(pg, "other", "o1", "X")
    got, cursor = [], None
    with psycopg.connect(database_url, autocommit=True, options=f"-c search_path={pg_schema}") as c:
        for _ in range(10):
            rows, cursor = read_inbox(c, cursor, 3, "id", "push-acme")
            got += [r[0] for r in rows]
        assert sorted(got) == ids and len(got) == len(set(got)) and other not in got


def test_a_former_integer_cursor_keeps_its_place(pg, database_url, pg_schema):
    ids = [_insert(pg, "push-acme", f"l{i}", f"L{i}") for i in range(4)]
    with psycopg.connect(database_url, autocommit=True, options=f"-c search_path={pg_schema}") as c:
        rows, cursor = read_inbox(c, str(ids[1]), 100, "id")
        assert [r[0] for r in rows] == ids[2:]
        assert read_inbox(c, cursor, 100, "id")[0] == []


def test_sensor_skips_events_the_supplier_sync_already_read(pg, database_url, pg_schema):
    """The demo (or the CLI) syncs a webhook supplier itself; the sensor, starting with no cursor
    (a fresh UI), must not request those events again."""
    from pathlib import Path

    import dropship_core

    ddl = (Path(dropship_core.__file__).parent / "store" / "migrations" / "001_store.sql").read_text()
    pg.execute(ddl)
    pg.execute("TRUNCATE supplier_state")
    done = [_insert(pg, "push-acme", f"d{i}", f"D{i}") for i in range(3)]
    synced = WebhookInboxConnector("push-acme", database_url, schema=pg_schema).fetch(SYNC_INCREMENTAL, None)
    pg.execute("INSERT INTO supplier_state (supplier_key, cursor) VALUES ('push-acme', %s)", (synced.next_cursor,))
    fresh = _insert(pg, "push-acme", "n1", "N1")
    other = _insert(pg, "push-other", "o1", "O1")
    # an API supplier's own cursor (not an inbox cursor) never hides its push events
    pg.execute("""INSERT INTO supplier_state (supplier_key, cursor) VALUES ('push-other', '{"v":1,"since_ms":99999999999999,"seen":[]}')""")
    res = WebhookResource(secret="x", database_url=database_url, db_schema=pg_schema)
    rows, _ = res.events_since(None, 100)
    assert sorted(r[0] for r in rows) == [fresh, other] and not set(done) & {r[0] for r in rows}
    everything, _ = res.events_since(None, 100, skip_synced=False)
    assert len(everything) == 5
