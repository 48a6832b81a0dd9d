"""Category trees into and out of a real Postgres (fresh schema per test)."""

from dataclasses import replace

from dropship_core.ai.categories import (
    load_categories_into_store,
    load_tree,
    read_categories,
)
from dropship_core.ai.classifier import CategoryClassifier
from dropship_core.ai.offline import OfflineEnricher


def test_load_and_read_back_smartstore(pg):
    rows = load_tree("smartstore")
    assert load_categories_into_store(pg, "smartstore", rows) == 5804
    back = read_categories(pg, "smartstore")
    assert len(back) == 5804
    assert {r.category_id: r for r in back} == {r.category_id: r for r in rows}
    n_leaves = pg.execute(
        "SELECT count(*) FROM market_categories WHERE market='smartstore' AND is_leaf"
    ).fetchone()[0]
    assert n_leaves == 4993


def test_coupang_required_option_types_round_trip(pg):
    rows = load_tree("coupang")
    load_categories_into_store(pg, "coupang", rows)
    back = {r.category_id: r for r in read_categories(pg, "coupang")}
    assert back["77865"].required_option_types == ("침구류사이즈", "두께 [기본단위: cm]", "매트리스 경도")
    assert read_categories(pg, "smartstore") == []  # markets do not mix


def test_refresh_keeps_ids_renames_moves_and_deletes(pg):
    rows = load_tree("smartstore")
    load_categories_into_store(pg, "smartstore", rows)
    before = pg.execute(
        "SELECT refreshed_at FROM market_categories WHERE market='smartstore' AND category_id='50004540'"
    ).fetchone()[0]
    # the marketplace renamed one leaf and dropped another
    renamed = {
        r.category_id: (replace(r, name="텀블러/보틀", full_path=r.full_path.rsplit(">", 1)[0] + ">텀블러/보틀")
                        if r.category_id == "50004540" else r)
        for r in rows
    }
    gone = next(r.category_id for r in rows if r.is_leaf and r.category_id != "50004540")
    renamed.pop(gone)
    load_categories_into_store(pg, "smartstore", list(renamed.values()))
    back = {r.category_id: r for r in read_categories(pg, "smartstore")}
    assert len(back) == 5803 and gone not in back
    assert back["50004540"].name == "텀블러/보틀"
    assert back["50004540"].full_path.endswith(">텀블러/보틀")
    after = pg.execute(
        "SELECT refreshed_at FROM market_categories WHERE market='smartstore' AND category_id='50004540'"
    ).fetchone()[0]
    assert after >= before


def test_dict_rows_from_a_category_api(pg):
    api_rows = [
        {"category_id": 1, "full_path": "가전>주방가전>에어프라이어", "is_leaf": True},
        {"category_id": 2, "full_path": "가전>주방가전", "is_leaf": False},
    ]
    load_categories_into_store(pg, "smartstore", api_rows)
    back = read_categories(pg, "smartstore")
    assert [(r.category_id, r.depth, r.name, r.is_leaf) for r in back] == [
        ("2", 2, "주방가전", False),
        ("1", 3, "에어프라이어", True),
    ]


def test_classifier_from_store_rows_matches_csv(pg):
    load_categories_into_store(pg, "smartstore", load_tree("smartstore"))
    from_store = CategoryClassifier(read_categories(pg, "smartstore"), "smartstore")
    from_csv = CategoryClassifier(load_tree("smartstore"), "smartstore")
    for name in ("스탠리 퀜처 텀블러 887ml", "하기스 팬티형 기저귀 5단계", "요넥스 배드민턴 라켓"):
        assert from_store.classify(name) == from_csv.classify(name)


def test_enricher_from_store_rows(pg):
    load_categories_into_store(pg, "smartstore", load_tree("smartstore"))
    load_categories_into_store(pg, "coupang", load_tree("coupang"))
    enr = OfflineEnricher.from_rows(
        {m: read_categories(pg, m) for m in ("smartstore", "coupang")}
    )
    ai = enr.enrich({"name": "스테인리스 텀블러 500ml", "images": []})
    assert ai["categories"]["smartstore"]["path"].endswith("텀블러")
    assert "텀블러" in ai["categories"]["coupang"]["path"]
