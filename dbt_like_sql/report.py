"""The seller's analytics page: one self-contained HTML file with inline SVG charts.

No scripts, fonts or images are fetched: the page opens from a file, an e-mail or an archive
years later. It reads the marts from the analytics schema; when they were never built it computes
the same models live, as temporary views in its own session.
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import psycopg

from dbt_like_sql.loader import DEFAULT_SCHEMA, create_temp_views, load_project, sql_ident

REPORT_MODELS = (
    "mart_catalog_health",
    "mart_margin_by_market_category",
    "mart_price_changes_daily",
    "mart_stockout_risk",
    "mart_sync_lag",
    "mart_listing_rejections",
    "mart_llm_spend_daily",
)

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
MARKET_COLORS = {"smartstore": "#03c75a", "coupang": "#e52528", "gmarket": "#2f6bff"}
RISK_COLORS = {"out": "#dc2626", "high": "#f97316", "medium": "#facc15", "low": "#22c55e"}


def _num(v: Any) -> float:
    if v is None:
        return 0.0
    if isinstance(v, Decimal):
        return float(v)
    return float(v)


def _esc(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _fmt(v: float, unit: str = "") -> str:
    if unit == "%":
        return f"{v * 100:.1f}%"
    if unit == "$":
        return f"${v:,.2f}" if abs(v) >= 1 or v == 0 else f"${v:,.4f}"
    if unit == "h":
        return f"{v:,.1f} h"
    if unit == "₩":
        return f"₩{v:,.0f}"
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"


# ---------------------------------------------------------------------------------------------
# charts (inline SVG)


def nice_ticks(vmin: float, vmax: float, integers: bool = False, count: int = 4) -> list[float]:
    """Round axis ticks (1, 2, 2.5, 5 × 10^k) covering [vmin, vmax], zero included."""
    span = (vmax - vmin) or 1.0
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integers:
        step = max(1.0, math.ceil(step))
    lo, hi = math.floor(vmin / step) * step, math.ceil(vmax / step) * step
    n = int(round((hi - lo) / step))
    return [round(lo + i * step, 10) for i in range(n + 1)]


def _empty(width: int, height: int, text: str = "no data yet") -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">'
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="muted">{_esc(text)}</text></svg>'
    )


def bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]], unit: str = "",
              width: int = 560, height: int = 260, stacked: bool = False, label_every: int = 1) -> str:
    """Vertical bars, grouped (or stacked) per category, with a zero line for negative values."""
    if not categories or not series:
        return _empty(width, height)
    left, right, top, bottom = 64, 12, 16, 56
    pw, ph = width - left - right, height - top - bottom
    if stacked:
        highs = [sum(max(s[1][i], 0) for s in series) for i in range(len(categories))]
        lows = [sum(min(s[1][i], 0) for s in series) for i in range(len(categories))]
    else:
        highs = [max(v for s in series for v in [s[1][i]]) for i in range(len(categories))]
        lows = [min(v for s in series for v in [s[1][i]]) for i in range(len(categories))]
    integers = all(float(v).is_integer() for _, values, _ in series for v in values) and unit in ("", "₩")
    ticks = nice_ticks(min(min(lows), 0.0), max(max(highs), 0.0), integers)
    vmin, vmax = ticks[0], ticks[-1]
    if vmax == vmin:
        vmax = vmin + 1
    scale = ph / (vmax - vmin)
    y0 = top + vmax * scale
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    for v in ticks:
        y = top + (vmax - v) * scale
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{_esc(_fmt(v, unit))}</text>')
    slot = pw / len(categories)
    nser = 1 if stacked else len(series)
    bw = max(1.0, min(48.0, slot * 0.8 / nser))
    for i, cat in enumerate(categories):
        x_base = left + slot * i + (slot - bw * nser) / 2
        pos = neg = 0.0
        for j, (sname, values, color) in enumerate(series):
            v = values[i]
            if stacked:
                start = pos if v >= 0 else neg
                y1, y2 = y0 - (start + v) * scale, y0 - start * scale
                if v >= 0:
                    pos += v
                else:
                    neg += v
                x = x_base
            else:
                y1, y2 = (y0 - v * scale, y0) if v >= 0 else (y0, y0 - v * scale)
                x = x_base + j * bw
            h = max(abs(y2 - y1), 0.5 if v else 0)
            out.append(
                f'<rect x="{x:.1f}" y="{min(y1, y2):.1f}" width="{bw:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{_esc(cat)} · {_esc(sname)}: {_esc(_fmt(v, unit))}</title></rect>"
            )
        if i % label_every == 0:
            # "supplier · market" labels take two lines so the market is never cut off
            cx = left + slot * i + slot / 2
            parts = [p if len(p) <= 16 else p[:15] + "…" for p in cat.split(" · ")][:2]
            spans = "".join(f'<tspan x="{cx:.1f}" dy="{0 if k == 0 else 12}">{_esc(p)}</tspan>' for k, p in enumerate(parts))
            out.append(f'<text x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="axis"><title>{_esc(cat)}</title>{spans}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y0:.1f}" y2="{y0:.1f}" class="zero"/>')
    lx = left
    for sname, _, color in series:
        out.append(f'<rect x="{lx}" y="{height - 16}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{lx + 14}" y="{height - 7}" class="legend">{_esc(sname)}</text>')
        lx += 24 + 6 * len(sname)
    out.append("</svg>")
    return "".join(out)


def hbar_chart(labels: Sequence[str], values: Sequence[float], unit: str = "", colors: Sequence[str] | None = None,
               width: int = 560, row: int = 24) -> str:
    if not labels:
        return _empty(width, 120)
    left, right, top = 230, 70, 8
    height = top * 2 + row * len(labels)
    vmax = max(max(values), 0.0) or 1.0
    pw = width - left - right
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    for i, (label, v) in enumerate(zip(labels, values)):
        y = top + i * row
        w = max(pw * max(v, 0) / vmax, 0.5)
        color = (colors[i] if colors else PALETTE[0])
        text = label if len(label) <= 34 else label[:33] + "…"
        out.append(f'<text x="{left - 8}" y="{y + row * 0.65:.1f}" text-anchor="end" class="axis"><title>{_esc(label)}</title>{_esc(text)}</text>')
        out.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{color}"/>')
        out.append(f'<text x="{left + w + 6:.1f}" y="{y + row * 0.65:.1f}" class="value">{_esc(_fmt(v, unit))}</text>')
    out.append("</svg>")
    return "".join(out)


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return '<p class="muted">no rows yet</p>'
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for v in r:
            if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
                cells.append(f'<td class="num">{_esc(_fmt(_num(v)))}</td>')
            elif isinstance(v, datetime):
                cells.append(f"<td>{_esc(v.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M'))}</td>")
            else:
                cells.append(f"<td>{_esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# ---------------------------------------------------------------------------------------------
# data


def _q(conn: psycopg.Connection, query: str) -> list[tuple[Any, ...]]:
    return conn.execute(query.encode()).fetchall()


def _materialized(conn: psycopg.Connection, schema: str) -> bool:
    for model in REPORT_MODELS:
        if conn.execute("SELECT to_regclass(%s) IS NULL", (f"{sql_ident(schema)}.{sql_ident(model)}",)).fetchone()[0]:
            return False
    return True


def collect(conn: psycopg.Connection, schema: str) -> dict[str, Any]:
    s = sql_ident(schema) + "."
    data: dict[str, Any] = {}
    health = _q(conn, f"""
        SELECT supplier_key, products, active, sold_out, deleted, quarantined_open,
               missing_name, missing_cost, missing_images, missing_category, enriched, completeness, last_success
        FROM {s}mart_catalog_health ORDER BY products DESC, supplier_key""")
    data["health"] = health
    margin_market = _q(conn, f"""
        SELECT market, sum(listings), sum(total_price), sum(total_margin),
               sum(total_margin) / nullif(sum(total_price), 0), sum(negative_margin_listings)
        FROM {s}mart_margin_by_market_category GROUP BY market ORDER BY market""")
    data["margin_market"] = margin_market
    data["margin_category"] = _q(conn, f"""
        SELECT market, category_path, listings, avg_price, avg_cost, avg_margin, margin_rate, negative_margin_listings
        FROM {s}mart_margin_by_market_category ORDER BY total_margin DESC NULLS LAST, market, category_path LIMIT 12""")
    data["price_days"] = _q(conn, f"""
        SELECT change_day, sum(increases), sum(decreases), sum(changes)
        FROM {s}mart_price_changes_daily
        WHERE change_day >= (SELECT max(change_day) FROM {s}mart_price_changes_daily) - 59
        GROUP BY change_day ORDER BY change_day""")
    data["stock"] = _q(conn, f"""
        SELECT supplier_key,
               count(*) FILTER (WHERE risk = 'out'), count(*) FILTER (WHERE risk = 'high'),
               count(*) FILTER (WHERE risk = 'medium'), count(*) FILTER (WHERE risk = 'low')
        FROM {s}mart_stockout_risk GROUP BY supplier_key ORDER BY supplier_key""")
    data["stock_top"] = _q(conn, f"""
        SELECT supplier_key, supplier_item_id, name, stock, daily_depletion, days_of_cover, risk
        FROM {s}mart_stockout_risk WHERE risk IN ('out', 'high')
        ORDER BY risk = 'out' DESC, days_of_cover NULLS FIRST, stock LIMIT 10""")
    data["lag"] = _q(conn, f"""
        SELECT supplier_key || ' · ' || market, coalesce(supplier_sync_age_hours, 0),
               coalesce(oldest_out_of_sync_hours, 0), out_of_sync_listings, market
        FROM {s}mart_sync_lag ORDER BY supplier_key, market""")
    data["rejections"] = _q(conn, f"""
        SELECT market || ' · ' || reason, occurrences, stage, market
        FROM {s}mart_listing_rejections ORDER BY occurrences DESC, market, reason LIMIT 12""")
    data["spend"] = _q(conn, f"""
        SELECT usage_day, sum(cost_usd), sum(total_tokens), sum(calls)
        FROM {s}mart_llm_spend_daily
        WHERE usage_day >= (SELECT max(usage_day) FROM {s}mart_llm_spend_daily) - 29
        GROUP BY usage_day ORDER BY usage_day""")
    totals = _q(conn, f"""
        SELECT
          (SELECT coalesce(sum(products), 0) FROM {s}mart_catalog_health),
          (SELECT coalesce(sum(active), 0) FROM {s}mart_catalog_health),
          (SELECT coalesce(sum(sold_out), 0) FROM {s}mart_catalog_health),
          (SELECT coalesce(sum(quarantined_open), 0) FROM {s}mart_catalog_health),
          (SELECT sum(total_margin) / nullif(sum(total_price), 0) FROM {s}mart_margin_by_market_category),
          (SELECT coalesce(sum(total_margin), 0) FROM {s}mart_margin_by_market_category),
          (SELECT coalesce(sum(negative_margin_listings), 0) FROM {s}mart_margin_by_market_category),
          (SELECT count(*) FROM {s}mart_stockout_risk WHERE risk IN ('out', 'high')),
          (SELECT max(supplier_sync_age_hours) FROM {s}mart_sync_lag),
          (SELECT coalesce(sum(occurrences), 0) FROM {s}mart_listing_rejections),
          (SELECT coalesce(sum(cost_usd), 0) FROM {s}mart_llm_spend_daily WHERE usage_day >= current_date - 30)
    """)[0]
    keys = ["products", "active", "sold_out", "quarantined_open", "margin_rate", "gross_margin_krw",
            "negative_margin_listings", "stockout_risk_products", "max_supplier_sync_age_hours",
            "listing_rejections", "llm_spend_usd_30d"]
    data["numbers"] = {k: (None if v is None else (int(v) if isinstance(v, int) else float(v))) for k, v in zip(keys, totals)}
    data["briefs"] = _q(conn, "SELECT DISTINCT ON (market) market, day, provider, text FROM agent_briefs"
                              " ORDER BY market, day DESC") if conn.execute(
        "SELECT to_regclass('agent_briefs') IS NOT NULL").fetchone()[0] else []
    return data


# ---------------------------------------------------------------------------------------------
# page

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans KR","Noto Sans CJK KR",sans-serif;margin:0;background:#f6f7f9;color:#111827}
header{background:#111827;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#9ca3af;font-size:13px}
main{padding:20px 28px;display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:18px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px 16px;overflow:hidden}
section.wide{grid-column:1/-1}h2{font-size:15px;margin:0 0 10px}
.kpis{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:10px}
.kpi{background:#f9fafb;border:1px solid #e5e7eb;border-radius:6px;padding:10px}.kpi b{display:block;font-size:22px}
.kpi span{font-size:12px;color:#6b7280}.kpi.bad b{color:#dc2626}
.chart{max-width:100%;height:auto}.chart .grid{stroke:#e5e7eb}.chart .zero{stroke:#6b7280}
.chart text{font-size:11px;fill:#374151}.chart .muted{fill:#9ca3af;font-size:14px}.chart .value{fill:#111827}
table{border-collapse:collapse;width:100%;font-size:12px}th,td{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#9ca3af}footer{padding:0 28px 20px;color:#9ca3af;font-size:12px}
"""


