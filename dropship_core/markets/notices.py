"""Product information notices (상품정보제공고시) and certifications, per market.

At listing time `notice_plan` picks the category's notice family and fills every item from the
product's facts (attributes, options, supplier fields); an item no fact fills becomes
"상세페이지 참조" where the family allows it and blocks the listing where it does not. The
body builders render the plan in each market's shape (`render_naver`, `render_coupang`,
`render_esm`); the seller's A/S phone is filled there, from the seller settings.
"""

from __future__ import annotations

import re
from typing import Any

from dropship_core.markets.metadata.families import DETAIL_REF, FAMILIES, NoticeFamily, NoticeField
from dropship_core.markets.metadata.model import CategoryRules
from dropship_core.markets.specs import spec_pairs

SELLER_FACTS = ("as_phone", "warranty")   # filled from the seller settings at render time
NAVER_COMMON = ("returnCostReason", "noRefundReason", "qualityAssuranceStandard",
                "compensationProcedure", "troubleShootingContents")


def _fields(family: NoticeFamily, rules: CategoryRules | None):
    labels = (rules.notice_fields.get(family.key) if rules else None) or ()
    if not labels:
        return family.fields
    known = {f.label: f for f in family.fields}
    known.update({f.naver_key: f for f in family.fields})   # Naver returns field keys
    return tuple(known.get(lb) or NoticeField(lb, lb, (), True) for lb in labels)


def notice_plan(rules: CategoryRules, facts: dict[str, Any]) -> tuple[dict, list[str]]:
    """{"type": family key, "values": {label: value or None}} and why it cannot be filled."""
    family = rules.family
    values: dict[str, Any] = {}
    reasons: list[str] = []
    for f in _fields(family, rules):
        val = next((facts[s] for s in f.sources if facts.get(s) not in (None, "")), None)
        if val is None and any(s in SELLER_FACTS for s in f.sources):
            values[f.label] = None             # the seller settings fill it
            continue
        if val is None and not f.detail_ok:
            reasons.append(f"notice {family.name} ({family.key}) needs '{f.label}' and the "
                           f"supplier data has none: add it to the product (supplier file or "
                           f"override) - '{DETAIL_REF}' is not accepted for it")
        values[f.label] = None if val is None else str(val)[:200]
    return {"type": family.key, "values": values}, reasons


def _value(family: NoticeFamily, label: str, plan: dict, seller) -> str:
    v = (plan.get("values") or {}).get(label)
    if v:
        return str(v)
    field = next((f for f in family.fields if f.label == label), None)
    if field and "as_phone" in field.sources:
        return seller.as_phone
    return seller.notice_default or DETAIL_REF


def render_naver(plan: dict, seller) -> dict:
    family = FAMILIES[plan["type"]]
    body: dict[str, Any] = {k: DETAIL_REF for k in NAVER_COMMON}
    by_label = {f.label: f for f in family.fields}
    for label in plan.get("values") or {}:
        f = by_label.get(label)
        if f is None or f.naver_key:
            body[f.naver_key if f else label] = _value(family, label, plan, seller)
    if family.key == "ETC":
        body.setdefault("modelName", body.get("itemName", DETAIL_REF))
        body.setdefault("afterServiceDirector", seller.as_phone)
    return {"productInfoProvidedNoticeType": family.key, family.naver_key: body}


def render_coupang(plan: dict, seller) -> list[dict]:
    family = FAMILIES[plan["type"]]
    return [{"noticeCategoryName": family.name, "noticeCategoryDetailName": label,
             "content": _value(family, label, plan, seller)}
            for label in (plan.get("values") or {})]


def render_esm(plan: dict, seller) -> dict:
    family = FAMILIES[plan["type"]]
    return {"officialNoticeNo": family.esm_group,
            "details": [{"officialNoticeItemelementCode": f"{family.esm_group}-{i + 1}",
                         "value": _value(family, label, plan, seller)[:1000]}
                        for i, label in enumerate(plan.get("values") or {})]}


def kc_summary(certs: list[dict]) -> str | None:
    parts = [f"{c.get('name') or 'KC'} {c.get('number')}".strip() for c in certs if c.get("number")]
    return ", ".join(parts) or None


# KC numbers as certificates print them: radio conformity (R-R-/R-C-/R-M-, older MSIP-/KCC-)
# and electrical / product safety (two letters, digits, a dash, digits: HU07xxxx-xxxxA)
_KC_NUMBER = re.compile(r"^(?:R-[RCM]-[A-Za-z0-9]{2,}-[A-Za-z0-9-]+|(?:MSIP|KCC)-[A-Za-z0-9-]+|"
                        r"[A-Z]{2}\d{5,}-\d{3,}[A-Z]?)$")
_KC_LABEL = re.compile(r"KC|인증번호|적합성평가|안전인증|안전확인", re.IGNORECASE)


def kc_from_description(description: str | None) -> list[dict]:
    """A KC number stated on the detail page ('■ KC인증번호: YU071234-1234A'), the way suppliers
    without a certification field (Domeggook) give it: a labelled value in the KC format only."""
    return [{"type": "KC_CERTIFICATION", "name": label, "number": value}
            for label, value in spec_pairs(description).items()
            if _KC_LABEL.search(label) and _KC_NUMBER.match(value.strip())]


def certifications_of(raw: dict) -> list[dict]:
    """KC certification data the supplier gave: OwnerClan `metadata.certificateInformation`
    (carried as notice.certificates), a `kc_cert` field (number or list), else a KC number
    stated on the detail page."""
    out: list[dict] = []
    given = (raw.get("notice") or {}).get("certificates") or raw.get("kc_cert") or \
        kc_from_description(raw.get("description"))
    for c in given if isinstance(given, list) else [given]:
        if isinstance(c, dict):
            num = c.get("number") or c.get("certificationNumber") or c.get("code") or c.get("no")
            if num:
                out.append({"type": str(c.get("type") or c.get("kind") or "KC_CERTIFICATION"),
                            "name": str(c.get("name") or "KC 인증"), "number": str(num)})
        elif str(c).strip():
            out.append({"type": "KC_CERTIFICATION", "name": "KC 인증", "number": str(c).strip()})
    return out
