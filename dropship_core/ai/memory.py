"""Conversation memory and semantic memory for the agents and `dropship ask`.

Two stores, each with interchangeable backends (see `memory_stores` and `memory_vectors`):

- conversation memory: `add_message(context_id, role, content)` / `get_messages(context_id, limit)`;
- semantic memory: `add_memory(...)`, `search_similar_memories(query, k)`,
  `find_related_contexts(query, current_context_id)`.

The seed's names work as written and build themselves from the environment: Upstash when
UPSTASH_* are set, otherwise the local backends (Postgres with DATABASE_URL, else process-local):

    store = UpstashMemoryStore();  await store.add_message(context_id="c1", role="user", content="...")
    vectors = UpstashVectorMemory();  await vectors.search_similar_memories(query="...", k=5)
    chat = AgentChatMemory(agent_name="pricing", context_id="c1")
    await chat.add_interaction(human_input="...", ai_response="...", metadata={...})
    await MemoryRetrieval(agent_name="pricing").retrieve_relevant_memories(
        query="...", context_id="c1", memory_types=["chat", "semantic", "workflow"], limit=10)

Memory types: "chat" (conversation turns), "semantic" (facts and decisions the agents record),
"workflow" (conductor runs and their outcomes); older type names are mapped onto these.
No Dagster here.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Callable

from dropship_core.ai.embeddings import HashEmbedder, cosine, embedder_from_env
from dropship_core.ai.memory_stores import (InMemoryConversationStore, PostgresConversationStore,
                                            RedisConversationStore, UpstashConversationStore)
from dropship_core.ai.memory_types import (ConversationContext, MemoryHit, MemorySnapshot, Message,
                                           RelatedContext, WorkflowContext)
from dropship_core.ai.memory_vectors import InMemoryVectorMemory, PostgresVectorMemory, UpstashVectorBackend

__all__ = ["AgentChatMemory", "ConversationContext", "MemoryBackends", "MemoryHit", "MemoryRetrieval",
           "MemorySnapshot", "Message", "RelatedContext", "UpstashMemoryStore", "UpstashVectorMemory",
           "WorkflowContext", "build_memory", "memory_from_env", "summarize_messages", "llm_summarizer"]

# the seed's three memory types, and the finer types stored under each
MEMORY_TYPES = {
    "chat": ("chat", "interaction", "message", "alert"),
    "semantic": ("semantic", "insight", "price_recommendation", "inventory_alert", "promotion_plan", "brief"),
    "workflow": ("workflow", "outcome", "run"),
}


def expand_memory_types(types: list[str] | None) -> list[str] | None:
    if not types:
        return None
    out: list[str] = []
    for t in types:
        out.extend(MEMORY_TYPES.get(t, (t,)))
    return sorted(set(out))


# ---- choosing backends ----------------------------------------------------------------------


@dataclass
class MemoryBackends:
    store: Any  # conversation store
    vectors: Any  # semantic memory


_LOCAL: dict[str, Any] = {}  # process-local fallbacks shared by every facade of this process


def _local(kind: str, factory: Callable[[], Any]) -> Any:
    if kind not in _LOCAL:
        _LOCAL[kind] = factory()
    return _LOCAL[kind]


def build_memory(backend: str = "postgres", vector_backend: str = "postgres", *, dsn: str | None = None,
                 redis_url: str | None = None, upstash_redis_url: str | None = None,
                 upstash_redis_token: str | None = None, upstash_vector_url: str | None = None,
                 upstash_vector_token: str | None = None, ttl_seconds: int | None = None,
                 embedder: Any = None) -> MemoryBackends:
    """backend: postgres | redis | upstash | memory; vector_backend: postgres (pgvector when
    available) | upstash | memory. `embedder`: default the offline n-gram hash."""
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
    emb = embedder or HashEmbedder()
    if vector_backend in ("postgres", "pgvector"):
        if not dsn:
            raise ValueError("semantic memory 'postgres' needs a DATABASE_URL")
        vectors: Any = PostgresVectorMemory(dsn, embedder=emb)
    elif vector_backend == "upstash":
        if not (upstash_vector_url and upstash_vector_token):
            raise ValueError("semantic memory 'upstash' needs UPSTASH_VECTOR_REST_URL and UPSTASH_VECTOR_REST_TOKEN")
        vectors = UpstashVectorBackend(upstash_vector_url, upstash_vector_token, embedder=emb)
    elif vector_backend == "memory":
        vectors = InMemoryVectorMemory(embedder=emb)
    else:
        raise ValueError(f"unknown semantic memory backend {vector_backend!r}")
    return MemoryBackends(store, vectors)


def _default_backend(e: dict[str, str], upstash_keys: tuple[str, str]) -> str:
    if all(e.get(k) for k in upstash_keys):
        return "upstash"
    return "postgres" if e.get("DATABASE_URL") else "memory"


def memory_from_env(env: dict[str, str] | None = None) -> MemoryBackends:
    """MEMORY_BACKEND (postgres|redis|upstash|memory) and VECTOR_BACKEND (postgres|upstash|memory);
    unset: Upstash when its UPSTASH_*_REST_URL/TOKEN are set, else Postgres with DATABASE_URL, else
    process-local. Embeddings from `embedder_from_env` (OpenAI when configured, else the hash)."""
    e = os.environ if env is None else env
    backend = e.get("MEMORY_BACKEND") or _default_backend(e, ("UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"))
    vbackend = e.get("VECTOR_BACKEND") or _default_backend(e, ("UPSTASH_VECTOR_REST_URL", "UPSTASH_VECTOR_REST_TOKEN"))
    built = build_memory(
        backend, vbackend, dsn=e.get("DATABASE_URL"), redis_url=e.get("REDIS_URL"),
        upstash_redis_url=e.get("UPSTASH_REDIS_REST_URL"), upstash_redis_token=e.get("UPSTASH_REDIS_REST_TOKEN"),
        upstash_vector_url=e.get("UPSTASH_VECTOR_REST_URL"), upstash_vector_token=e.get("UPSTASH_VECTOR_REST_TOKEN"),
        embedder=embedder_from_env(dict(e)))
    if backend == "memory":
        built.store = _local("store", InMemoryConversationStore)
    if vbackend == "memory":
        built.vectors = _local(f"vectors:{built.vectors.index_name}", lambda: built.vectors)
    return built


# ---- the seed's store classes ---------------------------------------------------------------


class UpstashMemoryStore:
    """The seed's conversation store: Upstash Redis when UPSTASH_REDIS_REST_URL/TOKEN are set (or
    passed), otherwise the local backend `memory_from_env` picks."""

    def __init__(self, url: str | None = None, token: str | None = None, *, ttl_seconds: int | None = None,
                 env: dict[str, str] | None = None):
        e = os.environ if env is None else env
        url, token = url or e.get("UPSTASH_REDIS_REST_URL"), token or e.get("UPSTASH_REDIS_REST_TOKEN")
        self.backend = (UpstashConversationStore(url, token, ttl_seconds=ttl_seconds) if url and token
                        else memory_from_env(dict(e)).store)

    def __repr__(self) -> str:
        return f"UpstashMemoryStore({self.backend!r})"

    async def add_message(self, context_id: str, role: str, content: str, metadata: dict[str, Any] | None = None):
        return await self.backend.add_message(context_id, role, content, metadata)

    async def get_messages(self, context_id: str, limit: int = 50) -> list[Message]:
        return await self.backend.get_messages(context_id, limit)

    async def clear(self, context_id: str) -> None:
        await self.backend.clear(context_id)


class UpstashVectorMemory:
    """The seed's semantic memory: Upstash Vector when UPSTASH_VECTOR_REST_URL/TOKEN are set (or
    passed), otherwise the local backend `memory_from_env` picks."""

    def __init__(self, url: str | None = None, token: str | None = None, *, embedder: Any = None,
                 namespace_prefix: str = "", env: dict[str, str] | None = None):
        e = os.environ if env is None else env
        url, token = url or e.get("UPSTASH_VECTOR_REST_URL"), token or e.get("UPSTASH_VECTOR_REST_TOKEN")
        if url and token:
            self.backend: Any = UpstashVectorBackend(url, token, namespace_prefix=namespace_prefix,
                                                     embedder=embedder or embedder_from_env(dict(e)))
        else:
            self.backend = memory_from_env(dict(e)).vectors

    def __repr__(self) -> str:
        return f"UpstashVectorMemory({self.backend!r})"

    @property
    def embedder(self) -> Any:
        return self.backend.embedder

    async def add_memory(self, content: str, **kw: Any) -> str:
        return await self.backend.add_memory(content, **kw)

    async def search_similar_memories(self, query: str, k: int = 5, **kw: Any) -> list[MemoryHit]:
        if kw.get("memory_types"):
            kw["memory_types"] = expand_memory_types(kw["memory_types"])
        return await self.backend.search_similar_memories(query, k, **kw)

    async def find_related_contexts(self, query: str, current_context_id: str | None = None,
                                    k: int = 3) -> list[RelatedContext]:
        return await self.backend.find_related_contexts(query, current_context_id, k)


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

    async def add_interaction(self, human_input: str, ai_response: str, metadata: dict[str, Any] | None = None,
                              memory_type: str = "chat") -> str:
        """Both turns go to the conversation store, and one memory to semantic memory."""
        md = {"agent": self.agent_name, **(metadata or {})}
        await self.store.add_message(self.context_id, "user", human_input, md)
        await self.store.add_message(self.context_id, "assistant", ai_response, md)
        # recall is by what was asked (plus the start of the answer): a long answer would
        # otherwise drown the question in the embedding
        return await self.vectors.add_memory(f"Q: {human_input}\nA: {ai_response}", agent_name=self.agent_name,
                                             context_id=self.context_id, memory_type=memory_type,
                                             metadata=metadata or {},
                                             embed_text=f"{human_input}\n{ai_response[:120]}")

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
        """This agent's memories most similar to `query`, of the given types ("chat", "semantic",
        "workflow", or finer ones); memories of `context_id` rank a little higher (the same
        conversation is more likely what the user means), and its recent messages take part
        when "chat" is asked for (or no type is)."""
        vectors = self.backends.vectors
        hits = await vectors.search_similar_memories(
            query, max(limit * 3, 10), agent_name=self.agent_name, memory_types=expand_memory_types(memory_types))
        wants_chat = not memory_types or "chat" in memory_types or "message" in memory_types
        if context_id is not None and wants_chat:
            msgs = await self.backends.store.get_messages(context_id, 20)
            emb = getattr(vectors, "embedder", None) or HashEmbedder()
            vecs = await asyncio.to_thread(emb.embed_many, [query] + [m.content for m in msgs]) if msgs else []
            for i, m in enumerate(msgs):
                hits.append(MemoryHit(f"msg:{context_id}:{i}", m.content, cosine(vecs[0], vecs[i + 1]),
                                      self.agent_name, context_id, "message", m.metadata))
        best: dict[str, MemoryHit] = {}
        for h in hits:
            score = h.score + (0.05 if context_id and h.context_id == context_id else 0.0)
            key = h.content
            if key not in best or score > best[key].score:
                best[key] = MemoryHit(**{**asdict(h), "score": score})
        return sorted(best.values(), key=lambda h: -h.score)[:limit]
