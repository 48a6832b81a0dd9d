"""Request bodies follow the contracts' example bodies; listing rules block what a market refuses."""

from __future__ import annotations

import json
import pathlib

import pytest

from dropship_core.markets import builders as b
from dropship_core.markets.settings import SANDBOX_SELLER, SellerSettings
from markets_testkit import make_listing, tumbler_category

# copies of the example request bodies from the marketplaces' documentation (docs/markets.md)
EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "data" / "contracts"


def _example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _keys(d: dict) -> set[str]:
    return {k for k in d if not k.startswith("_")}


def _missing(example: dict, built: dict, prefix: str = "", depth: int = 3) -> list[str]:
    """Keys of the example (recursively, to `depth`) that the built body lacks."""
    out = []
    for k in _keys(example):
        if k not in built:
            out.append(prefix + k)
        elif depth > 1 and isinstance(example[k], dict) and isinstance(built[k], dict):
            out += _missing(example[k], built[k], prefix + k + ".", depth - 1)
    return out


# keys of the examples we leave out on purpose, with the reason
NAVER_OPTIONAL = {
    "originProduct.customerBenefit",       # the sale price is the listing price, no discount
}
COUPANG_OPTIONAL = {"productGroup"}        # category-specific; optional per the contract


def test_naver_body_follows_example():
    ex = _example("naver_create_product.request.json")
    body = b.build_smartstore_product(make_listing(tags=["텀블러", "보온병"]), SANDBOX_SELLER)
    assert set(_missing(ex, body, depth=4)) <= NAVER_OPTIONAL
    o = body["originProduct"]
    assert o["detailAttribute"]["optionInfo"]["optionCombinationGroupNames"] == {
        "optionGroupName1": "색상"}
    combos = o["detailAttribute"]["optionInfo"]["optionCombinations"]
    assert [(c["optionName1"], c["price"], c["stockQuantity"], c["sellerManagerCode"])
            for c in combos] == [("블랙", 0, 5, "BK"), ("화이트", 1000, 7, "WH")]
    assert o["stockQuantity"] == 12
    assert o["images"]["optionalImages"] == [{"url": "https://img.example.com/b.jpg"}]
    assert o["detailAttribute"]["seoInfo"]["sellerTags"] == [{"text": "텀블러"}, {"text": "보온병"}]
    assert set(o["detailAttribute"]["productInfoProvidedNotice"]["etc"]) == set(
        ex["originProduct"]["detailAttribute"]["productInfoProvidedNotice"]["etc"])


def test_coupang_body_follows_example():
    ex = _example("coupang_create_product.request.json")
    body = b.build_coupang_product(make_listing(market="coupang"), SANDBOX_SELLER)
    assert set(_missing(ex, body)) <= COUPANG_OPTIONAL
    assert len(body["items"]) == 2
    item_keys = _keys(ex["items"][0])
    for item in body["items"]:
        assert item_keys <= set(item), item_keys - set(item)
    first, second = body["items"]
    assert (first["salePrice"], second["salePrice"]) == (15900, 16900)
    assert (first["maximumBuyCount"], second["maximumBuyCount"]) == (5, 7)
    assert first["externalVendorSku"].endswith("#BK")
    assert first["images"][0]["imageType"] == "REPRESENTATION"
    # the category's purchase options (tumbler: 색상, 용량 [ml], 수량 [개]) from options and facts
    assert first["attributes"] == [
        {"attributeTypeName": "색상", "attributeValueName": "블랙", "exposed": "EXPOSED"},
        {"attributeTypeName": "용량", "attributeValueName": "500ml", "exposed": "EXPOSED"},
        {"attributeTypeName": "수량", "attributeValueName": "1개", "exposed": "EXPOSED"}]
    assert {n["noticeCategoryName"] for n in first["notices"]} == {"기타 재화"}
    upd = b.build_coupang_product(make_listing("s:1", market="coupang"), SANDBOX_SELLER,
                                  seller_product_id=77,
                                  vendor_items={"s:1#BK": 901})
    assert upd["sellerProductId"] == 77
    assert upd["items"][0]["vendorItemId"] == 901 and "vendorItemId" not in upd["items"][1]


def test_esm_body_follows_example():
    ex = _example("esm_create_goods.request.json")
    gm = tumbler_category("gmarket")
    body = b.build_esm_goods(make_listing(options=False, market="gmarket",
                                          esm_category_id="00000000"), SANDBOX_SELLER)
    assert _missing(ex, body) == []
    assert body["itemBasicInfo"]["category"]["esm"] == {"catCode": "00000000"}
    add = body["itemAddtionalInfo"]
    assert add["price"] == {"Gmkt": 15900} and add["stock"] == {"Gmkt": 12}
    assert body["itemBasicInfo"]["category"]["site"] == [{"siteType": 2, "catCode": gm}]
    assert add["officialNotice"]["officialNoticeNo"] == 35
    assert add["images"] == {"basicImgURL": "https://img.example.com/a.jpg",
                             "addImg1URL": "https://img.example.com/b.jpg"}
    both = SellerSettings(esm_sites=("Gmkt", "Iac"))
    body2 = b.build_esm_goods(make_listing(options=False, market="gmarket", iac_category_id="123"),
                              both)
    assert body2["itemBasicInfo"]["category"]["site"] == [
        {"siteType": 2, "catCode": gm}, {"siteType": 1, "catCode": "123"}]
    ss = b.build_esm_sell_status(make_listing(options=False), both, False)
    ex_ss = _example("esm_sell_status.request.json")
    assert _missing(ex_ss, ss) == []
    assert ss["isSell"] == {"gmkt": False, "iac": False}


