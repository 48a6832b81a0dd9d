"""The metadata endpoints of the sandbox marketplaces, in each market's documented shape
(market-metadata.md), served from the sandbox's `RuleBook`.

Each function takes the rule book and the request's parameters and returns the JSON body; the
sandbox apps wrap them with their own authentication.
"""

from __future__ import annotations

from typing import Any

from dropship_core.markets.metadata.families import FAMILIES
from dropship_sandbox.market_rules import RuleBook

# -- Naver ---------------------------------------------------------------------------------


def naver_categories(book: RuleBook, last_only: bool) -> list[dict]:
    return [{"id": r.category_id, "name": r.path.split(">")[-1], "wholeCategoryName": r.path,
             "last": r.leaf} for r in book.md.rules.values() if r.leaf or not last_only]


def naver_category(book: RuleBook, cat_id: str) -> dict | None:
    r = book.rules(cat_id)
    if r is None:
        return None
    kc = [c for c in r.certifications]
    return {"id": r.category_id, "name": r.path.split(">")[-1], "wholeCategoryName": r.path,
            "last": r.leaf,
            "exceptionalCategories": ["KC_CERTIFICATION"] if kc else [],
            "certificationInfos": [{"id": 1000 + i, "name": c.name, "kindTypes": [c.type],
                                    "nonEssential": not c.required} for i, c in enumerate(kc)]}


def naver_notice_types(book: RuleBook, category_id: str | None) -> list[dict]:
    """GET /v1/products-for-provided-notice: the types used under the (top-level) category."""
    r = book.rules(category_id) if category_id else None
    keys = list(dict.fromkeys(x.notice_types[0] for x in book.md.rules.values()
                              if x.path == r.path or x.path.startswith(r.path + ">"))) \
        if r else list(FAMILIES)
    if "ETC" not in keys:
        keys.append("ETC")
    return [{"productInfoProvidedNoticeType": k,
             "productInfoProvidedNoticeTypeName": FAMILIES[k].name,
             "productInfoProvidedNoticeContents": [
                 {"fieldType": "STRING", "fieldName": f.naver_key, "fieldDescription": f.label,
                  "fieldMaxLength": 200} for f in FAMILIES[k].fields if f.naver_key]}
            for k in keys]


# -- Coupang -------------------------------------------------------------------------------


def coupang_tree(book: RuleBook) -> dict:
    """The whole tree. The reference table lists leaves only, so inner nodes carry no code
    (`displayItemCategoryCode: null`)."""
    root: dict[str, Any] = {"displayItemCategoryCode": 0, "name": "ROOT", "status": "ACTIVE",
                            "child": []}
    index: dict[str, dict] = {"": root}
    for r in sorted(book.md.rules.values(), key=lambda r: r.path):
        levels = r.path.split(">")
        parent = root
        for d in range(1, len(levels)):
            key = ">".join(levels[:d])
            node = index.get(key)
            if node is None:
                node = {"displayItemCategoryCode": None, "name": levels[d - 1],
                        "status": "ACTIVE", "child": []}
                parent["child"].append(node)
                index[key] = node
            parent = node
        parent["child"].append({"displayItemCategoryCode": int(r.category_id),
                                "name": levels[-1], "status": "ACTIVE", "child": []})
    return {"code": "SUCCESS", "message": "", "data": root}


def coupang_metas(book: RuleBook, code: str) -> dict | None:
    r = book.rules(code)
    if r is None:
        return None
    fam = FAMILIES[r.notice_types[0]]
    attrs = [{"attributeTypeName": o.name, "dataType": "STRING", "basicUnit": o.unit or "없음",
              "usableUnits": [o.unit] if o.unit else [], "required": "MANDATORY",
              "groupNumber": o.group or "NONE", "exposed": "EXPOSED"}
             for o in r.purchase_options]
    return {"code": "SUCCESS", "message": "", "data": {
        "isAllowSingleItem": r.allow_single_item,
        "attributes": attrs,
        "noticeCategories": [{"noticeCategoryName": fam.name, "noticeCategoryDetailNames": [
            {"noticeCategoryDetailName": f.label, "required": "MANDATORY"} for f in fam.fields]}],
        "requiredDocumentNames": [],
        "certifications": [{"certificationType": c.type, "name": c.name, "dataType": "CODE",
                            "required": "MANDATORY" if c.required else "RECOMMEND"}
                           for c in r.certifications],
        "allowedOfferConditions": ["NEW"],
    }}


# -- ESM -----------------------------------------------------------------------------------


def esm_site_cats(book: RuleBook, parent: str | None) -> dict:
    if parent:
        base = book.rules(parent)
        if base is None:
            return {"subCats": []}
        prefix, depth = base.path + ">", base.path.count(">") + 2
    else:
        prefix, depth = "", 1
    subs = [r for r in book.md.rules.values()
            if r.path.startswith(prefix) and r.path.count(">") + 1 == depth]
    return {"subCats": [{"catCode": r.category_id, "catName": r.path.split(">")[-1],
                         "isLeaf": r.leaf} for r in sorted(subs, key=lambda r: r.path)]}


def esm_recommended_opts(book: RuleBook, cat_code: str) -> dict | None:
    r = book.rules(cat_code)
    if r is None:
        return None
    return {"details": [{"recommendedOptNo": o.no, "recommendedOptName": {"kor": o.name},
                         "recommendedOptTypeName": "선택형" if o.no == 0 else "추천형"}
                        for o in r.recommended_opts]}


def esm_recommended_values(book: RuleBook, opt_no: int) -> list[dict] | None:
    for r in book.md.rules.values():
        for o in r.recommended_opts:
            if o.no == opt_no:
                return [{"recommendedOptValueNo": n, "recommendedOptValueName": {"kor": v}}
                        for n, v in o.values]
    return None


def esm_notice_groups() -> dict:
    return {"groups": [{"officialNoticeNo": f.esm_group, "officialNoticeName": f.name}
                       for f in FAMILIES.values()]}


def esm_notice_codes(group: int) -> dict | None:
    fam = next((f for f in FAMILIES.values() if f.esm_group == group), None)
    if fam is None:
        return None
    return {"codes": [{"officialNoticeItemelementCode": f"{group}-{i + 1}",
                       "officialNoticeItemelementName": f.label, "guideText": "",
                       "isExtraMark": True} for i, f in enumerate(fam.fields)]}
