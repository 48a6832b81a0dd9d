"""source_products: the canonical, hashed, event-sourced products of each supplier."""


import dagster as dg

from dropship_assets.catalog import supplier_catalog
from dropship_assets.common import md_table, pipeline_asset, run_info
from dropship_assets.partitions import supplier_partitions
from dropship_resources.store import StoreResource


def _ingest_landing(s, key: str, landing, run) -> tuple[dict[str, int], list[dict]]:
    """Ingest one landed fetch: products, quarantine, sync state; returns its counts and the
    products that are new or changed."""
    s.load_landing(landing)
    res = s.ingest(key, landing.products, run, complete=landing.complete, deleted_ids=landing.deleted_ids)
    res.quarantined = s.quarantine(key, landing.rejects, run)
    s.save_supplier_state(
        key, run, cursor=landing.next_cursor, source_digest=landing.stats.get("source_digest"),
        details={"last_counts": res.as_dict(), "sync_mode": landing.sync_mode},
    )
    changed = set(res.new_ids) | set(res.changed_ids)
    return res.as_dict(), [p for p in landing.products if p["supplier_item_id"] in changed][:10]


@pipeline_asset(
    group="ingest", kinds={"postgres"},
    partitions_def=supplier_partitions,
    deps=[supplier_catalog],
    check_specs=[
        dg.AssetCheckSpec("costs_positive", asset="source_products", blocking=True,
                          description="Every active product has a cost above zero."),
        dg.AssetCheckSpec("required_fields_present", asset="source_products",
                          description="Every product has a name and a supplier code."),
    ],
)
def source_products(context: dg.AssetExecutionContext, store: StoreResource):
    """One row per supplier item in `source_data`: its canonical form, content hash and status.
    New and changed items get an event; unchanged ones cost nothing; bad records are quarantined
    with their reason; items gone from a full catalog are delisted, never silently dropped.
    Reads the raw landing `supplier_catalog` wrote in the store: this run's fetch, after any
    older one a failed run left un-ingested."""
    key = context.partition_key
    run = run_info(context)
    s = store.store
    landings = s.pending_landings(key, run.run_id)
    res_counts = {"received": 0, "new": 0, "changed": 0, "unchanged": 0, "delisted": 0, "quarantined": 0}
    rejects, changed_products, ingested = [], [], 0
    for landing in landings:
        if not landing.unchanged:
            try:
                counts, changed = _ingest_landing(s, key, landing, run)
            except ValueError as e:
                if landing.run_id == run.run_id:
                    raise
                # an older landing that cannot be ingested is put on record, not retried forever
                context.log.warning(f"landing {landing.id} of run {landing.run_id} not ingested: {e}")
                s.mark_landing_ingested(landing.id, run, error=str(e))
                continue
            res_counts = {k: res_counts[k] + counts[k] for k in res_counts}
            rejects += landing.rejects
            changed_products = (changed + changed_products)[:10]
            landing.products = []  # one landing in memory at a time
            ingested += 1
        s.mark_landing_ingested(landing.id, run)
    if ingested:
        preview = md_table(
            ({"code": p["supplier_item_id"], "name": p["name"], "cost": p["cost"], "stock": p["stock"],
              "options": len(p["variants"])} for p in changed_products),
            ["code", "name", "cost", "stock", "options"],
        )
    else:
        preview = "_source unchanged since the last successful ingest_" if landings else "_no new landing to ingest_"
    # one pass over the partition's rows for the checks and the totals
    checks = s.partition_checks(key)
    reasons = md_table(({"source": r.source, "reason": r.reason} for r in rejects), ["source", "reason"], 20)
    yield dg.MaterializeResult(
        metadata={
            **{k: dg.MetadataValue.int(v) for k, v in res_counts.items()},
            "products_total": dg.MetadataValue.int(checks["total"]),
            "products_active": dg.MetadataValue.int(checks["active"]),
            "quarantine_open": dg.MetadataValue.int(checks["quarantine_open"]),
            "preview": dg.MetadataValue.md(preview),
            "quarantine_reasons": dg.MetadataValue.md(reasons if rejects else "_none_"),
            "landing_id": dg.MetadataValue.int(landings[-1].id if landings else 0),
            "landings_ingested": dg.MetadataValue.int(ingested),
        }
    )
    bad_cost, missing = checks["active_without_cost"], checks["missing_fields"]
    yield dg.AssetCheckResult(check_name="costs_positive", passed=bad_cost == 0,
                              metadata={"active_products_without_cost": bad_cost})
    yield dg.AssetCheckResult(check_name="required_fields_present", passed=missing == 0,
                              metadata={"products_missing_fields": missing})
