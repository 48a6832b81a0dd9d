"""import-excel questions an unknown or mismatched supplier key; `suppliers remove` delists, and
with --purge deletes a supplier's data (history included) while other suppliers are untouched."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args, env, check=True):
    p = subprocess.run([sys.executable, "-m", "dropship_app.cli", *args], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=180)
    if check and p.returncode != 0:
        raise AssertionError(f"dropship {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def _env(db_url, tmp_path):
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text("suppliers:\n  - {key: excel-hanbit, kind: excel, path: x.xlsx}\n"
                   "  - {key: excel-daon, kind: excel, path: y.xlsx}\n", encoding="utf-8")
    return {**os.environ, "DATABASE_URL": db_url, "DROPSHIP_SUPPLIERS": str(cfg)}


def test_unknown_key_is_refused_unless_new_supplier(db_url, tmp_path, demo_dir):
    env = _env(db_url, tmp_path)
    wb = str(demo_dir / "hanbit.xlsx")
    p = run(["suppliers", "import-excel", wb, "--supplier", "excel-hanbt"], env, check=False)
    assert p.returncode == 2 and "not in suppliers.yaml (did you mean 'excel-hanbit'?)" in p.stderr
    assert "Traceback" not in p.stderr
    stats = json.loads(run(["store", "stats", "--json"], env).stdout)
    assert stats["products"]["total"] == 0
    out = json.loads(run(["suppliers", "import-excel", wb, "--supplier", "excel-hanbt", "--new-supplier",
                          "--json"], env).stdout)
    assert out["new"] == 260


def test_a_file_that_overlaps_little_is_questioned(db_url, tmp_path, demo_dir):
    env = _env(db_url, tmp_path)
    run(["suppliers", "import-excel", str(demo_dir / "hanbit.xlsx"), "--supplier", "excel-hanbit"], env)
    same = run(["suppliers", "import-excel", str(demo_dir / "hanbit.xlsx"), "--supplier", "excel-hanbit"], env)
    assert "warning" not in same.stderr
    other = run(["suppliers", "import-excel", str(demo_dir / "daon.xlsx"), "--supplier", "excel-hanbit"], env)
    assert "warning: only 0 of 200 codes in this file are already known for excel-hanbit" in other.stderr


def test_remove_delists_then_purge_deletes_only_that_supplier(db_url, tmp_path, demo_dir):
    env = _env(db_url, tmp_path)
    run(["suppliers", "import-excel", str(demo_dir / "hanbit.xlsx"), "--supplier", "excel-hanbit"], env)
    run(["suppliers", "import-excel", str(demo_dir / "daon.xlsx"), "--supplier", "excel-daon"], env)
    p = run(["suppliers", "remove", "excel-hanbit"], env)
    assert "260 product(s) delisted" in p.stdout and "still enabled in suppliers.yaml" in p.stderr
    stats = json.loads(run(["store", "stats", "--json"], env).stdout)
    assert stats["products"]["total"] == 460 and stats["events"]["delisted"] == 260
    p = run(["suppliers", "remove", "excel-hanbit", "--purge"], env)
    assert "0 product(s) delisted" in p.stdout and "purged events 520, products 260, quarantine 2" in p.stdout
    stats = json.loads(run(["store", "stats", "--json"], env).stdout)
    assert stats["products"]["total"] == 200 and stats["events"]["total"] == 200
    assert "verify ok" in run(["store", "rebuild", "--verify"], env).stdout


def test_purge_is_refused_while_a_listing_is_live(store):
    from dropship_core.model import CanonicalProduct
    from dropship_core.store import RunInfo

    run = RunInfo("r", "source_products", "k")
    store.ingest("k", [CanonicalProduct("k", "A1", "상품", 1000)], run)
    with store.connect() as conn, conn.transaction():
        conn.execute("""UPDATE source_data SET market_data = '{"coupang": {"status": "published",
                        "external": {"seller_product_id": 5}}}'::jsonb""")
    out = store.remove_supplier("k", run, purge=True)
    assert out["delisted"] == 1 and not out["purged"] and "still on a marketplace" in out["refused"]
    assert store.supplier_item_ids("k") == {"A1"}
