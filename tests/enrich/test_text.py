from hypothesis import given, settings
from hypothesis import strategies as st

from dropship_core.ai.text import (
    clean_name,
    cut_title,
    extract_attributes,
    market_titles,
    sanitize_description,
)
from dropship_core.markets.names import MARKETS, TITLE_LIMITS


def test_clean_name_strips_promotional_noise():
    assert clean_name("[무료배송] ★특가★ 스탠리 텀블러 500ml 최저가 (당일발송)") == "스탠리 텀블러 500ml"
    assert clean_name("【1+1】 ♥ 쿠션 커버 45x45 ♥ [2026 신상]") == "쿠션 커버 45x45"
    assert clean_name("여성  니트   가디건") == "여성 니트 가디건"


def test_clean_name_keeps_descriptive_brackets_and_drops_duplicate_words():
    assert clean_name("[정품] 락앤락 밀폐용기 (10종) 밀폐용기 세트") == "락앤락 밀폐용기 10종 세트"
    assert clean_name("ＡＢＣ　텀블러") == "ABC 텀블러"  # fullwidth → ASCII


def test_sanitize_description_removes_scripts_and_tags():
    html = (
        '<div><h2>상품 설명</h2><p>보온 &amp; 보냉<br>스텐 304</p>'
        '<script>document.cookie="x"</script><style>p{color:red}</style>'
        '<!-- comment --><img src="a.jpg" onerror="alert(1)"><ul><li>500ml</li></ul></div>'
    )
    text = sanitize_description(html)
    assert "script" not in text and "cookie" not in text and "color:red" not in text
    assert "<" not in text and ">" not in text and "alert" not in text
    assert [ln for ln in text.splitlines() if ln] == ["상품 설명", "보온 & 보냉", "스텐 304", "500ml"]
    assert "\n\n\n" not in text
    assert sanitize_description(None) == ""
    assert sanitize_description("<p>열린 <script>alert(1)") == "열린"


def test_cut_title_on_word_boundary():
    words = "스테인리스 이중진공 텀블러 " * 10
    t = cut_title(words, "smartstore")
    assert len(t) <= 100 and words.startswith(t) and not t.endswith(" ")
    assert words[len(t)] == " "  # the cut falls between words
    g = cut_title(words, "gmarket")
    assert len(g.encode("utf-8")) <= 100 and words.startswith(g)
    # a single over-long word is cut hard, still within the limit
    assert len(cut_title("가" * 200, "gmarket").encode()) <= 100
    assert cut_title("짧은 이름", "coupang") == "짧은 이름"


titles = st.text(
    alphabet=st.sampled_from(list("가나다라텀블러스텐 ABCxyz0123456789-/()[]★ ")) | st.characters(),
    max_size=400,
)


@settings(max_examples=300, deadline=None)
@given(titles, st.one_of(st.none(), st.text(max_size=30)))
def test_market_titles_never_exceed_limits(name, brand):
    for market, title in market_titles(name, brand, MARKETS).items():
        lim = TITLE_LIMITS[market]
        if "bytes" in lim:
            assert len(title.encode("utf-8")) <= lim["bytes"]
        else:
            assert len(title) <= lim["chars"]


@settings(max_examples=200, deadline=None)
@given(titles)
def test_cut_title_is_a_prefix_of_the_normalised_text(name):
    from dropship_core.ai.text import normalize

    for market in MARKETS:
        assert normalize(name).startswith(cut_title(name, market))


def test_attributes_from_name():
    a = extract_attributes("[무료배송] 여성 루즈핏 반팔 티셔츠 면100% 화이트 FREE", top_level="패션의류")
    assert a == {"gender": "여성", "material": "면", "color": "화이트", "size": "free"}
    a = extract_attributes("삼다수 생수 2L 12병 무라벨", top_level="식품")
    assert a["brand"] == "삼다수" and a["capacity"] == "2l" and a["quantity"] == "12병"
    a = extract_attributes("메디큐브 토너 패드 70매 10팩", top_level="화장품/미용")
    assert a["quantity"] == "10팩"  # the outer pack count
    a = extract_attributes("나이키 에어줌 페가수스 남성 러닝화 270", top_level="패션잡화")
    assert a["brand"] == "나이키" and a["gender"] == "남성" and a["size"] == "270"
    a = extract_attributes("클리오 킬커버 쿠션 21호", top_level="화장품/미용")
    assert a["color"] == "21호" and "size" not in a
    a = extract_attributes("스팔딩 농구공 7호", top_level="스포츠/레저")
    assert a["size"] == "7호"
    a = extract_attributes("카시오 MTP-1302D 메탈 시계")
    assert a["model"] == "mtp-1302d"
    a = extract_attributes("거실 러그 160x230 극세사", top_level="가구/인테리어")
    assert a["size"] == "160x230" and a["material"] == "극세사"


def test_attributes_from_fields_and_options():
    a = extract_attributes(
        "기본 티셔츠", brand="Acme", model="T-100",
        options=[{"색상": "블랙", "사이즈": "L"}, {"색상": "화이트", "사이즈": "L"}],
    )
    assert a["brand"] == "acme" and a["model"] == "t-100"
    assert a["color"] == "블랙/화이트" and a["size"] == "l"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_sanitize_description_output_is_encodable_text(html):
    out = sanitize_description(html)
    out.encode("utf-8")
    assert "<script" not in out.lower()


def test_english_promo_words_only_in_brackets():
    assert clean_name("[NEW] New Balance 530 운동화 [BEST]") == "New Balance 530 운동화"
    assert clean_name("HOT 핫팩 포켓용 30개") == "HOT 핫팩 포켓용 30개"
    assert clean_name("1+1 텀블러 특가") == "텀블러"
