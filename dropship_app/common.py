"""What several commands share: the store at DATABASE_URL (or the embedded default)."""

from __future__ import annotations


def open_store(migrate: bool = True):
    """The store the CLI works on; commands that need the schema bring it up to date first."""
    from dropship_core.db import database_url
    from dropship_core.store import Store

    store = Store(database_url())
    if migrate:
        store.migrate()
    _flush_metrics_at_exit(store)
    return store


_FLUSHING: list = []


def _flush_metrics_at_exit(store) -> None:
    """What a command measured (API calls, rows ingested) reaches /metrics when it ends."""
    import atexit

    from dropship_core import metrics

    if not _FLUSHING:
        atexit.register(lambda: metrics.flush(_FLUSHING[0]))
    _FLUSHING[:] = [store]
