"""Product names are analysed without Kiwi: the trees' own terms split the words."""

from dropship_core.ai import word_analysis as wa
from dropship_core.ai.ranker import default_ranker


def test_names_are_classified_without_the_analyser():
    ranker = default_ranker("smartstore")  # the index build analyses the tree's words with Kiwi
    wa.clear_caches()
    before = wa.kiwi.cache_info()
    names = ["해외북유럽 감성 가리개 커튼 가림막 노렌", "촉촉한 수분가득 콜라겐 크림 75ml",
             "가정용 핸디 무선청소기", "통발 민물통발에쓰는 미끼통", "게이밍의자 블랙"]
    got = [ranker.classify(n).path for n in names]
    assert wa.kiwi.cache_info().hits == before.hits and wa.kiwi.cache_info().misses == before.misses
    assert "커튼" in got[0]
    assert "청소기" in got[2]
    assert "의자" in got[4]


def test_hangul_words_split_by_the_trees_terms():
    default_ranker("smartstore")
    wa.clear_caches()
    nouns = lambda w: [n for n, _ in wa.word_nouns(w)]  # noqa: E731
    assert nouns("가정용") == ["가정"]  # a noun and a derivational suffix
    assert nouns("촉촉한") == ["촉촉"]  # an adjective: its stem
    assert nouns("해외거실") == ["해외", "거실"]  # two terms of the tree
    assert nouns("포켓에") == ["포켓"]  # a particle
    assert wa.word_nouns("홍합살") == (("홍합", True), ("살", False))  # a term and one more syllable
    assert nouns("게이밍의자") == ["게이밍", "의자"]  # a compound ending in a product noun
    assert wa.word_nouns("뀨뀨뀨") == (("뀨뀨뀨", True),)  # any other word (no term of any tree): whole


def test_the_trees_words_still_go_through_kiwi():
    # the index analyses a tree segment with Kiwi whatever the cheap rules would say
    assert wa.index_nouns("블루투스이어폰") == tuple(n for n, _ in wa._analysed("블루투스이어폰"))


def test_an_answer_does_not_depend_on_which_markets_the_process_built_first():
    # names are split by the terms of every index built in the process: each process here
    # classifies the same names, one asking for Coupang's ranker first (as a Celery worker may)
    import json
    import subprocess
    import sys

    names = ["오롯 투명 냉장고 정리용기 5종 세트", "리빙앤 초경량 캠핑 폴딩 체어", "무선 충전 보조배터리 10000mAh",
             "아이리버 베스트 린넨 롱원피스", "락앤락 신상 서큘레이터"]
    code = ("import json, sys\nfrom dropship_core.ai.ranker import default_ranker\n"
            "if sys.argv[1] == 'coupang-first': default_ranker('coupang').classify('텀블러')\n"
            "r = default_ranker('smartstore')\n"
            f"print(json.dumps([r.classify(n).category_id for n in {names!r}]))\n")
    out = [json.loads(subprocess.run([sys.executable, "-c", code, order], capture_output=True, text=True,
                                     check=True).stdout) for order in ("smartstore-first", "coupang-first")]
    assert out[0] == out[1] and len(out[0]) == len(names)


def test_kiwi_analyses_are_remembered_on_disk_and_a_bad_file_is_ignored(tmp_path, monkeypatch):
    from dropship_core.ai import word_analysis as wa

    monkeypatch.setenv("DROPSHIP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(wa, "_MEMO_STATE", {"memo": None, "dirty": False})
    fresh = wa._kiwi_analysed("무선블루투스이어폰")
    assert wa._analysed("무선블루투스이어폰") == fresh
    wa.save_analyses()
    path = wa.analysis_cache()
    assert path.parent == tmp_path and "무선블루투스이어폰" in path.read_text(encoding="utf-8")
    # a new process reads the file instead of asking Kiwi
    monkeypatch.setattr(wa, "_MEMO_STATE", {"memo": None, "dirty": False})
    monkeypatch.setattr(wa, "_kiwi_analysed", lambda w: (_ for _ in ()).throw(AssertionError(w)))
    assert wa._analysed("무선블루투스이어폰") == fresh
    # an unreadable file is only a slower start
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(wa, "_MEMO_STATE", {"memo": None, "dirty": False})
    monkeypatch.setattr(wa, "_kiwi_analysed", lambda w: fresh)
    assert wa._analysed("무선블루투스이어폰") == fresh
    monkeypatch.setenv("DROPSHIP_CACHE_DIR", "off")
    assert wa.analysis_cache() is None
