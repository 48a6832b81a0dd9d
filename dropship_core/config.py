"""Every environment variable the product reads, in one table, read when a value is needed.

Resources, the CLI and the connectors all look settings up here, at run time, never at import:
a code location loads with nothing configured, and a market or supplier that is not configured
fails only when it is used, naming the variables it needs. Secrets are marked so that anything
printing a configuration shows `***` for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    what: str
    secret: bool = False


_TABLE = [
    Setting("DATABASE_URL", None, "the product store; unset: embedded Postgres under .dropship/pg", True),
    Setting("DROPSHIP_HOME", ".dropship", "local state (embedded Postgres, reports, keys)"),
    Setting("DROPSHIP_SUPPLIERS", "suppliers.yaml", "supplier accounts"),
    Setting("DROPSHIP_PRICING", None, "pricing policy; unset: pricing.yaml if present, else built-in"),
    Setting("DROPSHIP_PRICE_APPROVAL", "manual", "manual | auto: who applies price recommendations"),
    Setting("DROPSHIP_SELLER_PRESET", None, "seller settings base: default | sandbox"),
    Setting("DROPSHIP_SELLER_SETTINGS", None, "seller settings YAML on top of the preset"),
    Setting("DROPSHIP_EXECUTOR", None, "unset (in-process) | celery"),
    Setting("DROPSHIP_CELERY_BROKER", "redis://127.0.0.1:6379/0", "Celery broker", True),
    Setting("DROPSHIP_CELERY_BACKEND", None, "Celery result backend (default: the broker)", True),
    Setting("DROPSHIP_PII_KEY", None, "buyer data keys '<id>:<base64 32 bytes>', comma-separated, newest first; "
                                      "unset: a 0600 key file under DROPSHIP_HOME", True),
    Setting("DROPSHIP_CATEGORY_HOLD_BELOW", "0.25", "category confidence under which a listing is held for review"),
    Setting("DROPSHIP_CACHE_DIR", None, "where the classifier keeps Kiwi's analyses of the trees' words "
                                        "(unset: $XDG_CACHE_HOME/dropship or ~/.cache/dropship; 'off': none)"),
    Setting("DROPSHIP_LANDING_KEEP", "3", "raw landings kept per supplier partition (newest first)"),
    Setting("DROPSHIP_LANDING_MAX_AGE_DAYS", "7", "raw landings older than this are pruned (the newest stays)"),
    Setting("DROPSHIP_INCREMENTAL_SYNC_CRON", "0 * * * *", "incremental supplier sync (Asia/Seoul)"),
    Setting("DROPSHIP_FULL_SYNC_CRON", "30 3 * * *", "full supplier sync (Asia/Seoul)"),
    Setting("DROPSHIP_INVENTORY_SYNC_CRON", "*/15 * * * *", "stock push to the markets (Asia/Seoul)"),
    Setting("DROPSHIP_EXCEL_MAX_ROWS", "1000000", "rows per supplier workbook or CSV; a larger file is refused"),
    Setting("DROPSHIP_EXCEL_MAX_CELLS", "20000000", "cells a worksheet may span (rows x columns), checked before reading"),
    Setting("DROPSHIP_EXCEL_MAX_UNZIPPED_MB", "1024", "uncompressed size of a workbook (zip bombs are refused)"),
    Setting("DROPSHIP_QUARANTINE_MAX_PER_FILE", "1000", "rejected rows stored per file; the rest are counted"),
    Setting("SENTRY_DSN", None, "where errors are reported (sentry-sdk)", True),
    Setting("SENTRY_ENVIRONMENT", "production", "the environment name errors are reported under"),
    Setting("SENTRY_TRACES_SAMPLE_RATE", "0", "share of transactions traced (0: errors only)"),
    Setting("DROPSHIP_METRICS_TOKEN", None, "bearer token /metrics requires; unset: /metrics refused", True),
    Setting("DROPSHIP_METRICS_CACHE_S", "15", "seconds /metrics reuses its last read of the store"),
    Setting("DROPSHIP_ALERT_WEBHOOK_URL", None, "a URL that receives run-failure alerts", True),
    Setting("WEBHOOK_SECRET", None, "HMAC secret of supplier webhook pushes", True),
    Setting("DROPSHIP_ANALYTICS_START", None,
            "first day of the analytics partitions (YYYY-MM-DD); unset: the day the data starts, "
            "as recorded under DROPSHIP_HOME by the demo, else 2026-01-01"),
    Setting("DROPSHIP_FETCH_ALLOW_HOSTS", None,
            "hosts (host or host:port, comma-separated) whose images may be fetched from non-public "
            "addresses: local sandboxes only"),
    Setting("OWNERCLAN_USERNAME", None, "OwnerClan seller id"),
    Setting("OWNERCLAN_PASSWORD", None, "OwnerClan password", True),
    Setting("OWNERCLAN_AUTH_URL", None, "OwnerClan auth endpoint (unset: the real one)"),
    Setting("OWNERCLAN_API_URL", None, "OwnerClan GraphQL endpoint (unset: the real one)"),
    Setting("DOMEGGOOK_API_KEY", None, "Domeggook API key", True),
    Setting("DOMEGGOOK_BASE_URL", None, "Domeggook endpoint (unset: the real one)"),
    Setting("SMARTSTORE_CLIENT_ID", None, "Naver Commerce API application id"),
    Setting("SMARTSTORE_CLIENT_SECRET", None, "Naver Commerce API secret (bcrypt salt)", True),
    Setting("SMARTSTORE_BASE_URL", None, "Naver Commerce API endpoint (unset: the real one)"),
    Setting("SMARTSTORE_RATE_PER_S", None, "request pacing override"),
    Setting("COUPANG_ACCESS_KEY", None, "Coupang WING access key", True),
    Setting("COUPANG_SECRET_KEY", None, "Coupang WING secret key", True),
    Setting("COUPANG_VENDOR_ID", None, "Coupang vendor id"),
    Setting("COUPANG_BASE_URL", None, "Coupang endpoint (unset: the real one)"),
    Setting("COUPANG_RATE_PER_S", None, "request pacing override"),
    Setting("ESM_MASTER_ID", None, "ESM 2.0 master id"),
    Setting("ESM_SECRET_KEY", None, "ESM 2.0 secret key", True),
    Setting("ESM_SITE_IDS", None, "'A:<auctionId>,G:<gmarketId>'"),
    Setting("ESM_BASE_URL", None, "ESM endpoint (unset: the real one)"),
    Setting("ESM_RATE_PER_S", None, "request pacing override"),
    Setting("LLM_PROVIDER", "offline", "offline | openai | anthropic"),
    Setting("LLM_MODEL", None, "model name (provider default when unset)"),
    Setting("LLM_BASE_URL", None, "API base URL (a proxy or a local server)"),
    Setting("LLM_TIMEOUT", "60", "seconds per request"),
    Setting("LLM_SPEND_CAP", None, "per-run budget"),
    Setting("LLM_SPEND_CAP_CURRENCY", "USD", "USD | KRW"),
    Setting("OPENAI_API_KEY", None, "OpenAI key", True),
    Setting("ANTHROPIC_API_KEY", None, "Anthropic key", True),
    Setting("OPENAI_BASE_URL", None, "OpenAI-compatible endpoint for embeddings (default: LLM_BASE_URL)"),
    Setting("EMBEDDING_PROVIDER", None, "semantic memory vectors: hash (offline) | openai"),
    Setting("EMBEDDING_MODEL", "text-embedding-3-small", "OpenAI embedding model"),
    Setting("EMBEDDING_DIM", "256", "embedding dimensions"),
    Setting("NAVER_SEARCH_CLIENT_ID", None, "Naver Shopping search API application id (market prices)"),
    Setting("NAVER_SEARCH_CLIENT_SECRET", None, "Naver Shopping search API secret", True),
    Setting("NAVER_SEARCH_URL", None, "Naver Shopping search endpoint (unset: the real one)"),
    Setting("NAVER_SEARCH_DAILY_LIMIT", "25000", "search calls per day for this application"),
    Setting("MEMORY_BACKEND", "postgres", "conversation memory: postgres | redis | upstash | memory"),
    Setting("VECTOR_BACKEND", "postgres", "semantic memory: postgres | upstash | memory"),
    Setting("REDIS_URL", None, "Redis for conversation memory", True),
    Setting("UPSTASH_REDIS_REST_URL", None, "Upstash Redis REST endpoint"),
    Setting("UPSTASH_REDIS_REST_TOKEN", None, "Upstash Redis token", True),
    Setting("UPSTASH_VECTOR_REST_URL", None, "Upstash Vector REST endpoint"),
    Setting("UPSTASH_VECTOR_REST_TOKEN", None, "Upstash Vector token", True),
]

SETTINGS: dict[str, Setting] = {s.name: s for s in _TABLE}

# What each marketplace needs before its client can be made.
MARKET_ENV: dict[str, tuple[str, ...]] = {
    "smartstore": ("SMARTSTORE_CLIENT_ID", "SMARTSTORE_CLIENT_SECRET"),
    "coupang": ("COUPANG_ACCESS_KEY", "COUPANG_SECRET_KEY", "COUPANG_VENDOR_ID"),
    "gmarket": ("ESM_MASTER_ID", "ESM_SECRET_KEY", "ESM_SITE_IDS"),
}
MARKET_BASE_URL_ENV = {"smartstore": "SMARTSTORE_BASE_URL", "coupang": "COUPANG_BASE_URL",
                       "gmarket": "ESM_BASE_URL"}
MARKET_RATE_ENV = {"smartstore": "SMARTSTORE_RATE_PER_S", "coupang": "COUPANG_RATE_PER_S",
                   "gmarket": "ESM_RATE_PER_S"}


def get(name: str, default: str | None = None, env: dict[str, str] | None = None) -> str | None:
    """The variable's value now; empty counts as unset. Unknown names are a programming error."""
    s = SETTINGS[name]
    v = (os.environ if env is None else env).get(name)
    if v not in (None, ""):
        return v
    return default if default is not None else s.default


def get_float(name: str, env: dict[str, str] | None = None) -> float | None:
    v = get(name, env=env)
    return float(v) if v not in (None, "") else None


def missing(names: tuple[str, ...] | list[str], env: dict[str, str] | None = None) -> list[str]:
    return [n for n in names if not get(n, env=env)]


def describe(env: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Each setting with its value as it stands (secrets masked): `dropship config`."""
    rows = []
    for s in _TABLE:
        v = get(s.name, env=env)
        shown = "" if v is None else ("***" if s.secret else v)
        rows.append({"name": s.name, "value": shown, "default": s.default or "", "what": s.what})
    return rows
