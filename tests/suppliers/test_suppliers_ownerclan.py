"""OwnerClan connector against the OwnerClan sandbox over real HTTP."""

from __future__ import annotations

import time

import pytest

from dropship_core.model import STATUS_ACTIVE, STATUS_DELETED, STATUS_SOLDOUT
from dropship_core.suppliers.base import SYNC_FULL, SYNC_INCREMENTAL, SupplierError
from dropship_core.suppliers.ownerclan import normalize_item


def _ids(result):
    return [p.supplier_item_id for p in result.products]


def test_full_sync_pages_through_whole_catalog_once(ownerclan, oc_connector):
    sb = ownerclan(count=1000)
    conn = oc_connector(sb, page_size=120)
    r = conn.fetch(SYNC_FULL, None)
    ids = _ids(r)
    assert len(ids) == len(set(ids)) == 1000
    assert set(ids) == set(sb.state.items)
    assert r.complete is True and r.rejects == [] and r.deleted_ids == []
    assert r.stats["pages"] == 9  # ceil(1000 / 120)
    assert r.next_cursor


def test_first_is_capped_at_1000(ownerclan, oc_connector):
    sb = ownerclan(count=1100)
    r = oc_connector(sb, page_size=5000).fetch(SYNC_FULL, None)
    assert r.stats["pages"] == 2 and len(r.products) == 1100


def test_normalisation_matches_the_catalog(ownerclan, oc_connector):
    sb = ownerclan(count=400)
    r = oc_connector(sb).fetch(SYNC_FULL, None)
    by_id = {p.supplier_item_id: p for p in r.products}
    seen_variants = seen_untracked = 0
    for key, item in sb.state.items.items():
        p = by_id[key]
        assert (p.name, p.cost, p.shipping_fee, p.brand, p.model, p.origin) == (
            item.name, item.price, item.shipping_fee, item.brand, item.model, item.origin)
        assert p.tax_type == ("FREE" if item.tax_free else "TAX") and p.adult == item.adult
        assert p.images == item.images and p.category_path == " > ".join(item.category_path)
        assert p.return_fee == item.return_fee and p.raw["key"] == key
        assert p.status == {"available": STATUS_ACTIVE, "soldout": STATUS_SOLDOUT}[item.status]
        assert len(p.variants) == len(item.options)
        for v, o in zip(p.variants, item.options):
            assert v.options == o["attrs"] and v.price_delta == o["price_delta"]
            assert v.stock == (None if o["qty"] == 9999 else o["qty"])
        seen_variants += bool(p.variants)
        if item.stock is None:
            assert p.stock is None and p.total_stock() is None
            seen_untracked += 1
        else:
            assert p.total_stock() == item.stock
    assert seen_variants > 50 and seen_untracked > 50


def test_bad_records_become_rejects_without_stopping_the_batch():
    good = {"key": "W1", "name": "텀블러", "price": 5000, "status": "available", "options": []}
    assert normalize_item("oc", good).name == "텀블러"
    for bad, why in [({**good, "price": 0}, "price"), ({**good, "name": " "}, "empty name"),
                     ({**good, "key": None}, "missing item key"), ({**good, "status": "weird"}, "status")]:
        r = normalize_item("oc", bad, "allItems page 1")
        assert why in r.reason and r.raw == bad and r.source == "allItems page 1"


def test_incremental_picks_up_only_what_changed(ownerclan, oc_connector):
    sb = ownerclan(count=500)
    conn = oc_connector(sb, page_size=200)
    full = conn.fetch(SYNC_FULL, None)
    keys = sorted(sb.state.items)
    nothing = conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
    assert nothing.products == [] and nothing.deleted_ids == []

    price_key, stock_key, disc_key, purge_key = keys[10], keys[20], keys[30], keys[40]
    new_price = sb.state.items[price_key].price + 1000
    sb.post(f"/__admin/items/{price_key}", {"price": new_price})
    sb.post(f"/__admin/items/{stock_key}", {"stock": 0})
    sb.delete(f"/__admin/items/{disc_key}")
    sb.delete(f"/__admin/items/{purge_key}?purge=1")
    added = sb.post("/__admin/items", {"count": 2})["added"]

    inc = conn.fetch(SYNC_INCREMENTAL, nothing.next_cursor)
    got = {p.supplier_item_id: p for p in inc.products}
    assert set(got) == {price_key, stock_key, disc_key, *added}
    assert got[price_key].cost == new_price
    assert got[stock_key].status == STATUS_SOLDOUT and got[stock_key].total_stock() == 0
    assert got[disc_key].status == STATUS_DELETED
    assert inc.deleted_ids == [purge_key] and inc.complete is False

    again = conn.fetch(SYNC_INCREMENTAL, inc.next_cursor)
    assert again.products == [] and again.deleted_ids == []
    sb.post(f"/__admin/items/{stock_key}", {"stock": 7})
    restock = conn.fetch(SYNC_INCREMENTAL, again.next_cursor)
    assert _ids(restock) == [stock_key] and restock.products[0].status == STATUS_ACTIVE


