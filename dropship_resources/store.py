"""The product store as a Dagster resource."""


import os
from functools import cached_property

import dagster as dg
import psycopg
from pydantic import PrivateAttr

from dropship_core.db import database_url as resolve_database_url
from dropship_core.store import Store


class StoreResource(dg.ConfigurableResource):
    """Postgres holding source_data, its events and quarantine.

    `database_url` empty means: DATABASE_URL from the environment, else the embedded Postgres
    the project starts under .dropship/.
    """

    database_url: str = ""

    _store: Store | None = PrivateAttr(default=None)

    def resolved_url(self) -> str:
        return self.database_url or resolve_database_url()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.resolved_url())
        return self._store

    def connect(self, **kw) -> psycopg.Connection:
        return self.store.connect(**kw)
