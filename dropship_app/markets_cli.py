"""`dropship markets ...` commands.

    dropship markets ping smartstore|coupang|gmarket   # cheapest authenticated call; exit 0 / 1
    dropship markets sandbox [--port-base N]           # serve the three sandbox marketplaces

The `dropship` CLI (`dropship_app.cli`) calls `register_cli(subparsers)`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from dropship_core.markets.errors import MarketError


def register_cli(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("markets", help="marketplace connectors (ping, sandbox)")
    sub = p.add_subparsers(dest="markets_command", required=True)
    ping = sub.add_parser("ping", help="authenticate against a marketplace (cheapest call)")
    ping.add_argument("market", help="smartstore | coupang | gmarket (aliases: naver, esm)")
    ping.add_argument("--timeout", type=float, default=15.0)
    ping.set_defaults(func=cmd_ping)
    sb = sub.add_parser("sandbox", help="serve the sandbox marketplaces on loopback ports")
    sb.add_argument("--port-base", type=int, default=0,
                    help="smartstore on N, coupang on N+1, gmarket on N+2 (0: any free ports)")
    sb.add_argument("--seconds", type=float, default=0, help="stop after this long (0: forever)")
    sb.set_defaults(func=cmd_sandbox)
    return p


def cmd_ping(args) -> int:
    from dropship_core.markets.factory import client_from_env

    try:
        client = client_from_env(args.market, timeout=args.timeout)
    except ValueError as exc:
        print(f"markets ping: {exc}", file=sys.stderr)
        return 2
    try:
        res = client.ping()
    except MarketError as exc:
        print(f"markets ping {client.market}: FAILED: {exc}", file=sys.stderr)
        if exc.response is not None:
            print(json.dumps(exc.response, ensure_ascii=False)[:2000], file=sys.stderr)
        return 1
    finally:
        client.close()
    print(f"markets ping {client.market}: ok ({client.http.calls.total} call(s))")
    print(json.dumps(res, ensure_ascii=False))
    return 0


def cmd_sandbox(args) -> int:
    from dropship_sandbox.market_common import start_market_sandboxes

    servers, env = start_market_sandboxes(args.port_base)
    for k, v in env.items():
        print(f"export {k}='{v}'")
    sys.stdout.flush()
    try:
        deadline = time.monotonic() + args.seconds if args.seconds else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for s in servers:
            s.stop()
    return 0
