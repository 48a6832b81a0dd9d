"""Conversation memory and semantic memory for the agents and `dropship ask`.

Two stores, each with interchangeable backends:

- conversation memory (`ConversationStore`): `add_message(context_id, role, content)` /
  `get_messages(context_id, limit)`. Backends: Postgres table `conversation_messages`
  (default, migration 351), Redis (`redis` package), Upstash Redis (REST, `upstash-redis`).
- semantic memory (`VectorMemory`): `add_memory(...)`, `search_similar_memories(query, k)`,
  `find_related_contexts(query, current_context_id)`. Backends: Postgres (`semantic_memories`,
  migration 352; pgvector index where available, migration 353) and Upstash Vector
  (`upstash-vector`). Embeddings are local (`dropship_core.ai.embeddings`), nothing to download.

On top: `AgentChatMemory(agent_name, context_id)` (an agent's conversation plus what it should
recall) and `MemoryRetrieval(agent_name)` (ranked recall across conversations and memory types).

Every backend opens its connection per call: the CLI and Dagster ops each run their own event
loop (`asyncio.run`), and async clients must not outlive the loop they were made in.
No Dagster here.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Protocol

from dropship_core.ai.embeddings import DIM, cosine, embed, to_pgvector

# ---- shapes ---------------------------------------------------------------------------------


@dataclass
class Message:
    role: str  # user | assistant | system | agent
    content: str
    created_at: float = field(default_factory=time.time)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MemorySnapshot:
    """A summary of a long history, so prompts carry the gist instead of every message."""

    context_id: str
    summary: str
    message_count: int
    key_facts: list[str] = field(default_factory=list)
    first_at: float | None = None
    last_at: float | None = None


@dataclass
class ConversationContext:
    context_id: str
    agent_name: str | None = None
    messages: list[Message] = field(default_factory=list)
    snapshot: MemorySnapshot | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def transcript(self, limit: int | None = None) -> str:
        msgs = self.messages[-limit:] if limit else self.messages
        return "\n".join(f"{m.role}: {m.content}" for m in msgs)


@dataclass
class WorkflowContext:
    """State shared by the agents of one conductor run: inputs, each agent's output, and every
    decision (for the event log), plus the approval mode for price changes."""

    workflow_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    run_id: str | None = None
    approval_mode: str = "manual"  # auto | manual
    data: dict[str, Any] = field(default_factory=dict)
    agent_outputs: dict[str, Any] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)

    def add_decision(self, agent: str, kind: str, **payload: Any) -> dict[str, Any]:
        d = {"agent": agent, "kind": kind, "workflow_id": self.workflow_id, "run_id": self.run_id, **payload}
        self.decisions.append(d)
        return d


@dataclass
class MemoryHit:
    id: str
    content: str
    score: float
    agent_name: str | None = None
    context_id: str | None = None
    memory_type: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class RelatedContext:
    context_id: str
    score: float
    snippet: str


# ---- conversation stores --------------------------------------------------------------------


class ConversationStore(Protocol):
    async def add_message(self, context_id: str, role: str, content: str,
                          metadata: dict[str, Any] | None = None) -> Message: ...

    async def get_messages(self, context_id: str, limit: int = 50) -> list[Message]: ...

    async def clear(self, context_id: str) -> None: ...


class PostgresConversationStore:
    """Default backend: table `conversation_messages` (migration 351)."""

    def __init__(self, dsn: str):
        self.dsn = dsn

    async def _conn(self):
        import psycopg

        return await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)

    async def add_message(self, context_id, role, content, metadata=None) -> Message:
        from psycopg.types.json import Jsonb

        msg = Message(role, content, metadata=dict(metadata or {}))
        async with await self._conn() as conn:
            await conn.execute(
                "INSERT INTO conversation_messages (context_id, role, content, metadata, created_at)"
                " VALUES (%s, %s, %s, %s, to_timestamp(%s))",
                (context_id, role, content, Jsonb(msg.metadata), msg.created_at))
        return msg

    async def get_messages(self, context_id, limit=50) -> list[Message]:
        async with await self._conn() as conn:
            cur = await conn.execute(
                "SELECT role, content, extract(epoch FROM created_at)::float8, metadata FROM ("
                " SELECT * FROM conversation_messages WHERE context_id = %s ORDER BY id DESC LIMIT %s"
                ") t ORDER BY id", (context_id, limit))
            rows = await cur.fetchall()
        return [Message(r, c, t, m) for r, c, t, m in rows]

    async def clear(self, context_id) -> None:
        async with await self._conn() as conn:
            await conn.execute("DELETE FROM conversation_messages WHERE context_id = %s", (context_id,))

    async def save_snapshot(self, snap: MemorySnapshot) -> None:
        from psycopg.types.json import Jsonb

        async with await self._conn() as conn:
            await conn.execute(
                "INSERT INTO conversation_snapshots (context_id, summary, message_count, key_facts)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (context_id) DO UPDATE SET summary = EXCLUDED.summary,"
                " message_count = EXCLUDED.message_count, key_facts = EXCLUDED.key_facts, updated_at = now()",
                (snap.context_id, snap.summary, snap.message_count, Jsonb(snap.key_facts)))


class _RedisListStore:
    """Shared by Redis and Upstash Redis: one list per context, JSON messages, trimmed and expiring."""

    def __init__(self, prefix: str = "dropship:conv", max_messages: int = 1000, ttl_seconds: int | None = None):
        self.prefix, self.max_messages, self.ttl = prefix, max_messages, ttl_seconds

    def key(self, context_id: str) -> str:
        return f"{self.prefix}:{context_id}"

    @staticmethod
    def _decode(raw: Any) -> Message:
        if isinstance(raw, bytes):
            raw = raw.decode()
        d = json.loads(raw)
        return Message(d["role"], d["content"], d.get("created_at", 0.0), d.get("metadata") or {})


class RedisConversationStore(_RedisListStore):
    def __init__(self, url: str = "redis://127.0.0.1:6379/0", **kw):
        super().__init__(**kw)
        self.url = url

    def _client(self):
        import redis.asyncio as aioredis

        return aioredis.from_url(self.url, socket_timeout=10, socket_connect_timeout=5)

    async def add_message(self, context_id, role, content, metadata=None) -> Message:
        msg = Message(role, content, metadata=dict(metadata or {}))
        k = self.key(context_id)
        async with self._client() as r:
            async with r.pipeline(transaction=True) as p:
                p.rpush(k, json.dumps(msg.to_dict(), ensure_ascii=False))
                p.ltrim(k, -self.max_messages, -1)
                if self.ttl:
                    p.expire(k, self.ttl)
                await p.execute()
        return msg

    async def get_messages(self, context_id, limit=50) -> list[Message]:
        async with self._client() as r:
            raw = await r.lrange(self.key(context_id), -limit, -1)
        return [self._decode(x) for x in raw]

    async def clear(self, context_id) -> None:
        async with self._client() as r:
            await r.delete(self.key(context_id))


class UpstashConversationStore(_RedisListStore):
    """Upstash Redis over its REST API (UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN)."""

    def __init__(self, url: str, token: str, **kw):
        super().__init__(**kw)
        self.url, self._token = url, token

    def __repr__(self) -> str:
        return f"UpstashConversationStore(url={self.url!r})"

    def _client(self):
        from upstash_redis.asyncio import Redis

        return Redis(url=self.url, token=self._token, allow_telemetry=False, rest_retries=1,
                     rest_retry_interval=0.5)

    async def add_message(self, context_id, role, content, metadata=None) -> Message:
        msg = Message(role, content, metadata=dict(metadata or {}))
        k = self.key(context_id)
        async with self._client() as r:
            await r.rpush(k, json.dumps(msg.to_dict(), ensure_ascii=False))
            await r.ltrim(k, -self.max_messages, -1)
            if self.ttl:
                await r.expire(k, self.ttl)
        return msg

    async def get_messages(self, context_id, limit=50) -> list[Message]:
        async with self._client() as r:
            raw = await r.lrange(self.key(context_id), -limit, -1)
        return [self._decode(x) for x in raw]

    async def clear(self, context_id) -> None:
        async with self._client() as r:
            await r.delete(self.key(context_id))


class InMemoryConversationStore:
    """Process-local; for a one-off `dropship ask` without a database."""

    def __init__(self):
        self._data: dict[str, list[Message]] = {}

    async def add_message(self, context_id, role, content, metadata=None) -> Message:
        msg = Message(role, content, metadata=dict(metadata or {}))
        self._data.setdefault(context_id, []).append(msg)
        return msg

    async def get_messages(self, context_id, limit=50) -> list[Message]:
        return list(self._data.get(context_id, [])[-limit:])

    async def clear(self, context_id) -> None:
        self._data.pop(context_id, None)


# ---- semantic (vector) memory ---------------------------------------------------------------


class VectorMemory(Protocol):
    async def add_memory(self, content: str, *, agent_name: str | None = None, context_id: str | None = None,
                         memory_type: str = "interaction", metadata: dict[str, Any] | None = None,
                         memory_id: str | None = None, embed_text: str | None = None) -> str: ...

    async def search_similar_memories(self, query: str, k: int = 5, *, agent_name: str | None = None,
                                      memory_types: list[str] | None = None,
                                      context_id: str | None = None) -> list[MemoryHit]: ...

    async def find_related_contexts(self, query: str, current_context_id: str | None,
                                    k: int = 3) -> list[RelatedContext]: ...


def _related_from_hits(hits: list[MemoryHit], current_context_id: str | None, k: int) -> list[RelatedContext]:
    best: dict[str, RelatedContext] = {}
    for h in hits:
        if not h.context_id or h.context_id == current_context_id:
            continue
        if h.context_id not in best or h.score > best[h.context_id].score:
            best[h.context_id] = RelatedContext(h.context_id, h.score, h.content[:200])
    return sorted(best.values(), key=lambda r: -r.score)[:k]


class PostgresVectorMemory:
    """Table `semantic_memories`: pgvector cosine search (HNSW) when migration 353 added the
    `embedding_v` column, otherwise an exact scan over the float8[] column."""

    def __init__(self, dsn: str, dim: int = DIM):
        self.dsn, self.dim = dsn, dim
        self._pgvector: bool | None = None
        self._ext = "public"  # schema holding the vector type and operators

    async def _conn(self):
        import psycopg

        return await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)

    async def uses_pgvector(self) -> bool:
        if self._pgvector is None:
            async with await self._conn() as conn:
                cur = await conn.execute(
                    "SELECT n.nspname FROM information_schema.columns c, pg_extension e"
                    " JOIN pg_namespace n ON n.oid = e.extnamespace"
                    " WHERE c.table_name = 'semantic_memories' AND c.column_name = 'embedding_v'"
                    " AND c.table_schema = ANY(current_schemas(false)) AND e.extname = 'vector'")
                row = await cur.fetchone()
                self._pgvector = row is not None
                if row:
                    self._ext = row[0].replace('"', '')
        return self._pgvector

    async def add_memory(self, content, *, agent_name=None, context_id=None, memory_type="interaction",
                         metadata=None, memory_id=None, embed_text=None) -> str:
        from psycopg.types.json import Jsonb

        mid = memory_id or uuid.uuid4().hex
        v = embed(embed_text or content, self.dim)
        pgv = await self.uses_pgvector()
        cols = "id, agent_name, context_id, memory_type, content, metadata, embedding" + (", embedding_v" if pgv else "")
        vals = "%s, %s, %s, %s, %s, %s, %s" + (f', %s::"{self._ext}".vector' if pgv else "")
        params: list[Any] = [mid, agent_name, context_id, memory_type, content, Jsonb(metadata or {}), v]
        if pgv:
            params.append(to_pgvector(v))
        upd = ", embedding_v = EXCLUDED.embedding_v" if pgv else ""
        async with await self._conn() as conn:
            await conn.execute(
                f"INSERT INTO semantic_memories ({cols}) VALUES ({vals}) ON CONFLICT (id) DO UPDATE SET"
                f" content = EXCLUDED.content, metadata = EXCLUDED.metadata, embedding = EXCLUDED.embedding{upd}",
                params)
        return mid

    async def search_similar_memories(self, query, k=5, *, agent_name=None, memory_types=None,
                                      context_id=None) -> list[MemoryHit]:
        q = embed(query, self.dim)
        where, params = ["TRUE"], []
        if agent_name is not None:
            where.append("agent_name = %s")
            params.append(agent_name)
        if memory_types:
            where.append("memory_type = ANY(%s)")
            params.append(list(memory_types))
        if context_id is not None:
            where.append("context_id = %s")
            params.append(context_id)
        if await self.uses_pgvector():
            # schema-qualified: the search_path may not include the extension's schema
            dist = f'embedding_v OPERATOR("{self._ext}".<=>) %s::"{self._ext}".vector'
            score, order = f"1 - ({dist})", dist
            sql_params = [to_pgvector(q), *params, to_pgvector(q), k]
        else:
            score = "(SELECT sum(a * b) FROM unnest(embedding, %s::float8[]) AS t(a, b))"
            order = "score DESC"
            sql_params = [q, *params, k]
        sql = (f"SELECT id, {score} AS score, content, agent_name, context_id, memory_type, metadata"
               f" FROM semantic_memories WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s")
        async with await self._conn() as conn:
            cur = await conn.execute(sql, sql_params)
            rows = await cur.fetchall()
        return [MemoryHit(i, c, float(s or 0.0), a, ctx, t, m) for i, s, c, a, ctx, t, m in rows]

    async def find_related_contexts(self, query, current_context_id, k=3) -> list[RelatedContext]:
        hits = await self.search_similar_memories(query, k=max(20, k * 5))
        return _related_from_hits(hits, current_context_id, k)


def _upstash_filter_value(v: str) -> str:
    return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"


async def _aclose_index(idx: Any) -> None:
    # AsyncIndex has no close(); its httpx client must not outlive this event loop
    client = getattr(idx, "_client", None)
    if client is not None:
        await client.aclose()


class UpstashVectorMemory:
    """Upstash Vector over REST (UPSTASH_VECTOR_REST_URL / UPSTASH_VECTOR_REST_TOKEN). The index
    must be created with the local embedding's dimension (256) and cosine similarity."""

    def __init__(self, url: str, token: str, dim: int = DIM, namespace: str = ""):
        self.url, self._token, self.dim, self.namespace = url, token, dim, namespace

    def __repr__(self) -> str:
        return f"UpstashVectorMemory(url={self.url!r})"

    def _index(self):
        from upstash_vector import AsyncIndex

        return AsyncIndex(url=self.url, token=self._token, retries=1, retry_interval=0.5, allow_telemetry=False)

    async def add_memory(self, content, *, agent_name=None, context_id=None, memory_type="interaction",
                         metadata=None, memory_id=None, embed_text=None) -> str:
        from upstash_vector import Vector

        mid = memory_id or uuid.uuid4().hex
        md = {**(metadata or {}), "agent_name": agent_name, "context_id": context_id, "memory_type": memory_type,
              "created_at": time.time()}
        md = {k: v for k, v in md.items() if v is not None}
        idx = self._index()
        try:
            await idx.upsert([Vector(id=mid, vector=embed(embed_text or content, self.dim), metadata=md, data=content)],
                             namespace=self.namespace)
        finally:
            await _aclose_index(idx)
        return mid

    async def search_similar_memories(self, query, k=5, *, agent_name=None, memory_types=None,
                                      context_id=None) -> list[MemoryHit]:
        clauses = []
        if agent_name is not None:
            clauses.append(f"agent_name = {_upstash_filter_value(agent_name)}")
        if memory_types:
            clauses.append("memory_type IN (" + ", ".join(_upstash_filter_value(t) for t in memory_types) + ")")
        if context_id is not None:
            clauses.append(f"context_id = {_upstash_filter_value(context_id)}")
        idx = self._index()
        try:
            res = await idx.query(vector=embed(query, self.dim), top_k=k, include_metadata=True, include_data=True,
                                  filter=" AND ".join(clauses), namespace=self.namespace)
        finally:
            await _aclose_index(idx)
        out = []
        for r in res:
            md = dict(r.metadata or {})
            # Upstash scores cosine indexes as (1 + cos) / 2; report cosine like the other backends
            out.append(MemoryHit(str(r.id), r.data or "", 2 * float(r.score) - 1, md.pop("agent_name", None),
                                 md.pop("context_id", None), md.pop("memory_type", None), md))
        return out

    async def find_related_contexts(self, query, current_context_id, k=3) -> list[RelatedContext]:
        hits = await self.search_similar_memories(query, k=max(20, k * 5))
        return _related_from_hits(hits, current_context_id, k)


