"""enriched_products: each product's ai_data (clean name, per-market titles, categories, score)."""

from collections import Counter

import dagster as dg

from dropship_assets.common import md_table, pipeline_asset, run_info
from dropship_assets.partitions import supplier_partitions
from dropship_assets.products import source_products
from dropship_core.ai.offline import OfflineEnricher, ai_data_problems
from dropship_core.markets.names import COUPANG, MARKETS, SMARTSTORE
from dropship_resources.llm import LLMResource
from dropship_resources.store import StoreResource


def enricher_version(provider: str, model: str, prompt_version: str) -> str:
    """Part of ai_source_hash: a new provider, model or prompt version re-enriches every product."""
    return f"{provider}:{model}:{prompt_version}"


def _llm_enrich(client, llm: LLMResource, store: StoreResource, enricher: OfflineEnricher, pending, version):
    """openai / anthropic: cache-first, the classifier's top-5 leaves as the choice, offline
    rules as the fallback for a product whose answer failed validation twice."""

    def candidates(product):
        return {m: enricher.candidates(product, m, k=5) for m in (SMARTSTORE, COUPANG)}

    with store.connect() as conn:
        report = llm.enrich([(p["raw_data"], p["content_hash"]) for p in pending], conn, client=client,
                            candidates_fn=candidates, fallback=enricher.enrich_many)
    docs, rows, errors = [], [], []
    for p, o in zip(pending, report.outcomes):
        if o.ai_data is None:
            errors.append({"id": p["id"], "error": o.error, "kind": o.error_kind})
            continue
        docs.append(o.ai_data)
        # a fallback result stays pending so the next run asks the model again
        rows.append((p["id"], o.ai_data, f"{p['content_hash']}:{version}" + (":fallback" if o.fallback_used else "")))
    meta = {k: v for k, v in report.metadata(llm.krw_per_usd).items() if isinstance(v, (int, float, str))}
    return docs, rows, errors, meta


def _offline_enrich(enricher, pending: list[dict]) -> tuple[list, list[dict]]:
    """ai_data per pending product (None where its data breaks the enricher) and the errors:
    one bad product never stops the rest of the partition."""
    if not pending:
        return [], []
    try:
        return enricher.enrich_many([p["raw_data"] for p in pending]), []
    except Exception:  # noqa: BLE001 - redo one by one to isolate the bad product(s)
        pass
    out, errors = [], []
    for p in pending:
        try:
            out.append(enricher.enrich_many([p["raw_data"]])[0])
        except Exception as e:  # noqa: BLE001 - recorded as an enrich_failed event with the reason
            out.append(None)
            errors.append({"id": p["id"], "error": f"invalid product data: {type(e).__name__}: {str(e)[:300]}",
                           "kind": "invalid_data"})
    return out, errors


@pipeline_asset(
    group="enrichment", kinds={"python", "postgres"},
    partitions_def=supplier_partitions,
    deps=[source_products],
    check_specs=[
        dg.AssetCheckSpec("ai_data_valid", asset="enriched_products", blocking=True,
                          description="Titles within limits and free of banned words, categories are leaves, "
                                      "scores in [0, 1]."),
    ],
)
def enriched_products(context: dg.AssetExecutionContext, store: StoreResource, llm: LLMResource):
    """ai_data for every product whose content (or the enricher) changed since it was last
    enriched: a clean name, a title per market within its limit, a sanitised description,
    attributes, a category in each market's tree with a confidence, banned-word flags and a
    quality score with its reasons. Unchanged products are not touched, and an LLM answer is
    cached by (content hash, prompt version, model), so nothing is paid for twice."""
    s = store.store
    run = run_info(context)
    from dropship_core.ai.category_store import CategoryStore

    enricher = OfflineEnricher(decisions=CategoryStore(s.connect))  # seller category rules apply
    llm_meta: dict = {}
    errors: list = []
    if llm.provider_name() == "offline":
        provider, model = enricher.provider, enricher.model
        version = enricher_version(provider, model, enricher.prompt_version)
        pending = s.pending_enrichment(context.partition_key, version)
        got, errors = _offline_enrich(enricher, pending)
        docs = [ai for ai in got if ai is not None]
        rows = [(p["id"], ai, f"{p['content_hash']}:{version}") for p, ai in zip(pending, got) if ai is not None]
    else:
        client = llm.get_client()
        provider, model = client.provider, client.model
        version = enricher_version(provider, model, llm.prompt_version)
        pending = s.pending_enrichment(context.partition_key, version)
        docs, rows, errors, llm_meta = _llm_enrich(client, llm, store, enricher, pending, version)
    written = s.set_ai_data(rows, run)
    for e in errors:
        # the product keeps its previous ai_data; the reason is on record for people and the next run
        s.record_event(e["id"], "enrich_failed", {"error": e["error"], "kind": e["kind"]}, run)
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
            "provider": provider,
            "model": model,
            "enrich_errors": dg.MetadataValue.int(len(errors)),
            "llm_tokens": dg.MetadataValue.int(int(llm_meta.get("llm_input_tokens", 0))
                                               + int(llm_meta.get("llm_output_tokens", 0))),
            "llm_cost_usd": dg.MetadataValue.float(float(llm_meta.get("llm_cost_usd", 0.0))),
            **{k: v for k, v in llm_meta.items() if k != "llm_cost_usd"},
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
