"""Naver Shopping search (`GET /v1/search/shop.json`) as a source of competitor prices.

    client = NaverShopSearch.from_env(budget=store_budget, cache=store_cache)
    result = client.search("에어쿨 핸디 선풍기 FAN-200", display=100, sort="sim")

- Auth: `X-Naver-Client-Id` / `X-Naver-Client-Secret` from the environment (NAVER_SEARCH_CLIENT_ID,
  NAVER_SEARCH_CLIENT_SECRET); never logged, never in an error message.
- `display` 1..100, `sort` sim | date | asc | dsc, checked before any call.
- A daily call budget (25,000 per application by default; the caller persists it, see
  `dropship_core.evidence.store`) is taken before each request; when it is spent the client
  raises `SearchBudgetExhausted` instead of calling.
- Responses are cached per normalised query (+ display, sort): the same product listed on three
  markets costs one call.
- Items are parsed leniently (numbers arrive as strings, `hprice` may be ""), `<b>` tags are
  stripped and HTML entities unescaped.

Matching a supplier product to search items lives in `dropship_core.evidence.matching`.
No Dagster here.
"""

from __future__ import annotations

import html
import json
import os
import re
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import httpx

DEFAULT_BASE_URL = "https://openapi.naver.com"
SHOP_PATH = "/v1/search/shop.json"
DAILY_LIMIT = 25_000
SORTS = ("sim", "date", "asc", "dsc")
SOURCE = "naver_shopping"
KST = timezone(timedelta(hours=9))
_TAG = re.compile(r"</?b>", re.IGNORECASE)


class NaverSearchError(RuntimeError):
    """A rejected call: HTTP status, Naver's errorCode/errorMessage and the response body."""

    def __init__(self, status: int, code: str, message: str, body: str = ""):
        super().__init__(f"Naver search HTTP {status} {code}: {message}")
        self.status, self.code, self.message, self.body = status, code, message, body


class SearchBudgetExhausted(RuntimeError):
    pass


class CallBudget(Protocol):
    def take(self, app_id: str, day: str, limit: int) -> bool:
        """Count one call for `app_id` on `day` (KST); False when `limit` is already reached."""


class SearchCache(Protocol):
    def get(self, source: str, key: str, max_age_s: float) -> dict[str, Any] | None: ...

    def put(self, source: str, key: str, response: dict[str, Any]) -> None: ...


class MemoryBudget:
    def __init__(self):
        self.calls: Counter[tuple[str, str]] = Counter()

    def take(self, app_id: str, day: str, limit: int) -> bool:
        if self.calls[(app_id, day)] >= limit:
            return False
        self.calls[(app_id, day)] += 1
        return True


class MemoryCache:
    def __init__(self):
        self.data: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    def get(self, source, key, max_age_s):
        hit = self.data.get((source, key))
        return hit[1] if hit and time.time() - hit[0] <= max_age_s else None

    def put(self, source, key, response):
        self.data[(source, key)] = (time.time(), response)


def strip_tags(title: str) -> str:
    return html.unescape(_TAG.sub("", title or "")).strip()


def normalise_query(query: str) -> str:
    q = unicodedata.normalize("NFKC", query or "").lower()
    return " ".join(q.split())


def _int(v: Any) -> int | None:
    """Naver sends numbers as strings; '' or '0' mean unknown."""
    try:
        n = int(str(v).strip())
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


@dataclass
class SearchItem:
    title: str
    lprice: int | None
    hprice: int | None
    mall_name: str
    product_id: str
    product_type: int | None
    brand: str = ""
    maker: str = ""
    categories: tuple[str, ...] = ()
    link: str = ""

    @property
    def category_path(self) -> str:
        return ">".join(c for c in self.categories if c)

    @property
    def catalog_backed(self) -> bool:
        """Types 1 and 3 (and their 중고/단종/판매예정 twins) are price-comparison catalogs or
        listings matched to one; 2 is a lone listing."""
        return self.product_type is not None and (self.product_type - 1) % 3 != 1

    @property
    def is_new_on_sale(self) -> bool:
        return self.product_type in (1, 2, 3)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["categories"] = list(self.categories)
        return d


def parse_item(d: dict[str, Any]) -> SearchItem:
    return SearchItem(
        title=strip_tags(str(d.get("title", ""))), lprice=_int(d.get("lprice")), hprice=_int(d.get("hprice")),
        mall_name=str(d.get("mallName") or "네이버"), product_id=str(d.get("productId") or ""),
        product_type=_int(d.get("productType")), brand=strip_tags(str(d.get("brand") or "")),
        maker=strip_tags(str(d.get("maker") or "")),
        categories=tuple(str(d.get(f"category{i}") or "") for i in range(1, 5)), link=str(d.get("link") or ""))