class InMemoryVectorMemory:
    """Process-local; for a one-off `dropship ask` without a database."""

    def __init__(self, dim: int = DIM):
        self.dim = dim
        self._items: dict[str, tuple[list[float], MemoryHit]] = {}

    async def add_memory(self, content, *, agent_name=None, context_id=None, memory_type="interaction",
                         metadata=None, memory_id=None, embed_text=None) -> str:
        mid = memory_id or uuid.uuid4().hex
        self._items[mid] = (embed(embed_text or content, self.dim),
                            MemoryHit(mid, content, 0.0, agent_name, context_id, memory_type, dict(metadata or {})))
        return mid

    async def search_similar_memories(self, query, k=5, *, agent_name=None, memory_types=None,
                                      context_id=None) -> list[MemoryHit]:
        q = embed(query, self.dim)
        hits = []
        for v, h in self._items.values():
            if agent_name is not None and h.agent_name != agent_name:
                continue
            if memory_types and h.memory_type not in memory_types:
                continue
            if context_id is not None and h.context_id != context_id:
                continue
            hits.append(MemoryHit(**{**asdict(h), "score": cosine(q, v)}))
        return sorted(hits, key=lambda h: -h.score)[:k]

    async def find_related_contexts(self, query, current_context_id, k=3) -> list[RelatedContext]:
        return _related_from_hits(await self.search_similar_memories(query, k=max(20, k * 5)), current_context_id, k)


