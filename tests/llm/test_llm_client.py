"""The client layer against local servers that speak OpenAI's and Anthropic's wire formats."""

from __future__ import annotations

import json
import logging

import pytest

from dropship_core.ai.llm import LLMClient, LLMConfigError, Price, SpendCap, SpendCapReached, relax_schema
from .support import TEST_KEY
from .fake_servers import Step

SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["name", "score"],
    "properties": {"name": {"type": "string"}, "score": {"type": "number"}},
}
PROVIDERS = ["openai", "anthropic"]


def make(provider, srv, **kw):
    base = srv.url + "/v1" if provider == "openai" else srv.url
    kw.setdefault("sdk_max_retries", 0)
    kw.setdefault("sleep", lambda s: None)
    return LLMClient(provider, api_key=TEST_KEY, base_url=base, timeout=kw.pop("timeout", 5), **kw)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_valid_structured_output_and_wire_request(provider, fake_llm):
    fake, srv = fake_llm
    fake.script(Step("valid", data={"name": "텀블러", "score": 0.9}))
    c = make(provider, srv)
    res = c.complete_json("sys", "describe", SCHEMA, schema_name="thing")
    assert res.ok and res.data == {"name": "텀블러", "score": 0.9} and res.requests == 1
    body = fake.requests[0]["body"]
    if provider == "openai":
        assert fake.requests[0]["path"] == "/v1/chat/completions"
        rf = body["response_format"]
        assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
        assert rf["json_schema"]["schema"] == SCHEMA and rf["json_schema"]["name"] == "thing"
        assert fake.requests[0]["headers"]["authorization"] == f"Bearer {TEST_KEY}"
    else:
        assert fake.requests[0]["path"] == "/v1/messages"
        assert body["tools"] == [{"name": "thing", "description": body["tools"][0]["description"],
                                  "input_schema": SCHEMA}]
        assert body["tool_choice"] == {"type": "tool", "name": "thing"}
        h = fake.requests[0]["headers"]
        assert h.get("x-api-key") == TEST_KEY or h.get("authorization") == f"Bearer {TEST_KEY}"
        assert "anthropic-version" in h
    # usage from the response is accounted and priced
    assert res.input_tokens > 0 and res.output_tokens > 0
    price = c.prices[c.model]
    assert res.cost_usd == pytest.approx(price.cost(res.input_tokens, res.output_tokens))
    assert c.ledger.calls == 1 and c.ledger.cost_usd == pytest.approx(res.cost_usd)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_types_get_one_repair_with_the_error(provider, fake_llm):
    fake, srv = fake_llm
    fake.script(Step("valid", data={"name": "a", "score": "high"}), Step("valid", data={"name": "a", "score": 0.5}))
    c = make(provider, srv)
    res = c.complete_json("sys", "u", SCHEMA)
    assert res.ok and res.repaired and res.requests == 2 and res.data["score"] == 0.5
    repair = fake.requests[1]["body"]["messages"]
    if provider == "openai":
        assert repair[-2]["role"] == "assistant" and json.loads(repair[-2]["content"])["score"] == "high"
        assert "score" in repair[-1]["content"] and "not of type 'number'" in repair[-1]["content"]
    else:
        tool_use = repair[-2]["content"][0]
        assert tool_use["type"] == "tool_use" and tool_use["input"]["score"] == "high"
        result = repair[-1]["content"][0]
        assert result["type"] == "tool_result" and result["is_error"] is True
        assert result["tool_use_id"] == tool_use["id"] and "not of type 'number'" in result["content"]
    assert c.ledger.calls == 2  # both requests were paid for


