"""Every piece of text that becomes marketplace HTML passes an allow-list sanitiser (`nh3`).

Supplier descriptions and model-written ones are untrusted: only the tags and attributes below
survive, `script`/`style` are dropped with their content, URLs must be http(s), comments go.
There is no raw fallback anywhere: what the sanitiser leaves is what is sent, even if empty.
"""

from __future__ import annotations

import html

import nh3

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "s", "span", "div", "hr", "blockquote",
                "ul", "ol", "li", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "td", "th", "img"}
ALLOWED_ATTRIBUTES = {"img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https"}


def clean_html(fragment: str | None) -> str:
    """`fragment` with only allow-listed markup left (text is kept, escaped)."""
    if not fragment:
        return ""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     strip_comments=True, link_rel=None)


def looks_like_html(text: str) -> bool:
    return "<" in text and ">" in text


def description_html(text: str | None) -> str:
    """Marketplace detail HTML for a description: plain text becomes escaped paragraphs, markup
    goes through `clean_html`."""
    text = text or ""
    if looks_like_html(text):
        return clean_html(text)
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """Text a spreadsheet would read as a formula (CSV/Excel injection)."""
    return isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA_START) and len(value.strip()) > 1


def neutralise_cell(value: object) -> object:
    """A cell value safe to write into a spreadsheet: formula-looking text gets a leading `'`."""
    return "'" + value if formula_like(value) else value


def strip_formula_start(value: str | None) -> str | None:
    """Text for a marketplace field that sellers open in spreadsheet exports: leading formula
    characters removed (a title or brand never needs to start with `=`, `+`, `@`)."""
    if not isinstance(value, str):
        return value
    out = value
    while out and out.lstrip(" ").startswith(_FORMULA_START):
        out = out.lstrip(" ")[1:]
    return out.strip()
