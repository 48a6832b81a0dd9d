"""Every SQL model as a Dagster asset, every data test as an asset check.

`build_sql_assets()` returns asset definitions and asset checks for `dg.Definitions(assets=...)`.
The assets read the store through the resource under `store_resource_key`, which must expose
`.connect()` returning a psycopg 3 connection.
"""


import os
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg

from dbt_like_sql.loader import (
    DEFAULT_MODELS_DIR,
    DEFAULT_SCHEMA,
    DataTest,
    SqlProject,
    load_project,
    markdown_table,
    materialize_model,
    run_data_test,
)

DEFAULT_ANALYTICS_START = "2026-01-01"
START_FILE = "analytics_start"


def _home() -> Path:
    try:
        from dropship_core.db import project_home
    except ImportError:
        home = os.environ.get("DROPSHIP_HOME")
        return Path(home) if home else Path.cwd() / ".dropship"
    return project_home()


def analytics_start_date() -> str:
    """The first daily partition: DROPSHIP_ANALYTICS_START, else the day the data starts
    (`<project home>/analytics_start`, written once by `record_analytics_start`), else the
    default. A catalog whose data began yesterday shows one partition, not hundreds missing."""
    explicit = (os.environ.get("DROPSHIP_ANALYTICS_START") or "").strip()
    if explicit:
        return explicit
    try:
        day = (_home() / START_FILE).read_text(encoding="utf-8").strip()
        datetime.strptime(day, "%Y-%m-%d")
        return day
    except (OSError, ValueError):
        return DEFAULT_ANALYTICS_START


def record_analytics_start(first_event_day: str | None) -> str | None:
    """Write the first partition day once: the first event's day (UTC), at latest yesterday so the
    day the data arrived is a complete partition. Returns the day written (None: already set)."""
    path = _home() / START_FILE
    if path.exists() or not first_event_day:
        return None
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%d")
    day = min(first_event_day, yesterday)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(day + "\n", encoding="utf-8")
    return day


# The analytics grain is a UTC day. No end offset: a day's partition is built once the day is over
# (the schedule builds yesterday), and today's rows are picked up by the next day's run.
analytics_daily_partitions = dg.DailyPartitionsDefinition(start_date=analytics_start_date())

KINDS = {"sql", "postgres"}
GROUP = "analytics"
REPORT_ASSET = "analytics_report"


def _key(name: str, key_prefix: list[str] | None) -> dg.AssetKey:
    return dg.AssetKey([*(key_prefix or []), name])


def _metadata_number(value: float | int) -> dg.MetadataValue:
    return dg.MetadataValue.int(value) if isinstance(value, int) else dg.MetadataValue.float(float(value))


def _build_model_asset(project: SqlProject, name: str, store_key: str, schema: str, key_prefix: list[str] | None) -> dg.AssetsDefinition:
    model = project.models[name]
    cfg = model.config
    partitioned = model.is_incremental
    deps: list[dg.AssetDep] = []
    for up in project.upstream_models(name):
        upstream_partitioned = project.models[up].is_incremental
        mapping = None
        if partitioned and upstream_partitioned:
            mapping = dg.TimeWindowPartitionMapping()
        deps.append(dg.AssetDep(_key(up, key_prefix), partition_mapping=mapping))
    for key in project.upstream_asset_keys(name):
        # the store-writing assets are partitioned by supplier (and market): a day of analytics
        # reads all of them
        deps.append(dg.AssetDep(dg.AssetKey(key), partition_mapping=dg.AllPartitionMapping() if partitioned else None))

    description = cfg.description or f"SQL model {name}."
    if partitioned:
        description += f" Incremental: one partition per UTC day of `{cfg.time_column}`."

    @dg.asset(
        name=name,
        key_prefix=key_prefix,
        deps=deps,
        group_name=cfg.group or GROUP,
        kinds=KINDS,
        description=description,
        partitions_def=analytics_daily_partitions if partitioned else None,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        required_resource_keys={store_key},
        code_version=model.code_version,
        owners=cfg.owners or None,
        tags={t: "" for t in cfg.tags} or None,
        metadata={
            "dagster/relation_identifier": f"{schema}.{name}",
            "materialized": cfg.materialized,
            "model_file": model.path.name,
            "sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```"),
        },
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        store = getattr(context.resources, store_key)
        window = None
        if partitioned:
            tw = context.partition_time_window  # a single day, or a range in a backfill
            window = (tw.start, tw.end)
        with store.connect() as conn:
            out = materialize_model(conn, project, name, schema, window)
        if out.skipped:
            context.log.warning(f"{name} not built: {out.skipped}")
            return dg.MaterializeResult(metadata={"skipped": out.skipped, "dagster/row_count": 0})
        if out.dropped_dependents:
            context.log.warning(
                f"{name} changed its columns; Postgres dropped the relations built on it, re-materialise them: "
                + ", ".join(out.dropped_dependents)
            )
        metadata: dict[str, Any] = {
            "dagster/row_count": dg.MetadataValue.int(out.row_count),
            "relation": out.relation,
            "preview": dg.MetadataValue.md(markdown_table(out.columns, out.preview)),
        }
        if out.rows_written is not None:
            metadata["rows_written"] = dg.MetadataValue.int(out.rows_written)
            metadata["rows_deleted"] = dg.MetadataValue.int(out.rows_deleted or 0)
        if window is not None:
            metadata["window"] = f"[{window[0].isoformat()}, {window[1].isoformat()})"
        if out.dropped_dependents:
            metadata["dropped_dependents"] = ", ".join(out.dropped_dependents)
        for metric, value in out.metrics.items():
            metadata[metric] = _metadata_number(value)
        return dg.MaterializeResult(metadata=metadata)

    return _asset


