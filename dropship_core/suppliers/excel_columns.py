"""Column-wise normalisation of one workbook sheet (polars), for the Excel reader.

A sheet read by calamine is turned into typed columns (text and number halves of every mapped
column), and the per-cell work of the row reader is done as vectorised expressions: header fields
to text, Korean number forms ("12,000원", "3.5천", "1.2만") to whole numbers, lists split, tax and
adult flags, sold-out words. Each row gets a `fast` flag: True only when every expression is known
to give exactly what the row reader gives (plain numbers, no stray control characters, no other
cell types, no value the row reader would refuse). Rows that are not `fast` go through the row
reader itself, so odd and bad rows keep their exact outcome and reason.
"""

from __future__ import annotations

from typing import Any

import polars as pl

# fields read as text / as whole numbers / as lists, by canonical header name
TEXT_FIELDS = ("supplier_sku", "name", "brand", "manufacturer", "model", "origin", "category", "description",
               "image", "tax", "status", "adult", "option_name")
LIST_FIELDS = ("extra_images", "keywords")
NUMBER_FIELDS = ("cost", "stock", "shipping_fee", "consumer_price", "sale_price", "return_fee")

# control characters Python's str.strip() or orjson treat differently from polars: such rows go
# the row reader's way (tab, newline and carriage return are fine)
_ODD_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_PLAIN_NUMBER = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
_NUM_CLEAN = r"(?i)[,\s원₩￦]|KRW"
_LIST_SEP = r"[,\n;|]"
_BIG = 1e15


_NONE = type(None)


def _split_cells(col: list[Any]) -> tuple[pl.Series, pl.Series, pl.Series]:
    """(text cells, number cells, present) of one column. A column of only text or only numbers
    (and blanks), the usual case, becomes one series without a pass per cell in Python."""
    n = len(col)
    kinds = set(map(type, col))
    if kinds <= {str, _NONE}:
        s = pl.Series(col, dtype=pl.String)
        return s, pl.repeat(None, n, dtype=pl.Float64, eager=True), (s.is_not_null() & (s != "")).fill_null(False)
    if kinds <= {float, _NONE}:
        f = pl.Series(col, dtype=pl.Float64, nan_to_null=False)
        return pl.repeat(None, n, dtype=pl.String, eager=True), f, f.is_not_null()
    s = pl.Series([v if v.__class__ is str else None for v in col], dtype=pl.String)
    f = pl.Series([v if v.__class__ is float else None for v in col], dtype=pl.Float64)
    return s, f, pl.Series([v is not None and v != "" for v in col], dtype=pl.Boolean)


def typed_columns(body: list[list[Any]], columns: dict[str, int], width: int, cells=None) -> pl.DataFrame:
    """One frame per sheet body: for each mapped field `s_<f>` (text cells), `f_<f>` (number
    cells) and `o_<f>` (any other cell type: bool, date, ...), plus `nonempty` for the whole row.
    `cells`, when given, is the (text, number, present) split of every column already made (the
    fast read); `body` is then only counted."""
    n = len(body)
    cols: dict[str, Any] = {}
    filled, ctrl = [], []
    mapped = set(columns.values())
    if cells is None:
        rect = not body or min(map(len, body)) == width
        by_column = list(zip(*body)) if rect and body else []
        cells = (_split_cells(by_column[i] if by_column else [r[i] if i < len(r) else None for r in body])
                 for i in range(width))
    for i, (s, f, present) in enumerate(cells):
        filled.append(present.alias(f"p{i}"))
        # every cell by position, for the raw rows an option row adds to its product
        cols[f"c{i}_s"], cols[f"c{i}_f"], cols[f"c{i}_o"] = s, f, present & s.is_null() & f.is_null()
        if i not in mapped:
            # a control character anywhere makes the row a reject (the row reader says which)
            ctrl.append(s.str.contains(_CONTROL).fill_null(False).alias(f"x{i}"))
        for field, idx in columns.items():
            if idx == i:
                cols[f"s_{field}"], cols[f"f_{field}"] = s, f
                # any other cell type (bool, date, int, ...): present, neither text nor number
                cols[f"o_{field}"] = present & s.is_null() & f.is_null()
    frame = pl.DataFrame(cols, height=n)
    if not filled:
        return frame.with_columns(nonempty=pl.lit(False), control=pl.lit(False))
    return frame.with_columns(
        nonempty=pl.DataFrame(filled).select(pl.any_horizontal(pl.all())).to_series(),
        control=pl.DataFrame(ctrl).select(pl.any_horizontal(pl.all())).to_series() if ctrl else pl.lit(False))


