"""Labelled specifications of a description ('색상: 화이트') fill what a market's category asks
for when the name and the options do not, and the sandbox takes the result."""

from __future__ import annotations

import dataclasses

import pytest

from dropship_core.markets import builders as b
from dropship_core.markets.compliance import prepare
from dropship_core.markets.metadata import shipped
from dropship_core.markets.settings import SANDBOX_SELLER
from dropship_core.markets.specs import spec_fact, spec_pairs, spec_value
from markets_testkit import make_listing

PAIRS = [
    ("색상: 화이트", {"색상": "화이트"}),
    ("색상 : 화이트 / 사이즈 : 12x12cm", {"색상": "화이트", "사이즈": "12x12cm"}),
    ("- 컬러：블랙", {"컬러": "블랙"}),
    ("[모델명] : BT-100", {"모델명": "BT-100"}),
    ("소재: ABS | 원산지: 중국", {"소재": "ABS", "원산지": "중국"}),
    ("■ 평량: 55g ■ 매수: 70매", {"평량": "55g", "매수": "70매"}),
    ("물티슈 평량: 55g, 제조사: 코멧", {"물티슈 평량": "55g", "제조사": "코멧"}),
    ("원산지: 상세설명 참조", {}),                 # defers to the detail page: no value
    ("색상: 화이트/블랙", {}),                     # several values: no value
    ("색상: 문의", {}),
    ("꼼꼼한 검수 후 발송합니다.", {}),             # free text is not a specification
    ("평량 55g", {}),                              # no label separator
    ("색상: 화이트\n색상: 블랙", {"색상": "화이트"}),  # first wins
    # HTML detail pages: paragraphs, line breaks, table rows, entities
    ("<p>이름</p><p>■ 색상: 블랙</p><p>■ 용량: 500ml</p><img src='x'/>",
     {"색상": "블랙", "용량": "500ml"}),
    ("<table><tr><th>색상</th><td>네이비</td></tr><tr><td>소재</td><td>면 100%</td></tr></table>",
     {"색상": "네이비", "소재": "면 100%"}),
    ("평량: 55g<br/>매수&nbsp;: 70매", {"평량": "55g", "매수": "70매"}),
    ("<p>원산지: 상세설명 참조</p>", {}),
    ("■ 1장당 칸 수: 24개", {"1장당 칸 수": "24개"}),      # a count-qualified label
    ("2026: 신상품", {}),                              # a number alone is no label
]


@pytest.mark.parametrize("text,want", PAIRS)
def test_spec_pairs(text, want):
    assert spec_pairs(text) == want


@pytest.mark.parametrize("spec,name,want", [
    ({"색상": "화이트"}, "색상", "화이트"),
    ({"컬러": "화이트"}, "색상", "화이트"),            # same option axis
    ({"COLOR": "white"}, "색상", "white"),
    ({"물티슈 평량": "55g"}, "평량", "55g"),           # label ends with the market's name
    ({"단수": "3단"}, "단 수", "3단"),                  # spaces ignored
    ({"용량": "500ml"}, "개당 용량", "500ml"),
    ({"사이즈": "M"}, "색상", None),
])
def test_spec_value_for_a_market_attribute(spec, name, want):
    assert spec_value(spec, name) == want


@pytest.mark.parametrize("spec,fact,want", [
    ({"재질": "스테인리스"}, "material", "스테인리스"), ({"품번": "K-1"}, "model", "K-1"),
    ({"제조국": "베트남"}, "origin", "베트남"), ({"제조원": "코멧"}, "manufacturer", "코멧"),
    ({"색상": "블랙"}, "material", None),
])
def test_spec_facts(spec, fact, want):
    assert spec_fact(spec, fact) == want


def _single(category_id: str, description: str) -> dict:
    listing = make_listing(market="coupang", options=False, category_id=category_id)
    listing["title"] = "무아 무드등 LED 수면등 터치형"
    listing["description"] = description
    return listing


@pytest.mark.parametrize("code,description,attrs", [
    ("78360", "제품 사양\n색상: 화이트", {"색상": "화이트"}),            # 무드등: 색상
    ("63908", "평량: 55g\n색상: 민트", {"평량": "55g"}),               # 물티슈: 평량 [g]
    ("81886", "색상: 카키 / 단 수: 2단", {"색상": "카키", "단 수": "2개"}),  # 단 수 [개]
])
def test_a_stated_specification_fills_the_purchase_option_and_coupang_takes_it(
        sandboxes, code, description, attrs):
    listing = _single(code, description)
    assert prepare("coupang", listing, {"origin": "중국"}, None, shipped("coupang")) == []
    sent = {a["attributeTypeName"]: a["attributeValueName"]
            for a in next(iter(listing["coupang_attributes"].values()))}
    assert attrs.items() <= sent.items(), sent
    with sandboxes.client("coupang") as c:
        assert c.create_seller_product(
            b.build_coupang_product(listing, dataclasses.replace(SANDBOX_SELLER)))


def test_without_a_stated_colour_the_reason_says_what_to_add():
    listing = _single("78360", "꼼꼼한 검수 후 발송합니다. 원산지: 상세설명 참조")
    reasons = prepare("coupang", listing, {"origin": "중국"}, None, shipped("coupang"))
    assert len(reasons) == 1 and "'색상'" in reasons[0] and "supplier data" in reasons[0]


def test_a_stated_specification_in_html_fills_the_purchase_option(sandboxes):
    listing = _single("78360", "<p>무드등</p><p>■ 색상: 화이트</p><img src='x.jpg'/>")
    assert prepare("coupang", listing, {"origin": "중국"}, None, shipped("coupang")) == []


def test_too_many_purchase_options_names_the_supplier_axis_to_split():
    # 물티슈 (63908) asks for 평량, 개당 수량 and 수량; a supplier colour option makes four
    listing = make_listing(market="coupang", options=True, category_id="63908")
    listing["title"] = "아기 물티슈 캡형 100매 10팩"
    listing["description"] = "평량: 55g"
    reasons = prepare("coupang", listing, {"origin": "중국"}, None, shipped("coupang"))
    assert any("at most 3 purchase options" in r and "as its own product" in r for r in reasons), reasons
