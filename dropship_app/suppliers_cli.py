"""`dropship suppliers ping KEY`: the cheapest authenticated call for one supplier account.

Exit status 0 when the supplier answered, 1 with the supplier's error, 2 for a configuration error.
"""

from __future__ import annotations

import argparse
import sys

from dropship_core.suppliers.base import SupplierError
from dropship_core.suppliers.factory_remote import REMOTE_KINDS, connector_for
from dropship_core.suppliers.registry import ConfigError, get_account


def cmd_ping(args: argparse.Namespace) -> int:
    try:
        account = get_account(args.key, args.config)
        if account.kind not in REMOTE_KINDS:
            print(f"{args.key}: kind {account.kind!r} has no remote API to ping", file=sys.stderr)
            return 2
        connector = connector_for(account)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    try:
        message = connector.ping()
    except SupplierError as e:
        print(f"{args.key}: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        close = getattr(connector, "close", None)
        if close:
            close()
    print(f"{args.key}: OK: {message}")
    return 0


def register_cli(subparsers, groups: dict | None = None) -> None:
    """Add `suppliers ping KEY`. When the CLI already has a `suppliers` group (passed in `groups`),
    `ping` joins it; otherwise the group is created. Each command sets `func(args) -> exit code`."""
    sub = (groups or {}).get("suppliers")
    if sub is None:
        parser = subparsers.add_parser("suppliers", help="supplier accounts")
        sub = parser.add_subparsers(dest="suppliers_command", required=True)
        if groups is not None:
            groups["suppliers"] = sub
    ping = sub.add_parser("ping", help="authenticate and make the cheapest call for one account")
    ping.add_argument("key", help="the account key in suppliers.yaml")
    ping.add_argument("--config", default=None, help="path of suppliers.yaml (default: $DROPSHIP_SUPPLIERS or ./suppliers.yaml)")
    ping.set_defaults(func=cmd_ping)
