"""One product whose stored data breaks the listing builder is blocked with its reason; the rest of
the partition still reaches the market (issue: a TypeError used to fail the whole partition)."""

import dagster as dg

from dropship_assets.listings import market_listings
from dropship_assets.sync import market_sync
from dropship_core.suppliers.base import Reject
from dropship_core.suppliers.webhook_inbox import product_from_event

from test_market_sync_assets import ROWS, run_all, statuses, world, write  # noqa: F401  (fixture)


def _corrupt(world, code, path, value):
    with world["resources"]["store"].connect() as c:
        c.execute("UPDATE source_data SET raw_data = jsonb_set(raw_data, %s, %s::jsonb),"
                  " ai_source_hash = ai_source_hash || '-x' WHERE supplier_item_id = %s",
                  (path, value, code))


def test_bad_product_is_blocked_and_the_rest_reaches_the_market(world):
    run_all(world)
    assert set(statuses(world).values()) == {"published"}
    rows = [list(r) for r in ROWS]
    rows[2][2] = 50000  # S2's cost rose: the new price must reach every market
    write(world["wb"], rows)
    r, inst = world["resources"], world["instance"]
    from dropship_assets.catalog import supplier_catalog
    from dropship_assets.enrichment import enriched_products
    from dropship_assets.products import source_products
    assert dg.materialize([supplier_catalog, source_products, enriched_products], partition_key="excel-sync",
                          resources=r, instance=inst).success
    # stored before webhook snapshots were validated (the incident's payload)
    _corrupt(world, "S1", "{variants}", '[{"sku": "S1-1", "options": {"색상": "블랙"}, "price_delta": "abc", "stock": "5"}]')
    pk = dg.MultiPartitionKey({"market": "smartstore", "supplier": "excel-sync"})
    res = dg.materialize([market_listings, market_sync], partition_key=pk, resources=r, instance=inst)
    assert res.success
    checks = {e.check_name: e for e in res.get_asset_check_evaluations()}
    bad = checks["no_invalid_product_data"]
    assert not bad.passed and bad.metadata["invalid_products"].value == 1
    with r["store"].connect() as c:
        entries = dict(c.execute("SELECT supplier_item_id, market_data -> 'smartstore' FROM source_data").fetchall())
    s1, s2 = entries["S1"], entries["S2"]
    assert s1["status"] == "stopped" and s1["invalid_data"].startswith("invalid product data: TypeError")
    assert s1["listing"]["state"] == "soldout" and s1["listable"] is False  # taken off sale
    assert s2["listing"]["price"] > 50000 and s2["published_hash"] == s2["listing_hash"]
    assert s2["published_listing"]["price"] == s2["listing"]["price"]


def _event(product):
    return {"id": "e1", "type": "item.changed", "item_id": "W1", "data": {"product": product}}


def test_webhook_snapshots_follow_the_excel_cell_rules():
    ok = product_from_event("push", _event({"name": "텀블러", "cost": "12,000원", "stock": "5",
                                            "variants": [{"sku": "W1-1", "options": {"색상": "블랙"},
                                                          "price_delta": "1000"}]}), "src")
    assert not isinstance(ok, Reject), ok
    assert ok.cost == 12000 and ok.stock == 5 and ok.variants[0].price_delta == 1000
    bad = product_from_event("push", _event({"name": "텀블러", "cost": 1000,
                                             "variants": [{"sku": "W1-1", "options": {"색상": "블랙"},
                                                           "price_delta": "abc"}]}), "src")
    assert isinstance(bad, Reject) and "'abc' is not a number" in bad.reason
    for product, why in [({"name": "x", "cost": 1000, "images": "http://a"}, "images must be a list"),
                         ({"name": "x", "cost": 1000, "brand": 5}, "brand is not text"),
                         ({"name": "x", "cost": 1000, "stock": [1]}, "is not a number"),
                         ({"name": "x", "cost": 1000, "adult": "yes"}, "adult flag"),
                         ({"name": "x\x00", "cost": 1000}, "product name")]:
        r = product_from_event("push", _event(product), "src")
        assert isinstance(r, Reject) and why in r.reason, (product, r)


def test_products_breaking_the_rules_become_rejects_whatever_the_source():
    from dropship_core.model import CanonicalProduct, Variant
    from dropship_core.suppliers.base import FetchResult
    from dropship_core.suppliers.validate import screen

    good = CanonicalProduct("k", "A1", "텀블러", 1000, stock=3)
    bad = [CanonicalProduct("k", "B1", "x", "1000"),
           CanonicalProduct("k", "B2", "x", 1000, variants=[Variant("B2-1", {"색": "흑"}, price_delta="abc")]),
           CanonicalProduct("k", "B3", "x", 1000, stock="5"),
           CanonicalProduct("k", "B4", "x", 1000, variants=[Variant("a", {"색": "흑"}), Variant("b", {"색": "흑"})])]
    r = FetchResult(products=[good, *bad])
    assert screen(r) == 4
    assert r.products == [good]
    assert [x.reason.split(":")[0] for x in r.rejects] == ["item B1", "item B2", "item B3", "item B4"]
    assert "duplicate option" in r.rejects[3].reason and "price delta 'abc'" in r.rejects[1].reason


def test_enrichment_isolates_a_bad_product():
    from dropship_assets.enrichment import _offline_enrich
    from dropship_core.ai.offline import OfflineEnricher

    pending = [{"id": 1, "raw_data": {"name": "스테인리스 텀블러", "cost": 1000, "supplier_key": "k",
                                      "supplier_item_id": "A"}},
               {"id": 2, "raw_data": {"name": 12345, "cost": "x"}}]
    got, errors = _offline_enrich(OfflineEnricher(), pending)
    assert got[0] is not None and got[1] is None
    assert errors[0]["id"] == 2 and errors[0]["error"].startswith("invalid product data")
