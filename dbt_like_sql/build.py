"""Building models in Postgres: views, tables and day-partitioned incremental tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from dbt_like_sql.project import DEFAULT_SCHEMA, Model, SqlModelError, SqlProject, _line_of, relation, sql_ident

@dataclass
class MaterializeOutcome:
    model: str
    relation: str
    materialized: str
    row_count: int
    columns: list[str]
    preview: list[tuple[Any, ...]]
    metrics: dict[str, float]
    rows_written: int | None = None  # incremental: rows inserted for the window
    rows_deleted: int | None = None
    dropped_dependents: list[str] = field(default_factory=list)
    skipped: str | None = None


def _position_to_line(stmt: str, body_offset: int, body: str, position: str | None) -> int | None:
    if not position:
        return None
    idx = int(position) - 1 - body_offset  # Postgres counts characters from 1
    if idx < 0 or idx > len(body):
        return None
    return _line_of(body, idx)


def _execute(conn: psycopg.Connection, model: Model, prefix: str, body: str, suffix: str = "") -> psycopg.Cursor:
    stmt = prefix + body + suffix
    try:
        return conn.execute(stmt.encode())  # bytes: no placeholder parsing of '%' in model SQL
    except psycopg.Error as exc:
        diag = exc.diag
        line = _position_to_line(stmt, len(prefix), body, diag.statement_position)
        lines = model.sql.splitlines()
        text = lines[line - 1].strip() if line and line <= len(lines) else None
        message = (diag.message_primary or str(exc)).strip()
        if diag.message_detail:
            message += f" ({diag.message_detail.strip()})"
        if diag.message_hint:
            message += f" hint: {diag.message_hint.strip()}"
        raise SqlModelError(model.name, message, line, text, model.path.name, diag.sqlstate) from None


def ensure_schema(conn: psycopg.Connection, schema: str) -> None:
    with conn.transaction():
        # two runs creating the schema at once would collide on the catalog's unique index
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dbt_like_sql:{schema}",))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def table_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]


def relation_kind(conn: psycopg.Connection, schema: str, name: str) -> str | None:
    row = conn.execute(
        "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
        (schema, name),
    ).fetchone()
    return {"r": "table", "v": "view", "m": "view", "p": "table"}.get(row[0]) if row else None


def _columns(conn: psycopg.Connection, regclass: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (regclass,),
    ).fetchall()


def _dependents(conn: psycopg.Connection, schema: str, name: str) -> list[str]:
    rows = conn.execute(
        """
        SELECT DISTINCT dn.nspname || '.' || dc.relname
        FROM pg_depend d
        JOIN pg_rewrite r ON r.oid = d.objid
        JOIN pg_class dc ON dc.oid = r.ev_class
        JOIN pg_namespace dn ON dn.oid = dc.relnamespace
        WHERE d.refobjid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass AND dc.relname <> %s
        ORDER BY 1
        """,
        (schema, name, name),
    ).fetchall()
    return [r[0] for r in rows]


def _drop(conn: psycopg.Connection, schema: str, name: str, kind: str | None) -> list[str]:
    if kind is None:
        return []
    dependents = _dependents(conn, schema, name)
    conn.execute(sql.SQL("DROP {} {} CASCADE").format(sql.SQL("VIEW" if kind == "view" else "TABLE"), sql.Identifier(schema, name)))
    return dependents


def to_number(value: Any) -> float | int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, float):
        return value
    return None


def _build_view(conn, model: Model, schema: str, rel: str, body: str, kind: str | None) -> list[str]:
    dropped: list[str] = []
    if kind == "table":
        dropped += _drop(conn, schema, model.name, kind)
    try:
        with conn.transaction():
            _execute(conn, model, f"CREATE OR REPLACE VIEW {rel} AS\n", body)
    except SqlModelError as exc:
        # 42P16: columns renamed, removed or retyped; Postgres cannot replace the view in place
        if kind != "view" or exc.sqlstate != "42P16":
            raise
        dropped += _drop(conn, schema, model.name, "view")
        _execute(conn, model, f"CREATE VIEW {rel} AS\n", body)
    return dropped


def _build_table(conn, model: Model, schema: str, rel: str, body: str, kind: str | None) -> list[str]:
    conn.execute("DROP TABLE IF EXISTS pg_temp._dbt_like_sql_new")
    _execute(conn, model, "CREATE TEMP TABLE _dbt_like_sql_new ON COMMIT DROP AS\n", body)
    new_cols = _columns(conn, "pg_temp._dbt_like_sql_new")
    if kind == "table" and _columns(conn, f"{sql_ident(schema)}.{sql_ident(model.name)}") == new_cols:
        # same columns: refill in place so the views built on it stay
        conn.execute(f"TRUNCATE {rel}")
        conn.execute(f"INSERT INTO {rel} SELECT * FROM pg_temp._dbt_like_sql_new")
        return []
    dropped = _drop(conn, schema, model.name, kind)
    conn.execute(f"CREATE TABLE {rel} AS SELECT * FROM pg_temp._dbt_like_sql_new")
    return dropped


def _window_condition(tcol: str, window: tuple[datetime, datetime] | None) -> str:
    if window is None:
        return "true"
    return f"{tcol} >= '{window[0].isoformat()}'::timestamptz AND {tcol} < '{window[1].isoformat()}'::timestamptz"


def _build_incremental(conn, model: Model, schema: str, rel: str, body: str, kind: str | None,
                       window: tuple[datetime, datetime] | None) -> tuple[list[str], int, int]:
    name, cfg = model.name, model.config
    tcol = sql_ident(cfg.time_column)  # type: ignore[arg-type]
    conn.execute("DROP TABLE IF EXISTS pg_temp._dbt_like_sql_shape")
    _execute(conn, model, "CREATE TEMP TABLE _dbt_like_sql_shape ON COMMIT DROP AS SELECT * FROM (\n", body,
             "\n) _m LIMIT 0")
    new_cols = _columns(conn, "pg_temp._dbt_like_sql_shape")
    if cfg.time_column not in [c for c, _ in new_cols]:
        raise SqlModelError(name, f"time_column '{cfg.time_column}' is not a column of the model's result",
                            path=model.path.name)
    dropped: list[str] = []
    if kind == "view":
        dropped += _drop(conn, schema, name, kind)
        kind = None
    if kind is None:
        conn.execute(f"CREATE TABLE {rel} AS SELECT * FROM pg_temp._dbt_like_sql_shape")
        conn.execute(f"CREATE INDEX ON {rel} ({tcol})")
    elif _columns(conn, f"{sql_ident(schema)}.{sql_ident(name)}") != new_cols:
        raise SqlModelError(
            name, f"the model's columns changed; drop {schema}.{name} (DROP TABLE {rel}) and re-materialise "
                  "all its partitions", path=model.path.name)
    # the window is applied outside the model's SQL too, so a model that ignores
    # {{ window_start }} still writes only its own partition
    cond = _window_condition(tcol, window)
    deleted = conn.execute(f"DELETE FROM {rel} WHERE {cond}").rowcount
    written = _execute(conn, model, f"INSERT INTO {rel} SELECT * FROM (\n", body, f"\n) _m WHERE {cond}").rowcount
    return dropped, written, deleted


def _read_stats(conn, model: Model, rel: str, window, preview_rows: int):
    """Row count, the model's `-- metric:` numbers and a preview, outside the build transaction."""
    scope = ""
    if model.is_incremental and window is not None:
        scope = " WHERE " + _window_condition(sql_ident(model.config.time_column), window)  # type: ignore[arg-type]
    metric_exprs = [f"({expr}) AS {sql_ident(m)}" for m, expr in model.metrics.items()]
    try:
        # one pass for the row count and the key numbers when they cover the same rows (a view's
        # SELECT runs again for each query here)
        if scope:
            row_count = conn.execute(f"SELECT count(*) FROM {rel}").fetchone()[0]
            values = conn.execute(f"SELECT {', '.join(metric_exprs)} FROM {rel}{scope}".encode()).fetchone() \
                if metric_exprs else ()
        else:
            row = conn.execute(f"SELECT {', '.join(['count(*)'] + metric_exprs)} FROM {rel}".encode()).fetchone()
            row_count, values = row[0], row[1:]
        cur = conn.execute(f"SELECT * FROM {rel}{scope} LIMIT {int(preview_rows)}".encode())
        columns = [d.name for d in cur.description or []]
        preview = cur.fetchall()
    except psycopg.Error as exc:
        if not conn.autocommit:
            conn.rollback()
        what = "reading the built relation (or a `-- metric:` expression) failed"
        raise SqlModelError(model.name, f"{what}: {(exc.diag.message_primary or str(exc)).strip()}",
                            path=model.path.name, sqlstate=exc.diag.sqlstate) from None
    metrics = {m: num for m, value in zip(model.metrics, values) if (num := to_number(value)) is not None}
    return row_count, columns, preview, metrics


