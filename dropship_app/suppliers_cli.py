"""`dropship suppliers ping KEY`: the cheapest authenticated call for one supplier account;
`dropship suppliers remove KEY [--purge]`: delist a supplier's products (then delete its data);
`import_guard`: what `suppliers import-excel` checks before writing.

Exit status 0 when the supplier answered, 1 with the supplier's error, 2 for a configuration error.
"""

from __future__ import annotations

import argparse
import sys

from dropship_core.suppliers.base import SupplierError
from dropship_core.suppliers.factory_remote import PING_SETTINGS, REMOTE_KINDS, connector_for
from dropship_core.suppliers.registry import ConfigError, get_account, load_accounts

# below this share of a file's codes already known for a non-empty supplier, the import is questioned
LOW_OVERLAP = 0.2


def import_guard(key: str, codes: list[str], known_codes: set[str], *, new_supplier: bool,
                 config_path: str | None = None) -> tuple[str | None, str | None]:
    """(error, warning) for importing a file with `codes` into supplier `key`: an error when the
    key is not in suppliers.yaml (unless `new_supplier`), a warning when the file's codes overlap
    little with what the supplier already has."""
    try:
        keys = [a.key for a in load_accounts(config_path)]
    except ConfigError:
        keys = []
    if key not in keys and not new_supplier:
        import difflib

        near = difflib.get_close_matches(key, keys, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return (f"supplier {key!r} is not in suppliers.yaml{hint}; known: {', '.join(keys) or 'none'}. "
                "Add it there, or pass --new-supplier to create it from this file"), None
    if known_codes and codes:
        shared = len(set(codes) & known_codes)
        if shared / len(set(codes)) < LOW_OVERLAP:
            return None, (f"only {shared} of {len(set(codes))} codes in this file are already known for {key} "
                          f"({len(known_codes)} products on record): is this the right supplier?")
    return None, None


def cmd_remove(args: argparse.Namespace) -> int:
    from dropship_app.common import open_store
    from dropship_core.store import RunInfo

    s = open_store()
    out = s.remove_supplier(args.key, RunInfo.cli("suppliers remove"), purge=args.purge)
    print(f"{args.key}: {out['delisted']} product(s) delisted (events recorded; the next market sync stops "
          "their listings)")
    if out.get("refused"):
        print(f"purge refused: {out['refused']}", file=sys.stderr)
        return 1
    if out["purged"]:
        print(f"{args.key}: purged " + ", ".join(f"{k.removesuffix('_deleted')} {v}" for k, v in out.items()
                                                 if k.endswith("_deleted")))
    try:
        still = [a.key for a in load_accounts(args.config) if a.key == args.key and a.enabled]
    except ConfigError:
        still = []
    if still:
        print(f"note: {args.key} is still enabled in suppliers.yaml; the next sync brings it back",
              file=sys.stderr)
    return 0


PING_DEADLINE_S = 15.0


def endpoint_of(connector) -> str:
    """The URL (credentials hidden) a connector talks to, for error messages."""
    from dropship_core.db import redact_url

    st = getattr(connector, "s", None)
    for name in ("api_url", "base_url", "auth_url"):
        url = getattr(st, name, None)
        if url:
            return redact_url(str(url))
    return "its endpoint"


def cmd_ping(args: argparse.Namespace) -> int:
    import threading

    try:
        account = get_account(args.key, args.config)
        if account.kind not in REMOTE_KINDS:
            print(f"{args.key}: kind {account.kind!r} has no remote API to ping", file=sys.stderr)
            return 2
        connector = connector_for(account, overrides=PING_SETTINGS if account.kind != "webhook" else None)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    where = endpoint_of(connector)
    result: dict[str, object] = {}

    def attempt() -> None:
        try:
            result["ok"] = connector.ping()
        except SupplierError as e:
            result["error"] = str(e)
        except Exception as e:  # noqa: BLE001 - reported as one line naming the endpoint
            result["error"] = f"{type(e).__name__}: {e}"

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(PING_DEADLINE_S)
    close = getattr(connector, "close", None)
    if t.is_alive():
        print(f"{args.key}: FAILED: no answer from {where} within {PING_DEADLINE_S:.0f} s", file=sys.stderr)
        return 1
    if close:
        close()
    if "error" in result:
        print(f"{args.key}: FAILED calling {where}: {result['error']}", file=sys.stderr)
        return 1
    print(f"{args.key}: OK: {result['ok']}")
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
    rm = sub.add_parser("remove", help="delist every product of a supplier; --purge also deletes its data")
    rm.add_argument("key", help="the supplier key")
    rm.add_argument("--purge", action="store_true",
                    help="after delisting, delete its products, events, quarantine and inbox rows "
                         "(refused while a listing is still live on a marketplace)")
    rm.add_argument("--config", default=None, help="path of suppliers.yaml")
    rm.set_defaults(func=cmd_remove)

