"""Which metadata a listing is built against, and keeping it current.

- `refresh_tree`: the market's category tree from its API (or the shipped snapshot without
  credentials); rules already read for a category whose path did not change are kept;
- `refresh_rules`: the rules of the categories the catalog maps to, read from the category
  APIs (only those not read yet, or all with `force`);
- `current`: what `market_listings` uses: the stored metadata, else (credentials set, nothing
  stored yet) a fresh read, else the snapshot.
"""

from __future__ import annotations

from typing import Iterable

from dropship_core.markets.metadata.fetch import fetch_rules, fetch_tree
from dropship_core.markets.metadata.mapping import resolve
from dropship_core.markets.metadata.model import MarketMetadata
from dropship_core.markets.metadata.snapshot import shipped


def needed_ids(market: str, md: MarketMetadata, catalog: Iterable[dict]) -> set[str]:
    """The category ids of `market` the catalog's products map to."""
    out: set[str] = set()
    for ai in catalog:
        cat, _ = resolve(market, ai, md)
        if cat and cat.get("id"):
            out.add(str(cat["id"]))
    return out


def refresh_tree(market: str, client, previous: MarketMetadata | None) -> MarketMetadata:
    if client is None:
        return shipped(market)
    md = fetch_tree(client, market)
    if previous is not None:
        for cid, old in previous.rules.items():
            new = md.rules.get(cid)
            if new is not None and old.source == "api" and old.path == new.path:
                md.rules[cid] = old
    return md


def refresh_rules(md: MarketMetadata, client, catalog: Iterable[dict],
                  force: bool = False) -> tuple[MarketMetadata, int]:
    """(`md` with the catalog's categories read from the API, how many were read)."""
    if client is None:
        return md, 0
    ids = needed_ids(md.market, md, catalog)
    todo = ids if force else {i for i in ids if md.rules[i].source != "api"}
    if not todo:
        return md, 0
    return fetch_rules(client, md, todo), len(todo)


def current(market: str, mstore=None, client=None, catalog: Iterable[dict] = ()) -> MarketMetadata:
    md = mstore.load(market) if mstore is not None else None
    if md is not None:
        return md
    if client is None:
        return shipped(market)
    md, _ = refresh_rules(refresh_tree(market, client, None), client, list(catalog))
    if mstore is not None:
        mstore.save(md)
    return md
