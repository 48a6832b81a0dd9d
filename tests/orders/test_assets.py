"""The orders asset per market partition, its checks and events, and the sensor."""

from __future__ import annotations

import dagster as dg

from dropship_assets.orders import order_retention, orders
from dropship_core.orders.store import OrderStore
from dropship_resources.orders import OrdersResource
from dropship_sandbox.order_seed import seed_orders
from dropship_sensors.orders import orders_sensor


def test_orders_asset_per_market(stack, db_url, order_env, products):
    seed_orders(stack.orders["coupang"], "coupang", products, 4, unmatched=1)
    res = dg.materialize([orders], partition_key="coupang",
                         resources={"order_flow": OrdersResource(database_url=db_url, settle_s=0)})
    assert res.success
    mat = res.asset_materializations_for_node("orders")[0]
    assert mat.metadata["new"].value == 5 and mat.metadata["placed"].value == 4
    assert mat.metadata["unmatched"].value == 1
    checks = {c.check_name: c.passed for c in res.get_asset_check_evaluations()}
    assert checks == {"nothing_in_flight": True, "no_receiver_mismatch": True}
    st = OrderStore(db_url)
    line = st.lines(status="confirmed")[0]
    ev = st.events(line["id"])
    assert {e["run_id"] for e in ev} == {res.run_id}
    assert {e["asset_key"] for e in ev} == {"orders"} and {e["partition_key"] for e in ev} == {"coupang"}
    # supplier ships; the next run dispatches
    stack.orders["ownerclan"].ship(None)
    res2 = dg.materialize([orders], partition_key="coupang",
                          resources={"order_flow": OrdersResource(database_url=db_url, settle_s=0)})
    assert res2.asset_materializations_for_node("orders")[0].metadata["shipped"].value == 4
    assert res2.asset_materializations_for_node("orders")[0].metadata["new"].value == 0
    r3 = dg.materialize([order_retention],
                        resources={"order_flow": OrdersResource(database_url=db_url)})
    assert r3.success


def test_orders_sensor_one_run_per_market_per_interval():
    with dg.instance_for_test() as inst:
        ctx = dg.build_sensor_context(instance=inst)
        reqs = orders_sensor(ctx)
        assert sorted(r.partition_key for r in reqs) == ["coupang", "gmarket", "smartstore"]
        again = orders_sensor(dg.build_sensor_context(instance=inst, cursor=ctx.cursor))
        assert isinstance(again, dg.SkipReason)
