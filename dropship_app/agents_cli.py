"""`dropship agents ...`: work through the agents' price recommendations.

    dropship agents pending [--market M] [--supplier S] [--reason R] [--page N] [--page-size K] [--json]
    dropship agents approve ID [ID ...] | --all [--market M] [--supplier S] [--reason R]
    dropship agents reject  ID [ID ...] | --all [filters]

`--reason` matches the kind of evidence (competitor, market_room, stockout, floor) or a word of
the reason text. Approved changes are applied by the next agents run (through the listing's
price override and price_optimization).
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def _agent_store():
    from dropship_core.ai.agent_store import AgentStore
    from dropship_app.common import open_store as _store

    return AgentStore(_store().database_url)


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--market")
    p.add_argument("--supplier")
    p.add_argument("--reason", help="evidence kind (competitor, market_room, stockout, floor) or a word of the reason")


def cmd_pending(args, store=None, out=print) -> int:
    from dropship_app.table import table

    s = store or _agent_store()
    total, rows = s.pending(args.market, args.supplier, args.reason, args.page, args.page_size)
    if args.json:
        out(json.dumps({"total": total, "page": args.page, "page_size": args.page_size, "rows": rows},
                       ensure_ascii=False, default=str))
        return 0
    pages = max(1, -(-total // args.page_size))
    shown: list[dict[str, Any]] = [{**r, "code": f"{r['supplier_key']}:{r['supplier_item_id']}",
                                    "name": (r["name"] or "")[:28], "reason": (r["reason"] or "")[:60],
                                    "change": f"{float(r['change_pct'] or 0):+.1f}%"} for r in rows]
    out(f"{total} price recommendation(s) pending approval; page {args.page}/{pages}")
    out(table(shown, ["id", "market", "code", "name", "old_price", "new_price", "change", "evidence_kind",
                      "evidence_age_h", "reason"]))
    return 0


def cmd_decide(args, store=None, out=print) -> int:
    s = store or _agent_store()
    if not args.ids and not args.all:
        out("error: give recommendation ids, or --all with filters")
        return 2
    status = "rejected" if args.agents_cmd == "reject" or getattr(args, "reject", False) else "approved"
    n = s.decide(status, args.ids, args.market, args.supplier, args.reason)
    if n == 0:
        out("error: no pending price recommendation matched")
        return 2
    out(f"{status} {n} price recommendation(s)"
        + ("; the next agents run applies them through the listing and price_optimization"
           if status == "approved" else ""))
    return 0


def register(ag) -> None:
    """`ag`: the subparsers of the `agents` command."""
    p = ag.add_parser("pending", help="price recommendations waiting for a person: totals, filters, pages")
    _filters(p)
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--page-size", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pending)
    for verb in ("approve", "reject"):
        p = ag.add_parser(verb, help=f"{verb} pending price recommendations by id, or all matching the filters")
        p.add_argument("ids", type=int, nargs="*")
        p.add_argument("--all", action="store_true", help="every pending one matching the filters")
        if verb == "approve":
            p.add_argument("--reject", action="store_true", help="same as `agents reject`")
        _filters(p)
        p.set_defaults(func=cmd_decide)
