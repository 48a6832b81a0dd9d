"""Conversation and semantic memory on every backend: Postgres, Redis, Upstash Redis (REST),
pgvector (embedded Postgres), Postgres without pgvector, Upstash Vector (REST)."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest

from dropship_core.ai.embeddings import DIM, cosine, embed
from dropship_core.ai.memory import (AgentChatMemory, MemoryBackends, MemoryRetrieval, PostgresConversationStore,
                                     PostgresVectorMemory, RedisConversationStore, UpstashConversationStore,
                                     UpstashVectorMemory, build_memory, memory_from_env, summarize_messages)
from dropship_core.serve import ServerThread
from .fake_upstash import FakeUpstashRedis, FakeUpstashVector

UPSTASH_TOKEN = "AXupstash-test-token-0c9f8e7d"


@pytest.fixture(scope="module")
def upstash_redis(redis_url):
    fake = FakeUpstashRedis(UPSTASH_TOKEN, redis_url, prefix=f"t-llm-{uuid.uuid4().hex[:6]}")
    with ServerThread(fake.app) as srv:
        yield fake, srv.url
    fake.flush()


@pytest.fixture(scope="module")
def upstash_vector():
    fake = FakeUpstashVector(UPSTASH_TOKEN, DIM)
    with ServerThread(fake.app) as srv:
        yield fake, srv.url


@pytest.fixture(params=["postgres", "redis", "upstash"])
def conv_store(request, pg_dsn, redis_url, upstash_redis):
    prefix = f"t-llm-{uuid.uuid4().hex[:8]}"
    if request.param == "postgres":
        return PostgresConversationStore(pg_dsn)
    if request.param == "redis":
        return RedisConversationStore(redis_url, prefix=prefix, ttl_seconds=600)
    fake, url = upstash_redis
    return UpstashConversationStore(url, UPSTASH_TOKEN, prefix=prefix, ttl_seconds=600)


@pytest.fixture(params=["postgres-array", "pgvector", "upstash"])
def vectors(request, pg_dsn, upstash_vector):
    if request.param == "postgres-array":
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute("TRUNCATE semantic_memories")
        return PostgresVectorMemory(pg_dsn)
    if request.param == "pgvector":
        dsn = request.getfixturevalue("pgvector_dsn")
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("TRUNCATE semantic_memories")
        return PostgresVectorMemory(dsn)
    fake, url = upstash_vector
    fake.ns.clear()
    return UpstashVectorMemory(url, UPSTASH_TOKEN)


def run(coro):
    return asyncio.run(coro)


def test_conversation_store_roundtrip(conv_store):
    ctx, other = f"c-{uuid.uuid4().hex[:6]}", f"c-{uuid.uuid4().hex[:6]}"

    async def go():
        for i in range(7):
            await conv_store.add_message(ctx, "user" if i % 2 == 0 else "assistant", f"메시지 {i} 텀블러",
                                         {"i": i})
        await conv_store.add_message(other, "user", "다른 대화")
        last3 = await conv_store.get_messages(ctx, 3)
        every = await conv_store.get_messages(ctx, 100)
        others = await conv_store.get_messages(other, 10)
        await conv_store.clear(ctx)
        return last3, every, others, await conv_store.get_messages(ctx, 10)

    last3, every, others, cleared = run(go())
    assert [m.content for m in last3] == ["메시지 4 텀블러", "메시지 5 텀블러", "메시지 6 텀블러"]
    assert [m.role for m in last3] == ["user", "assistant", "user"] and last3[-1].metadata == {"i": 6}
    assert len(every) == 7 and every[0].created_at <= every[-1].created_at
    assert [m.content for m in others] == ["다른 대화"] and cleared == []


def test_upstash_redis_speaks_the_rest_format(upstash_redis):
    fake, url = upstash_redis
    store = UpstashConversationStore(url, UPSTASH_TOKEN, prefix="t-llm-wire", max_messages=3)
    n0 = len(fake.commands)

    async def go():
        await store.clear("w")
        for i in range(5):
            await store.add_message("w", "user", f"m{i}")
        return await store.get_messages("w", 10)

    msgs = run(go())
    assert [m.content for m in msgs] == ["m2", "m3", "m4"]  # LTRIM keeps max_messages
    sent = [c[0].upper() for c in fake.commands[n0:]]
    assert sent[:1] == ["DEL"] and "RPUSH" in sent and "LTRIM" in sent and sent[-1] == "LRANGE"


def test_upstash_wrong_token_fails_without_echoing_it(upstash_redis):
    fake, url = upstash_redis
    secret = "AXwrong-token-5b4a3f2e1d"
    store = UpstashConversationStore(url, secret)
    with pytest.raises(Exception) as exc:
        run(store.add_message("x", "user", "hi"))
    assert secret not in str(exc.value) and secret not in repr(store)
    assert secret not in repr(UpstashVectorMemory(url, secret))


def test_vector_search_and_filters(vectors):
    async def go():
        await vectors.add_memory("텀블러 가격을 15900원으로 올렸다", agent_name="pricing", context_id="c1",
                                 memory_type="decision")
        await vectors.add_memory("텀블러 재고가 3개 남아 품절 위험", agent_name="inventory", context_id="c2",
                                 memory_type="alert")
        await vectors.add_memory("캠핑 의자 쿠폰 10% 할인 계획", agent_name="promotion", context_id="c3")
        await vectors.add_memory("텀블러 가격 경쟁력 분석: 쿠팡 최저가보다 높음", agent_name="pricing", context_id="c4")
        top = await vectors.search_similar_memories("텀블러 가격", k=2)
        pricing_only = await vectors.search_similar_memories("재고", k=5, agent_name="pricing")
        typed = await vectors.search_similar_memories("텀블러", k=5, memory_types=["alert"])
        related = await vectors.find_related_contexts("텀블러 가격", current_context_id="c1")
        return top, pricing_only, typed, related

    top, pricing_only, typed, related = run(go())
    assert len(top) == 2 and all("텀블러" in h.content for h in top)
    assert top[0].score >= top[1].score and top[0].agent_name == "pricing"
    assert {h.agent_name for h in pricing_only} == {"pricing"} and len(pricing_only) == 2
    assert [h.context_id for h in typed] == ["c2"] and typed[0].memory_type == "alert"
    ids = [r.context_id for r in related]
    assert "c1" not in ids and ids[0] == "c4"
    assert [r.score for r in related] == sorted((r.score for r in related), reverse=True)


def test_pgvector_backend_really_uses_the_extension(pgvector_dsn):
    mem = PostgresVectorMemory(pgvector_dsn)
    assert run(mem.uses_pgvector()) is True
    run(mem.add_memory("스테인리스 텀블러", memory_id="pv1"))
    with psycopg.connect(pgvector_dsn) as c:
        dims = c.execute("SELECT vector_dims(embedding_v) FROM semantic_memories WHERE id = 'pv1'").fetchone()[0]
    assert dims == DIM


def test_plain_postgres_without_pgvector_uses_exact_scan(pg_dsn):
    with psycopg.connect(pg_dsn) as c:
        has = c.execute("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
    mem = PostgresVectorMemory(pg_dsn)
    if has:
        pytest.skip("this Postgres has pgvector; the exact-scan path is covered where it does not")
    assert run(mem.uses_pgvector()) is False


def test_embeddings_are_normalised_and_meaningful():
    a, b, c = embed("스테인리스 텀블러 500ml"), embed("텀블러 500ml 블랙"), embed("캠핑 의자")
    assert len(a) == DIM and abs(cosine(a, a) - 1) < 1e-9
    assert cosine(a, b) > cosine(a, c)
    assert embed("") == [0.0] * DIM and embed("Tumbler") == embed("tumbler")


def test_agent_chat_memory_and_summary(pg_dsn):
    backends = build_memory("postgres", "postgres", dsn=pg_dsn)
    ctx = f"ask-{uuid.uuid4().hex[:6]}"
    mem = AgentChatMemory("pricing", ctx, backends, recent_limit=4, summarize_after=10)

    async def go():
        for i in range(8):
            await mem.add_interaction(f"텀블러 {i} 가격은?", f"텀블러 {i} 가격은 {15000 + i * 100}원입니다.")
        other = AgentChatMemory("pricing", ctx + "-other", backends)
        await other.add_interaction("텀블러 마진 얼마?", "텀블러 마진은 22%입니다.")
        return await mem.get_relevant_context("텀블러 마진", include_summary=True), \
            await mem.get_relevant_context("텀블러", include_summary=False)

    rel, rel_nosum = run(go())
    assert [m.content for m in rel["recent_messages"]][-1] == "텀블러 7 가격은 15700원입니다."
    assert len(rel["recent_messages"]) == 4
    snap = rel["summary"]
    assert snap is not None and snap.message_count == 12 and "텀블러" in snap.summary
    assert any("원" in f for f in snap.key_facts)
    assert rel_nosum["summary"] is None
    assert rel["similar_memories"] and all(h.agent_name == "pricing" for h in rel["similar_memories"])
    assert [r.context_id for r in rel["related_contexts"]][0] == ctx + "-other"
    with psycopg.connect(pg_dsn) as c:
        assert c.execute("SELECT message_count FROM conversation_snapshots WHERE context_id = %s",
                         (ctx,)).fetchone()[0] == 12


def test_memory_retrieval_ranks_and_filters(redis_url, upstash_vector):
    fake, url = upstash_vector
    fake.ns.clear()
    backends = MemoryBackends(RedisConversationStore(redis_url, prefix=f"t-llm-{uuid.uuid4().hex[:6]}"),
                              UpstashVectorMemory(url, UPSTASH_TOKEN))

    async def go():
        a = AgentChatMemory("inventory", "inv-1", backends)
        await a.add_interaction("텀블러 재고 확인", "텀블러 재고 2개, 품절 위험", memory_type="alert")
        await a.add_interaction("의자 재고", "의자 재고 50개", memory_type="interaction")
        b = AgentChatMemory("pricing", "pr-1", backends)
        await b.add_interaction("텀블러 재고와 가격", "가격 유지")
        r = MemoryRetrieval("inventory", backends)
        everything = await r.retrieve_relevant_memories("텀블러 재고", context_id="inv-1", limit=3)
        alerts = await r.retrieve_relevant_memories("텀블러 재고", memory_types=["alert"], limit=5)
        return everything, alerts

    everything, alerts = run(go())
    assert len(everything) == 3 and "텀블러" in everything[0].content
    assert all(h.agent_name == "inventory" for h in everything)
    assert [h.memory_type for h in alerts] == ["alert"]


def test_memory_from_env_defaults_and_errors(pg_dsn):
    b = memory_from_env({"DATABASE_URL": pg_dsn})
    assert isinstance(b.store, PostgresConversationStore) and isinstance(b.vectors, PostgresVectorMemory)
    with pytest.raises(ValueError, match="UPSTASH_REDIS_REST_URL"):
        memory_from_env({"MEMORY_BACKEND": "upstash", "DATABASE_URL": pg_dsn})
    with pytest.raises(ValueError):
        build_memory("nope", "memory")
    s = summarize_messages("x", [])
    assert s.message_count == 0


def test_pgvector_migration_in_per_schema_layouts(pgvector_dsn):
    """Two schemas migrated with search_path set to each alone (as per-test schemas are), the
    first dropped with CASCADE: the database-wide extension survives and search still uses it."""
    from .support import apply_migrations

    names = [f"t_llm_pgv_{uuid.uuid4().hex[:6]}" for _ in range(2)]
    with psycopg.connect(pgvector_dsn, autocommit=True) as c:
        for n in names:
            c.execute(f'CREATE SCHEMA "{n}"')
            c.execute(f'SET search_path TO "{n}"')
            apply_migrations(c)
        c.execute(f'DROP SCHEMA "{names[0]}" CASCADE')
        assert c.execute("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").fetchone()[0] == 1
    mem = PostgresVectorMemory(psycopg.conninfo.make_conninfo(pgvector_dsn, options=f"-csearch_path={names[1]}"))

    async def go():
        assert await mem.uses_pgvector()
        await mem.add_memory("스테인리스 텀블러 가격", context_id="a")
        await mem.add_memory("캠핑 의자 재고", context_id="b")
        return await mem.search_similar_memories("텀블러", k=1)

    hits = run(go())
    assert hits[0].context_id == "a" and 0 < hits[0].score <= 1
    with psycopg.connect(pgvector_dsn, autocommit=True) as c:
        c.execute(f'DROP SCHEMA "{names[1]}" CASCADE')


def test_pgvector_migration_without_the_right_to_create_it(pgvector_dsn):
    """A role that may not CREATE EXTENSION still migrates: semantic memory falls back to scans."""
    from .support import apply_migrations

    role, db = f"llm_plain_{uuid.uuid4().hex[:6]}", f"llm_db_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(pgvector_dsn, autocommit=True) as c:
        c.execute(f'CREATE ROLE "{role}" LOGIN')
        c.execute(f'CREATE DATABASE "{db}" OWNER "{role}"')
    uri = psycopg.conninfo.make_conninfo(pgvector_dsn, user=role, dbname=db)
    try:
        with psycopg.connect(uri, autocommit=True) as c:
            apply_migrations(c)
            assert c.execute("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").fetchone()[0] == 0
        mem = PostgresVectorMemory(uri)
        assert run(mem.uses_pgvector()) is False
        run(mem.add_memory("텀블러", context_id="x"))
        assert run(mem.search_similar_memories("텀블러", 1))[0].context_id == "x"
    finally:
        with psycopg.connect(pgvector_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            c.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_llm_summarizer_writes_the_snapshot_and_falls_back(fake_llm):
    from dropship_core.ai.llm import LLMClient
    from dropship_core.ai.memory import InMemoryConversationStore, InMemoryVectorMemory, Message, llm_summarizer
    from .fake_servers import Step
    from .support import TEST_KEY

    fake, srv = fake_llm
    fake.script(Step("text", text="텀블러 가격을 15,900원으로 논의함."))
    client = LLMClient("openai", api_key=TEST_KEY, base_url=srv.url + "/v1", sdk_max_retries=0,
                       sleep=lambda s: None)
    msgs = [Message("user", f"텀블러 {i} 가격?") for i in range(5)] + [Message("assistant", "15,900원입니다.")]
    snap = llm_summarizer(client)("c", msgs)
    assert snap.summary == "텀블러 가격을 15,900원으로 논의함." and snap.message_count == 6
    assert "텀블러 4 가격?" in fake.requests[0]["body"]["messages"][1]["content"]

    fake.script(*[Step("status", status=503)] * 3)
    fallback = llm_summarizer(client)("c", msgs)
    assert fallback.summary.startswith("6 messages") and "15,900원입니다." in fallback.key_facts[0]

    mem = AgentChatMemory("pricing", "s1", MemoryBackends(InMemoryConversationStore(), InMemoryVectorMemory()),
                          recent_limit=2, summarize_after=3, summarizer=llm_summarizer(client))
    fake.script(Step("text", text="요약"))

    async def go():
        for i in range(3):
            await mem.add_interaction(f"q{i}", f"a{i}")
        return await mem.get_relevant_context("q")

    assert run(go())["summary"].summary == "요약"
