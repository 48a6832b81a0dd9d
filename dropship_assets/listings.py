"""market_listings: per market and supplier, the listing each marketplace would get."""


from collections import Counter

import dagster as dg

from dropship_assets.common import OWNERS, follow_upstream, md_table, run_info
from dropship_assets.enrichment import enriched_products
from dropship_assets.partitions import market_supplier_partitions, supplier_to_market_supplier
from dropship_core.listing import LISTING_RULES_VERSION, market_entry_or_error
from dropship_core.markets.metadata import shipped
from dropship_core.markets.names import TITLE_LIMITS
from dropship_core.store.metadata_store import MetadataStore
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource


def split_key(context: dg.AssetExecutionContext) -> tuple[str, str]:
    keys = context.partition_key.keys_by_dimension
    return keys["market"], keys["supplier"]


@dg.asset(
    partitions_def=market_supplier_partitions,
    deps=[dg.AssetDep(enriched_products, partition_mapping=supplier_to_market_supplier)],
    group_name="listings",
    kinds={"python", "postgres"},
    owners=OWNERS,
    automation_condition=follow_upstream(),
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
    market, supplier = split_key(context)
    policy = pricing.policy()
    mp = policy.for_market(market)
    s = store.store
    # what market_categories / market_category_rules stored, else the shipped snapshot
    md = MetadataStore(s).load(market) or shipped(market)
    suffix = f"{policy.fingerprint()}:{LISTING_RULES_VERSION}:{md.version}"
    rows = s.listing_inputs(supplier, market, suffix)
    out = []
    reasons: Counter[str] = Counter()
    invalid = []
    for r in rows:
        entry = market_entry_or_error(market, r["raw_data"], r["ai_data"], mp, r["entry"], r["input_key"],
                                      metadata=md)
        if entry.get("invalid_data"):
            invalid.append({"id": r["id"], "reason": entry["blocked_reasons"][0]})
            context.log.warning(f"product {r['id']}: {entry['blocked_reasons'][0]}")
        for why in entry["blocked_reasons"]:
            reasons[why.split(":")[0]] += 1
        out.append((r["id"], entry))
    written = s.set_market_entries(market, out, run_info(context))
    counts = s.listing_status_counts(supplier, market)
    limit = TITLE_LIMITS[market]
    checks = s.listing_check_counts(supplier, market, limit.get("chars") or limit.get("bytes"),
                                    in_bytes="bytes" in limit)
    too_long, under_cost = checks["titles_over_limit"], checks["listable_at_or_below_cost"]
    banned = checks["listable_with_banned_words"]
    yield dg.MaterializeResult(
        metadata={
            "recomputed": dg.MetadataValue.int(len(out)),
            "changed": dg.MetadataValue.int(written),
            **{f"status_{k}": dg.MetadataValue.int(v) for k, v in sorted(counts.items()) if k},
            "blocked_reasons": dg.MetadataValue.json(dict(reasons)),
            "invalid_product_data": dg.MetadataValue.int(len(invalid)),
            "preview": dg.MetadataValue.md(md_table(
                ({"id": pid, "title": e["listing"]["title"], "price": e["listing"]["price"],
                  "stock": e["listing"]["stock"], "status": e["status"]} for pid, e in out),
                ["id", "title", "price", "stock", "status"])),
        }
    )
    yield dg.AssetCheckResult(check_name="titles_within_limit", passed=too_long == 0,
                              metadata={"titles_over_limit": too_long})
    yield dg.AssetCheckResult(check_name="prices_above_cost", passed=under_cost == 0,
                              metadata={"listable_at_or_below_cost": under_cost})
    yield dg.AssetCheckResult(check_name="no_banned_words_listable", passed=banned == 0,
                              metadata={"listable_with_banned_words": banned})
    n_invalid = s.invalid_listing_count(supplier, market)
    yield dg.AssetCheckResult(check_name="no_invalid_product_data", passed=n_invalid == 0,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"invalid_products": n_invalid,
                                        "examples": dg.MetadataValue.json(invalid[:20])})
