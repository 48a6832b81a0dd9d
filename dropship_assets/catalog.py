"""supplier_catalog: what each supplier account offers right now, landed raw in the store."""


import time
from pathlib import Path

import dagster as dg

from dropship_assets.common import OWNERS, run_info
from dropship_assets.partitions import supplier_partitions
from dropship_core import config as settings
from dropship_core.suppliers.base import SYNC_FULL, SYNC_INCREMENTAL, FetchResult
from dropship_core.suppliers.excel import ExcelCatalog, ExcelReadError, file_digest
from dropship_core.suppliers.inbox import claim_dropped, move_dropped
from dropship_core.suppliers.registry import ConfigError
from dropship_core.suppliers.validate import screen
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource


class CatalogConfig(dg.Config):
    sync_mode: str = SYNC_INCREMENTAL
    # Re-read a workbook even when its bytes did not change (e.g. after a reader fix).
    force: bool = False
    # A workbook dropped into the supplier's inbox folder (set by the drop-folder sensor); the run
    # claims it (moves it into the inbox's processing/<run id>/), lands its rows and moves it to
    # processed/ or failed/, all in this step.
    file_path: str = ""


def _account(suppliers: SuppliersResource, key: str):
    try:
        account = suppliers.account(key)
    except ConfigError as e:
        # a configuration problem does not heal by retrying
        raise dg.Failure(str(e), allow_retries=False) from None
    if not account.enabled:
        raise dg.Failure(f"supplier {key} is disabled in {suppliers.config_path}; its history is kept",
                         allow_retries=False)
    return account


def _fetch_dropped(context: dg.AssetExecutionContext, account, file_path: str) -> FetchResult | None:
    """Claim and read a dropped workbook; None when another run claimed it first."""
    if account.kind != "excel":
        raise dg.Failure(f"supplier {account.key} is a {account.kind} account; only excel accounts take dropped"
                         " files", allow_retries=False)
    # a re-executed run shares its root run id, so it finds the file its first attempt claimed
    claimed = claim_dropped(file_path, context.run.root_run_id or context.run.run_id)
    if claimed is None:
        context.log.info(f"{Path(file_path).name} was claimed by another run; nothing to read")
        return None
    try:
        result = ExcelCatalog(account.key, claimed,
                              default_shipping_fee=int(account.setting("shipping_fee", 0))).fetch()
    except Exception as e:  # any failure to read a dropped file moves it to failed/, with why
        reason = str(e) if isinstance(e, ExcelReadError) else f"{claimed.name}: {type(e).__name__}: {e}"
        moved = move_dropped(claimed, "failed", reason=reason)
        raise dg.Failure(f"dropped file rejected: {reason}", metadata={"moved_to": str(moved)},
                         allow_retries=False) from None
    # a dropped file is an update (prices, stock, new items) unless the account says it is the
    # whole catalog
    result.complete = bool(account.setting("drop_is_full_catalog", False))
    result.stats["drop_file"] = Path(file_path).name
    result.stats["claimed_as"] = str(claimed)
    result.stats["source_digest"] = None
    return result


@dg.asset(
    partitions_def=supplier_partitions,
    group_name="ingest",
    kinds={"python", "excel", "postgres"},
    owners=OWNERS,
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS),
)
def supplier_catalog(
    context: dg.AssetExecutionContext, config: CatalogConfig, suppliers: SuppliersResource, store: StoreResource
) -> dg.MaterializeResult:
    """The raw catalog of one supplier account as its connector returned it (Suppliers →
    Connectors → raw data): every item it currently offers (full sync) or what changed since the
    last successful sync (incremental), plus the records it could not read. Landed in the store
    (`supplier_landing`, one append-only landing per fetch with its run id, pruned by retention),
    where `source_products` reads it."""
    if config.sync_mode not in (SYNC_FULL, SYNC_INCREMENTAL):
        raise dg.Failure(f"sync_mode must be 'full' or 'incremental', got {config.sync_mode!r}", allow_retries=False)
    key = context.partition_key
    account = _account(suppliers, key)
    s = store.store
    run = run_info(context)
    state = s.supplier_state(key) or {}
    unchanged: dict = {}
    t0 = time.perf_counter()
    if config.file_path:
        result = _fetch_dropped(context, account, config.file_path)
        if result is None:
            result, unchanged = FetchResult(), {"drop_claimed_elsewhere": True}
    else:
        connector = suppliers.connector(account)
        if isinstance(connector, ExcelCatalog):
            digest = file_digest(connector.path)
            if digest == state.get("source_digest") and not config.force and config.sync_mode != SYNC_FULL:
                context.log.info(f"{connector.path.name} unchanged since the last successful ingest; nothing to read")
                result, unchanged = FetchResult(), {"unchanged_source": True}
            else:
                result = connector.fetch(SYNC_FULL, None)
                result.stats["source_digest"] = digest
        else:
            cursor = state.get("cursor") if config.sync_mode == SYNC_INCREMENTAL else None
            result = connector.fetch(config.sync_mode, cursor)
    result.stats.update(unchanged, sync_mode=config.sync_mode)
    # the same product rules for every source: what breaks them lands as a reject with the reason
    screen(result, source=f"{key}: product rules")
    t1 = time.perf_counter()
    landing_id = s.land_fetch(
        key, run, products=result.products, rejects=result.rejects, deleted_ids=result.deleted_ids,
        next_cursor=result.next_cursor, complete=result.complete, unchanged=bool(unchanged),
        sync_mode=config.sync_mode, stats=result.stats,
    )
    t2 = time.perf_counter()
    if result.stats.get("claimed_as"):
        # landed in the store: the file's work is done whatever happens to the rest of the run
        moved = move_dropped(Path(result.stats["claimed_as"]), "processed")
        context.log.info(f"dropped file landed and moved to {moved}")
    pruned = s.prune_landings(key, keep=int(settings.get("DROPSHIP_LANDING_KEEP")),
                              max_age_days=float(settings.get("DROPSHIP_LANDING_MAX_AGE_DAYS")))
    kept = s.landing_counts(key)
    return dg.MaterializeResult(
        metadata={
            "landing_id": dg.MetadataValue.int(landing_id),
            "products": dg.MetadataValue.int(len(result.products)),
            "rejected": dg.MetadataValue.int(len(result.rejects)),
            "deleted_ids": dg.MetadataValue.int(len(result.deleted_ids)),
            "complete_catalog": result.complete,
            "source_unchanged": bool(unchanged),
            "landings_pruned": dg.MetadataValue.int(pruned),
            "fetch_seconds": dg.MetadataValue.float(round(t1 - t0, 3)),
            "landing_seconds": dg.MetadataValue.float(round(t2 - t1, 3)),
            **{k: dg.MetadataValue.int(v) for k, v in kept.items()},
            "details": dg.MetadataValue.json({k: v for k, v in result.stats.items()
                                              if k not in ("source_digest", "claimed_as")}),
        },
    )
