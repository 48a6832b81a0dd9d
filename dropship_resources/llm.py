"""Dagster resources for the AI layer: the LLM client and the memory stores.

Configure secrets with `dg.EnvVar` so they never appear in run config, logs or metadata:

    LLMResource(provider="openai", model="gpt-4o-mini",
                openai_api_key=dg.EnvVar("OPENAI_API_KEY"), spend_cap=20000, spend_cap_currency="KRW")
    MemoryResource(backend="upstash", upstash_redis_rest_url=dg.EnvVar("UPSTASH_REDIS_REST_URL"),
                   upstash_redis_rest_token=dg.EnvVar("UPSTASH_REDIS_REST_TOKEN"), ...)

Defaults need no account: provider "offline" (the rules-based enricher passed as `offline_fn`),
memory in the product store's Postgres.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

import dagster as dg
from pydantic import Field

from dropship_core.ai.llm import DEFAULT_KRW_PER_USD, LLMClient, SpendCap
from dropship_core.ai.llm_cache import PROMPT_VERSION, EnrichBatchReport, LLMCache, enrich_batch
from dropship_core.ai.embeddings import HashEmbedder, OpenAIEmbedder
from dropship_core.ai.memory import AgentChatMemory, MemoryBackends, MemoryRetrieval, build_memory


class LLMResource(dg.ConfigurableResource):
    """An LLM provider for enrichment and `ask`. One `get_client()` per run: the client carries
    that run's token/cost ledger and spend cap."""

    provider: str = Field(default="offline", description="offline | openai | anthropic")
    model: Optional[str] = Field(default=None, description="model name; provider default when unset")
    openai_api_key: Optional[str] = Field(default=None, description="set with dg.EnvVar('OPENAI_API_KEY')")
    anthropic_api_key: Optional[str] = Field(default=None, description="set with dg.EnvVar('ANTHROPIC_API_KEY')")
    base_url: Optional[str] = Field(default=None, description="API base URL (a proxy or a local server)")
    timeout_seconds: float = Field(default=60.0, description="per request")
    sdk_max_retries: int = Field(default=2, description="the SDK's own retries (429/5xx/timeouts, Retry-After)")
    retry_attempts: int = Field(default=3, description="bounded retries on 429/5xx on top of the SDK's")
    max_tokens: int = 2048
    spend_cap: Optional[float] = Field(default=None, description="per-run budget; remaining items are skipped")
    spend_cap_currency: str = Field(default="USD", description="USD | KRW")
    krw_per_usd: float = DEFAULT_KRW_PER_USD
    prompt_version: str = Field(default=PROMPT_VERSION, description="bump to re-enrich everything")
    max_concurrency: int = Field(default=4, description="enrichment requests in flight at once")
    prices: Optional[dict[str, list[float]]] = Field(
        default=None, description="model -> [USD per 1M input tokens, USD per 1M output tokens]")

    def _key(self) -> Optional[str]:
        return {"openai": self.openai_api_key, "anthropic": self.anthropic_api_key}.get(self.provider)

    def get_client(self, offline_fn: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> LLMClient:
        cap = SpendCap(self.spend_cap, self.spend_cap_currency.upper(), self.krw_per_usd) if self.spend_cap else None
        return LLMClient(
            self.provider, self.model, api_key=self._key(), base_url=self.base_url, timeout=self.timeout_seconds,
            sdk_max_retries=self.sdk_max_retries, retry_attempts=self.retry_attempts, max_tokens=self.max_tokens,
            prices={k: (v[0], v[1]) for k, v in (self.prices or {}).items()}, spend_cap=cap,
            krw_per_usd=self.krw_per_usd, offline_fn=offline_fn if self.provider == "offline" else None)

    def enrich(self, products_with_hashes: Iterable[tuple[dict[str, Any], str]], conn: Any, *,
               candidates_fn: Callable | None = None, fallback: Callable | None = None,
               offline_fn: Callable | None = None, client: LLMClient | None = None) -> EnrichBatchReport:
        """Cache-first enrichment (table llm_cache, migration 350) through a fresh client.
        `conn`: a psycopg connection or a DSN for the product store."""
        client = client or self.get_client(offline_fn)
        cache = LLMCache(conn)
        try:
            return enrich_batch(products_with_hashes, client, cache, candidates_fn=candidates_fn,
                                prompt_version=self.prompt_version, fallback=fallback,
                                max_workers=self.max_concurrency)
        finally:
            cache.close()


class MemoryResource(dg.ConfigurableResource):
    """Conversation memory (postgres | redis | upstash | memory) and semantic memory
    (postgres — pgvector where installed — | upstash | memory)."""

    backend: str = Field(default="postgres", description="postgres | redis | upstash | memory")
    vector_backend: str = Field(default="postgres", description="postgres | upstash | memory")
    database_url: Optional[str] = Field(default=None, description="dg.EnvVar('DATABASE_URL')")
    redis_url: Optional[str] = Field(default=None, description="dg.EnvVar('REDIS_URL'), e.g. redis://127.0.0.1:6379/0")
    upstash_redis_rest_url: Optional[str] = None
    upstash_redis_rest_token: Optional[str] = Field(default=None, description="dg.EnvVar('UPSTASH_REDIS_REST_TOKEN')")
    upstash_vector_rest_url: Optional[str] = None
    upstash_vector_rest_token: Optional[str] = Field(default=None, description="dg.EnvVar('UPSTASH_VECTOR_REST_TOKEN')")
    ttl_seconds: Optional[int] = Field(default=None, description="expiry of Redis conversations")
    embedding_provider: str = Field(default="hash", description="hash (offline n-grams) | openai")
    embedding_model: str = "text-embedding-3-small"
    embedding_dim: int = 256
    openai_api_key: Optional[str] = Field(default=None, description="dg.EnvVar('OPENAI_API_KEY'), for openai")
    openai_base_url: Optional[str] = None

    def embedder(self):
        if self.embedding_provider == "openai":
            if not self.openai_api_key:
                raise ValueError("embedding_provider 'openai' needs openai_api_key")
            return OpenAIEmbedder(self.openai_api_key, self.embedding_model, self.embedding_dim, self.openai_base_url)
        if self.embedding_provider != "hash":
            raise ValueError(f"unknown embedding_provider {self.embedding_provider!r}")
        return HashEmbedder(self.embedding_dim)

    def get_backends(self, default_dsn: str | None = None) -> MemoryBackends:
        """`default_dsn`: the product store's database when `database_url` is not set."""
        return build_memory(
            self.backend, self.vector_backend, dsn=self.database_url or default_dsn, redis_url=self.redis_url,
            upstash_redis_url=self.upstash_redis_rest_url, upstash_redis_token=self.upstash_redis_rest_token,
            upstash_vector_url=self.upstash_vector_rest_url, upstash_vector_token=self.upstash_vector_rest_token,
            ttl_seconds=self.ttl_seconds, embedder=self.embedder())

    def agent_memory(self, agent_name: str, context_id: str) -> AgentChatMemory:
        return AgentChatMemory(agent_name, context_id, self.get_backends())

    def retrieval(self, agent_name: str) -> MemoryRetrieval:
        return MemoryRetrieval(agent_name, self.get_backends())
