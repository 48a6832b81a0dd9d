"""sync_listing against the sandbox marketplaces over HTTP: create once, then updates, price and
stock changes as updates (never re-creates), stop on delisting, zero calls when nothing changed."""

from __future__ import annotations

import time

import pytest

from dropship_core.markets.sync import sync_listing
from markets_testkit import MemoryRecorder, make_entry, make_listing, set_listing

MARKETS = ("smartstore", "coupang", "gmarket")


def _listing(market: str, code: str | None = None, **over) -> dict:
    return make_listing(code, options=market != "gmarket", market=market, **over)


def _sync(client, market, entry):
    rec = MemoryRecorder(entry)
    return sync_listing(client, market, entry, rec), rec


def _sandbox_calls(sb, market) -> int:
    return sb.calls(market)["total"]


def _product(sb, market, entry):
    st = sb.state(market)
    ext = entry["external"]
    if market == "smartstore":
        return st["products"][str(ext["originProductNo"])]
    if market == "coupang":
        return st["products"][str(ext["sellerProductId"])]
    return st["goods"][str(ext["goodsNo"])]


@pytest.mark.parametrize("market", MARKETS)
def test_lifecycle(sandboxes, market):
    client = sandboxes.client(market)
    listing = _listing(market)
    code = listing["seller_code"]
    entry = make_entry(listing)

    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "create", out
    assert rec.types() == ["published"]
    assert entry["status"] == "published" and entry["published_hash"] == entry["listing_hash"]
    # the external id was persisted by its own record call, right after the create
    assert any(p.get("external") and p.get("status") == "published" for p in rec.patches)
    assert sandboxes.copies(market, code) == 1

    # nothing changed: zero API calls, no events
    before = _sandbox_calls(sandboxes, market)
    out, rec = _sync(client, market, entry)
    assert (out.action, out.calls, rec.events, rec.patches) == ("none", 0, [], [])
    assert _sandbox_calls(sandboxes, market) == before

    # price change: a price update, not a re-create
    set_listing(entry, dict(entry["listing"], price=14900))
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "offer", out
    assert rec.types() == ["price_changed"]
    assert rec.events[0][1]["from"] == 15900 and rec.events[0][1]["to"] == 14900
    assert sandboxes.copies(market, code) == 1
    prod = _product(sandboxes, market, entry)
    if market == "smartstore":
        assert prod["salePrice"] == 14900
    elif market == "coupang":
        assert [i["salePrice"] for i in prod["items"]] == [14900, 15900]
    else:
        assert prod["price"] == {"gmkt": 14900}

    # stock change
    new = dict(entry["listing"])
    if market == "gmarket":
        new["stock"] = 3
    else:
        new["options"] = [dict(o) for o in new["options"]]
        new["options"][0]["stock"] = 0
    set_listing(entry, new)
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "offer" and rec.types() == ["stock_changed"], out
    prod = _product(sandboxes, market, entry)
    if market == "smartstore":
        assert [c["stockQuantity"] for c in prod["optionCombinations"]] == [0, 7]
        assert prod["stockQuantity"] == 7
    elif market == "coupang":
        assert [i["maximumBuyCount"] for i in prod["items"]] == [0, 7]
        assert out.calls == 1
    else:
        assert prod["stock"] == {"gmkt": 3}

    # content change: one full update
    set_listing(entry, dict(entry["listing"], title="스테인리스 텀블러 500ml 새 이름"))
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "update" and rec.types() == ["updated"], out
    assert _product(sandboxes, market, entry)["name"] == "스테인리스 텀블러 500ml 새 이름"
    assert sandboxes.copies(market, code) == 1

    # delisted by the supplier: stop
    set_listing(entry, dict(entry["listing"], state="deleted"))
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "stop" and rec.types() == ["stopped"], out
    assert entry["status"] == "stopped"
    prod = _product(sandboxes, market, entry)
    if market == "smartstore":
        assert prod["statusType"] == "SUSPENSION"
    elif market == "coupang":
        assert [i["onSale"] for i in prod["items"]] == [False, False]
    else:
        assert prod["isSell"] == {"gmkt": False}
    out, rec = _sync(client, market, entry)
    assert (out.action, out.calls, rec.events) == ("none", 0, [])

    # back in stock with a new price: resumed, still the same single product
    set_listing(entry, dict(entry["listing"], state="active", price=13900))
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "resume", out
    assert entry["status"] == "published"
    prod = _product(sandboxes, market, entry)
    if market == "smartstore":
        assert prod["statusType"] == "SALE" and prod["salePrice"] == 13900
    elif market == "coupang":
        assert [i["onSale"] for i in prod["items"]] == [True, True]
        assert prod["items"][0]["salePrice"] == 13900
    else:
        assert prod["isSell"] == {"gmkt": True} and prod["price"] == {"gmkt": 13900}
    assert sandboxes.copies(market, code) == 1


