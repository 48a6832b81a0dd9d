"""Product information notice (상품정보제공고시) families and their fields.

The three markets implement the same government notice (전자상거래 상품정보제공 고시): one
family per kind of product, a fixed list of items per family. Each market names them its own
way, so one table serves all three:

- Naver: `productInfoProvidedNoticeType` + the camelCase key of the type, fields by key
  [contract: WEAR, FASHION_ITEMS, MICROELECTRONICS, CELLPHONE, ETC keys and the WEAR / ETC field
  names; the other types' field keys follow the same enum, UNVERIFIED until
  `GET /v1/products-for-provided-notice/{type}` is read with credentials];
- Coupang: `noticeCategoryName` + `noticeCategoryDetailName` per item [contract: 기타 재화 and its
  five items; the other families' names are the government item names, UNVERIFIED until the
  category meta API is read];
- ESM: `officialNoticeNo` (the live group numbers in the contract: 1 의류 ... 35 기타 재화) and
  `officialNoticeItemelementCode` `"<no>-<n>"` [contract: 35-1..35-6 for 기타 재화; the other
  groups' item codes UNVERIFIED until `official-notice/groups/{no}/codes` is read].

Fetched metadata (`fetch.py`) replaces these names with what the market returns; this table is
the offline default and the sandboxes' rule book.
"""

from __future__ import annotations

from dataclasses import dataclass

DETAIL_REF = "상세페이지 참조"


@dataclass(frozen=True)
class NoticeField:
    label: str                 # the government item name (Coupang detail name)
    naver_key: str             # the Naver field in productInfoProvidedNotice.<typeKey> ("": none)
    sources: tuple[str, ...]   # product facts that fill it, first found wins
    detail_ok: bool = True     # "상세페이지 참조" is accepted when no fact fills it


@dataclass(frozen=True)
class NoticeFamily:
    key: str                   # Naver productInfoProvidedNoticeType
    naver_key: str             # camelCase key of the type in the Naver body
    name: str                  # Coupang noticeCategoryName
    esm_group: int             # ESM officialNoticeNo
    fields: tuple[NoticeField, ...]
    kc_required: bool = False  # electrical goods: KC certification must be carried


def _f(label, key, *sources, detail_ok=True) -> NoticeField:
    return NoticeField(label, key, tuple(sources), detail_ok)


_AS = _f("A/S 책임자와 전화번호", "afterServiceDirector", "as_phone")
_WARRANTY = _f("품질보증기준", "warrantyPolicy", "warranty")
_MAKER = _f("제조자, 수입품의 경우 수입자를 함께 표기", "manufacturer", "manufacturer", "brand")
_ORIGIN = _f("제조국", "origin", "origin")
_MODEL = _f("품명 및 모델명", "itemName", "model_name")
_KC = _f("KC 인증정보", "certificationType", "kc")   # the certification itself is checked apart
_RELEASE = _f("동일모델의 출시년월", "releaseDateText", "release")
_PHONE = _f("소비자상담 관련 전화번호", "customerServicePhoneNumber", "as_phone")
_COLOR = _f("색상", "color", "color")
_SIZE = _f("치수", "size", "size")
_CAUTION = _f("취급시 주의사항", "caution", "caution")

