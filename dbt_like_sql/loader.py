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

from dbt_like_sql.build import *  # noqa: F401,F403
from dbt_like_sql.build import MaterializeOutcome, create_temp_views, materialize_model, relation_kind, table_exists  # noqa: F401
from dbt_like_sql.datatests import *  # noqa: F401,F403
from dbt_like_sql.project import *  # noqa: F401,F403
from dbt_like_sql.project import (  # noqa: F401
    CONFIG_KEYS, DEFAULT_MODELS_DIR, DEFAULT_SCHEMA, DEFAULT_SOURCES_PATH, MATERIALIZATIONS, TEST_KINDS, DataTest,
    Model, ModelConfig, Reference, Source, SqlModelError, SqlProject, SqlProjectError, load_project, load_sources,
    load_tests, parse_header, parse_references, relation, sql_ident, toposort,
)