def _present(df: pl.DataFrame, field: str) -> bool:
    return f"s_{field}" in df.columns


def _text(df: pl.DataFrame, field: str) -> tuple[pl.Expr, pl.Expr]:
    """(value, ok) of the row reader's `_text` for a field."""
    if not _present(df, field):
        return pl.lit(None, dtype=pl.String), pl.lit(True)
    s, f, o = pl.col(f"s_{field}"), pl.col(f"f_{field}"), pl.col(f"o_{field}")
    st = s.str.strip_chars()
    whole = (f.round(0) == f) & (f.abs() < _BIG)
    value = (pl.when(s.is_not_null() & (st != "")).then(st)
             .when(f.is_not_null() & whole).then(f.cast(pl.Int64).cast(pl.String))
             .otherwise(None))
    ok = (~o & (f.is_null() | whole)).fill_null(False)
    return value, ok


_NUMBER_CELLS = ("cost", "stock", "shipping_fee", "consumer_price", "sale_price", "return_fee", "option_price",
                 "option_stock")


def _number_text(df: pl.DataFrame) -> pl.DataFrame:
    """For every number field's text cells, in two steps so each piece is computed once: the
    Korean unit (만/천) as a multiplier `m_<f>`, the text without units, commas, spaces and
    currency signs `c_<f>`, and `b_<f>` where the cell counts as blank."""
    fields = [f for f in _NUMBER_CELLS if _present(df, f)]
    step: dict[str, pl.Expr] = {}
    for field in fields:
        st = pl.col(f"s_{field}").str.strip_chars()
        man = st.str.ends_with("만원") | st.str.ends_with("만")
        step |= {f"t_{field}": st, f"man_{field}": man,
                 f"chun_{field}": ~man & (st.str.ends_with("천원") | st.str.ends_with("천"))}
    df = df.with_columns(**step)
    step = {}
    for field in fields:
        st, man, chun = pl.col(f"t_{field}"), pl.col(f"man_{field}"), pl.col(f"chun_{field}")
        stripped = (pl.when(man).then(st.str.strip_chars_end("원").str.strip_chars_end("만"))
                    .when(chun).then(st.str.strip_chars_end("원").str.strip_chars_end("천"))
                    .otherwise(st))
        step |= {f"m_{field}": pl.when(man).then(10000.0).when(chun).then(1000.0).otherwise(1.0),
                 f"c_{field}": stripped.str.replace_all(_NUM_CLEAN, ""),
                 f"b_{field}": pl.col(f"s_{field}").is_null() | (st == "") | (st == "-")}
    return df.with_columns(**step)


def _number(df: pl.DataFrame, field: str, allow_negative: bool = False) -> tuple[pl.Expr, pl.Expr]:
    """(value, ok) of the row reader's `parse_number`; ok is False where it would refuse or where
    the text is not a plain decimal (the row reader then decides). Needs `_number_text` first."""
    if not _present(df, field):
        return pl.lit(None, dtype=pl.Int64), pl.lit(True)
    s, f, o = pl.col(f"s_{field}"), pl.col(f"f_{field}"), pl.col(f"o_{field}")
    cleaned, blank = pl.col(f"c_{field}"), pl.col(f"b_{field}")
    plain = cleaned.str.contains(_PLAIN_NUMBER)
    from_text = (cleaned.cast(pl.Float64, strict=False) * pl.col(f"m_{field}")).round(0, mode="half_to_even")
    from_num = f.round(0, mode="half_to_even")
    raw = pl.when(f.is_not_null()).then(from_num).when(~blank & plain).then(from_text).otherwise(None)
    value = raw.cast(pl.Int64, strict=False)
    ok = ~o & (f.is_null() | (f.is_finite() & (f.abs() < _BIG)))
    ok = ok & (s.is_null() | blank | plain)
    if not allow_negative:
        ok = ok & (value.is_null() | (value >= 0))
    return value, ok.fill_null(False)


