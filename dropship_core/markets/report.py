"""Listability in numbers and in words: listable / total per market with the top reasons
(the demo summary), and why one product is blocked on one market (`dropship listings why`)."""

from __future__ import annotations

from typing import Any

from dropship_core.markets.names import MARKETS


def listability(conn, top: int = 3) -> list[dict[str, Any]]:
    """Per market: active products with a listing, how many are listable, the top reasons."""
    out = []
    for m in MARKETS:
        listable, total = conn.execute(
            "SELECT count(*) FILTER (WHERE (market_data->%s->>'listable')::boolean), count(*)"
            " FROM source_data WHERE status = 'active' AND market_data ? %s", (m, m)).fetchone()
        reasons = conn.execute(
            "SELECT r.reason, count(*) FROM source_data,"
            " jsonb_array_elements_text(market_data->%s->'blocked_reasons') r(reason)"
            " WHERE status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s", (m, top)).fetchall()
        out.append({"market": m, "listable": f"{listable}/{total}",
                    "percent": f"{100 * listable / total:.1f}" if total else "-",
                    "top reasons": "; ".join(f"{n}x {r[:90]}" for r, n in reasons) or "-"})
    return out


def product_row(conn, supplier_key: str, item_id: str) -> dict | None:
    row = conn.execute("SELECT raw_data, ai_data, market_data, status FROM source_data"
                       " WHERE supplier_key = %s AND supplier_item_id = %s",
                       (supplier_key, item_id)).fetchone()
    if row is None:
        return None
    return {"raw": row[0] or {}, "ai": row[1] or {}, "market_data": row[2] or {}, "status": row[3]}


def explain(entry: dict, market: str) -> list[str]:
    """Lines a seller reads: the verdict, each reason, and what the listing was built against."""
    listing = entry.get("listing") or {}
    lines = []
    if entry.get("listable"):
        lines.append(f"{market}: listable (status {entry.get('status')})")
    else:
        lines.append(f"{market}: BLOCKED ({len(entry.get('blocked_reasons') or [])} reasons)")
        lines += [f"  - {r}" for r in entry.get("blocked_reasons") or []]
    cat = listing.get("category_id") or ("automatic (Coupang assigns it)"
                                         if listing.get("coupang_auto_category") else "none")
    lines.append(f"  category: {cat} {listing.get('category_path') or ''}".rstrip())
    plan = listing.get("notice_plan") or {}
    if plan:
        lines.append(f"  notice: {plan.get('type')}; filled: "
                     f"{sum(1 for v in plan.get('values', {}).values() if v)}/"
                     f"{len(plan.get('values') or {})} items (the rest: 상세페이지 참조 / seller)")
    if listing.get("certifications"):
        lines.append("  certifications: " + ", ".join(c["number"] for c in listing["certifications"]))
    if listing.get("metadata_version"):
        lines.append(f"  built against: {listing['metadata_version']}")
    last = entry.get("last_error") or {}
    if last.get("message"):
        lines.append(f"  last marketplace answer: {last['message']}")
    return lines
