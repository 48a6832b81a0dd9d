"""SQL models over the store: parse, order, render and materialise them. No Dagster here.

A model is one `models/<name>.sql` file holding a single SELECT. It names other models with
`{{ ref('name') }}` and store tables with `{{ source('name') }}`; header comments configure it:

    -- config: materialized=table, group=analytics
    -- description: Margin per market and category.
    -- metric: margin_rate = sum(margin) / nullif(sum(price), 0)

`load_project()` reads every model, the sources map (`sources.yaml`) and the data tests
(`models/schema.yaml`), checks every reference and returns the models in dependency order.
`materialize_model()` builds one model as a view, a table or a day-partitioned incremental table;
`run_data_test()` counts the rows that break one declared test.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg import sql

PACKAGE_DIR = Path(__file__).parent
DEFAULT_MODELS_DIR = PACKAGE_DIR / "models"
DEFAULT_SOURCES_PATH = PACKAGE_DIR / "sources.yaml"
DEFAULT_SCHEMA = "analytics"

MATERIALIZATIONS = ("view", "table", "incremental")
CONFIG_KEYS = ("materialized", "partition_by", "time_column", "group", "description", "enabled_if_table", "owners", "tags")
TEST_KINDS = ("not_null", "unique", "accepted_values", "range", "relationships")

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)
_REF = re.compile(rf"^\s*ref\s*\(\s*(['\"])({_NAME})\1\s*\)\s*$")
_SOURCE = re.compile(rf"^\s*source\s*\(\s*(['\"])({_NAME})\1\s*(?:,\s*(['\"])({_NAME})\3\s*)?\)\s*$")
_WINDOW = re.compile(r"^\s*(window_start|window_end|this)\s*$")
_BLOCK = re.compile(r"\{%|%\}|\{#")


class SqlProjectError(ValueError):
    """A model, source or test definition that cannot be used; the message names file and line."""


class SqlModelError(RuntimeError):
    """Postgres rejected a model's SQL; the message names the model and the offending line."""

    def __init__(self, model: str, message: str, line: int | None = None, line_text: str | None = None, path: str | None = None, sqlstate: str | None = None):
        self.model = model
        self.sqlstate = sqlstate
        self.line = line
        self.line_text = line_text
        self.path = path
        where = f"model '{model}'"
        if path:
            where += f" ({path}" + (f" line {line}" if line else "") + ")"
        elif line:
            where += f" (line {line})"
        text = f"{where}: {message}"
        if line_text is not None:
            text += f"\n  {line} | {line_text}"
        super().__init__(text)


@dataclass(frozen=True)
class Reference:
    kind: str  # ref | source
    name: str
    line: int


@dataclass
class ModelConfig:
    materialized: str = "view"
    partition_by: str | None = None
    time_column: str | None = None
    group: str = "analytics"
    description: str = ""
    enabled_if_table: str | None = None
    owners: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class Model:
    name: str
    path: Path
    sql: str  # the file as written, header comments included (line numbers stay the file's)
    config: ModelConfig
    refs: list[Reference]
    sources: list[Reference]
    metrics: dict[str, str]

    @property
    def is_incremental(self) -> bool:
        return self.config.materialized == "incremental"

    @property
    def code_version(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:12]


@dataclass
class Source:
    """A store table and the upstream assets that write it (the lineage edges in the UI)."""

    name: str
    table: str
    asset_keys: list[str]
    # asset keys added only when the model's SQL mentions the column, e.g. ai_data -> enriched_products
    column_asset_keys: dict[str, list[str]] = field(default_factory=dict)
    description: str = ""


@dataclass
class DataTest:
    model: str
    column: str
    kind: str
    params: dict[str, Any]
    name: str
    blocking: bool = False
    severity: str = "error"  # error | warn
    where: str | None = None

    @property
    def description(self) -> str:
        extra = {k: v for k, v in self.params.items()}
        return f"{self.kind} on {self.model}.{self.column}" + (f" {extra}" if extra else "")


