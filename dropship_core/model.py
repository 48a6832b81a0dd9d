"""The canonical product: one shape for every supplier.

Supplier readers (Excel, OwnerClan, Domeggook, webhooks) turn what they receive into
`CanonicalProduct`; everything downstream (store, enrichment, listings) reads only this shape.
Money is whole KRW (int). A stock of `None` means the supplier does not track it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

STATUS_ACTIVE = "active"
STATUS_SOLDOUT = "soldout"
STATUS_DELETED = "deleted"
STATUSES = (STATUS_ACTIVE, STATUS_SOLDOUT, STATUS_DELETED)


@dataclass
class Variant:
    """One purchasable option combination, e.g. {"색상": "블랙", "사이즈": "L"}."""

    sku: str
    options: dict[str, str]
    price_delta: int = 0
    stock: int | None = None


@dataclass
class CanonicalProduct:
    supplier_key: str
    supplier_item_id: str
    name: str
    cost: int
    consumer_price: int | None = None
    suggested_price: int | None = None
    shipping_fee: int = 0
    return_fee: int | None = None
    stock: int | None = None
    brand: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    origin: str | None = None
    tax_type: str = "TAX"  # TAX | FREE
    adult: bool = False
    images: list[str] = field(default_factory=list)
    category_path: str | None = None
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    notice: dict[str, Any] = field(default_factory=dict)
    variants: list[Variant] = field(default_factory=list)
    status: str = STATUS_ACTIVE
    raw: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # dataclasses.asdict deep-copies recursively and dominated ingest time; this is the
        # same result for this flat shape (lists and dicts are shallow-copied).
        return {
            "supplier_key": self.supplier_key, "supplier_item_id": self.supplier_item_id, "name": self.name,
            "cost": self.cost, "consumer_price": self.consumer_price, "suggested_price": self.suggested_price,
            "shipping_fee": self.shipping_fee, "return_fee": self.return_fee, "stock": self.stock,
            "brand": self.brand, "manufacturer": self.manufacturer, "model": self.model, "origin": self.origin,
            "tax_type": self.tax_type, "adult": self.adult, "images": list(self.images),
            "category_path": self.category_path, "description": self.description, "keywords": list(self.keywords),
            "notice": dict(self.notice),
            "variants": [{"sku": v.sku, "options": dict(v.options), "price_delta": v.price_delta, "stock": v.stock}
                         for v in self.variants],
            "status": self.status, "raw": dict(self.raw),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CanonicalProduct":
        d = dict(d)
        d["variants"] = [Variant(**v) for v in d.get("variants", [])]
        return cls(**d)

    def total_stock(self) -> int | None:
        """Sum over variants when they carry stock, else the product-level stock."""
        tracked = [v.stock for v in self.variants if v.stock is not None]
        if tracked:
            return sum(tracked)
        return self.stock


def canonical_bytes(obj: Any) -> bytes:
    """Stable UTF-8 JSON: the same product always serialises to the same bytes (keys sorted)."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def canonical_json(obj: Any) -> str:
    return canonical_bytes(obj).decode()


def content_hash(product: dict[str, Any]) -> str:
    """Hash of everything that matters downstream. Any change in the supplier payload changes it."""
    return hashlib.blake2b(canonical_bytes(product), digest_size=16).hexdigest()