def _split(text: pl.Expr) -> pl.Expr:
    return (text.str.replace_all(_LIST_SEP, "\x00").str.split("\x00")
            .list.eval(pl.element().str.strip_chars()).list.eval(pl.element().filter(pl.element() != ""))
            .fill_null(pl.lit([], dtype=pl.List(pl.String))))


def _has_option(df: pl.DataFrame) -> pl.Expr:
    if not _present(df, "option_value"):
        return pl.lit(False)
    s, f, o = pl.col("s_option_value"), pl.col("f_option_value"), pl.col("o_option_value")
    return ((s.is_not_null() & (s != "")) | f.is_not_null() | o).fill_null(False)


def _sku(value: pl.Expr) -> pl.Expr:
    return value.str.replace_many(["/", ","], ["-", "-"])


def key_fields(df: pl.DataFrame) -> pl.DataFrame:
    """The fields that say which product a row belongs to, as `normalise` gives them
    (supplier_sku, name, has_option, nonempty): all a chunk that is not built again needs."""
    return df.select(supplier_sku=_sku(_text(df, "supplier_sku")[0]), name=_text(df, "name")[0],
                     has_option=_has_option(df), nonempty=pl.col("nonempty"))


def normalise(df: pl.DataFrame) -> pl.DataFrame:
    """The product fields of every row, computed column-wise, and the `fast` flag. In two passes:
    every field's value and whether the row reader would agree are computed once, then what is
    derived from them refers to the computed columns."""
    df = _number_text(df)
    base: dict[str, pl.Expr] = {}
    oks: list[str] = []
    for field in TEXT_FIELDS + LIST_FIELDS + NUMBER_FIELDS:
        base[field], base[f"ok__{field}"] = _number(df, field) if field in NUMBER_FIELDS else _text(df, field)
        oks.append(f"ok__{field}")
    base["opt_value"], base["ok__opt_value"] = _text(df, "option_value")
    base["opt_price"], base["ok__opt_price"] = _number(df, "option_price", allow_negative=True)
    base["opt_stock"], base["ok__opt_stock"] = _number(df, "option_stock")
    texts = [pl.col(c) for c in df.columns if c.startswith("s_")]
    odd = pl.concat_str(texts, separator="", ignore_nulls=True).str.contains(_ODD_CONTROL) if texts else pl.lit(False)
    base["clean"] = ~odd.fill_null(False) & ~pl.col("control")
    base["has_option"] = _has_option(df)
    kc = pl.lit(True)
    if _present(df, "kc_cert"):
        # a KC certification number becomes the product's notice: the row reader builds that
        kc_s = pl.col("s_kc_cert")
        kc = (kc_s.is_null() | (kc_s.str.strip_chars() == "")) & pl.col("f_kc_cert").is_null()
    base["no_kc"] = kc
    base["nonempty"] = pl.col("nonempty")
    frame = df.select(**base)

    n = pl.col
    exprs: dict[str, pl.Expr] = {f: n(f) for f in TEXT_FIELDS + LIST_FIELDS + NUMBER_FIELDS}
    exprs["supplier_sku"] = _sku(n("supplier_sku"))
    for field in LIST_FIELDS:
        exprs[field] = _split(n(field))
    tax = n("tax").fill_null("과세")
    free = (tax.str.contains("면세", literal=True) | tax.str.to_uppercase().is_in(["FREE", "N"])) & \
        ~tax.str.replace_all("비과세", "", literal=True).str.contains("과세", literal=True)
    exprs["tax"] = pl.when(free).then(pl.lit("FREE")).otherwise(pl.lit("TAX"))
    exprs["adult"] = n("adult").fill_null("").str.to_uppercase().is_in(["Y", "YES", "성인", "TRUE", "1"])
    soldout = pl.lit(False)
    for w in ("품절", "일시품절", "soldout"):
        soldout = soldout | n("status").fill_null("").str.contains(w, literal=True)
    exprs["status"] = pl.when(soldout).then(pl.lit("soldout")).otherwise(pl.lit("active"))
    exprs["has_option"] = n("has_option")
    fast = pl.all_horizontal([n(ok) for ok in oks]) & n("clean") & n("no_kc")
    exprs["fast"] = (fast & n("name").is_not_null() & n("cost").is_not_null() & (n("cost") != 0)).fill_null(False)
    exprs["nonempty"] = n("nonempty")
    exprs.update(_single_option())
    return frame.select(**exprs)


