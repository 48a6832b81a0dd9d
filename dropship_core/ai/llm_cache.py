"""Enrichment through an LLM, behind a Postgres cache keyed by (content_hash, prompt_version, model).

`enrich_batch` is what `enriched_products` calls: cached products cost nothing, the rest go to the
`LLMClient` one by one; a per-product failure becomes that product's error (and, with `fallback`,
the offline enricher's answer), and a reached spend cap marks the rest `skipped`. Enriching the
same catalog twice makes zero LLM calls the second time; changing one product makes exactly one.

No Dagster here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable

import psycopg
from psycopg.types.json import Jsonb

from dropship_core import metrics
from dropship_core.ai.llm import LLMClient, SpendCapReached
from dropship_core.ai.llm_types import TokenUsage
from dropship_core.markets.names import MARKETS, TITLE_LIMITS

PROMPT_VERSION = "v1"
SCHEMA_NAME = "product_enrichment"

_nullable_str = {"type": ["string", "null"]}
_category = {
    "anyOf": [
        {"type": "null"},
        {"type": "object", "additionalProperties": False, "required": ["id", "path", "confidence"],
         "properties": {"id": {"type": "string"}, "path": {"type": "string"}, "confidence": {"type": "number"}}},
    ]
}

# The part of `ai_data` (docs/data-shapes.md) the model writes; provider/model/prompt_version are
# added here. Strict-mode compatible: every property required, no open objects, no numeric bounds
# (those are checked by `check_enrichment`).
ENRICHMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["clean_name", "titles", "description", "attributes", "categories", "banned_words",
                 "quality_score", "quality_reasons"],
    "properties": {
        "clean_name": {"type": "string"},
        "titles": {"type": "object", "additionalProperties": False, "required": list(MARKETS),
                   "properties": {m: {"type": "string"} for m in MARKETS}},
        "description": {"type": "string"},
        "attributes": {"type": "object", "additionalProperties": False,
                       "required": ["brand", "material", "color", "size", "capacity"],
                       "properties": {k: _nullable_str for k in ("brand", "material", "color", "size", "capacity")}},
        "categories": {"type": "object", "additionalProperties": False, "required": list(MARKETS),
                       "properties": {m: _category for m in MARKETS}},
        "banned_words": {"type": "array", "items": {"type": "string"}},
        "quality_score": {"type": "number"},
        "quality_reasons": {"type": "array", "items": {"type": "string"}},
    },
}

SYSTEM_PROMPT = """You prepare supplier products for Korean online marketplaces (Naver SmartStore, Coupang, Gmarket/ESM).
Given one product and candidate categories per marketplace, return:
- clean_name: the product name without promotional noise, brackets of seller codes, or repeated words.
- titles: one listing title per marketplace, in Korean, at most 100 characters (gmarket: at most 100 bytes of UTF-8), no banned advertising words (최저가, 최고, 1위, 무료배송 etc.), brand first when known.
- description: a short plain-text description (no HTML), factual, from the product data only.
- attributes: brand, material, color, size, capacity when the data states them, else null.
- categories: for each marketplace pick one of the given candidates (copy its id and path) with your confidence 0..1, or null when no candidate fits.
- banned_words: advertising or prohibited words found in the original name or description.
- quality_score 0..1 and quality_reasons: how ready the product is to list (images, brand, clear name, options).
Never invent facts that the product data does not contain."""


def build_prompt(product: dict[str, Any], candidates: dict[str, list[dict[str, Any]]]) -> str:
    """The user message: the canonical product's fields that matter for listing, and candidates."""
    variants = product.get("variants") or []
    view = {
        "name": product.get("name"),
        "brand": product.get("brand"),
        "manufacturer": product.get("manufacturer"),
        "model": product.get("model"),
        "origin": product.get("origin"),
        "supplier_category": product.get("category_path"),
        "keywords": product.get("keywords") or [],
        "description": (product.get("description") or "")[:2000],
        "images": len(product.get("images") or []),
        "options": [v.get("options") for v in variants[:20]],
        "price_krw": product.get("suggested_price") or product.get("consumer_price"),
        "adult": product.get("adult", False),
    }
    cands = {m: [{"id": str(c.get("id")), "path": c.get("path")} for c in (candidates.get(m) or [])]
             for m in MARKETS}
    return json.dumps({"product": view, "candidate_categories": cands}, ensure_ascii=False)