def render_html(data: dict[str, Any], generated_at: datetime, source: str) -> str:
    n = data["numbers"]

    def kpi(label: str, value: Any, unit: str = "", bad: bool = False) -> str:
        text = "–" if value is None else _fmt(float(value), unit)
        return f'<div class="kpi{" bad" if bad and value else ""}"><b>{_esc(text)}</b><span>{_esc(label)}</span></div>'

    kpis = "".join([
        kpi("products", n["products"]), kpi("active", n["active"]), kpi("sold out", n["sold_out"], bad=True),
        kpi("open quarantine", n["quarantined_open"], bad=True), kpi("gross margin rate", n["margin_rate"], "%"),
        kpi("gross margin at list price", n["gross_margin_krw"], "₩"),
        kpi("listings below cost", n["negative_margin_listings"], bad=True),
        kpi("products out or at risk", n["stockout_risk_products"], bad=True),
        kpi("oldest supplier sync", n["max_supplier_sync_age_hours"], "h"),
        kpi("listing rejections", n["listing_rejections"], bad=True),
        kpi("LLM spend, 30 days", n["llm_spend_usd_30d"], "$"),
    ])
    mm = data["margin_market"]
    margin_chart = bar_chart(
        [r[0] for r in mm],
        [("gross margin rate", [_num(r[4]) for r in mm], PALETTE[0])],
        unit="%",
    )
    margin_abs = hbar_chart([r[0] for r in mm], [_num(r[3]) for r in mm], "₩", [MARKET_COLORS.get(r[0], PALETTE[5]) for r in mm])
    pdays = data["price_days"]
    price_chart = bar_chart(
        [r[0].isoformat() if isinstance(r[0], date) else str(r[0]) for r in pdays],
        [("increases", [_num(r[1]) for r in pdays], "#dc2626"), ("decreases", [-_num(r[2]) for r in pdays], "#2563eb")],
        stacked=True, width=1160, label_every=max(1, len(pdays) // 10),
    )
    st = data["stock"]
    stock_chart = bar_chart(
        [r[0] for r in st],
        [(risk, [_num(r[i + 1]) for r in st], RISK_COLORS[risk]) for i, risk in enumerate(("out", "high", "medium", "low"))],
        stacked=True,
    )
    lag = data["lag"]
    lag_chart = bar_chart(
        [r[0] for r in lag],
        [("hours since supplier sync", [_num(r[1]) for r in lag], PALETTE[2]),
         ("oldest listing not yet on market (h)", [_num(r[2]) for r in lag], PALETTE[3])],
        unit="h", label_every=1,
    )
    rej = data["rejections"]
    rej_chart = hbar_chart([r[0] for r in rej], [_num(r[1]) for r in rej], "",
                           [MARKET_COLORS.get(r[3], PALETTE[4]) for r in rej])
    sp = data["spend"]
    spend_chart = bar_chart(
        [r[0].isoformat() if isinstance(r[0], date) else str(r[0]) for r in sp],
        [("cost USD", [_num(r[1]) for r in sp], PALETTE[4])], unit="$", label_every=max(1, len(sp) // 8),
    )
    health_table = _table(
        ["supplier", "products", "active", "sold out", "deleted", "quarantined", "no name", "no cost", "no images",
         "no category", "enriched", "completeness", "last sync"],
        [list(r[:11]) + [f"{_num(r[11]) * 100:.0f}%" if r[11] is not None else "", r[12]] for r in data["health"]],
    )
    cat_table = _table(
        ["market", "category", "listings", "avg price", "avg cost", "avg margin", "margin rate", "below cost"],
        [list(r[:6]) + [f"{_num(r[6]) * 100:.1f}%" if r[6] is not None else "", r[7]] for r in data["margin_category"]],
    )
    stock_table = _table(["supplier", "item", "name", "stock", "units/day", "days of cover", "risk"], data["stock_top"])
    briefs = "".join(f'<p><b>{_esc(m)}</b> · {_esc(d)} · {_esc(p)}<br>{_esc(t)}</p>' for m, d, p, t in data.get("briefs", []))
    briefs = f'<section class="wide" id="daily-brief"><h2>Daily brief per market</h2>{briefs}</section>' if briefs else ""
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Dropship analytics</title><style>{CSS}</style></head>
<body>
<header><h1>Dropship analytics</h1><p>generated {_esc(generated_at.strftime('%Y-%m-%d %H:%M UTC'))} · {_esc(source)}</p></header>
<main>
<section class="wide" id="key-numbers"><h2>Key numbers</h2><div class="kpis">{kpis}</div></section>
<section id="margin-by-market"><h2>Gross margin rate by market</h2>{margin_chart}</section>
<section id="margin-total"><h2>Gross margin at list price (₩) by market</h2>{margin_abs}</section>
<section class="wide" id="price-changes"><h2>Price changes per day (up / down)</h2>{price_chart}</section>
<section id="stockouts"><h2>Stock-out risk by supplier</h2>{stock_chart}</section>
<section id="sync-lag"><h2>Sync lag by supplier and market</h2>{lag_chart}</section>
<section id="rejections"><h2>Listing rejections by reason</h2>{rej_chart}</section>
<section id="llm-spend"><h2>LLM spend per day (USD)</h2>{spend_chart}</section>
<section class="wide" id="catalog-health"><h2>Catalog health per supplier</h2>{health_table}</section>
<section class="wide" id="margin-by-category"><h2>Margin by market and category</h2>{cat_table}</section>
<section class="wide" id="stock-top"><h2>Out of stock or at high risk</h2>{stock_table}</section>
{briefs}
</main>
<footer>Gross margin = listing price − supplier cost, before marketplace fees and shipping. Days are UTC.</footer>
</body></html>
"""


def write_report(conn: psycopg.Connection, path: Path | str, schema: str = DEFAULT_SCHEMA, mode: str = "auto") -> dict[str, Any]:
    """Write the page to `path` and return its key numbers.

    mode: `materialized` reads the marts in `schema`; `live` computes every model as a temporary
    view first; `auto` reads the marts when they all exist, else goes live.
    """
    if mode not in ("auto", "materialized", "live"):
        raise ValueError("mode must be auto, materialized or live")
    live = mode == "live" or (mode == "auto" and not _materialized(conn, schema))
    data: dict[str, Any] = {}
    source = f"from the {schema} schema"
    with conn.transaction():
        if live:
            create_temp_views(conn, load_project())
            data = collect(conn, "pg_temp")
            source = "computed live from the store"
            raise psycopg.Rollback()  # the temporary views go with the transaction
        data = collect(conn, schema)
    page = render_html(data, datetime.now(timezone.utc), source)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return data["numbers"]
