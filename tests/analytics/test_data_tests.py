"""Each data-test kind, passing and failing, counted by SQL over a real model."""

from __future__ import annotations

import pytest

from dbt_like_sql.loader import TEST_KINDS, load_project, materialize_model, run_data_test

from .test_loader import write_models

MODELS = {
    "items": "-- config: materialized=table\n"
    "select * from (values (1, 'active', 10, 1), (2, 'soldout', 50, 1), (3, 'active', 99, 2), (4, 'gone', -5, 9), (4, null, null, null))\n"
    "  as t(id, status, price, parent_id)",
    "parents": "-- config: materialized=view\nselect * from (values (1), (2)) as p(id)",
}

SCHEMA_YAML = """
models:
  - name: items
    columns:
      - name: id
        data_tests:
          - not_null
          - unique
          - unique: {where: "id < 4"}
      - name: status
        data_tests:
          - not_null
          - not_null: {where: "id < 4"}
          - accepted_values: {values: [active, soldout, gone]}
          - accepted_values: {values: [active, soldout]}
      - name: price
        data_tests:
          - range: {min: 0, max: 100}
          - range: {min: -10}
          - range: {max: 60}
      - name: parent_id
        data_tests:
          - relationships: {to: parents, field: id}
          - relationships: {to: parents, field: id, where: "id < 4"}
          - relationships: {to: "source('source_data')", field: id}
"""

# (test name, failing rows) — the fixture table is small enough to count by hand
EXPECTED = {
    "not_null_id": 0,
    "unique_id": 2,  # id 4 twice
    "unique_id_2": 0,
    "not_null_status": 1,
    "not_null_status_2": 0,
    "accepted_values_status": 0,
    "accepted_values_status_2": 1,  # 'gone'
    "range_price": 1,  # -5
    "range_price_2": 0,
    "range_price_3": 1,  # 99
    "relationships_parent_id_to_parents": 1,  # 9
    "relationships_parent_id_to_parents_2": 0,
    "relationships_parent_id_to_source_data": 1,  # the seed has product ids 1..6
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = write_models(tmp_path_factory.mktemp("dt"), MODELS, SCHEMA_YAML)
    return load_project(d)


def test_every_kind_passes_and_fails_as_counted(conn, store_schema, built):
    schema = f"{store_schema}_t"
    materialize_model(conn, built, "items", schema)
    materialize_model(conn, built, "parents", schema)
    got = {}
    for t in built.tests:
        out = run_data_test(conn, built, t, schema)
        got[t.name] = out.failures
        assert out.passed == (out.failures == 0)
        assert len(out.sample) == min(out.failures, 5) or t.kind == "unique"
        assert "SELECT" in out.sql
    assert got == EXPECTED
    kinds_failing = {t.kind for t in built.tests if got[t.name] > 0}
    kinds_passing = {t.kind for t in built.tests if got[t.name] == 0}
    assert kinds_failing == kinds_passing == set(TEST_KINDS)


def test_failing_rows_are_sampled(conn, store_schema, built):
    schema = f"{store_schema}_t"
    materialize_model(conn, built, "items", schema)
    test = next(t for t in built.tests if t.name == "range_price_3")
    out = run_data_test(conn, built, test, schema)
    assert out.columns == ["id", "status", "price", "parent_id"]
    assert out.sample == [(3, "active", 99, 2)]
    uniq = run_data_test(conn, built, next(t for t in built.tests if t.name == "unique_id"), schema)
    assert uniq.columns == ["value", "occurrences"] and uniq.sample == [(4, 2)]
