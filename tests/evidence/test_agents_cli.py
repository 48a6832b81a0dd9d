"""`dropship agents pending / approve / reject` over the decisions a pipeline run recorded."""

from __future__ import annotations

import argparse

import psycopg

from dropship_core.ai.agent_store import AgentStore
from dropship_app.agents_cli import register
from .test_agents_pipeline import world  # noqa: F401 - the fixture
from .world import run_agents


def parse(argv):
    p = argparse.ArgumentParser()
    register(p.add_subparsers(dest="agents_cmd"))
    return p.parse_args(argv)


def call(store, argv):
    out: list[str] = []
    args = parse(argv)
    rc = args.func(args, store=store, out=out.append)
    return rc, "\n".join(out)


def test_pending_totals_filters_pages_and_bulk_decisions(world):  # noqa: F811
    run_agents(world["res"], world["instance"])
    s = AgentStore(world["db"])
    rc, text = call(s, ["pending"])
    assert rc == 0 and text.startswith("6 price recommendation(s) pending approval; page 1/1")
    assert "excel-ev:A1" in text and "코멧 스테인리스" in text  # supplier code and product name, not ids alone
    rc, text = call(s, ["pending", "--market", "coupang", "--page-size", "1", "--page", "2"])
    assert text.startswith("2 price recommendation(s) pending approval; page 2/2")
    assert text.count("excel-ev:") == 1
    rc, text = call(s, ["pending", "--supplier", "excel-ev", "--reason", "competitor"])
    assert text.startswith("3 price") and "excel-ev:B1" not in text
    assert call(s, ["approve"])[0] == 2  # neither ids nor --all
    rc, text = call(s, ["reject", "--all", "--reason", "market_room"])
    assert rc == 0 and text == "rejected 3 price recommendation(s)"
    first_id = s.pending()[1][0]["id"]
    rc, text = call(s, ["approve", str(first_id)])
    assert rc == 0 and text.startswith("approved 1 price recommendation(s)")
    assert call(s, ["approve", str(first_id)])[0] == 2  # no longer pending
    with psycopg.connect(world["db"]) as c:
        st = dict(c.execute("SELECT status, count(*) FROM agent_decisions WHERE kind = 'price_recommendation'"
                            " GROUP BY 1").fetchall())
    assert st == {"rejected": 3, "approved": 1, "pending_approval": 2}
