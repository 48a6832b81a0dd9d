"""orders: per market, new paid orders collected, placed with the supplier, confirmed, shipped.

Every order state change is an order_events row with this run, asset and partition; buyer data
never reaches metadata or logs (counts only)."""


import dagster as dg

from dropship_assets.common import OWNERS, run_info
from dropship_assets.partitions import market_partitions
from dropship_core.orders.service import market_cycle
from dropship_resources.orders import OrdersResource

IN_FLIGHT = ("placing", "dispatching", "cancelling")


@dg.asset(
    partitions_def=market_partitions,
    group_name="orders",
    kinds={"python", "api", "postgres"},
    owners=OWNERS,
    retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
    check_specs=[dg.AssetCheckSpec("nothing_in_flight", asset="orders",
                                   description="No order line is left placing, dispatching or "
                                               "cancelling with an unknown outcome."),
                 dg.AssetCheckSpec("no_receiver_mismatch", asset="orders",
                                   description="No placed line whose receiver changed after the "
                                               "supplier order went out.")],
)
def orders(context: dg.AssetExecutionContext, order_flow: OrdersResource):
    """Collect paid orders (SmartStore changed statuses, Coupang ACCEPT ordersheets, ESM new
    orders), match them to listings (unmatched kept with the reason), place them with OwnerClan
    exactly once (or write purchase-order sheets), confirm on the market, push tracking, and
    cancel sold-out lines with the market's reason code."""
    market = context.partition_key
    flow = order_flow.open()
    try:
        out = market_cycle(flow, market, run_info(context))
        status = out["status"]
        mismatch = sum(1 for r in flow.store.lines(market=market, status=["placed", "confirmed"])
                       if r["receiver_mismatch"])
    finally:
        flow.close()
        flow.store.close()
    in_flight = sum(status.get(s, 0) for s in IN_FLIGHT)
    c = out["collect"]
    meta = {"collected": c["collected"], "new": c["new"], "updated": c["updated"],
            "unmatched": c["unmatched"], "placed": int(out["place"].get("placed", 0)),
            "shipped": out["ship"]["shipped"], "cancelled": out["cancel"]["cancelled"],
            "status": dg.MetadataValue.json(status)}
    return dg.MaterializeResult(metadata=meta, check_results=[
        dg.AssetCheckResult(check_name="nothing_in_flight", passed=in_flight == 0,
                            severity=dg.AssetCheckSeverity.WARN,
                            metadata={"in_flight": in_flight}),
        dg.AssetCheckResult(check_name="no_receiver_mismatch", passed=mismatch == 0,
                            severity=dg.AssetCheckSeverity.WARN, metadata={"lines": mismatch}),
    ])


@dg.asset(group_name="orders", kinds={"postgres"}, owners=OWNERS, deps=[orders])
def order_retention(context: dg.AssetExecutionContext, order_flow: OrdersResource):
    """Buyer names, phones and addresses redacted once delivery plus the claim window is over;
    the transaction record (amounts, items, dates) is kept."""
    flow = order_flow.open()
    try:
        n = flow.store.redact_due(run_info(context))
    finally:
        flow.store.close()
    return dg.MaterializeResult(metadata={"redacted": n})


orders_job = dg.define_asset_job("orders_job", selection=[orders], partitions_def=market_partitions,
                                 description="One market's order cycle.")
