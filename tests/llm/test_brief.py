"""The daily brief per market: written by the LLM (local OpenAI wire server) from the conductor's
numbers, refused when it quotes a number that is not among them, stored and shown in the report."""

from __future__ import annotations

import json

import dagster as dg
import psycopg
import pytest

from dropship_core.serve import ServerThread
from dropship_resources.llm import LLMResource
from dropship_sandbox.naver_search import NaverSearchSandbox
from tests.evidence.test_agents_pipeline import OFFERS, ROWS
from tests.evidence.world import list_and_price, resources, run_agents, sync_supplier, write_xlsx
from .fake_servers import Step
from .support import TEST_KEY


def grounded(body):
    facts = json.loads(body["messages"][-1]["content"])["facts"]
    return Step("text", text=f"{facts['market']} 리스팅 {facts['listings']}건, 수수료 차감 후 평균 마진 "
                             f"{facts['margin_after_fees_pct']}%. 가격 조정 제안 {facts['price_changes_proposed']}건.")


@pytest.fixture
def world(db_url, tmp_path, fake_llm, monkeypatch):
    from dropship_core.store import Store

    Store(db_url).migrate()
    fake, llm_srv = fake_llm
    sb = NaverSearchSandbox(per_second=0, offers=OFFERS)
    wb = tmp_path / "ev.xlsx"
    write_xlsx(wb, ROWS)
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-ev\n    kind: excel\n    path: {wb}\n")
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    with ServerThread(sb.app) as srv:
        llm = LLMResource(provider="openai", openai_api_key=dg.EnvVar("OPENAI_API_KEY"),
                          base_url=llm_srv.url + "/v1", sdk_max_retries=0)
        res = resources(db_url, str(cfg), srv.url, llm=llm)
        inst = dg.DagsterInstance.ephemeral()
        inst.add_dynamic_partitions("supplier", ["excel-ev"])
        sync_supplier(res, inst, "excel-ev")
        list_and_price(res, inst, ["excel-ev"])
        yield {"db": db_url, "res": res, "inst": inst, "fake": fake}


def test_brief_is_grounded_stored_and_reported(world, tmp_path):
    fake = world["fake"]
    fake.default = grounded
    run_agents(world["res"], world["inst"], markets=["smartstore"])
    with psycopg.connect(world["db"]) as c:
        text, facts = c.execute("SELECT text, facts FROM agent_briefs WHERE market = 'smartstore'").fetchone()
    assert text.startswith("smartstore 리스팅 4건") and facts["price_changes_proposed"] == 2
    assert "수수료 차감 후" in fake.requests[-1]["body"]["messages"][0]["content"]
    from dbt_like_sql.report import write_report

    with psycopg.connect(world["db"]) as c:
        write_report(c, tmp_path / "r.html", mode="live")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="daily-brief"' in page and "smartstore 리스팅 4건" in page


def test_a_brief_with_invented_numbers_is_refused(world):
    world["fake"].default = lambda body: Step("text", text="coupang 매출이 37% 늘었습니다.")
    run_agents(world["res"], world["inst"], markets=["coupang"])
    with psycopg.connect(world["db"]) as c:
        assert c.execute("SELECT count(*) FROM agent_briefs").fetchone()[0] == 0
        # the decisions themselves are still recorded
        assert c.execute("SELECT count(*) FROM agent_decisions WHERE market = 'coupang'").fetchone()[0] > 0
