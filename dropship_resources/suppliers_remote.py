"""The webhook inbox as a Dagster resource (the inbox sensor reads it).

OwnerClan and Domeggook connectors come from `SuppliersResource.connector(account)`, configured
by the account in suppliers.yaml and the environment (`dropship_core.config`) at run time.
"""


from typing import Any

import dagster as dg
import psycopg
from pydantic import Field

from dropship_core import config
from dropship_core.suppliers.factory_remote import connector_for
from dropship_core.suppliers.inbox_cursor import read_inbox
from dropship_core.webhook import ACTIVE_WEBHOOK_SUPPLIERS
from dropship_core.webhook import create_app as create_webhook_app

# empty: DATABASE_URL, else the embedded Postgres (dropship_core.db.database_url)
DEFAULT_DATABASE_URL = ""


class WebhookResource(dg.ConfigurableResource):
    """The webhook receiver's settings and read access to its inbox (used by the inbox sensor)."""

    secret: str = Field(default="", description="HMAC-SHA256 signing secret; empty: WEBHOOK_SECRET at run time")
    database_url: str = DEFAULT_DATABASE_URL
    db_schema: str | None = Field(default=None, description="search_path for the inbox table, if not public")
    max_body_bytes: int = 256 * 1024
    tolerance_s: float = 300.0

    def _connect(self) -> psycopg.Connection:
        kw: dict[str, Any] = {"autocommit": True}
        if self.db_schema:
            kw["options"] = f"-c search_path={self.db_schema}"
        return psycopg.connect(self._url(), **kw)

    def _url(self) -> str:
        from dropship_core.db import database_url

        return self.database_url or database_url()

    def app(self, suppliers: set[str] | str | None = ACTIVE_WEBHOOK_SUPPLIERS):
        """The ASGI receiver app (serve it with uvicorn or `ServerThread`); by default it accepts
        the enabled webhook accounts of suppliers.yaml."""
        return create_webhook_app(self._url(), self.secret or config.get("WEBHOOK_SECRET") or "", suppliers=suppliers,
                                  max_body_bytes=self.max_body_bytes, tolerance_s=self.tolerance_s,
                                  schema=self.db_schema)

    def events_since(self, cursor: str | None, limit: int) -> tuple[list[tuple[int, str, str, str | None]], str]:
        """(id, supplier_key, event_type, supplier_item_id) of inbox rows not read under `cursor`
        (commit order, see `inbox_cursor`), and the cursor after them."""
        with self._connect() as conn:
            return read_inbox(conn, cursor, limit, "id, supplier_key, event_type, supplier_item_id")


__all__ = ["WebhookResource", "connector_for"]
