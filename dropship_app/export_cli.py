"""`dropship export MODEL --out FILE.xlsx|csv`: any analytics model as a spreadsheet, with
Korean headers and number formats. `dropship report --format xlsx` writes the report's marts,
one sheet each."""

from __future__ import annotations

import sys
from pathlib import Path


def cmd_export(args) -> int:
    import psycopg

    from dbt_like_sql.frames import UnknownModel, read_models
    from dropship_core.db import database_url
    from dropship_core.spreadsheet import write_csv, write_xlsx

    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        print("error: --out must end in .xlsx or .csv", file=sys.stderr)
        return 2
    if args.model == PRICE_REVIEW:
        return _export_price_review(out)
    try:
        with psycopg.connect(database_url()) as conn:
            frames, source = read_models(conn, [args.model], schema=args.schema, mode=args.mode, limit=args.limit)
    except UnknownModel as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    df = frames[args.model]
    if out.suffix.lower() == ".csv":
        write_csv(out, df)
    else:
        write_xlsx(out, {args.model: df})
    print(f"wrote {out}: {len(df)} rows of {args.model} ({'computed live' if source == 'live' else source})")
    return 0


PRICE_REVIEW = "price_review"


def _export_price_review(out: Path) -> int:
    """The price recommendations waiting for a person (`dropship agents pending`) as a sheet."""
    import pandas as pd

    from dropship_app.common import open_store
    from dropship_core.spreadsheet import write_csv, write_xlsx

    cols, rows = open_store().price_review_rows()
    df = pd.DataFrame(rows, columns=cols)
    write_csv(out, df) if out.suffix.lower() == ".csv" else write_xlsx(out, {PRICE_REVIEW: df})
    print(f"wrote {out}: {len(df)} price recommendations waiting for a person")
    return 0


def report_xlsx(out: Path, schema: str, mode: str, database_url: str) -> int:
    """`dropship report --format xlsx`: the report's marts, one sheet each."""
    import psycopg

    from dbt_like_sql.frames import REPORT_SHEETS, read_models
    from dropship_core.spreadsheet import write_xlsx

    with psycopg.connect(database_url) as conn:
        frames, source = read_models(conn, list(REPORT_SHEETS), schema=schema, mode=mode)
    write_xlsx(out, {n.removeprefix("mart_"): df for n, df in frames.items()})
    print(f"wrote {out}: {len(frames)} sheets ({'computed live' if source == 'live' else source})")
    return 0


def register_cli(sub) -> None:
    p = sub.add_parser("export", help="write an analytics model as .xlsx or .csv (Korean headers)")
    p.add_argument("model", help="a model of dbt_like_sql/models, e.g. mart_margin_by_market_category, "
                                 "or price_review (recommendations waiting for a person)")
    p.add_argument("--out", required=True, help="FILE.xlsx or FILE.csv")
    p.add_argument("--schema", default="analytics", help="schema holding the built models")
    p.add_argument("--mode", choices=("auto", "materialized", "live"), default="auto",
                   help="read the built model, compute it live from the store, or pick (default)")
    p.add_argument("--limit", type=int, default=None, help="at most this many rows")
    p.set_defaults(func=cmd_export)
