"""`dropship listings why` and the listability numbers, on a real store: one listable and one
blocked product, the metadata stored by MetadataStore, the CLI's words."""

from __future__ import annotations

from dropship_core.ai.offline import OfflineEnricher
from dropship_core.listing import market_entry
from dropship_app import listings_cli
from dropship_core.markets.metadata import shipped
from dropship_core.markets.report import listability
from dropship_core.pricing import load_policy
from dropship_core.store.metadata_store import MetadataStore
from dropship_core.store.store import RunInfo


def _product(sku: str, name: str, **extra) -> dict:
    return dict(supplier_key="excel-why", supplier_item_id=sku, name=name, cost=7000,
                shipping_fee=3000, stock=10, origin="중국", manufacturer="코멧",
                images=["https://img.kr/a.jpg"], variants=[], description="설명", status="active",
                **extra)


def test_why_explains_a_kc_block_and_a_listable_product(store, db_url, monkeypatch, capsys):
    products = [_product("T1", "코멧 스테인리스 진공 텀블러 500ml"),
                _product("E1", "코멧 블루투스 5.3 무선 이어폰 노이즈캔슬링")]
    run = RunInfo(run_id="t")
    store.ingest("excel-why", products, run)
    enr = OfflineEnricher()
    with store.connect() as conn:
        ids = dict(conn.execute("SELECT supplier_item_id, id FROM source_data").fetchall())
    store.set_ai_data([(ids[p["supplier_item_id"]], enr.enrich(p), "h") for p in products], run)
    ms = MetadataStore(store)
    md = shipped("smartstore")
    assert ms.save(md) == len(md.rules)
    loaded = ms.load("smartstore")
    assert loaded.version == md.version and len(loaded.rules) == len(md.rules)
    policy = load_policy().for_market("smartstore")
    rows = []
    for p in products:
        ai = enr.enrich(p)
        rows.append((ids[p["supplier_item_id"]],
                     market_entry("smartstore", p, ai, policy, None, "k", metadata=loaded)))
    store.set_market_entries("smartstore", rows, run)

    monkeypatch.setenv("DATABASE_URL", db_url)
    assert listings_cli.cmd_why(_args("E1")) == 0
    out = capsys.readouterr().out
    assert "smartstore: BLOCKED" in out and "KC" in out and "add the KC number" in out
    assert f"built against: {md.version}" in out
    assert listings_cli.cmd_why(_args("T1")) == 0
    out = capsys.readouterr().out
    assert "smartstore: listable" in out and "notice: ETC" in out
    assert listings_cli.cmd_why(_args("NOPE")) == 2

    with store.connect() as conn:
        by_market = {r["market"]: r for r in listability(conn)}
    assert by_market["smartstore"]["listable"] == "1/2"
    assert "KC" in by_market["smartstore"]["top reasons"]


def _args(item: str):
    import argparse
    return argparse.Namespace(supplier_key="excel-why", item_id=item, market=["smartstore"],
                              recompute=False)
