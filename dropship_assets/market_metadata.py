"""market_categories / market_category_rules: each market's category tree and the rules of the
categories the catalog uses, from the market's own API when its credentials are configured,
else the shipped snapshot. Refreshed weekly by a schedule, and on demand."""

from collections import Counter

import dagster as dg

from dropship_assets.common import OWNERS
from dropship_assets.enrichment import enriched_products
from dropship_assets.partitions import market_partitions
from dropship_core.markets.metadata.service import needed_ids, refresh_rules, refresh_tree
from dropship_core.markets.names import MARKETS
from dropship_core.store.metadata_store import MetadataStore
from dropship_resources.markets import MarketplacesResource
from dropship_resources.store import StoreResource


class MetadataRefreshConfig(dg.Config):
    force: bool = False          # re-read the tree and every used category's rules
    max_age_hours: float = 24.0  # a tree read from the API more recently is kept as it is


def _age_hours(md) -> float:
    from datetime import datetime, timezone
    if not md.fetched_at:
        return float("inf")
    return (datetime.now(timezone.utc) - datetime.fromisoformat(md.fetched_at)).total_seconds() / 3600


def client_or_none(marketplaces: MarketplacesResource, market: str):
    """The market's client when its credentials are configured, else None (snapshot)."""
    try:
        return marketplaces.client(market)
    except ValueError:
        return None


@dg.asset(partitions_def=market_partitions, group_name="markets", kinds={"python", "postgres"},
          owners=OWNERS)
def market_categories(context: dg.AssetExecutionContext, config: MetadataRefreshConfig,
                      store: StoreResource, marketplaces: MarketplacesResource
                      ) -> dg.MaterializeResult:
    """The market's category tree: from its category API when credentials are set (Coupang
    `meta/display-categories`, Naver `/v1/categories`, ESM `site-cats`), else the shipped
    snapshot (ESM has none). Rules already read for unchanged categories are kept."""
    market = context.partition_key
    ms = MetadataStore(store.store)
    previous = ms.load(market)
    client = client_or_none(marketplaces, market)
    if client is not None and previous is not None and not config.force and \
            previous.source.startswith("api") and _age_hours(previous) < config.max_age_hours:
        client.close()
        return dg.MaterializeResult(metadata={"source": previous.source, "version": previous.version,
                                              "categories": len(previous.rules),
                                              "refreshed": False})
    try:
        md = refresh_tree(market, client, previous)
    finally:
        if client is not None:
            client.close()
    ms.save(md)
    leaves = sum(1 for r in md.rules.values() if r.leaf)
    return dg.MaterializeResult(metadata={
        "source": md.source, "version": md.version, "categories": len(md.rules),
        "leaves": leaves, "refreshed": True, **{f"extra_{k}": str(v) for k, v in md.extra.items()}})


@dg.asset(partitions_def=market_partitions, group_name="markets", kinds={"python", "postgres"},
          owners=OWNERS,
          deps=[market_categories,
                dg.AssetDep(enriched_products, partition_mapping=dg.AllPartitionMapping())],
          check_specs=[dg.AssetCheckSpec("rules_cover_catalog", asset="market_category_rules",
                                         description="Every category the catalog maps to has "
                                                     "rules from the market (with credentials).")])
def market_category_rules(context: dg.AssetExecutionContext, config: MetadataRefreshConfig,
                          store: StoreResource, marketplaces: MarketplacesResource):
    """Per-category rules of the categories the catalog maps to: notice types and items,
    required purchase options, certifications, ESM recommended options."""
    market = context.partition_key
    ms = MetadataStore(store.store)
    md = ms.load(market)
    if md is None:
        raise dg.Failure(f"no {market} category tree stored: materialize market_categories first")
    client = client_or_none(marketplaces, market)
    catalog = ms.catalog_categories()
    try:
        md, read = refresh_rules(md, client, catalog, force=config.force)
    finally:
        if client is not None:
            client.close()
    if read:
        ms.save(md)
    sources = Counter(r.source for r in md.rules.values())
    yield dg.MaterializeResult(metadata={"version": md.version, "rules_read": read,
                                         **{f"rules_{k}": v for k, v in sources.items()}})
    missing = [i for i in needed_ids(market, md, catalog) if md.rules[i].source == "api-tree"]
    yield dg.AssetCheckResult(check_name="rules_cover_catalog", passed=not missing,
                              metadata={"without_rules": len(missing)})


market_metadata_job = dg.define_asset_job(
    "market_metadata", selection=[market_categories, market_category_rules],
    partitions_def=market_partitions,
    description="Refresh each market's category tree and the rules of the categories in use.")


@dg.schedule(job=market_metadata_job, cron_schedule="0 4 * * 1", execution_timezone="Asia/Seoul",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Weekly: every market's categories and category rules.")
def market_metadata_schedule(context: dg.ScheduleEvaluationContext):
    stamp = context.scheduled_execution_time.strftime("%Y%m%d")
    return [dg.RunRequest(run_key=f"metadata:{m}:{stamp}", partition_key=m) for m in MARKETS]