FAMILIES: dict[str, NoticeFamily] = {f.key: f for f in (
    NoticeFamily("WEAR", "wear", "의류", 1, (
        _f("제품 소재", "material", "material"), _COLOR, _SIZE, _MAKER, _ORIGIN,
        _f("세탁방법 및 취급시 주의사항", "caution", "caution"),
        _f("제조연월", "packDateText", "pack_date"), _WARRANTY, _AS)),
    NoticeFamily("SHOES", "shoes", "구두/신발", 2, (
        _f("제품 주소재", "material", "material"), _COLOR, _SIZE, _MAKER, _ORIGIN, _CAUTION,
        _WARRANTY, _AS)),
    NoticeFamily("BAG", "bag", "가방", 3, (
        _f("종류", "type", "kind"), _f("소재", "material", "material"),
        _COLOR, _f("크기", "size", "size"), _MAKER, _ORIGIN,
        _CAUTION, _WARRANTY, _AS)),
    NoticeFamily("FASHION_ITEMS", "fashionItems", "패션잡화(모자/벨트/액세서리)", 4, (
        _f("종류", "type", "kind"), _f("소재", "material", "material"),
        _SIZE, _MAKER, _ORIGIN, _CAUTION,
        _WARRANTY, _AS)),
    NoticeFamily("HOME_APPLIANCES", "homeAppliances", "가정용 전기제품", 8, (
        _MODEL, _KC, _f("정격전압, 소비전력", "ratedVoltage", "power"),
        _f("에너지소비효율등급", "energyEfficiencyRating", "energy_grade"), _RELEASE, _MAKER,
        _ORIGIN, _f("크기", "size", "size"), _WARRANTY, _AS), kc_required=True),
    NoticeFamily("MICROELECTRONICS", "microElectronics", "소형전자", 12, (
        _MODEL, _KC, _f("정격전압, 소비전력", "ratedVoltage", "power"), _RELEASE, _MAKER, _ORIGIN,
        _f("크기, 무게", "size", "size", "weight"), _f("주요 사양", "specification", "spec"),
        _WARRANTY, _AS), kc_required=True),
    NoticeFamily("CELLPHONE", "cellPhone", "휴대폰", 13, (
        _MODEL, _KC, _RELEASE, _MAKER, _ORIGIN, _f("크기, 무게", "size", "size", "weight"),
        _f("주요 사양", "specification", "spec"), _WARRANTY, _AS), kc_required=True),
    NoticeFamily("COSMETIC", "cosmetic", "화장품", 18, (
        _f("용량 또는 중량", "capacity", "capacity", "weight"),
        _f("제품 주요 사양", "specification", "spec"),
        _f("사용기한 또는 개봉 후 사용기간", "expirationDateText", "expiry"),
        _f("사용방법", "usage", "usage"),
        _f("화장품제조업자, 화장품책임판매업자 및 맞춤형화장품판매업자", "manufacturer",
           "manufacturer", "brand"),
        _ORIGIN, _f("화장품법에 따라 기재해야 하는 모든 성분", "mainIngredient", "ingredients"),
        _f("기능성 화장품 심사 필 유무", "certificationType", "functional"),
        _f("사용할 때의 주의사항", "caution", "caution"), _WARRANTY, _PHONE)),
    NoticeFamily("FOOD", "food", "농수축산물", 20, (
        _f("품목 또는 명칭", "productName", "title"),
        _f("포장단위별 내용물의 용량(중량), 수량, 크기", "weight", "weight", "capacity", "quantity"),
        _f("생산자, 수입품의 경우 수입자를 함께 표기", "producer", "manufacturer", "brand"),
        _f("농수산물의 원산지 표시 등에 관한 법률에 따른 원산지", "location", "origin",
           detail_ok=False),
        _f("제조연월일, 소비기한 또는 품질유지기한", "packDateText", "pack_date"),
        _f("상품구성", "contents", "composition"), _f("보관방법 또는 취급방법", "keep", "keep"),
        _PHONE)),
    NoticeFamily("GENERAL_FOOD", "generalFood", "가공식품", 21, (
        _f("제품명", "productName", "title"), _f("식품의 유형", "foodType", "kind"),
        _f("생산자 및 소재지", "producer", "manufacturer", "brand"),
        _f("제조연월일, 소비기한 또는 품질유지기한", "packDateText", "pack_date"),
        _f("포장단위별 내용물의 용량(중량), 수량", "weight", "weight", "capacity", "quantity"),
        _f("원재료명 및 함량", "ingredients", "ingredients"),
        _f("영양성분", "nutritionFacts", "nutrition"),
        _f("유전자변형식품에 해당하는 경우의 표시", "geneticallyModified", "gmo"),
        _f("소비자안전을 위한 주의사항", "caution", "caution"),
        _f("수입식품에 해당하는 경우 수입신고 문구", "importDeclarationCheck", "import_note"),
        _PHONE)),
    NoticeFamily("DIET_FOOD", "dietFood", "건강기능식품", 22, (
        _f("제품명", "productName", "title"),
        _f("제조업소의 명칭과 소재지", "producer", "manufacturer", "brand", detail_ok=False),
        _f("소비기한 및 보관방법", "consumptionDateText", "pack_date"),
        _f("포장단위별 내용물의 용량(중량), 수량", "amount", "weight", "capacity", "quantity"),
        _f("원료명 및 함량", "ingredients", "ingredients"),
        _f("영양정보", "nutritionFacts", "nutrition"), _f("기능정보", "specification", "function"),
        _f("섭취량, 섭취방법 및 섭취 시 주의사항", "intakeAmount", "usage"),
        _f("질병의 예방 및 치료를 위한 의약품이 아니라는 내용의 표현", "isNotMedicine",
           "not_medicine"),
        _f("수입식품에 해당하는 경우 수입신고 문구", "importDeclarationCheck", "import_note"),
        _PHONE)),
    NoticeFamily("SPORTS_EQUIPMENT", "sportsEquipment", "스포츠용품", 25, (
        _MODEL, _f("크기, 중량", "size", "size", "weight"), _COLOR,
        _f("재질", "material", "material"), _f("제품 구성", "components", "composition"),
        _RELEASE, _MAKER, _ORIGIN, _f("상품별 세부 사양", "specification", "spec"),
        _WARRANTY, _AS)),
    NoticeFamily("ETC", "etc", "기타 재화", 35, (
        _f("품명 및 모델명", "itemName", "model_name"),
        _f("인증/허가 사항", "certificateDetails", "kc"),
        _f("제조국(원산지)", "", "origin"),          # Naver: originAreaInfo, not the notice
        _f("제조자(수입자)", "manufacturer", "manufacturer", "brand"),
        _f("소비자상담 관련 전화번호", "customerServicePhoneNumber", "as_phone"))),
)}