# ---- choosing backends ----------------------------------------------------------------------


@dataclass
class MemoryBackends:
    store: Any  # ConversationStore
    vectors: Any  # VectorMemory


def build_memory(
    backend: str = "postgres",
    vector_backend: str = "postgres",
    *,
    dsn: str | None = None,
    redis_url: str | None = None,
    upstash_redis_url: str | None = None,
    upstash_redis_token: str | None = None,
    upstash_vector_url: str | None = None,
    upstash_vector_token: str | None = None,
    ttl_seconds: int | None = None,
) -> MemoryBackends:
    """backend: postgres | redis | upstash | memory; vector_backend: postgres (pgvector when
    available) | upstash | memory."""
    if backend == "postgres":
        if not dsn:
            raise ValueError("conversation memory 'postgres' needs a DATABASE_URL")
        store: Any = PostgresConversationStore(dsn)
    elif backend == "redis":
        store = RedisConversationStore(redis_url or "redis://127.0.0.1:6379/0", ttl_seconds=ttl_seconds)
    elif backend == "upstash":
        if not (upstash_redis_url and upstash_redis_token):
            raise ValueError("conversation memory 'upstash' needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN")
        store = UpstashConversationStore(upstash_redis_url, upstash_redis_token, ttl_seconds=ttl_seconds)
    elif backend == "memory":
        store = InMemoryConversationStore()
    else:
        raise ValueError(f"unknown conversation memory backend {backend!r}")
    if vector_backend in ("postgres", "pgvector"):
        if not dsn:
            raise ValueError("semantic memory 'postgres' needs a DATABASE_URL")
        vectors: Any = PostgresVectorMemory(dsn)
    elif vector_backend == "upstash":
        if not (upstash_vector_url and upstash_vector_token):
            raise ValueError("semantic memory 'upstash' needs UPSTASH_VECTOR_REST_URL and UPSTASH_VECTOR_REST_TOKEN")
        vectors = UpstashVectorMemory(upstash_vector_url, upstash_vector_token)
    elif vector_backend == "memory":
        vectors = InMemoryVectorMemory()
    else:
        raise ValueError(f"unknown semantic memory backend {vector_backend!r}")
    return MemoryBackends(store, vectors)


