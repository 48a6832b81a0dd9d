"""Terminal tables that line up Korean text (wide characters take two columns)."""

from __future__ import annotations

import unicodedata
from typing import Any


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = {c: max(_w(c), *(_w(str(r.get(c, ""))) for r in rows)) if rows else _w(c) for c in columns}
    line = "  ".join(_pad(c, widths[c]) for c in columns)
    sep = "  ".join("-" * widths[c] for c in columns)
    body = ["  ".join(_pad(str(r.get(c, "")), widths[c]) for c in columns) for r in rows]
    return "\n".join([line, sep, *body])


def _w(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _w(s))