# The family from a category path (any market's: Naver, Coupang and ESM name their branches
# alike). The top level decides the kind of goods; words in the deeper levels pick the family
# inside electronics, fashion and food.
_TOP_KIND = {"패션의류": "fashion", "패션잡화": "fashion", "패션의류잡화": "fashion",
             "화장품/미용": "COSMETIC", "뷰티": "COSMETIC", "식품": "food",
             "디지털/가전": "electronics", "가전/디지털": "electronics",
             "스포츠/레저": "SPORTS_EQUIPMENT", "스포츠/레져": "SPORTS_EQUIPMENT"}
_ELECTRONICS = (("ETC", ("액세서리", "케이스", "필름", "거치대", "케이블", "소모품", "부품")),
                ("CELLPHONE", ("휴대폰", "스마트폰")),
                ("HOME_APPLIANCES", ("주방가전", "생활가전", "계절가전", "이미용가전", "건강가전",
                                     "냉장고", "세탁기", "청소기", "에어컨", "밥솥", "대형가전",
                                     "냉난방", "TV", "영상가전")),
                ("MICROELECTRONICS", ("",)))
_FASHION = (("SHOES", ("신발", "구두", "운동화", "슬리퍼", "샌들", "부츠", "스니커즈")),
            ("BAG", ("가방", "백팩", "캐리어", "크로스백", "토트백", "숄더백")),
            ("WEAR", ("의류", "패션의류", "언더웨어", "속옷", "잠옷", "티셔츠", "바지", "원피스")),
            ("FASHION_ITEMS", ("",)))
_FOOD = (("DIET_FOOD", ("건강식품", "건강기능식품", "홍삼", "비타민", "영양제")),
         ("FOOD", ("농산물", "축산물", "수산물", "신선", "과일", "채소", "정육", "쌀/잡곡")),
         ("GENERAL_FOOD", ("",)))
_KINDS = {"electronics": _ELECTRONICS, "fashion": _FASHION, "food": _FOOD}


def family_for_path(path: str | None) -> NoticeFamily:
    """The notice family of a category path (any market's): ETC when nothing more specific."""
    levels = [p.strip() for p in (path or "").split(">") if p.strip()]
    if not levels:
        return FAMILIES["ETC"]
    kind = _TOP_KIND.get(levels[0], "ETC")
    if kind in FAMILIES:
        return FAMILIES[kind]
    deeper = levels[1:]
    if kind == "fashion" and levels[0] == "패션의류":
        return FAMILIES["WEAR"]
    for fam, words in _KINDS[kind]:
        if any(w in lv for w in words for lv in deeper) or words == ("",):
            return FAMILIES[fam]
    return FAMILIES["ETC"]
