"""Parsing refs, sources and headers; dependency order; clear errors for cycles and bad refs."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_like_sql.loader import (
    DEFAULT_MODELS_DIR,
    SqlProjectError,
    load_project,
    parse_header,
    parse_references,
    toposort,
)


def write_models(tmp_path: Path, models: dict[str, str], schema_yaml: str | None = None) -> Path:
    d = tmp_path / "models"
    d.mkdir()
    for name, text in models.items():
        (d / f"{name}.sql").write_text(text, encoding="utf-8")
    if schema_yaml is not None:
        (d / "schema.yaml").write_text(schema_yaml, encoding="utf-8")
    return d


def test_refs_and_sources_are_parsed_with_their_lines():
    text = "-- config: materialized=table\nselect *\nfrom {{ ref('a') }} x\njoin {{source( \"source_data\" )}} s on true\njoin {{ ref(\"b\") }} y on true\n"
    refs, sources = parse_references("m", text)
    assert [(r.name, r.line) for r in refs] == [("a", 3), ("b", 5)]
    assert [(s.name, s.line) for s in sources] == [("source_data", 4)]


def test_two_argument_source_takes_the_table_name():
    _, sources = parse_references("m", "select * from {{ source('store', 'quarantine') }}")
    assert [s.name for s in sources] == ["quarantine"]


def test_unknown_expression_names_file_and_line():
    with pytest.raises(SqlProjectError, match=r"m.sql line 2: cannot read '\{\{ config\(x=1\) \}\}'"):
        parse_references("m", "select 1\n{{ config(x=1) }}")


def test_jinja_blocks_are_refused_with_their_line():
    with pytest.raises(SqlProjectError, match="m.sql line 3: .*not Jinja blocks"):
        parse_references("m", "select 1\nfrom t\n{% if true %}x{% endif %}")


def test_header_config_description_and_metrics():
    cfg, metrics = parse_header(
        "m",
        "-- config: materialized=incremental, partition_by=day, time_column=created_at, group=analytics, description=Orders, per day, by market\n"
        "-- metric: total = sum(x)\n"
        "-- config: owners=team:analytics, tags=finance\n"
        "select 1\n-- config: materialized=view\n",
    )
    assert cfg.materialized == "incremental"
    assert cfg.partition_by == "day" and cfg.time_column == "created_at"
    assert cfg.description == "Orders, per day, by market"
    assert cfg.owners == ["team:analytics"] and cfg.tags == ["finance"]
    assert metrics == {"total": "sum(x)"}


@pytest.mark.parametrize(
    "header, message",
    [
        ("-- config: materialized=ephemeral", "materialized=ephemeral"),
        ("-- config: materialised=view", "line 1: unknown config item 'materialised=view'"),
        ("-- config: materialized=incremental", "needs time_column"),
        ("-- config: materialized=incremental, time_column=t, partition_by=month", "only day"),
        ("-- config: materialized=table, partition_by=day", "needs materialized=incremental"),
        ("-- metric: 1bad = sum(x)", "line 1: a metric reads"),
    ],
)
def test_bad_headers_are_refused(header, message):
    with pytest.raises(SqlProjectError, match=message):
        parse_header("m", header + "\nselect 1")


def test_dependency_order_puts_upstream_first(tmp_path):
    d = write_models(
        tmp_path,
        {
            "c_mart": "select * from {{ ref('b_int') }} join {{ ref('a_stg') }} using (id)",
            "b_int": "select * from {{ ref('a_stg') }}",
            "a_stg": "select id from {{ source('source_data') }}",
            "z_alone": "select 1 as one",
        },
    )
    project = load_project(d)
    order = project.order
    assert order.index("a_stg") < order.index("b_int") < order.index("c_mart")
    assert set(order) == {"a_stg", "b_int", "c_mart", "z_alone"}
    assert project.upstream_models("c_mart") == ["b_int", "a_stg"]


def test_cycle_is_an_error_naming_the_models_and_lines(tmp_path):
    d = write_models(
        tmp_path,
        {
            "a": "select *\nfrom {{ ref('c') }}",
            "b": "select * from {{ ref('a') }}",
            "c": "select 1\n\nunion all select * from {{ ref('b') }}",
        },
    )
    with pytest.raises(SqlProjectError) as err:
        load_project(d)
    text = str(err.value)
    assert "cycle between models: a -> c -> b -> a" in text
    assert "a.sql line 2: ref('c')" in text and "c.sql line 3: ref('b')" in text and "b.sql line 1: ref('a')" in text


def test_self_reference_is_refused(tmp_path):
    d = write_models(tmp_path, {"a": "select 1\nunion all select * from {{ ref('a') }}"})
    with pytest.raises(SqlProjectError, match=r"a.sql line 2: model 'a' refers to itself"):
        load_project(d)


def test_unknown_ref_names_model_and_line(tmp_path):
    d = write_models(tmp_path, {"a": "select 1", "b": "-- config: materialized=view\nselect *\nfrom {{ ref('missing_model') }}"})
    with pytest.raises(SqlProjectError, match=r"b.sql line 3: model 'b' refers to unknown model 'missing_model'"):
        load_project(d)


def test_unknown_source_lists_the_known_ones(tmp_path):
    d = write_models(tmp_path, {"a": "select * from {{ source('webhook_inbox') }}"})
    with pytest.raises(SqlProjectError, match=r"a.sql line 1: model 'a' reads unknown source 'webhook_inbox' \(known: order_events, order_lines, quarantine, source_data"):
        load_project(d)


def test_toposort_is_stable_and_complete():
    deps = {"d": ["b", "c"], "b": ["a"], "c": ["a"], "a": []}
    assert toposort(deps) == ["a", "b", "c", "d"]


def test_source_lineage_follows_the_columns_a_model_reads(tmp_path):
    d = write_models(
        tmp_path,
        {
            "raw_only": "select raw_data->>'name' as name from {{ source('source_data') }}",
            "with_ai": "select ai_data->>'quality_score' from {{ source('source_data') }}",
            "with_market": "select m.key from {{ source('source_data') }} s, jsonb_each(s.market_data) m",
            "events": "select * from {{ source('source_data_events') }}",
        },
    )
    p = load_project(d)
    assert p.upstream_asset_keys("raw_only") == ["source_products"]
    assert p.upstream_asset_keys("with_ai") == ["source_products", "enriched_products"]
    assert p.upstream_asset_keys("with_market") == ["source_products", "market_listings", "market_sync"]
    assert p.upstream_asset_keys("events") == ["source_products"]


def test_data_tests_are_read_and_named(tmp_path):
    d = write_models(
        tmp_path,
        {"a": "select 1 as id, 'x' as s", "b": "select 1 as id"},
        """
