"""Descriptions reach marketplace HTML only through the allow-list sanitiser (no raw fallback, the
model's output included); formula-looking text is neutralised and flagged."""

import json

import pytest

from dropship_core.html_safety import clean_html, formula_like, neutralise_cell
from dropship_core.listing import build_listing, market_entry
from dropship_core.markets.common import detail_html
from dropship_core.markets.coupang.body import build_coupang_product
from dropship_core.markets.settings import SANDBOX_SELLER
from dropship_core.markets.smartstore.body import build_smartstore_product
from dropship_core.pricing import DEFAULT_POLICY_DOC, policy_from_doc

HOSTILE = ('<script>alert(document.cookie)</script><img src=x onerror="alert(1)">'
           '<iframe src="https://evil.example/"></iframe><a href="javascript:alert(1)">x</a>')
CAT = {"categories": {"smartstore": {"id": "50000803", "path": "생활/건강>주방용품>텀블러"},
                      "coupang": {"id": "80289", "path": "주방용품>텀블러"}}}


def _raw(**kw):
    base = {"supplier_key": "s", "supplier_item_id": "X1", "name": "코멧 텀블러 500ml", "cost": 7500,
            "shipping_fee": 3000, "stock": 10, "images": ["https://i.example/1.jpg"], "variants": [],
            "status": "active", "tax_type": "TAX", "description": HOSTILE}
    base.update(kw)
    return base


def _bodies(listing):
    return json.dumps([build_smartstore_product(listing, SANDBOX_SELLER),
                       build_coupang_product(listing, SANDBOX_SELLER)], ensure_ascii=False)


def _assert_inert(text):
    low = text.lower()
    for bad in ("<script", "onerror", "javascript:", "<iframe", "alert(document"):
        assert bad not in low, (bad, text[:300])


@pytest.mark.parametrize("ai_description", ["", None])
def test_description_sanitised_to_nothing_is_not_replaced_by_the_raw_text(ai_description):
    policy = policy_from_doc(DEFAULT_POLICY_DOC).for_market("smartstore")
    ai = dict(CAT, description=ai_description)
    listing, _ = build_listing("smartstore", _raw(), ai, policy)
    assert listing["description"] == ""
    _assert_inert(_bodies(listing))


def test_unenriched_product_description_is_sanitised_too():
    policy = policy_from_doc(DEFAULT_POLICY_DOC).for_market("smartstore")
    listing, _ = build_listing("smartstore", _raw(description="<p>튼튼한</p>" + HOSTILE + "<p>텀블러</p>"),
                               CAT, policy)
    assert "튼튼한" in listing["description"] and "텀블러" in listing["description"]
    _assert_inert(listing["description"] + _bodies(listing))


def test_model_written_description_goes_through_the_same_path():
    policy = policy_from_doc(DEFAULT_POLICY_DOC).for_market("smartstore")
    ai = dict(CAT, description='보온 텀블러 <img src=x onerror=alert(1)><script>steal()</script>')
    listing, _ = build_listing("smartstore", _raw(), ai, policy)
    assert listing["description"].startswith("보온 텀블러")
    _assert_inert(listing["description"] + _bodies(listing))


def test_detail_html_allow_list():
    out = detail_html({"description": '<p onclick="x()">좋은<b>상품</b></p>' + HOSTILE,
                       "images": ["https://i.example/1.jpg", "javascript:alert(1)"]})
    _assert_inert(out)
    assert "<p>좋은<b>상품</b></p>" in out and '<img src="https://i.example/1.jpg">' in out
    assert clean_html('<table><tr><td colspan="2" style="x">a</td></tr></table>') == \
        '<table><tbody><tr><td colspan="2">a</td></tr></tbody></table>'


def test_formula_text_is_neutralised_and_flagged():
    policy = policy_from_doc(DEFAULT_POLICY_DOC).for_market("smartstore")
    raw = _raw(name="=cmd|' /C calc'!A0 텀블러", brand="@SUM(1+1)", model="+1-2", manufacturer="-코멧",
               description="")
    entry = market_entry("smartstore", raw, CAT, policy, None, "k")
    lst = entry["listing"]
    for f in ("title", "brand", "model", "manufacturer"):
        assert not formula_like(lst[f]), (f, lst[f])
    assert {w.split(":")[0] for w in entry["warnings"]} == {"title", "brand", "model", "manufacturer"}
    assert neutralise_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")" and neutralise_cell("텀블러") == "텀블러"
    assert neutralise_cell(-5) == -5 and not formula_like("-") and formula_like(" @SUM(A1)")
