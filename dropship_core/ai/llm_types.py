"""What the LLM client counts and returns: prices, the spend cap, the run's cost ledger, results,
and the JSON-schema helpers for structured output."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from dropship_core import metrics

# USD per one million tokens (input, output). Override or extend with `prices=`; a model that is
# not listed is still called, its cost is counted as 0 and the result says `priced=False`.
DEFAULT_PRICES_USD_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "claude-3-5-haiku-latest": (0.80, 4.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-sonnet-4-0": (3.00, 15.00),
}
DEFAULT_KRW_PER_USD = 1400.0


class SpendCapReached(Exception):
    """The run has spent its cap; no new request is started. Remaining items are skipped."""

    def __init__(self, spent_usd: float, cap_usd: float, currency: str = "USD",
                 krw_per_usd: float = DEFAULT_KRW_PER_USD):
        self.spent_usd, self.cap_usd, self.currency = spent_usd, cap_usd, currency
        if currency == "KRW":
            msg = f"spend cap reached: spent {spent_usd * krw_per_usd:,.0f} KRW of {cap_usd * krw_per_usd:,.0f} KRW"
        else:
            msg = f"spend cap reached: spent ${spent_usd:.6f} of ${cap_usd:.6f}"
        super().__init__(msg)


class LLMConfigError(ValueError):
    """The client is configured wrongly (unknown provider, missing SDK, missing key)."""


@dataclass
class Price:
    input_usd_per_mtok: float
    output_usd_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_usd_per_mtok + output_tokens * self.output_usd_per_mtok) / 1e6


@dataclass
class SpendCap:
    """A per-run budget, in USD or KRW (converted with `krw_per_usd`)."""

    amount: float
    currency: str = "USD"  # USD | KRW
    krw_per_usd: float = DEFAULT_KRW_PER_USD

    @property
    def usd(self) -> float:
        if self.currency.upper() == "KRW":
            return self.amount / self.krw_per_usd
        return self.amount


@dataclass(kw_only=True)
class TokenUsage:
    """Tokens and cost: of one answer, one product, a batch or a whole run."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class CostLedger(TokenUsage):
    """Tokens and cost accumulated over one run (one client instance, thread-safe)."""

    calls: int = 0
    errors: int = 0
    unpriced_calls: int = 0
    by_model: dict[str, dict[str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, model: str, input_tokens: int, output_tokens: int, cost_usd: float, priced: bool) -> None:
        metrics.record_llm_call(model, input_tokens, output_tokens, cost_usd)
        with self._lock:
            self.calls += 1
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            self.cost_usd += cost_usd
            if not priced:
                self.unpriced_calls += 1
            m = self.by_model.setdefault(model, {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
            m["calls"] += 1
            m["input_tokens"] += input_tokens
            m["output_tokens"] += output_tokens
            m["cost_usd"] += cost_usd

    def as_metadata(self, krw_per_usd: float = DEFAULT_KRW_PER_USD) -> dict[str, Any]:
        """Flat numbers for Dagster metadata (plotted over time by the UI)."""
        return {
            "llm_calls": self.calls,
            "llm_input_tokens": self.input_tokens,
            "llm_output_tokens": self.output_tokens,
            "llm_cost_usd": round(self.cost_usd, 6),
            "llm_cost_krw": round(self.cost_usd * krw_per_usd, 2),
            "llm_errors": self.errors,
        }


@dataclass
class StructuredResult(TokenUsage):
    """The outcome of one `complete_json` (including its repair attempt, if any)."""

    ok: bool
    data: dict[str, Any] | None
    error: str | None
    provider: str
    model: str
    requests: int = 0  # HTTP requests that produced an answer (1, or 2 with a repair)
    repaired: bool = False
    priced: bool = True
    error_kind: str | None = None  # invalid_json | schema | semantic | refusal | timeout | http | connection | offline


@dataclass
class TextResult(TokenUsage):
    ok: bool
    text: str
    error: str | None
    provider: str
    model: str


@dataclass
class _Answer:
    """What one provider request gave back, before validation."""

    text: str | None  # raw JSON text (OpenAI) or None
    obj: Any  # parsed object (Anthropic tool input, offline result) or None
    input_tokens: int
    output_tokens: int
    refusal: str | None = None
    stop: str | None = None
    # enough to replay the turn in a repair request
    assistant_message: dict[str, Any] | None = None
    tool_use_id: str | None = None


class _CallFailed(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def relax_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema without `additionalProperties: false` and with only the top-level keys
    required: for offline results, which carry extra bookkeeping keys and may leave out nested
    fields they do not know."""
    s = copy.deepcopy(schema)

    def walk(node: Any, root: bool) -> None:
        if isinstance(node, dict):
            if node.get("additionalProperties") is False:
                node.pop("additionalProperties")
            if not root and isinstance(node.get("required"), list):
                node.pop("required")
            for v in node.values():
                walk(v, False)
        elif isinstance(node, list):
            for v in node:
                walk(v, False)

    walk(s, True)
    return s


def _validation_message(err: jsonschema.ValidationError) -> str:
    path = "/".join(str(p) for p in err.absolute_path) or "(root)"
    return f"at {path}: {err.message}"[:500]