models:
  - name: a
    columns:
      - name: id
        data_tests:
          - not_null: {blocking: true}
          - unique
          - range: {min: 0, max: 10, severity: warn}
      - name: s
        tests:
          - accepted_values: {values: [x, y], where: "id > 0"}
  - name: b
    columns:
      - name: id
        data_tests:
          - relationships: {to: "ref('a')", field: id}
""",
    )
    tests = load_project(d).tests
    assert [(t.model, t.name, t.blocking, t.severity) for t in tests] == [
        ("a", "not_null_id", True, "error"),
        ("a", "unique_id", False, "error"),
        ("a", "range_id", False, "warn"),
        ("a", "accepted_values_s", False, "error"),
        ("b", "relationships_id_to_a", False, "error"),
    ]
    assert tests[3].where == "id > 0"


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("models:\n  - name: nope\n    columns: []\n", "unknown model 'nope'"),
        ("models:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [positive]\n", "unknown test 'positive'"),
        ("models:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [range]\n", "range needs min and/or max"),
        ("models:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [{relationships: {to: zz, field: id}}]\n", "unknown ref 'zz'"),
    ],
)
def test_bad_data_tests_are_refused(tmp_path, yaml_text, message):
    d = write_models(tmp_path, {"a": "select 1 as id"}, yaml_text)
    with pytest.raises(SqlProjectError, match=message):
        load_project(d)


def test_the_shipped_models_load_staging_before_marts():
    p = load_project(DEFAULT_MODELS_DIR)
    assert {"stg_products", "stg_listings", "stg_events", "mart_catalog_health", "mart_margin_by_market_category",
            "mart_price_changes_daily", "mart_stockout_risk", "mart_sync_lag", "mart_listing_rejections",
            "mart_llm_spend_daily"} <= set(p.models)
    for name in p.order:
        for up in p.upstream_models(name):
            assert p.order.index(up) < p.order.index(name)
    for name in p.models:
        if name.startswith("mart_"):
            assert p.models[name].metrics, f"{name} has no key numbers"
            assert p.models[name].config.description
