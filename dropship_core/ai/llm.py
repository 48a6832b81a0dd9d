"""LLM client layer: one call shape over OpenAI, Anthropic and an offline provider.

`LLMClient.complete_json(system, user, schema)` asks for a JSON object matching `schema` and
returns a `StructuredResult`; it never raises for a bad answer (invalid JSON, wrong types, a
refusal, a timeout, a 4xx/5xx that outlived the retries): those come back as `ok=False` with an
error text, so one bad product never stops a batch. The only exception callers must expect is
`SpendCapReached`, raised *before* starting a new request once the run's spend has reached its
cap, so the in-flight item always finishes and the caller can record the rest as skipped.

Structured output:
- OpenAI: chat.completions with `response_format={"type": "json_schema", "json_schema":
  {"name", "schema", "strict": True}}`.
- Anthropic: messages with a single tool whose `input_schema` is the schema and
  `tool_choice={"type": "tool", "name": ...}`; the answer is that tool_use block's `input`.
- offline: a callable given by the caller (e.g. the rules-based enricher) gets the request and
  returns the object; costs nothing.

Every answer is validated with jsonschema (plus an optional semantic check); a failing answer
gets one repair request that shows the model its own output and the validation error.

No Dagster here: `dropship_resources.llm.LLMResource` builds this client from config.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any, Callable

import jsonschema

from dropship_core.ai.llm_types import (  # noqa: F401 (re-exported: callers import them from here)
    DEFAULT_KRW_PER_USD, DEFAULT_PRICES_USD_PER_MTOK, CostLedger, LLMConfigError, Price, SpendCap, SpendCapReached,
    StructuredResult, TextResult, _Answer, _CallFailed, _validation_message, relax_schema)
from dropship_core.secrets import redact

log = logging.getLogger(__name__)

PROVIDERS = ("offline", "openai", "anthropic")

class LLMClient:
    """One client per run: it carries the run's cost ledger and spend cap.

    provider: "openai" | "anthropic" | "offline".
    offline_fn: for provider "offline", `fn(request: dict) -> dict`, where request is
        {"system", "user", "schema", "schema_name", "context"}; `context` is whatever the caller
        passed to `complete_json(context=...)` (e.g. the product and its candidate categories).
    """

    def __init__(
        self,
        provider: str = "offline",
        model: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        sdk_max_retries: int = 2,
        retry_attempts: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        max_tokens: int = 2048,
        # not sent unless set: reasoning models reject a temperature
        temperature: float | None = None,
        prices: dict[str, tuple[float, float] | Price] | None = None,
        spend_cap: SpendCap | None = None,
        krw_per_usd: float = DEFAULT_KRW_PER_USD,
        offline_fn: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if provider not in PROVIDERS:
            raise LLMConfigError(f"unknown LLM provider {provider!r}; choose one of {PROVIDERS}")
        self.provider = provider
        self.model = model or {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest",
                               "offline": "rules-v1"}[provider]
        self.timeout = timeout
        self.retry_attempts = max(1, retry_attempts)
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.max_tokens, self.temperature = max_tokens, temperature
        self.spend_cap = spend_cap
        self.krw_per_usd = spend_cap.krw_per_usd if spend_cap else krw_per_usd
        self.ledger = CostLedger()
        self._sleep = sleep
        self._secrets = [api_key] if api_key else []
        self.prices: dict[str, Price] = {}
        for name, p in {**DEFAULT_PRICES_USD_PER_MTOK, **(prices or {})}.items():
            self.prices[name] = p if isinstance(p, Price) else Price(*p)
        self._offline_fn = offline_fn
        self._sdk: Any = None
        if provider == "offline":
            if offline_fn is None:
                raise LLMConfigError("provider 'offline' needs offline_fn")
        elif provider == "openai":
            if not api_key:
                raise LLMConfigError("provider 'openai' needs an API key (OPENAI_API_KEY)")
            import openai

            self._sdk = openai.OpenAI(api_key=api_key, base_url=base_url or None, timeout=timeout,
                                      max_retries=sdk_max_retries)
        else:
            if not api_key:
                raise LLMConfigError("provider 'anthropic' needs an API key (ANTHROPIC_API_KEY)")
            import anthropic

            self._sdk = anthropic.Anthropic(api_key=api_key, base_url=base_url or None, timeout=timeout,
                                            max_retries=sdk_max_retries)

    def __repr__(self) -> str:  # never show the key
        return f"LLMClient(provider={self.provider!r}, model={self.model!r})"

    # ---- cost -------------------------------------------------------------------------------

    def price_of(self, input_tokens: int, output_tokens: int) -> tuple[float, bool]:
        if self.provider == "offline":
            return 0.0, True
        price = self.prices.get(self.model)
        if price is None:
            # dated snapshots ("gpt-4o-mini-2024-07-18") are priced as their family
            for name in sorted(self.prices, key=len, reverse=True):
                if self.model.startswith(name):
                    price = self.prices[name]
                    break
        if price is None:
            return 0.0, False
        return price.cost(input_tokens, output_tokens), True

    def check_spend(self) -> None:
        """Raise `SpendCapReached` if the run has already spent its cap."""
        if self.spend_cap is not None and self.ledger.cost_usd >= self.spend_cap.usd:
            raise SpendCapReached(self.ledger.cost_usd, self.spend_cap.usd, self.spend_cap.currency.upper(),
                                  self.krw_per_usd)

    @property
    def spent_krw(self) -> float:
        return self.ledger.cost_usd * self.krw_per_usd

    # ---- structured output ------------------------------------------------------------------

    def complete_json(
        self,
        system: str,
        user: str,
        schema: dict[str, Any],
        *,
        schema_name: str = "result",
        check: Callable[[dict[str, Any]], str | None] | None = None,
        context: Any = None,
    ) -> StructuredResult:
        """Ask for one JSON object matching `schema`. `check(obj)` may return an error text for
        problems a schema cannot state (e.g. a category id not among the candidates)."""
        self.check_spend()
        res = StructuredResult(ok=False, data=None, error=None, provider=self.provider, model=self.model)
        validator_schema = relax_schema(schema) if self.provider == "offline" else schema
        validator = jsonschema.Draft202012Validator(validator_schema)
        messages: list[dict[str, Any]] = [{"role": "user", "content": user}]
        for attempt in (1, 2):
            try:
                ans = self._request_json(system, messages, schema, schema_name, context)
            except _CallFailed as e:
                res.error, res.error_kind = redact(str(e), self._secrets), e.kind
                break
            res.requests += 1
            cost, priced = self.price_of(ans.input_tokens, ans.output_tokens)
            res.input_tokens += ans.input_tokens
            res.output_tokens += ans.output_tokens
            res.cost_usd += cost
            res.priced = res.priced and priced
            if self.provider != "offline":
                self.ledger.add(self.model, ans.input_tokens, ans.output_tokens, cost, priced)
            if ans.refusal is not None:
                res.error, res.error_kind = redact(f"refused: {ans.refusal}"[:500], self._secrets), "refusal"
                break
            problem, kind, obj = self._validate(ans, validator, check)
            if problem is None:
                res.ok, res.data, res.error, res.error_kind = True, obj, None, None
                res.repaired = attempt == 2
                break
            res.error, res.error_kind = redact(problem, self._secrets), kind
            if attempt == 2 or self.provider == "offline":
                break
            messages = messages + self._repair_turn(ans, problem)
        if not res.ok:
            with self.ledger._lock:
                self.ledger.errors += 1
            log.warning("LLM %s/%s answer rejected (%s): %s", self.provider, self.model, res.error_kind, res.error)
        return res

    def _validate(self, ans: _Answer, validator, check) -> tuple[str | None, str | None, Any]:
        obj = ans.obj
        if obj is None:
            if ans.text is None or not ans.text.strip():
                return f"no JSON in the answer (stop reason {ans.stop})", "invalid_json", None
            try:
                obj = json.loads(ans.text)
            except json.JSONDecodeError as e:
                return f"invalid JSON: {e.msg} at char {e.pos}", "invalid_json", None
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        if errors:
            return "schema: " + "; ".join(_validation_message(e) for e in errors[:5]), "schema", obj
        if check is not None:
            problem = check(obj)
            if problem:
                return f"semantic: {problem}"[:500], "semantic", obj
        return None, None, obj

    def _repair_turn(self, ans: _Answer, problem: str) -> list[dict[str, Any]]:
        note = (f"Your previous answer was rejected: {problem}. "
                "Answer again with the complete corrected object, following the schema exactly.")
        if self.provider == "anthropic" and ans.tool_use_id:
            return [ans.assistant_message or {"role": "assistant", "content": ""},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": ans.tool_use_id,
                                                  "is_error": True, "content": note}]}]
        prev = ans.text if ans.text is not None else json.dumps(ans.obj, ensure_ascii=False)
        return [{"role": "assistant", "content": prev or ""}, {"role": "user", "content": note}]

    # ---- transport --------------------------------------------------------------------------

    def _request_json(self, system, messages, schema, schema_name, context) -> _Answer:
        if self.provider == "offline":
            try:
                obj = self._offline_fn({"system": system, "user": messages[0]["content"], "schema": schema,
                                        "schema_name": schema_name, "context": context})
            except Exception as e:  # a bad product must not stop the batch
                raise _CallFailed("offline", f"offline provider failed: {type(e).__name__}: {e}") from e
            return _Answer(text=None, obj=obj, input_tokens=0, output_tokens=0, stop="offline")
        if self.provider == "openai":
            return self._with_retries(lambda: self._openai_json(system, messages, schema, schema_name))
        return self._with_retries(lambda: self._anthropic_json(system, messages, schema, schema_name))

    def _openai_json(self, system, messages, schema, schema_name) -> _Answer:
        kwargs: dict[str, Any] = {}
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        resp = self._sdk.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, *messages],
            response_format={"type": "json_schema",
                             "json_schema": {"name": schema_name, "schema": schema, "strict": True}},
            max_completion_tokens=self.max_tokens,
            **kwargs,
        )
        usage = resp.usage
        choice = resp.choices[0] if resp.choices else None
        msg = choice.message if choice else None
        return _Answer(
            text=msg.content if msg else None, obj=None,
            input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            output_tokens=getattr(usage, "completion_tokens", 0) or 0,
            refusal=getattr(msg, "refusal", None) if msg else None,
            stop=choice.finish_reason if choice else None,
        )

    def _anthropic_json(self, system, messages, schema, schema_name) -> _Answer:
        # this SDK generation has no sampling parameters on messages.create
        resp = self._sdk.messages.create(
            model=self.model,
            max_tokens=self.max_tokens,
            system=system,
            messages=messages,
            tools=[{"name": schema_name, "description": "Record the result. Input must follow the schema.",
                    "input_schema": schema}],
            tool_choice={"type": "tool", "name": schema_name},
        )
        usage = resp.usage
        blocks = [b.model_dump(exclude_none=True) if hasattr(b, "model_dump") else dict(b) for b in resp.content]
        tool = next((b for b in blocks if b.get("type") == "tool_use" and b.get("name") == schema_name), None)
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        refusal = (text or "the model refused") if resp.stop_reason == "refusal" else None
        return _Answer(
            text=None if tool else (text or None), obj=tool.get("input") if tool else None,
            input_tokens=getattr(usage, "input_tokens", 0) or 0,
            output_tokens=getattr(usage, "output_tokens", 0) or 0,
            refusal=refusal, stop=resp.stop_reason,
            assistant_message={"role": "assistant", "content": blocks},
            tool_use_id=tool.get("id") if tool else None,
        )

    def _with_retries(self, call: Callable[[], Any]) -> Any:
        """The SDK already retries (max_retries); this is a second, bounded layer for providers
        that stay overloaded a little longer, honouring Retry-After."""
        last: Exception | None = None
        for attempt in range(self.retry_attempts):
            try:
                return call()
            except Exception as e:  # classified below; anything unknown is a per-item error
                last = e
                kind, retryable, wait = self._classify(e)
                if not retryable or attempt == self.retry_attempts - 1:
                    raise _CallFailed(kind, self._describe(e, kind)) from e
                delay = wait if wait is not None else min(self.backoff_max, self.backoff_base * 2 ** attempt)
                delay = min(self.backoff_max, delay) * (1 + random.random() * 0.1)
                log.info("LLM %s retry %d after %s in %.2fs", self.provider, attempt + 1, kind, delay)
                self._sleep(delay)
        raise _CallFailed("http", self._describe(last, "http"))  # pragma: no cover

    @staticmethod
    def _classify(e: Exception) -> tuple[str, bool, float | None]:
        name = type(e).__name__
        if "Timeout" in name:
            # the SDK has already retried the timeout max_retries times; waiting again per item
            # would stall the whole batch, so a timeout is that product's error
            return "timeout", False, None
        status = getattr(e, "status_code", None)
        if status is not None:
            retry_after = None
            resp = getattr(e, "response", None)
            headers = getattr(resp, "headers", None)
            if headers is not None:
                ra = headers.get("retry-after-ms")
                try:
                    retry_after = float(ra) / 1000 if ra else None
                except ValueError:
                    retry_after = None
                if retry_after is None and headers.get("retry-after"):
                    try:
                        retry_after = float(headers.get("retry-after"))
                    except ValueError:
                        retry_after = None
            return "http", status == 429 or status >= 500, retry_after
        if "Connection" in name:
            return "connection", True, None
        return "internal", False, None

    def _describe(self, e: Exception | None, kind: str) -> str:
        if e is None:
            return kind
        status = getattr(e, "status_code", None)
        msg = getattr(e, "message", None) or str(e)
        text = f"{kind}: {type(e).__name__}" + (f" {status}" if status else "") + f": {msg}"
        return redact(text[:500], self._secrets)

    # ---- free text (for `dropship ask`) -----------------------------------------------------

    def complete_text(self, system: str, user: str) -> TextResult:
        self.check_spend()
        try:
            if self.provider == "offline":
                try:
                    out = self._offline_fn({"system": system, "user": user, "schema": None, "schema_name": None,
                                            "context": None})
                except Exception as e:
                    raise _CallFailed("offline", f"offline provider failed: {type(e).__name__}: {e}") from e
                text = out.get("text", "") if isinstance(out, dict) else str(out)
                return TextResult(True, text, None, self.provider, self.model)
            if self.provider == "openai":
                def call():
                    r = self._sdk.chat.completions.create(
                        model=self.model, max_completion_tokens=self.max_tokens,
                        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}])
                    return (r.choices[0].message.content or "", r.usage.prompt_tokens, r.usage.completion_tokens)
            else:
                def call():
                    r = self._sdk.messages.create(model=self.model, max_tokens=self.max_tokens, system=system,
                                                  messages=[{"role": "user", "content": user}])
                    text = "".join(getattr(b, "text", "") for b in r.content if getattr(b, "type", "") == "text")
                    return (text, r.usage.input_tokens, r.usage.output_tokens)
            text, i, o = self._with_retries(call)
        except _CallFailed as e:
            with self.ledger._lock:
                self.ledger.errors += 1
            return TextResult(False, "", redact(str(e), self._secrets), self.provider, self.model)
        cost, priced = self.price_of(i, o)
        self.ledger.add(self.model, i, o, cost, priced)
        return TextResult(True, text, None, self.provider, self.model, input_tokens=i, output_tokens=o,
                          cost_usd=cost)


def client_from_env(env: dict[str, str] | None = None, offline_fn: Callable[[dict[str, Any]], Any] | None = None,
                    **kw: Any) -> LLMClient:
    """LLM_PROVIDER (offline|openai|anthropic, default offline), LLM_MODEL, LLM_BASE_URL,
    LLM_TIMEOUT, LLM_SPEND_CAP + LLM_SPEND_CAP_CURRENCY (USD|KRW), OPENAI_API_KEY,
    ANTHROPIC_API_KEY. Outside Dagster (the CLI); inside, use `LLMResource`."""
    import os

    e = os.environ if env is None else env
    provider = e.get("LLM_PROVIDER", "offline") or "offline"
    key = {"openai": e.get("OPENAI_API_KEY"), "anthropic": e.get("ANTHROPIC_API_KEY")}.get(provider)
    cap = e.get("LLM_SPEND_CAP")
    return LLMClient(
        provider, e.get("LLM_MODEL") or None, api_key=key, base_url=e.get("LLM_BASE_URL") or None,
        timeout=float(e.get("LLM_TIMEOUT", "60")),
        spend_cap=SpendCap(float(cap), e.get("LLM_SPEND_CAP_CURRENCY", "USD").upper()) if cap else None,
        offline_fn=offline_fn if provider == "offline" else None, **kw)
