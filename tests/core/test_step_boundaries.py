"""The main path's steps share nothing but the database: no asset of supplier_catalog →
source_products → enriched_products → market_listings → market_sync takes an input from an IO
manager or hands it a value; each returns MaterializeResult (or None)."""

import dagster as dg
import pytest
from openpyxl import Workbook

from dropship_assets.catalog import supplier_catalog
from dropship_assets.definitions import defs
from dropship_assets.enrichment import enriched_products
from dropship_assets.listings import market_listings
from dropship_assets.products import source_products
from dropship_assets.sync import market_sync
from dropship_core.markets.names import MARKETS
from dropship_resources.llm import LLMResource
from dropship_resources.markets import marketplaces_from_env
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource

MAIN_PATH = ["supplier_catalog", "source_products", "enriched_products", "market_listings", "market_sync"]


class NoHandOffIOManager(dg.ConfigurableIOManager):
    """Fails the step that stores a value for another step or loads one."""

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        if obj is not None:
            raise AssertionError(f"{context.step_key} handed {type(obj).__name__} to the IO manager")

    def load_input(self, context: dg.InputContext):
        raise AssertionError(f"{context.step_key} loaded an input from the IO manager")


def test_main_path_has_no_io_manager_inputs_and_no_value_outputs():
    for key in MAIN_PATH:
        a = defs.resolve_assets_def(key)
        data_ins = {n: i.dagster_type.display_name for n, i in a.op.ins.items() if not i.dagster_type.is_nothing}
        assert data_ins == {}, f"{key} loads inputs from the IO manager: {data_ins}"
        ret = a.op.compute_fn.decorated_fn.__annotations__.get("return")
        assert ret in (None, dg.MaterializeResult, "dg.MaterializeResult"), f"{key} is annotated to return {ret}"
    # the chain is still wired: each asset depends on the previous one
    deps = {k: {d.to_user_string() for d in defs.resolve_assets_def(k).asset_deps[dg.AssetKey(k)]}
            for k in MAIN_PATH}
    assert [next(iter(deps[k])) for k in MAIN_PATH[1:]] == MAIN_PATH[:-1]


@pytest.fixture
def world(db_url, tmp_path, monkeypatch, market_sandboxes):
    wb = tmp_path / "b.xlsx"
    book = Workbook()
    book.active.append(["상품코드", "상품명", "공급가", "재고", "배송비", "원산지", "제조사", "대표이미지", "상세설명"])
    for i in range(1, 6):
        book.active.append([f"B{i}", f"코멧 스테인리스 텀블러 {i}00ml", 5000 + i * 500, 10 + i, 3000, "국산", "코멧",
                            f"https://img.kr/b{i}.jpg", "보온 보냉 텀블러"])
    book.active.append(["B9", "", "가격", 1, 0, "", "", "", ""])  # a broken row, quarantined
    book.save(wb)
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-b\n    kind: excel\n    path: {wb}\n")
    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=str(cfg)),
                 "pricing": PricingResource(), "llm": LLMResource(), "marketplaces": marketplaces_from_env(),
                 "io_manager": NoHandOffIOManager()}
    yield resources


def test_main_path_runs_with_an_io_manager_that_refuses_every_hand_off(world):
    # the assets as the code location defines them, without the resources it binds
    assets = [supplier_catalog, source_products, enriched_products, market_listings, market_sync]
    assert [a.key.to_user_string() for a in assets] == MAIN_PATH
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("supplier", ["excel-b"])
    res = dg.materialize(assets[:3], partition_key="excel-b", resources=world, instance=instance)
    assert res.success
    md = {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
          for e in res.get_asset_materialization_events()}
    assert md["supplier_catalog"]["products"].value == 5 and md["supplier_catalog"]["rejected"].value == 1
    assert md["source_products"]["new"].value == 5 and md["source_products"]["quarantined"].value == 1
    assert md["source_products"]["landing_id"].value == md["supplier_catalog"]["landing_id"].value
    for m in MARKETS:
        pk = dg.MultiPartitionKey({"market": m, "supplier": "excel-b"})
        res = dg.materialize(assets[3:], partition_key=pk, resources=world, instance=instance)
        assert res.success
        mds = {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
               for e in res.get_asset_materialization_events()}
        # what the listings step found listable is what the sync step published (the strict
        # markets block some of these bare workbook rows, with their reasons)
        listable = sum(v.value for k, v in mds["market_listings"].items()
                       if k.startswith("status_") and k != "status_blocked")
        assert mds["market_sync"]["published_total"].value == listable
        assert m != "smartstore" or listable == 5