def test_incremental_without_cursor_falls_back_to_full(ownerclan, oc_connector):
    sb = ownerclan(count=120)
    r = oc_connector(sb).fetch(SYNC_INCREMENTAL, None)
    assert r.complete is True and len(r.products) == 120 and "full" in r.stats["fallback"]


@pytest.mark.parametrize("style", ["http401", "graphql"])
def test_expired_token_is_refreshed_once(ownerclan, oc_connector, style):
    sb = ownerclan(count=100, token_ttl_s=1.0, auth_error_style=style)
    # a negative margin = our clock runs behind OwnerClan's: we send a token the server finds expired
    conn = oc_connector(sb, page_size=1000, token_refresh_margin_s=-30)
    first = conn.fetch(SYNC_FULL, None)  # one page
    assert conn.auth_calls == 1
    time.sleep(1.2)  # the sandbox's JWT has expired now
    sb.post("/__admin/config", {"token_ttl_s": 3600})  # the next token lives long enough
    second = conn.fetch(SYNC_FULL, None)
    assert sb.state.stats["auth_failures"] == 1 and conn.auth_calls == 2
    assert sorted(_ids(first)) == sorted(_ids(second)) == sorted(sb.state.items)


def test_token_is_refreshed_before_it_lapses(ownerclan, oc_connector):
    sb = ownerclan(count=50, token_ttl_s=30)
    conn = oc_connector(sb, token_refresh_margin_s=60)  # 30 s left < 60 s margin: refresh each call
    conn.fetch(SYNC_FULL, None)
    conn.fetch(SYNC_FULL, None)
    assert conn.auth_calls >= 2 and sb.state.stats["graphql_requests"] == 2


def test_revoked_token_reauthenticates_and_wrong_password_fails_clearly(ownerclan, oc_connector):
    sb = ownerclan(count=50)
    conn = oc_connector(sb)
    conn.fetch(SYNC_FULL, None)
    sb.post("/__admin/config", {"revoke_tokens": True})
    assert len(conn.fetch(SYNC_FULL, None).products) == 50 and conn.auth_calls == 2

    secret = "S3cret-Pa55word!"
    bad = oc_connector(sb, password=secret)
    with pytest.raises(SupplierError) as e:
        bad.fetch(SYNC_FULL, None)
    assert "authentication refused (HTTP 401)" in str(e.value) and secret not in str(e.value)


FAULTS = [
    ({"http_429": 2}, {}),
    ({"http_502": 2, "retry_after": 0}, {}),
    ({"timeout": 2, "timeout_s": 1.0}, {"timeout_s": 0.3}),
    ({"malformed": 2}, {}),
    ({"graphql_error": 2}, {}),
]


@pytest.mark.parametrize("fault,settings", FAULTS, ids=[next(iter(f)) for f, _ in FAULTS])
def test_injected_faults_are_retried_and_every_item_arrives_once(ownerclan, oc_connector, fault, settings):
    sb = ownerclan(count=280)
    conn = oc_connector(sb, page_size=80, **settings)
    conn.fetch(SYNC_FULL, None)  # authenticate first, so faults hit the GraphQL pages
    sb.post("/__faults", fault)
    r = conn.fetch(SYNC_FULL, None)
    ids = _ids(r)
    assert len(ids) == len(set(ids)) == 280
    kind = next(iter(fault))
    assert sb.state.faults.fired[kind] == fault[kind]
    if kind == "timeout":  # a slow machine may time out an ordinary page too: retried the same way
        assert r.stats["requests"] >= 4 + fault[kind]
    else:
        assert r.stats["requests"] == 4 + fault[kind]


