"""The models as Dagster assets and checks: definitions, materialisation, blocking checks, errors."""

from __future__ import annotations

import re

import dagster as dg
import pytest

from dbt_like_sql.dagster_assets import analytics_daily_job, analytics_daily_schedule, build_sql_assets
from dbt_like_sql.loader import load_project

from .conftest import DATABASE_URL, StoreResource
from .test_loader import write_models

UPSTREAM = {"source_products", "enriched_products", "market_listings", "market_sync"}


def split(defs):
    checks = [d for d in defs if isinstance(d, dg.AssetChecksDefinition)]
    assets = [d for d in defs if not isinstance(d, dg.AssetChecksDefinition)]
    return assets, checks


def test_definitions_load_with_lineage_kinds_groups_and_partitions(store, store_schema):
    defs = build_sql_assets(schema=f"{store_schema}_analytics")
    d = dg.Definitions(
        assets=defs,
        jobs=[analytics_daily_job],
        schedules=[analytics_daily_schedule],
        resources={"store": store},
    )
    dg.Definitions.validate_loadable(d)
    project = load_project()
    assets, checks = split(defs)
    specs = {spec.key.to_user_string(): spec for a in assets for spec in a.specs}
    assert set(project.models) | {"analytics_report"} == set(specs)
    for name, model in project.models.items():
        spec = specs[name]
        assert spec.group_name == "analytics"
        assert spec.kinds == {"sql", "postgres"}
        dep_keys = {dep.asset_key.to_user_string() for dep in spec.deps}
        assert set(project.upstream_models(name)) <= dep_keys
        assert set(project.upstream_asset_keys(name)) <= dep_keys
        assert spec.description
    # lineage reaches every store-writing asset
    all_deps = {dep.asset_key.to_user_string() for s in specs.values() for dep in s.deps}
    assert UPSTREAM <= all_deps
    assert {dep.asset_key.to_user_string() for dep in specs["stg_listings"].deps} >= {"market_listings", "market_sync", "enriched_products"}
    partitioned = {a.key.to_user_string(): a.partitions_def for a in assets if a.partitions_def is not None}
    assert set(partitioned) == {"fct_price_changes", "fct_llm_usage"}
    for pdef in partitioned.values():
        assert isinstance(pdef, dg.DailyPartitionsDefinition)
        assert pdef.start.strftime("%Y-%m-%d") == "2026-01-01"
    check_keys = {(k.asset_key.to_user_string(), k.name) for c in checks for k in c.check_keys}
    assert len(check_keys) == len(project.tests)
    blocking = {(s.asset_key.to_user_string(), s.name) for c in checks for s in c.check_specs if s.blocking}
    assert ("stg_products", "unique_product_id") in blocking
    assert ("stg_listings", "not_null_market") not in blocking


def test_every_model_materialises_with_metadata_and_checks(built_analytics):
    for result in built_analytics["results"]:
        assert result.success
    last = built_analytics["results"][-1]
    mats = {m.asset_key.to_user_string(): m.materialization.metadata for m in last.get_asset_materialization_events()}
    assert set(load_project().models) | {"analytics_report"} == set(mats)
    for name, md in mats.items():
        if name == "analytics_report":
            continue
        assert md["dagster/row_count"].value >= 0
        assert md["preview"].value.startswith("| ")
    assert mats["stg_products"]["dagster/row_count"].value == 6
    assert mats["stg_listings"]["dagster/row_count"].value == 5
    assert mats["fct_price_changes"]["rows_written"].value == 2  # 2026-03-11: a listing price and a cost
    assert mats["fct_llm_usage"]["window"].value.startswith("[2026-03-11T00:00:00")
    health = mats["mart_catalog_health"]
    assert (health["products"].value, health["active"].value, health["sold_out"].value, health["quarantined_open"].value) == (6, 4, 1, 2)
    margin = mats["mart_margin_by_market_category"]
    # (15900-10000) + (16900-10000) + (4500-5000) + (13000-8000) + (27000-20000) over the sum of prices
    assert margin["gross_margin_krw"].value == 24300
    assert margin["margin_rate"].value == pytest.approx(24300 / 77300)
    assert margin["negative_margin_listings"].value == 1
    assert mats["mart_stockout_risk"]["out_of_stock"].value == 1
    assert mats["mart_llm_spend_daily"]["spend_usd_total"].value == pytest.approx(0.0035)
    evaluations = last.get_asset_check_evaluations()
    assert len(evaluations) == len(load_project().tests)
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert failed == []
    assert all("failing_rows" in e.metadata for e in evaluations)