@pytest.mark.parametrize("provider", PROVIDERS)
def test_invalid_json_twice_is_an_error_result(provider, fake_llm):
    fake, srv = fake_llm
    fake.script(Step("raw", text="{name: oops"), Step("raw", text="sorry, here you go: name=oops"))
    c = make(provider, srv)
    res = c.complete_json("sys", "u", SCHEMA)
    assert not res.ok and res.data is None and res.error_kind == "invalid_json" and res.requests == 2
    assert c.ledger.errors == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_refusal_is_an_error_without_repair(provider, fake_llm):
    fake, srv = fake_llm
    fake.script(Step("refusal", text="I can't help with that product."))
    c = make(provider, srv)
    res = c.complete_json("sys", "u", SCHEMA)
    assert not res.ok and res.error_kind == "refusal" and "can't help" in res.error
    assert len(fake.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout_is_an_error_result(provider, fake_llm):
    fake, srv = fake_llm
    fake.script(Step("valid", data={"name": "a", "score": 1}, delay=1.5))
    c = make(provider, srv, timeout=0.4)
    res = c.complete_json("sys", "u", SCHEMA)
    assert not res.ok and res.error_kind == "timeout" and res.requests == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_with_retry_after_is_retried_and_honoured(provider, fake_llm):
    fake, srv = fake_llm
    fake.script(Step("status", status=429, headers={"retry-after": "2"}, error_message="slow down"),
                Step("status", status=503, error_message="overloaded"),
                Step("valid", data={"name": "ok", "score": 1}))
    waits = []
    c = make(provider, srv, sleep=waits.append, retry_attempts=3)
    res = c.complete_json("sys", "u", SCHEMA)
    assert res.ok and len(fake.requests) == 3
    assert 2.0 <= waits[0] <= 2.3  # Retry-After honoured
    assert len(waits) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_retries_are_bounded_and_end_in_an_error_result(provider, fake_llm):
    fake, srv = fake_llm
    fake.script(*[Step("status", status=500, error_message="boom")] * 3)
    c = make(provider, srv, retry_attempts=3)
    res = c.complete_json("sys", "u", SCHEMA)
    assert not res.ok and res.error_kind == "http" and "500" in res.error
    assert len(fake.requests) == 3


def test_sdk_retries_honour_retry_after_too(fake_llm):
    fake, srv = fake_llm
    fake.script(Step("status", status=429, headers={"retry-after-ms": "50"}), Step("valid", data={"name": "x", "score": 0}))
    c = make("openai", srv, sdk_max_retries=2, retry_attempts=1)
    assert c.complete_json("s", "u", SCHEMA).ok and len(fake.requests) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_semantic_check_triggers_repair(provider, fake_llm):
    fake, srv = fake_llm
    fake.script(Step("valid", data={"name": "", "score": 1}), Step("valid", data={"name": "filled", "score": 1}))
    c = make(provider, srv)
    res = c.complete_json("s", "u", SCHEMA, check=lambda d: None if d["name"] else "name is empty")
    assert res.ok and res.repaired and "name is empty" in json.dumps(fake.requests[1]["body"], ensure_ascii=False)


def test_spend_cap_stops_before_the_next_item(fake_llm):
    fake, srv = fake_llm
    fake.default = lambda body: Step("valid", data={"name": "x", "score": 1})
    # 1000 USD per million tokens makes every call cost a visible amount
    c = make("openai", srv, model="priced-model", prices={"priced-model": (1000.0, 1000.0)},
             spend_cap=SpendCap(0.05, "USD"))
    done = 0
    with pytest.raises(SpendCapReached) as exc:
        for _ in range(50):
            assert c.complete_json("s", "u", SCHEMA).ok
            done += 1
    assert 0 < done < 50
    # every finished item was paid for; the cap was crossed only by the last in-flight one
    assert c.ledger.calls == done == len(fake.requests)
    per_call = c.ledger.cost_usd / done
    assert c.ledger.cost_usd >= 0.05 and c.ledger.cost_usd - per_call < 0.05
    assert "spend cap" in str(exc.value)


def test_spend_cap_in_krw():
    cap = SpendCap(1400, "KRW", krw_per_usd=1400)
    assert cap.usd == pytest.approx(1.0)
    c = LLMClient("offline", offline_fn=lambda r: {}, spend_cap=SpendCap(0, "KRW"))
    with pytest.raises(SpendCapReached, match="KRW"):
        c.complete_json("s", "u", SCHEMA)


def test_unknown_model_is_called_but_marked_unpriced(fake_llm):
    fake, srv = fake_llm
    fake.script(Step("valid", data={"name": "x", "score": 1}))
    c = make("anthropic", srv, model="some-new-model")
    res = c.complete_json("s", "u", SCHEMA)
    assert res.ok and res.priced is False and res.cost_usd == 0 and c.ledger.unpriced_calls == 1


def test_dated_snapshot_priced_as_its_family():
    c = LLMClient("openai", "gpt-4o-mini-2024-07-18", api_key="k-xxxx", base_url="http://127.0.0.1:9/v1")
    cost, priced = c.price_of(1_000_000, 0)
    assert priced and cost == pytest.approx(0.15)
    assert Price(1, 2).cost(500_000, 500_000) == pytest.approx(1.5)


def test_offline_provider_delegates_and_validates_leniently():
    seen = []

    def offline(req):
        seen.append(req["context"])
        return {"name": req["context"]["n"], "score": 0.5, "provider": "offline"}

    c = LLMClient("offline", offline_fn=offline)
    res = c.complete_json("s", "u", SCHEMA, context={"n": "abc"})
    assert res.ok and res.data["name"] == "abc" and res.cost_usd == 0 and seen == [{"n": "abc"}]
    bad = LLMClient("offline", offline_fn=lambda r: {"name": 3, "score": 0.5})
    assert bad.complete_json("s", "u", SCHEMA).error_kind == "schema"
    boom = LLMClient("offline", offline_fn=lambda r: 1 / 0)
    assert boom.complete_json("s", "u", SCHEMA).error_kind == "offline"
    assert "additionalProperties" not in json.dumps(relax_schema(SCHEMA))


def test_config_errors():
    with pytest.raises(LLMConfigError):
        LLMClient("mystery")
    with pytest.raises(LLMConfigError):
        LLMClient("openai")
    with pytest.raises(LLMConfigError):
        LLMClient("offline")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_api_key_never_leaks_into_errors_or_logs(provider, fake_llm, caplog):
    fake, srv = fake_llm
    # a hostile or buggy upstream echoes the credential back in its error body
    fake.script(Step("status", status=401, error_message=f"invalid key {TEST_KEY}"),
                Step("raw", text=f"key was {TEST_KEY}"), Step("raw", text=f"again {TEST_KEY}"))
    c = make(provider, srv)
    # our own logs at every level; the SDKs' at INFO (their DEBUG dumps prompt bodies, which here
    # contain the echoed text, though never the request headers)
    with caplog.at_level(logging.INFO), caplog.at_level(logging.DEBUG, logger="dropship_core"):
        r1 = c.complete_json("s", "u", SCHEMA)
        r2 = c.complete_json("s", "u", SCHEMA)
    for r in (r1, r2):
        assert not r.ok and TEST_KEY not in (r.error or "") and TEST_KEY not in repr(r)
    assert TEST_KEY not in caplog.text and TEST_KEY not in repr(c)
    assert TEST_KEY not in json.dumps(c.ledger.as_metadata())
