"""Market metadata in Postgres: what the `market_categories` / `market_category_rules`
assets write and `market_listings` reads (named methods; callers never write SQL)."""

from __future__ import annotations

import json
from psycopg.types.json import Jsonb

from dropship_core.markets.metadata.model import CategoryRules, MarketMetadata


class MetadataStore:
    def __init__(self, store):
        self.store = store            # a dropship_core.store.Store (for connect())

    def save(self, md: MarketMetadata, *, replace_tree: bool = True) -> int:
        """Write the market's metadata: the tree (when `replace_tree`, categories gone from it
        are deleted) and every category's rules. Returns the rows written."""
        rows = [(md.market, r.category_id, r.path, r.leaf, Jsonb(r.to_dict()), r.source == "api")
                for r in md.rules.values()]
        with self.store.connect() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "INSERT INTO market_metadata (market, source, version, extra, categories,"
                " fetched_at) VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT (market) DO UPDATE"
                " SET source = EXCLUDED.source, version = EXCLUDED.version,"
                " extra = EXCLUDED.extra, categories = EXCLUDED.categories,"
                " fetched_at = EXCLUDED.fetched_at",
                (md.market, md.source, md.version, Jsonb(md.extra), len(rows)))
            if replace_tree:
                cur.execute("DELETE FROM market_category_rules WHERE market = %s", (md.market,))
            cur.executemany(
                "INSERT INTO market_category_rules (market, category_id, path, is_leaf, rules,"
                " detailed) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (market, category_id)"
                " DO UPDATE SET path = EXCLUDED.path, is_leaf = EXCLUDED.is_leaf,"
                " rules = EXCLUDED.rules, detailed = EXCLUDED.detailed, fetched_at = now()",
                rows)
        return len(rows)

    def load(self, market: str) -> MarketMetadata | None:
        with self.store.connect() as conn:
            head = conn.execute("SELECT source, version, extra, fetched_at FROM market_metadata"
                                " WHERE market = %s", (market,)).fetchone()
            if head is None:
                return None
            rows = conn.execute("SELECT rules FROM market_category_rules WHERE market = %s",
                                (market,)).fetchall()
        rules = {}
        for (r,) in rows:
            cr = CategoryRules.from_dict(r if isinstance(r, dict) else json.loads(r))
            rules[cr.category_id] = cr
        return MarketMetadata(market, rules, source=head[0], extra=dict(head[2] or {}),
                              fetched_at=head[3].isoformat() if head[3] else None,
                              _version=head[1])

    def detailed_ids(self, market: str) -> set[str]:
        with self.store.connect() as conn:
            return {r[0] for r in conn.execute(
                "SELECT category_id FROM market_category_rules WHERE market = %s AND detailed",
                (market,)).fetchall()}

    def catalog_categories(self) -> list[dict]:
        """The distinct `ai_data.categories` of the catalog: what the category rules must cover."""
        with self.store.connect() as conn:
            rows = conn.execute("SELECT DISTINCT ai_data -> 'categories' FROM source_data"
                                " WHERE ai_data ? 'categories'").fetchall()
        return [{"categories": r[0]} for r in rows if r[0]]

    def summary(self) -> list[dict]:
        with self.store.connect() as conn:
            rows = conn.execute("SELECT market, source, version, categories, fetched_at FROM"
                                " market_metadata ORDER BY market").fetchall()
        return [{"market": m, "source": s, "version": v, "categories": n,
                 "fetched_at": f.isoformat() if f else None} for m, s, v, n, f in rows]

