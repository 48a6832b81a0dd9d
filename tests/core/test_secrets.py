"""No secret reaches logs, run metadata, events or the store."""

import shutil

import dagster as dg
import psycopg

from dropship_assets.catalog import supplier_catalog
from dropship_assets.enrichment import enriched_products
from dropship_assets.listings import market_listings
from dropship_assets.products import source_products
from dropship_core.db import redact_url
from dropship_resources.llm import LLMResource
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource

PASSWORD = "pw-Zq8xN2vK1"
API_SECRET = "sk-live-Hq7R2m9LpX0"


def test_redact_url():
    assert redact_url(f"postgresql://app:{PASSWORD}@db:5432/x") == "postgresql://app:***@db:5432/x"


def test_no_secret_in_logs_metadata_events_or_store(db_url, tmp_path, demo_dir, monkeypatch):
    # trust auth accepts any password, so the URL can carry one the way a production URL does
    secret_url = db_url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)
    if secret_url == db_url:
        secret_url = db_url.replace("postgresql://postgres:@", f"postgresql://postgres:{PASSWORD}@", 1)
    assert PASSWORD in secret_url
    monkeypatch.setenv("DATABASE_URL", secret_url)
    monkeypatch.setenv("COUPANG_SECRET_KEY", API_SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", API_SECRET)
    wb = tmp_path / "acme.xlsx"
    shutil.copy(demo_dir / "acme.xlsx", wb)
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-acme\n    kind: excel\n    path: {wb}\n", encoding="utf-8")
    resources = {"store": StoreResource(database_url=secret_url), "suppliers": SuppliersResource(config_path=str(cfg)),
                 "pricing": PricingResource(), "llm": LLMResource()}
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("supplier", ["excel-acme"])
    r1 = dg.materialize([supplier_catalog, source_products, enriched_products], partition_key="excel-acme",
                        resources=resources, instance=instance)
    r2 = dg.materialize([market_listings], resources=resources, instance=instance,
                        partition_key=dg.MultiPartitionKey({"market": "smartstore", "supplier": "excel-acme"}))
    assert r1.success and r2.success
    logs = []
    for run in instance.get_runs():
        logs += [str(e) for e in instance.all_logs(run.run_id)]
    blob = "\n".join(logs)
    assert blob and "source_products" in blob
    assert PASSWORD not in blob and API_SECRET not in blob
    with psycopg.connect(secret_url) as c:
        for table in ("source_data", "source_data_events", "quarantine", "supplier_state"):
            text = c.execute(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t").fetchone()[0]
            assert text, table
            assert PASSWORD not in text and API_SECRET not in text, table