def memory_from_env(env: dict[str, str] | None = None) -> MemoryBackends:
    """MEMORY_BACKEND (postgres|redis|upstash|memory), VECTOR_BACKEND (postgres|upstash|memory),
    DATABASE_URL, REDIS_URL, UPSTASH_REDIS_REST_URL/TOKEN, UPSTASH_VECTOR_REST_URL/TOKEN."""
    import os

    e = os.environ if env is None else env
    return build_memory(
        e.get("MEMORY_BACKEND", "postgres"), e.get("VECTOR_BACKEND", "postgres"),
        dsn=e.get("DATABASE_URL"), redis_url=e.get("REDIS_URL"),
        upstash_redis_url=e.get("UPSTASH_REDIS_REST_URL"), upstash_redis_token=e.get("UPSTASH_REDIS_REST_TOKEN"),
        upstash_vector_url=e.get("UPSTASH_VECTOR_REST_URL"), upstash_vector_token=e.get("UPSTASH_VECTOR_REST_TOKEN"),
    )


# ---- summaries ------------------------------------------------------------------------------

_STOP = {"the", "a", "an", "is", "are", "and", "or", "to", "of", "in", "for", "what", "how", "it", "on",
         "이", "가", "은", "는", "을", "를", "의", "에", "좀", "뭐", "어떻게"}
