"""Domeggook connector against the Domeggook sandbox over real HTTP."""

from __future__ import annotations

import pytest

from dropship_core.model import STATUS_ACTIVE, STATUS_DELETED, STATUS_SOLDOUT
from dropship_sandbox.domeggook import render_view
from dropship_core.suppliers.base import SYNC_FULL, SYNC_INCREMENTAL, SupplierError
from dropship_core.suppliers.domeggook import normalize_view, parse_select_opt, parse_tiers


def _ids(result):
    return [p.supplier_item_id for p in result.products]


def _on_sale(sb):
    return {str(no) for no, it in sb.state.items.items() if it.status == "available"}


def test_parse_tiers():
    assert parse_tiers("1+3800|20+3500") == [(1, 3800), (20, 3500)]
    assert parse_tiers("50+3300|1+3800") == [(1, 3800), (50, 3300)]
    assert parse_tiers(4200) == [(1, 4200)] and parse_tiers("4,200") == [(1, 4200)]
    assert parse_tiers("1+abc") is None and parse_tiers(0) is None and parse_tiers("") is None


def test_parse_select_opt_by_name_and_hidden():
    doc = ('{"set":[{"name":"색상","opts":["블랙","화이트"]},{"name":"사이즈","opts":["M"]}],'
           '"data":{"00_00":{"name":"블랙/M","domPrice":0,"supPrice":100,"qty":3,"hid":0},'
           '"01_00":{"name":"화이트/M","domPrice":500,"supPrice":600,"qty":9,"hid":1},'
           '"02_00":{"name":"레드/M","domPrice":0,"qty":9,"hid":2}}}')
    assert parse_select_opt(doc, "supply") == [("00_00", {"색상": "블랙", "사이즈": "M"}, 100, 3),
                                               ("01_00", {"색상": "화이트", "사이즈": "M"}, 600, 0)]
    assert parse_select_opt(doc, "dome")[1][2] == 500


