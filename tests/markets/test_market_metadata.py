"""Market metadata: the clients against the sandboxes, notices per category family, KC, and
the sandboxes refusing each kind of non-compliant body in the market's own error shape."""

from __future__ import annotations

import copy

import pytest

from dropship_core.markets import builders as b
from dropship_core.markets.compliance import prepare
from dropship_core.markets.metadata import shipped
from dropship_core.markets.metadata.families import FAMILIES, family_for_path
from dropship_core.markets.metadata.fetch import fetch_metadata
from dropship_core.markets.metadata.mapping import resolve
from dropship_core.markets.metadata.model import CategoryRules
from dropship_core.markets.notices import notice_plan, render_coupang, render_esm, render_naver
from dropship_core.markets.settings import SANDBOX_SELLER
from markets_testkit import make_listing, tumbler_category
from dropship_sandbox.market_rules import esm_sandbox_tree


# -- clients against the sandboxes ----------------------------------------------------------

def test_coupang_metadata_client_reads_tree_metas_and_agreement(sandboxes):
    with sandboxes.client("coupang") as c:
        md = fetch_metadata(c, "coupang", ["80535"])
    assert len(md.rules) == 6324 and md.extra == {"auto_category": True}
    r = md.rules["80535"]
    assert r.source == "api" and r.path.endswith("텀블러>텀블러/콜드컵")
    assert [(o.name, o.unit) for o in r.purchase_options] == [("색상", None), ("용량", "ml"),
                                                              ("수량", "개")]
    assert r.notice_types == ("ETC",) and r.notice_fields["ETC"][0] == "품명 및 모델명"
    assert md.rules["80536"].source == "api-tree"       # not asked: tree only
    assert md.version.startswith("coupang:api:")


def test_naver_metadata_client_reads_categories_notice_types_and_kc(sandboxes):
    with sandboxes.client("smartstore") as c:
        md = fetch_metadata(c, "smartstore", ["50004540", "50002334"])
    assert len(md.rules) == 5804
    assert md.rules["50004540"].notice_types[0] == "ETC"
    speaker = md.rules["50002334"]                    # 블루투스이어폰: 소형전자 + KC
    assert speaker.notice_types[0] == "MICROELECTRONICS"
    assert speaker.certifications and speaker.certifications[0].id == "1000"
    assert "itemName" in speaker.notice_fields["MICROELECTRONICS"]


def test_esm_metadata_client_walks_site_cats_and_reads_options(sandboxes):
    with sandboxes.client("gmarket") as c:
        code = tumbler_category("gmarket")
        md = fetch_metadata(c, "gmarket", [code])
    assert len(md.rules) == len(esm_sandbox_tree().rules)
    r = md.rules[code]
    assert r.free_text_options and {o.no for o in r.recommended_opts} == {0, 9001, 9002}
    colours = dict((v, n) for n, v in next(o for o in r.recommended_opts if o.no == 9001).values)
    assert colours["블랙"] == 9100
    assert r.notice_fields["ETC"][:2] == ("품명 및 모델명", "인증/허가 사항")
    assert md.extra["notice_groups"][-1] == 35


# -- notices per category family -----------------------------------------------------------

FAMILY_PATHS = [
    ("패션의류>남성의류>티셔츠", "WEAR"), ("패션잡화>여성신발>운동화", "SHOES"),
    ("패션잡화>여성가방>에코백", "BAG"), ("패션잡화>모자>캡모자", "FASHION_ITEMS"),
    ("디지털/가전>주방가전>전기밥솥", "HOME_APPLIANCES"),
    ("디지털/가전>음향가전>블루투스셋>블루투스이어폰/이어셋", "MICROELECTRONICS"),
    ("디지털/가전>휴대폰>자급제폰", "CELLPHONE"), ("디지털/가전>휴대폰액세서리>케이블", "ETC"),
    ("화장품/미용>스킨케어>에센스", "COSMETIC"), ("식품>농산물>견과류>아몬드", "FOOD"),
    ("식품>냉동/간편조리식품>누룽지", "GENERAL_FOOD"), ("식품>건강식품>비타민", "DIET_FOOD"),
    ("스포츠/레저>캠핑>캠핑가구>캠핑의자", "SPORTS_EQUIPMENT"), ("생활/건강>주방용품>잔/컵", "ETC"),
    ("가전/디지털>음향기기/이어폰/스피커>블루투스 스피커", "MICROELECTRONICS"),   # Coupang names
    ("식품>가공/즉석식품>라면>봉지라면", "GENERAL_FOOD"), ("뷰티>스킨>크림", "COSMETIC"),
    ("패션의류잡화>여성패션>여성잡화>가방>여성캔버스/에코백", "BAG"),
]

