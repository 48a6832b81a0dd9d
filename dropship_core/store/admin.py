"""Whole-supplier operations: what a supplier already has (to question an import into the wrong
key) and removing a supplier (delist first; its history deleted only when purged)."""

from __future__ import annotations

from typing import Any

from dropship_core.store.base import RunInfo, StoreBase

# a listing still on a marketplace: it has an external id and was not stopped
_LIVE_LISTINGS_SQL = """
    SELECT count(*) FROM source_data d, jsonb_each(d.market_data) m
     WHERE d.supplier_key = %s AND jsonb_typeof(m.value -> 'external') = 'object'
       AND m.value -> 'external' <> '{}'::jsonb AND coalesce(m.value ->> 'status', '') <> 'stopped'
"""

_PURGE_TABLES = ("quarantine", "supplier_state", "webhook_inbox")


class AdminMixin(StoreBase):
    def supplier_item_ids(self, supplier_key: str) -> set[str]:
        """Every supplier code stored for `supplier_key` (delisted ones included)."""
        with self.connect() as conn:
            return {r[0] for r in conn.execute(
                "SELECT supplier_item_id FROM source_data WHERE supplier_key = %s", (supplier_key,)).fetchall()}

    def first_event_day(self) -> str | None:
        """The UTC day (YYYY-MM-DD) of the first event in the store, None when it is empty."""
        with self.connect() as conn:
            row = conn.execute("SELECT to_char(min(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
                               " FROM source_data_events").fetchone()
        return row[0] if row else None

    def live_listing_count(self, supplier_key: str) -> int:
        """Listings of a supplier's products still on a marketplace (external id, not stopped)."""
        with self.connect() as conn:
            return conn.execute(_LIVE_LISTINGS_SQL, (supplier_key,)).fetchone()[0]

    def remove_supplier(self, supplier_key: str, run: RunInfo, *, purge: bool = False) -> dict[str, Any]:
        """Delist every product of the supplier (events recorded; market_sync then stops their
        listings). With purge, and only once no listing is live, delete its products, events,
        quarantine, sync state and inbox rows."""
        res = self.ingest(supplier_key, [], run, complete=True)
        out: dict[str, Any] = {"supplier": supplier_key, "delisted": res.delisted, "purged": False}
        if not purge:
            return out
        live = self.live_listing_count(supplier_key)
        if live:
            out["refused"] = (f"{live} listing(s) of {supplier_key} are still on a marketplace; run a market "
                              "sync so they are stopped, then purge")
            return out
        with self.connect() as conn, conn.transaction():
            # rewriting history on purpose: excepted from the append-only guard (migration 010)
            conn.execute("SET LOCAL dropship.events_rewrite = 'on'")
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('ingest:' || %s))", (supplier_key,))
            out["events_deleted"] = conn.execute(
                "DELETE FROM source_data_events WHERE supplier_key = %s", (supplier_key,)).rowcount
            out["products_deleted"] = conn.execute(
                "DELETE FROM source_data WHERE supplier_key = %s", (supplier_key,)).rowcount
            for table in _PURGE_TABLES:
                exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]
                if exists:
                    out[f"{table}_deleted"] = conn.execute(
                        f"DELETE FROM {table} WHERE supplier_key = %s", (supplier_key,)).rowcount
        out["purged"] = True
        return out
