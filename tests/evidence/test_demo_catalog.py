"""On the demo catalog (the three Excel suppliers of demo_data/) with a sandbox market built from
it: few price recommendations, each with evidence; a second run writes nothing; `ask` answers."""

from __future__ import annotations

import time
from collections import Counter

import dagster as dg
import httpx
import psycopg
import pytest

from dropship_core.ai.ask import answer
from dropship_core.ai.memory import build_memory
from dropship_core.markets.names import MARKETS
from .world import list_and_price, resources, run_agents, sync_supplier

SUPPLIERS = {"excel-acme": "acme.xlsx", "excel-hanbit": "hanbit.xlsx", "excel-daon": "daon.xlsx"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, schema_factory):
    from dropship_core.store import Store
    try:
        from dropship_core.serve import ServerThread
    except ImportError:
        from dropship_core.serve import ServerThread
    from dropship_sandbox.naver_search import NaverSearchSandbox

    from tests.conftest import ROOT

    db = schema_factory("t_demo_ev")
    Store(db).migrate()
    cfg = tmp_path_factory.mktemp("demo") / "suppliers.yaml"
    cfg.write_text("suppliers:\n" + "".join(f"  - key: {k}\n    kind: excel\n    path: {ROOT / 'demo_data' / f}\n"
                                            for k, f in SUPPLIERS.items()))
    sb = NaverSearchSandbox(per_second=0)
    with ServerThread(sb.app) as srv:
        res = resources(db, str(cfg), srv.url)
        inst = dg.DagsterInstance.ephemeral()
        inst.add_dynamic_partitions("supplier", list(SUPPLIERS))
        for k in SUPPLIERS:
            sync_supplier(res, inst, k)
        with psycopg.connect(db) as c:
            products = [{"name": n, "brand": b, "cost": cost, "category_path": ""} for n, b, cost in c.execute(
                "SELECT raw_data->>'name', coalesce(raw_data->>'brand', raw_data->>'manufacturer'),"
                " (raw_data->>'cost')::int FROM source_data")]
        # the market's other sellers, over the wire like any client would set them up
        httpx.post(f"{srv.url}/__market_from_products", json={"products": products, "seed": 7}).raise_for_status()
        t0 = time.monotonic()
        list_and_price(res, inst, list(SUPPLIERS))
        first = run_agents(res, inst)
        yield {"db": db, "res": res, "inst": inst, "first": first, "sandbox": sb,
               "seconds": time.monotonic() - t0}


def test_few_recommendations_each_with_evidence(demo):
    db = demo["db"]
    with psycopg.connect(db) as c:
        listings = sum(c.execute("SELECT count(*) FROM source_data WHERE market_data ? %s", (m,)).fetchone()[0]
                       for m in MARKETS)
        recs = c.execute("SELECT payload FROM agent_decisions WHERE kind = 'price_recommendation'").fetchall()
        compared = c.execute("SELECT count(lowest_price), count(*) FROM market_prices").fetchone()
    print(f"\\n{listings} listings, {len(recs)} price recommendations, {compared[0]}/{compared[1]} with a "
          f"comparable market price, {len(demo['sandbox'].requests)} searches, {demo['seconds']:.1f}s; by kind: "
          f"{dict(Counter((p['evidence_kind'], p['market'], p['action']) for (p,) in recs))}")
    assert listings > 2000 and compared[0] > 0
    assert 0 < len(recs) <= 0.10 * listings
    for (p,) in recs:
        assert p["reasons"] and p["evidence_kind"] in ("competitor", "market_room", "stockout", "floor")
        if p["evidence_kind"] in ("competitor", "market_room"):
            assert p["evidence"]["lowest_price"] and p["evidence"]["age_hours"] is not None
        if p["new_price"] is not None:
            assert p["new_price"] >= p["floor_price"]
            assert abs(p["new_price"] - p["old_price"]) >= 0.03 * p["old_price"] - 1


def test_second_run_writes_zero_agent_events(demo):
    db = demo["db"]

    def n():
        with psycopg.connect(db) as c:
            return (c.execute("SELECT count(*) FROM agent_decisions").fetchone()[0],
                    c.execute("SELECT count(*) FROM source_data_events WHERE event_type IN"
                              " ('price_recommendation', 'inventory_alert', 'price_override_set')").fetchone()[0])

    before = n()
    run_agents(demo["res"], demo["inst"])
    assert n() == before


def test_ask_on_the_demo_catalog(demo):
    db = demo["db"]
    with psycopg.connect(db, row_factory=psycopg.rows.dict_row) as c:
        rows = c.execute("SELECT id, supplier_key, raw_data, ai_data, market_data, status FROM source_data"
                         " WHERE status <> 'deleted'").fetchall()
        daon = c.execute("SELECT count(*) AS n FROM source_data WHERE supplier_key = 'excel-daon'"
                         " AND status <> 'deleted'").fetchone()["n"]
    mem = build_memory("memory", "memory")
    a = answer("how many products does excel-daon have?", rows, mem, "demo")
    assert a.facts["count"]["products"] == daon and f"{daon:,} products" in a.text
    b = answer("which products are losing margin on coupang?", rows, mem, "demo")
    assert b.parsed["market"] == "coupang" and b.facts["losing_margin"]["checked"] == sum(
        1 for r in rows if "coupang" in (r["market_data"] or {}) and r["market_data"]["coupang"].get("listing"))
    assert all(v["market"] == "coupang" for v in b.facts["losing_margin"]["examples"])