FACTS = {"title": "상품", "model_name": "상품 (M-1)", "model": "M-1", "manufacturer": "제조사",
         "origin": "국산", "color": "블랙", "size": "M", "material": "면", "kc": "KC 인증 R-1"}


@pytest.mark.parametrize("path,family", FAMILY_PATHS)
def test_family_of_each_category_and_its_notice_in_three_shapes(path, family):
    assert family_for_path(path).key == family
    rules = CategoryRules("smartstore", "1", path, notice_types=(family,))
    plan, reasons = notice_plan(rules, FACTS)
    assert plan["type"] == family and reasons == []
    fam = FAMILIES[family]
    naver = render_naver(plan, SANDBOX_SELLER)
    group = naver[fam.naver_key]
    assert naver["productInfoProvidedNoticeType"] == family
    assert all(group[f.naver_key] for f in fam.fields if f.naver_key)
    coupang = render_coupang(plan, SANDBOX_SELLER)
    assert {n["noticeCategoryName"] for n in coupang} == {fam.name}
    assert [n["noticeCategoryDetailName"] for n in coupang] == [f.label for f in fam.fields]
    esm = render_esm(plan, SANDBOX_SELLER)
    assert esm["officialNoticeNo"] == fam.esm_group
    assert [d["officialNoticeItemelementCode"] for d in esm["details"]] == [
        f"{fam.esm_group}-{i + 1}" for i in range(len(fam.fields))]
    assert all(d["value"] for d in esm["details"])


def test_facts_fill_the_notice_and_detail_page_where_allowed():
    rules = CategoryRules("coupang", "1", "패션의류>남성의류>티셔츠", notice_types=("WEAR",))
    plan, reasons = notice_plan(rules, {"color": "블랙, 화이트", "size": "M, L", "origin": "국산"})
    assert reasons == []
    v = plan["values"]
    assert (v["색상"], v["치수"], v["제조국"]) == ("블랙, 화이트", "M, L", "국산")
    assert v["제품 소재"] is None            # rendered as 상세페이지 참조
    assert render_coupang(plan, SANDBOX_SELLER)[0]["content"] == SANDBOX_SELLER.notice_default


def test_food_origin_cannot_be_deferred_to_the_detail_page():
    rules = CategoryRules("smartstore", "1", "식품>농산물>견과류", notice_types=("FOOD",))
    _, reasons = notice_plan(rules, {"title": "아몬드"})
    assert len(reasons) == 1 and "원산지" in reasons[0] and "not accepted" in reasons[0]


def _kc_listing(market: str, code: str, raw_extra: dict | None = None):
    listing = make_listing(options=False, market=market)
    listing["category_id"] = code
    raw = {"origin": "중국", "manufacturer": "제조사", "model": "BT-1", **(raw_extra or {})}
    return listing, raw


def test_kc_blocks_without_certificate_and_is_carried_when_given():
    md = shipped("smartstore")
    listing, raw = _kc_listing("smartstore", "50002334")
    reasons = prepare("smartstore", listing, raw, None, md)
    assert any("KC 적합성평가 (전파법" in r and "add the KC number" in r for r in reasons)
    listing, raw = _kc_listing("smartstore", "50002334", {"kc_cert": "R-C-abc-BT100"})
    assert prepare("smartstore", listing, raw, None, md) == []
    body = b.build_smartstore_product(listing, SANDBOX_SELLER)["originProduct"]["detailAttribute"]
    assert body["productCertificationInfos"][0]["certificationNumber"] == "R-C-abc-BT100"
    assert body["certificationTargetExcludeContent"]["kcCertifiedProductExclusionYn"] == "FALSE"
    assert body["productInfoProvidedNotice"]["productInfoProvidedNoticeType"] == \
        "MICROELECTRONICS"
    assert "R-C-abc-BT100" in body["productInfoProvidedNotice"]["microElectronics"][
        "certificationType"]