@pytest.mark.parametrize("market", MARKETS)
def test_price_change_costs_few_calls(sandboxes, market):
    client = sandboxes.client(market)
    entry = make_entry(_listing(market))
    _sync(client, market, entry)
    _sync(client, market, dict(entry))   # warm (Naver option ids / Coupang vendor items)
    set_listing(entry, dict(entry["listing"], price=15000))
    out, _ = _sync(client, market, entry)
    # Naver: option-stock (+ one GET for option ids the first time); Coupang: one call per
    # option; ESM: one sell-status call
    assert out.calls <= {"smartstore": 2, "coupang": 2, "gmarket": 1}[market], out


@pytest.mark.parametrize("market", MARKETS)
def test_invalid_listing_is_blocked_without_calls(sandboxes, market):
    client = sandboxes.client(market)
    entry = make_entry(_listing(market, title="x" * 120))
    out, rec = _sync(client, market, entry)
    assert not out.ok and out.action == "blocked" and out.calls == 0
    assert rec.types() == ["publish_failed"] and entry["status"] == "blocked"
    assert "name too long" in " ".join(entry["blocked_reasons"])
    out, rec = _sync(client, market, entry)      # same input: no new event
    assert rec.events == [] and out.calls == 0
    set_listing(entry, dict(entry["listing"], title="스테인리스 텀블러"))   # fixed upstream
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "create" and rec.types() == ["published"]
    assert entry["status"] == "published" and entry["blocked_reasons"] == []


def test_client_market_mismatch_is_a_programming_error(sandboxes):
    with pytest.raises(ValueError):
        sync_listing(sandboxes.client("coupang"), "smartstore", make_entry(make_listing()),
                     MemoryRecorder({}))


def test_not_listable_entry_is_left_alone(sandboxes):
    client = sandboxes.client("smartstore")
    entry = make_entry(make_listing())
    entry.update(listable=False, blocked_reasons=["no category"], status="blocked")
    out, rec = _sync(client, "smartstore", entry)
    assert (out.action, out.calls, rec.events) == ("blocked", 0, [])


def test_marketplace_rejection_is_a_failed_outcome_not_an_exception(make_sandboxes):
    sb = make_sandboxes(require_cdn=True)
    client = sb.client("smartstore")     # SANDBOX_SELLER does not upload images
    entry = make_entry(make_listing())
    out, rec = _sync(client, "smartstore", entry)
    assert not out.ok and rec.types() == ["publish_failed"]
    assert out.error["status"] == 400 and out.error["code"] == "BAD_REQUEST"
    assert out.error["invalid_inputs"][0]["name"].startswith("originProduct.images")
    assert out.error["response"]["invalidInputs"]
    assert entry["status"] == "failed" and entry["last_error"]["retryable"] is False
    # same listing again: the marketplace said no; we do not hammer it
    out, rec = _sync(client, "smartstore", entry)
    assert out.calls == 0 and rec.events == []


def test_coupang_rejection_carries_response(sandboxes):
    from dropship_core.markets import builders as b
    from dropship_core.markets.errors import MarketError

    client = sandboxes.client("coupang")
    body = b.build_coupang_product(make_listing(), client.seller)
    body["returnCharge"] = body["deliveryChargeOnReturn"] * 2   # breaks the 100-150% rule
    with pytest.raises(MarketError) as ei:
        client.create_seller_product(body)
    assert ei.value.status == 400 and "100%~150%" in ei.value.message
    assert ei.value.response["code"] == "ERROR" and ei.value.retryable is False


