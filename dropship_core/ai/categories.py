"""Marketplace category trees as data.

The trees ship as CSV reference data in `dropship_core/ai/data/` (SmartStore: the full tree with
parents; Coupang: display-category leaves only). The same rows can be loaded into the store table
`market_categories` (migration 300) and refreshed there from a marketplace's category API; the
classifier is built from rows, whichever the source.

ESM (Gmarket/Auction) publishes no code table: `esm_category_map.yaml` names the ESM branch for
SmartStore path prefixes (no codes); codes come from ESM's category API
(`dropship_core.markets.metadata`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

DATA_DIR = Path(__file__).parent / "data"
NAVER_CSV = DATA_DIR / "naver_categories.csv"
COUPANG_CSV = DATA_DIR / "coupang_categories_partial.csv"
ESM_MAP_YAML = DATA_DIR / "esm_category_map.yaml"

# Which file holds which market's tree.
TREE_FILES = {"smartstore": NAVER_CSV, "coupang": COUPANG_CSV}


@dataclass(frozen=True)
class CategoryRow:
    market: str
    category_id: str
    full_path: str
    depth: int
    name: str
    is_leaf: bool
    parent_id: str | None = None
    required_option_types: tuple[str, ...] = ()

    @property
    def levels(self) -> list[str]:
        return self.full_path.split(">")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["required_option_types"] = list(self.required_option_types)
        return d


def _row_from_naver(r: dict[str, str]) -> CategoryRow:
    return CategoryRow(
        market="smartstore",
        category_id=r["category_id"].strip(),
        full_path=r["full_path"].strip(),
        depth=int(r["depth"]),
        name=r["name"].strip(),
        is_leaf=r["is_leaf"].strip().upper() == "Y",
        parent_id=(r.get("parent_id") or "").strip() or None,
    )


def _row_from_coupang(r: dict[str, str]) -> CategoryRow:
    path = r["full_path"].strip()
    opts = tuple(o.strip() for o in (r.get("required_option_types") or "").split("|") if o.strip())
    # Every row of the Coupang file is a display-category leaf; parents are not listed.
    return CategoryRow(
        market="coupang",
        category_id=r["display_category_code"].strip(),
        full_path=path,
        depth=int(r["depth"]),
        name=path.split(">")[-1],
        is_leaf=True,
        parent_id=None,
        required_option_types=opts,
    )


def parse_tree_csv(market: str, text: str) -> list[CategoryRow]:
    """Parse a tree CSV in the shipped format of `market`."""
    reader = csv.DictReader(io.StringIO(text))
    conv = _row_from_naver if market == "smartstore" else _row_from_coupang
    return [conv(r) for r in reader if (r.get("full_path") or "").strip()]


@lru_cache(maxsize=4)
def _load_shipped(market: str) -> tuple[CategoryRow, ...]:
    path = TREE_FILES[market]
    return tuple(parse_tree_csv(market, path.read_text(encoding="utf-8")))


def load_tree(market: str, path: str | Path | None = None) -> list[CategoryRow]:
    """Category rows of `market` from the shipped CSV (or another file in the same format)."""
    if market not in TREE_FILES:
        raise ValueError(f"no category tree file for market {market!r}")
    if path is None:
        return list(_load_shipped(market))
    return parse_tree_csv(market, Path(path).read_text(encoding="utf-8"))


def leaves(rows: Iterable[CategoryRow]) -> list[CategoryRow]:
    return [r for r in rows if r.is_leaf]


# ---------------------------------------------------------------- store

_COLUMNS = (
    "market", "category_id", "full_path", "depth", "name", "is_leaf", "parent_id",
    "required_option_types",
)


def load_categories_into_store(conn, market: str, rows: Iterable[CategoryRow | dict]) -> int:
    """Upsert a market's tree into `market_categories` (COPY into a temp table, then one upsert).

    Rows of that market missing from `rows` are deleted, so a refresh from the category API
    leaves exactly the new tree. Ids are the key: a renamed or moved category keeps its id.
    Returns the number of rows written. The caller owns the transaction (psycopg 3 connection).
    """
    norm: list[CategoryRow] = []
    for r in rows:
        if isinstance(r, dict):
            r = CategoryRow(
                market=market,
                category_id=str(r["category_id"]),
                full_path=r["full_path"],
                depth=int(r.get("depth") or len(r["full_path"].split(">"))),
                name=r.get("name") or r["full_path"].split(">")[-1],
                is_leaf=bool(r.get("is_leaf", True)),
                parent_id=(str(r["parent_id"]) if r.get("parent_id") else None),
                required_option_types=tuple(r.get("required_option_types") or ()),
            )
        if r.market != market:
            raise ValueError(f"row {r.category_id} is for {r.market}, not {market}")
        norm.append(r)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp._mc_load")
        cur.execute("CREATE TEMP TABLE _mc_load (LIKE market_categories INCLUDING DEFAULTS)")
        with cur.copy(
            "COPY _mc_load (market, category_id, full_path, depth, name, is_leaf, parent_id,"
            " required_option_types) FROM STDIN"
        ) as cp:
            for r in norm:
                cp.write_row(
                    (r.market, r.category_id, r.full_path, r.depth, r.name, r.is_leaf,
                     r.parent_id, list(r.required_option_types))
                )
        cur.execute(
            """
            INSERT INTO market_categories AS mc
                (market, category_id, full_path, depth, name, is_leaf, parent_id,
                 required_option_types, refreshed_at)
            SELECT market, category_id, full_path, depth, name, is_leaf, parent_id,
                   required_option_types, now()
            FROM _mc_load
            ON CONFLICT (market, category_id) DO UPDATE SET
                full_path = EXCLUDED.full_path, depth = EXCLUDED.depth, name = EXCLUDED.name,
                is_leaf = EXCLUDED.is_leaf, parent_id = EXCLUDED.parent_id,
                required_option_types = EXCLUDED.required_option_types,
                refreshed_at = EXCLUDED.refreshed_at
            """
        )
        cur.execute(
            "DELETE FROM market_categories mc WHERE mc.market = %s"
            " AND NOT EXISTS (SELECT 1 FROM _mc_load l WHERE l.category_id = mc.category_id)",
            (market,),
        )
        cur.execute("DROP TABLE IF EXISTS pg_temp._mc_load")
    return len(norm)


def read_categories(conn, market: str) -> list[CategoryRow]:
    """The tree of `market` as stored, ordered by path."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT " + ", ".join(_COLUMNS) + " FROM market_categories"
            " WHERE market = %s ORDER BY full_path, category_id",
            (market,),
        )
        out = []
        for m, cid, path, depth, name, leaf, parent, opts in cur.fetchall():
            out.append(
                CategoryRow(m, cid, path, int(depth), name, bool(leaf), parent, tuple(opts or ()))
            )
    return out


# ---------------------------------------------------------------- ESM (configuration)

@dataclass(frozen=True)
class EsmCategory:
    code: str
    name: str
    prefix: str


def load_esm_map(path: str | Path | None = None) -> list[EsmCategory]:
    """Entries of the ESM mapping, longest SmartStore prefix first."""
    doc = yaml.safe_load(Path(path or ESM_MAP_YAML).read_text(encoding="utf-8")) or {}
    out = [
        EsmCategory(code=str(e.get("esm_code") or ""), name=str(e.get("esm_name", "")),
                    prefix=str(e["smartstore_prefix"]))
        for e in doc.get("mappings", [])
    ]
    out.sort(key=lambda e: (-len(e.prefix), e.prefix))
    return out


def esm_category_for(smartstore_path: str, mapping: list[EsmCategory]) -> EsmCategory | None:
    """The ESM category configured for the longest matching SmartStore path prefix."""
    for e in mapping:
        if smartstore_path == e.prefix or smartstore_path.startswith(e.prefix + ">"):
            return e
    return None
