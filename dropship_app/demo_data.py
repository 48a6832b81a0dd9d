"""Deterministic demo catalogs: three Excel suppliers with realistic Korean products.

Each workbook has its own header style, as real wholesalers do, and a few deliberately broken
rows (text in a price column, negative stock, a missing name, a duplicate code, options that do
not add up), so the demo shows quarantine at work. `python -m dropship_app.demo_data OUTDIR`
writes them; `make demo` uses the copies in demo_data/.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

# (category path as the supplier writes it, name templates, option name, option values, cost range)
TEMPLATES = [
    ("주방용품>텀블러", ["{b} 스테인리스 진공 텀블러 {n}ml", "{b} 보온보냉 텀블러 {n}ml 빨대형"], "색상",
     ["블랙", "화이트", "네이비", "민트"], (4000, 12000), [350, 500, 750]),
    ("주방용품>프라이팬", ["{b} 인덕션 겸용 코팅 프라이팬 {n}cm", "{b} 통주물 무쇠 프라이팬 {n}cm"], "사이즈",
     ["20cm", "24cm", "28cm"], (9000, 25000), [20, 24, 28]),
    ("생활용품>수납정리", ["{b} 접이식 수납박스 {n}L 뚜껑포함", "{b} 투명 냉장고 정리용기 {n}종 세트"], "색상",
     ["그레이", "베이지", "화이트"], (3000, 9000), [3, 5, 10, 30]),
    ("패션의류>남성>티셔츠", ["{b} 남성 오버핏 무지 반팔 티셔츠", "{b} 남녀공용 쭈리 맨투맨 기모"], "색상/사이즈",
     ["블랙/M", "블랙/L", "블랙/XL", "화이트/M", "화이트/L"], (5000, 14000), [1]),
    ("패션잡화>가방", ["{b} 데일리 캔버스 에코백 대형", "{b} 나일론 크로스백 미니"], "색상",
     ["블랙", "카키", "아이보리"], (6000, 18000), [1]),
    ("디지털/가전>휴대폰액세서리", ["{b} 고속충전 C타입 케이블 {n}m", "{b} 맥세이프 무선충전 거치대 15W"], "길이",
     ["1m", "2m"], (2000, 11000), [1, 2]),
    ("디지털/가전>음향", ["{b} 블루투스 5.3 무선 이어폰 노이즈캔슬링", "{b} 휴대용 블루투스 스피커 방수"], "색상",
     ["블랙", "화이트"], (12000, 35000), [1]),
    ("뷰티>스킨케어", ["{b} 히알루론산 수분 앰플 {n}ml", "{b} 약산성 클렌징폼 {n}ml 대용량"], "",
     [], (4000, 15000), [30, 50, 150, 300]),
    ("식품>간식", ["{b} 국산 구운 아몬드 {n}g 지퍼백", "{b} 수제 누룽지 과자 {n}g"], "",
     [], (3000, 12000), [200, 500, 1000]),
    ("스포츠/레저>캠핑", ["{b} 초경량 캠핑 폴딩 체어", "{b} 캠핑 LED 랜턴 충전식 {n}루멘"], "색상",
     ["카키", "블랙", "베이지"], (9000, 32000), [300, 600]),
    ("반려동물>강아지용품", ["{b} 강아지 노즈워크 담요 {n}cm", "{b} 반려견 하네스 산책줄 세트"], "사이즈",
     ["S", "M", "L"], (5000, 16000), [50, 70]),
    ("출산/육아>유아용품", ["{b} 실리콘 유아 식판 흡착형", "{b} 아기 물티슈 캡형 {n}매 10팩"], "색상",
     ["핑크", "민트", "옐로우"], (3000, 13000), [70, 100]),
    ("가구/인테리어>조명", ["{b} 무드등 LED 수면등 터치형", "{b} 북유럽 원목 스탠드 조명"], "",
     [], (8000, 30000), [1]),
    ("문구/오피스>필기구", ["{b} 젤펜 0.5mm {n}자루 세트", "{b} 스프링 노트 A5 {n}권"], "",
     [], (1500, 6000), [5, 10, 12]),
]
# What the suppliers' detail pages state beyond the name and the options ('■ label: value'
# lines, as Korean wholesale pages carry): the attributes the markets ask for that neither the
# name nor the options give, by a word of the product name. Values are picked by product code,
# not from the seeded random stream, so every other cell of the workbooks stays as it was.
SPECS: list[tuple[str, dict[str, list[str]]]] = [
    ("무드등", {"색상": ["화이트", "우드", "핑크"]}), ("스탠드 조명", {"색상": ["우드", "화이트"]}),
    ("케이블", {"색상": ["블랙", "화이트"]}), ("거치대", {"색상": ["블랙", "화이트"]}),
    ("이어폰", {"색상": ["블랙", "화이트"]}), ("스피커", {"색상": ["블랙", "네이비"]}),
    ("젤펜", {"색상": ["블랙", "블루", "레드"]}), ("노트", {"색상": ["크라프트", "네이비", "그린"]}),
    ("노즈워크", {"색상": ["베이지", "그레이", "민트"]}), ("하네스", {"색상": ["핑크", "네이비", "블랙"]}),
    ("물티슈", {"평량": ["55g", "60g", "70g"]}), ("식판", {"색상": ["핑크", "민트", "옐로우"]}),
    ("수납박스", {"색상": ["화이트", "그레이"]}), ("정리용기", {"색상": ["투명"]}),
    ("텀블러", {"색상": ["블랙", "화이트"]}), ("프라이팬", {"소재": ["알루미늄"]}),
    ("에코백", {"색상": ["아이보리", "블랙"]}), ("크로스백", {"색상": ["블랙", "카키"]}),
    ("폴딩 체어", {"색상": ["카키", "블랙"]}), ("랜턴", {"색상": ["블랙", "카키"]}),
]
# KC marks the goods need (radio conformity for Bluetooth and wireless charging, electrical
# safety for lamps), in the numbering the certificates carry; one product in twenty has none,
# so the demo still shows the block and its reason.
KC: list[tuple[str, str]] = [
    ("블루투스", "R-C-{b}-BT{n:04d}"), ("무선충전", "R-R-{b}-WC{n:04d}"),
    ("무드등", "YU07{n:04d}-{n:04d}A"), ("스탠드 조명", "YU07{n:04d}-{n:04d}B"), ("LED 랜턴", "YU10{n:04d}-{n:04d}C"),
]


PACKS = ["10팩", "20팩", "30팩"]


def _code(sku: str) -> int:
    return int("".join(ch for ch in sku if ch.isdigit()) or 0)


def spec_lines(sku: str, name: str, option_name: str) -> str:
    """The '■ label: value' lines of a product's detail page (labels its options already give
    are left to the options)."""
    n = _code(sku)
    for word, spec in SPECS:
        if word in name:
            return "".join(f"<p>■ {k}: {v[n % len(v)]}</p>" for k, v in spec.items()
                           if k not in option_name)
    return ""


def kc_number(sku: str, name: str, brand: str) -> str:
    n = _code(sku)
    if n % 20 == 7:
        return ""
    brand_code = f"{sum(map(ord, brand)) % 1000:03d}"
    return next((f.format(b=f"DMO{brand_code}", n=n) for word, f in KC if word in name), "")


BRANDS = ["코멧", "리빙웰", "데일리온", "모던하우스", "한빛", "키친아트", "로이체", "포레스트", "그린핑거",
          "바른생활", "써니데이", "오롯", "무아", "하루잇", "스텐마스터"]
NOISE = ["[무료배송] ", "★특가★ ", "(당일발송) ", "", "", "", "[1+1] ", "최저가 ", "", "【신상】 "]
ORIGINS = ["국산", "중국", "베트남", "대한민국", "중국(OEM)"]


def _products(rng: random.Random, prefix: str, count: int):
    for i in range(count):
        cat, names, opt_name, opt_values, (lo, hi), ns = rng.choice(TEMPLATES)
        brand = rng.choice(BRANDS)
        name = rng.choice(NOISE) + rng.choice(names).format(b=brand, n=rng.choice(ns))
        cost = rng.randrange(lo, hi, 10)
        opts = rng.sample(opt_values, k=min(len(opt_values), rng.randint(1, 3))) if opt_values else []
        if "물티슈" in name and opts:   # wipes sell by pack count, not colour (same draws as before)
            opt_name, opts = "수량", [PACKS[opt_values.index(o)] for o in opts]
        yield {
            "sku": f"{prefix}{1000 + i}",
            "name": name,
            "cost": cost,
            "sale": int(cost * rng.uniform(1.4, 1.9) / 100) * 100,
            "consumer": int(cost * 2.2 / 100) * 100,
            "stock": rng.choice([0, 3, 12, 40, 120, 500]) if i % 17 else 0,
            "opt_name": opt_name if opts else "",
            "opts": opts,
            "opt_prices": [0 if j == 0 else rng.choice([0, 1000, 2000]) for j in range(len(opts))],
            "ship": rng.choice([0, 2500, 3000, 3500]),
            "origin": rng.choice(ORIGINS),
            "brand": brand,
            "category": cat,
            "image": f"https://cdn.demo-supplier.kr/{prefix.lower()}/{1000 + i}/main.jpg",
            "extra": ",".join(f"https://cdn.demo-supplier.kr/{prefix.lower()}/{1000 + i}/{k}.jpg" for k in range(rng.randint(0, 3))),
            "desc": f"<p>{brand}의 {name.split(' ', 1)[-1]} 입니다.</p><p>꼼꼼한 검수 후 발송합니다. 원산지: 상세설명 참조</p>"
                    + spec_lines(f"{prefix}{1000 + i}", name, opt_name if opts else ""),
            "kc": kc_number(f"{prefix}{1000 + i}", name, brand),
            "tax": "면세" if cat.startswith("식품") else "과세",
        }


def write_acme(path: Path, rng: random.Random, count: int = 320) -> None:
    """에이스상사: clean one-row-per-product sheet, options as comma lists."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "상품목록"
    ws.append(["상품코드", "상품명", "공급가", "판매가", "소비자가", "재고", "옵션명", "옵션값", "옵션가", "배송비",
               "원산지", "제조사", "카테고리", "대표이미지", "추가이미지", "상세설명", "과세여부", "KC인증번호"])
    for p in _products(rng, "AC", count):
        ws.append([p["sku"], p["name"], p["cost"], p["sale"], p["consumer"], p["stock"], p["opt_name"],
                   ",".join(p["opts"]), ",".join(map(str, p["opt_prices"])) if p["opts"] else "", p["ship"],
                   p["origin"], p["brand"], p["category"], p["image"], p["extra"], p["desc"], p["tax"], p["kc"]])
    # deliberately broken rows
    ws.append(["AC9001", "가격 문의 상품", "문의", 10000, None, 5, "", "", "", 3000, "국산", "코멧", "생활용품", "https://cdn.demo-supplier.kr/x.jpg", "", "", "과세"])
    ws.append(["AC9002", "재고 오류 상품", 5000, 9000, None, -3, "", "", "", 3000, "국산", "코멧", "생활용품", "https://cdn.demo-supplier.kr/y.jpg", "", "", "과세"])
    ws.append(["AC9003", None, 5000, 9000, None, 3, "", "", "", 3000, "국산", "코멧", "생활용품", "", "", "", "과세"])
    ws.append(["AC1000", "중복 코드 상품", 5000, 9000, None, 3, "", "", "", 3000, "국산", "코멧", "생활용품", "", "", "", "과세"])
    ws.append(["AC9004", "옵션 불일치 텀블러", 5000, 9000, None, 3, "색상", "블랙,화이트", "0,1000,2000", 3000, "국산", "코멧", "주방용품", "https://cdn.demo-supplier.kr/z.jpg", "", "", "과세"])
    wb.save(path)


