"""supplier_catalog: what each supplier account offers right now, as fetched."""


from pathlib import Path

import dagster as dg

from dropship_assets.common import OWNERS
from dropship_assets.partitions import supplier_partitions
from dropship_core.suppliers.base import SYNC_FULL, SYNC_INCREMENTAL, FetchResult
from dropship_core.suppliers.excel import ExcelCatalog, ExcelReadError, file_digest
from dropship_core.suppliers.inbox import move_dropped
from dropship_core.suppliers.registry import ConfigError
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource


class CatalogConfig(dg.Config):
    sync_mode: str = SYNC_INCREMENTAL
    # Re-read a workbook even when its bytes did not change (e.g. after a reader fix).
    force: bool = False
    # A workbook dropped into the supplier's inbox folder (set by the drop-folder sensor); it is
    # read instead of the account's configured file and moved to processed/ or failed/ after.
    file_path: str = ""


@dg.asset(
    partitions_def=supplier_partitions,
    group_name="ingest",
    kinds={"python", "excel"},
    owners=OWNERS,
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS),
)
def supplier_catalog(
    context: dg.AssetExecutionContext, config: CatalogConfig, suppliers: SuppliersResource, store: StoreResource
) -> dg.Output[FetchResult]:
    """The raw catalog of one supplier account: every item it currently offers (full sync) or what
    changed since the last successful sync (incremental), plus the records it could not read."""
    if config.sync_mode not in (SYNC_FULL, SYNC_INCREMENTAL):
        raise dg.Failure(f"sync_mode must be 'full' or 'incremental', got {config.sync_mode!r}", allow_retries=False)
    key = context.partition_key
    try:
        account = suppliers.account(key)
    except ConfigError as e:
        # a configuration problem does not heal by retrying
        raise dg.Failure(str(e), allow_retries=False) from None
    if not account.enabled:
        raise dg.Failure(f"supplier {key} is disabled in {suppliers.config_path}; its history is kept",
                         allow_retries=False)
    connector = suppliers.connector(account)
    state = store.store.supplier_state(key) or {}
    if config.file_path:
        if account.kind != "excel":
            raise dg.Failure(f"supplier {key} is a {account.kind} account; only excel accounts take dropped files",
                             allow_retries=False)
        drop = Path(config.file_path)
        try:
            result = ExcelCatalog(key, drop, default_shipping_fee=int(account.setting("shipping_fee", 0))).fetch()
        except Exception as e:  # any failure to read a dropped file moves it to failed/, with why
            reason = str(e) if isinstance(e, ExcelReadError) else f"{drop.name}: {type(e).__name__}: {e}"
            moved = move_dropped(drop, "failed", reason=reason)
            raise dg.Failure(f"dropped file rejected: {reason}", metadata={"moved_to": str(moved)},
                             allow_retries=False) from None
        # a dropped file is an update (prices, stock, new items) unless the account says it is
        # the whole catalog
        result.complete = bool(account.setting("drop_is_full_catalog", False))
        result.stats["drop_file"] = str(drop)
        result.stats["source_digest"] = None
    elif isinstance(connector, ExcelCatalog):
        digest = file_digest(connector.path)
        if digest == state.get("source_digest") and not config.force and config.sync_mode != SYNC_FULL:
            context.log.info(f"{connector.path.name} unchanged since the last successful ingest; nothing to read")
            result = FetchResult(stats={"unchanged_source": True, "source_digest": digest})
            return dg.Output(result, metadata={"products": 0, "rejected": 0, "source_unchanged": True})
        result = connector.fetch(SYNC_FULL, None)
        result.stats["source_digest"] = digest
    else:
        cursor = state.get("cursor") if config.sync_mode == SYNC_INCREMENTAL else None
        result = connector.fetch(config.sync_mode, cursor)
    result.stats["sync_mode"] = config.sync_mode
    return dg.Output(
        result,
        metadata={
            "products": len(result.products),
            "rejected": len(result.rejects),
            "deleted_ids": len(result.deleted_ids),
            "complete_catalog": result.complete,
            "source_unchanged": False,
            "details": dg.MetadataValue.json({k: v for k, v in result.stats.items() if k != "source_digest"}),
        },
    )
