"""`dropship suppliers import-excel`: one workbook into the store, with one-line errors.

The import is one transaction: a lost connection leaves none of the file or all of it. The
error says which, by asking the store again when it can be reached, and never prints a traceback.
"""

from __future__ import annotations

import hashlib
import json
import sys

import psycopg

from dropship_app.common import open_store
from dropship_core.db import redact_url


def _stored_count(store, supplier: str, rows) -> int | None:
    """How many of the file's products the store holds with exactly this content; None when the
    store cannot be reached."""
    # a product not built again (its row unchanged) carries its stored hash instead of its JSON
    hashes = [r[1] if isinstance(r[1], str) else hashlib.blake2b(r[1], digest_size=16).hexdigest() for r in rows]
    try:
        with psycopg.connect(store.database_url, connect_timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM source_data WHERE supplier_key = %s AND content_hash = ANY(%s)",
                                (supplier, hashes)).fetchone()[0]
    except psycopg.Error:
        return None


def _lost(store, args, rows, stage: str, e: Exception, stored: int | None = None) -> int:
    where = redact_url(store.database_url)
    if stored is None:
        stored = _stored_count(store, args.supplier, rows)
    if stored is None:
        known = "whether the import committed is unknown (the store is unreachable); nothing is half-written"
    else:
        known = f"{stored} of {len(rows)} products of this file are in the store"
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    print(f"error: lost the connection to the store at {where} while {stage} ({first}); {known};"
          " re-running the same command is safe", file=sys.stderr)
    return 3


def _known_digests(supplier: str):
    """The stored products' source row digests (a product whose row is the same is not built
    again), or None when the store cannot tell (unreachable, not migrated yet): all are built."""
    from dropship_core.db import database_url
    from dropship_core.store import SchemaNotMigrated, Store

    try:
        return Store(database_url()).source_row_digests(supplier)
    except (psycopg.Error, SchemaNotMigrated):
        return None


def cmd_import_excel(args) -> int:
    from dropship_core.store import RunInfo
    from dropship_core.store.ingest import StaleSourceDigest
    from dropship_core.suppliers.excel import ExcelCatalog, ExcelReadError

    try:
        fetched = ExcelCatalog(args.supplier, args.file).fetch_prepared(known=lambda: _known_digests(args.supplier))
    except ExcelReadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    s = open_store()
    rows = fetched.products
    from dropship_app.suppliers_cli import import_guard

    # a key not in suppliers.yaml, or a file that looks like another supplier's, is questioned
    error, warning = import_guard(args.supplier, [r[0] for r in rows], s.supplier_item_ids(args.supplier),
                                  new_supplier=getattr(args, "new_supplier", False))
    if error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    run = RunInfo.cli("suppliers import-excel")
    try:
        try:
            res = s.ingest_prepared(args.supplier, rows, run, complete=args.complete)
        except StaleSourceDigest:  # the store changed since the digests were read: build every product
            fetched = ExcelCatalog(args.supplier, args.file).fetch_prepared()
            rows = fetched.products
            res = s.ingest_prepared(args.supplier, rows, run, complete=args.complete)
    except (psycopg.OperationalError, psycopg.InterfaceError) as e:
        return _lost(s, args, rows, "storing the products", e)
    try:
        res.quarantined = s.quarantine(args.supplier, fetched.rejects, run)
    except (psycopg.OperationalError, psycopg.InterfaceError) as e:
        return _lost(s, args, rows, f"recording {len(fetched.rejects)} rejected rows", e,
                     stored=res.new + res.changed + res.unchanged)
    out = {
        "file": str(args.file),
        "supplier": args.supplier,
        "accepted": len(rows),
        **res.as_dict(),
        "quarantine": [{"source": r.source, "reason": r.reason} for r in fetched.rejects],
        "skipped_sheets": fetched.stats.get("skipped_sheets", []),
        "unknown_columns": fetched.stats.get("unknown_columns", []),
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"{args.file} -> {args.supplier}: accepted {out['accepted']}, new {res.new}, changed {res.changed}, "
          f"unchanged {res.unchanged}, delisted {res.delisted}, quarantined {res.quarantined}")
    for q in out["quarantine"][:50]:
        print(f"  quarantined {q['source']}: {q['reason']}")
    if len(out["quarantine"]) > 50:
        print(f"  ... and {len(out['quarantine']) - 50} more (all stored in the quarantine)")
    for note in out["skipped_sheets"]:
        print(f"  note: {note}")
    return 0
