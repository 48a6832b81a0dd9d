"""Market metadata from the markets' own APIs (when their credentials are configured).

`fetch_metadata(client, market, category_ids)` reads the category tree, then the rules of the
categories the catalog uses (`category_ids`; the tree alone for the rest, with rules derived
from the path like the snapshot). Shapes: market-metadata.md; the ESM ones come from public
clients and are read tolerantly (UNVERIFIED).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from dropship_core.ai.categories import CategoryRow
from dropship_core.markets.esm.client import ci_get
from dropship_core.markets.metadata.families import FAMILIES, family_for_path
from dropship_core.markets.metadata.model import (CategoryRules, Certification, MarketMetadata,
                                                  PurchaseOption, RecommendedOpt)
from dropship_core.markets.metadata.snapshot import rules_from_row
from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE

_BY_NAME = {f.name: f.key for f in FAMILIES.values()}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _row(market: str, cid: Any, path: str, leaf: bool) -> CategoryRow:
    return CategoryRow(market, str(cid), path, path.count(">") + 1, path.split(">")[-1], leaf)


def fetch_metadata(client, market: str, category_ids: Iterable[str] = ()) -> MarketMetadata:
    """The tree, then the rules of `category_ids` (the ones the catalog uses)."""
    return fetch_rules(client, fetch_tree(client, market), category_ids)


def fetch_tree(client, market: str) -> MarketMetadata:
    """The category tree, with rules derived from the paths (no per-category calls)."""
    tree = {SMARTSTORE: _naver_tree, COUPANG: _coupang_tree, GMARKET: _esm_tree}[market]
    rows, extra = tree(client)
    return MarketMetadata(market, {r.category_id: rules_from_row(r, "api-tree") for r in rows},
                          source=f"api:{client.http.base_url}", fetched_at=_now(), extra=extra)


def fetch_rules(client, md: MarketMetadata, category_ids: Iterable[str]) -> MarketMetadata:
    """`md` with the rules of `category_ids` read from the category APIs."""
    detail = {SMARTSTORE: _naver, COUPANG: _coupang, GMARKET: _esm}[md.market]
    wanted = {str(c) for c in category_ids if c} & set(md.rules)
    rules = dict(md.rules)
    rules.update(detail(client, rules, wanted))
    return MarketMetadata(md.market, rules, source=md.source, fetched_at=_now(),
                          extra=dict(md.extra))


# -- Naver ---------------------------------------------------------------------------------

def _naver_tree(client) -> tuple[list[CategoryRow], dict]:
    return [_row(SMARTSTORE, c["id"], c["wholeCategoryName"], bool(c.get("last")))
            for c in client.categories()], {}


def _naver(client, rules: dict[str, CategoryRules], wanted: set[str]) -> dict:
    top_ids = {r.path: r.category_id for r in rules.values() if ">" not in r.path}
    notice_cache: dict[str, list[dict]] = {}
    out = {}
    for cid in wanted:
        base = rules[cid]
        detail = client.category(cid)
        certs = tuple(Certification(str((c.get("kindTypes") or ["KC_CERTIFICATION"])[0]),
                                    str(c.get("name") or ""), not c.get("nonEssential"),
                                    str(c.get("id")) if c.get("id") is not None else None)
                      for c in detail.get("certificationInfos") or [])
        top = top_ids.get(base.path.split(">")[0])
        if top not in notice_cache:
            notice_cache[top] = client.notice_types(top)
        types = [t.get("productInfoProvidedNoticeType") for t in notice_cache[top]]
        fam = family_for_path(base.path).key
        order = ([fam] if fam in types else []) + [t for t in types if t != fam and t in FAMILIES]
        fields = {t.get("productInfoProvidedNoticeType"): tuple(
            f.get("fieldName") for f in t.get("productInfoProvidedNoticeContents") or [])
            for t in notice_cache[top]}
        out[cid] = CategoryRules(**{**base.__dict__, "certifications": certs,
                                    "notice_types": tuple(order) or base.notice_types,
                                    "notice_fields": {k: v for k, v in fields.items()
                                                      if k in order[:1]},
                                    "source": "api"})
    return out


# -- Coupang -------------------------------------------------------------------------------

def _walk_coupang(node: dict, path: list[str], out: list[CategoryRow]) -> None:
    for ch in node.get("child") or []:
        p = path + [str(ch.get("name"))]
        code = ch.get("displayItemCategoryCode", ch.get("displayCategoryCode"))
        if ch.get("status", "ACTIVE") != "ACTIVE":
            continue
        if ch.get("child"):
            _walk_coupang(ch, p, out)
        elif code not in (None, ""):
            out.append(_row(COUPANG, code, ">".join(p), True))


def _coupang_tree(client) -> tuple[list[CategoryRow], dict]:
    rows: list[CategoryRow] = []
    _walk_coupang(client.display_categories(), [], rows)
    return rows, {"auto_category": client.auto_category_agreed()}


def _coupang(client, rules: dict[str, CategoryRules], wanted: set[str]) -> dict:
    return {cid: coupang_rules(rules[cid], client.category_metas(cid)) for cid in wanted}


def coupang_rules(base: CategoryRules, meta: dict) -> CategoryRules:
    opts = tuple(PurchaseOption(str(a.get("attributeTypeName")), a.get("required") == "MANDATORY",
                                None if str(a.get("groupNumber") or "NONE") == "NONE"
                                else str(a.get("groupNumber")),
                                None if a.get("basicUnit") in (None, "", "없음")
                                else str(a.get("basicUnit")))
                 for a in meta.get("attributes") or []
                 if a.get("exposed") == "EXPOSED" and a.get("required") == "MANDATORY")
    notices = meta.get("noticeCategories") or []
    fam = family_for_path(base.path).key
    keys = [_BY_NAME.get(n.get("noticeCategoryName")) for n in notices]
    order = ([fam] if fam in keys else []) + [k for k in keys if k and k != fam]
    fields = {_BY_NAME.get(n.get("noticeCategoryName")): tuple(
        d.get("noticeCategoryDetailName") for d in n.get("noticeCategoryDetailNames") or [])
        for n in notices}
    certs = tuple(Certification(str(c.get("certificationType")), str(c.get("name") or ""),
                                c.get("required") == "MANDATORY")
                  for c in meta.get("certifications") or [] if c.get("required") != "OPTIONAL")
    return CategoryRules(**{**base.__dict__, "purchase_options": opts,
                            "notice_types": tuple(order) or base.notice_types,
                            "notice_fields": {k: v for k, v in fields.items() if k in order[:1]},
                            "certifications": certs,
                            "allow_single_item": bool(meta.get("isAllowSingleItem", True)),
                            "source": "api"})


# -- ESM -----------------------------------------------------------------------------------

def _esm_tree(client) -> tuple[list[CategoryRow], dict]:
    rows: list[CategoryRow] = []
    todo: list[tuple[str | None, str]] = [(None, "")]
    while todo:
        parent, prefix = todo.pop()
        for c in client.site_cats(parent):
            code, name = str(ci_get(c, "catCode")), str(ci_get(c, "catName"))
            path = f"{prefix}>{name}" if prefix else name
            leaf = bool(ci_get(c, "isLeaf"))
            rows.append(_row(GMARKET, code, path, leaf))
            if not leaf:
                todo.append((code, path))
    groups = sorted(int(ci_get(g, "officialNoticeNo")) for g in client.notice_groups())
    return rows, {"notice_groups": groups}


def _esm(client, rules: dict[str, CategoryRules], wanted: set[str]) -> dict:
    out = {}
    codes_cache: dict[int, tuple[str, ...]] = {}
    values_cache: dict[int, tuple[tuple[int, str], ...]] = {}
    for cid in wanted:
        base = rules[cid]
        fam = base.family
        if fam.esm_group not in codes_cache:
            codes_cache[fam.esm_group] = tuple(
                str(ci_get(c, "officialNoticeItemelementName"))
                for c in client.notice_codes(fam.esm_group))
        opts = []
        for o in client.recommended_opts(cid):
            no = int(ci_get(o, "recommendedOptNo") or 0)
            if no and no not in values_cache:
                values_cache[no] = tuple(
                    (int(ci_get(v, "recommendedOptValueNo")),
                     str(ci_get(v, "recommendedOptValueName", "kor")))
                    for v in client.recommended_opt_values(no))
            name = ci_get(o, "recommendedOptName", "kor") or ci_get(o, "recommendedOptName")
            opts.append(RecommendedOpt(no, str(name), values_cache.get(no, ())))
        fields = codes_cache.get(fam.esm_group)
        out[cid] = CategoryRules(**{**base.__dict__, "recommended_opts": tuple(opts),
                                    "notice_fields": {fam.key: fields} if fields else {},
                                    "max_combinations": 500, "source": "api"})
    return out
