"""Seed data for the order sandboxes: listings in the store for OwnerClan sandbox items (as if
`market_sync` had published them) and paid orders on the market sandboxes with synthetic
buyers. Used by the tests, the benchmark and the demo."""

from __future__ import annotations

import random
from typing import Any

from dropship_core.store.store import RunInfo, Store
from dropship_core.suppliers.base import Reject
from dropship_core.suppliers.ownerclan import normalize_item

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "도윤", "지우", "하준", "서윤", "은우", "지민", "예준", "수아", "시우", "하은"]
STREETS = ["서울특별시 강남구 테헤란로", "서울특별시 마포구 월드컵북로", "부산광역시 해운대구 센텀중앙로",
           "경기도 성남시 분당구 판교역로", "대구광역시 수성구 동대구로", "인천광역시 연수구 송도과학로"]


def fake_buyer(i: int) -> dict[str, str]:
    r = random.Random(i)
    return {"name": r.choice(SURNAMES) + r.choice(GIVEN),
            "phone": f"010-{r.randint(2000, 9999)}-{r.randint(1000, 9999)}",
            "address1": f"{r.choice(STREETS)} {r.randint(1, 400)}",
            "address2": f"{r.randint(101, 1504)}호", "zip": f"{r.randint(1000, 63999):05d}",
            "memo": r.choice(["문 앞", "경비실", "부재시 연락", ""])}


def publish_ownerclan_listings(store: Store, ownerclan_state, supplier_key: str, n: int,
                               markets: tuple[str, ...] = ("smartstore", "coupang", "gmarket"),
                               in_stock_only: bool = True) -> list[dict[str, Any]]:
    """`n` OwnerClan sandbox items as products with a published listing in every market."""
    products = []
    for key in ownerclan_state.order:
        node = ownerclan_state.item(key)
        if node["status"] != "available" or (in_stock_only and any(
                o["quantity"] < 50 for o in node["options"])):
            continue
        p = normalize_item(supplier_key, node)
        if isinstance(p, Reject):
            continue
        products.append(p)
        if len(products) >= n:
            break
    run = RunInfo.cli("seed")
    store.ingest(supplier_key, products, run)
    out = []
    for i, p in enumerate(products):
        row = store.get_by_supplier_item(supplier_key, p.supplier_item_id)
        out.append({"id": row["id"], "supplier_key": supplier_key, "item": p.supplier_item_id,
                    "code": f"{supplier_key}:{p.supplier_item_id}", "cost": p.cost,
                    "variants": [{"sku": v.sku, "options": v.options, "price_delta": v.price_delta}
                                 for v in p.variants], "goods_no": str(900000 + row["id"]),
                    "name": p.name})
    for m in markets:
        entries = []
        for o in out:
            listing = {"seller_code": o["code"], "price": int(o["cost"] * 1.4) // 10 * 10,
                       "cost": o["cost"], "title": o["name"],
                       "options": [{"sku": v["sku"], "options": v["options"],
                                    "price_delta": v["price_delta"], "stock": 99}
                                   for v in o["variants"]]}
            ext = {"goodsNo": int(o["goods_no"]), "siteGoodsNo_gmkt": "G" + o["goods_no"]} \
                if m == "gmarket" else {"originProductNo": int(o["goods_no"])}
            entries.append((o["id"], {"status": "published", "listing": listing, "external": ext}))
        store.set_market_entries(m, entries, run)
    return out


def order_spec(market: str, product: dict, i: int, quantity: int = 1) -> dict[str, Any]:
    v = product["variants"][i % len(product["variants"])] if product["variants"] else None
    spec = {"product_name": product["name"], "quantity": quantity,
            "unit_price": int(product["cost"] * 1.4) // 10 * 10, "buyer": fake_buyer(i)}
    if market == "smartstore":
        spec.update(seller_code=product["code"], option_code=v["sku"] if v else None,
                    customs_code=f"P{i:012d}" if i % 5 == 0 else None)
    elif market == "coupang":
        spec.update(external_sku=f"{product['code']}#{v['sku']}" if v else product["code"],
                    goods_no=product["goods_no"])
    else:
        spec.update(goods_no="G" + product["goods_no"], seller_code="")
    return spec


def seed_orders(order_state, market: str, products: list[dict], n: int, start: int = 0,
                unmatched: int = 0) -> list[str]:
    """`n` paid orders (round robin over products) plus `unmatched` ones for unknown codes."""
    ids = []
    with order_state.lock:
        for i in range(start, start + n):
            ids.append(str(order_state.seed(order_spec(market, products[i % len(products)], i))))
        for j in range(unmatched):
            ghost = {"name": "미등록 상품", "code": f"unknown:{j}", "goods_no": f"99{j}",
                     "cost": 5000, "variants": []}
            ids.append(str(order_state.seed(order_spec(market, ghost, 10_000 + j))))
    return ids
