"""Pricing rules, including the one that matters most: never below cost."""

import pytest
from hypothesis import given, settings, strategies as st

from dropship_core.listing import build_listing, market_entry
from dropship_core.pricing import DEFAULT_POLICY_DOC, MarketPolicy, PolicyError, listed_stock, policy_from_doc, quote
from dropship_core.titles import clean_title, fit_title


def test_price_formula_and_rounding():
    p = MarketPolicy(commission_rate=0.10, target_margin=0.15, rounding_unit=10)
    q = quote(7500, 3000, p)
    # 7500 / (1 - 0.25) = 10000 exactly
    assert q.price == 10000
    p2 = MarketPolicy(commission_rate=0.10, target_margin=0.15, rounding_unit=100, free_shipping=True)
    # (7500 + 3000) / 0.75 = 14000
    assert quote(7500, 3000, p2).price == 14000
    assert quote(7501, 0, p2).price == 10100  # rounded up, never down


def test_category_commission_overrides_default():
    p = MarketPolicy(commission_rate=0.108, category_commission={"디지털/가전": 0.078})
    assert p.commission_for("디지털/가전>음향>이어폰") == 0.078
    assert p.commission_for("생활/건강>수납") == 0.108


def test_invalid_policy_is_refused():
    with pytest.raises(PolicyError):
        MarketPolicy(commission_rate=0.5, target_margin=0.5)
    with pytest.raises(PolicyError):
        policy_from_doc({"smartstore": {"commision_rate": 0.1}})
    with pytest.raises(PolicyError, match="cost must be positive"):
        quote(0, 0, MarketPolicy(commission_rate=0.1))


@settings(max_examples=300, deadline=None)
@given(
    cost=st.integers(min_value=1, max_value=5_000_000),
    shipping=st.integers(min_value=0, max_value=20_000),
    commission=st.floats(min_value=0, max_value=0.3),
    margin=st.floats(min_value=0.0, max_value=0.4),
    min_margin_share=st.floats(min_value=0, max_value=1),
    unit=st.sampled_from([1, 10, 100, 1000]),
    free=st.booleans(),
)
def test_never_below_cost(cost, shipping, commission, margin, min_margin_share, unit, free):
    if commission + margin >= 0.95:
        return
    p = MarketPolicy(commission_rate=commission, target_margin=margin, min_margin=margin * min_margin_share,
                     rounding_unit=unit, free_shipping=free)
    q = quote(cost, shipping, p)
    absorbed = shipping if free else 0
    net = q.price * (1 - commission)
    assert q.price % unit == 0
    assert net >= (cost + absorbed) - 1e-6
    assert net - (cost + absorbed) >= q.price * p.min_margin - 1e-6 * q.price


@given(st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)), st.integers(0, 10), st.integers(1, 10**5))
def test_listed_stock_bounds(stock, buffer, cap):
    p = MarketPolicy(commission_rate=0.1, safety_stock=buffer, max_stock=cap)
    s = listed_stock(stock, p)
    assert 0 <= s <= cap
    if stock is not None:
        assert s <= max(0, stock - buffer)


def test_clean_title_strips_noise_and_repeats():
    assert clean_title("[무료배송] ★특가★ 코멧 스텐 텀블러 텀블러 500ml (당일발송)") == "코멧 스텐 텀블러 500ml"
    assert clean_title("【신상】 리빙웰   수납박스  ") == "리빙웰 수납박스"


@given(st.text(alphabet="가나다라마바사 텀블러스테인리스ABC123", min_size=0, max_size=300))
def test_fit_title_limits(title):
    assert len(fit_title(title, "smartstore")) <= 100
    assert len(fit_title(title, "gmarket").encode("utf-8")) <= 100


def _raw(**kw):
    base = {"supplier_key": "s", "supplier_item_id": "X1", "name": "[특가] 코멧 텀블러 500ml", "cost": 7500,
            "shipping_fee": 3000, "stock": 10, "images": ["https://i/1.jpg"], "variants": [], "status": "active",
            "tax_type": "TAX"}
    base.update(kw)
    return base


def test_listing_reasons_and_entry_diff():
    policy = policy_from_doc(DEFAULT_POLICY_DOC).for_market("smartstore")
    ai = {"categories": {"smartstore": {"id": "50000803", "path": "생활/건강>주방용품>텀블러"}}}
    listing, reasons = build_listing("smartstore", _raw(), ai, policy)
    assert reasons == [] and listing["price"] > 7500 and listing["stock"] == 8
    _, reasons = build_listing("smartstore", _raw(images=[]), {}, policy)
    assert reasons == ["no representative image", "no smartstore category mapping"]
    first = market_entry("smartstore", _raw(), ai, policy, None, "k1")
    assert first["status"] == "pending" and first["diff"] == {"created": True}
    published = {**first, "published_hash": first["listing_hash"], "status": "published", "external": {"id": 1}}
    same = market_entry("smartstore", _raw(), ai, policy, published, "k2")
    assert same["status"] == "published" and same["external"] == {"id": 1}
    cheaper = market_entry("smartstore", _raw(cost=5000), ai, policy, published, "k3")
    assert cheaper["status"] == "pending_update"
    assert set(cheaper["diff"]) == {"cost", "price", "margin"} or "price" in cheaper["diff"]


def test_banned_word_blocks_only_when_it_would_be_listed():
    policy = policy_from_doc(DEFAULT_POLICY_DOC).for_market("coupang")
    cat = {"coupang": {"id": "1", "path": "x"}}
    cleaned = {"categories": cat, "titles": {"coupang": "코멧 텀블러 500ml"}, "banned_words": ["최저가"],
               "description": "좋은 텀블러"}
    _, reasons = build_listing("coupang", _raw(name="최저가 코멧 텀블러 500ml"), cleaned, policy)
    assert reasons == []
    kept = {**cleaned, "description": "최저가 보장 텀블러"}
    _, reasons = build_listing("coupang", _raw(), kept, policy)
    assert reasons == ["banned words: 최저가"]
