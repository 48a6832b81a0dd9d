"""The Naver Shopping search client against the local sandbox over HTTP (httpx), with the budget
and cache in Postgres."""

from __future__ import annotations

import httpx
import pytest

from dropship_core.evidence.matching import match, price_evidence, query_for
from dropship_core.evidence.naver_search import (SOURCE, NaverSearchError, NaverShopSearch, SearchBudgetExhausted,
                                                 category_votes, parse_item, today_kst)
from dropship_core.evidence.store import EvidenceStore
from dropship_sandbox.naver_search import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

CATS = {"category1": "디지털/가전", "category2": "계절가전", "category3": "선풍기", "category4": "휴대용선풍기"}
OFFERS = [
    {"title": "에어쿨 핸디 선풍기 FAN-200", "lprice": 15900, "hprice": 32000, "mallName": "네이버",
     "productId": "111", "productType": 1, "brand": "에어쿨", "maker": "에어쿨", **CATS},
    {"title": "에어쿨 핸디 선풍기 FAN-200 화이트", "lprice": 17500, "hprice": "", "mallName": "쿠팡",
     "productId": "112", "productType": 3, "brand": "에어쿨", "maker": "에어쿨", **CATS},
    {"title": "에어쿨 핸디 선풍기 FAN-200 전용 케이스", "lprice": 3900, "hprice": "", "mallName": "11번가",
     "productId": "113", "productType": 2, "brand": "", "maker": "", **CATS},
    {"title": "에어쿨 핸디 선풍기 FAN-200 2개 세트", "lprice": 29000, "hprice": "", "mallName": "G마켓",
     "productId": "114", "productType": 2, "brand": "에어쿨", "maker": "에어쿨", **CATS},
    {"title": "에어쿨 핸디 선풍기 FAN-300", "lprice": 12900, "hprice": "", "mallName": "옥션",
     "productId": "115", "productType": 2, "brand": "에어쿨", "maker": "에어쿨", **CATS},
    {"title": "에어쿨 핸디 선풍기 FAN-200", "lprice": 9000, "hprice": "", "mallName": "중고나라",
     "productId": "116", "productType": 5, "brand": "에어쿨", "maker": "에어쿨", **CATS},
    {"title": "쿨윈드 핸디 선풍기 FAN-200", "lprice": 11000, "hprice": "", "mallName": "위메프",
     "productId": "117", "productType": 2, "brand": "쿨윈드", "maker": "쿨윈드", **CATS},
]


def client(srv, store=None, **kw):
    ev = EvidenceStore(store.database_url) if store else None
    extra = {"budget": ev.budget(SOURCE), "cache": ev.cache()} if ev else {}
    return NaverShopSearch(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, base_url=srv.url, **extra, **kw)


def test_wire_format_auth_and_errors(naver):
    sb, srv = naver
    sb.offers = OFFERS
    # the sandbox checks the documented headers itself
    r = httpx.get(f"{srv.url}/v1/search/shop.json", params={"query": "핸디"},
                  headers={"X-Naver-Client-Id": SANDBOX_CLIENT_ID, "X-Naver-Client-Secret": "wrong"})
    assert r.status_code == 401 and r.json() == {"errorMessage": "Authentication failed (인증에 실패했습니다.)",
                                                 "errorCode": "024"}
    ok = {"X-Naver-Client-Id": SANDBOX_CLIENT_ID, "X-Naver-Client-Secret": SANDBOX_CLIENT_SECRET}
    r = httpx.get(f"{srv.url}/v1/search/shop.json", params={"query": "핸디", "display": 101}, headers=ok)
    assert r.status_code == 400 and r.json()["errorCode"] == "SE02"
    r = httpx.get(f"{srv.url}/v1/search/shop.json", params={"query": "핸디", "sort": "price"}, headers=ok)
    assert r.json()["errorCode"] == "SE04"
    assert httpx.get(f"{srv.url}/v1/search/blog.xml", headers=ok).json()["errorCode"] == "SE05"
    raw = httpx.get(f"{srv.url}/v1/search/shop.json", params={"query": "FAN-200", "display": 2, "sort": "asc"},
                    headers=ok).json()
    assert raw["display"] == 2 and raw["items"][0]["lprice"] == "3900" and "<b>FAN-200</b>" in raw["items"][0]["title"]

    c = client(srv)
    with pytest.raises(ValueError):
        c.search("핸디", display=101)
    res = c.search("에어쿨 핸디 FAN-200", display=100)
    assert all("<b>" not in it.title for it in res.items)
    assert res.items[0].title == "에어쿨 핸디 선풍기 FAN-200" and res.items[0].lprice == 15900
    assert res.items[1].hprice is None  # "" parsed leniently
    bad = NaverShopSearch(SANDBOX_CLIENT_ID, "not-the-secret", base_url=srv.url)
    with pytest.raises(NaverSearchError) as e:
        bad.search("핸디")
    assert e.value.status == 401 and e.value.code == "024" and "not-the-secret" not in str(e.value)
    sb.faults.append((500, "SE99", None))
    with pytest.raises(NaverSearchError) as e:
        c.search("다른 검색어")
    assert e.value.code == "SE99" and "SE99" in e.value.body


