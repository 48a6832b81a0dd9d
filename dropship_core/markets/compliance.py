"""What a listing needs, per market and category, beyond its generic fields: the category's
notice, certifications and purchase / recommended options, checked against the market's
metadata. `prepare` adds them to the listing (so they are part of its hash) and returns why the
market would refuse it; the body builders only render what is here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any

from dropship_core.markets.common import option_groups, variants
from dropship_core.markets.metadata.model import CategoryRules, MarketMetadata, PurchaseOption
from dropship_core.markets.metadata.snapshot import KC, kc_for, shipped
from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE
from dropship_core.markets.notices import certifications_of, kc_summary, notice_plan
from dropship_core.markets.specs import spec_fact, spec_pairs, spec_value
from dropship_core.markets.options import (CAPACITY, COLOR, LENGTH, PACK_UNITS, PIECE_UNITS,
                                           QUANTITY, SIZE, WEIGHT, counts_in, norm_axis,
                                           norm_value, normalize_options, to_unit)

REFUSED_VALUES = ("상세페이지참조", "상세설명참조", "단일상품", "상품상세참조")
NAVER_OPTION_VALUE_MAX = 25
ESM_TEXT_MAX = 50
ESM_MANAGE_CODE_BYTES = 20


_AXIS_FACTS = {"color": COLOR, "size": SIZE, "capacity": CAPACITY, "weight": WEIGHT,
               "quantity": QUANTITY, "length": LENGTH}


def facts(listing: dict, raw: dict, ai: dict | None, rules: CategoryRules | None) -> dict:
    """Everything a notice item or a purchase option can be filled from."""
    attrs = dict((ai or {}).get("attributes") or {})
    vs = variants(listing)

    def axis_values(axis: str) -> str | None:
        vals = []
        for v in vs:
            x = v["options"].get(axis)
            if x and x not in vals:
                vals.append(x)
        return ", ".join(vals) or None

    # 'label: value' specifications of the description ('색상: 화이트') fill what the name,
    # the options and the attributes leave open
    spec = spec_pairs(listing.get("description"))
    for fact in ("material", "model", "origin", "manufacturer"):
        attrs.setdefault(fact, spec_fact(spec, fact))
    for fact, axis in _AXIS_FACTS.items():
        attrs[fact] = axis_values(axis) or attrs.get(fact) or spec_value(spec, axis)
    title, model = listing.get("title") or "", raw.get("model") or attrs.get("model")
    certs = listing.get("certifications") or []
    return {
        **attrs, "spec": spec,
        "title": title, "name": raw.get("name"), "model": model,
        "model_name": f"{title} ({model})" if model else title,
        "brand": listing.get("brand") or attrs.get("brand"),
        "manufacturer": raw.get("manufacturer") or attrs.get("manufacturer"),
        "origin": raw.get("origin") or attrs.get("origin"),
        "kind": rules.path.split(">")[-1] if rules else None,
        "item_no": raw.get("supplier_item_id"),
        # the supplier sells it in one size: no variant has a size and no size is stated
        "one_size": not any(SIZE in v["options"] for v in vs) and not attrs.get("size"),
        "kc": kc_summary(certs),
    }


def prepare(market: str, listing: dict, raw: dict, ai: dict | None, md: MarketMetadata,
            category: dict | None = None) -> list[str]:
    """Add notice plan, certifications and market options to `listing`; return the reasons."""
    listing["options"], reasons = normalize_options(listing.get("options") or [])
    listing["certifications"] = certifications_of(raw)
    listing["metadata_version"] = md.version
    if (category or {}).get("auto"):
        listing["coupang_auto_category"] = True
        return reasons          # Coupang picks the category and fills the notice itself
    rules = md.get(listing.get("category_id"))
    if rules is None or not rules.leaf:
        if listing.get("category_id"):
            reasons.append(f"{market} category {listing['category_id']} is not a leaf of the "
                           f"{market} category tree ({md.version}): re-map the product or "
                           f"refresh market_categories")
        return reasons
    rules, unread = rules_to_build_with(market, rules, bool(variants(listing)))
    if unread:
        return reasons + [unread]
    f = facts(listing, raw, ai, rules)
    listing["notice_plan"], why = notice_plan(rules, f)
    reasons += why
    for c in listing["certifications"]:
        c.setdefault("info_id", next((x.id for x in rules.certifications if x.id), None))
    missing = [c for c in rules.certifications if c.required]
    if missing and not listing["certifications"]:
        # our generic default named after the product (a radio device's is the 전파법 one);
        # a name the market's category API gave stays as it is
        name = missing[0].name if missing[0] != KC else kc_for(f"{rules.path} {f['title']}").name
        reasons.append(f"{rules.family.name}: {name} is required for {market} category "
                       f"{rules.category_id} ({rules.path}) and the supplier gave no "
                       f"certification: add the KC number to the supplier data (Excel column "
                       f"'KC인증번호', OwnerClan certificateInformation)")
    if market == COUPANG:
        reasons += _coupang(listing, rules, f)
    elif market == GMARKET:
        reasons += _esm(listing, rules)
    elif market == SMARTSTORE:
        reasons += _naver(listing)
    return reasons


def rules_to_build_with(market: str, rules: CategoryRules,
                        has_options: bool) -> tuple[CategoryRules, str | None]:
    """The rules a listing can be judged by, or why it cannot be judged yet.

    Rules derived from the category tree alone (`api-tree`: the category API was read, the
    category's own rules not yet) carry no purchase options and no recommended options, so
    the market would refuse what they pass. Coupang then takes the required purchase options
    of the shipped reference table (same category id); a Coupang category missing from it, and
    an ESM product with options, wait for `market_category_rules` to read the category."""
    if rules.source != "api-tree" or market == SMARTSTORE:
        return rules, None
    if market == COUPANG:
        ref = shipped(COUPANG).get(rules.category_id)
        if ref is not None and ref.leaf:
            return replace(rules, purchase_options=ref.purchase_options, source="snapshot"), None
    elif not has_options:
        return rules, None          # ESM without options: nothing the category API would add
    return rules, (f"the rules of {market} category {rules.category_id} ({rules.path}) have not "
                   f"been read from the market yet: materialize market_category_rules for "
                   f"{market} (the listing is rebuilt with them)")


# -- Coupang -------------------------------------------------------------------------------

_AXIS_WORDS = ((SIZE, ("사이즈", "치수")), (COLOR, ("색상", "컬러")), (QUANTITY, ("수량", "개수")),
               (WEIGHT, ("중량", "무게")), (CAPACITY, ("용량",)), (LENGTH, ("길이",)))


def option_axis(name: str) -> str:
    """The supplier option axis a market's option name asks for ('최대커버사이즈' -> 사이즈)."""
    axis = norm_axis(name)
    if axis != name.strip():
        return axis
    return next((a for a, words in _AXIS_WORDS if any(w in name for w in words)), axis)


def purchase_value(opt: PurchaseOption, vopts: dict[str, str], f: dict) -> str | None:
    axis = option_axis(opt.name)
    if "모델명" in opt.name or "품번" in opt.name:
        # the supplier's item number is the product's 품번 when no model name is given
        val = f.get("model") or f.get("item_no")
    elif axis in vopts:
        val = vopts[axis]
    else:
        fact = {a: k for k, a in _AXIS_FACTS.items()}.get(axis)
        # the attribute stated under the market's own name ('평량: 55g'), else the fact
        val = spec_value(f.get("spec") or {}, opt.name) or (f.get(fact) if fact else None)
        if val and ("," in str(val) or "/" in str(val)):
            val = None                    # several values and no option to pick one
        if axis == QUANTITY:
            val = _quantity(opt, val, f)
        if val is None and norm_axis(opt.name) == SIZE and f.get("one_size"):
            # sold in one size: "FREE", the one-size value of Korean listings [UNVERIFIED for
            # Coupang outside fashion: the contract only names the refused values]
            val = "FREE"
    if val is None:
        return None
    val = to_unit(val, opt.unit) if opt.unit else norm_value(axis, str(val))
    if not val or val.replace(" ", "") in REFUSED_VALUES:
        return None
    return val


_PER_PIECE = ("개당", "낱개")
_PLUS = re.compile(r"(?<![\d.])([1-9])\s*\+\s*([1-9])(?![\d.])")


def _quantity(opt: PurchaseOption, val: str | None, f: dict) -> str:
    """A count purchase option. In 개: the count the product states in a pack unit for 수량 /
    총 수량 ('10자루 세트' sells 10 pens, '70매 10팩' 10 packs), in a piece unit for 개당 수량
    ('70매'); in another unit the stated quantity when it converts; otherwise 1 (the listing
    sells one unit of the product)."""
    if opt.unit != "개":
        return val if val is not None and to_unit(val, opt.unit) else "1"
    want = PIECE_UNITS if any(w in opt.name for w in _PER_PIECE) else PACK_UNITS
    found = [f"{n}{u}" for n, u in counts_in(val) + counts_in(f.get("title")) if u in want]
    bonus = _PLUS.search(str(f.get("name") or ""))
    if not found and bonus and want is PACK_UNITS:
        return str(int(bonus.group(1)) + int(bonus.group(2)))    # '1+1' sells two
    return found[0] if found else "1"


def _coupang(listing: dict, rules: CategoryRules, f: dict) -> list[str]:
    reasons: list[str] = []
    out: dict[str, list[dict]] = {}
    seen: dict[tuple, str] = {}
    for v in variants(listing) or [None]:
        vopts = v["options"] if v else {}
        attrs, done = [], set()
        groups: dict[str, bool] = {}
        for o in rules.purchase_options:
            if o.group and groups.get(o.group):
                continue
            val = purchase_value(o, vopts, f)
            if val is None:
                if o.required and not o.group:
                    reasons.append(
                        f"Coupang category {rules.category_id} ({rules.path}) requires the "
                        f"purchase option '{o.name}'" + (f" in {o.unit}" if o.unit else "") +
                        ": the product states none; add it to the supplier data (an option "
                        f"옵션명/옵션값, the name, or a '{o.name}: …' line in the description) or "
                        "map the product to another category in category_overrides.yaml")
                continue
            groups[o.group or ""] = True
            attrs.append({"attributeTypeName": o.name, "attributeValueName": val,
                          "exposed": "EXPOSED"})
            done.add(option_axis(o.name))
        for g in {o.group for o in rules.purchase_options if o.group} - set(groups):
            names = " / ".join(o.name for o in rules.purchase_options if o.group == g)
            reasons.append(f"Coupang category {rules.category_id} ({rules.path}) requires one of "
                           f"the purchase options {names}: the product has none of them")
        for axis, val in vopts.items():
            if axis not in done:
                attrs.append({"attributeTypeName": axis, "attributeValueName": val,
                              "exposed": "EXPOSED"})
        if len(attrs) > 3:
            extra = [a["attributeTypeName"] for a in attrs if a["attributeTypeName"] in vopts
                     and a["attributeTypeName"] not in done]
            reasons.append(f"Coupang takes at most 3 purchase options per item; this product "
                           f"needs {len(attrs)} ({', '.join(a['attributeTypeName'] for a in attrs)})"
                           + (f": list each {'/'.join(extra)} of the supplier as its own product, or "
                              "map it to a category that asks for fewer in category_overrides.yaml"
                              if extra else ""))
        key = tuple(sorted((a["attributeTypeName"], a["attributeValueName"]) for a in attrs))
        sku = str(v["sku"]) if v else ""
        if v and key in seen:
            reasons.append(f"Coupang items {seen[key]} and {sku} have the same purchase options")
        seen.setdefault(key, sku)
        out[sku] = attrs
    listing["coupang_attributes"] = out
    return sorted(set(reasons), key=reasons.index)


# -- ESM -----------------------------------------------------------------------------------

def manage_code(sku: str) -> str:
    if len(sku.encode()) <= ESM_MANAGE_CODE_BYTES:
        return sku
    return hashlib.blake2b(sku.encode(), digest_size=8).hexdigest()[:ESM_MANAGE_CODE_BYTES]


def _esm_axis(rules: CategoryRules, axis: str, values: list[str]) -> tuple[int, dict, list[str]]:
    rec = next((o for o in rules.recommended_opts if o.no and norm_axis(o.name) == axis), None)
    free = rules.free_text_options
    if rec is None and not free:
        return 0, {}, [f"ESM category {rules.category_id} ({rules.path}) has no recommended "
                       f"option for '{axis}' and accepts no free-text options: map the option "
                       f"in the supplier data or choose another category"]
    numbers = {norm_value(axis, n): no for no, n in (rec.values if rec else ())}
    out, why = {}, []
    for val in values:
        if val in numbers:
            out[val] = numbers[val]
        elif free and len(val) <= ESM_TEXT_MAX:
            out[val] = 0
        else:
            why.append(f"ESM option value '{val}' of '{axis}' matches none of the category's "
                       f"recommended values" + ("" if free else " and free text is not allowed"))
    return (rec.no if rec and all(n != 0 for n in out.values()) else 0), out, why


def _esm(listing: dict, rules: CategoryRules) -> list[str]:
    vs = variants(listing)
    axes = option_groups(listing)
    if not vs:
        listing["esm_recommended_opts"] = {"type": 0}
        return []
    if len(axes) > 3:
        return [f"ESM takes at most 3 option axes; this product has {len(axes)}"]
    reasons: list[str] = []
    plan = []
    for axis in axes:
        vals = list(dict.fromkeys(v["options"].get(axis, "") for v in vs))
        no, numbers, why = _esm_axis(rules, axis, vals)
        reasons += why
        plan.append((axis, no, numbers))
    limit = 50 if len(axes) == 1 else rules.max_combinations
    if len(vs) > limit:
        reasons.append(f"ESM takes at most {limit} option rows here; this product has {len(vs)}")
    if reasons:
        return reasons
    listing["esm_recommended_opts"] = _esm_body(vs, plan)
    return []


def _esm_body(vs: list[dict], plan: list[tuple[str, int, dict]]) -> dict[str, Any]:
    def common(v: dict) -> dict:
        stock = v.get("stock")
        return {"qty": 999 if stock is None else int(stock),
                "addAmnt": int(v.get("price_delta") or 0), "manageCode": manage_code(str(v["sku"])),
                "isSoldOut": stock == 0, "isDisplay": True}

    if len(plan) == 1:
        axis, no, numbers = plan[0]
        return {"type": 1, "isStockManage": True, "independent": {
            "recommendedOptNo": no, "recommendedOptName": {"koreanText": axis},
            "details": [{"recommendedOptValueNo": numbers[v["options"][axis]] if no else 0,
                         "recommendedOptValue": {"koreanText": v["options"][axis]}, **common(v)}
                        for v in vs]}}
    comb: dict[str, Any] = {}
    for i, (axis, no, _) in enumerate(plan, 1):
        comb[f"recommendedOptNo{i}"] = no
        comb[f"recommendedOptName{i}"] = {"koreanText": axis}
    details = []
    for v in vs:
        d: dict[str, Any] = {}
        for i, (axis, no, numbers) in enumerate(plan, 1):
            val = v["options"].get(axis, "")
            d[f"recommendedOptValueNo{i}"] = numbers.get(val, 0) if no else 0
            d[f"recommendedOptValue{i}"] = {"koreanText": val}
        details.append({**d, **common(v)})
    comb["details"] = details
    return {"type": len(plan), "isStockManage": True, "combination": comb}


# -- SmartStore ----------------------------------------------------------------------------

def naver_band(price: int) -> tuple[float, float]:
    """Allowed option price delta range (seller-centre tooltip [2nd]): sale < 2,000 won 0..+100%,
    < 10,000 won -50..+100%, otherwise +-50%."""
    if price < 2000:
        return 0, price
    if price < 10000:
        return -price / 2, price
    return -price / 2, price / 2


def _naver(listing: dict) -> list[str]:
    vs = variants(listing)
    if not vs:
        return []
    reasons = []
    long = sorted({x for v in vs for x in v["options"].values() if len(x) > NAVER_OPTION_VALUE_MAX})
    if long:
        reasons.append(f"SmartStore option values are at most {NAVER_OPTION_VALUE_MAX} "
                       f"characters: {', '.join(long[:3])}")
    if not any(int(v.get("price_delta") or 0) == 0 for v in vs):
        reasons.append("SmartStore needs at least one option at the base price (delta 0)")
    price = listing.get("price")
    if isinstance(price, int) and price > 0:
        lo, hi = naver_band(price)
        bad = [v["sku"] for v in vs if not lo <= int(v.get("price_delta") or 0) <= hi]
        if bad:
            reasons.append(f"SmartStore option price deltas must stay within {int(lo)}..{int(hi)} "
                           f"won for a {price} won product ({len(bad)} options outside)")
    return reasons