def materialize_model(
    conn: psycopg.Connection,
    project: SqlProject,
    name: str,
    schema: str = DEFAULT_SCHEMA,
    window: tuple[datetime, datetime] | None = None,
    preview_rows: int = 10,
) -> MaterializeOutcome:
    """Build one model in `schema`. Each build is one transaction: readers never see half of it.

    view: CREATE OR REPLACE VIEW, or drop and recreate when its columns changed.
    table: rebuilt; when the columns are unchanged the table is truncated and refilled so the views
    built on it stay in place.
    incremental: the rows of `window` (a half-open [start, end) range of time_column) are deleted
    and inserted again, so re-running a partition never duplicates rows.
    """
    model = project.models[name]
    cfg = model.config
    rel = relation(schema, name)
    if cfg.enabled_if_table and not table_exists(conn, cfg.enabled_if_table):
        return MaterializeOutcome(name, f"{schema}.{name}", cfg.materialized, 0, [], [], {},
                                  skipped=f"table {cfg.enabled_if_table} does not exist")
    ensure_schema(conn, schema)
    body = project.render(name, schema, window)
    written = deleted = None
    with conn.transaction():
        # two runs building the same model (overlapping backfills, a retry) take turns
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dbt_like_sql:{schema}.{name}",))
        kind = relation_kind(conn, schema, name)
        if cfg.materialized == "view":
            dropped = _build_view(conn, model, schema, rel, body, kind)
        elif cfg.materialized == "table":
            dropped = _build_table(conn, model, schema, rel, body, kind)
        else:
            dropped, written, deleted = _build_incremental(conn, model, schema, rel, body, kind, window)
    row_count, columns, preview, metrics = _read_stats(conn, model, rel, window, preview_rows)
    if not conn.autocommit:
        conn.commit()
    return MaterializeOutcome(model=name, relation=f"{schema}.{name}", materialized=cfg.materialized,
                              row_count=row_count, columns=columns, preview=preview, metrics=metrics,
                              rows_written=written, rows_deleted=deleted, dropped_dependents=dropped)


def create_temp_views(conn: psycopg.Connection, project: SqlProject) -> str:
    """Every model as a temporary view in this session (pg_temp), in dependency order.

    The report uses this to compute live numbers when the analytics schema was never built.
    """
    for name in project.order:
        model = project.models[name]
        if model.config.enabled_if_table and not table_exists(conn, model.config.enabled_if_table):
            continue
        body = project.render(name, "pg_temp")
        _execute(conn, model, f"CREATE OR REPLACE TEMP VIEW {sql_ident(name)} AS\n", body)
    return "pg_temp"