def _single_option() -> dict[str, pl.Expr]:
    """One option in the row (one name, one value: the one-row-per-option layout): its name,
    value, price delta and stock, and `simple_option` where these are exactly the row reader's."""
    n = pl.col
    val, name = n("opt_value"), n("option_name")
    single = val.is_not_null() & ~val.str.contains(_LIST_SEP) & (name.is_null() | ~name.str.contains(r"[/|,]"))
    simple = (n("has_option") & single & n("ok__opt_value") & n("ok__opt_price") & n("ok__opt_stock") & n("clean")
              & n("ok__option_name") & n("ok__stock") & n("ok__supplier_sku") & n("ok__name"))
    slug = val.str.replace_all(r"[^0-9A-Za-z가-힣]+", "").str.slice(0, 20)
    return {"simple_option": simple.fill_null(False), "option_key": name.fill_null("옵션"), "option_value": val,
            "option_delta": n("opt_price").fill_null(0), "option_stock": n("opt_stock"),
            "option_slug": pl.when(slug == "").then(pl.lit("opt")).otherwise(slug)}


def _enc(text: pl.Expr) -> pl.Expr:
    """A JSON string literal as orjson writes it (rows with other control characters are not fast)."""
    # most cells have nothing to escape: a scan for those that do is cheaper than replacing in all
    esc = pl.when(text.str.contains(r'[\\"\n\r\t]')).then(
        text.str.replace_many(["\\", '"', "\n", "\r", "\t"], ["\\\\", '\\"', "\\n", "\\r", "\\t"])
    ).otherwise(text)
    return pl.concat_str(pl.lit('"'), esc, pl.lit('"'))


def _enc_or_null(text: pl.Expr) -> pl.Expr:
    return pl.when(text.is_null()).then(pl.lit("null")).otherwise(_enc(text))


def _int_or_null(num: pl.Expr) -> pl.Expr:
    return num.cast(pl.String).fill_null("null")


def _enc_list(lst: pl.Expr) -> pl.Expr:
    inner = lst.list.eval(_enc(pl.element())).list.join(",")
    return pl.concat_str(pl.lit("["), inner, pl.lit("]"))


def _raw_json(df: pl.DataFrame, columns: dict[str, int]) -> dict[str, pl.Expr]:
    """The product's `raw` (mapped cells that are not blank, as read) in two halves around where
    `option_rows` sorts (null when a half is empty), and whether it is exact here (a number cell
    that is not whole is left to orjson)."""
    halves: dict[str, list[pl.Expr]] = {"lo": [], "hi": []}
    ok = pl.lit(True)
    for field in sorted(columns):
        s, f = pl.col(f"s_{field}"), pl.col(f"f_{field}")
        whole = (f.round(0) == f) & (f.abs() < _BIG)
        halves["lo" if field < "option_rows" else "hi"].append(
            pl.when(s.is_not_null() & (s != "")).then(pl.concat_str(pl.lit(f'"{field}":'), _enc(s)))
            .when(f.is_not_null()).then(pl.concat_str(pl.lit(f'"{field}":'), f.cast(pl.Int64, strict=False)
                                                      .cast(pl.String), pl.lit(".0"))))
        ok = ok & (f.is_null() | whole)
    out = {"__raw_ok": ok.fill_null(False)}
    for half, parts in halves.items():
        body = pl.concat_str(parts, separator=",", ignore_nulls=True) if parts else pl.lit("")
        out[f"__raw_{half}"] = pl.when(body == "").then(None).otherwise(body)
    return out


