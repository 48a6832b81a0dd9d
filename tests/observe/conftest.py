"""A demo-sized world: one Excel supplier, the three marketplace sandboxes over HTTP, Dagster."""

import dagster as dg
import pytest
from openpyxl import Workbook

from dropship_assets.catalog import supplier_catalog
from dropship_assets.enrichment import enriched_products
from dropship_assets.listings import market_listings
from dropship_assets.products import source_products
from dropship_assets.sync import market_sync
from dropship_core import metrics
from dropship_core.markets.names import MARKETS
from dropship_resources.llm import LLMResource
from dropship_resources.markets import marketplaces_from_env
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource

HEAD = ["상품코드", "상품명", "공급가", "재고", "배송비", "원산지", "제조사", "대표이미지", "상세설명", "옵션명", "옵션값"]
NAMES = ["코멧 스테인리스 진공 텀블러 500ml", "리빙웰 접이식 수납박스 30L", "데일리온 캔버스 에코백 대형",
         "코멧 무선 전기주전자 1.7L", "리빙웰 규조토 발매트 대형", "데일리온 면 100% 수건 5매"]


def catalog_rows(n: int = 12) -> list[list]:
    rows = [HEAD]
    for i in range(n):
        rows.append([f"OB{i:03d}", f"{NAMES[i % len(NAMES)]} {i + 1}호", 5000 + 700 * i, 10 + i, 3000, "국산",
                     "코멧", f"https://img.kr/ob{i}.jpg", "튼튼하고 오래 쓰는 생활용품",
                     # half with a colour option (Coupang's categories ask for it as a purchase
                     # option; the sandbox ESM categories take no free-text colour), half without
                     *(("색상", "블랙") if i % 2 == 0 else ("", ""))])
    return rows


@pytest.fixture
def world(db_url, tmp_path, monkeypatch, market_sandboxes):
    wb = Workbook()
    for r in catalog_rows():
        wb.active.append(r)
    path = tmp_path / "observe.xlsx"
    wb.save(path)
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(f"suppliers:\n  - key: excel-observe\n    kind: excel\n    path: {path}\n")
    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=str(cfg)),
                 "pricing": PricingResource(), "llm": LLMResource(), "marketplaces": marketplaces_from_env()}
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("supplier", ["excel-observe"])
    metrics.discard_pending()   # what earlier tests in this process measured belongs to their stores
    yield {"resources": resources, "instance": instance, "db_url": db_url}


def run_pipeline(world) -> None:
    """Catalog in, listings out to every market: what `make demo` does for one supplier."""
    from dropship_assets.market_metadata import market_categories, market_category_rules

    r, inst = world["resources"], world["instance"]
    assert dg.materialize([supplier_catalog, source_products, enriched_products], partition_key="excel-observe",
                          resources=r, instance=inst).success
    for m in MARKETS:   # the rules of the categories in use, from each market's (sandbox) API, as the demo does
        assert dg.materialize([market_categories, market_category_rules], partition_key=m, resources=r,
                              instance=inst).success
    for m in MARKETS:
        pk = dg.MultiPartitionKey({"market": m, "supplier": "excel-observe"})
        assert dg.materialize([market_listings, market_sync], partition_key=pk, resources=r, instance=inst).success
