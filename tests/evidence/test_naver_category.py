"""Naver Shopping search as a category source, against the local search sandbox over HTTP:
votes mapped to SmartStore leaves, auth, the daily budget, the cache on repeat (client and
Postgres), and the decider pooling it with the offline ranker."""

from __future__ import annotations

import pytest

from dropship_core.ai.category_store import CategoryStore
from dropship_core.ai.predictors import CachedPredictor, CategoryDecider
from dropship_core.ai.ranker import default_ranker
from dropship_core.evidence.naver_category import NaverSearchPredictor
from dropship_core.evidence.naver_search import NaverSearchError, NaverShopSearch, SearchBudgetExhausted
from dropship_sandbox.naver_search import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

FAN = ("디지털/가전", "계절가전", "선풍기", "휴대용선풍기")
DESK = ("디지털/가전", "계절가전", "선풍기", "탁상형선풍기")
NODE = ("디지털/가전", "계절가전", "선풍기", "")  # an item listed at an inner node


def offer(title, cats, pid):
    return {"title": title, "lprice": 15900, "hprice": "", "mallName": "네이버", "productId": pid,
            "productType": 2, "brand": "", "maker": "",
            **{f"category{i + 1}": c for i, c in enumerate(cats)}}


OFFERS = ([offer(f"에어쿨 핸디 선풍기 FAN-200 {i}", FAN, f"1{i}") for i in range(6)]
          + [offer("에어쿨 핸디 선풍기 FAN-200 탁상 거치", DESK, "20"),
             offer("에어쿨 핸디 선풍기 FAN-200 리퍼", NODE, "21")])


def leaf_id(path):
    r = default_ranker("smartstore")
    return r.ids[r.paths.index(">".join(p for p in path if p))]


def predictor(srv, secret=SANDBOX_CLIENT_SECRET, **kw):
    return NaverSearchPredictor(NaverShopSearch(SANDBOX_CLIENT_ID, secret, base_url=srv.url, **kw),
                                default_ranker("smartstore"))


def test_votes_map_to_smartstore_leaves(naver):
    sb, srv = naver
    sb.offers = OFFERS
    name = "[특가] 에어쿨 핸디 선풍기 FAN-200 (무료배송)"
    got = dict(predictor(srv).predict(name))
    # the item listed at the inner node 선풍기 counts for the leaf under it the ranker prefers
    r = default_ranker("smartstore")
    under = [i for i, p in enumerate(r.paths) if p.startswith("디지털/가전>계절가전>선풍기>")]
    node_leaf = r.ids[max(under, key=lambda i: (r.scores(name)[i], -i))]
    want = {leaf_id(FAN): 0.75, leaf_id(DESK): 0.125}
    want[node_leaf] = want.get(node_leaf, 0.0) + 0.125
    assert got == want
    assert sb.requests[-1]["query"] == "에어쿨 핸디 선풍기 fan-200" and sb.requests[-1]["display"] == 40
    assert predictor(srv).predict("zzqx 없는상품") == []  # nothing listed: no answer


def test_wrong_secret_is_refused_without_leaking_it(naver):
    sb, srv = naver
    sb.offers = OFFERS
    with pytest.raises(NaverSearchError) as e:
        predictor(srv, secret="wrong-secret-123").predict("에어쿨 핸디 선풍기")
    assert e.value.status == 401 and e.value.code == "024"
    assert "wrong-secret-123" not in str(e.value) + repr(e.value)
    # the decider goes on with the offline answer when the source fails
    d = CategoryDecider(default_ranker("smartstore"), [predictor(srv, secret="wrong-secret-123")]).decide(
        "에어쿨 핸디 선풍기")
    assert d.category_id and d.sources[1] == {"source": "naver_search", "id": None, "path": None, "score": 0.0}


def test_daily_budget_is_taken_before_each_call(naver):
    sb, srv = naver
    sb.offers = OFFERS
    pred = predictor(srv, daily_limit=2)
    pred.predict("에어쿨 핸디 선풍기 FAN-200")
    pred.predict("에어쿨 핸디 선풍기")
    with pytest.raises(SearchBudgetExhausted):
        pred.predict("에어쿨 선풍기")
    assert len(sb.requests) == 2  # the refused call never reached the service


def test_cache_hit_on_repeat_per_normalised_name(naver, db_url):
    sb, srv = naver
    sb.offers = OFFERS
    store = CategoryStore.from_url(db_url)
    cached = CachedPredictor(predictor(srv), store, "smartstore")
    first = cached.predict("에어쿨 핸디 선풍기 FAN-200")
    again = cached.predict("  에어쿨  핸디 선풍기 fan-200 ")
    assert again == first and len(sb.requests) == 1
    assert store.prediction_hits("naver_search", "smartstore", "에어쿨 핸디 선풍기 FAN-200") == 1
    # without Postgres the client's own cache answers the same normalised query
    plain = predictor(srv)
    plain.predict("에어쿨 핸디 선풍기 FAN-200")
    plain.predict("에어쿨 핸디 선풍기 FAN-200")
    assert len(sb.requests) == 2 and plain.search.calls == 1


def test_decider_pools_the_vote_with_the_offline_ranker(naver):
    sb, srv = naver
    sb.offers = OFFERS
    ranker = default_ranker("smartstore")
    alone = CategoryDecider(ranker).decide("에어쿨 핸디 선풍기 FAN-200")
    both = CategoryDecider(ranker, [predictor(srv)]).decide("에어쿨 핸디 선풍기 FAN-200")
    assert [s["source"] for s in both.sources] == ["offline", "naver_search"]
    assert both.sources[1]["id"] == leaf_id(FAN) and both.category_id == leaf_id(FAN)
    if alone.category_id == leaf_id(FAN):
        assert both.confidence > alone.confidence


def test_other_markets_are_refused():
    with pytest.raises(ValueError):
        NaverSearchPredictor(NaverShopSearch("id", "secret"), default_ranker("coupang"))


def test_classify_command_adds_the_naver_source(naver, db_url):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    sb, srv = naver
    sb.offers = OFFERS
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "DATABASE_URL": db_url, "NAVER_SEARCH_CLIENT_ID": SANDBOX_CLIENT_ID,
           "NAVER_SEARCH_CLIENT_SECRET": SANDBOX_CLIENT_SECRET, "NAVER_SEARCH_URL": srv.url}
    env.pop("COUPANG_ACCESS_KEY", None)
    env.pop("LLM_PROVIDER", None)
    res = subprocess.run([sys.executable, "-m", "dropship_app.cli", "enrich", "classify", "--market", "smartstore",
                          "--json", "--top", "3"], input="에어쿨 핸디 선풍기 FAN-200\n" * 2, capture_output=True,
                         text=True, cwd=root, timeout=180, env=env)
    assert res.returncode == 0, res.stderr
    a, b = [json.loads(x) for x in res.stdout.splitlines()]
    assert {"id", "path", "confidence", "candidates", "sources"} <= set(a) and len(a["candidates"]) == 3
    assert [s["source"] for s in a["sources"]] == ["offline", "naver_search"] and a["sources"][1]["id"] == leaf_id(FAN)
    assert a == b and len(sb.requests) == 1  # the repeat came from the cache
    assert SANDBOX_CLIENT_SECRET not in res.stdout + res.stderr