def test_budget_in_postgres_and_cache_per_normalised_query(naver, store):
    sb, srv = naver
    sb.offers = OFFERS
    c = client(srv, store, daily_limit=3)
    a = c.search("에어쿨  핸디 FAN-200")
    b = c.search("에어쿨 핸디 fan-200")  # same normalised query: from the cache, no call
    assert not a.from_cache and b.from_cache and c.calls == 1 and len(sb.requests) == 1
    c.search("선풍기")
    c.search("케이스")
    with pytest.raises(SearchBudgetExhausted):
        c.search("네번째")
    assert len(sb.requests) == 3  # the fourth call was never sent
    # a second client (another run) shares the persisted budget
    c2 = client(srv, store, daily_limit=3)
    with pytest.raises(SearchBudgetExhausted):
        c2.search("또 다른")
    assert EvidenceStore(store.database_url).budget(SOURCE).used(SANDBOX_CLIENT_ID, today_kst()) == 3
    # the server's own quota answers 429/010, which the client reports as a spent budget
    sb.daily_limit = 3
    c3 = client(srv)
    with pytest.raises(SearchBudgetExhausted, match="Query limit exceeded"):
        c3.search("서버 한도")


def test_weak_matches_are_refused():
    items = [parse_item(o) for o in OFFERS]
    verdicts = {it.product_id: match("에어쿨 핸디 선풍기 FAN-200", it, brand="에어쿨") for it in items}
    assert verdicts["111"].ok and verdicts["112"].ok
    assert verdicts["113"].reason.startswith("accessory")
    assert verdicts["114"].reason == "quantity or bundle differs"
    assert verdicts["115"].reason == "model code not in the title"
    assert verdicts["116"].reason.startswith("productType 5")
    assert verdicts["117"].reason == "brand differs"
    ev = price_evidence("에어쿨 핸디 선풍기 FAN-200", items, brand="에어쿨")
    assert (ev["lowest_price"], ev["seller_count"], ev["band_low"], ev["band_high"]) == (15900, 2, 15900, 32000)
    assert sum(ev["refused"].values()) == 5
    # without a model code, a title sharing too few of our words is refused
    weak = parse_item({**OFFERS[0], "title": "스테인리스 텀블러 500ml", "productType": 2})
    assert not match("코멧 진공 보온 텀블러 500ml 블랙", weak).ok
    assert query_for("[특가] 코멧 진공 텀블러 500ml 2개입 (무료배송)", "코멧") == "코멧 진공 텀블러"


def test_category_votes():
    votes = category_votes(OFFERS + [{**OFFERS[0], "category4": "탁상용선풍기"}])
    assert votes[0] == ("디지털/가전>계절가전>선풍기>휴대용선풍기", 7)
    assert votes[1] == ("디지털/가전>계절가전>선풍기>탁상용선풍기", 1)


def test_per_second_limit_is_backed_off_and_counted():
    from dropship_sandbox.naver_search import NaverSearchSandbox

    from dropship_core.serve import ServerThread
    sb = NaverSearchSandbox(per_second=1, offers=OFFERS)
    with ServerThread(sb.app) as srv:
        c = client(srv)
        c.search("핸디")
        res = c.search("선풍기")  # the second within a second gets 429/012; the client waits and retries
        assert res.items and c.calls == 3
        assert sb.status_counts[429] == 1 and sb.status_counts[200] == 2
        assert sum(c.budget.calls.values()) == 3  # every HTTP call counts against the day's budget
