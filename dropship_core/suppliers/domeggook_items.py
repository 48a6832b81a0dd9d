"""Domeggook getItemView / getItemList payloads read into canonical products: tiered prices,
JSON option lists (`selectOpt`), delivery fees, images, categories. No HTTP here."""

from __future__ import annotations

import json
from typing import Any

from dropship_core.model import STATUS_ACTIVE, STATUS_DELETED, STATUS_SOLDOUT, CanonicalProduct, Variant
from dropship_core.suppliers.base import Reject

_STATUS = {"판매중": STATUS_ACTIVE, "기간미지정": STATUS_ACTIVE, "승인대기": STATUS_SOLDOUT,
           "승인거부": STATUS_SOLDOUT, "기간종료": STATUS_DELETED, "판매종료": STATUS_DELETED,
           "아웃벌점 제재": STATUS_DELETED}


def parse_tiers(value: Any) -> list[tuple[int, int]] | None:
    """`3800`, `"3800"` or `"1+3800|20+3500"` -> [(1, 3800), (20, 3500)] sorted by quantity."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return [(1, int(value))] if value > 0 else None
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    tiers: list[tuple[int, int]] = []
    try:
        for part in text.split("|"):
            if "+" in part:
                q, p = part.split("+", 1)
                tiers.append((int(q), int(float(p))))
            else:
                tiers.append((1, int(float(part))))
    except ValueError:
        return None
    tiers.sort()
    if any(q < 1 or p <= 0 for q, p in tiers):
        return None
    return tiers


def _int(v: Any) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return int(float(str(v).replace(",", "").strip()))
    except ValueError:
        return None


def _truthy(v: Any) -> bool:
    return str(v).strip().lower() in ("true", "1", "y", "yes")


def _as_list(v: Any) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def parse_select_opt(select_opt: Any, market: str) -> list[tuple[str, dict[str, str], int, int | None]]:
    """`selectOpt` (a JSON string) -> [(key, {dim: value}, price_delta, stock)]. Hidden options
    (hid 2) are skipped; ended ones (hid 1) get stock 0."""
    if not select_opt:
        return []
    doc = json.loads(select_opt) if isinstance(select_opt, str) else select_opt
    if not isinstance(doc, dict):
        raise ValueError("selectOpt is not an object")
    dims = [str(s.get("name", "")).strip() or f"옵션{i + 1}" for i, s in enumerate(_as_list(doc.get("set")))
            if isinstance(s, dict)]
    out = []
    data = doc.get("data") or {}
    if not isinstance(data, dict):
        raise ValueError("selectOpt.data is not an object")
    price_key = "supPrice" if market == "supply" else "domPrice"
    for key, d in data.items():
        if not isinstance(d, dict):
            raise ValueError(f"selectOpt.data[{key}] is not an object")
        hid = _int(d.get("hid")) or 0
        if hid == 2:
            continue
        name = str(d.get("name", "")).strip()
        parts = [p.strip() for p in name.split("/")]
        if dims and len(parts) == len(dims):
            attrs = dict(zip(dims, parts))
        else:
            attrs = {dims[0] if dims else "옵션": name}
        delta = _int(d.get(price_key))
        if delta is None:
            delta = _int(d.get("domPrice")) or _int(d.get("addprice")) or 0
        qty = _int(d.get("qty"))
        stock = 0 if hid == 1 else (None if qty is None else max(0, qty))
        out.append((str(key), attrs, delta, stock))
    return out


def _shipping_fee(deli: Any, market: str) -> int | None:
    """The market's own delivery fee, else the general one; 0 when the seller pays (who=S)."""
    if not isinstance(deli, dict):
        return None
    per_market = deli.get(market) if isinstance(deli.get(market), dict) else {}
    fee = _int(per_market.get("fee")) if per_market else None
    if fee is None:
        fee = _int(deli.get("fee"))
    return 0 if deli.get("who") == "S" else fee


def _images(item: dict) -> list[str]:
    thumb = item.get("thumb") or {}
    images: list[str] = []
    for u in [thumb.get("original"), thumb.get("large")] + _as_list((item.get("image") or {}).get("url")):
        if isinstance(u, str) and u and u not in images:
            images.append(u)
    return images


