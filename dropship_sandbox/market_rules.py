"""The sandbox marketplaces' rule book: category trees, per-category rules, and the checks a
create/update body must pass, written from the contracts (market-metadata.md,
marketplaces-and-suppliers.md), never by calling the client's builders.

One `RuleBook` per sandbox app. It serves the metadata endpoints (so the pipeline's metadata
clients read the same rules the sandbox enforces) and answers "what is wrong with this body"
in each market's own terms:

- SmartStore: unknown or non-leaf `leafCategoryId`, a notice type other than the category's,
  a notice missing one of its type's fields, no KC certification where the category needs
  one, option values over 25 characters, no option row with price 0;
- Coupang: unknown `displayCategoryCode`, notices of another category or missing items, a
  required purchase option missing or unusable ("상세페이지 참조", "단일상품"), an option
  name the category does not know among more than 3 exposed options, a mandatory
  certification without its code;
- ESM: unknown site category, a notice group other than the category's or an item left
  empty, options not mapped to the category's recommended options (a free-text value where
  the category has no code 0), over 500 combinations, `manageCode` over 20 bytes.

The SmartStore and Coupang trees are the shipped reference trees (real ids). ESM publishes no
code table: the ESM sandbox serves a tree derived from the SmartStore tree (levels 1-3) whose
codes are SANDBOX codes (9-digit, starting with 9), never shipped as configuration.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dropship_core.ai.categories import CategoryRow
from dropship_core.markets.metadata.families import FAMILIES
from dropship_core.markets.metadata.model import CategoryRules, MarketMetadata, RecommendedOpt
from dropship_core.markets.metadata.snapshot import rules_from_row, shipped

DETAIL_REFUSED = ("상세페이지 참조", "상세페이지참조", "단일상품", "상세설명참조")
ESM_COLORS = ("블랙", "화이트", "그레이", "네이비", "블루", "레드", "핑크", "옐로우", "그린",
              "베이지", "아이보리", "브라운", "카키", "민트", "퍼플", "오렌지", "실버", "골드")
ESM_SIZES = ("XS", "S", "M", "L", "XL", "2XL", "3XL", "FREE")


@lru_cache(maxsize=1)
def esm_sandbox_tree() -> MarketMetadata:
    """SANDBOX ESM tree: SmartStore levels 1-3, codes 9xxxxxxxx, every level-3 node a leaf."""
    ss = shipped("smartstore")
    nodes: dict[str, tuple[str, bool]] = {}
    for r in ss.rules.values():
        levels = r.path.split(">")
        for d in range(1, min(3, len(levels)) + 1):
            path = ">".join(levels[:d])
            leaf = d == 3 or (d == len(levels) and r.leaf)
            old = nodes.get(path)
            nodes[path] = (path, (old[1] if old else True) and leaf)
    rules: dict[str, CategoryRules] = {}
    opts = (RecommendedOpt(0, "선택형"),
            RecommendedOpt(9001, "색상", tuple((9100 + i, v) for i, v in enumerate(ESM_COLORS))),
            RecommendedOpt(9002, "사이즈", tuple((9200 + i, v) for i, v in enumerate(ESM_SIZES))))
    for i, path in enumerate(sorted(nodes)):
        leaf = nodes[path][1]
        code = str(900_000_001 + i)
        base = rules_from_row(CategoryRow("gmarket", code, path, path.count(">") + 1,
                                          path.split(">")[-1], leaf), "sandbox")
        rules[code] = CategoryRules(**{**base.__dict__, "recommended_opts": opts if leaf else (),
                                       "max_combinations": 500})
    return MarketMetadata("gmarket", rules, source="sandbox")


class RuleBook:
    def __init__(self, market: str, metadata: MarketMetadata | None = None):
        self.market = market
        if metadata is None:
            metadata = esm_sandbox_tree() if market == "gmarket" else shipped(market)
        self.md = metadata

    def rules(self, code: Any) -> CategoryRules | None:
        return self.md.get(code)

    # -- SmartStore ------------------------------------------------------------------------

    def naver_problems(self, origin: dict) -> list[tuple[str, str]]:
        p: list[tuple[str, str]] = []
        da = origin.get("detailAttribute") or {}
        cat = self.rules(origin.get("leafCategoryId"))
        if origin.get("leafCategoryId") and (cat is None or not cat.leaf):
            p.append(("originProduct.leafCategoryId", "존재하지 않거나 리프가 아닌 카테고리입니다."))
            return p
        if cat is None:
            return p
        notice = da.get("productInfoProvidedNotice") or {}
        fam = FAMILIES[cat.notice_types[0]]
        if notice.get("productInfoProvidedNoticeType") != fam.key:
            p.append(("originProduct.detailAttribute.productInfoProvidedNotice."
                      "productInfoProvidedNoticeType",
                      f"이 카테고리의 상품정보제공고시 유형은 {fam.key} 입니다."))
        else:
            group = notice.get(fam.naver_key) or {}
            for f in (f for f in fam.fields if f.naver_key):
                if not str(group.get(f.naver_key) or "").strip():
                    p.append((f"originProduct.detailAttribute.productInfoProvidedNotice."
                              f"{fam.naver_key}.{f.naver_key}", "필수 입력 항목입니다."))
        if any(c.required for c in cat.certifications):
            certs = da.get("productCertificationInfos") or []
            if not any(str(c.get("certificationNumber") or "").strip() for c in certs):
                p.append(("originProduct.detailAttribute.productCertificationInfos",
                          "KC 인증 대상 카테고리입니다. 인증 정보를 입력해 주세요."))
        combos = ((da.get("optionInfo") or {}).get("optionCombinations")) or []
        for i, c in enumerate(combos):
            for k in ("optionName1", "optionName2", "optionName3"):
                if len(str(c.get(k) or "")) > 25:
                    p.append((f"originProduct.detailAttribute.optionInfo.optionCombinations[{i}]"
                              f".{k}", "옵션값은 25자 이하로 입력해 주세요."))
        if combos and not any(int(c.get("price") or 0) == 0 for c in combos):
            p.append(("originProduct.detailAttribute.optionInfo.optionCombinations",
                      "옵션가 0원인 옵션이 1개 이상 있어야 합니다."))
        return p

    # -- Coupang ---------------------------------------------------------------------------

    def coupang_problems(self, body: dict, auto_category: bool) -> list[str]:
        code = body.get("displayCategoryCode")
        if code in (None, ""):
            return [] if auto_category else [
                "displayCategoryCode is required (the vendor has not agreed to automatic "
                "category matching)"]
        cat = self.rules(code)
        if cat is None or not cat.leaf:
            return [f"displayCategoryCode {code} is not a valid leaf display category"]
        fam = FAMILIES[cat.notice_types[0]]
        p: list[str] = []
        for i, it in enumerate(body.get("items") or []):
            p += self._coupang_item(i, it, cat, fam)
        return p

    def _coupang_item(self, i: int, it: dict, cat: CategoryRules, fam) -> list[str]:
        p: list[str] = []
        notices = it.get("notices") or []
        names = {n.get("noticeCategoryName") for n in notices}
        if names != {fam.name}:
            p.append(f"items[{i}].notices: noticeCategoryName must be '{fam.name}' for category "
                     f"{cat.category_id} (got {sorted(str(n) for n in names)})")
        else:
            have = {n.get("noticeCategoryDetailName") for n in notices if n.get("content")}
            missing = [f.label for f in fam.fields if f.label not in have]
            if missing:
                p.append(f"items[{i}].notices: missing {', '.join(missing)}")
        attrs = {a.get("attributeTypeName"): str(a.get("attributeValueName") or "")
                 for a in it.get("attributes") or [] if a.get("exposed", "EXPOSED") == "EXPOSED"}
        groups: dict[str, bool] = {}
        for o in cat.purchase_options:
            val = attrs.get(o.name)
            ok = bool(val) and val.replace(" ", "") not in DETAIL_REFUSED and (
                not o.unit or val.endswith(o.unit))
            if o.group:
                groups[o.group] = groups.get(o.group, False) or ok
            elif o.required and not ok:
                p.append(f"필수 구매 옵션이 존재하지 않습니다. Missing Attribute(s): items[{i}] "
                         f"{o.name}" + (f" [{o.unit}]" if o.unit else ""))
        for g, ok in groups.items():
            if not ok:
                p.append(f"필수 구매 옵션이 존재하지 않습니다. Missing Attribute(s): items[{i}] "
                         f"one of group {g}")
        known = {o.name for o in cat.purchase_options}
        if len(attrs) > 3 and any(a not in known for a in attrs):
            p.append(f"유효하지 않은 구매 옵션이 존재합니다. Attribute(s) Not Allowed: items[{i}] "
                     f"more than 3 purchase options")
        for c in cat.certifications:
            given = [x for x in it.get("certifications") or []
                     if x.get("certificationType") == c.type and x.get("certificationCode")]
            if c.required and not given:
                p.append(f"items[{i}].certifications: {c.type} with certificationCode required")
        return p

    # -- ESM -------------------------------------------------------------------------------

    def esm_problems(self, body: dict) -> list[str]:
        basic = body.get("itemBasicInfo") or body.get("ItemBasicInfo") or {}
        add = body.get("itemAddtionalInfo") or {}
        sites = ((basic.get("category") or {}).get("site")) or []
        cats = [self.rules(s.get("catCode")) for s in sites]
        if not sites or any(c is None or not c.leaf for c in cats):
            return ["category.site[].catCode: not a registrable (leaf) site category"]
        cat = cats[0]
        fam = FAMILIES[cat.notice_types[0]]
        p: list[str] = []
        notice = add.get("officialNotice") or {}
        if int(notice.get("officialNoticeNo") or 0) != fam.esm_group:
            p.append(f"officialNotice.officialNoticeNo must be {fam.esm_group} ({fam.name}) "
                     f"for category {cat.category_id}")
        else:
            got = {d.get("officialNoticeItemelementCode"): str(d.get("value") or "")
                   for d in notice.get("details") or []}
            for n in range(1, len(fam.fields) + 1):
                code = f"{fam.esm_group}-{n}"
                if not got.get(code, "").strip():
                    p.append(f"{code} 미입력")
        return p + self._esm_options(add.get("recommendedOpts") or {}, cat)

    def _esm_options(self, ro: dict, cat: CategoryRules) -> list[str]:
        t = ro.get("type", 0)
        if t in (0, None):
            return []
        known = {o.no: {v[0] for v in o.values} for o in cat.recommended_opts}
        free = 0 in known
        if t == 1:
            groups = [ro.get("independent")] if ro.get("independent") else ro.get("independents") or []
            rows = [(g.get("recommendedOptNo"), d.get("recommendedOptValueNo"),
                     (d.get("recommendedOptValue") or {}).get("koreanText"), d.get("manageCode"))
                    for g in groups for d in g.get("details") or []]
            limit = 50
        elif t in (2, 3):
            comb = ro.get("combination") or {}
            rows = []
            for d in comb.get("details") or []:
                for n in (1, 2, 3):
                    if f"recommendedOptValueNo{n}" in d:
                        rows.append((comb.get(f"recommendedOptNo{n}"),
                                     d.get(f"recommendedOptValueNo{n}"),
                                     (d.get(f"recommendedOptValue{n}") or {}).get("koreanText"),
                                     d.get("manageCode")))
            limit = 500
            if len(comb.get("details") or []) > limit:
                return [f"recommendedOpts: at most {limit} combinations"]
        else:
            return [f"recommendedOpts.type {t} is a restricted option type"]
        p: list[str] = []
        for opt_no, val_no, text, manage in rows:
            if opt_no == 0 and not free:
                p.append("free-text options (code 0) are not allowed in this category")
            elif opt_no not in known:
                p.append(f"recommendedOptNo {opt_no} is not a recommended option of this category")
            elif val_no == 0 or opt_no == 0:
                if not free:
                    p.append("free-text options (code 0) are not allowed in this category")
                elif not text or len(text) > 50:
                    p.append("recommendedOptValue.koreanText: 1 to 50 characters")
            elif val_no not in known[opt_no]:
                p.append(f"recommendedOptValueNo {val_no} is not a value of option {opt_no}")
            if manage and len(str(manage).encode()) > 20:
                p.append(f"manageCode {manage!r} is longer than 20 bytes")
        if t == 1 and len(rows) > 50:
            p.append("recommendedOpts: at most 50 values")
        return p
