"""Ingest benchmark: a 100,000-row supplier workbook into the store, beside the raw COPY limit.

Prints a markdown table. Uses DATABASE_URL if set, else the embedded Postgres.
    python bench/bench_ingest.py [--rows 100000]
"""

from __future__ import annotations

import argparse

import os
import random
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
          "카테고리", "대표이미지", "과세여부"]
WORDS = ["스테인리스", "텀블러", "보온", "캠핑", "의자", "무선", "이어폰", "수납", "박스", "코튼", "티셔츠", "에코백",
         "프라이팬", "앰플", "아몬드", "하네스", "LED", "무드등", "젤펜", "노트"]


def make_workbook(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("상품목록")
    ws.append(HEADER)
    for i in range(rows):
        opts = rng.random() < 0.3
        ws.append([f"B{i:07d}", " ".join(rng.sample(WORDS, 4)) + f" {rng.randint(1, 999)}",
                   f"{rng.randrange(1000, 90000, 10):,}원", rng.randrange(2000, 150000, 100), rng.randint(0, 500),
                   "색상" if opts else "", "블랙,화이트,네이비" if opts else "", "0,0,1000" if opts else "",
                   rng.choice([0, 2500, 3000]), "국산", "벤치브랜드", "생활>수납",
                   f"https://cdn.bench.kr/{i}.jpg", "과세"])
    wb.save(path)


def schema_url(base: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={name}')}", name


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    home = Path(os.environ.get("DROPSHIP_HOME", ".dropship")) / "bench"
    home.mkdir(parents=True, exist_ok=True)
    wb = home / f"catalog_{args.rows}.xlsx"
    if not wb.exists():
        t = time.perf_counter()
        make_workbook(wb, args.rows)
        print(f"(generated {wb} in {time.perf_counter() - t:.1f}s)", file=sys.stderr)
    base = database_url()
    url, schema = schema_url(base)
    try:
        store = Store(url)
        store.migrate()
        cat = ExcelCatalog("bench", wb)

        t0 = time.perf_counter()
        fetched = cat.fetch()
        t_read = time.perf_counter() - t0
        n = len(fetched.products)

        # the raw limit: the same products serialised and sent with one plain COPY into an
        # unindexed table: no hashing, no comparison, no events, no indexes
        with psycopg.connect(url) as c:
            c.execute("CREATE TABLE raw_copy (supplier_item_id TEXT, raw_data JSONB)")
            c.commit()
            t = time.perf_counter()
            with c.cursor().copy("COPY raw_copy FROM STDIN") as cp:
                for p in fetched.products:
                    cp.write_row((p.supplier_item_id, orjson.dumps(p.to_dict()).decode()))
            c.commit()
            t_copy = time.perf_counter() - t

        t = time.perf_counter()
        res = store.ingest("bench", fetched.products, RunInfo("bench-1", "source_products", "bench"), complete=True)
        t_ingest = time.perf_counter() - t
        assert res.new == n, res.as_dict()
        t_first = t_read + t_ingest

        # unchanged re-run as the asset does it: the file's digest matches, nothing is read
        t = time.perf_counter()
        digest_same = file_digest(wb) == file_digest(wb)
        t_rerun_digest = time.perf_counter() - t

        # unchanged re-run forced to re-read every row: hash compare, zero writes
        t = time.perf_counter()
        again = cat.fetch()
        res2 = store.ingest("bench", again.products, RunInfo("bench-2", "source_products", "bench"), complete=True)
        t_rerun_full = time.perf_counter() - t
        assert res2.unchanged == n and res2.new == res2.changed == 0
        with psycopg.connect(url) as c:
            events = c.execute("SELECT count(*) FROM source_data_events").fetchone()[0]
        assert events == n, events

        print(f"\nIngest benchmark: {n:,} products ({args.rows:,} rows, {wb.stat().st_size / 1e6:.1f} MB workbook)\n")
        print("| measure | seconds | products/s | vs raw COPY |")
        print("|---|---:|---:|---:|")
        print(f"| raw limit: serialise + plain COPY of the same rows (no index, no events) | {t_copy:.2f} | {n / t_copy:,.0f} | 100% |")
        print(f"| store ingest: hash + compare + COPY + events + indexes | {t_ingest:.2f} | {n / t_ingest:,.0f} | {t_copy / t_ingest:.0%} |")
        print(f"| workbook read + parse (calamine) | {t_read:.2f} | {n / t_read:,.0f} | |")
        print(f"| first run end to end (read + ingest) | {t_first:.2f} | {n / t_first:,.0f} | {(t_read + t_copy) / t_first:.0%} of read + raw COPY |")
        print(f"| unchanged re-run, file digest unchanged (the default) | {t_rerun_digest:.2f} | | {t_rerun_digest / t_first:.1%} of first run |")
        print(f"| unchanged re-run, forced re-read of every row | {t_rerun_full:.2f} | {n / t_rerun_full:,.0f} | {t_rerun_full / t_first:.1%} of first run |")
        assert digest_same
    finally:
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
