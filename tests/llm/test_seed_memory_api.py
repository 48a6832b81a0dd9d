"""The seed's memory calls, run as written (only the import lines differ), on the local backends
(Postgres), on the Upstash wire fakes, and with OpenAI embeddings from the local wire server."""

from __future__ import annotations

import asyncio
import uuid

import dagster as dg
import psycopg
import pytest

from dropship_core.serve import ServerThread
from .fake_upstash import FakeUpstashRedis, FakeUpstashVector
from .support import TEST_KEY

UPSTASH_ENV = ("UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN", "UPSTASH_VECTOR_REST_URL",
               "UPSTASH_VECTOR_REST_TOKEN")


async def seed_snippets(context_id: str):
    # ---- as the seed writes them ----
    from dropship_core.ai.memory import (AgentChatMemory, ConversationContext, MemoryRetrieval, MemorySnapshot,
                                         UpstashMemoryStore, UpstashVectorMemory, WorkflowContext)

    memory_store = UpstashMemoryStore()
    await memory_store.add_message(context_id=context_id, role="user", content="스테인리스 텀블러 가격 얼마야?")
    await memory_store.add_message(context_id=context_id, role="assistant", content="스테인리스 텀블러는 15,900원입니다.")
    messages = await memory_store.get_messages(context_id, limit=50)

    chat_memory = AgentChatMemory(agent_name="pricing_agent", context_id=context_id)
    await chat_memory.add_interaction(human_input="텀블러 마진은 얼마야?", ai_response="텀블러 마진은 22%입니다.",
                                      metadata={"product": "텀블러", "market": "smartstore"})
    context = await chat_memory.get_relevant_context(query="텀블러 마진", include_summary=True)

    other = AgentChatMemory(agent_name="pricing_agent", context_id=context_id + "-other")
    await other.add_interaction(human_input="텀블러 가격 인하할까?", ai_response="경쟁가 14,900원이라 인하를 권합니다.",
                                metadata={})

    vector_memory = UpstashVectorMemory()
    similar = await vector_memory.search_similar_memories(query="텀블러 마진", k=5)
    related = await vector_memory.find_related_contexts(query="텀블러 가격", current_context_id=context_id)

    retrieval = MemoryRetrieval(agent_name="pricing_agent")
    memories = await retrieval.retrieve_relevant_memories(query="텀블러 마진", context_id=context_id,
                                                          memory_types=["chat", "semantic", "workflow"], limit=10)

    conversation = ConversationContext(context_id=context_id, agent_name="pricing_agent", messages=messages)
    snapshot = MemorySnapshot(context_id=context_id, summary="텀블러 가격과 마진", message_count=len(messages))
    workflow = WorkflowContext(approval_mode="manual")
    return messages, context, similar, related, memories, conversation, snapshot, workflow


def check(result, context_id):
    messages, context, similar, related, memories, conversation, snapshot, workflow = result
    assert [m.role for m in messages] == ["user", "assistant"] and "15,900원" in messages[1].content
    assert len(context["recent_messages"]) == 4 and context["similar_memories"]
    assert "22%" in similar[0].content
    assert related and related[0].context_id == context_id + "-other"
    assert memories and any("22%" in m.content for m in memories)
    assert {m.memory_type for m in memories} <= {"chat", "message"}
    assert conversation.transcript().startswith("user: 스테인리스") and snapshot.message_count == 2
    assert workflow.add_decision("pricing", "price_recommendation", product_id=1)["workflow_id"] == workflow.workflow_id


@pytest.fixture
def fresh_dsn(db_url):
    """An empty, migrated schema of its own: other tests' memories would be related contexts too."""
    from dropship_core.store import Store

    Store(db_url).migrate()
    return db_url


def test_seed_snippets_on_local_backends(fresh_dsn, monkeypatch):
    pg_dsn = fresh_dsn
    for k in UPSTASH_ENV + ("MEMORY_BACKEND", "VECTOR_BACKEND", "EMBEDDING_PROVIDER", "LLM_PROVIDER"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DATABASE_URL", pg_dsn)
    ctx = f"seed-{uuid.uuid4().hex[:6]}"
    check(asyncio.run(seed_snippets(ctx)), ctx)
    with psycopg.connect(pg_dsn) as c:
        assert c.execute("SELECT count(*) FROM conversation_messages WHERE context_id = %s", (ctx,)).fetchone()[0] == 4
        assert c.execute("SELECT DISTINCT index_name FROM semantic_memories WHERE context_id = %s",
                         (ctx,)).fetchall() == [("ngram-hash-256",)]


def test_seed_snippets_on_upstash(redis_url, monkeypatch):
    from dropship_core.ai.embeddings import DIM

    redis_token, vector_token = "AXredis-" + uuid.uuid4().hex, "AXvector-" + uuid.uuid4().hex
    fr = FakeUpstashRedis(redis_token, redis_url, prefix=f"t-seed-{uuid.uuid4().hex[:6]}")
    fv = FakeUpstashVector(vector_token, DIM)
    with ServerThread(fr.app) as rs, ServerThread(fv.app) as vs:
        for k, v in zip(UPSTASH_ENV, (rs.url, redis_token, vs.url, vector_token)):
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.delenv("EMBEDDING_PROVIDER", raising=False)
        ctx = f"seed-{uuid.uuid4().hex[:6]}"
        check(asyncio.run(seed_snippets(ctx)), ctx)
    assert set(fv.ns) == {"ngram-hash-256"} and len(fv.ns["ngram-hash-256"]) == 2
    assert any(p.startswith("/query") for p, _ in fv.requests)
    fr.flush()


def test_openai_embeddings_get_their_own_index(fresh_dsn, fake_llm, monkeypatch):
    pg_dsn = fresh_dsn
    fake, srv = fake_llm
    for k in UPSTASH_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DATABASE_URL", pg_dsn)
    monkeypatch.setenv("EMBEDDING_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", srv.url + "/v1")
    ctx = f"seed-oa-{uuid.uuid4().hex[:6]}"
    check(asyncio.run(seed_snippets(ctx)), ctx)
    sent = [r for r in fake.requests if r["path"] == "/v1/embeddings"]
    assert sent and sent[0]["body"]["model"] == "text-embedding-3-small" and sent[0]["body"]["dimensions"] == 256
    with psycopg.connect(pg_dsn) as c:
        idx = c.execute("SELECT DISTINCT index_name FROM semantic_memories WHERE context_id = %s", (ctx,)).fetchall()
    assert idx == [("openai-text-embedding-3-small-256",)]
    # the hash index does not see OpenAI vectors and vice versa
    from dropship_core.ai.memory import UpstashVectorMemory

    monkeypatch.setenv("EMBEDDING_PROVIDER", "hash")
    hits = asyncio.run(UpstashVectorMemory().search_similar_memories(query="텀블러 마진", k=50))
    assert all(h.context_id != ctx for h in hits)


def test_orchestration_engine_status_names(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    from dropship_app.instance import local_instance
    from dropship_app.workflows import OrchestrationEngine

    @dg.asset
    def one():
        return 1

    run_id = dg.materialize([one], instance=local_instance()).run_id
    status = OrchestrationEngine().get_execution_status(run_id)
    assert status["status"] == "SUCCESS" and status["steps_completed"] == status["total_steps"] == 1
