"""`dropship ask`: answers from store rows and memory, offline and through an LLM, remembered."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from dropship_core.ai.ask import answer, detect_intent
from dropship_app.ask_cli import main, register_cli, run_ask
from dropship_core.ai.llm import LLMClient, client_from_env
from dropship_core.ai.memory import build_memory
from .support import TEST_KEY
from .fake_servers import Step


def store_row(pid, name, cost, markets):
    return {"id": pid, "supplier_key": "excel-acme", "supplier_item_id": f"A{pid}",
            "raw_data": {"name": name, "cost": cost, "shipping_fee": 0, "supplier_item_id": f"A{pid}"},
            "ai_data": {"clean_name": name},
            "market_data": {m: {"listing": {"price": p, "stock": s, "category_id": "c1", "category_path": "주방>텀블러",
                                            "shipping_fee": 0, "state": "active", "title": name},
                                "status": "published"} for m, (p, s) in markets.items()}}


ROWS = [
    store_row(1, "스테인리스 텀블러 500ml", 9000, {"smartstore": (15900, 40), "coupang": (16900, 0)}),
    store_row(2, "캠핑 의자", 20000, {"smartstore": (39000, 120), "coupang": (41000, 200)}),
    store_row(3, "실리콘 빨대 세트", 1500, {"smartstore": (4900, 3)}),
    store_row(4, "보온 도시락", 12000, {"smartstore": (15000, 10)}),
]


def test_intents():
    assert detect_intent("텀블러 가격 얼마로 올릴까?") == "pricing"
    assert detect_intent("품절 위험 있는 상품?") == "inventory"
    assert detect_intent("쿠폰 행사 후보") == "promotion"
    assert detect_intent("hello") == "overview"
    assert detect_intent("anything", agent="inventory_alerts") == "inventory"
    with pytest.raises(ValueError):
        detect_intent("x", agent="nope")


def supplier_row(pid, supplier, name, cost, markets, status="active"):
    r = store_row(pid, name, cost, markets)
    r["supplier_key"], r["status"] = supplier, status
    r["raw_data"]["supplier_item_id"] = f"{supplier.split('-')[1][:2].upper()}{pid}"
    return r


# coupang: commission 10.8%, minimum margin 5% (pricing.yaml defaults)
MIXED = [
    supplier_row(11, "excel-daon", "다온 캠핑 랜턴", 20000, {"coupang": (22000, 5), "smartstore": (26000, 5)}),
    supplier_row(12, "excel-daon", "다온 에코백", 6000, {"coupang": (8200, 5)}),
    supplier_row(13, "excel-daon", "다온 수납함", 7000, {}),
    supplier_row(21, "excel-acme", "에이스 텀블러", 9000, {"coupang": (9500, 5), "smartstore": (9000, 5)}),
    supplier_row(22, "excel-acme", "에이스 머그", 3000, {"coupang": (6000, 5)}),
]


def expected_losing(market):
    """Independent of the code under test: price·(1 − commission) − cost < 5% of price."""
    c = {"coupang": 0.108, "smartstore": 0.0636}[market]
    out = []
    for r in MIXED:
        lst = r["market_data"].get(market)
        if lst:
            p = lst["listing"]["price"]
            if p * (1 - c) - r["raw_data"]["cost"] < 0.05 * p:
                out.append(r["id"])
    return out


def test_which_products_are_losing_margin_on_coupang(pg_dsn):
    mem = build_memory("postgres", "postgres", dsn=pg_dsn)
    a = answer("which products are losing margin on coupang?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}")
    assert a.parsed["market"] == "coupang" and a.parsed["measure"] == "losing_margin" and a.answered
    want = expected_losing("coupang")
    assert sorted(want) == [11, 21]
    lm = a.facts["losing_margin"]
    assert lm["total"] == len(want) and sorted(v["product_id"] for v in lm["examples"]) == want
    assert all(v["market"] == "coupang" for v in lm["examples"])
    assert lm["checked"] == 4  # the coupang listings only
    assert "2 of 4 listings" in a.text and "after fees" in a.text and "smartstore" not in a.text
    assert "excel-daon:DA11" in a.text and "에이스 텀블러" in a.text


def test_how_many_products_does_excel_daon_have(pg_dsn):
    mem = build_memory("postgres", "postgres", dsn=pg_dsn)
    a = answer("how many products does excel-daon have?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}")
    assert a.parsed["supplier"] == "excel-daon" and a.parsed["measure"] == "count_products"
    assert a.facts["count"]["products"] == 3 and a.facts["count"]["listed"] == 2
    assert a.text.startswith("excel-daon: 3 products")
    ko = answer("다온리빙 상품 몇 개야?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}",
                supplier_names={"excel-daon": "다온리빙", "excel-acme": "에이스상사"})
    assert ko.parsed["supplier"] == "excel-daon" and "상품 3개" in ko.text


def test_says_when_it_cannot_answer(pg_dsn):
    mem = build_memory("postgres", "postgres", dsn=pg_dsn)
    a = answer("how many products does excel-nowhere have?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}")
    assert not a.answered and "no supplier 'excel-nowhere'" in a.text and "excel-daon" in a.text
    b = answer("what is the weather tomorrow?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}")
    assert not b.answered and b.text.startswith("I cannot answer")


def test_margin_states_its_definition(pg_dsn):
    mem = build_memory("postgres", "postgres", dsn=pg_dsn)
    a = answer("average margin on smartstore?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}")
    rates = [(26000 * (1 - 0.0636) - 20000) / 26000, (9000 * (1 - 0.0636) - 9000) / 9000]
    assert a.facts["margin_after_fees"]["avg_rate"] == pytest.approx(sum(rates) / 2, abs=1e-3)
    assert "after fees" in a.text and "before fees" in a.text


def test_offline_answer_cites_numbers_and_is_remembered(pg_dsn):
    mem = build_memory("postgres", "postgres", dsn=pg_dsn)
    ctx = f"ask-{uuid.uuid4().hex[:6]}"
    a = answer("텀블러 가격이랑 마진 알려줘", ROWS, mem, ctx)
    assert a.intent == "pricing" and a.provider == "offline"
    # 15900 * (1 - 0.0636 commission from pricing.yaml) - 9000 = 5888 won margin on smartstore
    assert "15,900원" in a.text and "5,888원" in a.text and "9,000원" in a.text
    assert a.facts["products_asked"][0]["id"] == 1
    with psycopg.connect(pg_dsn) as c:
        msgs = c.execute("SELECT role, content FROM conversation_messages WHERE context_id = %s ORDER BY id",
                         (ctx,)).fetchall()
    assert msgs[0] == ("user", "텀블러 가격이랑 마진 알려줘") and msgs[1][1] == a.text

    inv = answer("재고 품절 상황은?", ROWS, mem, ctx)
    assert inv.intent == "inventory" and "out of stock" in inv.text and "판매 중지 권고 1건" in inv.text
    follow = answer("텀블러 가격 마진 다시", ROWS, mem, ctx)
    assert follow.memories_used >= 1 and "이전 대화" in follow.text


def test_llm_extracts_the_question_with_a_tool_call(fake_llm, pg_dsn):
    fake, srv = fake_llm
    fake.script(Step("valid", data={"measure": "losing_margin", "market": "coupang", "supplier": "excel-acme",
                                    "product": None}))
    client = LLMClient("anthropic", api_key=TEST_KEY, base_url=srv.url, sdk_max_retries=0)
    mem = build_memory("postgres", "postgres", dsn=pg_dsn)
    a = answer("쿠팡에서 에이스 상품 중 손해 보는 거?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}", client=client)
    assert a.provider == "anthropic" and a.parsed["parser"] == "llm"
    assert [v["product_id"] for v in a.facts["losing_margin"]["examples"]] == [21]
    body = fake.requests[0]["body"]
    assert body["tools"][0]["input_schema"]["properties"]["market"]["enum"][:3] == ["smartstore", "coupang", "gmarket"]

    fake.script(Step("status", status=500), Step("status", status=500), Step("status", status=500))
    b = answer("which products are losing margin on coupang?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}",
               client=LLMClient("openai", api_key=TEST_KEY, base_url=srv.url + "/v1", sdk_max_retries=0,
                                sleep=lambda s: None))
    assert b.provider == "offline" and b.facts["losing_margin"]["total"] == 2 and TEST_KEY not in b.text


def test_register_cli_and_json_output(pg_dsn):
    parser = argparse.ArgumentParser(prog="dropship")
    sub = parser.add_subparsers(dest="command")
    register_cli(sub, rows_provider=lambda args: ROWS)
    args = parser.parse_args(["ask", "쿠폰 행사 후보는?", "--context", f"c-{uuid.uuid4().hex[:6]}", "--json"])
    out = io.StringIO()
    assert run_ask(args, lambda a: ROWS, lambda: build_memory("postgres", "postgres", dsn=pg_dsn), out=out) == 0
    data = json.loads(out.getvalue())
    assert data["intent"] == "promotion" and data["provider"] == "offline"
    assert data["facts"]["promotion_plans"]["planned_krw"] <= data["facts"]["promotion_plans"]["budget_krw"]
    with pytest.raises(SystemExit):
        parser.parse_args(["ask", "x", "--agent", "nobody"])


def test_cli_process_keeps_the_conversation_across_runs(pg_dsn, tmp_path):
    """Two separate `ask` processes, one context: the second recalls the first from Postgres."""
    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps(ROWS, ensure_ascii=False))
    script = ("import json,sys; from dropship_app.ask_cli import main; "
              f"rows=json.load(open({str(rows_file)!r})); sys.exit(main(sys.argv[1:], lambda a: rows))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": root, "DATABASE_URL": pg_dsn,
           "OPENAI_API_KEY": TEST_KEY}
    ctx = f"proc-{uuid.uuid4().hex[:6]}"
    for q in ("빨대 세트 가격 마진", "빨대 세트 가격 마진 다시"):
        p = subprocess.run([sys.executable, "-c", script, "ask", q, "--context", ctx], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
    assert "4,900원" in p.stdout and "이전 대화" in p.stdout
    assert TEST_KEY not in p.stdout + p.stderr


def test_client_from_env():
    c = client_from_env({"LLM_PROVIDER": "openai", "OPENAI_API_KEY": TEST_KEY, "LLM_MODEL": "gpt-4.1-mini",
                         "LLM_BASE_URL": "http://127.0.0.1:9/v1", "LLM_SPEND_CAP": "5000",
                         "LLM_SPEND_CAP_CURRENCY": "KRW"})
    assert c.provider == "openai" and c.model == "gpt-4.1-mini" and c.spend_cap.currency == "KRW"
    assert TEST_KEY not in repr(c)
    off = client_from_env({}, offline_fn=lambda r: {"text": "x"})
    assert off.provider == "offline" and off.complete_text("s", "u").text == "x"


def test_main_without_database_uses_process_memory(capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("LLM_PROVIDER", raising=False)
    assert main(["ask", "시장 카테고리 현황"], lambda a: ROWS) == 0
    captured = capsys.readouterr()
    assert "상품 4개" in captured.out and "not kept" in captured.err


def test_losing_margin_names_listings_the_market_undercuts_below_break_even(pg_dsn):
    """With market_prices rows, the answer also lists where matching the market would lose margin."""
    mem = build_memory("postgres", "postgres", dsn=pg_dsn)
    # excel-acme 에이스 머그 on coupang: cost 3000, break-even 3000 / (1 - 0.108 - 0.05) = 3562.9 -> 3570
    evidence = {"coupang": {22: {"lowest_price": 3400, "seller_count": 3}, 12: {"lowest_price": 9900}}}
    a = answer("which products are losing margin on coupang?", MIXED, mem, f"ask-{uuid.uuid4().hex[:6]}",
               evidence=evidence)
    mb = a.facts["market_below_break_even"]
    assert mb["total"] == 1 and mb["examples"][0]["product_id"] == 22 and mb["examples"][0]["break_even"] == 3570
    assert "1 listings face a cheapest comparable market price below their break-even" in a.text
