"""enriched_products: each product's ai_data (clean name, per-market titles, categories, score)."""

from collections import Counter

import dagster as dg

from dropship_assets.common import OWNERS, md_table, run_info
from dropship_assets.partitions import supplier_partitions
from dropship_assets.products import source_products
from dropship_core.ai.offline import OfflineEnricher, ai_data_problems
from dropship_core.markets.names import MARKETS
from dropship_resources.store import StoreResource


def enricher_version(enricher) -> str:
    """Part of ai_source_hash: a new model or prompt version re-enriches every product."""
    return f"{enricher.provider}:{enricher.model}:{enricher.prompt_version}"


@dg.asset(
    partitions_def=supplier_partitions,
    deps=[source_products],
    group_name="enrichment",
    kinds={"python", "postgres"},
    owners=OWNERS,
    automation_condition=dg.AutomationCondition.eager(),
    check_specs=[
        dg.AssetCheckSpec("ai_data_valid", asset="enriched_products", blocking=True,
                          description="Titles within limits and free of banned words, categories are leaves, "
                                      "scores in [0, 1]."),
    ],
)
def enriched_products(context: dg.AssetExecutionContext, store: StoreResource):
    """ai_data for every product whose content (or the enricher) changed since it was last
    enriched: a clean name, a title per market within its limit, a sanitised description,
    attributes, a category in each market's tree with a confidence, banned-word flags and a
    quality score with its reasons. Unchanged products are not touched."""
    s = store.store
    run = run_info(context)
    enricher = OfflineEnricher()
    version = enricher_version(enricher)
    pending = s.pending_enrichment(context.partition_key, version)
    docs = enricher.enrich_many([p["raw_data"] for p in pending]) if pending else []
    rows = [(p["id"], ai, f"{p['content_hash']}:{version}") for p, ai in zip(pending, docs)]
    written = s.set_ai_data(rows, run)
    problems: Counter[str] = Counter()
    for ai in docs:
        for why in ai_data_problems(ai):
            problems[why.split(":")[0]] += 1
    scores = [ai["quality_score"] for ai in docs]
    mapped = {m: sum(1 for ai in docs if (ai.get("categories") or {}).get(m)) for m in MARKETS}
    yield dg.MaterializeResult(
        metadata={
            "enriched": dg.MetadataValue.int(written),
            "considered": dg.MetadataValue.int(len(pending)),
            "mean_quality_score": dg.MetadataValue.float(round(sum(scores) / len(scores), 3) if scores else 0.0),
            **{f"category_mapped_{m}": dg.MetadataValue.int(n) for m, n in mapped.items()},
            "with_banned_words": dg.MetadataValue.int(sum(1 for ai in docs if ai.get("banned_words"))),
            "provider": enricher.provider,
            "model": enricher.model,
            "prompt_version": enricher.prompt_version,
            "llm_tokens": dg.MetadataValue.int(0),
            "llm_cost_usd": dg.MetadataValue.float(0.0),
            "preview": dg.MetadataValue.md(md_table(
                ({"id": pid, "clean_name": ai["clean_name"],
                  "smartstore": ((ai.get("categories") or {}).get("smartstore") or {}).get("path", ""),
                  "score": ai["quality_score"]} for pid, ai, _ in rows),
                ["id", "clean_name", "smartstore", "score"])),
        }
    )
    yield dg.AssetCheckResult(check_name="ai_data_valid", passed=not problems,
                              metadata={"problems": dg.MetadataValue.json(dict(problems)),
                                        "checked": dg.MetadataValue.int(len(docs))})
