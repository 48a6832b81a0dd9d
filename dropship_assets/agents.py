"""The AI conductor's agents, per market: insights, price recommendations, inventory alerts and
promotion plans. One step runs all four in order over a shared workflow context, from the
listings, the market evidence (market_prices) and real sales signals; it writes nothing when its
inputs did not change since the last run."""

import asyncio
from datetime import datetime, timedelta, timezone

import dagster as dg

from dropship_assets.common import OWNERS, md_table, run_info
from dropship_assets.partitions import market_partitions
from dropship_core import config as settings
from dropship_core.ai.agent_store import AgentStore
from dropship_core.ai.agents import Guardrails
from dropship_core.ai.brief import brief_facts, write_brief
from dropship_core.ai.conductor import Conductor, input_digest, listing_rows_from_store
from dropship_core.ai.conductor_memory import recall_fn, remember_decisions, remember_outcomes
from dropship_core.ai.memory_types import WorkflowContext
from dropship_core.evidence.store import EvidenceStore
from dropship_resources.llm import LLMResource, MemoryResource
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource

AGENT_ASSETS = ("market_insights", "price_recommendations", "inventory_alerts", "promotion_plans")
_DESCRIPTIONS = {
    "market_insights": "Per market: where our prices sit against comparable market prices, margin after fees, "
                       "category mix and gaps.",
    "price_recommendations": "Price changes backed by evidence (competitor price, sales rate, stock-out risk), "
                             "inside the pricing policy's guardrails, each with its reason and the evidence's age.",
    "inventory_alerts": "Live listings to pause, and stock-out risks from real rates.",
    "promotion_plans": "Discount and coupon candidates within the promotion budget.",
}
by_market = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="market")
KST = timezone(timedelta(hours=9))


class ConductorConfig(dg.Config):
    # auto: guarded price changes are applied through price_optimization without a person;
    # manual: they wait as pending_approval until `dropship agents approve`
    approval_mode: str = ""  # empty: DROPSHIP_PRICE_APPROVAL at run time (manual unless set)
    promotion_budget_krw: int = 100_000
    max_change_pct_per_day: float = 10.0
    min_change_pct: float = 3.0
    max_evidence_age_days: float = 3.0
    daily_brief: bool = True


def _approval_mode(config: ConductorConfig) -> str:
    return config.approval_mode or settings.get("DROPSHIP_PRICE_APPROVAL") or "manual"


def _meta(result, config, unchanged: bool, market: str):
    ins = result.market_insights.get(market, {}) if result else {}
    recs = result.price_recommendations if result else []
    alerts = result.inventory_alerts if result else []
    plans = result.promotion_plans.get("plans", []) if result else []
    yield dg.MaterializeResult(asset_key="market_insights", metadata={
        "inputs_unchanged": unchanged, "listings": dg.MetadataValue.int(int(ins.get("listings", 0) or 0)),
        "margin_rate_avg_after_fees": dg.MetadataValue.float(float(ins.get("margin_rate_avg_after_fees", 0) or 0)),
        "summary": dg.MetadataValue.json(ins)})
    yield dg.MaterializeResult(asset_key="price_recommendations", metadata={
        "inputs_unchanged": unchanged, "recommendations": dg.MetadataValue.int(len(recs)),
        "applied": dg.MetadataValue.int(len(result.to_apply) if result else 0),
        "held_back_by_memory": dg.MetadataValue.int(len(result.held_back) if result else 0),
        "approval_mode": _approval_mode(config),
        "preview": dg.MetadataValue.md(md_table(recs, ["product_id", "old_price", "new_price", "evidence_kind",
                                                      "status"]))})
    yield dg.MaterializeResult(asset_key="inventory_alerts", metadata={
        "inputs_unchanged": unchanged, "alerts": dg.MetadataValue.int(len(alerts)),
        "pause": dg.MetadataValue.int(sum(1 for a in alerts if a.get("action") == "pause")),
        "preview": dg.MetadataValue.md(md_table(alerts, ["product_id", "action", "reason"]))})
    yield dg.MaterializeResult(asset_key="promotion_plans", metadata={
        "inputs_unchanged": unchanged, "plans": dg.MetadataValue.int(len(plans)),
        "budget_krw": dg.MetadataValue.int(config.promotion_budget_krw),
        "preview": dg.MetadataValue.md(md_table(plans, ["product_id", "type", "discount_pct", "promo_price"]))})


@dg.multi_asset(
    specs=[dg.AssetSpec(name, description=_DESCRIPTIONS[name], group_name="agents", kinds={"python", "ai"},
                        owners=OWNERS, partitions_def=market_partitions,
                        deps=[dg.AssetDep("market_listings", partition_mapping=by_market),
                              dg.AssetDep("market_prices", partition_mapping=by_market)])
           for name in AGENT_ASSETS],
    partitions_def=market_partitions,
    can_subset=False,
)
def agent_conductor(context: dg.AssetExecutionContext, config: ConductorConfig, store: StoreResource,
                    pricing: PricingResource, memory: MemoryResource, llm: LLMResource):
    market = context.partition_key
    url = store.resolved_url()
    agents, evidence = AgentStore(url), EvidenceStore(url)
    rows = agents.listing_rows(market)
    velocity = evidence.supplier_stock_velocity([r["id"] for r in rows])
    sales: dict = {}  # units/day from collected orders: none are collected yet, so none is claimed
    lrows = listing_rows_from_store(rows, evidence.market_prices(market), sales, velocity)
    approved = agents.approved(market)
    g = Guardrails(policy=pricing.policy(), max_change_pct_per_day=config.max_change_pct_per_day,
                   min_change_pct=config.min_change_pct, max_evidence_age_days=config.max_evidence_age_days)
    digest = input_digest(market, lrows, g, approved, {"mode": _approval_mode(config),
                                                       "budget": config.promotion_budget_krw})
    if digest == agents.last_digest(market):
        context.log.info(f"{market}: inputs unchanged since the last run ({digest}); nothing written")
        yield from _meta(None, config, True, market)
        return
    backends = memory.get_backends(default_dsn=url)
    asyncio.run(remember_outcomes(agents.applied_changes(market), sales, backends.vectors))
    conductor = Conductor(g, approval_mode=_approval_mode(config), approved=approved,
                          promotion_budget_krw=config.promotion_budget_krw)
    result = conductor.run(lrows, WorkflowContext(run_id=context.run.run_id), recall=recall_fn(backends.vectors))
    agents.record_run(market, context.run.run_id, digest, result.decisions, asset_key="agents")
    asyncio.run(remember_decisions(result, backends.vectors, context_id=f"market:{market}"))
    run = run_info(context)
    for rec in result.to_apply:  # to the listing as an override; price_optimization pushes it
        store.store.update_market_data(rec["product_id"], market, {"price_override": rec["new_price"]}, run,
                                       event_type="price_override_set",
                                       payload={"old_price": rec["old_price"], "reasons": rec.get("reasons", [])})
    if config.daily_brief and llm.provider_name() != "offline":
        facts = brief_facts(market, result)
        client = llm.get_client()
        text, why_not = write_brief(client, facts)
        if text:
            agents.save_brief(market, datetime.now(KST).date(), client.provider, client.model, text, facts,
                              context.run.run_id)
        else:
            context.log.warning(f"{market}: daily brief not stored: {why_not}")
    yield from _meta(result, config, False, market)
