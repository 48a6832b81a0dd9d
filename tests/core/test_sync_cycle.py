"""The inventory cycle as one run per market over every supplier partition: each partition is
materialized (status and lineage per partition), disabled accounts split the range."""

from datetime import datetime, timezone

import dagster as dg
import httpx
import pytest

from dropship_assets.definitions import defs
from dropship_sensors.schedules import contiguous_ranges, inventory_sync_schedule


def test_contiguous_ranges():
    order = ["a", "b", "c", "d", "e", "f"]
    assert contiguous_ranges(order, {"a", "b", "c", "d", "e", "f"}) == [("a", "f")]
    assert contiguous_ranges(order, {"a", "b", "d", "f"}) == [("a", "b"), ("d", "d"), ("f", "f")]
    assert contiguous_ranges(order, set()) == []


def test_disabled_account_splits_the_range(tmp_path, monkeypatch):
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text("suppliers:\n" + "".join(
        f"  - {{key: s{i}, kind: excel, path: a.xlsx{', enabled: false' if i == 2 else ''}}}\n" for i in range(5)),
        encoding="utf-8")
    monkeypatch.setenv("DROPSHIP_SUPPLIERS", str(cfg))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("supplier", [f"s{i}" for i in range(5)])
        with dg.build_schedule_context(instance=instance,
                                       scheduled_execution_time=datetime(2026, 12, 1, tzinfo=timezone.utc)) as ctx:
            reqs = inventory_sync_schedule(ctx)
    got = sorted((r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
                 for r in reqs)
    assert len(reqs) == 6  # 3 markets x 2 ranges, instead of 12 runs
    assert ("coupang|s0", "coupang|s1") in got and ("coupang|s3", "coupang|s4") in got


@pytest.fixture
def cycle_world(db_url, tmp_path, monkeypatch):
    from openpyxl import Workbook

    from dropship_resources.llm import LLMResource
    from dropship_resources.markets import marketplaces_from_env
    from dropship_resources.pricing import PricingResource
    from dropship_resources.store import StoreResource
    from dropship_resources.suppliers import SuppliersResource
    from dropship_sandbox.market_common import start_market_sandboxes

    servers, env = start_market_sandboxes(0, rate_limits=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    lines = ["suppliers:"]
    for i in range(3):
        wb = Workbook()
        wb.active.append(["상품코드", "상품명", "공급가", "재고", "배송비", "원산지", "제조사", "대표이미지", "상세설명"])
        for j in range(3):
            wb.active.append([f"S{i}{j}", f"코멧 스테인리스 진공 텀블러 {i}{j}호", 7000 + j, 40, 3000, "국산", "코멧",
                              f"https://img.kr/{i}{j}.jpg", "보온 보냉 텀블러"])
        wb.save(tmp_path / f"s{i}.xlsx")
        lines.append(f"  - {{key: sup{i}, kind: excel, path: {tmp_path / f's{i}.xlsx'}}}")
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("DROPSHIP_SUPPLIERS", str(cfg))
    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=str(cfg)),
                 "pricing": PricingResource(), "llm": LLMResource(), "marketplaces": marketplaces_from_env()}
    yield resources, servers
    for s in servers:
        s.stop()


def test_inventory_cycle_runs_once_per_market_and_materializes_every_partition(cycle_world):
    resources, servers = cycle_world
    with dg.instance_for_test() as instance:
        keys = ["sup0", "sup1", "sup2"]
        instance.add_dynamic_partitions("supplier", keys)
        ingest = defs.resolve_job_def("product_sync")
        for k in keys:
            assert ingest.execute_in_process(partition_key=k, instance=instance, resources=resources).success
        with dg.build_schedule_context(instance=instance,
                                       scheduled_execution_time=datetime(2026, 12, 1, tzinfo=timezone.utc)) as ctx:
            reqs = inventory_sync_schedule(ctx)
        assert len(reqs) == 3
        publish = defs.resolve_job_def("publish_listings")
        inventory = defs.resolve_job_def("inventory_sync")
        for job in (publish, inventory):
            for r in reqs:
                res = job.execute_in_process(instance=instance, resources=resources, tags=r.tags)
                assert res.success
                mats = [(e.asset_key.to_user_string(), e.event_specific_data.materialization.partition)
                        for e in res.get_asset_materialization_events()]
                market = r.tags["dagster/asset_partition_range_start"].split("|")[0]
                for asset in ("market_listings", "market_sync"):
                    assert sorted(p for a, p in mats if a == asset) == [f"{market}|{k}" for k in keys]
        calls = sum(httpx.get(f"{s.url}/__calls").json().get("total", 0) for s in servers)
        assert calls > 0
        # per-partition status: every market x supplier partition is materialized
        for asset in ("market_listings", "market_sync"):
            done = instance.get_materialized_partitions(dg.AssetKey(asset))
            assert len(done) == 9