def check_enrichment(data: dict[str, Any], candidates: dict[str, list[dict[str, Any]]]) -> str | None:
    """What the schema cannot say: ranges, title limits, categories among the candidates."""
    problems = []
    if not 0 <= data["quality_score"] <= 1:
        problems.append(f"quality_score {data['quality_score']} is outside 0..1")
    if not data["clean_name"].strip():
        problems.append("clean_name is empty")
    for m in MARKETS:
        title = data["titles"][m]
        lim = TITLE_LIMITS.get(m, {})
        if not title.strip():
            problems.append(f"titles.{m} is empty")
        if "chars" in lim and len(title) > lim["chars"]:
            problems.append(f"titles.{m} has {len(title)} characters, limit {lim['chars']}")
        if "bytes" in lim and len(title.encode()) > lim["bytes"]:
            problems.append(f"titles.{m} has {len(title.encode())} bytes, limit {lim['bytes']}")
        cat = data["categories"][m]
        if cat is not None:
            if not 0 <= cat["confidence"] <= 1:
                problems.append(f"categories.{m}.confidence is outside 0..1")
            ids = {str(c.get("id")) for c in (candidates.get(m) or [])}
            if ids and cat["id"] not in ids:
                problems.append(f"categories.{m}.id {cat['id']!r} is not one of the candidates {sorted(ids)}")
    return "; ".join(problems) or None


# ---- cache ----------------------------------------------------------------------------------


@dataclass
class CacheEntry:
    result: dict[str, Any]
    provider: str
    input_tokens: int
    output_tokens: int
    cost_usd: float


class LLMCache:
    """Postgres table `llm_cache` (migration 350). Writes commit at once: an answer that was paid
    for survives a crash later in the run."""

    def __init__(self, conn: psycopg.Connection | str):
        if isinstance(conn, str):
            conn = psycopg.connect(conn, autocommit=True)
            self._owned = True
        else:
            self._owned = False
        self.conn = conn

    def close(self) -> None:
        if self._owned:
            self.conn.close()

    def _commit(self) -> None:
        if not self.conn.autocommit:
            self.conn.commit()

    def get_many(self, hashes: Iterable[str], prompt_version: str, model: str) -> dict[str, CacheEntry]:
        hashes = list(dict.fromkeys(hashes))
        if not hashes:
            return {}
        with self.conn.cursor() as cur:
            cur.execute(
                """UPDATE llm_cache SET hits = hits + 1, last_hit_at = now()
                   WHERE content_hash = ANY(%s) AND prompt_version = %s AND model = %s
                   RETURNING content_hash, result, provider, input_tokens, output_tokens, cost_usd""",
                (hashes, prompt_version, model),
            )
            rows = cur.fetchall()
        self._commit()
        return {h: CacheEntry(r, p, i, o, float(c)) for h, r, p, i, o, c in rows}

    def put(self, content_hash: str, prompt_version: str, model: str, provider: str, result: dict[str, Any],
            input_tokens: int = 0, output_tokens: int = 0, cost_usd: float = 0.0) -> None:
        with self.conn.cursor() as cur:
            cur.execute(
                """INSERT INTO llm_cache (content_hash, prompt_version, model, provider, result,
                                          input_tokens, output_tokens, cost_usd)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (content_hash, prompt_version, model) DO UPDATE
                   SET result = EXCLUDED.result, provider = EXCLUDED.provider,
                       input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
                       cost_usd = EXCLUDED.cost_usd, created_at = now()""",
                (content_hash, prompt_version, model, provider, Jsonb(result), input_tokens, output_tokens,
                 Decimal(str(round(cost_usd, 8)))),
            )
        self._commit()

    def count(self, prompt_version: str | None = None, model: str | None = None) -> int:
        with self.conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM llm_cache WHERE (%s::text IS NULL OR prompt_version = %s)"
                        " AND (%s::text IS NULL OR model = %s)", (prompt_version, prompt_version, model, model))
            return cur.fetchone()[0]


# ---- batch ----------------------------------------------------------------------------------

STATUS_CACHED, STATUS_ENRICHED, STATUS_ERROR, STATUS_SKIPPED = "cached", "enriched", "error", "skipped"


@dataclass
class EnrichOutcome(TokenUsage):
    content_hash: str
    status: str  # cached | enriched | error | skipped
    ai_data: dict[str, Any] | None  # None only for error/skipped without fallback
    error: str | None = None
    error_kind: str | None = None
    fallback_used: bool = False
    requests: int = 0  # LLM requests this product took (0 for cached, offline, skipped)


