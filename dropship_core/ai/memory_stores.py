"""Conversation stores: `add_message(context_id, role, content)` / `get_messages(context_id, limit)`.

Backends: Postgres table `conversation_messages` (migration 351), Redis (`redis` package), Upstash
Redis (REST, `upstash-redis`), and a process-local one. Every backend opens its connection per call:
the CLI and Dagster ops each run their own event loop, and async clients must not outlive it.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from dropship_core.ai.memory_types import MemorySnapshot, Message

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

    # the list commands are the same on Redis and Upstash; `_client()` is each backend's own
    async def get_messages(self, context_id, limit=50) -> list[Message]:
        async with self._client() as r:
            raw = await r.lrange(self.key(context_id), -limit, -1)
        return [self._decode(x) for x in raw]

    async def clear(self, context_id) -> None:
        async with self._client() as r:
            await r.delete(self.key(context_id))


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
