"""enriched_products: each product's ai_data (clean name, per-market titles, categories, score)."""


import dagster as dg

from dropship_assets.common import OWNERS, md_table, run_info
from dropship_assets.partitions import supplier_partitions
from dropship_assets.products import source_products
from dropship_core import enrich_basic
from dropship_resources.store import StoreResource


@dg.asset(
    partitions_def=supplier_partitions,
    deps=[source_products],
    group_name="enrichment",
    kinds={"python", "postgres"},
    owners=OWNERS,
    automation_condition=dg.AutomationCondition.eager(),
)
def enriched_products(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """ai_data for every product whose content (or the enricher) changed since it was last
    enriched: a clean name, a title per market within its limit, attributes, categories and a
    quality score with its reasons. Unchanged products are not touched."""
    s = store.store
    run = run_info(context)
    version = enrich_basic.VERSION
    pending = s.pending_enrichment(context.partition_key, version)
    rows = []
    for p in pending:
        ai = enrich_basic.enrich(p["raw_data"])
        rows.append((p["id"], ai, f"{p['content_hash']}:{version}"))
    written = s.set_ai_data(rows, run)
    scores = [r[1]["quality_score"] for r in rows]
    return dg.MaterializeResult(
        metadata={
            "enriched": dg.MetadataValue.int(written),
            "considered": dg.MetadataValue.int(len(pending)),
            "mean_quality_score": dg.MetadataValue.float(round(sum(scores) / len(scores), 3) if scores else 0.0),
            "provider": "offline",
            "preview": dg.MetadataValue.md(md_table(
                ({"id": r[0], "clean_name": r[1]["clean_name"], "score": r[1]["quality_score"]} for r in rows),
                ["id", "clean_name", "score"])),
        }
    )