@pytest.mark.parametrize("description,number", [
    ("<p>■ KC인증번호: R-C-abc-BT100</p><p>■ 색상: 블랙</p>", "R-C-abc-BT100"),
    ("<table><tr><th>KC 안전확인</th><td>YU071234-1234A</td></tr></table>", "YU071234-1234A"),
    ("<p>KC인증번호: 상세페이지 참조</p>", None),        # deferred: no number
    ("<p>인증번호: 12345</p>", None),                   # not a KC number
    ("<p>모델명: R-C-abc-BT100</p>", None),             # not a certification label
])
def test_kc_number_stated_on_the_detail_page_is_carried(description, number):
    # suppliers with no certification field (Domeggook) state the KC number on the detail page
    md = shipped("smartstore")
    listing, raw = _kc_listing("smartstore", "50002334", {"description": description})
    reasons = prepare("smartstore", listing, raw, None, md)
    if number is None:
        assert any("add the KC number" in r for r in reasons)
        return
    assert reasons == [] and listing["certifications"][0]["number"] == number


def _esm_code(path: str) -> str:
    return next(r.category_id for r in esm_sandbox_tree().rules.values() if r.path == path)


@pytest.mark.parametrize("market,path,title,names", [
    ("smartstore", "50002334", "코멧 이어폰", "KC 적합성평가 (전파법"),       # 블루투스이어폰 branch
    ("coupang", "62713", "휴대용 스피커", "KC 적합성평가 (전파법"),          # 블루투스 스피커
    ("gmarket", "디지털/가전>음향가전>스피커", "휴대용 블루투스 스피커 방수", "KC 적합성평가 (전파법"),
    ("gmarket", "디지털/가전>음향가전>스피커", "2채널 유선 PC 스피커", "전기용품 및 생활용품"),
])
def test_kc_reason_names_the_certificate_the_product_needs(market, path, title, names):
    md = esm_sandbox_tree() if market == "gmarket" else shipped(market)
    listing, raw = _kc_listing(market, _esm_code(path) if market == "gmarket" else path)
    listing["title"] = title
    reasons = prepare(market, listing, raw, None, md)
    assert any(names in r and "add the KC number" in r for r in reasons), reasons


# -- mapping ----------------------------------------------------------------------------------

def _ai(path: str, coupang_id=None) -> dict:
    return {"categories": {"smartstore": {"id": "1", "path": path},
                           "coupang": {"id": coupang_id, "path": ""} if coupang_id else None}}


@pytest.mark.parametrize("ss_path,top", [
    ("패션의류>남성의류>티셔츠", "패션의류잡화"),                 # not the pet T-shirt
    ("디지털/가전>음향가전>스피커>블루투스스피커", "가전/디지털"),   # not the car speaker
    ("생활/건강>반려동물>외출용품>리드줄", "반려/애완용품"),
    ("생활/건강>주방용품>식기>식판", "주방용품"),
    ("출산/육아>물티슈>캡형", "생활용품"),                         # baby branch missing: general wipes
])
def test_coupang_name_match_stays_in_the_branch_of_the_goods(ss_path, top):
    cat, why = resolve("coupang", _ai(ss_path), shipped("coupang"), {"coupang": []})
    assert why is None and cat["source"] == "name" and cat["path"].split(">")[0] == top, cat


def test_coupang_name_match_refuses_a_leaf_of_another_kind_of_goods():
    # the only Coupang leaves named 조명 are RC-toy parts: an interior lamp is not mapped there
    cat, why = resolve("coupang", _ai("가구/인테리어>인테리어소품>조명>인테리어조명"),
                       shipped("coupang"), {"coupang": []})
    assert cat is None and "category_overrides.yaml" in why


@pytest.mark.parametrize("confidence,held", [(0.2, True), (0.24, True), (0.8, False),
                                               (None, False)])
def test_unsure_coupang_classifier_category_is_held_for_review(confidence, held, monkeypatch):
    monkeypatch.delenv("DROPSHIP_CATEGORY_HOLD_BELOW", raising=False)
    ai = _ai("스포츠/레저>캠핑>캠핑가구>캠핑박스", "81886")
    ai["categories"]["coupang"]["confidence"] = confidence
    cat, why = resolve("coupang", ai, shipped("coupang"), {"coupang": []})
    assert why is None and cat["id"] == "81886" and bool(cat.get("held")) is held
    if held:
        assert "below 0.25" in cat["held_reason"] and "category_overrides.yaml" in cat["held_reason"]


def test_esm_category_found_by_names_in_the_market_tree():
    md = esm_sandbox_tree()
    cat, why = resolve("gmarket", _ai("생활/건강>주방용품>잔/컵>텀블러"), md)
    assert why is None and cat["path"] == "생활/건강>주방용품>잔/컵" and cat["source"] == "name"


def test_without_an_esm_tree_the_reason_says_what_to_do():
    cat, why = resolve("gmarket", _ai("생활/건강>주방용품>잔/컵>텀블러"), shipped("gmarket"))
    assert cat is None and "ESM_MASTER_ID" in why and "category_overrides.yaml" in why


