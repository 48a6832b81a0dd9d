"""Any analytics model as a pandas DataFrame: read from the built schema when the model's
relation exists, else computed live from the store (every model as a temporary view)."""

from __future__ import annotations

import pandas as pd
import psycopg

from dbt_like_sql.loader import DEFAULT_SCHEMA, create_temp_views, load_project, sql_ident

REPORT_SHEETS = ("mart_catalog_health", "mart_margin_by_market_category", "mart_stockout_risk", "mart_sync_lag",
                 "mart_listing_rejections", "mart_price_changes_daily", "mart_llm_spend_daily")


class UnknownModel(ValueError):
    pass


def model_names() -> list[str]:
    return list(load_project().order)


def _read(conn: psycopg.Connection, schema: str, name: str, limit: int | None) -> pd.DataFrame:
    q = f"SELECT * FROM {sql_ident(schema)}.{sql_ident(name)}" + (f" LIMIT {int(limit)}" if limit else "")
    cur = conn.execute(q.encode())
    cols = [d.name for d in cur.description]
    return pd.DataFrame(cur.fetchall(), columns=cols)


def read_models(conn: psycopg.Connection, names: list[str] | tuple[str, ...], schema: str = DEFAULT_SCHEMA,
                mode: str = "auto", limit: int | None = None) -> tuple[dict[str, pd.DataFrame], str]:
    """{model: DataFrame} and where the rows came from (`schema` or `live`)."""
    project = load_project()
    unknown = [n for n in names if n not in project.models]
    if unknown:
        raise UnknownModel(f"unknown model(s) {', '.join(unknown)}; models: {', '.join(project.order)}")
    built = all(conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{sql_ident(schema)}.{sql_ident(n)}",)
                             ).fetchone()[0] for n in names)
    live = mode == "live" or (mode == "auto" and not built)
    if not live:
        return {n: _read(conn, schema, n, limit) for n in names}, schema
    frames: dict[str, pd.DataFrame] = {}
    with conn.transaction():
        create_temp_views(conn, project)
        frames = {n: _read(conn, "pg_temp", n, limit) for n in names}
        raise psycopg.Rollback()   # the temporary views go with the transaction
    return frames, "live"
