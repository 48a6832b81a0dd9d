"""`dropship orders ...`

    dropship orders collect [--market smartstore|coupang|gmarket] [--json]
    dropship orders list [--market M] [--status S] [--json]      # buyer data masked
    dropship orders show ID                                       # ID: ours, or market:line id
    dropship orders place [ID ...|--all] [--accept-held]
    dropship orders ship [--market M] [--json]                    # confirm, tracking, dispatch, cancel
    dropship orders import-tracking FILE --supplier KEY [--json]
    dropship orders redact [--json]                               # buyer data past the claim window
    dropship orders rotate-key                                    # re-encrypt under the first key

Credentials and base URLs: the same environment variables as the listing side.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

from dropship_core.orders.pii import masked
from dropship_core.store.store import RunInfo

MARKETS = ("smartstore", "coupang", "gmarket")
LIST_COLS = ["id", "market", "market_line_id", "status", "product_name", "quantity", "total_price",
             "supplier_key", "supplier_order_ref", "tracking_number", "buyer", "address"]


def _command(sub, name: str, help_: str, func: Callable, *, json_out: bool = True,
             market: bool = False) -> argparse.ArgumentParser:
    """One `orders` sub-command with the flags most of them share (--market, --json)."""
    x = sub.add_parser(name, help=help_)
    if market:
        x.add_argument("--market", choices=MARKETS + ("naver", "esm"))
    if json_out:
        x.add_argument("--json", action="store_true")
    x.set_defaults(func=func)
    return x


def register_cli(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("orders", help="orders: collect, place, ship, track")
    sub = p.add_subparsers(dest="orders_cmd", required=True)
    _command(sub, "collect", "collect new paid orders from the markets", cmd_collect, market=True)
    x = _command(sub, "list", "order lines (buyer data masked)", cmd_list)
    x.add_argument("--market")
    x.add_argument("--status")
    x.add_argument("--limit", type=int, default=None)
    _command(sub, "show", "one order line and its events", cmd_show, json_out=False).add_argument("id")
    x = _command(sub, "place", "place new order lines with their suppliers", cmd_place)
    x.add_argument("ids", nargs="*")
    x.add_argument("--all", action="store_true")
    x.add_argument("--accept-held", action="store_true",
                   help="place held lines too (a person accepted the supplier's new price)")
    _command(sub, "ship", "confirm, pull tracking, dispatch and cancel on the markets", cmd_ship, market=True)
    x = _command(sub, "import-tracking", "tracking numbers from a supplier's Excel sheet", cmd_import_tracking)
    x.add_argument("file")
    x.add_argument("--supplier", required=True)
    _command(sub, "redact", "redact buyer data past delivery plus the claim window", cmd_redact)
    _command(sub, "rotate-key", "re-encrypt buyer data under DROPSHIP_PII_KEY's first key", cmd_rotate,
             json_out=False)
    return p


def _orders():
    from dropship_core.db import database_url
    from dropship_core.orders.service import Orders
    from dropship_core.orders.store import OrderStore

    return Orders(OrderStore(database_url()))


def _markets(arg: str | None) -> list[str]:
    from dropship_core.markets.factory import market_name

    return [market_name(arg)] if arg else list(MARKETS)


def _print(obj: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    else:
        for k, v in (obj.items() if isinstance(obj, dict) else enumerate(obj)):
            print(f"{k}: {json.dumps(v, ensure_ascii=False, default=str)}")


def _fail(cmd: str, exc: Exception) -> int:
    print(f"orders {cmd}: {exc}", file=sys.stderr)
    return 1


def _step(cmd: str, o, work: Callable[[], Any], as_json: bool) -> int:
    """Run one order step: one clear line on failure (no traceback with request data), the
    order service closed either way, the result printed."""
    try:
        out = work()
    except Exception as exc:  # noqa: BLE001
        return _fail(cmd, exc)
    finally:
        o.close()
    _print(out, as_json)
    return 0


def cmd_collect(args) -> int:
    o = _orders()
    try:
        out = {m: o.collect(m, RunInfo.cli("orders collect")) for m in _markets(args.market)}
    except Exception as exc:  # noqa: BLE001 - one clear line, no traceback with request data
        return _fail("collect", exc)
    finally:
        o.close()
    keys = ("collected", "new", "updated", "unmatched")
    if args.market:
        res = {k: out[_markets(args.market)[0]][k] for k in keys}
    else:
        res = {k: sum(v[k] for v in out.values()) for k in keys}
        res["markets"] = {m: {k: v[k] for k in keys} for m, v in out.items()}
    _print(res, args.json)
    return 0


def _public(o, row: dict) -> dict:
    buyer = masked(o.store.buyer(row["id"])) if not row["pii_redacted_at"] else {
        "buyer": "(redacted)", "receiver": "(redacted)", "phone": "", "address": ""}
    out = {k: v for k, v in row.items() if k not in ("has_customs",)}
    out.update(buyer)
    return out


def cmd_list(args) -> int:
    o = _orders()
    rows = o.store.lines(market=_markets(args.market)[0] if args.market else None,
                         status=args.status, limit=args.limit)
    out = [_public(o, r) for r in rows]
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return 0
    from dropship_app.table import table

    print(table([{c: r.get(c) if r.get(c) is not None else "" for c in LIST_COLS} for r in out],
                LIST_COLS))
    return 0


def cmd_show(args) -> int:
    o = _orders()
    row = o.store.find(args.id)
    if row is None:
        print(f"orders show: no order line {args.id!r}", file=sys.stderr)
        return 1
    out = _public(o, row)
    out["events"] = o.store.events(row["id"])
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_place(args) -> int:
    if not args.ids and not args.all:
        print("orders place: name order ids or --all", file=sys.stderr)
        return 2
    o = _orders()
    ids = None
    if args.ids:
        rows = [o.store.find(i) for i in args.ids]
        missing = [i for i, r in zip(args.ids, rows) if r is None]
        if missing:
            print(f"orders place: unknown order lines {missing}", file=sys.stderr)
            return 1
        ids = [r["id"] for r in rows]
    return _step("place", o, lambda: o.place(RunInfo.cli("orders place"), ids=ids, accept_held=args.accept_held),
                 args.json)


def cmd_ship(args) -> int:
    o = _orders()
    run = RunInfo.cli("orders ship")

    def ship() -> dict[str, Any]:
        out: dict[str, Any] = {"tracking": o.tracking(run)}
        for m in _markets(args.market):
            out[m] = o.fulfil_market(m, run)
        return out

    return _step("ship", o, ship, args.json)


def cmd_import_tracking(args) -> int:
    from dropship_core.orders.purchase_orders import import_tracking

    o = _orders()
    try:
        out = import_tracking(o.store, args.file, args.supplier,
                              RunInfo.cli("orders import-tracking"))
    except (OSError, ValueError) as exc:
        return _fail("import-tracking", exc)
    _print(out, args.json)
    return 0 if not out["rejected"] else 3


def cmd_redact(args) -> int:
    o = _orders()
    n = o.store.redact_due(RunInfo.cli("orders redact"))
    _print({"redacted": n}, args.json)
    return 0


def cmd_rotate(args) -> int:
    o = _orders()
    n = o.store.rotate_pii(RunInfo.cli("orders rotate-key"))
    print(f"re-encrypted {n} order lines under key {o.store.cipher.current}")
    return 0
