"""The CLI against both store paths: DATABASE_URL, and the embedded Postgres it starts itself."""

import json
import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]


def run(args, env, cwd=ROOT, check=True):
    p = subprocess.run([sys.executable, "-m", "dropship_app.cli", *args], env=env, cwd=cwd,
                       capture_output=True, text=True, timeout=180)
    if check and p.returncode != 0:
        raise AssertionError(f"dropship {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def test_import_excel_stats_rebuild_with_database_url(db_url, demo_dir):
    env = {**os.environ, "DATABASE_URL": db_url}
    out = json.loads(run(["suppliers", "import-excel", str(demo_dir / "hanbit.xlsx"),
                          "--supplier", "excel-hanbit", "--json"], env).stdout)
    assert (out["accepted"], out["new"], out["changed"], out["unchanged"], out["quarantined"]) == (260, 260, 0, 0, 2)
    assert {q["reason"] for q in out["quarantine"]} == {"재고: '많음' is not a number", "missing cost (공급가) for HB9002"}
    again = json.loads(run(["suppliers", "import-excel", str(demo_dir / "hanbit.xlsx"),
                            "--supplier", "excel-hanbit", "--json"], env).stdout)
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 260)
    text = run(["suppliers", "import-excel", str(demo_dir / "hanbit.xlsx"), "--supplier", "excel-hanbit"], env).stdout
    assert "quarantined hanbit.xlsx!상품리스트:row 441: missing cost (공급가) for HB9002" in text
    stats = json.loads(run(["store", "stats", "--json"], env).stdout)
    assert stats["products"]["total"] == 260 and stats["events"]["ingested"] == 260
    assert "verify ok" in run(["store", "rebuild", "--verify"], env).stdout


def test_unreadable_workbook_exits_nonzero_with_reason(db_url, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    p = run(["suppliers", "import-excel", str(bad), "--supplier", "x"], {**os.environ, "DATABASE_URL": db_url},
            check=False)
    assert p.returncode == 2 and "bad.xlsx: not a readable workbook" in p.stderr


def test_embedded_default_without_database_url(public_tmp, demo_dir):
    tmp_path = public_tmp
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DROPSHIP_HOME"] = str(tmp_path / "home")
    try:
        url = run(["db", "url"], env).stdout.strip()
        assert f"host={tmp_path}/home/pg" in url
        out = json.loads(run(["suppliers", "import-excel", str(demo_dir / "daon.xlsx"), "--supplier", "excel-daon",
                              "--json"], env).stdout)
        assert out["new"] == 200 and out["quarantined"] == 1
        stats = json.loads(run(["store", "stats", "--json"], env).stdout)
        assert stats["products"]["total"] == 200
        assert (tmp_path / "home" / "pg" / "PG_VERSION").read_text().strip() == "16"
    finally:
        run(["db", "stop"], env, check=False)