def test_valid_listing_passes_everywhere():
    listing = make_listing()
    assert b.validate_listing("smartstore", listing) == []
    assert b.validate_listing("coupang", listing) == []
    assert b.validate_listing("gmarket", make_listing(market="gmarket")) == []


def _has(reasons: list[str], text: str) -> bool:
    return any(text in r for r in reasons)


@pytest.mark.parametrize("market", ["smartstore", "coupang", "gmarket"])
def test_blocked_reasons_common(market):
    listing = make_listing(options=False, title="", category_id=None, images=[], price=0)
    reasons = b.validate_listing(market, listing)
    for text in ("missing title", "no category id", "no image", "price must be"):
        assert _has(reasons, text), (text, reasons)


def test_name_limits():
    assert _has(b.validate_listing("smartstore", make_listing(title="가" * 101)), "name too long")
    assert _has(b.validate_listing("coupang", make_listing(title="a" * 101)), "name too long")
    assert b.validate_listing("coupang", make_listing(title="a" * 100)) == []
    # ESM counts UTF-8 bytes: 34 Hangul syllables are 102 bytes
    reasons = b.validate_listing("gmarket", make_listing(options=False, title="가" * 34))
    assert _has(reasons, "102 > 100 bytes")
    assert b.validate_listing("gmarket", make_listing(options=False, title="가" * 33)) == []


def test_image_and_option_limits():
    imgs = [f"https://img.example.com/{i}.jpg" for i in range(11)]
    assert _has(b.validate_listing("smartstore", make_listing(images=imgs)), "too many images")
    assert _has(b.validate_listing("coupang", make_listing(images=imgs)), "too many images")
    assert b.validate_listing("gmarket", make_listing(options=False, images=imgs)) == []
    long_url = "https://img.example.com/" + "x" * 140
    assert _has(b.validate_listing("coupang", make_listing(images=[long_url])), "150")
    many = [{"sku": f"S{i}", "options": {"사이즈": str(i)}, "price_delta": 0, "stock": 1}
            for i in range(201)]
    assert _has(b.validate_listing("coupang", dict(make_listing(), options=many)),
                "too many options")
    groups = [{"sku": "X", "options": {"a": "1", "b": "2", "c": "3", "d": "4"}, "stock": 1}]
    assert _has(b.validate_listing("smartstore", dict(make_listing(), options=groups)),
                "option groups")
    assert _has(b.validate_listing("gmarket", make_listing()), "recommended options")


def test_price_rules():
    assert _has(b.validate_listing("coupang", make_listing(price=15905)), "10-won")
    odd_delta = make_listing()
    odd_delta["options"][1]["price_delta"] = 1005
    assert _has(b.validate_listing("coupang", odd_delta), "10-won")
    assert b.validate_listing("smartstore", make_listing(price=15905)) == []
    assert _has(b.validate_listing("smartstore", make_listing(price=1_000_000_000)), "999999990")
    neg = make_listing()
    neg["options"][0]["price_delta"] = -20000
    assert _has(b.validate_listing("smartstore", neg), "not positive")


def test_offer_and_content_split():
    a = make_listing("s:1")
    cheaper = dict(a, price=14900)
    assert b.content_of(a) == b.content_of(cheaper)
    assert b.offer_of(a) != b.offer_of(cheaper)
    # the backbone's own bookkeeping in a listing is not marketplace content
    assert b.content_of(dict(a, cost=9000, margin=0.2)) == b.content_of(dict(a, cost=9500,
                                                                             margin=0.1))
    renamed = dict(a, title="새 이름")
    assert b.content_of(a) != b.content_of(renamed)
    assert b.offer_of(a) == b.offer_of(renamed)
    assert b.offer_of(a)["items"] == {"s:1#BK": [15900, 5], "s:1#WH": [16900, 7]}


def test_naver_option_stock_body():
    listing = make_listing()
    body = b.build_smartstore_option_stock(listing, {"BK": 11, "WH": 12})
    assert body == {"productSalePrice": {"salePrice": 15900}, "optionInfo": {
        "optionCombinations": [{"id": 11, "stockQuantity": 5, "price": 0, "usable": True},
                               {"id": 12, "stockQuantity": 7, "price": 1000, "usable": True}],
        "useStockManagement": True}}
