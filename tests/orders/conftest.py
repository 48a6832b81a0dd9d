"""Order tests: the order sandboxes on the existing sandbox hosts, a store schema per test, and
listings for OwnerClan sandbox items as if they had been published."""

from __future__ import annotations

import httpx
import pytest

from dropship_core.orders.pii import new_key_spec
from dropship_core.orders.service import Orders
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo, Store
from dropship_sandbox.order_seed import publish_ownerclan_listings
from dropship_sandbox.orders_stack import start_order_stack

SUPPLIER = "ownerclan-sandbox"


@pytest.fixture
def stack():
    st = start_order_stack(ownerclan_items=200, rate_limits=False, esm_query_interval_s=0.2)
    yield st
    st.stop()


@pytest.fixture
def order_env(stack, monkeypatch, tmp_path):
    for k, v in stack.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DROPSHIP_PII_KEY", new_key_spec("test1"))
    monkeypatch.setenv("DROPSHIP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DROPSHIP_SUPPLIERS", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("DROPSHIP_OWNERCLAN_ORDER_TIMEOUT_S", "1.0")
    monkeypatch.setenv("DROPSHIP_OWNERCLAN_ORDER_INTERVAL_S", "0")
    return stack.env


@pytest.fixture
def products(db_url, stack, order_env):
    store = Store(db_url)
    store.migrate()
    return publish_ownerclan_listings(store, stack.base["ownerclan"], SUPPLIER, 12)


@pytest.fixture
def orders(db_url, order_env, products):
    o = Orders(OrderStore(db_url), settle_s=0.0)
    yield o
    o.close()
    o.store.close()


@pytest.fixture
def run():
    return RunInfo(run_id="test-run", asset_key="orders", partition_key="coupang")


def calls(stack, name: str) -> dict:
    return httpx.get(f"{stack.url(name)}/__orders/calls").json()


def arm(stack, name: str, faults: list[dict], delay: float = 1.5) -> None:
    r = httpx.post(f"{stack.url(name)}/__orders/faults", json={"faults": faults, "delay": delay})
    r.raise_for_status()
