"""enriched_products with an LLM provider: the real openai SDK against a local server speaking
its wire format; a malformed answer falls back to the offline rules per product, the batch goes on,
and the product stays pending so the next run asks the model again."""

import dagster as dg
import psycopg
from openpyxl import Workbook

from dropship_assets.catalog import supplier_catalog
from dropship_assets.enrichment import enriched_products
from dropship_assets.products import source_products
from dropship_resources.llm import LLMResource
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource

from .fake_servers import Step
from .support import TEST_KEY


def test_malformed_llm_answers_fall_back_per_product(fake_llm, db_url, tmp_path):
    fake, srv = fake_llm
    fake.default = lambda body: Step("raw", text="{not json")
    wb = tmp_path / "w.xlsx"
    book = Workbook()
    for r in [["상품코드", "상품명", "공급가", "재고", "대표이미지"],
              ["L1", "코멧 스테인리스 텀블러 500ml", 7000, 9, "https://img.kr/1.jpg"],
              ["L2", "리빙웰 수납박스 30L", 5000, 4, "https://img.kr/2.jpg"]]:
        book.active.append(r)
    book.save(wb)
    cfg = tmp_path / "s.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-llm\n    kind: excel\n    path: {wb}\n")
    llm = LLMResource(provider="openai", model="gpt-4o-mini", base_url=f"{srv.url}/v1",
                      openai_api_key=TEST_KEY, sdk_max_retries=0, retry_attempts=1, timeout_seconds=10)
    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=str(cfg)),
                 "pricing": PricingResource(), "llm": llm}
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("supplier", ["excel-llm"])
    res = dg.materialize([supplier_catalog, source_products, enriched_products], partition_key="excel-llm",
                         resources=resources, instance=instance)
    assert res.success
    md = {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
          for e in res.get_asset_materialization_events()}["enriched_products"]
    assert md["provider"].value == "openai"
    assert md["llm_fallbacks"].value == 2 and md["enriched"].value == 2
    assert md["llm_requests"].value >= 2
    assert fake.count("/chat/completions") == md["llm_requests"].value
    with psycopg.connect(db_url) as c:
        rows = c.execute("SELECT ai_source_hash, ai_data->>'provider' FROM source_data ORDER BY id").fetchall()
    assert all(h.endswith(":fallback") for h, _ in rows)
    # the key went to the server as a bearer token, and nowhere into the run's logs
    assert fake.requests[0]["headers"]["authorization"] == f"Bearer {TEST_KEY}"
    logs = "\n".join(str(e) for e in instance.all_logs(res.run_id))
    assert TEST_KEY not in logs
