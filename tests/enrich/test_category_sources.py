"""Category sources: Coupang's predictor against its local sandbox (auth, rate limit, answers,
cache), seller corrections that stick, held decisions, and the map/review commands."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dropship_core.ai.category_store import CategoryStore
from dropship_core.ai.predictors import CachedPredictor, CategoryDecider, rule_tokens
from dropship_core.ai.ranker import default_ranker
from dropship_core.markets.coupang import CoupangClient, authorization, signature
from dropship_core.markets.coupang_predict import PREDICT_PATH, CoupangCategoryPredictor
from dropship_core.markets.errors import MarketAuthError, MarketError
from dropship_core.markets.http import RetryPolicy
from dropship_sandbox import coupang_predict as sb

from dropship_core.serve import ServerThread

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def sandbox():
    s = sb.PredictSandbox(rate=10)
    with ServerThread(s.app) as srv:
        yield s, srv.url


def client(url, secret=sb.SECRET_KEY, attempts=1):
    return CoupangClient(sb.ACCESS_KEY, secret, sb.VENDOR_ID, url, rate=100, burst=100,
                         retry=RetryPolicy(max_attempts=attempts, backoff_base=0.01))


@pytest.fixture()
def cstore(db_url):
    return CategoryStore.from_url(db_url)


def test_reference_vectors_and_client_signature_agree():
    # vectors computed with openssl; neither the sandbox nor the client computed them
    for secret, msg, want in sb.REFERENCE_VECTORS:
        assert hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest() == want
    secret, msg, want = sb.REFERENCE_VECTORS[0]
    assert signature(secret, "261201T093000Z", "POST", PREDICT_PATH, "") == want
    header = authorization(sb.ACCESS_KEY, secret, "POST", PREDICT_PATH, "", epoch=1796117400)
    assert header.endswith(f"signed-date=261201T093000Z, signature={want}")


def test_predict_success_failure_and_insufficient(sandbox):
    s, url = sandbox
    pred = CoupangCategoryPredictor(client(url))
    got = pred.predict("스테인리스 진공 텀블러 500ml", brand="스탠리")
    assert got and got[0][1] == 1.0 and default_ranker("coupang").path_of(got[0][0])
    assert s.log[-1] == {"productName": "스테인리스 진공 텀블러 500ml", "brand": "스탠리"}
    assert pred.predict("zzqx qqwv 9000") == []  # FAILURE
    raw = pred.raw("텀블러")
    assert raw["code"] == 200 and raw["data"]["autoCategorizationPredictionResultType"] == "INSUFFICIENT_INFORMATION"


def test_bad_signature_and_unsigned_requests_are_refused(sandbox):
    s, url = sandbox
    with pytest.raises(MarketAuthError) as e:
        CoupangCategoryPredictor(client(url, secret="wrong-secret")).predict("무선 마우스 블랙")
    assert e.value.status == 401 and "signature" in str(e.value.response).lower()
    r = httpx.post(url + PREDICT_PATH, json={"productName": "무선 마우스"})
    assert r.status_code == 401
    ok = {"Authorization": authorization(sb.ACCESS_KEY, sb.SECRET_KEY, "POST", PREDICT_PATH, "")}
    assert httpx.post(url + PREDICT_PATH, json={"brand": "x"}, headers=ok).status_code == 400


def test_rate_limit_429_then_client_retry_succeeds():
    s = sb.PredictSandbox(rate=2)
    with ServerThread(s.app) as srv:
        once = CoupangCategoryPredictor(client(srv.url, attempts=1))
        codes = []
        for _ in range(4):
            try:
                once.predict("무선 마우스 블랙")
                codes.append(200)
            except MarketError as exc:
                codes.append(exc.status)
        assert 429 in codes and codes[0] == 200
        patient = CoupangCategoryPredictor(client(srv.url, attempts=6))
        assert patient.predict("무선 마우스 블랙")  # retried past the 429s


def test_injected_fault_is_a_market_error_and_the_decider_goes_on(sandbox):
    s, url = sandbox
    s.fail_next(500, 3)
    pred = CoupangCategoryPredictor(client(url))
    d = CategoryDecider(default_ranker("coupang"), [pred]).decide("스테인리스 텀블러 500ml")
    assert d.category_id and [x["source"] for x in d.sources] == ["offline", "coupang_predict"]
    assert d.sources[1]["id"] is None  # the failed source said nothing, the offline answer stands


def test_cache_hit_on_repeat_per_normalised_name(sandbox, cstore):
    s, url = sandbox
    cached = CachedPredictor(CoupangCategoryPredictor(client(url)), cstore, "coupang")
    first = cached.predict("스테인리스 텀블러 500ml")
    calls = s.calls
    again = cached.predict("  스테인리스   텀블러 500ML ")
    assert again == first and s.calls == calls
    assert cstore.prediction_hits("coupang_predict", "coupang", "스테인리스 텀블러 500ml") == 1


def test_agreeing_sources_raise_confidence_disagreeing_hold(sandbox):
    s, url = sandbox
    ranker = default_ranker("coupang")
    alone = CategoryDecider(ranker).decide("스테인리스 텀블러 500ml")
    both = CategoryDecider(ranker, [CoupangCategoryPredictor(client(url))]).decide("스테인리스 텀블러 500ml")
    if both.sources[1]["id"] == alone.category_id:
        assert both.confidence > alone.confidence
    d = CategoryDecider(ranker, threshold=0.999).decide("스테인리스 텀블러 500ml")
    assert d.held and "below 1.00" in d.held_reason and "offline→" in d.held_reason


def test_seller_correction_applies_to_similar_products_of_that_supplier(cstore):
    ranker = default_ranker("smartstore")
    name = "프리미엄 원목 캣타워 대형 3단"
    decider = CategoryDecider(ranker, store=cstore)
    before = decider.decide(name, supplier_key="sup_a", supplier_category="펫>고양이")
    target = "50015740"  # 캣타워/스크래쳐>스크래쳐: the seller's call, not the offline answer
    assert before.category_id != target
    cstore.add_rule(market="smartstore", supplier_key="sup_a", supplier_category="펫>고양이",
                    tokens=rule_tokens(name), category_id=target, category_path=ranker.path_of(target))
    decider.forget_rules()
    similar = decider.decide("원목 캣타워 중형 2단 그레이", supplier_key="sup_a", supplier_category="펫>고양이")
    assert similar.category_id == target and similar.confidence == 1.0
    assert similar.sources[0]["source"] == "seller_rule" and not similar.held
    other_supplier = decider.decide("원목 캣타워 중형 2단 그레이", supplier_key="sup_b", supplier_category="펫>고양이")
    assert other_supplier.sources[0]["source"] == "offline"
    other_category = decider.decide("원목 캣타워 중형 2단 그레이", supplier_key="sup_a", supplier_category="가구")
    assert other_category.sources[0]["source"] == "offline"


def _cli(args, db_url, stdin=""):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "dropship_app.cli", "enrich", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_map_and_review_commands(db_url, store):
    from dropship_core.ai.offline import OfflineEnricher

    cs = CategoryStore.from_url(db_url)
    with store.connect(autocommit=True) as conn:
        for i, (name, cat) in enumerate([("무선 블루투스 키보드 화이트", "PC>키보드"),
                                         ("헬로 오버핏 롱티 박스티셔츠 빅사이즈", "의류")]):
            prod = {"name": name, "category_path": cat, "supplier_key": "sup_a"}
            ai = OfflineEnricher(markets=["smartstore"]).enrich(prod)
            conn.execute("INSERT INTO source_data (supplier_key, supplier_item_id, raw_data, ai_data, content_hash,"
                         " ai_source_hash) VALUES ('sup_a', %s, %s, %s, 'h', 'h:v')",
                         (f"i{i}", json.dumps(prod), json.dumps(ai)))
    res = _cli(["review", "--json"], db_url)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(rows) == 2
    assert [r["held"] for r in rows] == sorted([r["held"] for r in rows], reverse=True)
    pid = next(r["product_id"] for r in rows if "키보드" in r["name"])
    bad = _cli(["map", "--product-id", str(pid), "--category", "999"], db_url)
    assert bad.returncode == 2 and "not a smartstore leaf" in bad.stderr
    ok = _cli(["map", "--product-id", str(pid), "--category", "50002932", "--json"], db_url)
    assert ok.returncode == 0, ok.stderr
    rule = json.loads(ok.stdout)
    assert rule["supplier"] == "sup_a" and rule["tokens"] and rule["path"].endswith("키보드>무선키보드")
    assert cs.decision(pid, "smartstore")["held"] is False
    again = [json.loads(x) for x in _cli(["review", "--json"], db_url).stdout.splitlines()]
    assert pid not in [r["product_id"] for r in again]
    # a similar product of the same supplier is decided again, and the rule decides it
    assert rule["redecide"] == [pid]  # the T-shirt of the same supplier is not covered
    with store.connect() as conn:
        stale = conn.execute("SELECT ai_source_hash FROM source_data WHERE id = %s", (pid,)).fetchone()[0]
    assert stale is None
    similar = {"name": "저소음 무선 블루투스 키보드 블랙", "category_path": "PC>키보드", "supplier_key": "sup_a"}
    cat = OfflineEnricher(markets=["smartstore"], decisions=cs).enrich(similar)["categories"]["smartstore"]
    assert cat["id"] == "50002932" and cat["sources"][0]["source"] == "seller_rule"


def test_coupang_answer_votes_on_smartstore_categories(sandbox):
    from dropship_core.ai.predictors import CrossTreePredictor

    s, url = sandbox
    cross = CrossTreePredictor(CoupangCategoryPredictor(client(url)), default_ranker("coupang").path_of,
                               default_ranker("smartstore"))
    got = cross.predict("스테인리스 진공 텀블러 500ml")
    assert got and all(default_ranker("smartstore").path_of(c) for c, _ in got)
    d = CategoryDecider(default_ranker("smartstore"), [cross]).decide("스테인리스 진공 텀블러 500ml")
    assert d.sources[1]["source"] == "coupang_predict" and d.sources[1]["path"].startswith("생활/건강>주방용품")
    assert d.category_id == d.sources[1]["id"] and d.confidence > d.sources[0]["score"] * 0.99


def test_classify_command_uses_coupang_when_configured(sandbox, db_url):
    s, url = sandbox
    env = {"COUPANG_ACCESS_KEY": sb.ACCESS_KEY, "COUPANG_SECRET_KEY": sb.SECRET_KEY,
           "COUPANG_VENDOR_ID": sb.VENDOR_ID, "COUPANG_BASE_URL": url}
    res = subprocess.run([sys.executable, "-m", "dropship_app.cli", "enrich", "classify", "--market",
                          "coupang", "--json", "--top", "3"], input="스테인리스 진공 텀블러 500ml\n" * 2,
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": db_url, **env})
    assert res.returncode == 0, res.stderr
    a, b = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["source"] for x in a["sources"]] == ["offline", "coupang_predict"]
    assert a["sources"][1]["id"] and a == b and len(a["candidates"]) == 3
    assert s.calls == 1  # the repeat came from the Postgres cache
    assert sb.SECRET_KEY not in res.stdout + res.stderr
