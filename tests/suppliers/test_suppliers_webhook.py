"""Webhook receiver over real HTTP with the inbox in real Postgres."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from dropship_core.serve import ServerThread
from dropship_core.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, create_app, sign, verify


SECRET = "whsec-test-0123456789abcdef"


@pytest.fixture
def receiver(pg, pg_schema, database_url):
    app = create_app(database_url, SECRET, schema=pg_schema, max_body_bytes=4096,
                     suppliers={"ownerclan-main", "domeggook-a"})
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=10) as http:
        yield http


def _event(eid="evt-1", etype="item.changed", item="W000010", **data):
    return {"id": eid, "type": etype, "item_id": item, "occurred_at": "2026-11-26T09:00:00Z", "data": data}


def _send(http, body: bytes, *, supplier="ownerclan-main", secret=SECRET, ts=None, signature=None, headers=None):
    ts = int(time.time()) if ts is None else ts
    h = {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: signature or sign(secret, ts, body),
         "Content-Type": "application/json"}
    h.update(headers or {})
    return http.post(f"/webhooks/{supplier}", content=body, headers=h)


def _rows(pg):
    return pg.execute("SELECT supplier_key, event_id, event_type, supplier_item_id, payload FROM webhook_inbox"
                      " ORDER BY id").fetchall()


def test_valid_event_lands_once_even_if_delivered_twice(receiver, pg):
    body = json.dumps(_event(price=12000), ensure_ascii=False).encode()
    first = _send(receiver, body)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    again = _send(receiver, body, ts=int(time.time()) + 1)  # a redelivery, freshly signed
    assert again.status_code == 202 and again.json()["duplicate"] is True
    rows = _rows(pg)
    assert len(rows) == 1
    assert rows[0][:4] == ("ownerclan-main", "evt-1", "item.changed", "W000010")
    assert rows[0][4]["data"] == {"price": 12000}
    # the same event id from another supplier is another event
    assert _send(receiver, body, supplier="domeggook-a").status_code == 202
    assert len(_rows(pg)) == 2


@pytest.mark.parametrize("case", ["forged", "wrong_secret", "stale", "future", "missing", "replay_old"])
def test_bad_signatures_and_timestamps_are_401_and_change_nothing(receiver, pg, case):
    body = json.dumps(_event()).encode()
    now = int(time.time())
    if case == "forged":
        r = _send(receiver, body, signature="sha256=" + "0" * 64)
    elif case == "wrong_secret":
        r = _send(receiver, body, secret="not-the-secret")
    elif case == "stale":
        r = _send(receiver, body, ts=now - 301)
    elif case == "future":
        # past the 300 s tolerance with a margin: the receiver reads its clock later than `now`,
        # seconds later on a loaded machine (301 was accepted once when it read it 1 s later)
        r = _send(receiver, body, ts=now + 360)
    elif case == "missing":
        r = receiver.post("/webhooks/ownerclan-main", content=body)
    else:  # a captured delivery replayed later: its signature is only valid for its old timestamp
        old = now - 3600
        r = _send(receiver, body, ts=old, signature=sign(SECRET, old, body))
    assert r.status_code == 401 and r.json()["accepted"] is False
    assert SECRET not in r.text
    assert _rows(pg) == []


def test_tampered_body_is_rejected(receiver, pg):
    body = json.dumps(_event(price=1000)).encode()
    ts = int(time.time())
    sig = sign(SECRET, ts, body)
    r = _send(receiver, body.replace(b"1000", b"9000"), ts=ts, signature=sig)
    assert r.status_code == 401 and _rows(pg) == []


def test_oversized_body_is_413(receiver, pg):
    body = json.dumps(_event(blob="가" * 5000), ensure_ascii=False).encode()
    r = _send(receiver, body)
    assert r.status_code == 413 and _rows(pg) == []


def test_oversized_chunked_body_without_length_is_413(receiver, pg):
    def gen():
        for _ in range(10):
            yield b"x" * 1000
    ts = int(time.time())
    r = receiver.post("/webhooks/ownerclan-main", content=gen(),
                      headers={TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: "sha256=00"})
    assert r.status_code == 413 and _rows(pg) == []


@pytest.mark.parametrize("body,why", [
    (b"{not json", "not valid JSON"),
    (b"[1,2]", "JSON object"),
    (json.dumps({"id": "e1", "type": "item.exploded", "item_id": "W1"}).encode(), "type"),
    (json.dumps({"id": "", "type": "item.deleted", "item_id": "W1"}).encode(), "'id'"),
    (json.dumps({"id": "e2", "type": "item.deleted"}).encode(), "item_id"),
])
def test_malformed_bodies_are_400(receiver, pg, body, why):
    r = _send(receiver, body)
    assert r.status_code == 400 and why in r.json()["error"]
    assert _rows(pg) == []


def test_unknown_supplier_key_is_404(pg, pg_schema, database_url):
    app = create_app(database_url, SECRET, schema=pg_schema, suppliers={"ownerclan-main"})
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url) as http:
        body = json.dumps(_event()).encode()
        assert _send(http, body, supplier="someone-else").status_code == 404
        assert _send(http, body, supplier="ownerclan-main").status_code == 202
    assert len(_rows(pg)) == 1


def test_secret_comes_from_env_and_is_required(monkeypatch, database_url):
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    with pytest.raises(ValueError):
        create_app(database_url)
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    assert create_app(database_url) is not None


def test_verify_pure():
    body = b'{"a":1}'
    ts = 1_800_000_000
    good = sign(SECRET, ts, body)
    assert verify(SECRET, str(ts), good, body, now=ts + 10) is None
    assert verify(SECRET, str(ts), good.removeprefix("sha256="), body, now=ts) is None
    assert "window" in verify(SECRET, str(ts), good, body, now=ts + 1000)
    assert "does not match" in verify(SECRET, str(ts), good, body + b" ", now=ts)
    assert "unix seconds" in verify(SECRET, "yesterday", good, body, now=ts)


def test_inbox_down_is_503_so_the_sender_retries():
    app = create_app("postgresql://postgres@127.0.0.1:1/none", SECRET, suppliers=None)
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url) as http:
        r = _send(http, json.dumps(_event()).encode())
    assert r.status_code == 503 and r.headers["retry-after"] == "30" and SECRET not in r.text


def test_settings_repr_hides_secrets():
    from dropship_core.suppliers.domeggook import DomeggookSettings
    from dropship_core.suppliers.ownerclan import OwnerClanSettings

    assert "pw-hidden-1" not in repr(OwnerClanSettings("seller", "pw-hidden-1"))
    assert "key-hidden-1" not in repr(DomeggookSettings("key-hidden-1"))
