"""The asset chain through Dagster, on real Postgres: counts, idempotency, only-changed-flows-down."""

import shutil

import dagster as dg
import pytest
from openpyxl import load_workbook

from dropship_assets.catalog import supplier_catalog
from dropship_assets.enrichment import enriched_products
from dropship_assets.listings import market_listings
from dropship_assets.products import source_products
from dropship_resources.llm import LLMResource
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource

CHAIN = [supplier_catalog, source_products, enriched_products]


@pytest.fixture
def setup(db_url, tmp_path, demo_dir):
    wb = tmp_path / "acme.xlsx"
    shutil.copy(demo_dir / "acme.xlsx", wb)
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-acme\n    kind: excel\n    path: {wb}\n", encoding="utf-8")
    resources = {
        "store": StoreResource(database_url=db_url),
        "suppliers": SuppliersResource(config_path=str(cfg)),
        "pricing": PricingResource(), "llm": LLMResource(),
    }
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("supplier", ["excel-acme"])
    return resources, instance, wb


def mat(assets, resources, instance, pk, **kw):
    res = dg.materialize(assets, partition_key=pk, resources=resources, instance=instance, **kw)
    assert res.success
    mats = [e.event_specific_data.materialization for e in res.get_asset_materialization_events()]
    return {m.asset_key.to_user_string(): m.metadata for m in mats}


def val(md, key):
    return md[key].value


def events(resources):
    with resources["store"].connect() as c:
        return c.execute("SELECT count(*) FROM source_data_events").fetchone()[0]


def test_chain_counts_and_unchanged_rerun(setup):
    resources, instance, wb = setup
    md = mat(CHAIN, resources, instance, "excel-acme")
    assert val(md["source_products"], "new") == 320
    assert val(md["source_products"], "quarantined") == 5
    assert val(md["enriched_products"], "enriched") == 320
    n = events(resources)
    assert n == 640

    # same bytes: nothing is read, nothing is written
    md = mat(CHAIN, resources, instance, "excel-acme")
    assert val(md["supplier_catalog"], "source_unchanged") is True
    assert val(md["enriched_products"], "considered") == 0
    assert events(resources) == n

    # a forced full re-read of the same rows: all unchanged, still no events
    md = mat(CHAIN, resources, instance, "excel-acme",
             run_config={"ops": {"supplier_catalog": {"config": {"sync_mode": "full", "force": True}}}})
    assert val(md["source_products"], "unchanged") == 320
    assert val(md["source_products"], "new") + val(md["source_products"], "changed") == 0
    assert events(resources) == n


def test_listings_only_changed_products_flow_down(setup):
    resources, instance, wb = setup
    mat(CHAIN, resources, instance, "excel-acme")
    pk = dg.MultiPartitionKey({"market": "coupang", "supplier": "excel-acme"})
    md = mat([market_listings], resources, instance, pk)
    assert val(md["market_listings"], "recomputed") == 320
    before = events(resources)
    md = mat([market_listings], resources, instance, pk)
    assert val(md["market_listings"], "recomputed") == 0
    assert events(resources) == before

    # change one cost in the workbook: exactly one product changes, is re-enriched and re-listed
    book = load_workbook(wb)
    ws = book.active
    assert ws["A2"].value == "AC1000"
    ws["C2"] = ws["C2"].value + 1000
    book.save(wb)
    md = mat(CHAIN, resources, instance, "excel-acme")
    assert val(md["source_products"], "changed") == 1
    assert val(md["enriched_products"], "enriched") == 1
    md = mat([market_listings], resources, instance, pk)
    assert val(md["market_listings"], "recomputed") == 1 and val(md["market_listings"], "changed") == 1
    with resources["store"].connect() as c:
        types = c.execute("SELECT event_type, partition_key FROM source_data_events WHERE id > %s ORDER BY id",
                          (before,)).fetchall()
    assert [t for t, _ in types] == ["changed", "enriched", "listed"]
    assert types[-1][1] == "market=coupang|supplier=excel-acme"


def test_checks_run_and_pass_on_demo_data(setup):
    resources, instance, _ = setup
    res = dg.materialize(CHAIN, partition_key="excel-acme", resources=resources, instance=instance)
    checks = {e.asset_check_key.name: e.passed for e in res.get_asset_check_evaluations()}
    assert checks == {"costs_positive": True, "required_fields_present": True, "ai_data_valid": True}
    pk = dg.MultiPartitionKey({"market": "gmarket", "supplier": "excel-acme"})
    res = dg.materialize([market_listings], partition_key=pk, resources=resources, instance=instance)
    checks = {e.asset_check_key.name: e.passed for e in res.get_asset_check_evaluations()}
    assert checks == {"titles_within_limit": True, "prices_above_cost": True, "no_banned_words_listable": True,
                      "no_invalid_product_data": True}


def test_definitions_load():
    from dropship_assets.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert {"supplier_catalog", "source_products", "enriched_products", "market_listings"} <= keys
    for job in ("product_sync", "build_listings"):
        assert defs.resolve_job_def(job) is not None
    dg.Definitions.validate_loadable(defs)