def test_rate_limit_error_in_graphql_body_backs_off(ownerclan, oc_connector):
    sb = ownerclan(count=240, rpm_limit=2, rate_window_s=0.3)
    conn = oc_connector(sb, page_size=40, backoff_base_s=0.15, max_backoff_s=0.4, max_retries=6)
    r = conn.fetch(SYNC_FULL, None)
    assert len(r.products) == 240 and sb.state.stats["rate_limited"] > 0


def test_persistent_failure_raises_and_the_next_run_resumes_from_the_cursor(ownerclan, oc_connector):
    sb = ownerclan(count=300)
    conn = oc_connector(sb, page_size=100, max_retries=2)
    full = conn.fetch(SYNC_FULL, None)
    key = sorted(sb.state.items)[5]
    sb.post(f"/__admin/items/{key}", {"price": 123400})
    sb.post("/__faults", {"http_502": 3, "retry_after": 0})
    with pytest.raises(SupplierError) as e:
        conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
    assert "failed after 3 attempts: HTTP 502" in str(e.value)
    resumed = conn.fetch(SYNC_INCREMENTAL, full.next_cursor)  # the stored cursor did not move
    assert _ids(resumed) == [key] and resumed.products[0].cost == 123400


def test_graphql_error_is_reported_clearly(ownerclan, oc_connector):
    sb = ownerclan(count=20)
    conn = oc_connector(sb, batch_query="itemsByKeyz")
    full = conn.fetch(SYNC_FULL, None)
    sb.delete(f"/__admin/items/{sorted(sb.state.items)[0]}?purge=1")  # history only: needs items(keys)
    with pytest.raises(SupplierError) as e:
        conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
    assert "OwnerClan GraphQL error" in str(e.value) and "itemsByKeyz" in str(e.value)


def test_date_unit_seconds_still_finds_changes(ownerclan, oc_connector):
    sb = ownerclan(count=100)
    conn = oc_connector(sb, date_unit="s")
    full = conn.fetch(SYNC_FULL, None)
    key = sorted(sb.state.items)[3]
    sb.post(f"/__admin/items/{key}", {"name": "이름 바뀐 상품"})
    inc = conn.fetch(SYNC_INCREMENTAL, full.next_cursor)
    assert _ids(inc) == [key] and inc.products[0].name == "이름 바뀐 상품"


def test_ping(ownerclan, oc_connector):
    sb = ownerclan(count=5)
    assert "authenticated as sandbox-seller" in oc_connector(sb).ping()


def test_requests_are_paced(ownerclan, oc_connector):
    sb = ownerclan(count=50)
    conn = oc_connector(sb, page_size=10, min_interval_s=0.05)  # 6 requests incl. auth
    t = time.monotonic()
    conn.fetch(SYNC_FULL, None)
    assert time.monotonic() - t >= 5 * 0.05


def test_sandbox_speaks_graphql_over_get_and_checks_the_schema(ownerclan):
    sb = ownerclan(count=3)
    token = sb.http.post("/auth", json={"service": "ownerclan", "userType": "seller",
                                        "username": "sandbox-seller", "password": "sandbox-pass"}).text
    auth = {"Authorization": f"Bearer {token}"}
    r = sb.http.get("/v1/graphql", params={"query": '{ item(key: "W000002") { key name price } }'}, headers=auth)
    assert r.json()["data"]["item"]["key"] == "W000002"
    bad = sb.http.get("/v1/graphql", params={"query": "{ allItems { edges { node { nope } } } }"}, headers=auth)
    assert bad.status_code == 200 and "Cannot query field 'nope'" in bad.json()["errors"][0]["message"]
    assert sb.http.get("/v1/graphql", params={"query": "{ item(key: \"W1\") { key } }"}).status_code == 401
    wrong = sb.http.post("/auth", json={"service": "ownerclan", "userType": "buyer", "username": "x", "password": "y"})
    assert wrong.status_code == 400
