"""View, table and incremental materialisation against real Postgres, and SQL errors with lines."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dbt_like_sql.loader import SqlModelError, load_project, materialize_model, relation_kind

from .test_loader import write_models

DAY = lambda d: datetime(2026, 3, d, tzinfo=timezone.utc)  # noqa: E731


def kinds_of(conn, schema):
    return dict(
        conn.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r','v')",
            (schema,),
        ).fetchall()
    )


@pytest.fixture
def project(tmp_path):
    d = write_models(
        tmp_path,
        {
            "v_products": "-- config: materialized=view\nselect id, supplier_key, status, (raw_data->>'cost')::text as cost_text\nfrom {{ source('source_data') }}",
            "t_by_supplier": "-- config: materialized=table\n-- metric: products = sum(n)\nselect supplier_key, count(*) as n\nfrom {{ ref('v_products') }}\ngroup by 1",
            "v_on_table": "-- config: materialized=view\nselect * from {{ ref('t_by_supplier') }} where n > 0",
            "i_events": "-- config: materialized=incremental, time_column=created_at\n"
            "select id, event_type, created_at\nfrom {{ source('source_data_events') }}\n"
            "where created_at >= {{ window_start }} and created_at < {{ window_end }}",
            "i_no_window": "-- config: materialized=incremental, time_column=created_at\nselect id, created_at from {{ source('source_data_events') }}",
        },
    )
    return load_project(d)


def test_view_table_and_incremental_build_the_right_relations(conn, store_schema, project):
    schema = f"{store_schema}_m"
    for name in ("v_products", "t_by_supplier", "v_on_table"):
        materialize_model(conn, project, name, schema)
    out = materialize_model(conn, project, "i_events", schema, (DAY(10), DAY(11)))
    kinds = kinds_of(conn, schema)
    assert kinds == {"v_products": "v", "t_by_supplier": "r", "v_on_table": "v", "i_events": "r"}
    assert conn.execute(f'SELECT count(*) FROM "{schema}".v_products').fetchone()[0] == 6
    assert dict(conn.execute(f'SELECT supplier_key, n FROM "{schema}".t_by_supplier').fetchall()) == {"ownerclan-main": 3, "excel-acme": 3}
    # 2026-03-10 holds three events in the seed: two price changes and one enrichment
    assert out.rows_written == 3 and out.row_count == 3
    assert {r[1] for r in out.preview} == {"price_changed", "enriched"}


def test_table_metrics_and_preview(conn, store_schema, project):
    out = materialize_model(conn, project, "v_products", f"{store_schema}_m")
    out = materialize_model(conn, project, "t_by_supplier", f"{store_schema}_m")
    assert out.metrics == {"products": 6}
    assert out.columns == ["supplier_key", "n"] and len(out.preview) == 2


def test_incremental_rerun_of_a_partition_does_not_duplicate(conn, store_schema, project):
    schema = f"{store_schema}_m"
    first = materialize_model(conn, project, "i_events", schema, (DAY(11), DAY(12)))
    again = materialize_model(conn, project, "i_events", schema, (DAY(11), DAY(12)))
    assert first.rows_written == again.rows_written == again.rows_deleted == 4
    rows = conn.execute(
        f"SELECT id, count(*) FROM \"{schema}\".i_events WHERE created_at >= '2026-03-11' AND created_at < '2026-03-12' GROUP BY id"
    ).fetchall()
    assert len(rows) == 4 and all(n == 1 for _, n in rows)
    # the other day's rows stay as they were
    other = materialize_model(conn, project, "i_events", schema, (DAY(10), DAY(11)))
    total = conn.execute(f'SELECT count(*), count(DISTINCT id) FROM "{schema}".i_events').fetchone()
    assert total[0] == total[1] == other.row_count


def test_incremental_window_is_enforced_even_when_the_model_ignores_it(conn, store_schema, project):
    schema = f"{store_schema}_m"
    out = materialize_model(conn, project, "i_no_window", schema, (DAY(10), DAY(11)))
    days = conn.execute(f'SELECT DISTINCT (created_at at time zone \'UTC\')::date FROM "{schema}".i_no_window').fetchall()
    assert [d[0].isoformat() for d in days] == ["2026-03-10"] and out.rows_written == 3


def test_rebuilding_a_table_keeps_the_views_built_on_it(conn, store_schema, project):
    schema = f"{store_schema}_m"
    for name in ("v_products", "t_by_supplier", "v_on_table"):
        materialize_model(conn, project, name, schema)
    out = materialize_model(conn, project, "t_by_supplier", schema)
    assert out.dropped_dependents == []
    assert relation_kind(conn, schema, "v_on_table") == "view"


def test_a_view_whose_columns_change_is_recreated(conn, store_schema, tmp_path):
    schema = f"{store_schema}_r"
    d = write_models(tmp_path, {"v": "select 1 as a, 2 as b"})
    materialize_model(conn, load_project(d), "v", schema)
    (d / "v.sql").write_text("select 1 as a", encoding="utf-8")  # a dropped column: no CREATE OR REPLACE
    out = materialize_model(conn, load_project(d), "v", schema)
    assert out.columns == ["a"]
    (d / "v.sql").write_text("-- config: materialized=table\nselect 1 as a", encoding="utf-8")
    materialize_model(conn, load_project(d), "v", schema)
    assert relation_kind(conn, schema, "v") == "table"


def test_sql_error_names_the_model_and_line(conn, store_schema, tmp_path):
    d = write_models(
        tmp_path,
        {"broken": "-- config: materialized=table\nselect id,\n       raw_data->>'name' as name,\n       no_such_column\nfrom {{ source('source_data') }}"},
    )
    with pytest.raises(SqlModelError) as err:
        materialize_model(conn, load_project(d), "broken", f"{store_schema}_r")
    e = err.value
    assert e.model == "broken" and e.line == 4
    assert 'column "no_such_column" does not exist' in str(e)
    assert "broken.sql line 4" in str(e) and "4 | no_such_column" in str(e)


@pytest.mark.parametrize("materialized", ["view", "incremental, time_column=t"])
def test_sql_errors_map_to_lines_for_every_materialisation(conn, store_schema, tmp_path, materialized):
    d = write_models(tmp_path, {"bad": f"-- config: materialized={materialized}\n\nselect now() as t,\n  1 / 'x'::int as boom"})
    with pytest.raises(SqlModelError) as err:
        materialize_model(conn, load_project(d), "bad", f"{store_schema}_r", (DAY(1), DAY(2)))
    assert err.value.line == 4 and "bad.sql line 4" in str(err.value)


def test_incremental_refuses_a_changed_shape(conn, store_schema, tmp_path):
    schema = f"{store_schema}_r"
    d = write_models(tmp_path, {"inc": "-- config: materialized=incremental, time_column=t\nselect now() as t, 1 as a"})
    materialize_model(conn, load_project(d), "inc", schema, (DAY(1), DAY(2)))
    (d / "inc.sql").write_text("-- config: materialized=incremental, time_column=t\nselect now() as t, 'x' as a", encoding="utf-8")
    with pytest.raises(SqlModelError, match="columns changed"):
        materialize_model(conn, load_project(d), "inc", schema, (DAY(1), DAY(2)))


def test_enabled_if_table_skips_a_model_whose_table_is_missing(conn, store_schema, tmp_path):
    d = write_models(
        tmp_path,
        {"inbox": "-- config: materialized=view, enabled_if_table=webhook_inbox_absent\nselect * from webhook_inbox_absent"},
    )
    out = materialize_model(conn, load_project(d), "inbox", f"{store_schema}_r")
    assert out.skipped == "table webhook_inbox_absent does not exist"
    assert relation_kind(conn, f"{store_schema}_r", "inbox") is None


def test_percent_signs_in_model_sql_are_not_placeholders(conn, store_schema, tmp_path):
    d = write_models(tmp_path, {"pct": "select supplier_key from {{ source('source_data') }} where supplier_key like 'excel%'"})
    out = materialize_model(conn, load_project(d), "pct", f"{store_schema}_r")
    assert out.row_count == 3


def test_an_autocommit_connection_builds_the_same(store_schema, project, tmp_path):
    import psycopg

    from .conftest import DATABASE_URL

    schema = f"{store_schema}_m"
    (tmp_path / "bad").mkdir()
    bad = load_project(write_models(tmp_path / "bad", {"bad": "select nope"}))
    with psycopg.connect(DATABASE_URL, autocommit=True, options=f"-c search_path={store_schema}") as c:
        materialize_model(c, project, "v_products", schema)
        a = materialize_model(c, project, "i_events", schema, (DAY(9), DAY(10)))
        b = materialize_model(c, project, "i_events", schema, (DAY(9), DAY(10)))
        assert a.rows_written == b.rows_written == b.rows_deleted == 6  # six products ingested on 03-09
        with pytest.raises(SqlModelError, match="model 'bad'"):
            materialize_model(c, bad, "bad", schema)
        assert c.info.transaction_status == psycopg.pq.TransactionStatus.IDLE  # nothing left open


def test_a_bad_metric_or_runtime_error_in_a_view_names_the_model(conn, store_schema, tmp_path):
    d = write_models(
        tmp_path,
        {
            "m": "-- config: materialized=table\n-- metric: total = sum(no_such)\nselect 1 as n",
            "z": "-- config: materialized=view\nselect 1 / (n - 1) as boom from {{ ref('m') }}",
        },
    )
    p = load_project(d)
    with pytest.raises(SqlModelError, match=r"model 'm' \(m.sql\): reading the built relation .*no_such"):
        materialize_model(conn, p, "m", f"{store_schema}_r")
    with pytest.raises(SqlModelError, match=r"model 'z' \(z.sql\): .*division by zero"):
        materialize_model(conn, p, "z", f"{store_schema}_r")


def test_concurrent_builds_of_one_partition_leave_one_copy(store_schema, tmp_path):
    import threading

    import psycopg

    from .conftest import DATABASE_URL

    schema = f"{store_schema}_r"
    d = write_models(tmp_path, {"inc2": "-- config: materialized=incremental, time_column=created_at\nselect id, created_at, pg_sleep(0.01)::text as s from {{ source('source_data_events') }}"})
    p = load_project(d)
    errors: list[BaseException] = []

    def build() -> None:
        try:
            with psycopg.connect(DATABASE_URL, options=f"-c search_path={store_schema}") as c:
                materialize_model(c, p, "inc2", schema, (DAY(9), DAY(12)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with psycopg.connect(DATABASE_URL) as c:
        total, distinct = c.execute(f'SELECT count(*), count(DISTINCT id) FROM "{schema}".inc2').fetchone()
    assert total == distinct == 13
