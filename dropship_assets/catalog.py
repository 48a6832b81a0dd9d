"""supplier_catalog: what each supplier account offers right now, as fetched."""


import dagster as dg

from dropship_assets.common import OWNERS
from dropship_assets.partitions import supplier_partitions
from dropship_core.suppliers.base import SYNC_FULL, SYNC_INCREMENTAL, FetchResult
from dropship_core.suppliers.excel import ExcelCatalog, file_digest
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource


class CatalogConfig(dg.Config):
    sync_mode: str = SYNC_INCREMENTAL
    # Re-read a workbook even when its bytes did not change (e.g. after a reader fix).
    force: bool = False


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
        raise dg.Failure(f"sync_mode must be 'full' or 'incremental', got {config.sync_mode!r}")
    key = context.partition_key
    account = suppliers.account(key)
    if not account.enabled:
        raise dg.Failure(f"supplier {key} is disabled in {suppliers.config_path}; its history is kept")
    connector = suppliers.connector(account)
    state = store.store.supplier_state(key) or {}
    if isinstance(connector, ExcelCatalog):
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