@dataclass
class EnrichBatchReport(TokenUsage):
    outcomes: list[EnrichOutcome] = field(default_factory=list)  # aligned with the input order
    llm_requests: int = 0
    cache_hits: int = 0
    enriched: int = 0
    errors: int = 0
    skipped: int = 0
    fallbacks: int = 0
    saved_cost_usd: float = 0.0  # what the cache hits had cost when first paid for
    spend_cap_reached: bool = False
    spend_cap_message: str | None = None

    def metadata(self, krw_per_usd: float = 1400.0) -> dict[str, Any]:
        return {
            "llm_requests": self.llm_requests, "llm_cache_hits": self.cache_hits,
            "llm_enriched": self.enriched, "llm_errors": self.errors, "llm_skipped": self.skipped,
            "llm_fallbacks": self.fallbacks, "llm_input_tokens": self.input_tokens,
            "llm_output_tokens": self.output_tokens, "llm_cost_usd": round(self.cost_usd, 6),
            "llm_cost_krw": round(self.cost_usd * krw_per_usd, 2),
            "llm_cache_saved_usd": round(self.saved_cost_usd, 6),
            "llm_spend_cap_reached": self.spend_cap_reached,
        }


def _stamp(data: dict[str, Any], provider: str, model: str, prompt_version: str) -> dict[str, Any]:
    return {**data, "provider": provider, "model": model, "prompt_version": prompt_version}


def offline_fn_from_enricher(enrich_many: Callable[[list[Any]], list[dict[str, Any]]],
                             to_input: Callable[[dict[str, Any]], Any] = lambda p: p):
    """Adapt `OfflineEnricher().enrich_many` into the offline provider's per-request callable.
    `to_input` turns the product dict into what enrich_many expects (e.g. CanonicalProduct.from_dict)."""
    def fn(request: dict[str, Any]) -> dict[str, Any]:
        return enrich_many([to_input(request["context"]["product"])])[0]
    return fn


