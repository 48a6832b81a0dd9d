"""Option mapping: normalisation of real supplier spellings and each market's option shape."""

from __future__ import annotations

import pytest

from dropship_core.markets.compliance import _esm, facts, naver_band, option_axis, purchase_value
from dropship_core.markets.metadata.model import CategoryRules, PurchaseOption, RecommendedOpt
from dropship_core.markets.options import (counts_in, norm_axis, norm_value, normalize_options,
                                           to_unit)

AXES = [("색상", "색상"), ("컬러", "색상"), ("칼라", "색상"), ("COLOR", "색상"), ("Colour", "색상"),
        ("색상선택", "색상"), ("사이즈", "사이즈"), ("SIZE", "사이즈"), ("치수", "사이즈"),
        ("크기", "사이즈"), ("호수", "사이즈"), ("신발사이즈", "사이즈"), ("길이", "길이"),
        ("LENGTH", "길이"), ("용량", "용량"), ("개당 용량", "용량"), ("무게", "중량"),
        ("중량", "중량"), ("수량", "수량"), ("입수", "수량"), ("개수", "수량"), ("타입", "타입"),
        ("종류", "타입"), ("디자인", "타입"), ("맛", "맛"), ("규격", "사이즈"), ("매수", "수량")]

COLORS = [("블랙", "블랙"), ("검정", "블랙"), ("검정색", "블랙"), ("BLACK", "블랙"), ("black", "블랙"),
          ("Black", "블랙"), ("BK", "블랙"), ("흑색", "블랙"), ("화이트", "화이트"), ("흰색", "화이트"),
          ("WHITE", "화이트"), ("백색", "화이트"), ("회색", "그레이"), ("GREY", "그레이"),
          ("gray", "그레이"), ("남색", "네이비"), ("곤색", "네이비"), ("NAVY", "네이비"),
          ("파랑", "블루"), ("BLUE", "블루"), ("빨강", "레드"), ("RED", "레드"), ("분홍", "핑크"),
          ("PINK", "핑크"), ("노랑", "옐로우"), ("옐로", "옐로우"), ("초록", "그린"), ("녹색", "그린"),
          ("KHAKI", "카키"), ("Beige", "베이지"), ("IVORY", "아이보리"), ("갈색", "브라운"),
          ("보라", "퍼플"), ("주황", "오렌지"), ("은색", "실버"), ("금색", "골드"), ("투명", "투명"),
          ("하늘색", "스카이블루"), ("민트", "민트"), ("체리핑크", "체리핑크")]

SIZES = [("XL", "XL"), ("xl", "XL"), ("엑스라지", "XL"), ("X-Large", "XL"), ("특대", "XL"),
         ("L", "L"), ("라지", "L"), ("Large", "L"), ("M", "M"), ("미디움", "M"), ("미디엄", "M"),
         ("S", "S"), ("스몰", "S"), ("XXL", "2XL"), ("2XL", "2XL"), ("투엑스라지", "2XL"),
         ("FREE", "FREE"), ("프리사이즈", "FREE"), ("Free Size", "FREE"), ("ONE SIZE", "FREE"),
         ("24 CM", "24cm"), ("24cm", "24cm"), ("230mm", "230mm"), ("95", "95")]

UNITS = [("1.5L", "ml", "1500ml"), ("500 ml", "ml", "500ml"), ("2kg", "g", "2000g"),
         ("300g", "g", "300g"), ("3", "개", "3개"), ("3개", "개", "3개"), ("10입", "개", "10개"),
         ("2m", "cm", "200cm"), ("abc", "ml", None), ("2kg", "ml", None),
         # Coupang's count units all count 개 (category-meta usableUnits of 수량(개))
         ("100매", "개", "100개"), ("10팩", "개", "10개"), ("12권", "개", "12개"),
         ("3 세트", "개", "3개"), ("2박스", "개", "2개"), ("10자루", "개", "10개"),
         ("2단", "개", "2개"), ("3칸", "개", "3개"), ("10팩", "ml", None), ("3개월", "개", None)]


@pytest.mark.parametrize("raw,want", AXES)
def test_axis_names(raw, want):
    assert norm_axis(raw) == want


