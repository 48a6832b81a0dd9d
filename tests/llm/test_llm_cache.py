"""enrich_batch + the Postgres cache: unchanged products are never sent twice."""

from __future__ import annotations

import json

import pytest

from dropship_core.ai.llm import LLMClient, SpendCap
from dropship_core.ai.llm_cache import (ENRICHMENT_SCHEMA, LLMCache, build_prompt, check_enrichment,
                                        enrich_batch, offline_fn_from_enricher)
from dropship_core.markets.names import MARKETS
from dropship_core.model import CanonicalProduct, content_hash
from .support import TEST_KEY
from .fake_servers import Step


def products(n, prefix="P"):
    out = []
    for i in range(n):
        p = CanonicalProduct(supplier_key="excel-acme", supplier_item_id=f"{prefix}{i}",
                             name=f"[특가] 스테인리스 텀블러 {i}00ml 최저가", cost=5000 + i * 100, brand="ACME",
                             images=["https://img.example/1.jpg"]).to_dict()
        out.append(p)
    return out


def with_hashes(ps):
    return [(p, content_hash(p)) for p in ps]


def candidates(product):
    return {m: [{"id": f"{m}-100", "path": "주방>텀블러"}, {"id": f"{m}-200", "path": "주방>컵"}] for m in MARKETS}


def answer_for(body):
    """A valid enrichment built from what the client sent (the product name and candidates)."""
    msgs = body["messages"]
    first_user = next(m for m in msgs if m["role"] == "user")
    prompt = json.loads(first_user["content"])
    name = prompt["product"]["name"].replace("[특가] ", "").replace(" 최저가", "")
    cands = prompt["candidate_categories"]
    return Step("valid", data={
        "clean_name": name,
        "titles": {m: f"ACME {name}" for m in MARKETS},
        "description": f"{name} 입니다.",
        "attributes": {"brand": "ACME", "material": "스테인리스", "color": None, "size": None, "capacity": None},
        "categories": {m: {"id": cands[m][0]["id"], "path": cands[m][0]["path"], "confidence": 0.8} for m in MARKETS},
        "banned_words": ["최저가"],
        "quality_score": 0.7,
        "quality_reasons": ["1 image"],
    })


@pytest.fixture
def cache(pg_conn):
    pg_conn.execute("TRUNCATE llm_cache")
    return LLMCache(pg_conn)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_second_run_makes_zero_calls_and_a_change_makes_one(provider, fake_llm, cache):
    fake, srv = fake_llm
    fake.default = answer_for
    base = srv.url + "/v1" if provider == "openai" else srv.url
    ps = products(6)
    client = LLMClient(provider, api_key=TEST_KEY, base_url=base, sdk_max_retries=0)
    r1 = enrich_batch(with_hashes(ps), client, cache, candidates_fn=candidates)
    assert r1.enriched == 6 and r1.cache_hits == 0 and len(fake.requests) == 6 and r1.cost_usd > 0
    for o, p in zip(r1.outcomes, ps):
        ai = o.ai_data
        assert ai["provider"] == provider and ai["model"] == client.model and ai["prompt_version"] == "v1"
        assert ai["categories"]["smartstore"]["id"] == "smartstore-100"
        assert o.content_hash == content_hash(p)
    assert cache.count() == 6

    client2 = LLMClient(provider, api_key=TEST_KEY, base_url=base, sdk_max_retries=0)
    r2 = enrich_batch(with_hashes(ps), client2, cache, candidates_fn=candidates)
    assert len(fake.requests) == 6 and r2.cache_hits == 6 and r2.llm_requests == 0 and client2.ledger.calls == 0
    assert [o.ai_data for o in r2.outcomes] == [o.ai_data for o in r1.outcomes]
    assert r2.saved_cost_usd == pytest.approx(r1.cost_usd, rel=1e-4)

    ps[3]["name"] = "[특가] 스테인리스 텀블러 999ml 최저가"
    r3 = enrich_batch(with_hashes(ps), client2, cache, candidates_fn=candidates)
    assert len(fake.requests) == 7 and r3.enriched == 1 and r3.cache_hits == 5
    assert r3.outcomes[3].status == "enriched" and "999ml" in r3.outcomes[3].ai_data["clean_name"]

    # a new prompt version or model is a different key: everything is asked again
    r4 = enrich_batch(with_hashes(ps[:2]), client2, cache, candidates_fn=candidates, prompt_version="v2")
    assert r4.enriched == 2 and len(fake.requests) == 9


