"""The agents decide from evidence the pipeline produced: sandbox search results through the
market_prices asset, listings priced by pricing.yaml, decisions in Postgres, memory in Postgres."""

from __future__ import annotations

import asyncio

import dagster as dg
import psycopg
import pytest

from dropship_core.ai.agent_store import AgentStore
from dropship_core.ai.memory import memory_from_env
from dropship_core.markets.names import MARKETS
from .world import list_and_price, resources, run_agents, sync_supplier, write_xlsx

CAT = {"category1": "생활/건강", "category2": "주방용품", "category3": "텀블러", "category4": ""}
ROWS = [
    ["A1", "코멧 스테인리스 진공 텀블러 TB-500", 10000, 40, 0, "국산", "코멧", "https://img.kr/a.jpg", "텀블러"],
    ["B1", "리빙웰 접이식 수납박스 LB-30", 5000, 40, 0, "중국", "리빙웰", "https://img.kr/b.jpg", "수납"],
    ["C1", "데일리온 캔버스 에코백 대형", 6000, 40, 0, "국산", "데일리온", "https://img.kr/c.jpg", "에코백"],
    ["D1", "무명 손뜨개 코스터 세트", 3000, 40, 0, "국산", "무명공방", "https://img.kr/d.jpg", "코스터"],
]


def offer(title, price, mall, pid, ptype=3, brand=""):
    return {"title": title, "link": "", "image": "", "lprice": price, "hprice": "", "mallName": mall,
            "productId": pid, "productType": ptype, "brand": brand, "maker": brand, **CAT}


OFFERS = [
    offer("코멧 스테인리스 진공 텀블러 TB-500", 12000, "쿠팡", "1", 3, "코멧"),
    offer("코멧 진공 텀블러 TB-500 스테인리스", 13500, "11번가", "2", 2, "코멧"),
    offer("코멧 스테인리스 진공 텀블러 TB-500 전용 케이스", 3000, "G마켓", "3", 2),
    offer("리빙웰 접이식 수납박스 LB-30", 9000, "리빙마켓", "4", 3, "리빙웰"),
    offer("리빙웰 접이식 수납박스 LB-30", 9500, "홈앤데코", "5", 2, "리빙웰"),
    offer("리빙웰 접이식 수납박스 LB-30 정리함", 10000, "SSG닷컴", "6", 2, "리빙웰"),
    offer("데일리온 캔버스 에코백 대형 전용 파우치", 2000, "옥션", "7", 2),
    offer("데일리온 캔버스 에코백 대형 2개 세트", 9900, "위메프", "8", 2, "데일리온"),
]


@pytest.fixture
def world(db_url, tmp_path, naver, monkeypatch):
    sb, srv = naver
    sb.offers = OFFERS
    wb = tmp_path / "ev.xlsx"
    write_xlsx(wb, ROWS)
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-ev\n    kind: excel\n    path: {wb}\n")
    monkeypatch.setenv("DATABASE_URL", db_url)  # memory for the seed names below
    res = resources(db_url, str(cfg), srv.url)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("supplier", ["excel-ev"])
    sync_supplier(res, instance, "excel-ev")
    list_and_price(res, instance, ["excel-ev"])
    return {"res": res, "instance": instance, "db": db_url, "sandbox": sb}


def counts(db):
    with psycopg.connect(db) as c:
        return (c.execute("SELECT count(*) FROM agent_decisions").fetchone()[0],
                c.execute("SELECT count(*) FROM source_data_events WHERE event_type IN"
                          " ('price_recommendation', 'inventory_alert')").fetchone()[0])


def pending_by_code(db):
    total, rows = AgentStore(db).pending(page_size=100)
    assert total == len(rows)
    return {(r["supplier_item_id"], r["market"]): r for r in rows}