@pytest.mark.parametrize("raw,want", COLORS)
def test_colour_values(raw, want):
    assert norm_value("색상", raw) == want


@pytest.mark.parametrize("raw,want", SIZES)
def test_size_values(raw, want):
    assert norm_value("사이즈", raw) == want


@pytest.mark.parametrize("raw,unit,want", UNITS)
def test_units(raw, unit, want):
    assert to_unit(raw, unit) == want


@pytest.mark.parametrize("name,axis", [("최대커버사이즈", "사이즈"), ("패션의류/잡화 사이즈", "사이즈"),
                                       ("개당 수량", "수량"), ("총 수량", "수량"),
                                       ("개당 중량", "중량"), ("개당 용량", "용량"), ("색상", "색상")])
def test_market_option_names_find_the_supplier_axis(name, axis):
    assert option_axis(name) == axis


def test_same_option_after_normalisation_is_a_conflict_not_a_merge():
    opts, problems = normalize_options([
        {"sku": "A", "options": {"컬러": "BLACK"}}, {"sku": "B", "options": {"색상": "검정"}},
        {"sku": "C", "options": {"COLOR": "white"}}])
    assert [o["options"] for o in opts] == [{"색상": "블랙"}, {"색상": "블랙"}, {"색상": "화이트"}]
    assert len(problems) == 1 and "A and B" in problems[0]


@pytest.mark.parametrize("opt,vopts,facts,want", [
    (PurchaseOption("색상"), {"색상": "블랙"}, {}, "블랙"),
    (PurchaseOption("색상"), {}, {"color": "화이트"}, "화이트"),
    (PurchaseOption("색상"), {}, {"color": "핑크/옐로우"}, None),     # several, no option
    (PurchaseOption("수량", unit="개"), {}, {}, "1개"),                # one unit is sold
    (PurchaseOption("수량", unit="개"), {"수량": "3개입"}, {}, "3개"),
    (PurchaseOption("개당 용량", group="1", unit="ml"), {}, {"capacity": "1.5L"}, "1500ml"),
    (PurchaseOption("개당 중량", group="1", unit="g"), {}, {"weight": "2kg"}, "2000g"),
    (PurchaseOption("최대커버사이즈", unit="cm"), {"사이즈": "24cm"}, {}, "24cm"),
    (PurchaseOption("패션의류/잡화 사이즈"), {}, {"one_size": True}, "FREE"),
    (PurchaseOption("패션의류/잡화 사이즈"), {}, {}, None),
    (PurchaseOption("사이즈"), {}, {"one_size": True}, "FREE"),          # one size sold
    (PurchaseOption("사이즈"), {}, {"one_size": True, "size": "25cm"}, "25cm"),
    (PurchaseOption("침구류사이즈"), {}, {"one_size": True}, None),      # a size is a fact here
    (PurchaseOption("수량", unit="개"), {}, {"quantity": "10팩"}, "10개"),
    (PurchaseOption("총 수량", unit="개"), {}, {"quantity": "10자루"}, "10개"),
    (PurchaseOption("수량", unit="개"), {}, {"quantity": "12권"}, "12개"),
    (PurchaseOption("수량", unit="개"), {}, {"quantity": "3 세트"}, "3개"),
    (PurchaseOption("개당 수량", unit="개"), {}, {"quantity": "10팩"}, "1개"),  # per pack unknown
    (PurchaseOption("수량", unit="개"), {}, {"quantity": "100매"}, "1개"),     # sheets, one pack
    (PurchaseOption("개당 수량", unit="개"), {}, {"title": "물티슈 70매 10팩"}, "70개"),
    (PurchaseOption("수량", unit="개"), {}, {"title": "물티슈 70매 10팩"}, "10개"),
    (PurchaseOption("수량", unit="개"), {}, {"title": "충전기 3개월 보증"}, "1개"),
    (PurchaseOption("수량"), {}, {"quantity": "2개"}, "2개"),                   # no unit given
    (PurchaseOption("수량", unit="개"), {}, {"name": "[1+1] 실리콘 식판"}, "2개"),  # 1+1 sells two
    (PurchaseOption("수량", unit="개"), {}, {"name": "2+1 물티슈 70매"}, "3개"),
    (PurchaseOption("개당 수량", unit="개"), {}, {"name": "[1+1] 식판"}, "1개"),
    (PurchaseOption("수량", unit="개"), {}, {"name": "USB 3.1+2.0 허브"}, "1개"),
    (PurchaseOption("모델명/품번"), {}, {"model": "T-500"}, "T-500"),
    (PurchaseOption("모델명/품번"), {}, {"item_no": "AC1000"}, "AC1000"),
    (PurchaseOption("사용 인원"), {}, {}, None),
])
def test_coupang_purchase_values(opt, vopts, facts, want):
    assert purchase_value(opt, vopts, facts) == want