_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:원|%|개|KRW|USD)?")


def summarize_messages(context_id: str, messages: list[Message], max_facts: int = 8) -> MemorySnapshot:
    """Extractive summary, no model needed: main topics, the figures mentioned, the last questions."""
    words = Counter()
    for m in messages:
        for w in re.findall(r"[\w가-힣]{2,}", m.content.lower()):
            if w not in _STOP and not w.isdigit():
                words[w] += 1
    topics = [w for w, _ in words.most_common(6)]
    facts: list[str] = []
    for m in reversed(messages):
        if m.role != "user" and _NUM.search(m.content):
            sentence = re.split(r"(?<=[.!?。])\s+", m.content.strip())[0]
            if sentence not in facts:
                facts.append(sentence[:200])
        if len(facts) >= max_facts:
            break
    questions = [m.content[:120] for m in messages if m.role == "user"][-3:]
    summary = (f"{len(messages)} messages. Topics: {', '.join(topics) or '-'}."
               + (f" Recent questions: {' | '.join(questions)}." if questions else ""))
    return MemorySnapshot(context_id, summary, len(messages), facts,
                          messages[0].created_at if messages else None, messages[-1].created_at if messages else None)


def llm_summarizer(client: Any, max_chars: int = 8000) -> Callable[[str, list[Message]], MemorySnapshot]:
    """A summarizer for `AgentChatMemory(summarizer=...)` that lets the configured LLM write the
    summary; the extractive one stands in when the call fails or the spend cap is reached."""

    def summarize(context_id: str, messages: list[Message]) -> MemorySnapshot:
        snap = summarize_messages(context_id, messages)
        transcript = "\n".join(f"{m.role}: {m.content}" for m in messages)[-max_chars:]
        try:
            res = client.complete_text(
                "Summarise this conversation between a Korean online seller and the shop's AI in at most "
                "three sentences. Keep every product name and figure (prices, margins, stock).", transcript)
        except Exception:  # SpendCapReached or a defect: the extractive summary is good enough
            return snap
        if res.ok and res.text.strip():
            snap.summary = res.text.strip()
        return snap

    return summarize


