"""`dropship enrich ...`: the offline enrichment from the command line.

    dropship enrich classify [--market smartstore|coupang] [--json] [--top K] < names.txt
    dropship enrich product [--markets smartstore,coupang,gmarket] < products.jsonl
    dropship enrich map | review          (category_cli.py)

`register_cli(subparsers)` adds the `enrich` command to the product CLI's argparse parser and sets
`func` on the parsed namespace: the host calls `args.func(args)` (it returns the exit code). This
module also runs alone: `python -m dropship_app.enrich_cli enrich classify --json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Sequence


def register_cli(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    enrich = subparsers.add_parser("enrich", help="offline product enrichment (no network)")
    sub = enrich.add_subparsers(dest="enrich_command", metavar="{classify,product,map,review}")
    sub.required = True

    c = sub.add_parser(
        "classify",
        help="classify product names (one per line on stdin) into leaf categories",
        description="Reads product names, one per line, from stdin and prints the chosen leaf "
        "category id, its path and the confidence for each.",
    )
    c.add_argument("--market", choices=["smartstore", "coupang"], default="smartstore")
    c.add_argument("--json", action="store_true", help="one JSON object per line")
    c.add_argument("--top", type=int, default=1, metavar="K", help="also list the K best candidates")
    c.set_defaults(func=_classify)

    p = sub.add_parser(
        "product",
        help="enrich canonical products (JSON lines on stdin) into ai_data (JSON lines)",
    )
    p.add_argument("--markets", default="smartstore,coupang,gmarket")
    p.set_defaults(func=_product)
    from dropship_core.ai.category_cli import add_commands

    add_commands(sub)
    return enrich


def _classify(args: argparse.Namespace, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    from dropship_core.ai.category_cli import classify

    return classify(args, stdin or sys.stdin, stdout or sys.stdout)


def _product(args: argparse.Namespace, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    from dropship_core.ai.offline import OfflineEnricher

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    enricher = OfflineEnricher(markets=[m.strip() for m in args.markets.split(",") if m.strip()])
    rc = 0
    for n, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        try:
            product = json.loads(line)
        except json.JSONDecodeError as exc:
            sys.stderr.write(f"line {n}: not JSON ({exc.msg})\n")
            rc = 1
            continue
        stdout.write(json.dumps(enricher.enrich(product), ensure_ascii=False, sort_keys=True) + "\n")
    return rc


def run(args: argparse.Namespace) -> int:
    return args.func(args, sys.stdin, sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dropship")
    subparsers = parser.add_subparsers(dest="command")
    subparsers.required = True
    register_cli(subparsers)
    args = parser.parse_args(argv)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
