"""The sandboxes refuse each kind of body the real markets refuse (category, notice,
purchase options, certification, ESM options), with the market's own error shape. Bodies are
built by the builders from compliant listings, then broken one way at a time."""

from __future__ import annotations

import dataclasses

import pytest

from dropship_core.markets import builders as b
from dropship_core.markets.errors import MarketError
from dropship_core.markets.metadata.model import MarketMetadata
from dropship_sandbox.market_rules import RuleBook, esm_sandbox_tree
from markets_testkit import make_listing


def _naver_body(**over):
    body = b.build_smartstore_product(make_listing(**over), _seller())
    return body


def _seller():
    from dropship_core.markets.settings import SANDBOX_SELLER
    return dataclasses.replace(SANDBOX_SELLER)


def _naver_reject(sandboxes, body) -> list[str]:
    with sandboxes.client("smartstore") as c:
        with pytest.raises(MarketError) as ei:
            c.create_product(body)
    assert ei.value.status == 400 and ei.value.code == "BAD_REQUEST"
    return [f"{i['name']}: {i['message']}" for i in ei.value.invalid_inputs]


def test_smartstore_accepts_the_compliant_body(sandboxes):
    with sandboxes.client("smartstore") as c:
        assert c.create_product(_naver_body())["originProductNo"]


@pytest.mark.parametrize("breakage,expect", [
    (lambda o: o.update(leafCategoryId="99999999"), "leafCategoryId"),
    (lambda o: o.update(leafCategoryId="50000004"), "leafCategoryId"),           # not a leaf
    (lambda o: o["detailAttribute"].update(productInfoProvidedNotice={
        "productInfoProvidedNoticeType": "WEAR",
        "wear": o["detailAttribute"]["productInfoProvidedNotice"]["etc"]}), "유형은 ETC"),
    (lambda o: o["detailAttribute"]["productInfoProvidedNotice"]["etc"].pop("itemName"),
     "etc.itemName"),
    (lambda o: o["detailAttribute"]["optionInfo"]["optionCombinations"][0].update(
        optionName1="아주 긴 옵션 값 " * 4), "25자"),
    (lambda o: [c.update(price=500) for c in
                o["detailAttribute"]["optionInfo"]["optionCombinations"]], "0원인 옵션"),
])
def test_smartstore_refuses(sandboxes, breakage, expect):
    body = _naver_body()
    breakage(body["originProduct"])
    problems = _naver_reject(sandboxes, body)
    assert any(expect in p for p in problems), problems


def test_smartstore_refuses_a_kc_category_without_certification(sandboxes):
    listing = make_listing(options=False)
    listing["category_id"] = "50002334"           # 블루투스이어폰: KC target
    from dropship_core.markets.compliance import prepare
    from dropship_core.markets.metadata import shipped
    prepare("smartstore", listing, {"kc_cert": "R-C-x-1", "origin": "중국"}, None,
            shipped("smartstore"))
    body = b.build_smartstore_product(listing, _seller())
    da = body["originProduct"]["detailAttribute"]
    with sandboxes.client("smartstore") as c:
        assert c.create_product(body)["originProductNo"]    # certified: accepted
    da.pop("productCertificationInfos")
    problems = _naver_reject(sandboxes, body)
    assert any("productCertificationInfos" in p for p in problems), problems


def _coupang_reject(sandboxes, body) -> str:
    with sandboxes.client("coupang") as c:
        with pytest.raises(MarketError) as ei:
            c.create_seller_product(body)
    assert ei.value.status == 400 and ei.value.code == "ERROR"
    return ei.value.message


def _coupang_body(**over):
    return b.build_coupang_product(make_listing(market="coupang", **over), _seller())


@pytest.mark.parametrize("breakage,expect", [
    (lambda bd: bd.update(displayCategoryCode=12345678), "not a valid leaf"),
    (lambda bd: [n.update(noticeCategoryName="의류") for n in bd["items"][0]["notices"]],
     "noticeCategoryName must be '기타 재화'"),
    (lambda bd: bd["items"][0]["notices"].pop(0), "missing 품명 및 모델명"),
    (lambda bd: bd["items"][0]["attributes"].pop(1), "Missing Attribute(s): items[0] 용량"),
    (lambda bd: bd["items"][0]["attributes"][1].update(attributeValueName="상세페이지 참조"),
     "Missing Attribute(s): items[0] 용량"),
    (lambda bd: bd["items"][0]["attributes"].append(
        {"attributeTypeName": "무늬", "attributeValueName": "줄무늬", "exposed": "EXPOSED"}),
     "Attribute(s) Not Allowed"),
])
def test_coupang_refuses(sandboxes, breakage, expect):
    body = _coupang_body()
    breakage(body)
    assert expect in _coupang_reject(sandboxes, body)


def test_coupang_refuses_missing_category_without_auto_agreement(sandboxes):
    body = _coupang_body()
    body.pop("displayCategoryCode")
    for it in body["items"]:
        it.pop("notices")
    with sandboxes.client("coupang") as c:
        assert c.create_seller_product(body)          # the sandbox vendor agreed
        sandboxes.servers["coupang"].server.config.app.state.sandbox.auto_category = False
        try:
            assert "automatic category matching" in _coupang_reject(sandboxes, body)
        finally:
            sandboxes.servers["coupang"].server.config.app.state.sandbox.auto_category = True


