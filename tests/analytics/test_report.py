"""The HTML report: numbers from the marts or computed live, rendered in headless Chromium, and the CLI."""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from dbt_like_sql.cli import register_cli
from dbt_like_sql.report import REPORT_MODELS, write_report

from .conftest import DATABASE_URL

CHROMIUM = "/usr/bin/chromium"
SECTIONS = ["key-numbers", "margin-by-market", "price-changes", "stockouts", "sync-lag", "rejections", "llm-spend", "catalog-health"]


def assert_self_contained(page: str) -> None:
    assert not re.search(r"<script[^>]*\bsrc=|<link[^>]*\bhref=|@import|url\(", page)
    assert "http://" not in page and "https://" not in page


def test_report_from_the_materialised_marts(built_analytics, conn, tmp_path):
    out = tmp_path / "report.html"
    numbers = write_report(conn, out, schema=built_analytics["schema"], mode="materialized")
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    for section in SECTIONS:
        assert f'id="{section}"' in page
    assert page.count("<svg") >= 6
    assert numbers["products"] == 6 and numbers["sold_out"] == 1 and numbers["quarantined_open"] == 2
    assert numbers["gross_margin_krw"] == 24300
    assert numbers["margin_rate"] == pytest.approx(24300 / 77300)
    assert numbers["negative_margin_listings"] == 1
    assert numbers["listing_rejections"] == 4  # two blocked reasons, two marketplace failures
    assert "31.4%" in page and "₩24,300" in page
    assert "invalid category" in page and "title too long" in page
    assert "2026-03-10" in page and "2026-03-11" in page  # price changes and spend per day
    assert f"from the {built_analytics['schema']} schema" in page
    # the report asset wrote the same page during the Dagster run
    assert built_analytics["report_path"].read_text(encoding="utf-8").count("<svg") == page.count("<svg")


def test_report_computes_live_when_nothing_was_built(conn, store_schema, tmp_path, built_analytics):
    out = tmp_path / "live.html"
    numbers = write_report(conn, out, schema=f"{store_schema}_never_built", mode="auto")
    page = out.read_text(encoding="utf-8")
    assert "computed live from the store" in page
    built = write_report(conn, tmp_path / "b.html", schema=built_analytics["schema"], mode="materialized")
    # live numbers equal the built ones (the LLM spend window is relative to today in both)
    assert numbers == built
    # the temporary views went with the report's transaction
    assert conn.execute("SELECT to_regclass('pg_temp.stg_products')").fetchone()[0] is None
    assert conn.execute("SELECT to_regclass(%s)", (f"{store_schema}_never_built.mart_catalog_health",)).fetchone()[0] is None


def test_report_on_an_empty_store_still_renders(tmp_path):
    import psycopg

    import uuid

    schema = f"t_dbt_empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
        try:
            c.execute(f'SET search_path = "{schema}"')
            for path in sorted((Path(__file__).resolve().parents[2] / "dropship_core/store/migrations").glob("*.sql")):
                c.execute(path.read_text(encoding="utf-8").encode())
            numbers = write_report(c, tmp_path / "empty.html", schema=f"{schema}_a", mode="live")
        finally:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')
    page = (tmp_path / "empty.html").read_text(encoding="utf-8")
    assert numbers["products"] == 0 and numbers["margin_rate"] is None
    assert "no data yet" in page and "no rows yet" in page


def test_report_renders_in_headless_chromium(built_analytics, conn, artifacts, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to render the report")
    page = artifacts / "analytics-report.html"
    write_report(conn, page, schema=built_analytics["schema"], mode="materialized")
    shot = artifacts / "analytics-report.png"
    shot.unlink(missing_ok=True)
    proc = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chromium'}",
            "--virtual-time-budget=15000", f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
    assert len(data) > 20_000  # a blank page compresses to a few kilobytes


def test_cli_report_command(store_schema, built_analytics, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="dropship")
    register_cli(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "cli" / "report.html"
    secret = "cli-Pw-5d1e"  # the local server trusts loopback, so any password connects
    url = re.sub(r"^(postgresql://postgres):?@", rf"\g<1>:{secret}@", DATABASE_URL, count=1)
    url += ("&" if "?" in url else "?") + f"options={quote(f'-c search_path={store_schema}')}"
    args = parser.parse_args(["report", "--out", str(out), "--database-url", url, "--schema", built_analytics["schema"]])
    assert args.func(args) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert f"wrote {out}" in printed and "products: 6" in printed
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") >= 6
    assert secret not in printed + captured.err + page
    defaults = parser.parse_args(["report"])
    assert defaults.out is None and defaults.mode == "auto" and defaults.schema == "analytics"


def test_report_models_exist():
    from dbt_like_sql.loader import load_project

    assert set(REPORT_MODELS) <= set(load_project().models)
