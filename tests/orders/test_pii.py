"""Buyer data: never in plain text in the database (pg_dump), masked in listings, key rotation,
the local key file, redaction after the claim window, AEAD bound to the line."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest

from dropship_core.orders.pii import PiiCipher, PiiKeyError, mask_phone, new_key_spec
from dropship_core.orders.store import OrderStore
from dropship_sandbox.order_seed import fake_buyer, seed_orders


def _schema(db_url: str) -> str:
    opts = parse_qs(urlparse(db_url).query)["options"][0]
    return opts.split("search_path=")[1].split(",")[0]


def _dump(db_url: str) -> str:
    base = os.environ["DATABASE_URL"]
    if shutil.which("pg_dump"):
        out = subprocess.run(["pg_dump", "--data-only", "--schema", _schema(db_url), base],
                             capture_output=True, text=True, timeout=120)
        if out.returncode == 0:
            return out.stdout
    import psycopg   # a server newer than pg_dump: COPY every table as text instead

    parts = []
    with psycopg.connect(db_url) as c:
        tables = [r[0] for r in c.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (_schema(db_url),))]
        for t in tables:
            with c.cursor().copy(f'COPY "{t}" TO STDOUT') as cp:
                # the same header pg_dump writes before each table's rows
                parts.append(f"COPY {t} FROM stdin;\n" + b"".join(bytes(b) for b in cp).decode())
    return "\n".join(parts)


def test_pg_dump_holds_no_buyer_data(stack, orders, products, run, db_url):
    n = 0
    for m, name in (("smartstore", "smartstore"), ("coupang", "coupang")):
        seed_orders(stack.orders[name], m, products, 10, start=n)
        n += 10
        orders.collect(m, run)
    orders.place(run)
    orders.confirm("coupang", run)
    dump = _dump(db_url)
    assert "order_lines" in dump and products[0]["name"][:6] in dump   # the dump has the data
    leaks = []
    for i in range(n):
        b = fake_buyer(i)
        for field in ("name", "phone", "address1", "address2"):
            if b[field] and b[field] in dump:
                leaks.append((i, field))
        digits = b["phone"].replace("-", "")
        if digits in dump:
            leaks.append((i, "phone digits"))
    assert not leaks, leaks[:5]
    assert "P000000000000" not in dump          # customs codes: encrypted, then cleared


def test_list_masks_and_roundtrip(stack, orders, products, run):
    seed_orders(stack.orders["coupang"], "coupang", products, 1)
    orders.collect("coupang", run)
    line = orders.store.lines()[0]
    buyer = orders.store.buyer(line["id"])
    assert buyer["receiver_name"] == fake_buyer(0)["name"]
    assert mask_phone(buyer["receiver_phone"]).startswith("010-****-")


def test_key_rotation(db_url, order_env):
    from dropship_core.orders.model import CollectedLine
    from dropship_core.store.store import RunInfo

    old = new_key_spec("old")
    st = OrderStore(db_url, cipher=PiiCipher(old))
    ln = CollectedLine(market="coupang", market_line_id="1-2", market_order_id="1",
                       market_status="ACCEPT", product_name="x", quantity=1, unit_price=1,
                       total_price=1, paid_at=None, pii={"receiver_name": "홍길동"})
    st.record_collected([ln], {"1-2": {"unmatched_reason": "test"}}, RunInfo.cli("t"))
    new = new_key_spec("new")
    st2 = OrderStore(db_url, cipher=PiiCipher(f"{new},{old}"), migrate=False)
    assert st2.rotate_pii(RunInfo.cli("t")) == 1
    st3 = OrderStore(db_url, cipher=PiiCipher(new), migrate=False)
    assert st3.buyer(st3.lines()[0]["id"])["receiver_name"] == "홍길동"
    with pytest.raises(PiiKeyError):
        OrderStore(db_url, cipher=PiiCipher(old), migrate=False).buyer(st3.lines()[0]["id"])


def test_ciphertext_bound_to_its_line():
    c = PiiCipher(new_key_spec("k"))
    blob = c.encrypt({"a": 1}, "coupang:1")
    assert c.decrypt(blob, "coupang:1") == {"a": 1}
    with pytest.raises(Exception):
        c.decrypt(blob, "coupang:2")


def test_local_key_file_is_0600_and_announced(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DROPSHIP_PII_KEY", raising=False)
    monkeypatch.setenv("DROPSHIP_HOME", str(tmp_path))
    c = PiiCipher()
    path = tmp_path / "pii.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "DROPSHIP_PII_KEY is not set" in capsys.readouterr().err
    assert PiiCipher().current == c.current     # reused, not re-created


def test_redaction_after_claim_window(stack, orders, products, run):
    seed_orders(stack.orders["coupang"], "coupang", products, 2)
    orders.collect("coupang", run)
    a, b = orders.store.lines()
    orders.store.transition(a["id"], "cancelled", run, "cancelled",
                            cancelled_at=datetime.now(timezone.utc) - timedelta(days=40))
    assert orders.store.redact_due(run) == 1
    ra = orders.store.line(a["id"])
    assert ra["pii_redacted_at"] and orders.store.buyer(a["id"]) == {}
    assert ra["total_price"] == a["total_price"]          # the transaction record stays
    assert orders.store.buyer(b["id"])["receiver_name"]
    # re-collecting a redacted line does not bring the buyer back
    orders.collect("coupang", run)
    assert orders.store.buyer(a["id"]) == {}