@dataclass
class SearchResult:
    query: str
    total: int
    items: list[SearchItem]
    fetched_at: float
    from_cache: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def category_votes(items: list[SearchItem] | list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Naver category paths ("디지털/가전>계절가전>선풍기>휴대용선풍기") with how many search items
    carry each, most votes first (ties by path). Items may be parsed or raw dicts."""
    votes: Counter[str] = Counter()
    for it in items:
        item = it if isinstance(it, SearchItem) else parse_item(it)
        if item.category_path:
            votes[item.category_path] += 1
    return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))


def today_kst() -> str:
    return datetime.now(KST).date().isoformat()


class NaverShopSearch:
    def __init__(self, client_id: str, client_secret: str, *, base_url: str = DEFAULT_BASE_URL,
                 budget: CallBudget | None = None, cache: SearchCache | None = None,
                 daily_limit: int = DAILY_LIMIT, cache_ttl_s: float = 24 * 3600, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None, retry_rate_limit: int = 2):
        if not client_id or not client_secret:
            raise ValueError("Naver search needs a client id and secret (NAVER_SEARCH_CLIENT_ID / _SECRET)")
        self.client_id, self._secret = client_id, client_secret
        self.base_url = base_url.rstrip("/")
        self.budget, self.cache = budget or MemoryBudget(), cache or MemoryCache()
        self.daily_limit, self.cache_ttl_s = daily_limit, cache_ttl_s
        self.retry_rate_limit = retry_rate_limit
        self.calls = 0  # HTTP requests made by this client
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"NaverShopSearch(base_url={self.base_url!r}, client_id={self.client_id!r})"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **kw: Any) -> "NaverShopSearch | None":
        """None when the credentials are not configured (the evidence is then simply absent)."""
        e = os.environ if env is None else env
        cid, secret = e.get("NAVER_SEARCH_CLIENT_ID", ""), e.get("NAVER_SEARCH_CLIENT_SECRET", "")
        if not (cid and secret):
            return None
        limit = e.get("NAVER_SEARCH_DAILY_LIMIT", "").strip()
        return cls(cid, secret, base_url=e.get("NAVER_SEARCH_URL") or DEFAULT_BASE_URL,
                   daily_limit=int(limit) if limit else DAILY_LIMIT, **kw)

    def close(self) -> None:
        self._http.close()

    def cache_key(self, query: str, display: int, sort: str) -> str:
        return f"{normalise_query(query)}|{display}|{sort}"

    def search(self, query: str, display: int = 100, sort: str = "sim") -> SearchResult:
        if not normalise_query(query):
            raise ValueError("empty search query")
        if not 1 <= int(display) <= 100:
            raise ValueError(f"display must be 1..100, got {display}")
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, got {sort!r}")
        key = self.cache_key(query, display, sort)
        cached = self.cache.get(SOURCE, key, self.cache_ttl_s)
        if cached is not None:
            return self._result(query, cached, from_cache=True)
        body = self._get({"query": normalise_query(query), "display": int(display), "sort": sort})
        body["_fetched_at"] = time.time()
        self.cache.put(SOURCE, key, body)
        return self._result(query, body, from_cache=False)

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        headers = {"X-Naver-Client-Id": self.client_id, "X-Naver-Client-Secret": self._secret}
        for attempt in range(self.retry_rate_limit + 1):
            if not self.budget.take(self.client_id, today_kst(), self.daily_limit):
                raise SearchBudgetExhausted(f"the daily Naver search budget ({self.daily_limit:,} calls) is spent")
            self.calls += 1
            resp = self._http.get(self.base_url + SHOP_PATH, params=params, headers=headers)
            if resp.status_code == 200:
                return resp.json()
            code, message = _error_of(resp)
            if resp.status_code == 429 and code == "012" and attempt < self.retry_rate_limit:
                time.sleep(1.0)  # the per-second limit: back off about a second
                continue
            if resp.status_code == 429 and code == "010":
                raise SearchBudgetExhausted(f"Naver reports the daily quota spent ({message})")
            raise NaverSearchError(resp.status_code, code, message, resp.text[:2000])
        raise AssertionError("unreachable")

    @staticmethod
    def _result(query: str, body: dict[str, Any], from_cache: bool) -> SearchResult:
        items = [parse_item(d) for d in body.get("items") or [] if isinstance(d, dict)]
        return SearchResult(query, int(body.get("total") or 0), items, float(body.get("_fetched_at") or time.time()),
                            from_cache, body)


def _error_of(resp: httpx.Response) -> tuple[str, str]:
    try:
        doc = resp.json()
    except (json.JSONDecodeError, ValueError):
        return "", resp.text[:200]
    if not isinstance(doc, dict):
        return "", str(doc)[:200]
    return str(doc.get("errorCode", "")), str(doc.get("errorMessage", ""))