def test_bad_products_become_errors_with_offline_fallback_and_are_not_cached(fake_llm, cache):
    fake, srv = fake_llm
    ps = products(4)
    fake.script(
        Step("raw", text="not json"), Step("raw", text="still not json"),  # product 0
        Step("refusal", text="no"),  # product 1
        Step("status", status=400, error_message="bad request"),  # product 2
    )
    fake.default = answer_for  # product 3
    client = LLMClient("openai", api_key=TEST_KEY, base_url=srv.url + "/v1", sdk_max_retries=0)
    offline_calls = []

    def offline_enrich_many(items):
        offline_calls.append(len(items))
        return [{"clean_name": p["name"], "provider": "offline", "model": "rules-v1"} for p in items]

    r = enrich_batch(with_hashes(ps), client, cache, candidates_fn=candidates, fallback=offline_enrich_many)
    kinds = [o.error_kind for o in r.outcomes]
    assert kinds == ["invalid_json", "refusal", "http", None]
    assert [o.status for o in r.outcomes] == ["error", "error", "error", "enriched"]
    assert offline_calls == [3] and r.fallbacks == 3 and r.errors == 3
    assert all(o.fallback_used and o.ai_data["provider"] == "offline" for o in r.outcomes[:3])
    assert cache.count() == 1  # only the good answer; the failed ones are retried next run


def test_semantic_check_rejects_a_category_outside_the_candidates(fake_llm, cache):
    fake, srv = fake_llm
    ps = products(1)
    bad = answer_for({"messages": [{"role": "user", "content": build_prompt(ps[0], candidates(ps[0]))}]})
    bad.data["categories"]["coupang"]["id"] = "999"
    bad.data["titles"]["gmarket"] = "가" * 40  # 120 bytes of UTF-8: over ESM's 100
    fake.script(bad)
    fake.default = answer_for
    client = LLMClient("anthropic", api_key=TEST_KEY, base_url=srv.url, sdk_max_retries=0)
    r = enrich_batch(with_hashes(ps), client, cache, candidates_fn=candidates)
    assert r.outcomes[0].status == "enriched" and len(fake.requests) == 2
    note = json.dumps(fake.requests[1]["body"]["messages"][-1], ensure_ascii=False)
    assert "not one of the candidates" in note and "bytes" in note


def test_spend_cap_skips_the_rest(fake_llm, cache):
    fake, srv = fake_llm
    fake.default = answer_for
    ps = products(10)
    client = LLMClient("openai", "priced", api_key=TEST_KEY, base_url=srv.url + "/v1", sdk_max_retries=0,
                       prices={"priced": (2000.0, 2000.0)}, spend_cap=SpendCap(1.0, "USD"))
    r = enrich_batch(with_hashes(ps), client, cache, candidates_fn=candidates)
    assert r.spend_cap_reached and 0 < r.enriched < 10
    assert r.enriched + r.skipped == 10 and len(fake.requests) == r.enriched
    assert all(o.status == "skipped" and o.error_kind == "spend_cap" for o in r.outcomes[r.enriched:])
    md = r.metadata()
    assert md["llm_spend_cap_reached"] is True and md["llm_skipped"] == r.skipped
    # next run resumes: what was paid for is cached
    client2 = LLMClient("openai", "priced", api_key=TEST_KEY, base_url=srv.url + "/v1", sdk_max_retries=0,
                        prices={"priced": (2000.0, 2000.0)})
    r2 = enrich_batch(with_hashes(ps), client2, cache, candidates_fn=candidates)
    assert r2.cache_hits == r.enriched and r2.enriched == 10 - r.enriched


