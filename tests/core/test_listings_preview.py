"""`dropship listings preview`: the exact body a market would receive, sanitised, or why not."""

import json
import os
import subprocess
import sys
from pathlib import Path

from dropship_app.preview_cli import preview
from dropship_core.markets.settings import SANDBOX_SELLER
from dropship_core.model import CanonicalProduct
from dropship_core.store import RunInfo

ROOT = Path(__file__).resolve().parents[2]
AI = {"categories": {"smartstore": {"id": "50000803", "path": "생활/건강>주방용품>텀블러"},
                     "coupang": {"id": "80289", "path": "주방용품>텀블러"},
                     "gmarket": {"id": "300000001", "path": "주방>텀블러"}}}


def _seed(store):
    good = CanonicalProduct("excel-acme", "T1", "=cmd|' /C calc'!A0 코멧 텀블러 500ml", 7000, stock=20,
                            shipping_fee=3000, images=["https://img.example/t1.jpg"], brand="@코멧",
                            description='<p>보온 텀블러</p><script>alert(1)</script><img src=x onerror="alert(2)">',
                            notice={})
    bad = CanonicalProduct("excel-acme", "T2", "이미지 없는 상품", 5000, stock=3)
    store.ingest("excel-acme", [good, bad], RunInfo("r", "source_products", "excel-acme"))
    with store.connect() as conn, conn.transaction():
        conn.execute("UPDATE source_data SET ai_data = %s::jsonb", (json.dumps(AI),))


def test_body_is_sanitised_and_formula_text_flagged(store):
    _seed(store)
    out = preview(store, "excel-acme", "T1", "smartstore", SANDBOX_SELLER)
    assert out["listable"], out["reasons"]
    text = json.dumps(out["body"], ensure_ascii=False)
    assert "보온 텀블러" in text
    for bad in ("<script", "onerror", "=cmd"):
        assert bad not in text
    name = out["body"]["originProduct"]["name"]
    assert name.startswith("cmd|") or "=" not in name[:1]
    assert any(w.startswith("title: formula-looking") for w in out["warnings"])
    assert any("sanitised" in w for w in out["warnings"])


def test_blocked_product_says_why(store):
    _seed(store)
    out = preview(store, "excel-acme", "T2", "smartstore", SANDBOX_SELLER)
    assert not out["listable"] and "no representative image" in out["reasons"]
    assert "body" not in out
    assert "no product" in preview(store, "excel-acme", "NOPE", "smartstore")["error"]


def test_cli(store, db_url):
    _seed(store)
    env = {**os.environ, "DATABASE_URL": db_url, "DROPSHIP_SELLER_PRESET": "sandbox"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "dropship_app.cli", "listings", "preview", *args],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)

    ok = run("excel-acme", "T1", "--market", "smartstore")
    assert ok.returncode == 0, ok.stderr
    body = json.loads(ok.stdout[ok.stdout.index("{"):])
    assert "detailContent" in json.dumps(body) and "<script" not in ok.stdout
    blocked = run("excel-acme", "T2", "--market", "gmarket")
    assert blocked.returncode == 1 and "no representative image" in blocked.stdout
    assert run("excel-acme", "T1", "--market", "ebay").returncode == 2