def test_recommendations_come_from_market_evidence_and_a_second_run_writes_nothing(world):
    db = world["db"]
    with psycopg.connect(db) as c:
        mp = {r[0]: r[1:] for r in c.execute(
            "SELECT s.supplier_item_id, mp.lowest_price, mp.seller_count, mp.matched, mp.evidence->'refused'"
            " FROM market_prices mp JOIN source_data s ON s.id = mp.product_id WHERE mp.market = 'smartstore'")}
    assert mp["A1"][:3] == (12000, 2, 2) and mp["B1"][:3] == (9000, 3, 3)
    assert mp["C1"][0] is None and mp["C1"][3]["accessory"] == 1 and mp["C1"][3]["quantity or bundle differs"] == 1
    assert mp["D1"][0] is None
    # one search per normalised query although three markets list each product
    assert len(world["sandbox"].requests) == 4

    run_agents(world["res"], world["instance"])
    recs = pending_by_code(db)
    assert {k[0] for k in recs} == {"A1", "B1"}  # no evidence, no recommendation
    a = recs[("A1", "smartstore")]
    assert a["new_price"] == 11990 and a["evidence_kind"] == "competitor" and "12,000" in a["reason"]
    assert float(a["evidence_age_h"]) < 1 and a["name"] == "코멧 스테인리스 진공 텀블러 TB-500"
    coupang = recs[("A1", "coupang")]  # -11% needed, one day allows -10%
    assert coupang["new_price"] >= round(coupang["old_price"] * 0.9)
    b = recs[("B1", "smartstore")]
    assert b["evidence_kind"] == "market_room" and b["old_price"] < b["new_price"] <= b["old_price"] * 1.1
    with psycopg.connect(db) as c:
        payload = c.execute("SELECT payload FROM agent_decisions WHERE id = %s", (a["id"],)).fetchone()[0]
    assert payload["evidence"]["lowest_price"] == 12000 and payload["floor_price"] <= 11990
    assert payload["margin_krw"] > 0

    before = counts(db)
    md = run_agents(world["res"], world["instance"])
    assert counts(db) == before  # same inputs: zero agent events
    assert all(m["price_recommendations"]["inputs_unchanged"] for m in md.values())

    # the search secret is nowhere in the runs, their logs or the stored evidence
    from dropship_sandbox.naver_search import SANDBOX_CLIENT_SECRET

    inst = world["instance"]
    for run in inst.get_runs():
        text = str(run) + "".join(str(e) for e in inst.all_logs(run.run_id))
        assert SANDBOX_CLIENT_SECRET not in text
    with psycopg.connect(db) as c:
        dump = str(c.execute("SELECT json_agg(m) FROM market_prices m").fetchone()[0]) + str(
            c.execute("SELECT json_agg(b) FROM search_call_budget b").fetchone()[0])
    assert SANDBOX_CLIENT_SECRET not in dump

    # decisions were written to semantic memory and can be read back
    hits = asyncio.run(memory_from_env().vectors.search_similar_memories("코멧 텀블러 price 12,000", k=3,
                                                                         agent_name="conductor"))
    assert hits and "TB-500" in hits[0].content


def test_people_approve_by_filter_and_the_next_run_applies(world):
    db = world["db"]
    run_agents(world["res"], world["instance"])
    s = AgentStore(db)
    total, _ = s.pending(market="smartstore")
    assert total == 2
    assert s.pending(reason="market_room")[0] == len(MARKETS)
    assert s.decide("approved", market="smartstore", reason="competitor") == 1
    assert s.decide("rejected", reason="market_room", market="gmarket") == 1
    run_agents(world["res"], world["instance"], markets=["smartstore"])
    with psycopg.connect(db) as c:
        a = c.execute("SELECT market_data->'smartstore'->>'price_override' FROM source_data"
                      " WHERE supplier_item_id = 'A1'").fetchone()[0]
        applied = c.execute("SELECT count(*) FROM agent_decisions WHERE status = 'applied'").fetchone()[0]
    assert a == "11990" and applied == 1
    # the applied price is on its way to the listing: not recommended again meanwhile
    assert ("A1", "smartstore") not in pending_by_code(db)