def _esm_rules(free: bool) -> CategoryRules:
    opts = (RecommendedOpt(0, "선택형"),) if free else ()
    opts += (RecommendedOpt(9001, "색상", ((9100, "블랙"), (9101, "화이트"))),)
    return CategoryRules("gmarket", "900000001", "a>b>c", recommended_opts=opts)


def _listing(values: list[dict]) -> dict:
    return {"options": [{"sku": f"K{i}", "options": o, "price_delta": 0, "stock": 3}
                        for i, o in enumerate(values)]}


def test_esm_maps_values_to_numbers_and_free_text_to_code_0():
    lst = _listing([{"색상": "블랙"}, {"색상": "화이트"}])
    assert _esm(lst, _esm_rules(free=False)) == []
    ind = lst["esm_recommended_opts"]["independent"]
    assert ind["recommendedOptNo"] == 9001
    assert [d["recommendedOptValueNo"] for d in ind["details"]] == [9100, 9101]
    lst = _listing([{"색상": "블랙", "사이즈": "M"}, {"색상": "민트", "사이즈": "L"}])
    assert _esm(lst, _esm_rules(free=True)) == []
    comb = lst["esm_recommended_opts"]["combination"]
    assert lst["esm_recommended_opts"]["type"] == 2
    assert (comb["recommendedOptNo1"], comb["recommendedOptNo2"]) == (0, 0)  # 민트 has no number
    assert comb["details"][1]["recommendedOptValue1"] == {"koreanText": "민트"}


def test_esm_without_free_text_blocks_unknown_values_and_axes():
    reasons = _esm(_listing([{"색상": "민트"}, {"색상": "블랙"}]), _esm_rules(free=False))
    assert any("'민트'" in r and "free text is not allowed" in r for r in reasons)
    reasons = _esm(_listing([{"사이즈": "M"}, {"사이즈": "L"}]), _esm_rules(free=False))
    assert any("no recommended option for '사이즈'" in r for r in reasons)


@pytest.mark.parametrize("price,lo,hi", [(1500, 0, 1500), (5000, -2500, 5000),
                                         (20000, -10000, 10000)])
def test_naver_option_price_band(price, lo, hi):
    assert naver_band(price) == (lo, hi)


@pytest.mark.parametrize("variants,attrs,one_size", [
    ([{"색상": "핑크"}, {"색상": "민트"}], {}, True),          # colours only: one size
    ([], {}, True),                                           # single item, no size stated
    ([{"사이즈": "S"}, {"사이즈": "M"}], {}, False),             # sizes are options
    ([], {"size": "70cm"}, False),                            # the product states its size
])
def test_one_size_only_when_no_size_is_known(variants, attrs, one_size):
    listing = {"title": "t", "options": [{"sku": f"K{i}", "options": o, "price_delta": 0, "stock": 1}
                                         for i, o in enumerate(variants)]}
    assert facts(listing, {"supplier_item_id": "K"}, {"attributes": attrs}, None)["one_size"] is one_size


@pytest.mark.parametrize("text,want", [
    ("아기 물티슈 캡형 70매 10팩", [("70", "매"), ("10", "팩")]),
    ("젤펜 0.5mm 10자루 세트", [("10", "자루")]),
    ("스프링 노트 A5 12권", [("12", "권")]),
    ("비타민 90정 2통", [("90", "정"), ("2", "통")]),
    ("텀블러 500ml", []), ("무선충전 거치대 15W", []), ("보증 3개월", []),
])
def test_counts_stated_in_a_name(text, want):
    assert counts_in(text) == want