def test_incremental_partitions_accumulate_without_duplicates(built_analytics, conn):
    schema = built_analytics["schema"]
    rows = conn.execute(f'SELECT count(*), count(DISTINCT event_id) FROM "{schema}".fct_price_changes').fetchone()
    assert rows == (4, 4)
    per_day = dict(conn.execute(f'SELECT change_day::text, sum(changes) FROM "{schema}".mart_price_changes_daily GROUP BY 1').fetchall())
    assert per_day == {"2026-03-10": 2, "2026-03-11": 2}
    spend = conn.execute(f'SELECT sum(cost_usd), sum(calls) FROM "{schema}".mart_llm_spend_daily').fetchone()
    assert float(spend[0]) == pytest.approx(0.0035) and spend[1] == 3


def test_a_partition_range_backfills_in_one_run(store, store_schema, tmp_path):
    d = write_models(
        tmp_path,
        {"ev": "-- config: materialized=incremental, time_column=created_at\nselect id, created_at from {{ source('source_data_events') }}"},
    )
    defs = build_sql_assets(d, schema=f"{store_schema}_s", report=False)
    job = dg.Definitions(assets=defs, resources={"store": store}).resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        instance=instance,
        tags={"dagster/asset_partition_range_start": "2026-03-09", "dagster/asset_partition_range_end": "2026-03-11"},
    )
    assert result.success
    md = result.get_asset_materialization_events()[0].materialization.metadata
    assert md["rows_written"].value == 13  # every seed event from 03-09 to 03-11
    assert md["window"].value == "[2026-03-09T00:00:00+00:00, 2026-03-12T00:00:00+00:00)"


def test_a_failing_blocking_check_stops_downstream_models(store, store_schema, tmp_path):
    d = write_models(
        tmp_path,
        {
            "up": "-- config: materialized=table\nselect id, case when status = 'deleted' then null else status end as status\nfrom {{ source('source_data') }}",
            "down": "select * from {{ ref('up') }}",
        },
        "models:\n  - name: up\n    columns:\n      - name: status\n        data_tests:\n          - not_null: {blocking: true}\n",
    )
    defs = build_sql_assets(d, schema=f"{store_schema}_s", report=False)
    result = dg.materialize(defs, resources={"store": store}, raise_on_error=False)
    assert not result.success
    mats = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert mats == {"up"}
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.check_name == "not_null_status"
    assert evaluation.metadata["failing_rows"].value == 1
    assert "B2" not in evaluation.metadata["failing_rows_sample"].value  # the sample shows the model's rows
    assert "| id | status |" in evaluation.metadata["failing_rows_sample"].value


def test_a_warn_check_fails_without_blocking(store, store_schema, tmp_path):
    d = write_models(
        tmp_path,
        {"w": "-- config: materialized=view\nselect 5 as n", "w2": "select * from {{ ref('w') }}"},
        "models:\n  - name: w\n    columns:\n      - name: n\n        data_tests:\n          - range: {max: 3, severity: warn}\n",
    )
    result = dg.materialize(build_sql_assets(d, schema=f"{store_schema}_s", report=False), resources={"store": store})
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()} == {"w", "w2"}


