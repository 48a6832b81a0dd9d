"""Data tests: the rows that break each declared test (not_null, unique, accepted_values, range,
relationships), and the markdown tables their results are shown in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from dbt_like_sql.project import DEFAULT_SCHEMA, DataTest, SqlProject, SqlProjectError, sql_ident


@dataclass
class TestOutcome:
    test: DataTest
    failures: int
    columns: list[str]
    sample: list[tuple[Any, ...]]
    sql: str

    @property
    def passed(self) -> bool:
        return self.failures == 0


def data_test_sql(project: SqlProject, test: DataTest, schema: str = DEFAULT_SCHEMA) -> sql.Composed:
    """A SELECT of the failing rows of one test."""
    rel = sql.Identifier(schema, test.model)
    col = sql.Identifier(test.column)
    extra = sql.SQL(" AND ({})").format(sql.SQL(test.where)) if test.where else sql.SQL("")
    p = test.params
    if test.kind == "not_null":
        return sql.SQL("SELECT * FROM {} t WHERE t.{} IS NULL{}").format(rel, col, extra)
    if test.kind == "unique":
        return sql.SQL(
            "SELECT t.{c} AS value, count(*) AS occurrences FROM {r} t WHERE t.{c} IS NOT NULL{x} GROUP BY t.{c} HAVING count(*) > 1"
        ).format(c=col, r=rel, x=extra)
    if test.kind == "accepted_values":
        values = sql.SQL(", ").join(sql.Literal(str(v)) for v in p["values"])
        return sql.SQL("SELECT * FROM {} t WHERE t.{} IS NOT NULL AND t.{}::text NOT IN ({}){}").format(rel, col, col, values, extra)
    if test.kind == "range":
        conds = []
        if p.get("min") is not None:
            conds.append(sql.SQL("t.{} < {}").format(col, sql.Literal(p["min"])))
        if p.get("max") is not None:
            conds.append(sql.SQL("t.{} > {}").format(col, sql.Literal(p["max"])))
        return sql.SQL("SELECT * FROM {} t WHERE ({}){}").format(rel, sql.SQL(" OR ").join(conds), extra)
    if test.kind == "relationships":
        if p["to_kind"] == "source":
            parent = sql.SQL(sql_ident(project.sources[p["to"]].table))
        else:
            parent = sql.Identifier(schema, p["to"])
        return sql.SQL(
            "SELECT * FROM {r} t WHERE t.{c} IS NOT NULL{x} AND NOT EXISTS (SELECT 1 FROM {p} u WHERE u.{f} = t.{c})"
        ).format(r=rel, c=col, x=extra, p=parent, f=sql.Identifier(str(p["field"])))
    raise SqlProjectError(f"unknown test kind {test.kind}")


def run_data_test(conn: psycopg.Connection, project: SqlProject, test: DataTest, schema: str = DEFAULT_SCHEMA, sample_rows: int = 5) -> TestOutcome:
    query = data_test_sql(project, test, schema)
    text = query.as_string(conn)
    # one pass: the window total is computed over every failing row before LIMIT cuts the sample
    total = sql.SQL("sum(f.occurrences) OVER ()" if test.kind == "unique" else "count(*) OVER ()")
    with conn.transaction():
        cur = conn.execute(sql.SQL("SELECT {} AS _dbt_failures, f.* FROM ({}) f LIMIT {}").format(total, query, sql.Literal(sample_rows)))
        columns = [d.name for d in cur.description or []][1:]
        rows = cur.fetchall()
    failures = rows[0][0] if rows else 0
    sample = [tuple(r[1:]) for r in rows]
    return TestOutcome(test=test, failures=int(failures), columns=columns, sample=sample, sql=text)


# ---------------------------------------------------------------------------------------------
# helpers for metadata and the report


def _cell(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        text = f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
    else:
        text = str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    if not columns:
        return "_no columns_"
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join(_cell(v) for v in row) + " |\n" for row in rows)
    return head + (body or "| " + " | ".join("" for _ in columns) + " |\n")