# ---- agent-facing API -----------------------------------------------------------------------


class AgentChatMemory:
    """One agent's conversation in one context, with recall of similar past interactions."""

    def __init__(self, agent_name: str, context_id: str, backends: MemoryBackends | None = None, *,
                 recent_limit: int = 12, summarize_after: int = 20,
                 summarizer: Callable[[str, list[Message]], MemorySnapshot] | None = None):
        self.agent_name, self.context_id = agent_name, context_id
        self.backends = backends or memory_from_env()
        self.recent_limit, self.summarize_after = recent_limit, summarize_after
        self.summarizer = summarizer or summarize_messages

    @property
    def store(self):
        return self.backends.store

    @property
    def vectors(self):
        return self.backends.vectors

    async def add_interaction(self, user_message: str, agent_response: str,
                              metadata: dict[str, Any] | None = None, memory_type: str = "interaction") -> str:
        md = {"agent": self.agent_name, **(metadata or {})}
        await self.store.add_message(self.context_id, "user", user_message, md)
        await self.store.add_message(self.context_id, "assistant", agent_response, md)
        # recall is by what was asked (plus the start of the answer): a long answer would
        # otherwise drown the question in the embedding
        return await self.vectors.add_memory(f"Q: {user_message}\nA: {agent_response}", agent_name=self.agent_name,
                                             context_id=self.context_id, memory_type=memory_type,
                                             metadata=metadata or {},
                                             embed_text=f"{user_message}\n{agent_response[:120]}")

    async def get_context(self, limit: int | None = None) -> ConversationContext:
        msgs = await self.store.get_messages(self.context_id, limit or self.recent_limit)
        return ConversationContext(self.context_id, self.agent_name, msgs)

    async def get_relevant_context(self, query: str, include_summary: bool = True, k: int = 5) -> dict[str, Any]:
        """What a prompt about `query` should carry: recent messages, a summary when the history is
        long, similar past memories of this agent, and other conversations on the same subject."""
        history = await self.store.get_messages(self.context_id, 10_000 if include_summary else self.recent_limit)
        recent = history[-self.recent_limit:]
        snapshot = None
        if include_summary and len(history) > self.summarize_after:
            snapshot = self.summarizer(self.context_id, history[:-self.recent_limit] or history)
            if hasattr(self.store, "save_snapshot"):
                await self.store.save_snapshot(snapshot)
        similar, related = await asyncio.gather(
            self.vectors.search_similar_memories(query, k, agent_name=self.agent_name),
            self.vectors.find_related_contexts(query, self.context_id),
        )
        return {"context": ConversationContext(self.context_id, self.agent_name, recent, snapshot),
                "recent_messages": recent, "summary": snapshot, "similar_memories": similar,
                "related_contexts": related}