def product_json(df: pl.DataFrame, norm: pl.DataFrame, columns: dict[str, int], supplier_key: str,
                 default_shipping_fee: int, width: int) -> pl.DataFrame:
    """Canonical JSON (sorted keys, orjson's bytes) of every fast row without options and of every
    product opened by a one-option row with the option rows that follow it (excel_groups); null
    for the rows left to the Python path. With `sold` (the product's status is sold out) and
    `g_size` (rows of the product's group; null for a product of one row without options)."""
    from dropship_core.suppliers.excel_groups import option_groups

    n = pl.col
    plain = n("fast") & n("__raw_ok") & n("supplier_sku").is_not_null()
    frame = norm.with_columns(df.select(**_raw_json(df, columns)))
    frame = frame.with_columns(option_groups(df, frame, plain & n("simple_option"), width))
    option_rows = pl.concat_str(pl.lit('"option_rows":['), n("g_option_rows"), pl.lit("]"))
    raw = pl.concat_str(pl.lit("{"), pl.concat_str([n("__raw_lo"), option_rows, n("__raw_hi")], separator=",",
                                                   ignore_nulls=True), pl.lit("}"))
    group = n("g_size").is_not_null()
    frame = frame.with_columns(__raw=raw, __stock=pl.when(group).then(n("g_stock")).otherwise(n("stock")))
    stock = n("__stock")
    sold = (n("status") == "soldout") | (stock == 0)
    image = n("image")
    if _present(df, "extra_images"):
        images = _enc_list(pl.when(image.is_null()).then(n("extra_images")).otherwise(
            pl.concat_list(pl.concat_list(image), n("extra_images"))))
    else:  # the usual sheet: one image column, no list to build
        images = pl.when(image.is_null()).then(pl.lit("[]")).otherwise(pl.concat_str(pl.lit("["), _enc(image),
                                                                                       pl.lit("]")))
    fields = {
        "adult": pl.when(n("adult")).then(pl.lit("true")).otherwise(pl.lit("false")),
        "brand": _enc_or_null(n("brand")), "category_path": _enc_or_null(n("category")),
        "consumer_price": _int_or_null(n("consumer_price")), "cost": _int_or_null(n("cost")),
        "description": _enc_or_null(n("description")), "images": images,
        "keywords": _enc_list(n("keywords")) if _present(df, "keywords") else pl.lit("[]"), "manufacturer": _enc_or_null(n("manufacturer")),
        "model": _enc_or_null(n("model")), "name": _enc_or_null(n("name")), "notice": pl.lit("{}"),
        "origin": _enc_or_null(n("origin")), "raw": pl.col("__raw"), "return_fee": _int_or_null(n("return_fee")),
        "shipping_fee": n("shipping_fee").fill_null(default_shipping_fee).cast(pl.String),
        "status": pl.when(sold).then(pl.lit('"soldout"')).otherwise(pl.lit('"active"')),
        "stock": _int_or_null(stock), "suggested_price": _int_or_null(n("sale_price")),
        "supplier_item_id": _enc(n("supplier_sku")), "supplier_key": _enc(pl.lit(supplier_key)),
        "tax_type": _enc(n("tax")), "variants": pl.when(group).then(n("g_variants")).otherwise(pl.lit("[]")),
    }
    parts = []
    for i, key in enumerate(sorted(fields)):
        parts += [pl.lit(("{" if i == 0 else ",") + f'"{key}":'), fields[key]]
    parts.append(pl.lit("}"))
    usable = group | (plain & ~n("has_option"))
    return frame.select(json=pl.when(usable).then(pl.concat_str(parts)).cast(pl.Binary), sold=sold.fill_null(False),
                        g_size=n("g_size"))
