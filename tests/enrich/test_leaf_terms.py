"""The seller words and single-node brands of data/leaf_terms, and what the ranker does with them."""

from __future__ import annotations

from dropship_core.ai.categories import load_tree
from dropship_core.ai.classifier_index import leaf_terms, load_lexicon
from dropship_core.ai.ranker import default_ranker
from dropship_core.ai.text import brand_hints, find_brand, find_brands, leaf_term_docs


def test_every_path_and_brand_node_is_in_the_shipped_tree():
    nodes = {r.full_path for r in load_tree("smartstore")}
    terms = leaf_terms()
    assert len(terms) > 3000 and sum(len(v) for v in terms.values()) > 30_000
    assert [p for p in terms if p not in nodes] == []
    brands = [b for doc in leaf_term_docs() for b in doc.get("brands") or ()]
    assert len(brands) > 2000
    cats = [(b["name"], c) for b in brands
            for c in (b.get("category") if isinstance(b.get("category"), list) else [b.get("category")])]
    assert [n for n, c in cats if c not in nodes] == []
    # every word is at least two characters (a one-letter word would match inside anything)
    assert [w for ws in terms.values() for w in ws if len(w.replace(" ", "")) < 2] == []


def test_terms_join_the_smartstore_lexicon_and_brands_the_brand_list():
    lex = load_lexicon()["smartstore"]
    assert "재생토너" in lex["디지털/가전>주변기기>복합기/프린터소모품>토너"]
    assert brand_hints()["휴롬"] == ("디지털/가전>주방가전>쥬서기/녹즙기",) and find_brand("휴롬 H300 원액기") == "휴롬"


def test_a_brand_only_name_goes_to_the_brands_node():
    rk = default_ranker("smartstore")
    assert rk.classify("블루에어 블루 퓨어 3210").path == "디지털/가전>계절가전>공기정화기>공기청정기"


def test_a_latin_keyword_does_not_match_the_start_of_a_longer_latin_word():
    rk = default_ranker("smartstore")
    # "cla" (conjugated linoleic acid, a diet supplement) inside "classic" said nothing
    hits, _ = rk.lexicon_clf._keyword_hits("모델 CLASSIC 680")
    assert "cla" not in dict(hits)
    hits, _ = rk.lexicon_clf._keyword_hits("CLA 1000mg 다이어트")
    assert "cla" in dict(hits)


def test_a_tie_between_the_same_goods_for_men_and_women_is_no_doubt():
    """An eco bag ties men's and women's eco-bag leaves (and Coupang's 해외직구 copies of both):
    the confidence measures the margin over other goods, so it is not held for review."""
    name = "데일리온 캔버스 에코백 대형"
    ss = default_ranker("smartstore").top_k(name, 2)
    assert {p.path.split(">")[-1] for p in ss} == {"에코백"} and ss[0].confidence >= 0.3
    cp = default_ranker("coupang").top_k(name, 1)[0]
    assert cp.path.endswith("캔버스/에코백") and "해외직구" not in cp.path and cp.confidence >= 0.3


def test_the_overseas_badge_glued_to_the_first_word_is_ignored():
    rk = default_ranker("smartstore")
    assert rk.scores("해외블루에어 필터 교체형").tolist() == rk.scores("블루에어 필터 교체형").tolist()


def test_a_known_brand_opens_the_gate_of_the_branch_it_sells_under():
    """세나 sells motorcycle intercoms: its brand opens the 오토바이/스쿠터 gate as a cue word would
    (without the brand the same words are a Bluetooth gadget), but a brand of all cosmetics does
    not open the 남성화장품 gate inside them."""
    rk = default_ranker("smartstore")
    assert rk.classify("블루투스 인터콤 50S").path.startswith("디지털/가전>")
    got = rk.classify("세나 블루투스 인터콤 50S")
    assert got.path.startswith("스포츠/레저>오토바이/스쿠터>")
    assert brand_hints()["아이오페"] == ("화장품/미용",) and not any(rk._hints["아이오페"].gates)
    # 베베쿡 (baby food) opens 출산/육아, not 출산/육아>임부복 inside it
    opened = {rk.paths[rk.vocab.gate_ranges[g][0]] for g in rk._hints["베베쿡"].gates[0]}
    assert [p.split(">")[0] for p in opened] == ["출산/육아"] and not any("임부복" in p for p in opened)


def test_a_brand_of_a_few_nodes_leans_a_model_code_to_them_and_stays_held():
    """A name that is a brand and a model code: the brand's nodes (brands_multi.yaml) are the best
    guess, but nothing says which of them, so the confidence stays under the review hold."""
    rk = default_ranker("smartstore")
    for name, brand in (("HP 14s-ZZ0123AB", "HP"), ("쿠쿠 CRP-ZZ0610FD", "쿠쿠"), ("나이키 DZ1234-100", "나이키")):
        nodes = brand_hints()[brand]
        assert len(nodes) >= 2
        got = rk.classify(name)
        assert any(got.path.startswith(n) for n in nodes), (name, got.path)
        assert got.confidence < 0.25


def test_a_product_line_after_its_maker_points_at_its_node_but_is_never_the_brand():
    """product_lines.yaml: 시네빔 after LG says projector (LG alone says little); the line is a
    hint for the classifier, the brand attribute stays the maker."""
    nodes = {r.full_path for r in load_tree("smartstore")}
    lines = [b for doc in leaf_term_docs() for b in doc.get("lines") or ()]
    cats = lambda b: b["category"] if isinstance(b["category"], list) else [b["category"]]  # noqa: E731
    assert len(lines) > 1000 and [b["name"] for b in lines if not set(cats(b)) <= nodes] == []
    got = default_ranker("smartstore").classify("LG 시네빔 ZZ1000")
    assert got.path.startswith("디지털/가전>영상가전>프로젝터")
    assert find_brand("LG 시네빔 ZZ1000") == "LG" and find_brand("스탠리 퀜처 1.18L") == "스탠리"


def test_a_device_model_says_more_than_its_maker_and_never_becomes_the_brand():
    """device_models.yaml: a phone model is the phone's node and its accessories' (a line of a few
    nodes); after its maker's name it is the hint the ranker takes, and the brand stays the maker.
    The accessory word then picks the leaf; without one the phone itself."""
    rk = default_ranker("smartstore")
    assert rk._hints["LG G8"].line and not rk._hints["LG G8"].single
    assert rk._hint_brand(find_brands("LG G8 다이어리 케이스", lines=True)) == "LG G8"
    assert find_brand("LG G8 다이어리 케이스") == "LG"
    assert rk.classify("LG G8 다이어리 케이스").path.startswith("디지털/가전>휴대폰액세서리>휴대폰케이스")
    assert rk.classify("갤럭시S23 울트라 256GB 자급제").path.startswith("디지털/가전>휴대폰")


def test_the_k_best_are_the_first_k_of_any_longer_list():
    """Leaves tied at the k-th place (a name that says the goods but not the attribute siblings
    differ by ties many) are cut in tree order, not as a partition happens to leave them: a review
    list shows the same first ten whether it asks for ten or fifty."""
    rk = default_ranker("smartstore")
    for name in ("사무실 컴퓨터 마우스 추천", "여름 밀짚 벙거지", "스마텍 STBT-BAR1000", "가나다라"):
        ten, fifty = rk.top_k(name, 10), rk.top_k(name, 50)
        assert [c.path for c in ten] == [c.path for c in fifty[:10]]
        assert [c.score for c in fifty] == sorted((c.score for c in fifty), reverse=True)
        assert ten[0].path == rk.top_k(name, 1)[0].path