def test_coupang_refuses_kc_category_without_certification_code(sandboxes):
    listing = make_listing(options=False, market="coupang")
    listing.update(category_id="62715", coupang_attributes={"": [
        {"attributeTypeName": "모델명/품번", "attributeValueName": "BT-1", "exposed": "EXPOSED"},
        {"attributeTypeName": "색상", "attributeValueName": "블랙", "exposed": "EXPOSED"}]},
        notice_plan={"type": "MICROELECTRONICS", "values": {}})
    from dropship_core.markets.metadata.families import FAMILIES
    listing["notice_plan"]["values"] = {f.label: "x" for f in FAMILIES["MICROELECTRONICS"].fields}
    listing["certifications"] = []
    assert "KC_CERTIFICATION with certificationCode required" in _coupang_reject(
        sandboxes, b.build_coupang_product(listing, _seller()))


def _esm_reject(sandboxes, body) -> str:
    with sandboxes.client("gmarket") as c:
        with pytest.raises(MarketError) as ei:
            c.create_goods(body)
    assert ei.value.status == 400 and ei.value.code == "1000"
    return ei.value.message


def _esm_body(**over):
    return b.build_esm_goods(make_listing(market="gmarket", **over), _seller())


@pytest.mark.parametrize("breakage,expect", [
    (lambda bd: bd["itemBasicInfo"]["category"]["site"][0].update(catCode="123456789"),
     "not a registrable (leaf) site category"),
    (lambda bd: bd["itemAddtionalInfo"]["officialNotice"].update(officialNoticeNo=1),
     "officialNoticeNo must be 35"),
    (lambda bd: bd["itemAddtionalInfo"]["officialNotice"]["details"][0].update(value=""),
     "35-1 미입력"),
    (lambda bd: bd["itemAddtionalInfo"]["recommendedOpts"]["independent"].update(
        recommendedOptNo=4242), "recommendedOptNo 4242 is not a recommended option"),
    (lambda bd: bd["itemAddtionalInfo"]["recommendedOpts"]["independent"]["details"][0].update(
        manageCode="X" * 21), "longer than 20 bytes"),
    (lambda bd: bd["itemAddtionalInfo"]["recommendedOpts"].update(type=5), "must be 0..3"),
])
def test_esm_refuses(sandboxes, breakage, expect):
    body = _esm_body()
    breakage(body)
    assert expect in _esm_reject(sandboxes, body)


def test_esm_refuses_free_text_where_the_category_has_no_code_0(sandboxes):
    sb = sandboxes.servers["gmarket"].server.config.app.state.sandbox
    tree = esm_sandbox_tree()
    strict = {k: dataclasses.replace(r, recommended_opts=tuple(o for o in r.recommended_opts
                                                               if o.no != 0))
              for k, r in tree.rules.items()}
    original = sb.book
    sb.book = RuleBook("gmarket", MarketMetadata("gmarket", strict, source="sandbox"))
    try:
        body = _esm_body(options=True)
        ro = body["itemAddtionalInfo"]["recommendedOpts"]
        ro["independent"]["recommendedOptNo"] = 0       # send the colours as free text
        for d in ro["independent"]["details"]:
            d["recommendedOptValueNo"] = 0
        assert "free-text options (code 0) are not allowed" in _esm_reject(sandboxes, body)
    finally:
        sb.book = original


# -- builder and sandbox agree when a category's own rules were not read yet -------------------

def _tree_only(sandboxes, market: str):
    from dropship_core.markets.metadata.fetch import fetch_tree
    with sandboxes.client(market) as c:
        return fetch_tree(c, market)


def test_coupang_tree_only_rules_take_the_reference_options_and_the_sandbox_agrees(sandboxes):
    from dropship_core.markets.compliance import prepare
    md = _tree_only(sandboxes, "coupang")
    assert md.rules["80535"].source == "api-tree" and not md.rules["80535"].purchase_options
    listing = make_listing(market="coupang")
    ai = {"attributes": {"capacity": "500ml"}}
    assert prepare("coupang", listing, {"origin": "중국"}, ai, md) == []
    assert {a["attributeTypeName"] for a in listing["coupang_attributes"]["BK"]} == \
        {"색상", "용량", "수량"}
    with sandboxes.client("coupang") as c:
        assert c.create_seller_product(b.build_coupang_product(listing, _seller()))
    no_capacity = make_listing(market="coupang")            # the sandbox would refuse it
    assert any("'용량'" in r for r in prepare("coupang", no_capacity, {}, None, md))


def test_coupang_one_size_product_is_sent_as_free_and_accepted(sandboxes):
    from dropship_core.markets.compliance import prepare
    from dropship_core.markets.metadata import shipped
    listing = make_listing(market="coupang", category_id="80473")   # 식판: 색상 | 사이즈 | 수량
    assert prepare("coupang", listing, {"origin": "중국"}, None, shipped("coupang")) == []
    assert {"attributeTypeName": "사이즈", "attributeValueName": "FREE",
            "exposed": "EXPOSED"} in listing["coupang_attributes"]["BK"]
    with sandboxes.client("coupang") as c:
        assert c.create_seller_product(b.build_coupang_product(listing, _seller()))


def test_esm_tree_only_rules_hold_products_with_options_until_the_rules_are_read(sandboxes):
    from dropship_core.markets.compliance import prepare
    md = _tree_only(sandboxes, "gmarket")
    listing = make_listing(market="gmarket")
    reasons = prepare("gmarket", listing, {"origin": "중국"}, None, md)
    assert len(reasons) == 1 and "materialize market_category_rules" in reasons[0]
    single = make_listing(market="gmarket", options=False)
    assert prepare("gmarket", single, {"origin": "중국"}, None, md) == []
    with sandboxes.client("gmarket") as c:
        assert c.create_goods(b.build_esm_goods(single, _seller()))
