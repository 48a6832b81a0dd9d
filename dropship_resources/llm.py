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

from dropship_core import config
from dropship_core.ai.llm import DEFAULT_KRW_PER_USD, LLMClient, SpendCap
from dropship_core.ai.llm_cache import PROMPT_VERSION, EnrichBatchReport, LLMCache, enrich_batch
from dropship_core.ai.memory import AgentChatMemory, MemoryBackends, MemoryRetrieval, build_memory


class LLMResource(dg.ConfigurableResource):
    """An LLM provider for enrichment and `ask`. One `get_client()` per run: the client carries
    that run's token/cost ledger and spend cap."""

    provider: Optional[str] = Field(default=None, description="offline | openai | anthropic; unset: LLM_PROVIDER")
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

    def provider_name(self) -> str:
        """The provider in effect: the field, else LLM_PROVIDER at run time, else offline."""
        return self.provider or config.get("LLM_PROVIDER") or "offline"

    def _key(self) -> Optional[str]:
        """The configured key (dg.EnvVar), else the provider's variable as it is at run time."""
        p = self.provider_name()
        given = {"openai": self.openai_api_key, "anthropic": self.anthropic_api_key}.get(p)
        env_name = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}.get(p)
        return given or (config.get(env_name) if env_name else None)

    def get_client(self, offline_fn: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> LLMClient:
        spend_cap = self.spend_cap if self.spend_cap is not None else config.get_float("LLM_SPEND_CAP")
        currency = (config.get("LLM_SPEND_CAP_CURRENCY") if self.spend_cap is None else self.spend_cap_currency) or "USD"
        cap = SpendCap(spend_cap, currency.upper(), self.krw_per_usd) if spend_cap else None
        provider = self.provider_name()
        return LLMClient(
            provider, self.model or config.get("LLM_MODEL"), api_key=self._key(),
            base_url=self.base_url or config.get("LLM_BASE_URL"), timeout=self.timeout_seconds,
            sdk_max_retries=self.sdk_max_retries, retry_attempts=self.retry_attempts, max_tokens=self.max_tokens,
            prices={k: (v[0], v[1]) for k, v in (self.prices or {}).items()}, spend_cap=cap,
            krw_per_usd=self.krw_per_usd, offline_fn=offline_fn if provider == "offline" else None)

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

    backend: Optional[str] = Field(default=None, description="postgres | redis | upstash | memory; unset: MEMORY_BACKEND")
    vector_backend: Optional[str] = Field(default=None, description="postgres | upstash | memory; unset: VECTOR_BACKEND")
    database_url: Optional[str] = Field(default=None, description="dg.EnvVar('DATABASE_URL')")
    redis_url: Optional[str] = Field(default=None, description="dg.EnvVar('REDIS_URL'), e.g. redis://127.0.0.1:6379/0")
    upstash_redis_rest_url: Optional[str] = None
    upstash_redis_rest_token: Optional[str] = Field(default=None, description="dg.EnvVar('UPSTASH_REDIS_REST_TOKEN')")
    upstash_vector_rest_url: Optional[str] = None
    upstash_vector_rest_token: Optional[str] = Field(default=None, description="dg.EnvVar('UPSTASH_VECTOR_REST_TOKEN')")
    ttl_seconds: Optional[int] = Field(default=None, description="expiry of Redis conversations")
    embedding_provider: Optional[str] = Field(default=None, description="hash (offline n-grams) | openai; "
                                                                   "unset: EMBEDDING_PROVIDER at run time")
    embedding_model: Optional[str] = Field(default=None, description="unset: EMBEDDING_MODEL, else text-embedding-3-small")
    embedding_dim: Optional[int] = Field(default=None, description="unset: EMBEDDING_DIM, else 256")
    openai_api_key: Optional[str] = Field(default=None, description="dg.EnvVar('OPENAI_API_KEY'), for openai")
    openai_base_url: Optional[str] = None

    def embedder(self):
        """The fields set here over EMBEDDING_* / OPENAI_* as they are at run time."""
        import os

        from dropship_core.ai.embeddings import embedder_from_env

        fields = {"EMBEDDING_PROVIDER": self.embedding_provider, "EMBEDDING_MODEL": self.embedding_model,
                  "EMBEDDING_DIM": str(self.embedding_dim) if self.embedding_dim else None,
                  "OPENAI_API_KEY": self.openai_api_key, "OPENAI_BASE_URL": self.openai_base_url}
        return embedder_from_env({**os.environ, **{k: v for k, v in fields.items() if v}})

    def get_backends(self, default_dsn: str | None = None) -> MemoryBackends:
        """`default_dsn`: the product store's database when neither `database_url` nor DATABASE_URL
        is set."""
        g = config.get
        return build_memory(
            self.backend or g("MEMORY_BACKEND"), self.vector_backend or g("VECTOR_BACKEND"),
            dsn=self.database_url or default_dsn or g("DATABASE_URL"), redis_url=self.redis_url or g("REDIS_URL"),
            upstash_redis_url=self.upstash_redis_rest_url or g("UPSTASH_REDIS_REST_URL"),
            upstash_redis_token=self.upstash_redis_rest_token or g("UPSTASH_REDIS_REST_TOKEN"),
            upstash_vector_url=self.upstash_vector_rest_url or g("UPSTASH_VECTOR_REST_URL"),
            upstash_vector_token=self.upstash_vector_rest_token or g("UPSTASH_VECTOR_REST_TOKEN"),
            ttl_seconds=self.ttl_seconds, embedder=self.embedder())

    def agent_memory(self, agent_name: str, context_id: str) -> AgentChatMemory:
        return AgentChatMemory(agent_name, context_id, self.get_backends())

    def retrieval(self, agent_name: str) -> MemoryRetrieval:
        return MemoryRetrieval(agent_name, self.get_backends())
