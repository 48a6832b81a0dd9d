"""market_listings: per market and supplier, the listing each marketplace would get."""


from collections import Counter

import dagster as dg

from dropship_assets.common import md_table, pipeline_asset, run_info
from dropship_assets.enrichment import enriched_products
from dropship_assets.partitions import market_supplier_partitions, supplier_to_market_supplier
from dropship_core.listing import LISTING_RULES_VERSION, market_entry_or_error
from dropship_core.markets.metadata import shipped
from dropship_core.markets.metadata.mapping import overrides_fingerprint
from dropship_core.markets.names import TITLE_LIMITS
from dropship_core.store.metadata_store import MetadataStore
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource


SUPPLIERS_PER_READ = 20


def split_key(context: dg.AssetExecutionContext) -> tuple[str, str]:
    keys = context.partition_key.keys_by_dimension
    return keys["market"], keys["supplier"]


def partition_pairs(context: dg.AssetExecutionContext) -> list[tuple[str, str]]:
    """(market, supplier) of every partition of this run: one, or all of a ranged run (the
    inventory and price cycles run one range per market, see BackfillPolicy.single_run)."""
    pairs = []
    for key in context.partition_keys:
        dims = market_supplier_partitions.get_partition_key_from_str(key).keys_by_dimension
        pairs.append((dims["market"], dims["supplier"]))
    return pairs


def suppliers_by_market(context: dg.AssetExecutionContext) -> dict[str, list[str]]:
    """The run's suppliers per market: a ranged run reads and counts each market's partitions in
    one query instead of one per partition."""
    out: dict[str, list[str]] = {}
    for market, supplier in partition_pairs(context):
        out.setdefault(market, []).append(supplier)
    return out


@pipeline_asset(
    group="listings", kinds={"python", "postgres"},
    partitions_def=market_supplier_partitions,
    deps=[dg.AssetDep(enriched_products, partition_mapping=supplier_to_market_supplier)],
    # a cycle over many suppliers runs as one run per market range, not one run per partition
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[
        dg.AssetCheckSpec("titles_within_limit", asset="market_listings", blocking=True,
                          description="Every listing title fits its marketplace's limit."),
        dg.AssetCheckSpec("prices_above_cost", asset="market_listings", blocking=True,
                          description="No listable product is priced at or below its cost."),
        dg.AssetCheckSpec("no_banned_words_listable", asset="market_listings",
                          description="Products with banned words are blocked, not listable."),
        # blocking, at WARN: it reports the count, while the rest of the partition goes on to the
        # market (the invalid products are blocked, their live listings stopped)
        dg.AssetCheckSpec("no_invalid_product_data", asset="market_listings", blocking=True,
                          description="Every product's stored data can be turned into a listing; "
                                      "the ones that cannot are blocked with the reason."),
    ],
)
def market_listings(context: dg.AssetExecutionContext, store: StoreResource, pricing: PricingResource):
    """The listing a marketplace would get for each product of a supplier: title within the
    market's limit, sale price from the pricing policy, stock after the safety buffer, options,
    category, and a diff against what was listed before. Products that cannot be listed carry the
    reasons. Only products whose content, enrichment or pricing policy changed are recomputed."""
    s = store.store
    policy = pricing.policy()
    total: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    invalid: list[dict] = []
    out_all: list = []
    by_market = suppliers_by_market(context)
    for market, suppliers in sorted(by_market.items()):
        # what market_categories / market_category_rules stored, else the shipped snapshot
        md = MetadataStore(s).load(market) or shipped(market)
        # a few suppliers at a time: memory stays bounded when a whole catalog is recomputed
        for i in range(0, len(suppliers), SUPPLIERS_PER_READ):
            out = _listings_for(s, policy, md, suppliers[i:i + SUPPLIERS_PER_READ], reasons, invalid,
                                context.log)
            out_all += out[:max(0, 20 - len(out_all))]  # the preview shows the first 20
            total["recomputed"] += len(out)
            total["changed"] += s.set_market_entries(market, out, run_info(context))
        counts.update(s.listing_status_counts(suppliers, market))
        limit = TITLE_LIMITS[market]
        total.update(s.listing_check_counts(suppliers, market, limit.get("chars") or limit.get("bytes"),
                                            in_bytes="bytes" in limit))
    too_long, under_cost = total["titles_over_limit"], total["listable_at_or_below_cost"]
    banned = total["listable_with_banned_words"]
    yield dg.MaterializeResult(
        metadata={
            "recomputed": dg.MetadataValue.int(total["recomputed"]),
            "changed": dg.MetadataValue.int(total["changed"]),
            **{f"status_{k}": dg.MetadataValue.int(v) for k, v in sorted(counts.items()) if k},
            "blocked_reasons": dg.MetadataValue.json(dict(reasons)),
            "invalid_product_data": dg.MetadataValue.int(len(invalid)),
            "partitions_in_run": dg.MetadataValue.int(len(context.partition_keys)),
            "preview": dg.MetadataValue.md(md_table(
                ({"id": pid, "title": e["listing"]["title"], "price": e["listing"]["price"],
                  "stock": e["listing"]["stock"], "status": e["status"]} for pid, e in out_all),
                ["id", "title", "price", "stock", "status"])),
        }
    )
    yield dg.AssetCheckResult(check_name="titles_within_limit", passed=too_long == 0,
                              metadata={"titles_over_limit": too_long})
    yield dg.AssetCheckResult(check_name="prices_above_cost", passed=under_cost == 0,
                              metadata={"listable_at_or_below_cost": under_cost})
    yield dg.AssetCheckResult(check_name="no_banned_words_listable", passed=banned == 0,
                              metadata={"listable_with_banned_words": banned})
    n_invalid = sum(s.invalid_listing_count(suppliers, market) for market, suppliers in by_market.items())
    yield dg.AssetCheckResult(check_name="no_invalid_product_data", passed=n_invalid == 0,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"invalid_products": n_invalid,
                                        "examples": dg.MetadataValue.json(invalid[:20])})


def _listings_for(s, policy, md, suppliers: list[str], reasons: Counter, invalid: list, log) -> list:
    """The recomputed entries of one market's partitions in this run; a product whose data breaks the
    builder is blocked with the reason (and counted in `invalid`), the others go on."""
    market = md.market
    mp = policy.for_market(market)
    # the category override file is an input too: editing it re-lists what it may move
    suffix = f"{policy.fingerprint()}:{LISTING_RULES_VERSION}:{md.version}:{overrides_fingerprint()}"
    out = []
    for r in s.listing_inputs(suppliers, market, suffix):
        entry = market_entry_or_error(market, r["raw_data"], r["ai_data"], mp, r["entry"], r["input_key"],
                                      metadata=md)
        if entry.get("invalid_data"):
            invalid.append({"id": r["id"], "market": market, "reason": entry["blocked_reasons"][0]})
            log.warning(f"product {r['id']} on {market}: {entry['blocked_reasons'][0]}")
        for why in entry["blocked_reasons"]:
            reasons[why.split(":")[0]] += 1
        out.append((r["id"], entry))
    return out
