"""Dataframes out as spreadsheets sellers open in Excel: Korean headers, number formats,
frozen header row, column widths, and text that Excel would run as a formula neutralised.

`write_xlsx(path, {sheet name: DataFrame})` and `write_csv(path, df)` (UTF-8 with BOM, so Excel
reads the Korean headers). Columns without a Korean name keep their own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import pandas as pd

# column -> (Korean header, number format)
WON = '#,##0"원"'
COUNT = "#,##0"
PCT = "0.0%"
HOURS = '#,##0.0"시간"'
USD = '"$"#,##0.0000'
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"

COLUMNS: dict[str, tuple[str, str | None]] = {
    "market": ("마켓", None), "category_path": ("카테고리", None), "supplier_key": ("공급사", None),
    "supplier_item_id": ("공급사 상품코드", None), "name": ("상품명", None), "reason": ("사유", None),
    "stage": ("단계", None), "risk": ("품절 위험", None), "status": ("상태", None), "model": ("모델", None),
    "listings": ("상품 수", COUNT), "published": ("게시 중", COUNT), "products": ("상품 수", COUNT),
    "active": ("판매 중", COUNT), "sold_out": ("품절", COUNT), "deleted": ("삭제", COUNT),
    "enriched": ("AI 보강", COUNT), "quarantined_open": ("격리(미해결)", COUNT),
    "quarantined_total": ("격리(전체)", COUNT), "missing_name": ("상품명 없음", COUNT),
    "missing_cost": ("공급가 없음", COUNT), "missing_images": ("이미지 없음", COUNT),
    "missing_category": ("카테고리 없음", COUNT), "missing_brand": ("브랜드 없음", COUNT),
    "negative_margin_listings": ("역마진 상품 수", COUNT), "out_of_sync_listings": ("미반영 상품 수", COUNT),
    "occurrences": ("건수", COUNT), "increases": ("인상", COUNT), "decreases": ("인하", COUNT),
    "changes": ("변경", COUNT), "calls": ("호출 수", COUNT), "cached_calls": ("캐시 호출", COUNT),
    "input_tokens": ("입력 토큰", COUNT), "output_tokens": ("출력 토큰", COUNT), "total_tokens": ("토큰 합계", COUNT),
    "stock": ("재고", COUNT), "enrichment_stale": ("보강 갱신 필요", COUNT),
    "avg_price": ("평균 판매가", WON), "avg_cost": ("평균 공급가", WON), "avg_margin": ("평균 마진", WON),
    "total_price": ("판매가 합계", WON), "total_margin": ("마진 합계", WON), "price": ("판매가", WON),
    "cost": ("공급가", WON), "old_price": ("이전 가격", WON), "new_price": ("새 가격", WON),
    "margin_rate": ("마진율", PCT), "completeness": ("완성도", PCT), "avg_pct_change": ("평균 변동률", PCT),
    "max_abs_pct_change": ("최대 변동률", PCT), "price_change_rate": ("가격 변동률", PCT),
    "decision_id": ("결정 번호", None), "created_at": ("생성 시각", DATETIME),
    "supplier_sync_age_hours": ("공급사 동기화 경과", HOURS), "market_push_age_hours": ("마켓 반영 경과", HOURS),
    "oldest_out_of_sync_hours": ("최장 미반영", HOURS), "daily_depletion": ("일 소진량", "#,##0.0"),
    "days_of_cover": ("재고 일수", "#,##0.0"), "avg_quality_score": ("평균 품질 점수", "0.00"),
    "cost_usd": ("비용(USD)", USD),
    "last_success": ("마지막 성공", DATETIME), "supplier_last_success": ("공급사 마지막 성공", DATETIME),
    "last_push_at": ("마지막 반영", DATETIME), "last_published_at": ("마지막 게시", DATETIME),
    "oldest_out_of_sync": ("최장 미반영 시작", DATETIME), "last_product_update": ("마지막 상품 변경", DATETIME),
    "last_seen": ("마지막 확인", DATETIME), "seen_at": ("확인 시각", DATETIME),
    "change_day": ("날짜", DATE), "usage_day": ("날짜", DATE),
}

_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def neutralise(value):
    """Text Excel would evaluate (`=cmd|...`, `@SUM(...)`, `+`, `-`) is kept as text."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def for_sellers(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The frame with Korean headers, Excel-safe values (text neutralised, times in Korea time
    without a zone) and {Korean header: number format}."""
    out = pd.DataFrame(index=df.index)
    formats: dict[str, str] = {}
    used: set[str] = set()
    for col in df.columns:
        header, fmt = COLUMNS.get(col, (col, None))
        if header in used:
            header = f"{header} ({col})"
        used.add(header)
        s = df[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("Asia/Seoul").dt.tz_localize(None)
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            s = s.map(neutralise)
            if s.map(lambda v: hasattr(v, "utcoffset") and v.utcoffset() is not None).any():
                s = pd.to_datetime(s, utc=True).dt.tz_convert("Asia/Seoul").dt.tz_localize(None)
            elif col in COLUMNS and fmt not in (None, DATE, DATETIME):
                s = pd.to_numeric(s, errors="coerce")   # Decimal from Postgres -> a number Excel formats
        out[header] = s
        if fmt:
            formats[header] = fmt
    return out, formats


def sheet_name(name: str) -> str:
    return _SHEET_BAD.sub("_", name)[:31] or "sheet"


def write_xlsx(path: Path | str, frames: Mapping[str, pd.DataFrame]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in frames.items():
            sheet = sheet_name(name)
            data, formats = for_sellers(df)
            data.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for idx, header in enumerate(data.columns, start=1):
                letter = ws.cell(row=1, column=idx).column_letter
                fmt = formats.get(header)
                if fmt:
                    for cell in ws[letter][1:]:
                        cell.number_format = fmt
                for cell in ws[letter][1:]:
                    if isinstance(cell.value, str) and cell.data_type == "f":
                        cell.data_type = "s"   # never a formula
                width = max([len(str(header)) * 2] + [len(str(v)) for v in data.iloc[:200, idx - 1].tolist()])
                ws.column_dimensions[letter].width = min(60, max(8, width + 2))
    return path


def write_csv(path: Path | str, df: pd.DataFrame) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data, _ = for_sellers(df)
    data.to_csv(path, index=False, encoding="utf-8-sig")
    return path
