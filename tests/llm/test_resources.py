"""The Dagster resources, through a real materialization: cache-first enrichment with an
EnvVar-configured key against the local OpenAI wire server, the conductor with memory, and no
secret anywhere in the run's events."""


import asyncio
import json

import dagster as dg
import psycopg

from dropship_core.ai.agents import Conductor, remember_decisions
from dropship_core.markets.names import MARKETS
from dropship_core.model import CanonicalProduct, content_hash
from dropship_resources.llm import LLMResource, MemoryResource
from tests.llm.support import TEST_KEY
from tests.llm.test_agents import CATALOG
from tests.llm.test_llm_cache import answer_for


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
    r1 = dg.materialize([enriched], resources={"llm": res})
    r2 = dg.materialize([enriched], resources={"llm": res})
    md1 = r1.asset_materializations_for_node("enriched")[0].metadata
    md2 = r2.asset_materializations_for_node("enriched")[0].metadata
    assert md1["llm_enriched"].value == 3 and md1["llm_cost_usd"].value > 0
    assert md2["llm_cache_hits"].value == 3 and md2["llm_requests"].value == 0 and len(fake.requests) == 3
    for result in (r1, r2):
        for ev in result.all_events:
            assert TEST_KEY not in json.dumps(ev.to_dict() if hasattr(ev, "to_dict") else str(ev), default=str)
        assert TEST_KEY not in str(result.all_events)


def test_agent_asset_with_memory_resource(pg_dsn):
    @dg.asset
    def price_recommendations(context: dg.AssetExecutionContext, memory: MemoryResource) -> dg.MaterializeResult:
        result = Conductor(approval_mode="manual").run(CATALOG)
        stored = asyncio.run(remember_decisions(result, memory.get_backends(), f"run:{context.run.run_id}"))
        return dg.MaterializeResult(metadata={"recommendations": len(result.price_recommendations),
                                              "to_apply": len(result.to_apply), "remembered": stored})

    r = dg.materialize([price_recommendations], resources={"memory": MemoryResource(database_url=pg_dsn)})
    md = r.asset_materializations_for_node("price_recommendations")[0].metadata
    assert md["recommendations"].value > 0 and md["to_apply"].value == 0 and md["remembered"].value > 0
    hits = asyncio.run(MemoryResource(database_url=pg_dsn).retrieval("price_recommendations")
                       .retrieve_relevant_memories("above the category median", limit=2))
    assert hits and "median" in hits[0].content
