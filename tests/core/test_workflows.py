"""The seed's workflow API: OrchestrationEngine in-process on a real instance and Postgres."""

import dagster as dg
import pytest

from dropship_app.workflows import OrchestrationEngine, WorkflowError, plan
from dropship_resources.llm import LLMResource
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource


def test_plan_validates_params():
    keys = ["excel-acme", "excel-daon"]
    stages = plan("product_sync", {"sync_mode": "full", "markets": ["coupang"]}, keys, set())
    assert [s.job for s in stages[0]] == ["product_sync", "product_sync"]
    assert [str(s.partition_key) for s in stages[1]] == ["coupang|excel-acme", "coupang|excel-daon"]
    with pytest.raises(WorkflowError, match="unknown supplier"):
        plan("product_sync", {"suppliers": ["nope"]}, keys, set())
    with pytest.raises(WorkflowError, match="sync_mode"):
        plan("product_sync", {"sync_mode": "sometimes"}, keys, set())
    with pytest.raises(WorkflowError, match="unknown market"):
        plan("product_sync", {"markets": ["amazon"]}, keys, set())
    with pytest.raises(WorkflowError, match="unknown workflow"):
        plan("restock", {}, keys, set())


def test_product_sync_runs_and_reports_steps(db_url, tmp_path, demo_dir):
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-daon\n    kind: excel\n    path: {demo_dir / 'daon.xlsx'}\n")
    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=str(cfg)),
                 "pricing": PricingResource(), "llm": LLMResource()}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("supplier", ["excel-daon"])
        engine = OrchestrationEngine(instance=instance, resources=resources)
        wid = engine.execute_workflow("product_sync", {"sync_mode": "full", "markets": ["smartstore", "coupang"]})
        st = engine.get_execution_status(wid)
        assert st["status"] == "SUCCESS"
        assert len(st["runs"]) == 3
        assert st["steps_completed"] == st["steps_total"] == 5
        one = engine.get_execution_status(st["runs"][0]["run_id"])
        assert len(one["runs"]) == 1 and one["status"] == "SUCCESS"
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dropship/workflow": wid}))
        assert {r.job_name for r in runs} == {"product_sync", "build_listings"}
        with pytest.raises(WorkflowError, match="no run or workflow"):
            engine.get_execution_status("product_sync-nothing")
