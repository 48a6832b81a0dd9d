"""A seeded, deterministic catalog of realistic Korean wholesale items for the supplier sandboxes.

Both supplier sandboxes (OwnerClan, Domeggook) render the same neutral `SeedItem` records into
their own wire format. The same (count, seed) always yields the same catalog, so a seller's
dry run and the tests see identical data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# (category path, product nouns, option sets that make sense for it, price range in KRW)
_CATEGORIES: list[tuple[tuple[str, ...], list[str], list[dict[str, list[str]]], tuple[int, int]]] = [
    (("주방용품", "컵/텀블러", "텀블러"), ["스테인리스 텀블러", "진공 보온병", "아이스 텀블러", "머그컵"],
     [{"색상": ["블랙", "화이트", "네이비", "민트"], "용량": ["350ml", "500ml", "750ml"]}, {}], (3500, 18000)),
    (("주방용품", "조리도구", "프라이팬"), ["인덕션 프라이팬", "세라믹 웍", "계란말이팬", "스텐 냄비"],
     [{"사이즈": ["20cm", "24cm", "28cm"]}, {}], (6900, 32000)),
    (("생활용품", "욕실용품", "수건"), ["호텔 수건", "극세사 타월", "뱀부 바스타월"],
     [{"색상": ["그레이", "베이지", "화이트", "핑크"]}, {"색상": ["그레이", "화이트"], "수량": ["5장", "10장"]}],
     (1900, 15000)),
    (("생활용품", "수납/정리", "리빙박스"), ["접이식 리빙박스", "서랍형 수납함", "옷정리 바구니"],
     [{"사이즈": ["S", "M", "L"]}, {}], (2900, 21000)),
    (("패션의류", "남성의류", "티셔츠"), ["오버핏 반팔티", "무지 긴팔티", "쿨링 기능성 티셔츠"],
     [{"색상": ["블랙", "화이트", "차콜", "카키"], "사이즈": ["M", "L", "XL", "2XL"]}], (4500, 19000)),
    (("패션의류", "여성의류", "원피스"), ["린넨 롱원피스", "플라워 원피스", "셔링 미니원피스"],
     [{"색상": ["아이보리", "블랙", "소라"], "사이즈": ["FREE"]}, {"사이즈": ["S", "M", "L"]}], (9800, 39000)),
    (("패션잡화", "가방", "백팩"), ["노트북 백팩", "캔버스 에코백", "방수 여행가방"],
     [{"색상": ["블랙", "그레이", "네이비"]}, {}], (7900, 45000)),
    (("디지털/가전", "휴대폰 액세서리", "충전기"), ["고속 충전기", "C타입 케이블", "무선 충전패드", "보조배터리"],
     [{"길이": ["1m", "2m"], "색상": ["블랙", "화이트"]}, {"용량": ["10000mAh", "20000mAh"]}, {}], (2500, 29000)),
    (("디지털/가전", "생활가전", "선풍기"), ["탁상용 미니선풍기", "서큘레이터", "핸디 선풍기"],
     [{"색상": ["화이트", "민트", "핑크"]}, {}], (5900, 49000)),
    (("문구/오피스", "사무용품", "용지"), ["고광택 포토용지", "A4 복사용지", "라벨지"],
     [{"규격": ["A4", "A5"], "매수": ["20매", "50매"]}, {}], (1200, 24000)),
    (("반려동물", "강아지용품", "배변용품"), ["강아지 배변패드", "탈취 배변봉투", "배변판"],
     [{"사이즈": ["소형", "중형", "대형"]}, {}], (3300, 27000)),
    (("스포츠/레저", "캠핑", "캠핑의자"), ["경량 캠핑의자", "릴렉스 체어", "접이식 테이블"],
     [{"색상": ["카키", "베이지", "블랙"]}, {}], (8900, 59000)),
    (("뷰티", "스킨케어", "마스크팩"), ["수분 마스크팩", "진정 시트마스크", "콜라겐 앰플"],
     [{"수량": ["10매", "30매"]}, {}], (2200, 19000)),
    (("식품", "건강식품", "비타민"), ["멀티비타민", "루테인", "유산균"],
     [{"수량": ["30정", "60정", "90정"]}, {}], (5900, 38000)),
]
# What the suppliers' detail pages state beyond the name and the options (a '■ label: value'
# table, as Korean wholesale pages carry), per category and per product noun: the attributes the
# markets ask for that neither the name nor the options give. Values are picked by item number,
# not by the seeded random stream, so every other field of the catalog stays as it was.
_SPECS: dict[str, dict[str, list[str]]] = {
    "텀블러": {"색상": ["블랙", "화이트", "네이비"], "용량": ["350ml", "500ml", "750ml"]},
    "프라이팬": {"사이즈": ["20cm", "24cm", "28cm"], "소재": ["알루미늄", "스테인리스"]},
    "수건": {"소재": ["면 100%"]},
    "리빙박스": {"색상": ["화이트", "그레이", "베이지"]},
    "티셔츠": {"소재": ["면 100%", "폴리에스터 100%"]},
    "원피스": {"색상": ["아이보리", "블랙", "소라"], "소재": ["린넨 55%, 면 45%"]},
    "백팩": {"색상": ["블랙", "그레이", "네이비"], "소재": ["폴리에스터"]},
    "충전기": {"색상": ["블랙", "화이트"]},
    "선풍기": {"색상": ["화이트", "민트"]},
    "배변용품": {"색상": ["화이트", "블루"]},
    "캠핑의자": {"색상": ["카키", "베이지", "블랙"]},
}
_NOUN_SPECS: dict[str, dict[str, list[str]]] = {
    "머그컵": {"용량": ["350ml", "400ml"]},
    "보조배터리": {"용량": ["10000mAh", "20000mAh"]},
    "접이식 테이블": {"가로길이": ["60cm", "90cm"]},
    "고광택 포토용지": {"사이즈": ["A4"]},
    "A4 복사용지": {"사이즈": ["A4"]},
    "라벨지": {"1장당 칸 수": ["24개", "12개", "4개"]},
}
# KC marks of the goods that need one (electrical safety, radio conformity), in the numbering
# the certificates carry; about one item in twenty has none, so the block shows in the demo.
_KC: dict[str, tuple[str, str]] = {
    "선풍기": ("KC 안전인증", "HU07{n:04d}-{m:04d}A"),
    "충전기": ("KC 안전확인", "YU10{n:04d}-{m:04d}B"),
}


def _spec_table(i: int, path: tuple[str, ...], noun: str) -> dict[str, str]:
    pick = {**_SPECS.get(path[-1], {}), **_NOUN_SPECS.get(noun, {})}
    return {label: values[i % len(values)] for label, values in pick.items()}


def _certificates(i: int, path: tuple[str, ...]) -> list[dict]:
    kc = _KC.get(path[-1])
    if kc is None or i % 20 == 7:
        return []
    return [{"type": "KC_CERTIFICATION", "name": kc[0],
             "number": kc[1].format(n=(i * 37) % 10000, m=i % 10000)}]


_BRANDS = ["코닥", "락앤락", "해피콜", "무인양품", "한일", "신일", "모나미", "오뚜기", "리빙앤", "데일리홈",
           "코멧", "스탠리", "쿠쿠", "모던하우스", "노브랜드", "아이리버", "삼정", "보국", "키친아트", "한샘"]
_ADJECTIVES = ["프리미엄", "대용량", "초경량", "가성비", "국민", "베스트", "신상", "고급형", "심플", "튼튼한"]
_ORIGINS = ["국내산", "국내산", "국내산", "중국", "중국", "베트남", "일본"]
_ADULT_WORDS = ["성인용 19금 용품"]


@dataclass
class SeedItem:
    key: str
    no: int
    name: str
    brand: str
    model: str
    origin: str
    category_code: str
    category_path: tuple[str, ...]
    price: int                 # supplier (wholesale) price at quantity 1
    consumer_price: int        # suggested retail price
    tiers: list[tuple[int, int]]  # (min qty, unit price), first tier is qty 1
    shipping_fee: int
    return_fee: int
    tax_free: bool
    adult: bool
    images: list[str]
    keywords: list[str]
    content: str
    # [{"attrs": {"색상": "블랙"}, "price_delta": 0, "qty": 12}] ; empty = single SKU
    options: list[dict]
    stock: int | None          # None = not tracked (OwnerClan quantity 9999)
    status: str = "available"  # available | soldout | discontinued
    created_ms: int = 0
    updated_ms: int = 0
    extra: dict = field(default_factory=dict)


def _round_price(x: float) -> int:
    return max(100, int(round(x / 100.0)) * 100)


def generate_catalog(count: int = 3000, seed: int = 20260101, key_prefix: str = "W") -> list[SeedItem]:
    """`count` items, deterministic for a given `seed`. Keys look like OwnerClan's (W000001)."""
    rnd = random.Random(seed)
    base_ms = 1_700_000_000_000
    items: list[SeedItem] = []
    for i in range(count):
        cat_i = rnd.randrange(len(_CATEGORIES))
        path, nouns, option_sets, (lo, hi) = _CATEGORIES[cat_i]
        brand = rnd.choice(_BRANDS)
        noun = rnd.choice(nouns)
        adj = rnd.choice(_ADJECTIVES)
        model = f"{brand[:1]}{cat_i:02d}-{rnd.randrange(100, 999)}"
        adult = rnd.random() < 0.01
        name = f"{brand} {adj} {noun} {model}" if not adult else f"{_ADULT_WORDS[0]} {noun} {model}"
        price = _round_price(rnd.uniform(lo, hi))
        consumer = _round_price(price * rnd.uniform(1.3, 2.2))
        tiers = [(1, price)]
        if rnd.random() < 0.4:
            tiers.append((rnd.choice([10, 20, 30]), _round_price(price * 0.93)))
            if rnd.random() < 0.5:
                tiers.append((rnd.choice([50, 100]), _round_price(price * 0.88)))
        opt_set = rnd.choice(option_sets)
        options: list[dict] = []
        tracked = rnd.random() < 0.7
        if opt_set:
            dims = list(opt_set.items())
            combos: list[dict[str, str]] = [{}]
            for dim, values in dims:
                combos = [dict(c, **{dim: v}) for c in combos for v in values]
            for j, attrs in enumerate(combos):
                delta = 0 if j == 0 else rnd.choice([0, 0, 0, 500, 1000, 2000])
                qty = rnd.randrange(0, 80) if tracked else 9999
                options.append({"attrs": attrs, "price_delta": delta, "qty": qty})
            stock = sum(o["qty"] for o in options) if tracked else None
        else:
            stock = rnd.randrange(0, 500) if tracked else None
        status = "available"
        if stock == 0:
            status = "soldout"
        code = f"{100 + cat_i:03d}{rnd.randrange(1, 20):03d}{rnd.randrange(1, 30):03d}000"
        created = base_ms + i * 60_000
        n_img = rnd.randrange(1, 5)
        images = [f"https://cdn.sandbox.example/items/{i:06d}/{k}.jpg" for k in range(n_img)]
        keywords = list(dict.fromkeys([noun.split()[-1], path[-1], path[1].split("/")[0], brand, adj]))
        spec = _spec_table(i, path, noun)
        certs = _certificates(i, path)
        table = "".join(f"<p>■ {k}: {v}</p>" for k, v in spec.items() if not options or k not in opt_set)
        table += "".join(f"<p>■ KC인증번호: {c['number']}</p>" for c in certs)
        content = f"<p>{name}</p><p>{adj} {noun} - {brand} 정품</p>{table}<img src=\"{images[0]}\"/>"
        items.append(SeedItem(
            key=f"{key_prefix}{i + 1:06d}", no=40_000_000 + i * 7 + 1, name=name, brand=brand, model=model,
            origin=rnd.choice(_ORIGINS), category_code=code, category_path=path, price=price,
            consumer_price=consumer, tiers=tiers, shipping_fee=rnd.choice([0, 2500, 3000, 3000, 3500]),
            return_fee=rnd.choice([2500, 3000, 3500]), tax_free=path[0] == "식품" and rnd.random() < 0.5,
            adult=adult, images=images, keywords=keywords, content=content, options=options, stock=stock,
            status=status, created_ms=created, updated_ms=created,
            extra={"certificates": certs},
        ))
    return items
