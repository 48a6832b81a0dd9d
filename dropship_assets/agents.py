"""The AI conductor's agents, per market: insights, price recommendations, inventory alerts and
promotion plans. One step runs all four in order over a shared workflow context."""

import dagster as dg

from dropship_assets.common import OWNERS, md_table, run_info
from dropship_assets.partitions import market_partitions
from dropship_core import config as settings
from dropship_core.ai.agents import Conductor, Guardrails, listing_rows_from_store
from dropship_core.ai.memory import WorkflowContext
from dropship_resources.store import StoreResource

AGENT_ASSETS = ("market_insights", "price_recommendations", "inventory_alerts", "promotion_plans")
_DESCRIPTIONS = {
    "market_insights": "Per market: price position, category mix and gaps of what is listed.",
    "price_recommendations": "Guarded price changes with reasons: never below cost plus the minimum margin, "
                             "never more than the daily maximum change.",
    "inventory_alerts": "Stock-out risks and listings to pause.",
    "promotion_plans": "Discount and coupon candidates within the promotion budget.",
}
listings_by_market = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="market")


class ConductorConfig(dg.Config):
    # auto: guarded price changes are applied through price_optimization without a person;
    # manual: they wait as pending_approval until `dropship agents approve ID`
    approval_mode: str = ""  # empty: DROPSHIP_PRICE_APPROVAL at run time (manual unless set)
    promotion_budget_krw: int = 100_000
    max_change_pct_per_day: float = 10.0


@dg.multi_asset(
    specs=[dg.AssetSpec(name, description=_DESCRIPTIONS[name], group_name="agents", kinds={"python", "ai"},
                        owners=OWNERS, partitions_def=market_partitions,
                        deps=[dg.AssetDep("market_listings", partition_mapping=listings_by_market)])
           for name in AGENT_ASSETS],
    partitions_def=market_partitions,
    can_subset=False,
)
def agent_conductor(context: dg.AssetExecutionContext, config: ConductorConfig, store: StoreResource):
    approval_mode = config.approval_mode or settings.get("DROPSHIP_PRICE_APPROVAL") or "manual"
    market = context.partition_key
    run = run_info(context)  # asset key: the four agent assets together
    s = store.store
    rows = s.agent_listing_rows(market)
    approved = {(pid, market) for pid in s.approved_product_ids(market)}
    conductor = Conductor(Guardrails(max_change_pct_per_day=config.max_change_pct_per_day),
                          approval_mode=approval_mode, approved=approved,
                          promotion_budget_krw=config.promotion_budget_krw)
    result = conductor.run(listing_rows_from_store(rows), WorkflowContext(run_id=context.run.run_id))
    # a person's approval is used once: it becomes `applied` or is superseded by this run
    s.replace_agent_decisions(market, context.run.run_id, [
        {"agent": d["agent"], "kind": d["kind"], "product_id": d.get("product_id"),
         "status": {"to_apply": "applied"}.get(d.get("status"), d.get("status") or "recorded"), "payload": d}
        for d in result.decisions])
    for d in result.decisions:
        if d.get("product_id") is not None and d["kind"] in ("price_recommendation", "inventory_alert"):
            s.record_event(d["product_id"], d["kind"], {"market": market, "agent": d["agent"],
                                                        "decision": {k: v for k, v in d.items() if k != "agent"}}, run)
    # approved (or auto) price changes go to the listing as an override; price_optimization and
    # market_sync push them like any other price change
    for rec in result.to_apply:
        s.update_market_data(rec["product_id"], market, {"price_override": rec["new_price"]}, run,
                             event_type="price_override_set",
                             payload={"old_price": rec["old_price"], "reasons": rec.get("reasons", [])})
    ins = result.market_insights.get(market, {})
    yield dg.MaterializeResult(asset_key="market_insights", metadata={
        "listings": dg.MetadataValue.int(int(ins.get("listings", 0) or 0)),
        "margin_rate_avg": dg.MetadataValue.float(float(ins.get("margin_rate_avg", 0) or 0)),
        "summary": dg.MetadataValue.json(ins)})
    recs = result.price_recommendations
    yield dg.MaterializeResult(asset_key="price_recommendations", metadata={
        "recommendations": dg.MetadataValue.int(len(recs)),
        "applied": dg.MetadataValue.int(len(result.to_apply)),
        "pending_approval": dg.MetadataValue.int(sum(1 for r in recs if r.get("status") == "pending_approval")),
        "approval_mode": approval_mode,
        "preview": dg.MetadataValue.md(md_table(recs, ["product_id", "old_price", "new_price", "status"]))})
    yield dg.MaterializeResult(asset_key="inventory_alerts", metadata={
        "alerts": dg.MetadataValue.int(len(result.inventory_alerts)),
        "pause": dg.MetadataValue.int(sum(1 for a in result.inventory_alerts if a.get("action") == "pause")),
        "preview": dg.MetadataValue.md(md_table(result.inventory_alerts, ["product_id", "action", "reason"]))})
    plans = result.promotion_plans.get("plans", [])
    yield dg.MaterializeResult(asset_key="promotion_plans", metadata={
        "plans": dg.MetadataValue.int(len(plans)),
        "budget_krw": dg.MetadataValue.int(config.promotion_budget_krw),
        "preview": dg.MetadataValue.md(md_table(plans, ["product_id", "type", "discount_pct", "promo_price"]))})