def _build_check(project: SqlProject, test: DataTest, store_key: str, schema: str, key_prefix: list[str] | None) -> dg.AssetChecksDefinition:
    severity = dg.AssetCheckSeverity.ERROR if test.severity == "error" else dg.AssetCheckSeverity.WARN
    deps = []
    if test.kind == "relationships" and test.params["to_kind"] == "ref":
        deps.append(_key(test.params["to"], key_prefix))

    @dg.asset_check(
        asset=_key(test.model, key_prefix),
        name=test.name,
        description=test.description + (" (blocking)" if test.blocking else ""),
        blocking=test.blocking,
        additional_deps=deps or None,
        required_resource_keys={store_key},
        metadata={"test": test.kind, "column": test.column, "severity": test.severity},
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        store = getattr(context.resources, store_key)
        try:
            with store.connect() as conn:
                out = run_data_test(conn, project, test, schema)
        except psycopg.errors.UndefinedTable:
            return dg.AssetCheckResult(
                passed=False,
                severity=severity,
                description=f"{schema}.{test.model} does not exist yet: materialise the model first",
                metadata={"failing_rows": dg.MetadataValue.int(-1)},
            )
        return dg.AssetCheckResult(
            passed=out.passed,
            severity=severity,
            description=None if out.passed else f"{out.failures} failing rows: {test.description}",
            metadata={
                "failing_rows": dg.MetadataValue.int(out.failures),
                "failing_rows_sample": dg.MetadataValue.md(markdown_table(out.columns, out.sample)),
                "sql": dg.MetadataValue.md(f"```sql\n{out.sql}\n```"),
            },
        )

    return _check


def default_report_path() -> Path:
    """`<project home>/reports/analytics.html`: `.dropship/` (or DROPSHIP_HOME), like the embedded store."""
    try:
        from dropship_core.db import project_home
    except ImportError:
        home = os.environ.get("DROPSHIP_HOME")
        return (Path(home) if home else Path.cwd() / ".dropship") / "reports" / "analytics.html"
    return project_home() / "reports" / "analytics.html"


def _build_report_asset(project: SqlProject, store_key: str, schema: str, key_prefix: list[str] | None, report_path: Path | None) -> dg.AssetsDefinition:
    from dbt_like_sql.report import REPORT_MODELS, write_report

    deps = [_key(m, key_prefix) for m in REPORT_MODELS if m in project.models]

    @dg.asset(
        name=REPORT_ASSET,
        key_prefix=key_prefix,
        deps=deps,
        group_name=GROUP,
        kinds={"html", "postgres"},
        description="The seller's analytics page: margin by market, price changes, stock-outs, sync lag, "
        "listing rejections and LLM spend, as one self-contained HTML file.",
        required_resource_keys={store_key},
    )
    def _report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        store = getattr(context.resources, store_key)
        path = report_path or default_report_path()
        with store.connect() as conn:
            numbers = write_report(conn, path, schema=schema, mode="materialized")
        metadata: dict[str, Any] = {"path": dg.MetadataValue.path(str(path))}
        for key, value in numbers.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                metadata[key] = _metadata_number(value)
        return dg.MaterializeResult(metadata=metadata)

    return _report


def build_sql_assets(
    models_dir: Path | str = DEFAULT_MODELS_DIR,
    store_resource_key: str = "store",
    schema: str = DEFAULT_SCHEMA,
    key_prefix: list[str] | None = None,
    sources_path: Path | str | None = None,
    report: bool = True,
    report_path: Path | str | None = None,
) -> list[dg.AssetsDefinition]:
    """One asset per model (in dependency order), one asset check per data test, and the report.

    Pass the list to `dg.Definitions(assets=...)`; asset checks are AssetsDefinitions too.
    """
    project = load_project(models_dir, sources_path)
    with warnings.catch_warnings():
        # BackfillPolicy is marked beta; a backfill of many days in one run is what incremental models want
        warnings.simplefilter("ignore", dg.BetaWarning)
        defs: list[dg.AssetsDefinition] = [
            _build_model_asset(project, name, store_resource_key, schema, key_prefix) for name in project.order
        ]
    defs += [_build_check(project, t, store_resource_key, schema, key_prefix) for t in project.tests]
    from dbt_like_sql.report import REPORT_MODELS

    # the page reads the shipped marts; a project without them has no report
    if report and all(m in project.models for m in REPORT_MODELS):
        defs.append(_build_report_asset(project, store_resource_key, schema, key_prefix, Path(report_path) if report_path else None))
    return defs


# All analytics assets and their checks for one day's partition; the unpartitioned models
# rebuild whole in the same run.
analytics_daily_job = dg.define_asset_job(
    "analytics_daily",
    selection=dg.AssetSelection.groups(GROUP),
    description="Build yesterday's analytics partition and refresh every analytics model and check.",
)

@dg.schedule(job=analytics_daily_job, cron_schedule="15 1 * * *", execution_timezone="UTC", name="analytics_daily_schedule")
def analytics_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Daily at 01:15 UTC: the day that just ended, once (the run key makes a re-tick a no-op)."""
    now = context.scheduled_execution_time or datetime.now(timezone.utc)
    day = (now.astimezone(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"analytics-{day}", partition_key=day)
