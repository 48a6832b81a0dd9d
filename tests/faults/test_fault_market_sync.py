"""kill -9 at random points of a market sync, then a re-run: every product is on the market
exactly once (zero duplicates, zero lost), every listing published, the store replays clean."""

import os
import random

import dagster as dg
import httpx
import pytest
from openpyxl import Workbook

from faultkit import child, kill_at_random, rebuild_verify, run_to_end

N = 40
SUPPLIER = "excel-faults"
MARKET = "smartstore"


@pytest.fixture
def world(db_url, tmp_path, monkeypatch):
    from dropship_assets.catalog import supplier_catalog
    from dropship_assets.enrichment import enriched_products
    from dropship_assets.products import source_products
    from dropship_resources.llm import LLMResource
    from dropship_resources.store import StoreResource
    from dropship_resources.suppliers import SuppliersResource
    from dropship_sandbox.market_common import start_market_sandboxes

    servers, env = start_market_sandboxes(0, rate_limits=False)
    env = {**env, "SMARTSTORE_RATE_PER_S": "15"}  # paced: a sync of N products takes seconds
    wb = tmp_path / "faults.xlsx"
    book = Workbook()
    book.active.append(["상품코드", "상품명", "공급가", "재고", "배송비", "원산지", "제조사", "대표이미지", "상세설명"])
    for i in range(N):
        book.active.append([f"F{i:03d}", f"코멧 스테인리스 진공 텀블러 {i + 1}호 500ml", 7000 + 10 * i, 40, 3000,
                            "국산", "코멧", f"https://img.example/f{i}.jpg", "보온 보냉 텀블러"])
    book.save(wb)
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: {SUPPLIER}\n    kind: excel\n    path: {wb}\n", encoding="utf-8")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with dg.DagsterInstance.ephemeral() as inst:
        inst.add_dynamic_partitions("supplier", [SUPPLIER])
        assert dg.materialize([supplier_catalog, source_products, enriched_products], partition_key=SUPPLIER,
                              instance=inst, resources={"store": StoreResource(database_url=db_url),
                                                        "suppliers": SuppliersResource(config_path=str(cfg)),
                                                        "llm": LLMResource()}).success
    yield {"db_url": db_url, "cfg": str(cfg), "env": env, "market_url": servers[0].url}
    for s in servers:
        s.stop()


@pytest.mark.timeout(300)
def test_kill_9_during_market_sync_then_rerun(world, store):
    seed = int(os.environ.get("DROPSHIP_FAULT_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    args = (world["db_url"], world["cfg"], MARKET, SUPPLIER)
    kills = []
    for _ in range(3):
        delay, killed = kill_at_random(child("child_market_sync.py", *args, env=world["env"]), rng, 0.5, 6.0)
        on_market = len(httpx.get(world["market_url"] + "/__state").json()["by_seller_code"])
        kills.append((round(delay, 2), killed, on_market))
    print(f"seed {seed}: (kill after s, killed mid-run, products on the market) {kills}")
    assert "DONE" in run_to_end(child("child_market_sync.py", *args, env=world["env"])), (seed, kills)

    state = httpx.get(world["market_url"] + "/__state").json()
    copies = state["by_seller_code"]
    codes = [f"{SUPPLIER}:F{i:03d}" for i in range(N)]
    assert {c: copies.get(c, 0) for c in codes} == {c: 1 for c in codes}, (seed, kills)   # none lost, none twice
    with store.connect() as conn:
        statuses = conn.execute("SELECT market_data -> %s ->> 'status', count(*) FROM source_data GROUP BY 1",
                                (MARKET,)).fetchall()
        published_events = conn.execute(
            "SELECT count(*), count(DISTINCT product_id) FROM source_data_events WHERE event_type = 'published'"
        ).fetchone()
    assert dict(statuses) == {"published": N}, (seed, kills, statuses)
    assert published_events[1] == N, (seed, kills, published_events)
    rebuild_verify(world["db_url"])
