"""The order store: named methods over order_lines / order_events / order_checkpoints.

Assets, sensors and the CLI go through these methods only. Every status change is one UPDATE and
one order_events row in the same transaction, with the run, asset and partition that caused it.
Buyer data is encrypted before it reaches SQL (`pii.PiiCipher`) and never enters an event.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Sequence

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dropship_core.orders.model import TERMINAL, TRANSITIONS, CollectedLine, check_transition
from dropship_core.orders.pii import PiiCipher
from dropship_core.store.migrate import apply_migrations
from dropship_core.store.store import RunInfo

# Delivery plus the claim window (return/exchange requests are accepted for 7 days after
# delivery; 30 more days cover disputes in flight) before addresses and phones are redacted. The
# transaction record itself (amounts, items, dates) is kept 5 years (contracts, retention table).
CLAIM_WINDOW_DAYS = 37
TXN_RETENTION_YEARS = 5

_UPDATABLE = {"market_status", "supplier_order_ref", "supplier_amount", "hold_reason",
              "hold_detail", "carrier", "tracking_number", "last_error", "receiver_mismatch",
              "placed_at", "confirmed_at", "shipped_at", "delivered_at", "cancelled_at",
              "market_extra", "customs", "product_id", "supplier_key", "supplier_item_id",
              "option_sku", "option_attrs", "unmatched_reason", "listed_cost", "listed_price",
              "commission_rate"}
_JSON = {"hold_detail", "last_error", "market_extra", "option_attrs", "match_keys"}
_TYPES = {"market_status": "text", "supplier_order_ref": "text", "supplier_amount": "bigint",
          "hold_reason": "text", "hold_detail": "jsonb", "carrier": "text",
          "tracking_number": "text", "last_error": "jsonb", "receiver_mismatch": "boolean",
          "placed_at": "timestamptz", "confirmed_at": "timestamptz", "shipped_at": "timestamptz",
          "delivered_at": "timestamptz", "cancelled_at": "timestamptz", "market_extra": "jsonb",
          "customs": "text"}
_PUBLIC_COLS = ("id, market, market_line_id, market_order_id, shipment_box_id, market_status, "
                "status, product_name, quantity, unit_price, total_price, match_keys, market_extra, "
                "product_id, supplier_key, supplier_item_id, option_sku, option_attrs, "
                "unmatched_reason, listed_cost, listed_price, commission_rate, supplier_order_ref, "
                "supplier_amount, hold_reason, hold_detail, carrier, tracking_number, last_error, "
                "receiver_mismatch, pii_redacted_at, paid_at, collected_at, placed_at, "
                "confirmed_at, shipped_at, delivered_at, cancelled_at, dispatch_deadline, "
                "updated_at, customs IS NOT NULL AS has_customs")


def _aad(market: str, line_id: str) -> str:
    return f"{market}:{line_id}"


def _val(k: str, v: Any) -> Any:
    return Jsonb(v) if k in _JSON and v is not None else v


class OrderStore:
    def __init__(self, database_url: str, *, cipher: PiiCipher | None = None,
                 migrate: bool = True):
        self.database_url = database_url
        self._cipher = cipher
        self._local = threading.local()
        self._opened: list[psycopg.Connection] = []   # every thread's connection, for close()
        self._lock = threading.Lock()
        if migrate:
            with psycopg.connect(database_url) as conn:
                apply_migrations(conn)

    @property
    def cipher(self) -> PiiCipher:
        if self._cipher is None:
            self._cipher = PiiCipher()
        return self._cipher

    def _conn(self) -> psycopg.Connection:
        c = getattr(self._local, "conn", None)
        if c is None or c.closed:
            c = self._local.conn = psycopg.connect(self.database_url, autocommit=True,
                                                   row_factory=dict_row)
            with self._lock:
                self._opened = [x for x in self._opened if not x.closed] + [c]
        return c

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for c in opened:
            if not c.closed:
                c.close()

    # -- collect ---------------------------------------------------------------------------
    def record_collected(self, lines: Sequence[CollectedLine], matches: dict[str, dict],
                         run: RunInfo) -> dict[str, int]:
        """Insert new lines (status new, or unmatched with its reason), update changed ones.

        `matches[market_line_id]` is the listing match or `{"unmatched_reason": ...}`. A line
        seen again unchanged writes nothing. A changed receiver after placement is flagged.
        """
        out = {"collected": len(lines), "new": 0, "updated": 0, "unchanged": 0, "unmatched": 0,
               "skipped": 0}
        conn = self._conn()
        with conn.transaction():
            for ln in lines:
                m = matches.get(ln.market_line_id) or {"unmatched_reason": "not matched"}
                kind = self._upsert_line(conn, ln, m, run)
                out[kind] += 1
                if kind == "new" and m.get("unmatched_reason"):
                    out["unmatched"] += 1
        return out

    def _upsert_line(self, conn, ln: CollectedLine, m: dict, run: RunInfo) -> str:
        aad = _aad(ln.market, ln.market_line_id)
        pii_hash = self.cipher.digest(ln.pii)
        chash = ln.public_hash()
        old = conn.execute("SELECT id, status, content_hash, pii_hash, pii_redacted_at FROM "
                           "order_lines WHERE market = %s AND market_line_id = %s FOR UPDATE",
                           (ln.market, ln.market_line_id)).fetchone()
        if old is None and not ln.placeable:
            return "skipped"
        if old is None:
            status = "unmatched" if m.get("unmatched_reason") else "new"
            row = conn.execute(
                """INSERT INTO order_lines (market, market_line_id, market_order_id,
                     shipment_box_id, market_status, status, product_name, quantity, unit_price,
                     total_price, match_keys, market_extra, product_id, supplier_key,
                     supplier_item_id, option_sku, option_attrs, unmatched_reason, listed_cost,
                     listed_price, commission_rate, pii, pii_hash, customs, content_hash, paid_at,
                     dispatch_deadline)
                   VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,
                           %s,%s,%s) RETURNING id""",
                (ln.market, ln.market_line_id, ln.market_order_id, ln.shipment_box_id,
                 ln.market_status, status, ln.product_name, ln.quantity, ln.unit_price,
                 ln.total_price, Jsonb(ln.match_keys), Jsonb(ln.market_extra),
                 m.get("product_id"), m.get("supplier_key"), m.get("supplier_item_id"),
                 m.get("option_sku"), _val("option_attrs", m.get("option_attrs")),
                 m.get("unmatched_reason"), m.get("listed_cost"), m.get("listed_price"),
                 m.get("commission_rate"), self.cipher.encrypt(ln.pii, aad), pii_hash,
                 self.cipher.encrypt(ln.customs_code, aad + ":customs") if ln.customs_code else None,
                 chash, ln.paid_at, ln.dispatch_deadline)).fetchone()
            self._event(conn, row["id"], ln.market, ln.market_line_id, "collected", None, status,
                        {"market_status": ln.market_status, "unmatched_reason":
                         m.get("unmatched_reason"), "product_id": m.get("product_id")}, run)
            return "new"
        if old["content_hash"] == chash and (old["pii_hash"] == pii_hash
                                             or old["pii_redacted_at"] is not None):
            return "unchanged"
        receiver_changed = old["pii_hash"] != pii_hash and old["pii_redacted_at"] is None
        flag = receiver_changed and old["status"] not in ("new", "unmatched", "held")
        conn.execute(
            """UPDATE order_lines SET market_status = %s, product_name = %s, quantity = %s,
                 unit_price = %s, total_price = %s, match_keys = %s, market_extra = %s,
                 content_hash = %s, pii = CASE WHEN %s THEN %s ELSE pii END,
                 pii_hash = CASE WHEN %s THEN %s ELSE pii_hash END,
                 receiver_mismatch = receiver_mismatch OR %s, updated_at = now() WHERE id = %s""",
            (ln.market_status, ln.product_name, ln.quantity, ln.unit_price, ln.total_price,
             Jsonb(ln.match_keys), Jsonb(ln.market_extra), chash, receiver_changed,
             self.cipher.encrypt(ln.pii, aad), receiver_changed, pii_hash, flag, old["id"]))
        self._event(conn, old["id"], ln.market, ln.market_line_id, "updated", old["status"],
                    old["status"], {"market_status": ln.market_status,
                                    "receiver_changed": receiver_changed,
                                    "receiver_mismatch": flag}, run)
        return "updated"

    def _event(self, conn, line_id: int, market: str, mline: str, etype: str, frm: str | None,
               to: str | None, payload: dict, run: RunInfo) -> None:
        conn.execute(
            "INSERT INTO order_events (order_line_id, market, market_line_id, event_type, "
            "from_status, to_status, payload, run_id, asset_key, partition_key) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            (line_id, market, mline, etype, frm, to, Jsonb(payload), run.run_id, run.asset_key,
             run.partition_key))

    # -- checkpoints -----------------------------------------------------------------------
    def checkpoint(self, market: str) -> dict | None:
        row = self._conn().execute("SELECT cursor FROM order_checkpoints WHERE market = %s",
                                   (market,)).fetchone()
        return row["cursor"] if row else None

    def save_checkpoint(self, market: str, cursor: dict) -> None:
        self._conn().execute(
            "INSERT INTO order_checkpoints (market, cursor) VALUES (%s, %s) ON CONFLICT (market) "
            "DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()", (market, Jsonb(cursor)))

    # -- reads -----------------------------------------------------------------------------
    def lines(self, *, market: str | None = None, status: str | Iterable[str] | None = None,
              supplier_key: str | None = None, ids: Sequence[int] | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
        where, params = [], []
        if market:
            where.append("market = %s")
            params.append(market)
        if status:
            where.append("status = ANY(%s)")
            params.append([status] if isinstance(status, str) else list(status))
        if supplier_key:
            where.append("supplier_key = %s")
            params.append(supplier_key)
        if ids is not None:
            where.append("id = ANY(%s)")
            params.append(list(ids))
        sql = f"SELECT {_PUBLIC_COLS} FROM order_lines"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id" + (f" LIMIT {int(limit)}" if limit else "")
        return self._conn().execute(sql, params).fetchall()

    def line(self, line_id: int) -> dict[str, Any] | None:
        rows = self.lines(ids=[line_id])
        return rows[0] if rows else None

    def find(self, ref: str) -> dict[str, Any] | None:
        """By our id, by market line id, or by `market:line id`."""
        market, sep, mline = ref.partition(":")
        sql = f"SELECT {_PUBLIC_COLS} FROM order_lines WHERE "
        if sep:
            return self._conn().execute(sql + "market = %s AND market_line_id = %s",
                                        (market, mline)).fetchone()
        row = self._conn().execute(sql + "market_line_id = %s ORDER BY id LIMIT 1",
                                   (ref,)).fetchone()
        if row is None and ref.isdigit():
            row = self.line(int(ref))
        return row

    def buyer(self, line_id: int) -> dict[str, Any]:
        """The decrypted buyer data of one line, for the supplier order only."""
        row = self._conn().execute("SELECT market, market_line_id, pii FROM order_lines WHERE "
                                   "id = %s", (line_id,)).fetchone()
        if row is None or not row["pii"]:
            return {}
        return self.cipher.decrypt(row["pii"], _aad(row["market"], row["market_line_id"]))

    def customs_code(self, line_id: int) -> str | None:
        row = self._conn().execute("SELECT market, market_line_id, customs FROM order_lines "
                                   "WHERE id = %s", (line_id,)).fetchone()
        if row is None or not row["customs"]:
            return None
        return self.cipher.decrypt(row["customs"],
                                   _aad(row["market"], row["market_line_id"]) + ":customs")

    def events(self, line_id: int) -> list[dict[str, Any]]:
        return self._conn().execute(
            "SELECT event_type, from_status, to_status, payload, run_id, asset_key, "
            "partition_key, created_at FROM order_events WHERE order_line_id = %s ORDER BY id",
            (line_id,)).fetchall()

    # -- state changes ---------------------------------------------------------------------
    def transition(self, line_id: int, to_status: str, run: RunInfo, event: str, *,
                   expect: Sequence[str] | None = None, payload: dict | None = None,
                   **fields: Any) -> bool:
        """Move one line to `to_status` (checked against the state machine), set `fields`, and
        write the event, in one statement. Returns False when the line is not in `expect`
        (someone moved it); raises TransitionError for a move the state machine forbids."""
        bad = set(fields) - _UPDATABLE
        if bad:
            raise ValueError(f"not updatable: {sorted(bad)}")
        allowed = {s for s, tos in TRANSITIONS.items() if to_status in tos} | {to_status}
        if expect is not None:
            allowed &= set(expect)
        sets = ", ".join(["status = %(to)s", "updated_at = now()"] +
                         [f"{k} = %(f_{k})s" for k in fields])
        params = {"id": line_id, "to": to_status, "allowed": sorted(allowed), "ev": event,
                  "payload": Jsonb(payload or {}), "run": run.run_id, "asset": run.asset_key,
                  "part": run.partition_key, **{f"f_{k}": _val(k, v) for k, v in fields.items()}}
        row = self._conn().execute(
            f"""WITH cur AS (SELECT id, status, market, market_line_id FROM order_lines
                              WHERE id = %(id)s FOR UPDATE),
                     up AS (UPDATE order_lines o SET {sets} FROM cur
                             WHERE o.id = cur.id AND cur.status = ANY(%(allowed)s)
                            RETURNING o.id, cur.status AS frm, cur.market, cur.market_line_id)
                INSERT INTO order_events (order_line_id, market, market_line_id, event_type,
                       from_status, to_status, payload, run_id, asset_key, partition_key)
                SELECT id, market, market_line_id, %(ev)s, frm, %(to)s, %(payload)s, %(run)s,
                       %(asset)s, %(part)s FROM up RETURNING id""", params).fetchone()
        if row is not None:
            return True
        cur = self._conn().execute("SELECT status FROM order_lines WHERE id = %s",
                                   (line_id,)).fetchone()
        if cur is None:
            raise KeyError(f"no order line {line_id}")
        if expect is not None and cur["status"] not in expect:
            return False
        check_transition(cur["status"], to_status)
        return False

    def note(self, line_id: int, event: str, payload: dict, run: RunInfo, **fields: Any) -> None:
        """An event without a status change (a warning, a market answer worth keeping)."""
        bad = set(fields) - _UPDATABLE
        if bad:
            raise ValueError(f"not updatable: {sorted(bad)}")
        sets = ", ".join(["updated_at = now()"] + [f"{k} = %(f_{k})s" for k in fields])
        self._conn().execute(
            f"""WITH up AS (UPDATE order_lines SET {sets} WHERE id = %(id)s
                            RETURNING id, status, market, market_line_id)
                INSERT INTO order_events (order_line_id, market, market_line_id, event_type,
                       from_status, to_status, payload, run_id, asset_key, partition_key)
                SELECT id, market, market_line_id, %(ev)s, status, status, %(payload)s, %(run)s,
                       %(asset)s, %(part)s FROM up""",
            {"id": line_id, "ev": event, "payload": Jsonb(payload), "run": run.run_id,
             "asset": run.asset_key, "part": run.partition_key,
             **{f"f_{k}": _val(k, v) for k, v in fields.items()}})

    def transition_many(self, ids: Sequence[int], to_status: str, run: RunInfo, event: str, *,
                        expect: Sequence[str], per_line: dict[int, dict] | None = None,
                        **fields: Any) -> set[int]:
        """`transition` for many lines in one statement: `fields` are the same for every line,
        `per_line[id]` holds that line's own values (the same keys for all) and, under
        "payload", its event payload. Returns the ids that moved (those in `expect`)."""
        if not ids:
            return set()
        per_line = per_line or {}
        keys = sorted({k for v in per_line.values() for k in v if k != "payload"})
        bad = (set(fields) | set(keys)) - _UPDATABLE
        if bad:
            raise ValueError(f"not updatable: {sorted(bad)}")
        allowed = sorted(({s for s, tos in TRANSITIONS.items() if to_status in tos}
                          | {to_status}) & set(expect))
        rows = [{"id": i, "payload": (per_line.get(i) or {}).get("payload") or {},
                 **{k: (per_line.get(i) or {}).get(k) for k in keys}} for i in ids]
        cols = ", ".join(["id bigint", "payload jsonb"] + [f"{k} {_TYPES[k]}" for k in keys])
        sets = ", ".join(["status = %(to)s", "updated_at = now()"]
                         + [f"{k} = %(f_{k})s" for k in fields] + [f"{k} = x.{k}" for k in keys])
        out = self._conn().execute(
            f"""WITH x AS (SELECT * FROM jsonb_to_recordset(%(rows)s) AS x({cols})),
                     cur AS (SELECT o.id, o.status, o.market, o.market_line_id FROM order_lines o
                              JOIN x USING (id) WHERE o.status = ANY(%(allowed)s) FOR UPDATE OF o),
                     up AS (UPDATE order_lines o SET {sets} FROM x, cur
                             WHERE o.id = x.id AND cur.id = x.id
                            RETURNING o.id, cur.status AS frm, cur.market, cur.market_line_id,
                                      x.payload)
                INSERT INTO order_events (order_line_id, market, market_line_id, event_type,
                       from_status, to_status, payload, run_id, asset_key, partition_key)
                SELECT id, market, market_line_id, %(ev)s, frm, %(to)s, payload, %(run)s,
                       %(asset)s, %(part)s FROM up RETURNING order_line_id""",
            {"rows": Jsonb(rows), "to": to_status, "allowed": allowed, "ev": event,
             "run": run.run_id, "asset": run.asset_key, "part": run.partition_key,
             **{f"f_{k}": _val(k, v) for k, v in fields.items()}}).fetchall()
        return {r["order_line_id"] for r in out}

    def note_many(self, per_line: dict[int, dict], event: str, run: RunInfo) -> int:
        """`note` for many lines: per_line[id] = {"payload": {...}, **fields} (same keys)."""
        if not per_line:
            return 0
        keys = sorted({k for v in per_line.values() for k in v if k != "payload"})
        if set(keys) - _UPDATABLE:
            raise ValueError(f"not updatable: {sorted(set(keys) - _UPDATABLE)}")
        rows = [{"id": i, "payload": v.get("payload") or {}, **{k: v.get(k) for k in keys}}
                for i, v in per_line.items()]
        cols = ", ".join(["id bigint", "payload jsonb"] + [f"{k} {_TYPES[k]}" for k in keys])
        sets = ", ".join(["updated_at = now()"] + [f"{k} = x.{k}" for k in keys])
        out = self._conn().execute(
            f"""WITH x AS (SELECT * FROM jsonb_to_recordset(%(rows)s) AS x({cols})),
                     up AS (UPDATE order_lines o SET {sets} FROM x WHERE o.id = x.id
                            RETURNING o.id, o.status, o.market, o.market_line_id, x.payload)
                INSERT INTO order_events (order_line_id, market, market_line_id, event_type,
                       from_status, to_status, payload, run_id, asset_key, partition_key)
                SELECT id, market, market_line_id, %(ev)s, status, status, payload, %(run)s,
                       %(asset)s, %(part)s FROM up RETURNING 1""",
            {"rows": Jsonb(rows), "ev": event, "run": run.run_id, "asset": run.asset_key,
             "part": run.partition_key}).fetchall()
        return len(out)

    def clear_customs(self, line_id: int, run: RunInfo) -> None:
        self.note(line_id, "customs_code_cleared", {}, run, customs=None)

    # -- retention -------------------------------------------------------------------------
    def redact_due(self, run: RunInfo, *, claim_window_days: int = CLAIM_WINDOW_DAYS,
                   now: datetime | None = None) -> int:
        """Redact buyer data of lines delivered (or cancelled) longer than the claim window
        ago; amounts, items and dates stay (the 5-year transaction record)."""
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=claim_window_days)
        conn = self._conn()
        with conn.transaction():
            rows = conn.execute(
                "UPDATE order_lines SET pii = NULL, customs = NULL, pii_redacted_at = now(), "
                "updated_at = now() WHERE pii_redacted_at IS NULL AND status = ANY(%s) AND "
                "coalesce(delivered_at, cancelled_at, shipped_at + interval '7 days') < %s "
                "RETURNING id, market, market_line_id, status",
                (sorted(TERMINAL), cutoff)).fetchall()
            for r in rows:
                self._event(conn, r["id"], r["market"], r["market_line_id"], "buyer_data_redacted",
                            r["status"], r["status"], {"claim_window_days": claim_window_days}, run)
        return len(rows)

    def purge_older_than(self, years: int = TXN_RETENTION_YEARS) -> int:
        """Drop transaction records past the retention period (events go with them)."""
        cur = self._conn().execute(
            "DELETE FROM order_lines WHERE collected_at < now() - make_interval(years => %s)",
            (years,))
        return cur.rowcount

    def rotate_pii(self, run: RunInfo) -> int:
        """Re-encrypt every blob not under the current key (after putting a new key first)."""
        conn = self._conn()
        n = 0
        cur_kid = self.cipher.current
        with conn.transaction():
            rows = conn.execute("SELECT id, market, market_line_id, pii, customs FROM order_lines "
                                "WHERE pii IS NOT NULL OR customs IS NOT NULL FOR UPDATE").fetchall()
            for r in rows:
                aad = _aad(r["market"], r["market_line_id"])
                new = {}
                for col, a in (("pii", aad), ("customs", aad + ":customs")):
                    blob = r[col]
                    if blob and self.cipher.key_id(blob) != cur_kid:
                        new[col] = self.cipher.encrypt(self.cipher.decrypt(blob, a), a)
                if new:
                    sets = ", ".join(f"{k} = %s" for k in new)
                    conn.execute(f"UPDATE order_lines SET {sets} WHERE id = %s",
                                 list(new.values()) + [r["id"]])
                    n += 1
        return n

    # -- numbers ---------------------------------------------------------------------------
    def summary(self) -> list[dict[str, Any]]:
        return self._conn().execute(
            """SELECT market, count(*) AS collected,
                 count(*) FILTER (WHERE placed_at IS NOT NULL) AS placed,
                 count(*) FILTER (WHERE status IN ('shipped', 'delivered')) AS shipped,
                 count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                 count(*) FILTER (WHERE status = 'unmatched') AS unmatched,
                 count(*) FILTER (WHERE status = 'held') AS held
               FROM order_lines GROUP BY market ORDER BY market""").fetchall()

    def status_counts(self, market: str | None = None) -> dict[str, int]:
        rows = self._conn().execute(
            "SELECT status, count(*) AS n FROM order_lines WHERE %s::text IS NULL OR market = %s "
            "GROUP BY status", (market, market)).fetchall()
        return {r["status"]: r["n"] for r in rows}

    # -- listings (for matching) ------------------------------------------------------------
    def listing_rows(self, market: str) -> list[dict[str, Any]]:
        """Every product with an entry for `market`: ids, the listing, external ids, raw costs."""
        return self._conn().execute(
            """SELECT id, supplier_key, supplier_item_id, raw_data -> 'cost' AS cost,
                      raw_data -> 'variants' AS variants, raw_data -> 'shipping_fee' AS shipping_fee,
                      market_data -> %s AS entry
                 FROM source_data WHERE market_data ? %s""", (market, market)).fetchall()
