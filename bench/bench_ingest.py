"""Ingest benchmark: the same supplier workbook through the raw limit, dlt's merge load and the
product, side by side, for a flat workbook and for one with one row per option.

    python bench/bench_ingest.py [--rows 100000] [--skip-dlt] [--only flat|options] [--repeat 3]

- limit: calamine read + one plain COPY of every row as JSONB into an unindexed table (no
  validation, no hashing, no events, no indexes): what reading and writing cost at all;
- dlt: calamine read, rows yielded as dicts, `merge` load on the supplier code (dlt[postgres]);
- product: `ExcelCatalog.fetch_prepared` + `Store.ingest_prepared` + quarantine, as
  `dropship suppliers import-excel` runs it (validation, canonical products, hashes, events,
  indexes, one transaction).

Each contender runs in its own fresh schema. Uses DATABASE_URL if set, else the embedded Postgres.
Numbers on a shared machine are noisy: compare the rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import orjson
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dropship_core.db import database_url  # noqa: E402
from dropship_core.store import RunInfo, Store  # noqa: E402
from dropship_core.suppliers.excel import ExcelCatalog, file_digest  # noqa: E402

HEADER = ["상품코드", "상품명", "공급가", "판매가", "재고", "옵션명", "옵션값", "옵션가", "배송비", "원산지", "제조사",
          "카테고리", "대표이미지", "과세여부", "모델명"]
WORDS = ["스테인리스", "텀블러", "보온", "캠핑", "의자", "무선", "이어폰", "수납", "박스", "코튼", "티셔츠", "에코백",
         "프라이팬", "앰플", "아몬드", "하네스", "LED", "무드등", "젤펜", "노트"]
# dlt normalises identifiers to ASCII snake_case (every Korean header would collapse into one
# column), so it gets the same columns under ASCII names
ASCII = ["sku", "name", "cost", "sale_price", "stock", "option_name", "option_value", "option_price", "shipping_fee",
         "origin", "manufacturer", "category", "image", "tax", "model"]
COLORS = ["블랙", "화이트", "네이비", "그레이", "베이지"]


def _row(rng: random.Random, i: int, code: str) -> list:
    return [code, " ".join(rng.sample(WORDS, 4)) + f" {rng.randint(1, 999)}", f"{rng.randrange(1000, 90000, 10):,}원",
            rng.randrange(2000, 150000, 100), rng.randint(0, 500), "", "", "", rng.choice([0, 2500, 3000]), "국산",
            "벤치브랜드", "생활>수납", f"https://cdn.bench.kr/{i}.jpg", "과세", f"M-{i % 977}"]


def cached_workbook(rows: int, options: bool) -> Path:
    """The bench workbook of `rows` rows under $DROPSHIP_HOME/bench, generated once."""
    home = Path(os.environ.get("DROPSHIP_HOME", ".dropship")) / "bench"
    home.mkdir(parents=True, exist_ok=True)
    wb = home / f"catalog_{'opts' if options else 'flat'}_{rows}.xlsx"
    if not wb.exists():
        t = time.perf_counter()
        make_workbook(wb, rows, options)
        print(f"(generated {wb} in {time.perf_counter() - t:.1f}s)", file=sys.stderr)
    return wb


def make_workbook(path: Path, rows: int, options: bool) -> None:
    """15 columns, one sheet. Flat: one product per row, no options. Options: every product has
    three options, one row per option, the product code repeated."""
    from openpyxl import Workbook

    rng = random.Random(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("상품목록")
    ws.append(HEADER)
    i = 0
    while i < rows:
        r = _row(rng, i, f"B{i:07d}")
        if not options:
            ws.append(r)
            i += 1
            continue
        for j, color in enumerate(rng.sample(COLORS, 3)):
            if i >= rows:
                break
            opt = list(r)
            opt[4], opt[5], opt[6], opt[7] = rng.randint(0, 50), "색상", color, j * 500
            ws.append(opt)
            i += 1
    wb.save(path)


def schema_url(base: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={name}')}", name


def drop_schema(base: str, name: str) -> None:
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def read_rows(path: Path) -> list[list]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_index(0).to_python(skip_empty_area=False)


def run_limit(base: str, path: Path) -> tuple[float, float]:
    """(whole job, of which the calamine read) in seconds."""
    url, schema = schema_url(base)
    try:
        t = time.perf_counter()
        rows = read_rows(path)
        t_read = time.perf_counter() - t
        header = [str(h) for h in rows[0]]
        with psycopg.connect(url) as c:
            c.execute("CREATE TABLE raw_copy (raw_data JSONB)")
            with c.cursor().copy("COPY raw_copy FROM STDIN") as cp:
                for r in rows[1:]:
                    cp.write_row((orjson.dumps(dict(zip(header, r))).decode(),))
            c.commit()
        return time.perf_counter() - t, t_read
    finally:
        drop_schema(base, schema)


def run_dlt(base: str, path: Path, keys: list[str], home: Path) -> tuple[float, float]:
    import dlt

    schema = f"bench_dlt_{uuid.uuid4().hex[:8]}"
    os.environ["RUNTIME__LOG_LEVEL"] = "WARNING"
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(base)
    # dlt insists on a password field; a server that trusts local connections ignores it
    creds = dlt.destinations.postgres(credentials={
        "database": info.get("dbname"), "username": info.get("user", "postgres"),
        "password": info.get("password") or "unused", "host": info.get("host", "127.0.0.1"),
        "port": int(info.get("port", 5432))})
    assert make_conninfo(base)
    pipe = dlt.pipeline(pipeline_name=schema, pipelines_dir=str(home / "dlt"), destination=creds,
                        dataset_name=schema)

    def items():
        rows = read_rows(path)
        assert [str(h) for h in rows[0]] == HEADER
        for r in rows[1:]:
            yield dict(zip(ASCII, r))

    res = dlt.resource(items, name="products", write_disposition="merge", primary_key=keys)
    times = []
    try:
        for _ in range(2):
            t = time.perf_counter()
            pipe.run(res())
            times.append(time.perf_counter() - t)
    finally:
        drop_schema(base, schema)
        drop_schema(base, schema + "_staging")
    return times[0], times[1]


def run_product(base: str, path: Path) -> dict[str, float]:
    url, schema = schema_url(base)
    out: dict[str, float] = {}
    try:
        store = Store(url)
        store.migrate()

        def one(run_id: str):
            t0 = time.perf_counter()
            cat = ExcelCatalog("bench", path)
            # as import-excel: the stored products' source row digests first (none at the first load)
            fetched = cat.fetch_prepared(known=lambda: store.source_row_digests("bench"))
            out[f"read_{run_id}"] = time.perf_counter() - t0
            run = RunInfo(run_id, "source_products", "bench")
            res = store.ingest_prepared("bench", fetched.products, run, complete=True)
            store.quarantine("bench", fetched.rejects, run)
            return fetched, res

        t = time.perf_counter()
        fetched, res = one("bench-1")
        out["first"] = time.perf_counter() - t
        out["products"] = res.new
        assert res.new == len(fetched.products) and not fetched.rejects, res.as_dict()
        # unchanged, the default: the file's digest matches the stored one, nothing is read
        t = time.perf_counter()
        store.save_supplier_state("bench", RunInfo("bench-1"), source_digest=file_digest(path))
        assert file_digest(path) == store.supplier_state("bench")["source_digest"]
        out["digest"] = time.perf_counter() - t
        # unchanged, forced: every row read, normalised and hashed again, zero writes
        t = time.perf_counter()
        _, res2 = one("bench-2")
        out["forced"] = time.perf_counter() - t
        assert res2.unchanged == res.new and res2.new == res2.changed == 0
        with psycopg.connect(url) as c:
            assert c.execute("SELECT count(*) FROM source_data_events").fetchone()[0] == res.new
    finally:
        drop_schema(base, schema)
    return out


def bench_one(base: str, path: Path, rows: int, options: bool, skip_dlt: bool, home: Path, repeat: int) -> None:
    """Every contender `repeat` times, interleaved; each number is the median of its runs."""
    limits, products, dlts = [], [], []
    for _ in range(repeat):
        limits.append(run_limit(base, path))
        products.append(run_product(base, path))
        if not skip_dlt:
            dlts.append(run_dlt(base, path, ["sku", "option_value"] if options else ["sku"], home))
    t_limit, t_limit_read = (statistics.median(x[i] for x in limits) for i in (0, 1))
    p = {k: statistics.median(x[k] for x in products) for k in products[0]}
    d_first = d_again = None
    if dlts:
        d_first, d_again = (statistics.median(x[i] for x in dlts) for i in (0, 1))
    kind = "one row per option" if options else "flat, one product per row"
    print(f"\n### {rows:,}-row workbook, {kind} ({path.stat().st_size / 1e6:.1f} MB, "
          f"{p['products']:,.0f} products; median of {repeat} run(s))\n")
    print("| contender | first load s | rows/s | vs limit | unchanged re-load s | re-load / first |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| limit: calamine read + plain COPY into JSONB | {t_limit:.2f} | {rows / t_limit:,.0f} | 100% | — | — |")
    if d_first is not None:
        print(f"| dlt {_dlt_version()}: read + merge load | {d_first:.2f} | {rows / d_first:,.0f} | "
              f"{t_limit / d_first:.0%} | {d_again:.2f} | {d_again / d_first:.0%} |")
    print(f"| product: import-excel path | {p['first']:.2f} | {rows / p['first']:,.0f} | {t_limit / p['first']:.0%} | "
          f"{p['forced']:.2f} (forced) | {p['forced'] / p['first']:.0%} |")
    print(f"| product: unchanged file, skipped by digest (default) | | | | {p['digest']:.2f} | "
          f"{p['digest'] / p['first']:.1%} |")
    print(f"\nlimit: {t_limit_read:.2f} s of its {t_limit:.2f} s is the calamine read")
    print(f"product, where the time goes: first load {p['read_bench-1']:.2f} s reading, checking and normalising"
          f" the workbook + {p['first'] - p['read_bench-1']:.2f} s hashing and storing (products, events);"
          f" forced re-read {p['read_bench-2']:.2f} s + {p['forced'] - p['read_bench-2']:.2f} s")
    if d_first is not None:
        print(f"product vs dlt: {d_first / p['first']:.2f}x rows/s")


def _dlt_version() -> str:
    import dlt

    return dlt.__version__


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--skip-dlt", action="store_true")
    ap.add_argument("--only", choices=["flat", "options"])
    ap.add_argument("--repeat", type=int, default=1, help="runs of every contender (medians are shown)")
    args = ap.parse_args()
    home = Path(os.environ.get("DROPSHIP_HOME", ".dropship")) / "bench"
    home.mkdir(parents=True, exist_ok=True)
    base = database_url()
    print(f"Ingest benchmark on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    for options in (False, True):
        if args.only and args.only != ("options" if options else "flat"):
            continue
        wb = cached_workbook(args.rows, options)
        bench_one(base, wb, args.rows, options, args.skip_dlt, home, args.repeat)
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