def test_a_model_with_bad_sql_fails_naming_model_and_line(store, store_schema, tmp_path):
    d = write_models(
        tmp_path,
        {"oops": "-- config: materialized=table\nselect id,\n  raw_data->>'name' as name,\n  no_such_fn(raw_data) as cost_plus\nfrom {{ source('source_data') }}"},
    )
    result = dg.materialize(build_sql_assets(d, schema=f"{store_schema}_s", report=False), resources={"store": store}, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    text = str(failure.step_failure_data.error)
    assert "model 'oops' (oops.sql line 4)" in text
    assert "function no_such_fn(jsonb) does not exist" in text and "4 | no_such_fn(raw_data) as cost_plus" in text


def test_secrets_in_the_database_url_never_reach_events_or_metadata(store_schema, tmp_path, monkeypatch):
    secret = "Pw-analytics-7f3c91"
    url = re.sub(r"^(postgresql://postgres):?@", rf"\g<1>:{secret}@", DATABASE_URL, count=1)
    assert secret in url
    monkeypatch.setenv("ANALYTICS_TEST_STORE_URL", url)
    monkeypatch.setenv("ANALYTICS_TEST_DB_PASSWORD", secret)
    store = StoreResource(database_url=dg.EnvVar("ANALYTICS_TEST_STORE_URL"), search_path=store_schema)
    d = write_models(
        tmp_path,
        {
            "fine": "-- config: materialized=table\n-- metric: n = count(*)\nselect * from {{ source('supplier_state') }}",
            "broken": "select nope from {{ ref('fine') }}",
        },
        "models:\n  - name: fine\n    columns:\n      - name: supplier_key\n        data_tests: [unique, not_null]\n",
    )
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        build_sql_assets(d, schema=f"{store_schema}_s"),
        resources={"store": store},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success  # `broken` fails, and its error is reported
    logs = instance.all_logs(result.run_id)
    assert len(logs) > 10
    dumped = "\n".join(repr(entry) for entry in logs)
    assert "broken.sql line 1" in dumped
    assert secret not in dumped
    for m in result.get_asset_materialization_events():
        assert secret not in repr(m.materialization.metadata)


@pytest.mark.filterwarnings("ignore:Starting in dagster 1.11")
def test_daily_schedule_builds_the_day_that_just_ended(store, store_schema):
    from datetime import datetime, timezone

    d = dg.Definitions(
        assets=build_sql_assets(schema=f"{store_schema}_analytics"),
        schedules=[analytics_daily_schedule],
        resources={"store": store},
    )
    schedule = d.get_schedule_def("analytics_daily_schedule")
    assert schedule.cron_schedule == "15 1 * * *"
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 3, 12, 1, 15, tzinfo=timezone.utc), repository_def=d.get_repository_def()
        )
        data = schedule.evaluate_tick(context)
    (request,) = data.run_requests
    assert request.partition_key == "2026-03-11"
    job = d.resolve_job_def("analytics_daily")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} >= {"fct_price_changes", "mart_catalog_health", "analytics_report"}


def test_owners_and_tags_from_the_header_reach_the_asset(tmp_path):
    d = write_models(tmp_path, {"x": "-- config: materialized=view, owners=team:analytics seller@example.com, tags=finance\nselect 1 as a"})
    (asset,) = build_sql_assets(d)
    (spec,) = asset.specs
    assert spec.owners == ["team:analytics", "seller@example.com"]
    assert spec.tags["finance"] == "" and spec.kinds == {"sql", "postgres"}
    assert spec.metadata["dagster/relation_identifier"] == "analytics.x"


def test_definitions_load_beside_partitioned_store_assets(store, store_schema):
    """The upstream assets are supplier- and market×supplier-partitioned, as in the asset chain."""
    from dropship_assets.partitions import market_supplier_partitions, supplier_partitions

    @dg.asset(partitions_def=supplier_partitions)
    def source_products() -> None: ...

    @dg.asset(partitions_def=supplier_partitions, deps=[source_products])
    def enriched_products() -> None: ...

    @dg.asset(
        partitions_def=market_supplier_partitions,
        deps=[dg.AssetDep(enriched_products, partition_mapping=dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="supplier"))],
    )
    def market_listings() -> None: ...

    @dg.asset(partitions_def=market_supplier_partitions, deps=[market_listings])
    def market_sync() -> None: ...

    d = dg.Definitions(
        assets=[source_products, enriched_products, market_listings, market_sync, *build_sql_assets(schema=f"{store_schema}_analytics")],
        jobs=[analytics_daily_job],
        schedules=[analytics_daily_schedule],
        resources={"store": store},
    )
    dg.Definitions.validate_loadable(d)
    graph = d.resolve_asset_graph()
    assert dg.AssetKey("stg_listings") in graph.get(dg.AssetKey("market_sync")).child_keys
    assert dg.AssetKey("stg_products") in graph.get(dg.AssetKey("enriched_products")).child_keys
    upstream = graph.get(dg.AssetKey("analytics_report")).parent_keys
    assert dg.AssetKey("mart_margin_by_market_category") in upstream
    # the daily job holds only the analytics group
    job = d.resolve_job_def("analytics_daily")
    assert dg.AssetKey("source_products") not in job.asset_layer.executable_asset_keys