class MemoryRetrieval:
    """Ranked recall for one agent across conversations and memory types."""

    def __init__(self, agent_name: str, backends: MemoryBackends | None = None):
        self.agent_name = agent_name
        self.backends = backends or memory_from_env()

    async def retrieve_relevant_memories(self, query: str, context_id: str | None = None,
                                         memory_types: list[str] | None = None, limit: int = 5) -> list[MemoryHit]:
        """This agent's memories most similar to `query`; memories of `context_id` are ranked a
        little higher (the same conversation is more likely what the user means), and its recent
        messages take part too."""
        hits = await self.backends.vectors.search_similar_memories(
            query, max(limit * 3, 10), agent_name=self.agent_name, memory_types=memory_types)
        if context_id is not None:
            q = embed(query)
            for i, m in enumerate(await self.backends.store.get_messages(context_id, 20)):
                hits.append(MemoryHit(f"msg:{context_id}:{i}", m.content, cosine(q, embed(m.content)),
                                      self.agent_name, context_id, "message", m.metadata))
        best: dict[str, MemoryHit] = {}
        for h in hits:
            score = h.score + (0.05 if context_id and h.context_id == context_id else 0.0)
            key = h.content
            if key not in best or score > best[key].score:
                best[key] = MemoryHit(**{**asdict(h), "score": score})
        return sorted(best.values(), key=lambda h: -h.score)[:limit]
