"""A small pipeline world for the agent tests: an Excel supplier, the Naver search sandbox, and
the assets from supplier_catalog to the agents, materialised in-process against Postgres."""

from __future__ import annotations

import os

import dagster as dg
from openpyxl import Workbook

from dropship_assets.agents import agent_conductor
from dropship_assets.catalog import supplier_catalog
from dropship_assets.enrichment import enriched_products
from dropship_assets.evidence import market_prices
from dropship_assets.listings import market_listings
from dropship_assets.products import source_products
from dropship_core.markets.names import MARKETS
from dropship_resources.evidence import MarketSearchResource
from dropship_resources.llm import LLMResource, MemoryResource
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource
from dropship_sandbox.naver_search import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

HEADER = ["상품코드", "상품명", "공급가", "재고", "배송비", "원산지", "제조사", "대표이미지", "상세설명"]


def write_xlsx(path, rows) -> None:
    wb = Workbook()
    wb.active.append(HEADER)
    for r in rows:
        wb.active.append(r)
    wb.save(path)


def resources(db_url: str, suppliers_yaml: str, search_url: str, llm: LLMResource | None = None) -> dict:
    """The search secret comes from the environment (dg.EnvVar), as in production."""
    os.environ["NAVER_SEARCH_CLIENT_SECRET"] = SANDBOX_CLIENT_SECRET
    return {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=suppliers_yaml),
            "pricing": PricingResource(), "llm": llm or LLMResource(), "memory": MemoryResource(),
            "market_search": MarketSearchResource(client_id=SANDBOX_CLIENT_ID,
                                                  client_secret=dg.EnvVar("NAVER_SEARCH_CLIENT_SECRET"),
                                                  base_url=search_url)}


def sync_supplier(res: dict, instance, key: str) -> None:
    assert dg.materialize([supplier_catalog, source_products, enriched_products], partition_key=key,
                          resources=res, instance=instance).success


def list_and_price(res: dict, instance, keys: list[str]) -> None:
    for m in MARKETS:
        for key in keys:
            pk = dg.MultiPartitionKey({"market": m, "supplier": key})
            assert dg.materialize([market_listings, market_prices], partition_key=pk, resources=res,
                                  instance=instance, selection=[market_listings, market_prices]).success


def run_agents(res: dict, instance, markets=MARKETS, config: dict | None = None) -> dict[str, dict]:
    out = {}
    for m in markets:
        r = dg.materialize([agent_conductor], partition_key=m, resources=res, instance=instance,
                           run_config={"ops": {"agent_conductor": {"config": config}}} if config else None)
        assert r.success
        out[m] = {e.asset_key.to_user_string(): {k: v.value for k, v in
                                                 e.event_specific_data.materialization.metadata.items()}
                  for e in r.get_asset_materialization_events()}
    return out