def test_naver_images_uploaded_to_cdn_first(make_sandboxes):
    """Supplier images are fetched (from a loopback image host) and uploaded to Naver once."""
    import dataclasses

    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from dropship_core.markets.settings import SANDBOX_SELLER
    from dropship_core.serve import ServerThread

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32

    async def img(request):
        name = request.path_params["name"]
        data = webp if name.endswith(".webp") else png + name.encode()
        return Response(data, media_type="image/webp" if name.endswith(".webp") else "image/png")

    host = ServerThread(Starlette(routes=[Route("/img/{name}", img)])).start()
    try:
        sb = make_sandboxes(require_cdn=True)
        seller = dataclasses.replace(SANDBOX_SELLER, naver_upload_images=True)
        client = sb.client("smartstore", seller=seller)
        listing = make_listing(images=[f"{host.url}/img/a.png", f"{host.url}/img/b.png"])
        entry = make_entry(listing)
        out, rec = _sync(client, "smartstore", entry)
        assert out.ok, out
        mapping = entry["external"]["images"]
        assert all(u.startswith("https://shop-phinf.pstatic.net/") for u in mapping.values())
        assert client.http.calls.by_route["POST /v1/product-images/upload"] == 1
        # a content update re-uses the uploaded images
        set_listing(entry, dict(entry["listing"], title="새 이름 텀블러"))
        out, _ = _sync(client, "smartstore", entry)
        assert out.ok and client.http.calls.by_route["POST /v1/product-images/upload"] == 1
        # WebP is refused by Naver's upload API: a failed outcome with its answer
        bad = make_entry(make_listing(images=[f"{host.url}/img/c.webp"]))
        out, rec = _sync(client, "smartstore", bad)
        assert not out.ok and "JPG, GIF, PNG, BMP" in out.error["message"] + str(
            out.error["response"])
    finally:
        host.stop()


def test_coupang_before_approval_uses_full_update(make_sandboxes):
    sb = make_sandboxes(approval="delay", approval_delay=0.6)
    client = sb.client("coupang")
    entry = make_entry(make_listing(market="coupang"))
    out, _ = _sync(client, "coupang", entry)
    assert out.ok and entry["external"]["approved"] is False
    assert entry["external"]["vendorItems"] == {}
    set_listing(entry, dict(entry["listing"], price=14900))
    out, rec = _sync(client, "coupang", entry)
    # no vendorItemId yet: the price goes in a full update of the seller product
    assert out.ok and out.action == "offer" and rec.types() == ["updated"], out
    time.sleep(0.7)
    set_listing(entry, dict(entry["listing"], price=13900))
    out, rec = _sync(client, "coupang", entry)
    assert out.ok and rec.types() == ["price_changed"], out
    assert client.http.calls.by_route["PUT vendor-items/{id}/prices/{price}"] == 2
    assert len(entry["external"]["vendorItems"]) == 2


def test_external_id_persisted_even_if_follow_up_fails(make_sandboxes):
    """The Coupang create answers with the id; the vendor-items GET then fails: the id stays."""
    sandboxes = make_sandboxes()
    client = sandboxes.client("coupang")
    entry = make_entry(make_listing(market="coupang"))
    rec = MemoryRecorder(entry)
    # the create goes through, then every GET fails with 500 until the retries run out
    original = client.get_seller_product

    def failing_get(pid):
        sandboxes.faults("coupang", {"500": 10})
        try:
            return original(pid)
        finally:
            sandboxes.faults("coupang", {"clear": 1})

    client.get_seller_product = failing_get
    out = sync_listing(client, "coupang", entry, rec)
    assert out.ok and entry["external"]["sellerProductId"]
    assert rec.types() == ["published"]
    assert sandboxes.copies("coupang", entry["listing"]["seller_code"]) == 1