def test_full_sync_lists_every_page_and_reads_details(domeggook, dg_connector):
    sb = domeggook(count=250)
    conn = dg_connector(sb, page_size=40)
    r = conn.fetch(SYNC_FULL, None)
    ids = _ids(r)
    assert len(ids) == len(set(ids)) and set(ids) == _on_sale(sb)
    assert r.complete is True and r.rejects == []
    pages = -(-len(ids) // 40)
    assert sb.state.stats["list_calls"] == pages and sb.state.stats["view_calls"] == len(ids)


def test_normalisation_matches_the_catalog(domeggook, dg_connector):
    sb = domeggook(count=200)
    r = dg_connector(sb, market="dome").fetch(SYNC_FULL, None)
    tiered = 0
    for p in r.products:
        item = sb.state.items[int(p.supplier_item_id)]
        assert p.cost == item.tiers[0][1] and p.consumer_price == item.consumer_price
        assert p.raw["_derived"]["price_tiers"] == [list(t) for t in item.tiers]
        assert (p.name, p.brand, p.model, p.origin, p.shipping_fee) == (
            item.name, item.brand, item.model, item.origin, item.shipping_fee)
        assert p.category_path == " > ".join(item.category_path)
        assert p.tax_type == ("FREE" if item.tax_free else "TAX") and p.adult == item.adult
        assert [v.options for v in p.variants] == [o["attrs"] for o in item.options]
        assert [v.price_delta for v in p.variants] == [o["price_delta"] for o in item.options]
        tiered += len(item.tiers) > 1
    assert tiered > 30


def test_lone_item_on_last_page_is_an_object(domeggook, dg_connector):
    sb = domeggook(count=120)
    n = len(_on_sale(sb))
    sz = next(s for s in range(2, 200) if n % s == 1)
    r = dg_connector(sb, page_size=sz).fetch(SYNC_FULL, None)
    assert set(_ids(r)) == _on_sale(sb)


def test_incremental_changes_soldout_deletions_and_new(domeggook, dg_connector):
    sb = domeggook(count=300)
    conn = dg_connector(sb, page_size=100, refresh_per_run=0)
    full = conn.fetch(SYNC_FULL, None)
    nos = sorted(_ids(full), key=int)
    assert conn.fetch(SYNC_INCREMENTAL, full.next_cursor).products == []

    price_no, soldout_no, ended_no, purged_no = nos[1], nos[2], nos[3], nos[4]
    sb.post(f"/__admin/items/{price_no}", {"price": 77700})
    sb.post(f"/__admin/items/{soldout_no}", {"stock": 0})
    sb.delete(f"/__admin/items/{ended_no}")
    sb.delete(f"/__admin/items/{purged_no}?purge=1")
    added = [str(n) for n in sb.post("/__admin/items", {"count": 3})["added"]]

    inc = conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
    got = {p.supplier_item_id: p for p in inc.products}
    assert set(got) == {price_no, soldout_no, ended_no, *added}
    supply = render_view(sb.state.items[int(price_no)])["domeggook"]["price"]["supply"]
    assert got[price_no].cost == parse_tiers(supply)[0][1] and sb.state.items[int(price_no)].price == 77700
    assert got[soldout_no].status == STATUS_SOLDOUT
    assert got[ended_no].status == STATUS_DELETED
    assert all(got[a].status == STATUS_ACTIVE for a in added)
    assert inc.deleted_ids == [purged_no] and inc.complete is False
    assert inc.stats["details"] == 7  # only what changed (4 + 3 new) was read in detail

    quiet = conn.fetch(SYNC_INCREMENTAL, inc.next_cursor)
    assert quiet.products == [] and quiet.deleted_ids == [] and quiet.stats["details"] == 0


def test_stock_only_change_is_found_by_the_rotating_refresh(domeggook, dg_connector):
    sb = domeggook(count=200)
    conn = dg_connector(sb, refresh_per_run=60)
    full = conn.fetch(SYNC_FULL, None)
    target = sorted(_ids(full), key=int)[100]
    sb.post(f"/__admin/items/{target}", {"stock": 4})  # not visible in getItemList
    found, cursor = [], full.next_cursor
    for _ in range(4):  # 60 per run over ~195 items: every item is re-read within 4 runs
        r = conn.fetch(SYNC_INCREMENTAL, cursor)
        found += _ids(r)
        cursor = r.next_cursor
    assert found == [target]


def test_block_after_rate_limit_is_waited_out(domeggook, dg_connector):
    sb = domeggook(count=60, rpm_limit=10, block_s=0.3)
    conn = dg_connector(sb, page_size=200, block_backoff_s=0.35, max_block_waits=20)
    r = conn.fetch(SYNC_FULL, None)
    assert set(_ids(r)) == _on_sale(sb) and sb.state.stats["blocked"] >= 1


def test_block_beyond_the_bound_fails_cleanly(domeggook, dg_connector):
    sb = domeggook(count=60, rpm_limit=5, block_s=60)
    conn = dg_connector(sb, block_backoff_s=0.01, max_block_waits=2)
    with pytest.raises(SupplierError) as e:
        conn.fetch(SYNC_FULL, None)
    assert "blocked (HTTP 429" in str(e.value) and "gave up after 2 waits" in str(e.value)


FAULTS = [
    ({"http_429": 1}, {"block_backoff_s": 0.01}),
    ({"http_502": 2, "retry_after": 0}, {}),
    ({"timeout": 2, "timeout_s": 1.0}, {"timeout_s": 0.3}),
    ({"malformed": 2}, {}),
]


@pytest.mark.parametrize("fault,settings", FAULTS, ids=[next(iter(f)) for f, _ in FAULTS])
def test_injected_faults_are_retried_and_every_item_arrives_once(domeggook, dg_connector, fault, settings):
    sb = domeggook(count=150)
    conn = dg_connector(sb, page_size=40, **settings)
    sb.post("/__faults", fault)
    r = conn.fetch(SYNC_FULL, None)
    ids = _ids(r)
    assert len(ids) == len(set(ids)) and set(ids) == _on_sale(sb)
    kind = next(iter(fault))
    assert sb.state.faults.fired[kind] == fault[kind]


def test_supplier_error_fails_cleanly_and_the_next_run_resumes(domeggook, dg_connector):
    sb = domeggook(count=150)
    conn = dg_connector(sb, refresh_per_run=0)
    full = conn.fetch(SYNC_FULL, None)
    target = sorted(_ids(full), key=int)[7]
    sb.post(f"/__admin/items/{target}", {"price": 55500})
    sb.post("/__faults", {"supplier_error": 1})
    with pytest.raises(SupplierError) as e:
        conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
    assert "SYSTEM_ERROR" in str(e.value)
    resumed = conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
    assert _ids(resumed) == [target]


def test_wire_errors_are_clear_and_never_leak_the_key(domeggook, dg_connector):
    sb = domeggook(count=10)
    with pytest.raises(SupplierError) as e:
        dg_connector(sb, list_ver="4.5").fetch(SYNC_FULL, None)
    assert "UNKNOWN_SERVICE" in str(e.value)
    with pytest.raises(SupplierError) as e:
        dg_connector(sb).call({"ver": "4.1", "mode": "getItemList", "market": "dome", "sz": 500})
    assert "PARAM_INVALID" in str(e.value)
    secret = "my-very-secret-domeggook-key"
    with pytest.raises(SupplierError) as e:
        dg_connector(sb, api_key=secret).ping()
    assert "INVALID_AID" in str(e.value) and secret not in str(e.value)


def test_bad_views_become_rejects():
    good = {"domeggook": {"basis": {"no": 1, "title": "텀블러", "status": "판매중"}, "price": {"supply": 3000}}}
    assert normalize_view("dg", good).cost == 3000
    bad_price = {"domeggook": {**good["domeggook"], "price": {"supply": "1+abc"}}}
    bad_opt = {"domeggook": {**good["domeggook"], "selectOpt": "{not json"}}
    for bad, why in [(bad_price, "price"), (bad_opt, "selectOpt")]:
        r = normalize_view("dg", bad, source="getItemView no=1")
        assert why in r.reason and r.raw == bad


def test_ping(domeggook, dg_connector):
    sb = domeggook(count=10)
    assert "API key accepted" in dg_connector(sb).ping()
