"""`dropship report`: write the analytics page from the command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psycopg

from dbt_like_sql.loader import DEFAULT_SCHEMA
from dbt_like_sql.report import write_report


def _database_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    try:  # the project's own resolution: DATABASE_URL, else the embedded Postgres
        from dropship_core.db import database_url
    except ImportError:
        url = os.environ.get("DATABASE_URL", "").strip()
        if not url:
            raise SystemExit("report: set DATABASE_URL or pass --database-url")
        return url
    return database_url()


def default_out() -> Path:
    from dbt_like_sql.dagster_assets import default_report_path

    return default_report_path()


def run_report(args: argparse.Namespace) -> int:
    if getattr(args, "format", "html") == "xlsx":
        from dropship_app.export_cli import report_xlsx

        out = Path(args.out) if args.out else default_out().with_suffix(".xlsx")
        return report_xlsx(out, args.schema, args.mode, _database_url(args.database_url))
    out = Path(args.out) if args.out else default_out()
    with psycopg.connect(_database_url(args.database_url)) as conn:
        numbers = write_report(
            conn, out, schema=args.schema, mode=args.mode
        )
    print(f"wrote {out}")
    for key, value in numbers.items():
        print(f"  {key}: {'-' if value is None else value}")
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `report [--out PATH]` to the project's CLI; the handler is `args.func(args)`."""
    p = subparsers.add_parser("report", help="write the analytics page (self-contained HTML)")
    p.add_argument("--out", help="where to write the page (default .dropship/reports/analytics.html)")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="schema holding the analytics models")
    p.add_argument("--mode", choices=("auto", "materialized", "live"), default="auto",
                   help="read built marts, compute live from the store, or pick (default)")
    p.add_argument("--database-url", help="the store (default DATABASE_URL, else the embedded Postgres)")
    p.add_argument("--format", choices=("html", "xlsx"), default="html",
                   help="html: the page; xlsx: the report's tables as a workbook, one sheet each")
    p.set_defaults(func=run_report)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dbt_like_sql")
    register_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
