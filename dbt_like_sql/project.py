"""The SQL project: models, sources and data tests parsed, checked and ordered. No database."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

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
