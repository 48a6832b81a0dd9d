"""The Dagster resources, through a real materialization: cache-first enrichment with an
EnvVar-configured key against the local OpenAI wire server, the conductor with memory, and no
secret anywhere in the run's events."""


import asyncio
import json

import dagster as dg
import psycopg

import time

from dropship_core.ai.agents import Guardrails
from dropship_core.ai.conductor import Conductor
from dropship_core.ai.conductor_memory import remember_decisions
from dropship_core.markets.names import MARKETS
from dropship_core.model import CanonicalProduct, content_hash
from dropship_resources.llm import LLMResource, MemoryResource
from .support import TEST_KEY
from .test_agents import row

EV = {"lowest_price": 11000, "seller_count": 2, "band_low": 11000, "band_high": 14000, "median_price": 12000,
      "matched": 2, "observed_at": time.time()}
CATALOG = [row(1, "smartstore", 12720, 10000, evidence=EV), row(2, "coupang", 13480, 10000, stock=0)]
from .test_llm_cache import answer_for


def _products():
    ps = [CanonicalProduct("excel-acme", f"R{i}", f"텀블러 {i}", 5000 + i).to_dict() for i in range(3)]
    return [(p, content_hash(p)) for p in ps]


def test_enrichment_asset_with_llm_resource(fake_llm, pg_dsn, monkeypatch):
    fake, srv = fake_llm
    fake.default = answer_for
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute("TRUNCATE llm_cache")

    @dg.asset
    def enriched(context: dg.AssetExecutionContext, llm: LLMResource) -> dg.MaterializeResult:
        report = llm.enrich(_products(), pg_dsn,
                            candidates_fn=lambda p: {m: [{"id": "1", "path": "a>b"}] for m in MARKETS},
                            fallback=lambda items: [{"provider": "offline"} for _ in items])
        context.log.info(f"enriched with {llm.provider}")
        return dg.MaterializeResult(metadata=report.metadata())

    res = LLMResource(provider="openai", model="gpt-4o-mini", openai_api_key=dg.EnvVar("OPENAI_API_KEY"),
                      base_url=srv.url + "/v1", sdk_max_retries=0, spend_cap=1000, spend_cap_currency="KRW")
    instance = dg.DagsterInstance.ephemeral()
    r1 = dg.materialize([enriched], resources={"llm": res}, instance=instance)
    r2 = dg.materialize([enriched], resources={"llm": res}, instance=instance)
    md1 = r1.asset_materializations_for_node("enriched")[0].metadata
    md2 = r2.asset_materializations_for_node("enriched")[0].metadata
    assert md1["llm_enriched"].value == 3 and md1["llm_cost_usd"].value > 0
    assert md2["llm_cache_hits"].value == 3 and md2["llm_requests"].value == 0 and len(fake.requests) == 3
    for result in (r1, r2):
        for ev in result.all_events:
            assert TEST_KEY not in json.dumps(ev.to_dict() if hasattr(ev, "to_dict") else str(ev), default=str)
        assert TEST_KEY not in str(result.all_events)
        logs = instance.all_logs(result.run_id)
        assert logs and TEST_KEY not in "".join(str(e) for e in logs)
        assert TEST_KEY not in str(instance.get_run_by_id(result.run_id))


def test_agent_asset_with_memory_resource(pg_dsn):
    @dg.asset
    def price_recommendations(context: dg.AssetExecutionContext, memory: MemoryResource) -> dg.MaterializeResult:
        result = Conductor(Guardrails(), approval_mode="manual").run(CATALOG)
        stored = asyncio.run(remember_decisions(result, memory.get_backends().vectors, f"run:{context.run.run_id}"))
        return dg.MaterializeResult(metadata={"recommendations": len(result.price_recommendations),
                                              "to_apply": len(result.to_apply), "remembered": stored})

    r = dg.materialize([price_recommendations], resources={"memory": MemoryResource(database_url=pg_dsn)})
    md = r.asset_materializations_for_node("price_recommendations")[0].metadata
    assert md["recommendations"].value > 0 and md["to_apply"].value == 0 and md["remembered"].value > 0
    hits = asyncio.run(MemoryResource(database_url=pg_dsn).retrieval("conductor")
                       .retrieve_relevant_memories("cheapest comparable item sells at 11,000", limit=2,
                                                   memory_types=["semantic"]))
    assert hits and "11,000" in hits[0].content


def test_upstash_memory_resource_keeps_tokens_out_of_events(monkeypatch, redis_url):
    import uuid

    from dropship_core.ai.embeddings import DIM
    from dropship_core.serve import ServerThread
    from .fake_upstash import FakeUpstashRedis, FakeUpstashVector

    redis_token, vector_token = "AXredis-tok-" + uuid.uuid4().hex, "AXvector-tok-" + uuid.uuid4().hex
    monkeypatch.setenv("UPSTASH_REDIS_REST_TOKEN", redis_token)
    monkeypatch.setenv("UPSTASH_VECTOR_REST_TOKEN", vector_token)
    fr = FakeUpstashRedis(redis_token, redis_url, prefix=f"t-llm-res-{uuid.uuid4().hex[:6]}")
    fv = FakeUpstashVector(vector_token, DIM)
    with ServerThread(fr.app) as rs, ServerThread(fv.app) as vs:
        res = MemoryResource(backend="upstash", vector_backend="upstash",
                             upstash_redis_rest_url=rs.url, upstash_redis_rest_token=dg.EnvVar("UPSTASH_REDIS_REST_TOKEN"),
                             upstash_vector_rest_url=vs.url,
                             upstash_vector_rest_token=dg.EnvVar("UPSTASH_VECTOR_REST_TOKEN"))

        @dg.asset
        def inventory_alerts(context: dg.AssetExecutionContext, memory: MemoryResource) -> dg.MaterializeResult:
            mem = memory.agent_memory("inventory_alerts", "ctx-1")
            asyncio.run(mem.add_interaction("텀블러 재고?", "텀블러 재고 2개"))
            got = asyncio.run(mem.get_relevant_context("텀블러 재고"))
            context.log.info(f"memory backends: {memory.get_backends()}")
            return dg.MaterializeResult(metadata={"recent": len(got["recent_messages"]),
                                                  "similar": len(got["similar_memories"])})

        instance = dg.DagsterInstance.ephemeral()
        r = dg.materialize([inventory_alerts], resources={"memory": res}, instance=instance)
    md = r.asset_materializations_for_node("inventory_alerts")[0].metadata
    assert md["recent"].value == 2 and md["similar"].value == 1
    logs = instance.all_logs(r.run_id)
    assert any("memory backends" in (e.user_message or "") for e in logs)  # the log line is there ...
    text = str(r.all_events) + "".join(str(e) for e in logs) + str(instance.get_run_by_id(r.run_id))
    assert redis_token not in text and vector_token not in text
    fr.flush()