def write_hanbit(path: Path, rng: random.Random, count: int = 260) -> None:
    """한빛도매: title rows above the header, prices as text with 원, one row per option, a notes sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "상품리스트"
    ws.append(["한빛도매 2026년 11월 공급 단가표"])
    ws.append(["※ 가격은 VAT 포함, 재고는 매일 오전 갱신"])
    ws.append(["자체상품코드", "제품명", "도매가", "권장소비자가", "재고수량", "옵션명", "옵션값", "추가금액", "기본배송비",
               "제조국", "브랜드명", "카테고리명", "이미지URL", "모델명", "비고", "상세설명", "KC인증번호"])
    for p in _products(rng, "HB", count):
        price = f"{p['cost']:,}원"
        if not p["opts"]:
            ws.append([p["sku"], p["name"], price, f"{p['consumer']:,}원", str(p["stock"]), "", "", "",
                       f"{p['ship']:,}", p["origin"], p["brand"], p["category"], p["image"], f"HB-{p['sku'][2:]}", "",
                       p["desc"], p["kc"]])
        for j, (o, op) in enumerate(zip(p["opts"], p["opt_prices"])):
            ws.append([p["sku"], p["name"] if j == 0 else None, price if j == 0 else None,
                       f"{p['consumer']:,}원" if j == 0 else None, str(max(0, p["stock"] // max(1, len(p["opts"])))),
                       p["opt_name"], o, f"{op:,}원", f"{p['ship']:,}" if j == 0 else None,
                       p["origin"] if j == 0 else None, p["brand"] if j == 0 else None,
                       p["category"] if j == 0 else None, p["image"] if j == 0 else None, f"HB-{p['sku'][2:]}", "",
                       p["desc"] if j == 0 else None, p["kc"] if j == 0 else None])
    ws.append(["HB9001", "무게 오류 아몬드 1kg", "12,000원", "20,000원", "많음", "", "", "", "3,000", "국산", "한빛", "식품", "https://cdn.demo-supplier.kr/a.jpg", "", ""])
    ws.append(["HB9002", "공급가 누락 볼펜 세트", None, "5,000원", "10", "", "", "", "3,000", "국산", "한빛", "문구", "https://cdn.demo-supplier.kr/b.jpg", "", ""])
    notes = wb.create_sheet("안내")
    notes.append(["주문 마감 오후 2시"])
    notes.append(["문의: 02-000-0000"])
    wb.save(path)


def write_daon(path: Path, rng: random.Random, count: int = 200) -> None:
    """다온리빙: option rows under a merged product cell (code blank on continuation rows)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["업체상품코드", "상품명(필수)", "공급단가", "판매가격", "수량", "옵션구분", "옵션항목", "옵션추가금",
               "배송비", "원산지", "제조사명", "카테고리", "대표이미지", "상세페이지", "면세여부", "성인여부", "검색어",
               "KC 인증번호"])
    r = 2
    for p in _products(rng, "DA", count):
        first = r
        rows = p["opts"] or [""]
        for j, o in enumerate(rows):
            head = j == 0
            ws.append([p["sku"] if head else None, p["name"] if head else None, p["cost"] if head else None,
                       p["sale"] if head else None, p["stock"] if head else None, p["opt_name"] if o else "",
                       o, p["opt_prices"][j] if o else "", p["ship"] if head else None, p["origin"] if head else None,
                       p["brand"] if head else None, p["category"] if head else None, p["image"] if head else None,
                       p["desc"] if head else None, p["tax"] if head else None, "N" if head else None,
                       "생활,선물" if head else None, p["kc"] if head else None])
            r += 1
        if len(rows) > 1:
            ws.merge_cells(start_row=first, start_column=1, end_row=r - 1, end_column=1)
            ws.merge_cells(start_row=first, start_column=2, end_row=r - 1, end_column=2)
    ws.append(["DA9001", "마이너스 재고 조명", 12000, 20000, -1, "", "", "", 3000, "중국", "다온", "조명", "https://cdn.demo-supplier.kr/c.jpg", "", "과세", "N", ""])
    wb.save(path)


def write_all(outdir: str | Path) -> list[Path]:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "acme.xlsx", out / "hanbit.xlsx", out / "daon.xlsx"]
    write_acme(paths[0], random.Random(11))
    write_hanbit(paths[1], random.Random(22))
    write_daon(paths[2], random.Random(33))
    return paths


if __name__ == "__main__":
    for p in write_all(sys.argv[1] if len(sys.argv) > 1 else "demo_data"):
        print(p)
