"""The rules every product meets before it is stored, whatever its source.

The Excel reader builds products cell by cell with `parse_number` and friends; pushed and fetched
products (webhooks, APIs) arrive as JSON. `coerce_snapshot` reads a JSON product snapshot with the
same cell rules as the Excel reader (a number may be written "5", "12,000원" or 12000.0; "abc" is
not a number; blank is none), and `product_problems` checks a finished `CanonicalProduct`'s
shape, so a product that would break pricing or listing is a reject with its reason, never stored.
"""

from __future__ import annotations

from typing import Any

from dropship_core.model import STATUSES, CanonicalProduct, Variant
from dropship_core.suppliers.base import FetchResult, Reject
from dropship_core.suppliers.excel import BadValue, parse_number

MONEY_FIELDS = ("cost", "consumer_price", "suggested_price", "shipping_fee", "return_fee")
TEXT_FIELDS = ("brand", "manufacturer", "model", "origin", "category_path", "description")
MAX_TEXT = 200_000


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _text_ok(v: Any) -> bool:
    return v is None or (isinstance(v, str) and len(v) <= MAX_TEXT and "\x00" not in v)


def _variant_problems(i: int, v: Any) -> list[str]:
    if not isinstance(v, Variant):
        return [f"option {i + 1}: not an option record"]
    out = []
    if not isinstance(v.sku, str) or not v.sku.strip():
        out.append(f"option {i + 1}: missing option code")
    if not isinstance(v.options, dict) or not v.options or not all(
            isinstance(k, str) and isinstance(x, str) for k, x in v.options.items()):
        out.append(f"option {i + 1}: options must map option names to values")
    if not _is_int(v.price_delta):
        out.append(f"option {i + 1}: price delta {v.price_delta!r} is not a whole KRW amount")
    if v.stock is not None and (not _is_int(v.stock) or v.stock < 0):
        out.append(f"option {i + 1}: stock {v.stock!r} is not a count")
    return out


def product_problems(p: CanonicalProduct) -> list[str]:
    """Why `p` cannot be stored as a product (empty when it can)."""
    out = []
    if not isinstance(p.supplier_item_id, str) or not p.supplier_item_id.strip():
        out.append("missing supplier code")
    if not isinstance(p.name, str) or not p.name.strip() or not _text_ok(p.name):
        out.append("missing or invalid product name")
    if not _is_int(p.cost) or p.cost <= 0:
        out.append(f"cost {p.cost!r} is not a positive whole KRW amount")
    for f in MONEY_FIELDS[1:]:
        v = getattr(p, f)
        if v is not None and (not _is_int(v) or v < 0):
            out.append(f"{f} {v!r} is not a non-negative whole KRW amount")
    if p.stock is not None and (not _is_int(p.stock) or p.stock < 0):
        out.append(f"stock {p.stock!r} is not a count")
    out += [f"{f} is not text" for f in TEXT_FIELDS if not _text_ok(getattr(p, f))]
    if p.tax_type not in ("TAX", "FREE"):
        out.append(f"tax type {p.tax_type!r} is not TAX or FREE")
    if not isinstance(p.adult, bool):
        out.append(f"adult flag {p.adult!r} is not true/false")
    for name in ("images", "keywords"):
        v = getattr(p, name)
        if not isinstance(v, list) or not all(isinstance(x, str) and _text_ok(x) for x in v):
            out.append(f"{name} must be a list of text")
    if not isinstance(p.notice, dict):
        out.append("notice must be a mapping")
    if not isinstance(p.variants, list):
        out.append("options must be a list")
    else:
        seen = set()
        for i, v in enumerate(p.variants):
            out += _variant_problems(i, v)
            key = tuple(sorted(v.options.items())) if isinstance(v, Variant) and isinstance(v.options, dict) else i
            if key in seen:
                out.append(f"duplicate option {dict(key) if isinstance(key, tuple) else key}")
            seen.add(key)
    if p.status not in STATUSES:
        out.append(f"unknown status {p.status!r}")
    return out


def _num(snap: dict[str, Any], key: str, label: str, *, allow_negative: bool = False) -> int | None:
    v = snap.get(key)
    if isinstance(v, (dict, list)):
        raise BadValue(f"{label}: {v!r} is not a number")
    return parse_number(v, label, allow_negative=allow_negative)


def coerce_snapshot(snap: dict[str, Any]) -> dict[str, Any]:
    """A JSON product snapshot's numbers read with the Excel reader's cell rules (BadValue if not)."""
    out = dict(snap)
    for f in (*MONEY_FIELDS, "stock"):
        if f in snap:
            out[f] = _num(snap, f, f)
    variants = []
    for i, v in enumerate(snap.get("variants") or []):
        if not isinstance(v, dict):
            raise BadValue(f"option {i + 1}: not an option record")
        v = dict(v)
        v["price_delta"] = _num(v, "price_delta", f"option {i + 1} price_delta", allow_negative=True) or 0
        if "stock" in v:
            v["stock"] = _num(v, "stock", f"option {i + 1} stock")
        variants.append(v)
    out["variants"] = variants
    return out


def screen(result: FetchResult, source: str = "") -> int:
    """Move products of `result` that break the rules to its rejects; return how many moved."""
    good, moved = [], 0
    for p in result.products:
        problems = product_problems(p)
        if problems:
            raw = p.raw if isinstance(p.raw, dict) else {}
            result.rejects.append(Reject(f"item {p.supplier_item_id}: " + "; ".join(problems),
                                         raw | {"_product": repr(p)[:2000]}, source or "product rules"))
            moved += 1
        else:
            good.append(p)
    result.products = good
    return moved