def test_naver_product_without_options_price_stock_via_full_update(sandboxes):
    client = sandboxes.client("smartstore")
    entry = make_entry(make_listing(options=False))
    assert _sync(client, "smartstore", entry)[0].ok
    before = dict(client.http.calls.by_route)
    set_listing(entry, dict(entry["listing"], price=9900, stock=0))
    out, rec = _sync(client, "smartstore", entry)
    assert out.ok and out.calls == 1 and rec.types() == ["price_changed", "stock_changed"]
    route = "PUT /v2/products/origin-products/{no}"
    assert client.http.calls.by_route[route] == before.get(route, 0) + 1
    prod = _product(sandboxes, "smartstore", entry)
    assert (prod["salePrice"], prod["stockQuantity"], prod["statusType"]) == (9900, 0, "OUTOFSTOCK")


@pytest.mark.parametrize("market", MARKETS)
def test_sync_state_survives_market_listings_recomputing_the_entry(make_sandboxes, market):
    """market_listings rebuilds market_data[market] before every sync and keeps only its sync keys:
    price-only updates, resume after a stop, and a lost create's reconciliation still work."""
    from markets_testkit import relist

    sb = make_sandboxes(only=(market,))
    client = sb.client(market, timeout=0.3)
    if market == "smartstore":
        client.get_token()                            # the fault is for the create
    entry = make_entry(_listing(market))
    sb.faults(market, {"timeout": 1, "delay": 0.5})
    out, _ = _sync(client, market, entry)             # create times out; not visible yet
    assert not out.ok and entry["status"] == "publishing"
    relist(entry)
    assert entry["status"] == "pending"               # market_listings knows nothing of it
    time.sleep(0.6)
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "reconcile" and rec.types() == ["reconciled", "published"]
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1

    relist(entry, dict(entry["listing"], price=14900))
    assert entry["status"] == "pending_update"
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "offer" and rec.types() == ["price_changed"], out

    relist(entry, dict(entry["listing"], state="soldout"))
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "stop" and rec.types() == ["stopped"]
    relist(entry)
    out, rec = _sync(client, market, entry)
    assert (out.action, out.calls, rec.events) == ("none", 0, [])

    relist(entry, dict(entry["listing"], state="active"))
    assert entry["status"] == "pending_update"
    out, rec = _sync(client, market, entry)
    assert out.ok and out.action == "resume", out
    assert entry["status"] == "published"
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1


def test_rejected_listing_stays_quiet_across_market_listings_runs(sandboxes):
    from markets_testkit import relist

    client = sandboxes.client("coupang")
    entry = make_entry(make_listing(price=15905))      # not in 10-won units
    out, rec = _sync(client, "coupang", entry)
    assert out.action == "blocked" and rec.types() == ["publish_failed"]
    relist(entry)
    out, rec = _sync(client, "coupang", entry)
    assert out.calls == 0 and rec.events == []


def test_cost_only_change_costs_no_call(sandboxes):
    client = sandboxes.client("gmarket")
    entry = make_entry(make_listing(options=False, cost=9000, margin=0.3, market="gmarket"))
    assert _sync(client, "gmarket", entry)[0].ok
    set_listing(entry, dict(entry["listing"], cost=9500, margin=0.25))
    out, rec = _sync(client, "gmarket", entry)
    assert (out.action, out.calls, rec.events) == ("none", 0, [])
    assert entry["published_hash"] == entry["listing_hash"]


@pytest.mark.parametrize("market", MARKETS)
def test_unregistered_seller_addresses_are_refused(sandboxes, market):
    """Real marketplaces need the seller's address book / return center / dispatch policy set up
    first; so do the sandboxes: default (empty) seller settings are refused with the reason."""
    from dropship_core.markets.settings import SellerSettings

    client = sandboxes.client(market, seller=SellerSettings(
        coupang_vendor_id="A00000001", coupang_vendor_user_id="wing", naver_upload_images=False,
        coupang_return_center_code="999", coupang_return_zip_code="06164",
        coupang_return_address="서울", coupang_return_address_detail="1층",
        coupang_outbound_shipping_place_code="1"))
    entry = make_entry(_listing(market))
    out, rec = _sync(client, market, entry)
    assert not out.ok and out.error["status"] == 400 and rec.types() == ["publish_failed"]
    text = str(out.error["response"])
    assert {"smartstore": "claimDeliveryInfo", "coupang": "returnCenterCode",
            "gmarket": "dispatchPolicyNo"}[market] in text