class _Batch:
    """One enrich_batch call: the cache lookups, the requests (serial or in a thread pool), the
    spend cap, and the report in input order."""

    def __init__(self, items, client: LLMClient, cache: LLMCache | None, candidates_fn, prompt_version: str,
                 cache_offline: bool):
        self.items, self.client, self.cache = items, client, cache
        self.candidates_fn, self.prompt_version = candidates_fn, prompt_version
        self.report = EnrichBatchReport()
        self.use_cache = cache is not None and (client.provider != "offline" or cache_offline)
        hits = cache.get_many([h for _, h in items], prompt_version, client.model) if self.use_cache else {}
        if self.use_cache:
            hit_n = sum(1 for _, h in items if h in hits)
            metrics.LLM_CACHE.labels("hit").inc(hit_n)
            metrics.LLM_CACHE.labels("miss").inc(len(items) - hit_n)
        self.outcomes: list[EnrichOutcome | None] = [None] * len(items)
        self.first_index: dict[str, int] = {}  # the same hash twice in one batch is asked once
        self.work: list[int] = []
        for i, (_product, h) in enumerate(items):
            if h in hits:
                e = hits[h]
                self.outcomes[i] = EnrichOutcome(h, STATUS_CACHED, _stamp(e.result, e.provider, client.model,
                                                                          prompt_version))
                self.report.cache_hits += 1
                self.report.saved_cost_usd += e.cost_usd
            elif h not in self.first_index:
                self.first_index[h] = i
                self.work.append(i)

    def one(self, i: int) -> EnrichOutcome:
        product, h = self.items[i]
        client = self.client
        try:
            candidates = self.candidates_fn(product) if self.candidates_fn else {}
        except Exception as e:  # a classifier failure is this product's problem only
            return EnrichOutcome(h, STATUS_ERROR, None, f"candidates: {type(e).__name__}: {e}"[:500], "candidates")
        if isinstance(candidates, list):
            candidates = {m: candidates for m in MARKETS}
        check = None if client.provider == "offline" else (lambda d, c=candidates: check_enrichment(d, c))
        try:
            res = client.complete_json(SYSTEM_PROMPT, build_prompt(product, candidates), ENRICHMENT_SCHEMA,
                                       schema_name=SCHEMA_NAME, check=check,
                                       context={"product": product, "candidates": candidates})
        except SpendCapReached:
            raise
        except Exception as e:  # a defect on one product must not stop the batch
            return EnrichOutcome(h, STATUS_ERROR, None, f"internal: {type(e).__name__}: {e}"[:500], "internal")
        usage = {"input_tokens": res.input_tokens, "output_tokens": res.output_tokens, "cost_usd": res.cost_usd,
                 "requests": 0 if client.provider == "offline" else res.requests}
        if not res.ok:
            return EnrichOutcome(h, STATUS_ERROR, None, res.error, res.error_kind, **usage)
        data = {k: v for k, v in res.data.items() if k not in ("provider", "model", "prompt_version")}
        offline = client.provider == "offline"
        provider = res.data.get("provider", client.provider) if offline else client.provider
        model = res.data.get("model", client.model) if offline else client.model
        return EnrichOutcome(h, STATUS_ENRICHED, _stamp(data, provider, model, self.prompt_version), **usage)

    def settle(self, i: int, out: EnrichOutcome) -> None:
        # in the calling thread: the cache connection and the report are not shared across threads
        self.outcomes[i] = out
        r = self.report
        r.llm_requests += out.requests
        r.input_tokens += out.input_tokens
        r.output_tokens += out.output_tokens
        r.cost_usd += out.cost_usd
        if out.status == STATUS_ENRICHED and self.use_cache:
            data = {k: v for k, v in out.ai_data.items() if k not in ("provider", "model", "prompt_version")}
            self.cache.put(out.content_hash, self.prompt_version, self.client.model, self.client.provider, data,
                           out.input_tokens, out.output_tokens, out.cost_usd)

    def capped(self, i: int, e: SpendCapReached) -> None:
        self.report.spend_cap_reached, self.report.spend_cap_message = True, str(e)
        self.outcomes[i] = EnrichOutcome(self.items[i][1], STATUS_SKIPPED, None, str(e), "spend_cap")

    def run_serial(self) -> None:
        for n, i in enumerate(self.work):
            try:
                self.settle(i, self.one(i))
            except SpendCapReached as e:
                for j in self.work[n:]:
                    self.capped(j, e)
                break

    def run_pool(self, max_workers: int) -> None:
        """When the spend cap is reached no new request starts; those in flight finish and are kept."""
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        pending_work = list(self.work)
        running: dict[Any, int] = {}
        stop: SpendCapReached | None = None
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            while pending_work or running:
                while pending_work and len(running) < max_workers and stop is None:
                    i = pending_work.pop(0)
                    running[pool.submit(self.one, i)] = i
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for f in finished:
                    i = running.pop(f)
                    try:
                        out = f.result()
                    except SpendCapReached as e:
                        stop = stop or e
                        self.capped(i, e)
                        continue
                    self.settle(i, out)
                if stop is not None:
                    for j in pending_work:
                        self.capped(j, stop)
                    pending_work = []

    def finish(self, fallback) -> EnrichBatchReport:
        outcomes = self.outcomes
        for i, (_product, h) in enumerate(self.items):
            if outcomes[i] is None:  # a repeated hash: the first occurrence's outcome
                prev = outcomes[self.first_index[h]]
                outcomes[i] = EnrichOutcome(h, prev.status, prev.ai_data, prev.error, prev.error_kind)
        report = self.report
        if fallback is not None:
            todo = [i for i, o in enumerate(outcomes) if o.status in (STATUS_ERROR, STATUS_SKIPPED)]
            if todo:
                answers = fallback([self.items[i][0] for i in todo])
                for i, ai in zip(todo, answers):
                    outcomes[i].ai_data = ai
                    outcomes[i].fallback_used = True
                report.fallbacks = len(todo)
        report.outcomes = outcomes  # type: ignore[assignment]
        report.enriched = sum(o.status == STATUS_ENRICHED for o in outcomes)
        report.errors = sum(o.status == STATUS_ERROR for o in outcomes)
        report.skipped = sum(o.status == STATUS_SKIPPED for o in outcomes)
        return report


def enrich_batch(
    products_with_hashes: Iterable[tuple[dict[str, Any], str]],
    client: LLMClient,
    cache: LLMCache | None,
    *,
    candidates_fn: Callable[[dict[str, Any]], dict[str, list[dict[str, Any]]]] | None = None,
    prompt_version: str = PROMPT_VERSION,
    fallback: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    cache_offline: bool = False,
    max_workers: int = 1,
) -> EnrichBatchReport:
    """Enrich (product, content_hash) pairs; outcomes come back in input order.

    candidates_fn(product) -> {market: [{"id", "path", ...}, ...]}: top-k categories per market.
    fallback(products) -> [ai_data]: e.g. `OfflineEnricher().enrich_many`, applied in one call to
        the products that failed or were skipped; its answers are not cached, so the next run
        tries the model again.
    max_workers: requests in flight at once. When the spend cap is reached no new request
        starts; those in flight finish and are kept.
    """
    batch = _Batch(list(products_with_hashes), client, cache, candidates_fn, prompt_version, cache_offline)
    if max_workers <= 1:
        batch.run_serial()
    else:
        batch.run_pool(max_workers)
    return batch.finish(fallback)
