"""The product store as a Dagster resource."""


import threading

import dagster as dg
import psycopg
from pydantic import PrivateAttr

from dropship_core import metrics
from dropship_core.db import database_url as resolve_database_url
from dropship_core.store import Store

# Databases this process has migrated: the code location brings each store's schema up to date
# once, when the resource first builds it, not on every run, step or sensor tick.
_MIGRATED: set[str] = set()
_MIGRATE_LOCK = threading.Lock()


def migrate_once(store: Store) -> None:
    with _MIGRATE_LOCK:
        if store.database_url not in _MIGRATED:
            store.migrate()
            _MIGRATED.add(store.database_url)


class StoreResource(dg.ConfigurableResource):
    """Postgres holding source_data, its events and quarantine.

    `database_url` empty means: DATABASE_URL from the environment, else the embedded Postgres
    the project starts under .dropship/. Pending migrations are applied once per process when the
    store is first used (`dropship db migrate` does the same by hand).
    """

    database_url: str = ""

    _store: Store | None = PrivateAttr(default=None)

    def resolved_url(self) -> str:
        return self.database_url or resolve_database_url()

    @property
    def store(self) -> Store:
        if self._store is None:
            store = Store(self.resolved_url())
            migrate_once(store)
            self._store = store
        return self._store

    def connect(self, **kw) -> psycopg.Connection:
        return self.store.connect(**kw)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """At the end of every step that used the store: this process's metrics (API calls,
        rows ingested, syncs, LLM spend) are added to the store's totals, where /metrics reads
        them. A step process ends right after, so nothing is kept back."""
        if self._store is not None:
            metrics.flush(self._store)