@dataclass
class SqlProject:
    models: dict[str, Model]
    order: list[str]
    sources: dict[str, Source]
    tests: list[DataTest]

    def upstream_models(self, name: str) -> list[str]:
        return _unique(r.name for r in self.models[name].refs)

    def upstream_asset_keys(self, name: str) -> list[str]:
        """Asset keys of the store-writing assets a model reads, through its sources."""
        model = self.models[name]
        keys: list[str] = []
        for ref in model.sources:
            src = self.sources[ref.name]
            keys.extend(src.asset_keys)
            for column, col_keys in src.column_asset_keys.items():
                if re.search(rf"\b{re.escape(column)}\b", model.sql):
                    keys.extend(col_keys)
        return _unique(keys)

    def render(self, name: str, schema: str = DEFAULT_SCHEMA, window: tuple[datetime, datetime] | None = None) -> str:
        """The model's SQL with refs, sources and window bounds replaced; line numbers unchanged."""
        model = self.models[name]

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if m := _REF.match(inner):
                return relation(schema, m.group(2))
            if m := _SOURCE.match(inner):
                return sql_ident(self.sources[m.group(4) or m.group(2)].table)
            m = _WINDOW.match(inner)
            assert m is not None  # load_project checked every expression
            what = m.group(1)
            if what == "this":
                return relation(schema, name)
            if window is None:
                # outside an incremental run the window is everything
                return "'-infinity'::timestamptz" if what == "window_start" else "'infinity'::timestamptz"
            bound = window[0] if what == "window_start" else window[1]
            return f"'{bound.isoformat()}'::timestamptz"

        return _EXPR.sub(replace, model.sql).rstrip().rstrip(";")