def test_override_file_wins_and_unknown_codes_are_refused():
    md = shipped("coupang")
    over = {"coupang": [("생활/건강>주방용품", "80534")], "gmarket": [], "smartstore": []}
    cat, why = resolve("coupang", _ai("생활/건강>주방용품>잔/컵>텀블러", "80535"), md, over)
    assert cat["id"] == "80534" and cat["source"] == "override"
    over["coupang"] = [("생활/건강", "999999999")]
    cat, why = resolve("coupang", _ai("생활/건강>주방용품>잔/컵>텀블러", "80535"), md, over)
    assert cat is None and "not in the coupang category tree" in why


def test_coupang_uncovered_branch_uses_auto_category_only_when_agreed():
    md = copy.copy(shipped("coupang"))
    ai = _ai("화장품/미용>스킨케어>에센스")
    cat, why = resolve("coupang", ai, md, {"coupang": []})
    assert cat is None and "automatic category matching" in why
    md.extra = {"auto_category": True}
    cat, why = resolve("coupang", ai, md, {"coupang": []})
    assert why is None and cat["auto"] is True
    listing = make_listing(options=False, market="coupang", category_id=None)
    assert prepare("coupang", listing, {}, None, md, cat) == []
    body = b.build_coupang_product(listing, SANDBOX_SELLER)
    assert "displayCategoryCode" not in body and "notices" not in body["items"][0]


def test_kc_number_from_a_supplier_workbook_reaches_the_listing(tmp_path):
    from openpyxl import Workbook

    from dropship_core.suppliers.excel import ExcelCatalog

    wb = Workbook()
    wb.active.append(["상품코드", "상품명", "공급가", "재고", "원산지", "제조사", "대표이미지", "KC인증번호"])
    wb.active.append(["E1", "코멧 블루투스 이어폰", 9000, 5, "중국", "코멧", "https://img.kr/e.jpg",
                      "R-C-abc-BT100"])
    wb.save(tmp_path / "kc.xlsx")
    product = ExcelCatalog("excel-kc", tmp_path / "kc.xlsx").fetch().products[0].to_dict()
    assert product["notice"]["certificates"][0]["number"] == "R-C-abc-BT100"
    listing, _ = _kc_listing("smartstore", "50002334")
    assert prepare("smartstore", listing, product, None, shipped("smartstore")) == []
    assert listing["certifications"][0]["number"] == "R-C-abc-BT100"


def test_coupang_classifier_pick_outside_the_goods_branch_falls_back_to_names():
    # a laptop backpack (SmartStore 패션잡화) scored into Coupang's camera-bag backpack leaf
    md = shipped("coupang")
    camera_bag = next(r.category_id for r in md.rules.values()
                      if r.path.startswith("가전/디지털>카메라") and r.path.endswith(">백팩"))
    cat, why = resolve("coupang", _ai("패션잡화>남성가방>백팩", camera_bag), md, {"coupang": []})
    assert why is None and cat["source"] == "name" and cat["id"] != camera_bag
    # no Coupang leaf is named 백팩 there: the qualified name in the men's branch the path names
    assert cat["path"] == "패션의류잡화>남성패션>남성잡화>가방>남성백팩", cat
    # inside the branch the classifier's pick stands
    inside = next(r.category_id for r in md.rules.values()
                  if r.path.startswith("패션의류잡화>여성패션") and r.path.endswith(">여성백팩"))
    cat, _ = resolve("coupang", _ai("패션잡화>남성가방>백팩", inside), md, {"coupang": []})
    assert cat["id"] == inside and cat["source"] == "classifier"


def test_editing_the_override_file_changes_the_listing_input_key(tmp_path, monkeypatch):
    from dropship_core.markets.metadata.mapping import load_overrides, overrides_fingerprint

    f = tmp_path / "overrides.yaml"
    f.write_text("coupang: {}\n", encoding="utf-8")
    monkeypatch.setenv("DROPSHIP_CATEGORY_OVERRIDES", str(f))
    load_overrides.cache_clear()
    before = overrides_fingerprint()
    f.write_text('coupang:\n  "생활/건강>주방용품": "80534"\n', encoding="utf-8")
    load_overrides.cache_clear()
    try:
        assert overrides_fingerprint() != before
        assert load_overrides()["coupang"] == [("생활/건강>주방용품", "80534")]
    finally:
        monkeypatch.delenv("DROPSHIP_CATEGORY_OVERRIDES")
        load_overrides.cache_clear()
