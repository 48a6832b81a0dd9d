import csv
from pathlib import Path

import pytest

from dropship_core.ai.categories import esm_category_for, leaves, load_esm_map, load_tree
from dropship_core.ai.classifier import CategoryClassifier, default_classifier

EVAL = Path(__file__).resolve().parents[1] / "data" / "category_eval.csv"


def test_shipped_trees_load():
    ss = load_tree("smartstore")
    assert len(ss) == 5804 and len(leaves(ss)) == 4993
    assert len({r.full_path.split(">")[0] for r in ss}) == 11
    cp = load_tree("coupang")
    assert len(cp) == 6324 and all(r.is_leaf for r in cp)
    assert any(r.required_option_types for r in cp)


@pytest.mark.parametrize("market", ["smartstore", "coupang"])
def test_lexicon_paths_exist_in_tree(market):
    clf = default_classifier(market)
    assert clf.unknown_lexicon_paths == []


def test_esm_map_prefixes_exist_and_longest_wins():
    paths = {r.full_path for r in load_tree("smartstore")}
    mapping = load_esm_map()
    assert mapping and all(e.prefix in paths for e in mapping)
    e = esm_category_for("생활/건강>주방용품>잔/컵>텀블러", mapping)
    assert e.prefix == "생활/건강>주방용품"
    assert esm_category_for("생활/건강>공구>전동공구>충전드릴", mapping).prefix == "생활/건강"
    assert esm_category_for("없는>경로", mapping) is None


def test_classifier_returns_real_leaf_ids():
    clf = default_classifier("smartstore")
    leaf_ids = {r.category_id: r.full_path for r in leaves(load_tree("smartstore"))}
    with open(EVAL, encoding="utf-8") as fh:
        names = [r["name"] for r in csv.DictReader(fh)][:200]
    for name in names:
        for p in clf.top_k(name, 5):
            assert leaf_ids[p.category_id] == p.path
            assert 0.0 <= p.confidence <= 1.0


def test_known_products():
    clf = default_classifier("smartstore")
    assert clf.classify("스탠리 퀜처 텀블러 887ml").path == "생활/건강>주방용품>잔/컵>텀블러"
    assert clf.classify("로얄캐닌 인도어 고양이 사료 4kg").path.startswith("생활/건강>반려동물>고양이 사료")
    assert clf.classify("남성 오버핏 반팔 티셔츠 블랙 XL").path == "패션의류>남성의류>티셔츠"
    # a strong, unambiguous name is confident; gibberish is not
    assert clf.classify("에어프라이어 5.5L 대용량").confidence > 0.6
    assert clf.classify("ㅁㄴㅇㄹ qwerty").confidence < 0.4


def test_coupang_returns_display_codes():
    clf = default_classifier("coupang")
    codes = {r.category_id for r in load_tree("coupang")}
    p = clf.classify("스테인리스 텀블러 500ml 보온보냉")
    assert p.category_id in codes and "텀블러" in p.path


def test_deterministic_and_built_from_rows():
    rows = load_tree("smartstore")
    a = CategoryClassifier(rows, "smartstore")
    b = CategoryClassifier(list(reversed(rows)), "smartstore")
    for name in ("무선 블루투스 이어폰 노이즈캔슬링", "아기 물티슈 캡형 70매 10팩", "캠핑 의자 경량"):
        assert a.top_k(name, 3) == a.top_k(name, 3)
        assert a.classify(name).category_id == b.classify(name).category_id


def test_small_tree_and_own_lexicon():
    from dropship_core.ai.categories import CategoryRow

    rows = [
        CategoryRow("smartstore", "1", "주방>컵>텀블러", 3, "텀블러", True, None),
        CategoryRow("smartstore", "2", "주방>컵>머그", 3, "머그", True, None),
        CategoryRow("smartstore", "3", "패션>가방>백팩", 3, "백팩", True, None),
    ]
    clf = CategoryClassifier(rows, "smartstore", lexicon={"smartstore": {"주방>컵>머그": ["머그컵", "커피잔"]}})
    assert clf.classify("도자기 커피잔 2개").category_id == "2"
    assert clf.classify("노트북 백팩 블랙").category_id == "3"
    with pytest.raises(ValueError):
        CategoryClassifier([], "smartstore")