def _category_names(item: dict) -> list[str]:
    category = item.get("category") or {}
    names = [str(e.get("name")) for e in _as_list((category.get("parents") or {}).get("elem"))
             if isinstance(e, dict) and e.get("name")]
    current = category.get("current") or {}
    if current.get("name"):
        names.append(str(current["name"]))
    return names


def _description(item: dict) -> Any:
    desc = item.get("desc")
    if isinstance(desc, dict):
        desc = desc.get("contents")
        if isinstance(desc, dict):
            desc = desc.get("item")
    return desc


def normalize_view(supplier_key: str, payload: Any, market: str = "supply",
                   source: str = "") -> CanonicalProduct | Reject:
    """One getItemView response -> a canonical product, or a Reject saying why not."""
    if not isinstance(payload, dict):
        return Reject("getItemView response is not an object", {"value": payload}, source)
    item = payload.get("domeggook", payload)
    if not isinstance(item, dict):
        return Reject("getItemView response has no item", payload, source)
    basis = item.get("basis") or {}
    no = basis.get("no")
    if no in (None, ""):
        return Reject("missing basis.no", payload, source)
    no = str(no)
    title = str(basis.get("title") or "").strip()
    if not title:
        return Reject(f"item {no}: empty title", payload, source)
    price = item.get("price") or {}
    raw_price = price.get(market) if isinstance(price, dict) else price
    if raw_price in (None, "") and isinstance(price, dict):
        raw_price = price.get("dome")
    tiers = parse_tiers(raw_price)
    if not tiers:
        return Reject(f"item {no}: price {raw_price!r} is not a positive amount or tier list", payload, source)
    cost = tiers[0][1]
    status = _STATUS.get(str(basis.get("status") or "판매중").strip())
    if status is None:
        return Reject(f"item {no}: unknown status {basis.get('status')!r}", payload, source)
    qty = item.get("qty") or {}
    inventory = _int(qty.get("inventory")) if isinstance(qty, dict) else None
    try:
        opts = parse_select_opt(item.get("selectOpt"), market)
    except (ValueError, json.JSONDecodeError) as e:
        return Reject(f"item {no}: selectOpt is not valid JSON options ({e})", payload, source)
    variants = [Variant(sku=f"{no}-{k}", options=attrs, price_delta=delta, stock=stock)
                for k, attrs, delta, stock in opts]
    if variants:
        tracked = [v.stock for v in variants if v.stock is not None]
        stock = sum(tracked) if tracked else inventory
    else:
        stock = inventory
    if status == STATUS_ACTIVE and stock == 0:
        status = STATUS_SOLDOUT
    deli = item.get("deli") or {}
    fee = _shipping_fee(deli, market)
    detail = item.get("detail") or {}
    images, names, desc = _images(item), _category_names(item), _description(item)
    keywords = _as_list((basis.get("keywords") or {}).get("kw")) if isinstance(basis.get("keywords"), dict) else []
    raw = dict(payload)
    # derived values kept next to (never inside) the supplier's payload
    raw["_derived"] = {"price_tiers": [list(t) for t in tiers], "market": market}
    return CanonicalProduct(
        supplier_key=supplier_key,
        supplier_item_id=no,
        name=title,
        cost=cost,
        consumer_price=_int(price.get("resale")) if isinstance(price, dict) else None,
        shipping_fee=fee or 0,
        return_fee=_int(deli.get("returnFee")) if isinstance(deli, dict) else None,
        stock=stock,
        brand=(str(detail.get("brand") or "").strip() or None),
        manufacturer=(str(detail.get("manufacturer") or "").strip() or None),
        model=(str(detail.get("model") or "").strip() or None),
        origin=(str(detail.get("country") or "").strip() or None),
        tax_type="FREE" if "면세" in str(basis.get("tax") or "") else "TAX",
        adult=_truthy(basis.get("adult")),
        images=images,
        category_path=" > ".join(names) or None,
        description=desc if isinstance(desc, str) else None,
        keywords=[str(k) for k in keywords if k],
        notice={"price_tiers": [list(t) for t in tiers]} if len(tiers) > 1 else {},
        variants=variants,
        status=status,
        raw=raw,
    )
