"""`dropship listings why SUPPLIER_KEY ITEM_ID --market M`: why a product is (not) listable.

Shows the stored listing's verdict and reasons; `--recompute` (or a product without a listing
yet) rebuilds it now against the stored market metadata (the shipped snapshot without one).
"""

from __future__ import annotations

import argparse

from dropship_core.markets.names import MARKETS


def register_cli(sub) -> None:
    p = sub.add_parser("listings", help="market listings").add_subparsers(dest="listings_cmd",
                                                                          required=True)
    w = p.add_parser("why", help="why a product is blocked (or listable) on a market")
    w.add_argument("supplier_key")
    w.add_argument("item_id")
    w.add_argument("--market", choices=MARKETS, action="append",
                   help="one market (repeatable); default: all")
    w.add_argument("--recompute", action="store_true",
                   help="rebuild the listing now against the stored metadata")
    w.set_defaults(func=cmd_why)


def cmd_why(args: argparse.Namespace) -> int:
    from dropship_core.db import database_url
    from dropship_core.markets.report import explain, product_row
    from dropship_core.store.store import Store

    store = Store(database_url())
    with store.connect() as conn:
        row = product_row(conn, args.supplier_key, args.item_id)
    if row is None:
        print(f"no product {args.item_id} for supplier {args.supplier_key}")
        return 2
    print(f"{args.supplier_key} {args.item_id}: {row['raw'].get('name')} ({row['status']})")
    for market in args.market or MARKETS:
        entry = row["market_data"].get(market)
        if entry is None or args.recompute:
            entry = _recompute(store, market, row, entry)
            if entry is None:
                print(f"{market}: not enriched yet (run the product sync first)")
                continue
        print("\n".join(explain(entry, market)))
    return 0


def _recompute(store, market: str, row: dict, previous: dict | None) -> dict | None:
    if not row["ai"]:
        return None
    from dropship_core.listing import market_entry
    from dropship_core.markets.metadata import shipped
    from dropship_core.pricing import load_policy
    from dropship_core.store.metadata_store import MetadataStore

    md = MetadataStore(store).load(market) or shipped(market)
    return market_entry(market, row["raw"], row["ai"], load_policy().for_market(market),
                        previous, "why", metadata=md)
