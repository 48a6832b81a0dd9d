"""Market metadata: each market's category tree and the rules of each category.

`MarketMetadata` is what listing, validation and the sandboxes read; it comes either from the
market's own API (`fetch.py`, when credentials are configured) or from the shipped snapshot
(`snapshot.py`, the offline default). Its `version` (source + content digest) is recorded in
every listing built against it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from dropship_core.markets.metadata.families import FAMILIES, NoticeFamily, family_for_path


@dataclass(frozen=True)
class PurchaseOption:
    """A purchase option the category requires (Coupang `attributes[]` with exposed=EXPOSED)."""
    name: str                          # attributeTypeName, e.g. "색상", "수량"
    required: bool = True              # MANDATORY
    group: str | None = None           # groupNumber: one of the group is enough (택1)
    unit: str | None = None            # basicUnit, e.g. "개", "ml", "g"


@dataclass(frozen=True)
class Certification:
    type: str                          # e.g. "KC_CERTIFICATION"
    name: str
    required: bool = True              # MANDATORY
    id: str | None = None              # Naver certificationInfos[].id


@dataclass(frozen=True)
class RecommendedOpt:
    """An ESM recommended option of a category; No 0 (선택형) means free text is accepted."""
    no: int
    name: str
    values: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class CategoryRules:
    market: str
    category_id: str
    path: str
    leaf: bool = True
    notice_types: tuple[str, ...] = ("ETC",)          # family keys the market accepts
    notice_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> labels
    purchase_options: tuple[PurchaseOption, ...] = ()
    certifications: tuple[Certification, ...] = ()
    recommended_opts: tuple[RecommendedOpt, ...] = ()
    allow_single_item: bool = True
    max_option_axes: int = 3
    max_combinations: int = 200
    source: str = "snapshot"

    @property
    def family(self) -> NoticeFamily:
        return FAMILIES.get(self.notice_types[0]) or family_for_path(self.path)

    @property
    def free_text_options(self) -> bool:
        return any(o.no == 0 for o in self.recommended_opts)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notice_fields"] = {k: list(v) for k, v in self.notice_fields.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CategoryRules":
        d = dict(d)
        d["notice_types"] = tuple(d.get("notice_types") or ("ETC",))
        d["notice_fields"] = {k: tuple(v) for k, v in (d.get("notice_fields") or {}).items()}
        d["purchase_options"] = tuple(PurchaseOption(**p) for p in d.get("purchase_options") or ())
        d["certifications"] = tuple(Certification(**c) for c in d.get("certifications") or ())
        d["recommended_opts"] = tuple(
            RecommendedOpt(o["no"], o["name"], tuple(tuple(v) for v in o.get("values") or ()))
            for o in d.get("recommended_opts") or ())
        return cls(**d)


@dataclass
class MarketMetadata:
    """One market's categories and rules, keyed by category id."""
    market: str
    rules: dict[str, CategoryRules]
    source: str = "snapshot"          # "snapshot" | "api:<base url>"
    fetched_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)   # e.g. {"auto_category": True}
    _version: str | None = None

    @property
    def version(self) -> str:
        if self._version is None:
            blob = json.dumps([self.rules[k].to_dict() for k in sorted(self.rules)],
                              ensure_ascii=False, sort_keys=True, default=str)
            digest = hashlib.blake2b(blob.encode(), digest_size=6).hexdigest()
            self._version = f"{self.market}:{self.source.split(':')[0]}:{digest}"
        return self._version

    def get(self, category_id: Any) -> CategoryRules | None:
        return self.rules.get(str(category_id)) if category_id not in (None, "") else None

    def leaves(self) -> list[CategoryRules]:
        return [r for r in self.rules.values() if r.leaf]

    def to_rows(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rules.values()]
