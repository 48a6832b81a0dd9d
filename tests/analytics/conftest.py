"""A fresh store schema per test session, seeded by SQL shaped like docs/data-shapes.md."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import dagster as dg
import psycopg
import pytest

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "dropship_core" / "store" / "migrations"
ARTIFACTS = ROOT / "test-artifacts"


class StoreResource(dg.ConfigurableResource):
    """The smallest store resource: a URL and a search_path that points at the test's schema."""

    database_url: str
    search_path: str = "public"

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url, options=f"-c search_path={self.search_path}")


def J(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def listing(price, stock=10, state="active", **extra):
    return {
        "title": "상품", "price": price, "consumer_price": price + 4000, "stock": stock,
        "category_id": extra.pop("category_id", "50000803"), "category_path": extra.pop("category_path", "생활>주방>텀블러"),
        "options": [], "images": ["https://img.example/1.jpg"], "tax_type": "TAX", "adult": False,
        "shipping_fee": 3000, "return_fee": 3000, "state": state, **extra,
    }


def market(status, price=None, listable=True, blocked=(), in_sync=False, last_error=None, **listing_extra):
    md = {"listable": listable, "blocked_reasons": list(blocked), "status": status, "listing_hash": "h-new",
          "published_hash": "h-new" if in_sync else ("h-old" if status == "published" else None), "last_error": last_error}
    if price is not None:
        md["listing"] = listing(price, **listing_extra)
    return md


def raw(supplier, item, name, cost, stock=None, variants=(), images=1, brand="브랜드", category="생활>주방", status="active"):
    return {
        "supplier_key": supplier, "supplier_item_id": item, "name": name, "cost": cost, "consumer_price": None,
        "suggested_price": None, "shipping_fee": 3000, "return_fee": None, "stock": stock, "brand": brand,
        "manufacturer": None, "model": None, "origin": "국산", "tax_type": "TAX", "adult": False,
        "images": [f"https://img.example/{item}-{i}.jpg" for i in range(images)], "category_path": category,
        "description": "설명", "keywords": [], "notice": {},
        "variants": [{"sku": f"{item}-{i}", "options": {"색상": c}, "price_delta": 0, "stock": s} for i, (c, s) in enumerate(variants)],
        "status": status, "raw": {"code": item},
    }


def ai(categories, score=0.85):
    return {"clean_name": "정리된 이름", "titles": {}, "description": "", "attributes": {},
            "categories": {m: {"id": cid, "path": path, "confidence": 0.8} for m, (cid, path) in categories.items()},
            "banned_words": [], "quality_score": score, "quality_reasons": [], "provider": "offline", "model": "rules-v1",
            "prompt_version": "v1"}


# (supplier, item, status, raw_data, ai_data, market_data)
PRODUCTS = [
    ("ownerclan-main", "A1", "active",
     raw("ownerclan-main", "A1", "스테인리스 텀블러 500ml", 10000, variants=[("블랙", 20), ("화이트", 20)], images=2),
     ai({"smartstore": ("50000803", "생활/건강>주방용품>텀블러"), "coupang": ("80001", "주방용품>텀블러")}),
     {"smartstore": market("published", 15900, in_sync=True), "coupang": market("published", 16900, stock=40)}),
    ("ownerclan-main", "A2", "soldout",
     raw("ownerclan-main", "A2", "실리콘 뚜껑", 5000, stock=0, status="soldout"),
     ai({"smartstore": ("50000803", "생활/건강>주방용품>텀블러")}),
     {"smartstore": market("published", 4500, in_sync=True, stock=0, state="soldout")}),
    ("ownerclan-main", "A3", "active",
     raw("ownerclan-main", "A3", "캠핑 의자", 8000, stock=3, images=0),
     ai({"gmarket": ("300001", "캠핑>의자")}, score=0.4),
     {"gmarket": market("blocked", 13000, listable=False, blocked=["title too long", "missing notice"], stock=3)}),
    ("excel-acme", "B1", "active",
     raw("excel-acme", "B1", "무선 마우스", 20000, stock=8, brand=None),
     None,
     {"coupang": market("failed", 27000, last_error="invalid category", category_path="")}),
    ("excel-acme", "B2", "deleted",
     raw("excel-acme", "B2", "단종 상품", 3000, stock=0, status="deleted"),
     None, {}),
    ("excel-acme", "B3", "active",
     raw("excel-acme", "B3", "", "n/a", stock=50, category=None),
     None, {}),
]


def seed(conn: psycopg.Connection) -> None:
    ids = {}
    for supplier, item, status, r, a, m in PRODUCTS:
        ids[item] = conn.execute(
            "INSERT INTO source_data (supplier_key, supplier_item_id, raw_data, ai_data, market_data, content_hash, ai_source_hash, status)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (supplier, item, J(r), J(a) if a else None, J(m), f"hash-{item}", f"hash-{item}" if a else None, status),
        ).fetchone()[0]
    supplier_of = {p[1]: p[0] for p in PRODUCTS}

    def event(item, etype, payload, at, partition_key=None):
        conn.execute(
            "INSERT INTO source_data_events (product_id, supplier_key, supplier_item_id, event_type, payload, run_id, asset_key, partition_key, created_at)"
            " VALUES (%s, %s, %s, %s, %s, 'run-1', 'source_products', %s, " + at + ")",
            (ids[item], supplier_of[item], item, etype, J(payload), partition_key),
        )

    for item in ids:
        event(item, "ingested", {"set": {"status": "active"}}, "timestamptz '2026-03-09 08:00+00'")
    # supplier cost changes and listing price changes on two fixed days
    event("A1", "price_changed", {"diff": {"cost": [9500, 10000]}}, "timestamptz '2026-03-10 09:00+00'")
    event("A2", "price_changed", {"diff": {"cost": [5500, 5000]}}, "timestamptz '2026-03-10 23:59:59+00'")
    event("A1", "listed", {"market": "smartstore", "diff": {"price": [15000, 15900]}}, "timestamptz '2026-03-11 00:00+00'")
    event("B1", "price_changed", {"diff": {"cost": [21000, 20000]}}, "timestamptz '2026-03-11 12:00+00'", "excel-acme")
    # LLM usage: two days, one event with no usage at all
    event("A1", "enriched", {"usage": {"provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1200, "output_tokens": 300, "cost_usd": 0.0021}}, "timestamptz '2026-03-10 10:00+00'")
    event("A2", "enriched", {"usage": {"provider": "openai", "model": "gpt-4o-mini", "input_tokens": 800, "output_tokens": 200, "cost_usd": 0.0014}}, "timestamptz '2026-03-11 10:00+00'")
    event("A3", "enriched", {"set": {"ai_data": {"provider": "offline", "model": "rules-v1"}}}, "timestamptz '2026-03-11 11:00+00'")
    # recent activity for the stock-out and sync views
    event("A3", "stock_changed", {"diff": {"stock": [17, 3]}}, "now() - interval '2 days'")
    event("A1", "published", {"market": "smartstore"}, "now() - interval '5 hours'", "smartstore|ownerclan-main")
    event("B1", "publish_failed", {"error": {"message": "invalid category"}}, "now() - interval '3 hours'", "coupang|excel-acme")
    event("B1", "publish_failed", {"reason": "invalid category"}, "now() - interval '1 hours'", "coupang|excel-acme")
    conn.execute(
        "INSERT INTO quarantine (supplier_key, source, reason, raw, record_hash, resolved_at) VALUES"
        " ('excel-acme', 'acme.xlsx', 'cost is not a number', '{\"row\": 7}', 'q1', NULL),"
        " ('excel-acme', 'acme.xlsx', 'missing supplier_item_id', '{\"row\": 9}', 'q2', NULL),"
        " ('excel-acme', 'acme.xlsx', 'missing name', '{\"row\": 11}', 'q3', now())"
    )
    conn.execute(
        "INSERT INTO supplier_state (supplier_key, last_success) VALUES"
        " ('ownerclan-main', now() - interval '2 hours'), ('excel-acme', now() - interval '30 hours')"
    )


@pytest.fixture(scope="session")
def store_schema():
    schema = f"t_dbt_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path = "{schema}"')
        for path in sorted(MIGRATIONS.glob("*.sql")):
            conn.execute(path.read_text(encoding="utf-8").encode())
        with conn.transaction():
            seed(conn)
    yield schema
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_analytics" CASCADE')
        for suffix in ("_m", "_r", "_a", "_s", "_t"):
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}{suffix}" CASCADE')


@pytest.fixture
def conn(store_schema):
    with psycopg.connect(DATABASE_URL, options=f"-c search_path={store_schema}") as c:
        yield c


@pytest.fixture(scope="session")
def store(store_schema) -> StoreResource:
    return StoreResource(database_url=DATABASE_URL, search_path=store_schema)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


SEED_DAYS = ("2026-03-09", "2026-03-10", "2026-03-11")


@pytest.fixture(scope="session")
def built_analytics(store_schema, store, tmp_path_factory):
    """Every shipped model and check materialised with dg.materialize, one seed day per run."""
    from dbt_like_sql.dagster_assets import build_sql_assets

    schema = f"{store_schema}_analytics"
    report_path = tmp_path_factory.mktemp("report") / "analytics.html"
    defs = build_sql_assets(store_resource_key="store", schema=schema, report_path=report_path)
    instance = dg.DagsterInstance.ephemeral()
    results = [
        dg.materialize(defs, resources={"store": store}, partition_key=day, instance=instance, raise_on_error=False)
        for day in SEED_DAYS
    ]
    return {"schema": schema, "defs": defs, "results": results, "report_path": report_path, "instance": instance}
