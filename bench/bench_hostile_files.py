"""Hostile supplier files through the import path, each in its own process, with its peak memory:

    python bench/bench_hostile_files.py [--bad-rows 100000]

- far cell: a few KB workbook with data at A1 and one cell at XFD1048576; the same with its
  references in single quotes and its tags under a namespace prefix;
- ODS repeats: under 1 KB of OpenDocument that a reader expands to 1,000,000 x 16,384 cells;
- .xls dimensions: a 6 KB .xls whose DIMENSIONS record claims 65,536 x 16,384 (the reader
  reserves it and aborts the process);
- zip bomb: a small workbook whose sheet unpacks to more than the unzipped limit;
- numbers and NUL: inf, 1e400, NUL characters among good rows;
- all bad: every row's cost is text ("문의"): the quarantine keeps at most N rows plus a summary.
Prints a table: outcome, seconds, peak RSS.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import drop_schema, schema_url  # noqa: E402
from dropship_core.db import database_url  # noqa: E402

HEADER = ["상품코드", "상품명", "공급가", "재고"]

CHILD = """
import sys, time
from dropship_core.store import RunInfo, Store
from dropship_core.suppliers.excel import ExcelCatalog, ExcelReadError
store = Store(sys.argv[1]); store.migrate()
t = time.perf_counter()
try:
    f = ExcelCatalog("hostile", sys.argv[2]).fetch_prepared()
    res = store.ingest_prepared("hostile", f.products, RunInfo("h"))
    q = store.quarantine("hostile", f.rejects, RunInfo("h"))
    stored = len(store.quarantined("hostile", limit=1_000_000))
    out = f"stored {res.new} products; {q} rejected, {stored} quarantine rows"
except ExcelReadError as e:
    out = "refused: " + str(e)[:110]
print(f"{time.perf_counter() - t:.1f}|{out}")
"""


def far_cell(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append(["A1", "상품", 1000, 1])
    wb.active["XFD1048576"] = "x"
    wb.save(path)


def zip_bomb(path: Path, mb: int) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(HEADER)
    wb.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
            zf.open("xl/worksheets/sheet9.xml", "w", force_zip64=True) as f:
        block = b" " * (1 << 20)
        for _ in range(mb):
            f.write(block)


def far_cell_written_otherwise(path: Path) -> None:
    """The far cell again, its references in single quotes under a namespace prefix (the readers
    take them as any other)."""
    far_cell(path)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                for tag in (b"worksheet", b"sheetData", b"row", b"c", b"v", b"is", b"t"):
                    data = data.replace(b"<" + tag + b" ", b"<x:" + tag + b" ").replace(b"<" + tag + b">", b"<x:" + tag + b">")
                    data = data.replace(b"</" + tag + b">", b"</x:" + tag + b">")
                data = data.replace(b"<x:worksheet xmlns=", b"<x:worksheet xmlns:x=")
                data = re.sub(rb' r="([^"]*)"', rb" r='\1'", data)
            dst.writestr(info, data)
    tmp.replace(path)


def ods_repeats(path: Path) -> None:
    """An OpenDocument sheet of one row repeated 1,000,000 times, its one cell 16,384 times."""
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               '<office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="1000000">'
               '<table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
               '</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)


def xls_dimensions(path: Path) -> None:
    """The two-cell .xls of the tests with its sheet's DIMENSIONS record claiming 65,536 x 16,384
    (BIFF8: last row + 1 as u32, last column + 1 as u16)."""
    data = bytearray((Path(__file__).resolve().parents[1] / "tests" / "data" / "workbooks" / "two_cells.xls").read_bytes())
    at = data.rindex(b"\x00\x02\x0e\x00")  # the sheet's DIMENSIONS record (the last one)
    data[at + 4:at + 16] = (0).to_bytes(4, "little") + (65536).to_bytes(4, "little") + bytes(2) + (16384).to_bytes(2, "little")
    path.write_bytes(bytes(data))


def nul_and_inf(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(1000):
        ws.append([f"G{i}", "NULHERE" if i % 10 == 0 else "정상", 77777 if i % 10 == 1 else 1000, 1])
    wb.save(path)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/"):
                data = data.replace(b"NULHERE", b"_x0000_").replace(b"<v>77777</v>", b"<v>1e400</v>")
            dst.writestr(info, data)
    tmp.replace(path)


def all_bad(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(HEADER)
    for i in range(rows):
        ws.append([f"B{i}", "상품", "문의", 1])
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bad-rows", type=int, default=100_000)
    ap.add_argument("--bomb-mb", type=int, default=1100)
    args = ap.parse_args()
    home = Path(os.environ.get("DROPSHIP_HOME", ".dropship")) / "bench" / "hostile"
    home.mkdir(parents=True, exist_ok=True)
    files = {"far cell at XFD1048576": (home / "far.xlsx", far_cell),
             "the same, references in single quotes, prefixed tags": (home / "far_otherwise.xlsx",
                                                                    far_cell_written_otherwise),
             "ODS: a row repeated 1,000,000 times, a cell 16,384": (home / "repeats.ods", ods_repeats),
             ".xls whose DIMENSIONS claims 65,536 x 16,384": (home / "dims.xls", xls_dimensions),
             f"zip bomb ({args.bomb_mb} MB unpacked)": (home / "bomb.xlsx", lambda p: zip_bomb(p, args.bomb_mb)),
             "inf, 1e400 and NUL among 1,000 rows": (home / "nul.xlsx", nul_and_inf),
             f"{args.bad_rows:,} rows, every cost text": (home / "bad.xlsx", lambda p: all_bad(p, args.bad_rows))}
    base = database_url()
    root = str(Path(__file__).resolve().parents[1])
    print("\n| file | size KB | outcome | seconds | peak RSS MB |")
    print("|---|---:|---|---:|---:|")
    for name, (path, make) in files.items():
        if not path.exists():
            make(path)
        url, schema = schema_url(base)
        try:
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            p = subprocess.run([sys.executable, "-c", CHILD, url, str(path)], capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": root}, check=False)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            secs, outcome = (p.stdout.strip().split("|", 1) if p.returncode == 0
                             else ("-", f"CRASHED ({p.returncode}): {p.stderr.strip().splitlines()[-1:]}"))
            # ru_maxrss of children is the largest child so far: report it only when it grew
            shown = f"{peak / 1024:,.0f}" if peak > before else f"<= {before / 1024:,.0f}"
            print(f"| {name} | {path.stat().st_size / 1024:,.0f} | {outcome} | {secs} | {shown} |")
        finally:
            drop_schema(base, schema)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
