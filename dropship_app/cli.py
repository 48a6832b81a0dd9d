"""`dropship`: the command line.

Commands that run the pipeline import Dagster lazily, so store and supplier commands start fast.
Other modules add their own subcommands through `register_cli(subparsers)`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from dropship_app.common import open_store as _store
from dropship_app.table import table

# Modules that contribute subcommands; a missing one is skipped so the core CLI always works.
PLUGINS = [
    "dropship_app.suppliers_cli",
    "dropship_app.markets_cli",
    "dropship_app.enrich_cli",
    "dropship_app.ask_cli",
    "dropship_app.listings_cli",
    "dbt_like_sql.cli",
    "dropship_app.ops_cli",
    "dropship_app.export_cli",
    "dropship_app.orders_cli",
    "dropship_app.preview_cli",
]


# -- store ---------------------------------------------------------------------------------
def cmd_store_stats(args) -> int:
    stats = _store().stats()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"products: {stats['products']['total']} "
          f"({', '.join(f'{k} {v}' for k, v in stats['products'].items() if k != 'total')})")
    print(f"events: {stats['events']['total']}   quarantined: {stats['quarantined']['total']}")
    if stats["suppliers"]:
        print()
        print(table(stats["suppliers"], ["supplier", "active", "soldout", "deleted", "enriched"]))
    if stats["markets"]:
        print()
        rows = [{"market": m, **v} for m, v in stats["markets"].items()]
        cols = ["market"] + sorted({k for v in stats["markets"].values() for k in v})
        print(table(rows, cols))
        if any("pending" in v for v in stats["markets"].values()):
            print("pending: built, not yet on the market; pending_soldout: of those, sold out at the "
                  "supplier (listed only once back in stock)")
    return 0


def cmd_store_rebuild(args) -> int:
    from dropship_core.store.rebuild import rebuild

    s = _store()
    with s.connect() as conn:
        rep = rebuild(conn, apply=args.apply)
    print(f"live rows: {rep.live_rows}  rebuilt from events: {rep.rebuilt_rows}  mismatched: {rep.mismatched}")
    if rep.sample:
        print("first differences:", json.dumps(rep.sample))
    if rep.applied:
        print("live table replaced by the replay")
        return 0
    if args.verify and not rep.ok:
        print("verify FAILED: the live table differs from the replay of its events")
        return 1
    if args.verify:
        print("verify ok: source_data equals the replay of source_data_events")
    return 0


# -- db ------------------------------------------------------------------------------------
def cmd_db_migrate(args) -> int:
    from dropship_core.db import redact_url

    store = _store(migrate=False)
    applied = store.migrate()
    url = store.database_url
    print(f"{redact_url(url)}: applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
    return 0


def cmd_db_url(args) -> int:
    from dropship_core.db import database_url, redact_url

    print(redact_url(database_url()))
    return 0


def cmd_db_stop(args) -> int:
    from dropship_core.db import stop_embedded

    print("embedded Postgres stopped" if stop_embedded() else "embedded Postgres was not running")
    return 0


# -- suppliers -----------------------------------------------------------------------------
def cmd_import_excel(args) -> int:
    from dropship_app.import_excel import cmd_import_excel as run

    return run(args)


# -- demo ----------------------------------------------------------------------------------
def cmd_demo(args) -> int:
    from dropship_app.demo import run_demo

    return run_demo(suppliers_file=args.suppliers, quiet=args.quiet)


def _ask_rows(args) -> list[dict[str, Any]]:
    """What `dropship ask` answers from: the catalog with its listings (newest first)."""
    from psycopg.rows import dict_row

    with _store().connect(row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT id, supplier_key, raw_data, ai_data, market_data, status FROM source_data"
            " WHERE status <> 'deleted' ORDER BY updated_at DESC LIMIT 20000").fetchall()


def _ask_memory():
    """Conversation and semantic memory in the store's Postgres unless MEMORY_BACKEND says otherwise."""
    from dropship_core.ai.memory import memory_from_env
    from dropship_core.db import database_url

    env = dict(os.environ)
    env.setdefault("DATABASE_URL", database_url())
    return memory_from_env(env)



def cmd_config(args) -> int:
    from dropship_core.config import describe

    rows = describe()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(table(rows, ["name", "value", "default", "what"]))
    return 0

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dropship", description="Korean dropshipping pipeline on Dagster")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("config", help="every setting the product reads from the environment (secrets masked)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_config)
    d = sub.add_parser("demo", help="run the whole pipeline on the bundled demo data and print a summary")
    d.add_argument("--suppliers", default="suppliers.yaml")
    d.add_argument("--quiet", action="store_true")
    d.set_defaults(func=cmd_demo)

    st = sub.add_parser("store", help="the product store").add_subparsers(dest="store_cmd", required=True)
    x = st.add_parser("stats", help="products, events, quarantine and listings in numbers")
    x.add_argument("--json", action="store_true")
    x.set_defaults(func=cmd_store_stats)
    x = st.add_parser("rebuild", help="replay source_data_events and compare with source_data")
    x.add_argument("--verify", action="store_true", help="exit 1 if the live table differs from the replay")
    x.add_argument("--apply", action="store_true", help="make the live table equal the replay")
    x.set_defaults(func=cmd_store_rebuild)

    db = sub.add_parser("db", help="the database").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("migrate", help="apply pending schema migrations").set_defaults(func=cmd_db_migrate)
    db.add_parser("url", help="print the store's URL (password hidden)").set_defaults(func=cmd_db_url)
    db.add_parser("stop", help="stop the embedded Postgres").set_defaults(func=cmd_db_stop)

    sp = sub.add_parser("suppliers", help="supplier accounts")
    ssub = sp.add_subparsers(dest="suppliers_cmd", required=True)
    x = ssub.add_parser("import-excel", help="ingest one workbook for a supplier and print the counts")
    x.add_argument("file")
    x.add_argument("--supplier", required=True)
    x.add_argument("--new-supplier", action="store_true",
                   help="the supplier key is not in suppliers.yaml yet: create it from this file")
    x.add_argument("--complete", action="store_true", help="the file is the whole catalog: delist missing items")
    x.add_argument("--json", action="store_true")
    x.set_defaults(func=cmd_import_excel)

    groups = {"suppliers": ssub}
    for mod in PLUGINS:
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name and mod.startswith(e.name):
                continue
            raise
        reg = getattr(m, "register_cli", None)
        if reg is None:
            continue
        if mod == "dropship_app.suppliers_cli":
            reg(sub, groups)
        elif mod == "dropship_app.ask_cli":
            reg(sub, rows_provider=_ask_rows, memory_provider=_ask_memory)
        else:
            reg(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DAGSTER_HOME", str(Path.cwd() / ".dropship" / "dagster"))
    from dropship_core.error_reporting import init_sentry

    init_sentry("cli")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
