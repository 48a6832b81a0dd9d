"""The deterministic baseline enricher: a clean title and a completeness-based quality score.

It needs no network and no model. The AI layer's providers produce the same `ai_data` shape.
"""

from __future__ import annotations

import re
from typing import Any

from dropship_core.markets.names import MARKETS
from dropship_core.titles import clean_title, fit_title

VERSION = "basic-1"

_TAGS = re.compile(r"<[^>]+>")


def quality(raw: dict[str, Any], clean: str) -> tuple[float, list[str]]:
    checks = [
        (bool(raw.get("images")), "no image"),
        (len(raw.get("images") or []) >= 3, "fewer than 3 images"),
        (bool(raw.get("brand") or raw.get("manufacturer")), "no brand or manufacturer"),
        (bool(raw.get("origin")), "no origin"),
        (len(_TAGS.sub("", raw.get("description") or "")) >= 30, "short or no description"),
        (bool(raw.get("category_path")), "no supplier category"),
        (8 <= len(clean) <= 50, "title length outside 8-50 characters"),
        (bool(raw.get("model")), "no model name"),
    ]
    score = sum(ok for ok, _ in checks) / len(checks)
    return round(score, 3), [why for ok, why in checks if not ok]


def enrich(raw: dict[str, Any]) -> dict[str, Any]:
    clean = clean_title(raw["name"])
    score, reasons = quality(raw, clean)
    return {
        "clean_name": clean,
        "titles": {m: fit_title(clean, m) for m in MARKETS},
        "description": _TAGS.sub(" ", raw.get("description") or "").strip(),
        "attributes": {k: raw[k] for k in ("brand", "model", "origin") if raw.get(k)},
        "categories": {},
        "banned_words": [],
        "quality_score": score,
        "quality_reasons": reasons,
        "provider": "offline",
        "model": VERSION,
    }
