"""Reading the webhook inbox without ever passing over a committed event.

Inbox ids come from a sequence and are taken before the inserting transaction commits, so a
reader that keeps "the last id read" skips an event whose transaction commits after a higher id
was read. Each row records its writing transaction (`tx`, migration 210), and the reader keeps:

- `x`: a snapshot horizon. Every transaction below it had finished when it was taken, so every
  row with `tx < x` that will ever exist was visible then and has been read.
- `done`: the (id, tx) pairs already read with `tx >= x` (rows of transactions that committed
  while an older one was still open). They are dropped once the horizon passes them.
- `floor`: ids at or below it were read under the old id cursor (a plain integer cursor).

A read runs in one REPEATABLE READ transaction, so the horizon and the rows come from the same
snapshot: a row not visible then belongs to a transaction at or above the new horizon and is
returned by a later read. Rows are returned in (tx, id) order; with a full batch the horizon
advances only to the last row's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import psycopg


@dataclass
class InboxCursor:
    x: int = 0
    done: list[tuple[int, int]] = field(default_factory=list)
    floor: int = 0

    @classmethod
    def decode(cls, text: str | None) -> "InboxCursor":
        if not text:
            return cls()
        text = text.strip()
        if text.isdigit():  # the former "last id read" cursor
            return cls(floor=int(text))
        try:
            d = json.loads(text)
            return cls(x=int(d.get("x", 0)), done=[(int(i), int(t)) for i, t in d.get("done", [])],
                       floor=int(d.get("floor", 0)))
        except (ValueError, TypeError, AttributeError):
            return cls()

    @classmethod
    def parse_strict(cls, text: str | None) -> "InboxCursor | None":
        """The cursor if `text` is an inbox cursor in this format (not another connector's cursor
        nor the former plain id), else None."""
        try:
            d = json.loads(text or "")
        except ValueError:
            return None
        if not isinstance(d, dict) or set(d) - {"x", "done", "floor"} or "x" not in d:
            return None
        return cls.decode(text)

    def covers(self, inbox_id: int, tx: int) -> bool:
        """Whether the row (inbox_id, tx) was read under this cursor."""
        return inbox_id <= self.floor or tx < self.x or any(i == inbox_id for i, _ in self.done)

    def encode(self) -> str:
        d: dict[str, Any] = {"x": self.x, "done": [list(p) for p in sorted(self.done)]}
        if self.floor:
            d["floor"] = self.floor
        return json.dumps(d, separators=(",", ":"))


def read_inbox(conn: psycopg.Connection, cursor: str | None, limit: int, columns: str,
               supplier_key: str | None = None) -> tuple[list[tuple], str]:
    """Rows (the given `columns` of webhook_inbox) not yet read under `cursor`, and the next cursor.

    `conn` must not be inside a transaction; the read uses its own REPEATABLE READ transaction."""
    cur = InboxCursor.decode(cursor)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        horizon = conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").fetchone()[0]
        rows = conn.execute(
            f"SELECT {columns}, id, tx::text::bigint FROM webhook_inbox"
            " WHERE (%(k)s::text IS NULL OR supplier_key = %(k)s) AND tx >= %(x)s::text::xid8"
            " AND id > %(floor)s AND NOT (id = ANY(%(done)s::bigint[]))"
            " ORDER BY tx, id LIMIT %(n)s",
            {"k": supplier_key, "x": str(cur.x), "floor": cur.floor, "done": [i for i, _ in cur.done],
             "n": limit}).fetchall()
    read = [(r[-2], r[-1]) for r in rows]
    new_x = horizon if len(rows) < limit else min(horizon, read[-1][1])
    new_x = max(new_x, cur.x)
    nxt = InboxCursor(x=new_x, done=[p for p in cur.done + read if p[1] >= new_x], floor=cur.floor)
    return [r[:-2] for r in rows], nxt.encode()
