"""Reading supplier files the reference way: every sheet of a workbook by python-calamine (cell
by cell into Python values), or a CSV file as text rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from dropship_core.suppliers.excel import ExcelReadError


def read_csv(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """A CSV file's rows, within the limits: its size (as a workbook's unpacked size), its rows,
    and its cells counted as they are read (a file of commas is a million empty cells a line)."""
    from dropship_core.suppliers.excel_limits import ExcelLimitError, check_row_count, check_size, max_cells, \
        max_rows

    check_size(path.name, path.stat().st_size)
    limit_rows, limit_cells = max_rows(), max_cells()
    for enc in ("utf-8-sig", "cp949"):
        try:
            with open(path, encoding=enc, newline="") as f:
                rows, cells = [], 0
                for r in csv.reader(f):
                    rows.append(r)
                    cells += len(r)
                    if len(rows) > limit_rows + 1:
                        check_row_count(path.name, len(rows))
                    if cells > limit_cells:
                        raise ExcelLimitError(f"{path.name}: more than {limit_cells:,} cells by row {len(rows):,}, "
                                              "over the limit (DROPSHIP_EXCEL_MAX_CELLS); not read")
                return [(path.stem, rows)]
        except UnicodeDecodeError:
            continue
    raise ExcelReadError(f"{path.name}: CSV is neither UTF-8 nor CP949 text")


def read_sheets(path: Path, only: set[str] | None = None, checked: bool = False
                 ) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet (or those named in `only`) read by python-calamine: the reference read.
    `checked`: check_workbook was already run on the file."""
    from dropship_core.suppliers.excel_limits import ExcelLimitError, check_row_count, check_workbook

    if path.suffix.lower() == ".csv":
        return read_csv(path)
    try:
        if not checked:
            check_workbook(path)
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        out = []
        for name in wb.sheet_names:
            if only is not None and name not in only:
                continue
            sheet = wb.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            check_row_count(path.name, len(rows))
            out.append((name, rows))
        return out
    except ExcelLimitError:
        raise
    except FileNotFoundError:
        raise ExcelReadError(f"{path}: file not found") from None
    except Exception as e:  # calamine raises its own error types for corrupt or foreign files
        raise ExcelReadError(f"{path.name}: not a readable workbook ({type(e).__name__}: {e})") from None
