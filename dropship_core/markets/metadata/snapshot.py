"""The offline default: metadata built from the shipped category trees.

SmartStore: the whole tree (`naver_categories.csv`); Coupang: the partial leaf table with each
category's required purchase options (`coupang_categories_partial.csv`); ESM: nothing: no ESM
code table is public, so Gmarket/Auction categories come only from ESM's category API (see
`fetch.py`) or the seller's override file. Notice families and KC rules come from
`families.py`. Everything here is replaced by `fetch.py` when the market's credentials are set.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dropship_core.ai.categories import CategoryRow, load_tree
from dropship_core.markets.metadata.families import family_for_path
from dropship_core.markets.metadata.model import (CategoryRules, Certification, MarketMetadata,
                                                  PurchaseOption)
from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE

KC = Certification("KC_CERTIFICATION", "KC 인증 (전기용품 및 생활용품 안전관리법)", True)
# Radio equipment (Bluetooth, Wi-Fi, phones) carries the KC mark of the 전파법 conformity
# assessment (R-C-/R-R- numbers) rather than the electrical-safety one: the reason names the
# certificate the seller has to look for. The markets' category APIs give the authoritative list.
KC_RADIO = Certification("KC_CERTIFICATION", "KC 적합성평가 (전파법, R-C-/R-R- 번호)", True)
_RADIO_WORDS = ("블루투스", "무선", "휴대폰", "스마트폰", "스마트워치", "태블릿", "무전기", "드론",
                "공유기", "와이파이")


def kc_for(path: str) -> Certification:
    return KC_RADIO if any(w in path for w in _RADIO_WORDS) else KC
_OPTION = re.compile(r"^(?:\(택(?P<group>\d)\)\s*)?(?P<name>.*?)(?:\s*\[기본단위:\s*(?P<unit>[^\]]+)\])?$")


def parse_option_type(text: str) -> PurchaseOption:
    """'(택1) 개당 중량 [기본단위: g]' -> PurchaseOption('개당 중량', group='1', unit='g')."""
    m = _OPTION.match(text.strip())
    assert m is not None
    return PurchaseOption(m.group("name").strip(), True, m.group("group"),
                          (m.group("unit") or "").strip() or None)


def rules_from_row(row: CategoryRow, source: str = "snapshot") -> CategoryRules:
    fam = family_for_path(row.full_path)
    return CategoryRules(
        market=row.market, category_id=row.category_id, path=row.full_path, leaf=row.is_leaf,
        notice_types=(fam.key,),
        purchase_options=tuple(parse_option_type(o) for o in row.required_option_types),
        certifications=(kc_for(row.full_path),) if fam.kc_required else (),
        max_combinations=200 if row.market == COUPANG else 500,
        source=source)


def metadata_from_rows(market: str, rows, source: str = "snapshot", **kw) -> MarketMetadata:
    return MarketMetadata(market, {r.category_id: rules_from_row(r, source) for r in rows},
                          source=source, **kw)


@lru_cache(maxsize=4)
def shipped(market: str) -> MarketMetadata:
    """The shipped snapshot of `market` (empty for ESM: no public code table)."""
    if market == GMARKET:
        return MarketMetadata(GMARKET, {}, source="snapshot")
    if market not in (SMARTSTORE, COUPANG):
        raise ValueError(f"unknown market {market!r}")
    return metadata_from_rows(market, load_tree(market))