def _unique(items: Any) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def sql_ident(name: str) -> str:
    """A dotted name quoted part by part: analytics.stg_products -> "analytics"."stg_products"."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def relation(schema: str, name: str) -> str:
    return sql_ident(schema) + "." + sql_ident(name)


# ---------------------------------------------------------------------------------------------
# loading


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _split_list(value: str) -> list[str]:
    return [v for v in re.split(r"[\s;|]+", value.strip()) if v]


def parse_header(name: str, text: str, path: str = "") -> tuple[ModelConfig, dict[str, str]]:
    """Read `-- config:`, `-- description:` and `-- metric:` lines from the comment block on top."""
    cfg = ModelConfig()
    metrics: dict[str, str] = {}
    where = path or f"{name}.sql"
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("--"):
            break  # the header ends at the first line of SQL
        body = line[2:].strip()
        directive, _, rest = body.partition(":")
        directive = directive.strip().lower()
        if directive == "config":
            # `description=` may hold commas: it takes the rest of the line
            rest, _, desc = rest.partition("description=")
            if desc:
                cfg.description = desc.strip()
            for item in [p for p in rest.split(",") if p.strip()]:
                key, eq, value = item.partition("=")
                key, value = key.strip(), value.strip()
                if not eq or key not in CONFIG_KEYS:
                    raise SqlProjectError(f"{where} line {lineno}: unknown config item '{item.strip()}' (known: {', '.join(CONFIG_KEYS)})")
                if key in ("owners", "tags"):
                    setattr(cfg, key, _split_list(value))
                else:
                    setattr(cfg, key, value)
        elif directive == "description":
            cfg.description = (cfg.description + " " + rest.strip()).strip()
        elif directive == "metric":
            mname, eq, expr = rest.partition("=")
            mname = mname.strip()
            if not eq or not re.fullmatch(_NAME, mname) or not expr.strip():
                raise SqlProjectError(f"{where} line {lineno}: a metric reads `-- metric: name = SQL aggregate`")
            metrics[mname] = expr.strip()
    if cfg.materialized not in MATERIALIZATIONS:
        raise SqlProjectError(f"{where}: materialized={cfg.materialized} (use one of {', '.join(MATERIALIZATIONS)})")
    if cfg.materialized == "incremental":
        if not cfg.time_column:
            raise SqlProjectError(f"{where}: an incremental model needs time_column=<column>")
        cfg.partition_by = cfg.partition_by or "day"
        if cfg.partition_by != "day":
            raise SqlProjectError(f"{where}: partition_by={cfg.partition_by} (only day is supported)")
    elif cfg.partition_by:
        raise SqlProjectError(f"{where}: partition_by needs materialized=incremental")
    return cfg, metrics


def parse_references(name: str, text: str, path: str = "") -> tuple[list[Reference], list[Reference]]:
    """Every `{{ ref() }}` and `{{ source() }}` with its line; anything else in braces is an error."""
    where = path or f"{name}.sql"
    if m := _BLOCK.search(text):
        raise SqlProjectError(f"{where} line {_line_of(text, m.start())}: only {{{{ ref() }}}}, {{{{ source() }}}}, {{{{ this }}}} and {{{{ window_start/window_end }}}} are supported, not Jinja blocks")
    refs: list[Reference] = []
    sources: list[Reference] = []
    for m in _EXPR.finditer(text):
        inner = m.group(1)
        line = _line_of(text, m.start())
        if r := _REF.match(inner):
            refs.append(Reference("ref", r.group(2), line))
        elif s := _SOURCE.match(inner):
            sources.append(Reference("source", s.group(4) or s.group(2), line))
        elif not _WINDOW.match(inner):
            raise SqlProjectError(f"{where} line {line}: cannot read '{{{{{inner}}}}}' (expected ref('model') or source('name'))")
    return refs, sources


def load_sources(path: Path | str = DEFAULT_SOURCES_PATH) -> dict[str, Source]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out: dict[str, Source] = {}
    for name, spec in (data.get("sources") or {}).items():
        spec = spec or {}
        keys = spec.get("asset_keys") or []
        cols = {c: (v if isinstance(v, list) else [v]) for c, v in (spec.get("columns") or {}).items()}
        out[name] = Source(name=name, table=spec.get("table", name), asset_keys=list(keys), column_asset_keys=cols, description=spec.get("description", ""))
    return out


def toposort(deps: dict[str, list[str]], lines: dict[tuple[str, str], int] | None = None) -> list[str]:
    """Models in build order (upstream first, ties by name); a cycle is an error naming its path."""
    lines = lines or {}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, stack: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = stack[stack.index(node):] + [node]
            hops = [f"{a}.sql line {lines.get((a, b), '?')}: ref('{b}')" for a, b in zip(cycle, cycle[1:])]
            raise SqlProjectError(f"cycle between models: {' -> '.join(cycle)} ({'; '.join(hops)})")
        state[node] = 1
        for dep in sorted(deps.get(node, [])):
            visit(dep, stack + [node])
        state[node] = 2
        order.append(node)

    for node in sorted(deps):
        visit(node, [])
    return order


def load_tests(path: Path, models: dict[str, Model], sources: dict[str, Source]) -> list[DataTest]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    tests: list[DataTest] = []
    seen: set[tuple[str, str]] = set()
    for entry in data.get("models") or []:
        model = entry.get("name")
        if model not in models:
            raise SqlProjectError(f"{path.name}: tests declared for unknown model '{model}'")
        for col in entry.get("columns") or []:
            column = col.get("name")
            if not column:
                raise SqlProjectError(f"{path.name}: a column of model '{model}' has no name")
            for item in (col.get("data_tests") or []) + (col.get("tests") or []):
                kind, params = (item, {}) if isinstance(item, str) else next(iter(item.items()))
                params = dict(params or {})
                if kind not in TEST_KINDS:
                    raise SqlProjectError(f"{path.name}: {model}.{column}: unknown test '{kind}' (known: {', '.join(TEST_KINDS)})")
                cfg = params.pop("config", {}) or {}
                blocking = bool(params.pop("blocking", cfg.get("blocking", False)))
                severity = str(params.pop("severity", cfg.get("severity", "error"))).lower()
                where = params.pop("where", cfg.get("where"))
                if severity not in ("error", "warn"):
                    raise SqlProjectError(f"{path.name}: {model}.{column}: severity must be error or warn")
                if kind == "accepted_values" and not isinstance(params.get("values"), list):
                    raise SqlProjectError(f"{path.name}: {model}.{column}: accepted_values needs values: [...]")
                if kind == "range" and params.get("min") is None and params.get("max") is None:
                    raise SqlProjectError(f"{path.name}: {model}.{column}: range needs min and/or max")
                if kind == "relationships":
                    to = str(params.get("to", ""))
                    m = re.fullmatch(rf"\s*(?:(ref|source)\(\s*['\"]({_NAME})['\"]\s*\)|({_NAME}))\s*", to)
                    if not m or not params.get("field"):
                        raise SqlProjectError(f"{path.name}: {model}.{column}: relationships needs to: <model> and field: <column>")
                    target_kind, target = (m.group(1) or "ref"), (m.group(2) or m.group(3))
                    known = models if target_kind == "ref" else sources
                    if target not in known:
                        raise SqlProjectError(f"{path.name}: {model}.{column}: relationships to unknown {target_kind} '{target}'")
                    params["to_kind"], params["to"] = target_kind, target
                base = f"{kind}_{column}" + (f"_to_{params['to']}" if kind == "relationships" else "")
                name, n = base, 2
                while (model, name) in seen:
                    name, n = f"{base}_{n}", n + 1
                seen.add((model, name))
                tests.append(DataTest(model=model, column=column, kind=kind, params=params, name=name, blocking=blocking, severity=severity, where=where))
    return tests


def load_project(models_dir: Path | str = DEFAULT_MODELS_DIR, sources_path: Path | str | None = None) -> SqlProject:
    """Read, check and order every model in `models_dir`."""
    models_dir = Path(models_dir)
    sources = load_sources(sources_path or (models_dir.parent / "sources.yaml" if (models_dir.parent / "sources.yaml").exists() else DEFAULT_SOURCES_PATH))
    models: dict[str, Model] = {}
    for path in sorted(models_dir.glob("*.sql")):
        name = path.stem
        if not re.fullmatch(_NAME, name):
            raise SqlProjectError(f"{path.name}: a model file name must be a SQL identifier")
        text = path.read_text(encoding="utf-8")
        cfg, metrics = parse_header(name, text, path.name)
        refs, srcs = parse_references(name, text, path.name)
        models[name] = Model(name=name, path=path, sql=text, config=cfg, refs=refs, sources=srcs, metrics=metrics)
    lines: dict[tuple[str, str], int] = {}
    for model in models.values():
        for ref in model.refs:
            if ref.name not in models:
                raise SqlProjectError(f"{model.path.name} line {ref.line}: model '{model.name}' refers to unknown model '{ref.name}'")
            if ref.name == model.name:
                raise SqlProjectError(f"{model.path.name} line {ref.line}: model '{model.name}' refers to itself (use {{{{ this }}}})")
            lines.setdefault((model.name, ref.name), ref.line)
        for src in model.sources:
            if src.name not in sources:
                raise SqlProjectError(f"{model.path.name} line {src.line}: model '{model.name}' reads unknown source '{src.name}' (known: {', '.join(sorted(sources))})")
    order = toposort({n: [r.name for r in m.refs] for n, m in models.items()}, lines)
    tests = load_tests(models_dir / "schema.yaml", models, sources)
    return SqlProject(models=models, order=order, sources=sources, tests=tests)


# ---------------------------------------------------------------------------------------------
# materialising


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
        return MaterializeOutcome(name, f"{schema}.{name}", cfg.materialized, 0, [], [], {}, skipped=f"table {cfg.enabled_if_table} does not exist")
    ensure_schema(conn, schema)
    body = project.render(name, schema, window)
    dropped: list[str] = []
    written = deleted = None
    with conn.transaction():
        # two runs building the same model (overlapping backfills, a retry) take turns
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dbt_like_sql:{schema}.{name}",))
        kind = relation_kind(conn, schema, name)
        if cfg.materialized == "view":
            if kind == "table":
                dropped += _drop(conn, schema, name, kind)
            try:
                with conn.transaction():
                    _execute(conn, model, f"CREATE OR REPLACE VIEW {rel} AS\n", body)
            except SqlModelError as exc:
                # 42P16: columns renamed, removed or retyped; Postgres cannot replace the view in place
                if kind != "view" or exc.sqlstate != "42P16":
                    raise
                dropped += _drop(conn, schema, name, "view")
                _execute(conn, model, f"CREATE VIEW {rel} AS\n", body)
        elif cfg.materialized == "table":
            conn.execute("DROP TABLE IF EXISTS pg_temp._dbt_like_sql_new")
            _execute(conn, model, "CREATE TEMP TABLE _dbt_like_sql_new ON COMMIT DROP AS\n", body)
            new_cols = _columns(conn, "pg_temp._dbt_like_sql_new")
            if kind == "table" and _columns(conn, f"{sql_ident(schema)}.{sql_ident(name)}") == new_cols:
                conn.execute(f"TRUNCATE {rel}")
                conn.execute(f"INSERT INTO {rel} SELECT * FROM pg_temp._dbt_like_sql_new")
            else:
                dropped += _drop(conn, schema, name, kind)
                conn.execute(f"CREATE TABLE {rel} AS SELECT * FROM pg_temp._dbt_like_sql_new")
        else:
            tcol = sql_ident(cfg.time_column)  # type: ignore[arg-type]
            conn.execute("DROP TABLE IF EXISTS pg_temp._dbt_like_sql_shape")
            _execute(conn, model, "CREATE TEMP TABLE _dbt_like_sql_shape ON COMMIT DROP AS SELECT * FROM (\n", body, "\n) _m LIMIT 0")
            new_cols = _columns(conn, "pg_temp._dbt_like_sql_shape")
            if cfg.time_column not in [c for c, _ in new_cols]:
                raise SqlModelError(name, f"time_column '{cfg.time_column}' is not a column of the model's result", path=model.path.name)
            if kind == "view":
                dropped += _drop(conn, schema, name, kind)
                kind = None
            if kind is None:
                conn.execute(f"CREATE TABLE {rel} AS SELECT * FROM pg_temp._dbt_like_sql_shape")
                conn.execute(f"CREATE INDEX ON {rel} ({tcol})")
            elif _columns(conn, f"{sql_ident(schema)}.{sql_ident(name)}") != new_cols:
                raise SqlModelError(
                    name,
                    f"the model's columns changed; drop {schema}.{name} (DROP TABLE {rel}) and re-materialise all its partitions",
                    path=model.path.name,
                )
            # the window is applied outside the model's SQL too, so a model that ignores
            # {{ window_start }} still writes only its own partition
            if window is not None:
                cond = f"{tcol} >= '{window[0].isoformat()}'::timestamptz AND {tcol} < '{window[1].isoformat()}'::timestamptz"
            else:
                cond = "true"
            deleted = conn.execute(f"DELETE FROM {rel} WHERE {cond}").rowcount
            cur = _execute(conn, model, f"INSERT INTO {rel} SELECT * FROM (\n", body, f"\n) _m WHERE {cond}")
            written = cur.rowcount
    # stats, outside the build transaction
    target = rel
    scope = ""
    if model.is_incremental and window is not None:
        tcol = sql_ident(cfg.time_column)  # type: ignore[arg-type]
        scope = f" WHERE {tcol} >= '{window[0].isoformat()}'::timestamptz AND {tcol} < '{window[1].isoformat()}'::timestamptz"
    metric_exprs = [f"({expr}) AS {sql_ident(m)}" for m, expr in model.metrics.items()]
    try:
        # one pass for the row count and the key numbers when they cover the same rows (a view's
        # SELECT runs again for each query here)
        if scope:
            row_count = conn.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
            values = conn.execute(f"SELECT {', '.join(metric_exprs)} FROM {target}{scope}".encode()).fetchone() if metric_exprs else ()
        else:
            row = conn.execute(f"SELECT {', '.join(['count(*)'] + metric_exprs)} FROM {target}".encode()).fetchone()
            row_count, values = row[0], row[1:]
        cur = conn.execute(f"SELECT * FROM {target}{scope} LIMIT {int(preview_rows)}".encode())
        columns = [d.name for d in cur.description or []]
        preview = cur.fetchall()
    except psycopg.Error as exc:
        if not conn.autocommit:
            conn.rollback()
        what = "reading the built relation (or a `-- metric:` expression) failed"
        raise SqlModelError(name, f"{what}: {(exc.diag.message_primary or str(exc)).strip()}", path=model.path.name, sqlstate=exc.diag.sqlstate) from None
    metrics: dict[str, float] = {}
    for m, value in zip(model.metrics, values):
        num = to_number(value)
        if num is not None:
            metrics[m] = num
    if not conn.autocommit:
        conn.commit()
    return MaterializeOutcome(
        model=name,
        relation=f"{schema}.{name}",
        materialized=cfg.materialized,
        row_count=row_count,
        columns=columns,
        preview=preview,
        metrics=metrics,
        rows_written=written,
        rows_deleted=deleted,
        dropped_dependents=dropped,
    )


# ---------------------------------------------------------------------------------------------
# data tests


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