def test_offline_provider_plugs_in_the_offline_enricher(cache):
    def enrich_many(items):
        return [{"clean_name": p["name"].strip("[]"), "titles": {m: p["name"] for m in MARKETS},
                 "description": "", "attributes": {"brand": p["brand"]}, "categories": {},
                 "banned_words": [], "quality_score": 0.5, "quality_reasons": [],
                 "provider": "offline", "model": "rules-v1", "prompt_version": "v1"} for p in items]

    client = LLMClient("offline", "rules-v1", offline_fn=offline_fn_from_enricher(enrich_many))
    ps = products(3)
    r = enrich_batch(with_hashes(ps), client, cache)
    assert r.enriched == 3 and r.cost_usd == 0 and r.llm_requests == 0
    assert r.outcomes[0].ai_data["attributes"] == {"brand": "ACME"} and r.outcomes[0].ai_data["provider"] == "offline"
    assert cache.count() == 0  # offline answers are cheap and not cached by default


def test_duplicate_hashes_in_one_batch_are_asked_once(fake_llm, cache):
    fake, srv = fake_llm
    fake.default = answer_for
    p = products(1)[0]
    client = LLMClient("openai", api_key=TEST_KEY, base_url=srv.url + "/v1", sdk_max_retries=0)
    r = enrich_batch(with_hashes([p, dict(p)]), client, cache, candidates_fn=candidates)
    assert len(fake.requests) == 1 and [o.status for o in r.outcomes] == ["enriched", "enriched"]


def test_schema_is_strict_mode_shaped():
    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False
                assert set(node["required"]) == set(node["properties"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(ENRICHMENT_SCHEMA)
    ok = {"clean_name": "x", "titles": {m: "x" for m in MARKETS}, "categories": {m: None for m in MARKETS},
          "quality_score": 2}
    assert "quality_score" in check_enrichment(ok, {})


def test_migrations_are_idempotent(pg_conn):
    from .support import apply_migrations

    apply_migrations(pg_conn)  # the schema fixture applied them once already
    apply_migrations(pg_conn)
    n = pg_conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                        " AND table_name IN ('llm_cache', 'conversation_messages', 'conversation_snapshots',"
                        " 'semantic_memories')").fetchone()[0]
    assert n == 4


def test_concurrent_requests_and_spend_cap(fake_llm, cache):
    fake, srv = fake_llm

    def slow_answer(body):
        step = answer_for(body)
        step.delay = 0.05
        return step

    fake.default = slow_answer
    ps = products(12, prefix="C")
    client = LLMClient("openai", api_key=TEST_KEY, base_url=srv.url + "/v1", sdk_max_retries=0)
    r = enrich_batch(with_hashes(ps), client, cache, candidates_fn=candidates, max_workers=4)
    assert r.enriched == 12 and len(fake.requests) == 12 and r.llm_requests == 12
    assert [o.content_hash for o in r.outcomes] == [content_hash(p) for p in ps]
    assert cache.count() == 12 and r.cost_usd == pytest.approx(client.ledger.cost_usd)

    fake.requests.clear()
    ps2 = products(20, prefix="D")
    capped = LLMClient("openai", "priced", api_key=TEST_KEY, base_url=srv.url + "/v1", sdk_max_retries=0,
                       prices={"priced": (2000.0, 2000.0)}, spend_cap=SpendCap(1.0, "USD"))
    r2 = enrich_batch(with_hashes(ps2), capped, cache, candidates_fn=candidates, max_workers=3)
    assert r2.spend_cap_reached and r2.enriched + r2.skipped == 20 and r2.errors == 0
    assert len(fake.requests) == r2.enriched < 20
    assert cache.count() == 12 + r2.enriched  # every paid answer was kept


def test_a_failing_classifier_is_one_products_error(fake_llm, cache):
    fake, srv = fake_llm
    fake.default = answer_for
    ps = products(3, prefix="K")

    def flaky(product):
        if product["supplier_item_id"] == "K1":
            raise KeyError("no tree for this supplier")
        return candidates(product)

    client = LLMClient("anthropic", api_key=TEST_KEY, base_url=srv.url, sdk_max_retries=0)
    r = enrich_batch(with_hashes(ps), client, cache, candidates_fn=flaky)
    assert [o.status for o in r.outcomes] == ["enriched", "error", "enriched"]
    assert r.outcomes[1].error_kind == "candidates" and len(fake.requests) == 2
