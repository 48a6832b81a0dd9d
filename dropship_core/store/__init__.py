from dropship_core.store.store import IngestResult, RunInfo, SchemaNotMigrated, Store

__all__ = ["IngestResult", "RunInfo", "SchemaNotMigrated", "Store"]
