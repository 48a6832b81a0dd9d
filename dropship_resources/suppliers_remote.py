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
from dropship_core.suppliers.inbox_cursor import InboxCursor, read_inbox
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

    def events_since(self, cursor: str | None, limit: int, *, skip_synced: bool = True,
                     ) -> tuple[list[tuple[int, str, str, str | None]], str]:
        """(id, supplier_key, event_type, supplier_item_id) of inbox rows not read under `cursor`
        (commit order, see `inbox_cursor`), and the cursor after them. With `skip_synced`, rows
        the supplier's own sync already read (its stored cursor covers them: e.g. a sync the demo
        or the CLI ran) are left out, so the sensor does not run them again."""
        with self._connect() as conn:
            rows, nxt = read_inbox(conn, cursor, limit, "id, supplier_key, event_type, supplier_item_id, "
                                                        "tx::text::bigint")
            synced = self._sync_cursors(conn, {r[1] for r in rows}) if skip_synced and rows else {}
        kept = [r[:4] for r in rows if not (r[1] in synced and synced[r[1]].covers(r[0], r[4]))]
        return kept, nxt

    @staticmethod
    def _sync_cursors(conn: psycopg.Connection, keys: set[str]) -> dict[str, InboxCursor]:
        if not conn.execute("SELECT to_regclass('supplier_state') IS NOT NULL").fetchone()[0]:
            return {}
        rows = conn.execute("SELECT supplier_key, cursor FROM supplier_state WHERE supplier_key = ANY(%s)"
                            " AND cursor IS NOT NULL", (sorted(keys),)).fetchall()
        # only webhook accounts keep an inbox cursor; other kinds' cursors are left alone
        parsed = {k: InboxCursor.parse_strict(c) for k, c in rows}
        return {k: c for k, c in parsed.items() if c is not None}


__all__ = ["WebhookResource", "connector_for"]
