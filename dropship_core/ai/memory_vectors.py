"""Semantic memory: `add_memory(...)`, `search_similar_memories(query, k)`,
`find_related_contexts(query, current_context_id)`.

Backends: Postgres (`semantic_memories`, migration 352; pgvector where available, migration 353),
Upstash Vector (`upstash-vector`, REST) and a process-local one. Vectors come from one embedder
(`dropship_core.ai.embeddings`: OpenAI when configured, n-gram hash offline) and its id names the
index (Postgres `index_name` column, Upstash namespace), so vectors of two embedders never mix.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict
from typing import Any, Protocol

from dropship_core.ai.embeddings import DIM, HashEmbedder, cosine, to_pgvector
from dropship_core.ai.memory_types import MemoryHit, RelatedContext

PGVECTOR_DIM = 256  # the embedding_v column of migration 353


async def _embed(embedder: Any, text: str) -> list[float]:
    if isinstance(embedder, HashEmbedder):
        return embedder.embed_many([text])[0]
    return (await asyncio.to_thread(embedder.embed_many, [text]))[0]


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

    def __init__(self, dsn: str, dim: int = DIM, embedder: Any = None):
        self.embedder = embedder or HashEmbedder(dim)
        self.dsn, self.dim, self.index_name = dsn, self.embedder.dim, self.embedder.id
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
                self._pgvector = row is not None and self.dim == PGVECTOR_DIM
                if row:
                    self._ext = row[0].replace('"', '')
        return self._pgvector

    async def add_memory(self, content, *, agent_name=None, context_id=None, memory_type="interaction",
                         metadata=None, memory_id=None, embed_text=None) -> str:
        from psycopg.types.json import Jsonb

        mid = memory_id or uuid.uuid4().hex
        v = await _embed(self.embedder, embed_text or content)
        pgv = await self.uses_pgvector()
        cols = ("id, agent_name, context_id, memory_type, content, metadata, embedding, index_name"
                + (", embedding_v" if pgv else ""))
        vals = "%s, %s, %s, %s, %s, %s, %s, %s" + (f', %s::"{self._ext}".vector' if pgv else "")
        params: list[Any] = [mid, agent_name, context_id, memory_type, content, Jsonb(metadata or {}), v,
                             self.index_name]
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
        q = await _embed(self.embedder, query)
        where, params = ["index_name = %s"], [self.index_name]
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


class UpstashVectorBackend:
    """Upstash Vector over REST (UPSTASH_VECTOR_REST_URL / UPSTASH_VECTOR_REST_TOKEN). The index
    must be created with the embedder's dimension and cosine similarity; the namespace is
    `namespace_prefix` + the embedder id."""

    def __init__(self, url: str, token: str, dim: int = DIM, namespace_prefix: str = "", embedder: Any = None):
        self.embedder = embedder or HashEmbedder(dim)
        self.url, self._token, self.dim = url, token, self.embedder.dim
        self.namespace = f"{namespace_prefix}{self.embedder.id}"

    def __repr__(self) -> str:
        return f"UpstashVectorBackend(url={self.url!r}, namespace={self.namespace!r})"

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
            await idx.upsert([Vector(id=mid, vector=await _embed(self.embedder, embed_text or content), metadata=md,
                                     data=content)],
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
        q = await _embed(self.embedder, query)
        idx = self._index()
        try:
            res = await idx.query(vector=q, top_k=k, include_metadata=True, include_data=True,
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

    def __init__(self, dim: int = DIM, embedder: Any = None):
        self.embedder = embedder or HashEmbedder(dim)
        self.dim, self.index_name = self.embedder.dim, self.embedder.id
        self._items: dict[str, tuple[list[float], MemoryHit]] = {}

    async def add_memory(self, content, *, agent_name=None, context_id=None, memory_type="interaction",
                         metadata=None, memory_id=None, embed_text=None) -> str:
        mid = memory_id or uuid.uuid4().hex
        self._items[mid] = (await _embed(self.embedder, embed_text or content),
                            MemoryHit(mid, content, 0.0, agent_name, context_id, memory_type, dict(metadata or {})))
        return mid

    async def search_similar_memories(self, query, k=5, *, agent_name=None, memory_types=None,
                                      context_id=None) -> list[MemoryHit]:
        q = await _embed(self.embedder, query)
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
