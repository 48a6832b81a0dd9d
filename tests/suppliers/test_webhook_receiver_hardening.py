"""The receiver answers 400 for payloads that can never be stored (no retry loop), 404 for keys
that are not enabled webhook suppliers, and takes per-supplier secrets from the environment."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from dropship_core.serve import ServerThread
from dropship_core.webhook import MAX_DEPTH, SIGNATURE_HEADER, TIMESTAMP_HEADER, create_app, sign

SECRET = "whsec-shared-0123456789"


def _send(http, body: bytes, supplier="push-acme", secret=SECRET):
    ts = int(time.time())
    return http.post(f"/webhooks/{supplier}", content=body,
                     headers={TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(secret, ts, body)})


def _event(**data) -> dict:
    return {"id": f"e-{time.monotonic_ns()}", "type": "item.changed", "item_id": "W1", "data": data}


@pytest.fixture
def config(tmp_path):
    p = tmp_path / "suppliers.yaml"
    p.write_text("suppliers:\n"
                 "  - {key: push-acme, kind: webhook}\n"
                 "  - {key: push-own, kind: webhook, secret_env: PUSH_OWN_SECRET}\n"
                 "  - {key: push-off, kind: webhook, enabled: false}\n"
                 "  - {key: excel-acme, kind: excel, path: x.xlsx}\n", encoding="utf-8")
    return p


@pytest.fixture
def http(pg, pg_schema, database_url, config, monkeypatch):
    monkeypatch.setenv("PUSH_OWN_SECRET", "own-secret-abc")
    app = create_app(database_url, SECRET, schema=pg_schema, suppliers_path=str(config), max_body_bytes=1 << 20)
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=10) as c:
        yield c


def _rows(pg):
    return pg.execute("SELECT supplier_key, event_id FROM webhook_inbox ORDER BY id").fetchall()


@pytest.mark.parametrize("body,why", [
    (b'{"id":"e1","type":"item.changed","item_id":"W1","data":' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
     "nested deeper"),
    (b'{"id":"e1","type":"item.changed","item_id":"W1","data":' + b'{"a":' * (MAX_DEPTH + 2) + b"1"
     + b"}" * (MAX_DEPTH + 3), "nested deeper"),
    (b'{"id":"e1","type":"item.changed","item_id":"W1","data":{"product":{"cost":NaN}}}', "NaN"),
    (b'{"id":"e1","type":"item.changed","item_id":"W1","data":{"product":{"cost":Infinity}}}', "Infinity"),
    (b'{"id":"e1","type":"item.changed","item_id":"W1","data":{"product":{"name":"a\\u0000b"}}}', "NUL"),
    (b'{"id":"e1","type":"item.changed","item_id":"W1","data":{"k\\u0000":1}}', "NUL"),
    (b'{"id":"e1","type":"item.changed","item_id":"W1","data":{"product":{"name":"\\ud800"}}}', "surrogate"),
])
def test_unstorable_payloads_are_400_not_500_or_503(http, pg, body, why):
    r = _send(http, body)
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert why in r.json()["error"] and "retry-after" not in r.headers
    assert _rows(pg) == []


def test_only_enabled_webhook_suppliers_are_accepted(http, pg):
    body = json.dumps(_event(product={"name": "x", "cost": 1000})).encode()
    for key in ("push-typo", "push-off", "excel-acme"):
        r = _send(http, body, supplier=key)
        assert r.status_code == 404 and "enabled webhook supplier" in r.json()["error"]
    assert _send(http, body).status_code == 202
    assert [k for k, _ in _rows(pg)] == ["push-acme"]


def test_per_supplier_secret_from_the_environment(http, pg, monkeypatch):
    body = json.dumps(_event()).encode()
    assert _send(http, body, supplier="push-own").status_code == 401          # shared secret refused
    assert _send(http, body, supplier="push-own", secret="own-secret-abc").status_code == 202
    monkeypatch.setenv("WEBHOOK_SECRET_PUSH_ACME", "acme-only-secret")
    body2 = json.dumps(_event()).encode()
    assert _send(http, body2).status_code == 401
    assert _send(http, body2, secret="acme-only-secret").status_code == 202
