"""What several commands share: the store at DATABASE_URL (or the embedded default)."""

from __future__ import annotations


def open_store(migrate: bool = True):
    """The store the CLI works on; commands that need the schema bring it up to date first."""
    from dropship_core.db import database_url
    from dropship_core.store import Store

    store = Store(database_url())
    if migrate:
        store.migrate()
    return store
