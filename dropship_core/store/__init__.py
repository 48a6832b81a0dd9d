from dropship_core.store.store import IngestResult, RunInfo, Store

__all__ = ["IngestResult", "RunInfo", "Store"]
