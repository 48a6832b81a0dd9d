"""What several commands share: the store at DATABASE_URL (or the embedded default)."""

from __future__ import annotations


def open_store():
    from dropship_core.db import database_url
    from dropship_core.store import Store

    return Store(database_url())
