"""A local Naver Shopping search API (`GET /v1/search/shop.json`) that checks what the real one
checks (docs: the Naver Open API guide, shopping.md and
errorcode.md):

- `X-Naver-Client-Id` and `X-Naver-Client-Secret` must both match the app's: 401 `024`
  "Authentication failed" otherwise;
- `query` required (SE01), `display` 1..100 (SE02), `start` 1..1000 (SE03), `sort`
  sim|date|asc|dsc (SE04); any other path under /v1/search is 404 SE05;
- a daily quota per Client ID (429 `010` "Query limit exceeded") and a per-second one (429 `012`);
- the error body `{"errorMessage": ..., "errorCode": ...}`;
- items carry numbers as strings, `<b>` around the query's words in `title`, `hprice` "" when
  there is no price comparison, `mallName` "네이버" for catalog entries.

The market is a list of offers (Naver item dicts without the `<b>` tags). `market_from_products`
builds a plausible one from a seller's catalog: for most products a few exact offers around the
product's cost, for some cheaper competitors, and decoys a matcher must refuse (accessories,
bundles, other sizes, used items). Admin (not part of the API): `POST /__offers` (replace the
offers), `POST /__market_from_products`, `POST /__faults` `{"status": 500, "code": "SE99",
"times": 1}`, `GET /__calls`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter, deque
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SANDBOX_CLIENT_ID = "sandbox-naver-search-id"
SANDBOX_CLIENT_SECRET = "sandbox-naver-search-secret"
KST = timezone(timedelta(hours=9))
SORTS = ("sim", "date", "asc", "dsc")
ERRORS = {
    "SE01": "Incorrect query request (잘못된 쿼리요청입니다.)",
    "SE02": "Invalid display value (부적절한 display 값입니다.)",
    "SE03": "Invalid start value (부적절한 start 값입니다.)",
    "SE04": "Invalid sort value (부적절한 sort 값입니다.)",
    "SE05": "Invalid search api (존재하지 않는 검색 api 입니다.)",
    "SE99": "System Error (시스템 에러)",
    "024": "Authentication failed (인증에 실패했습니다.)",
    "010": "Query limit exceeded",
    "012": "Rate limit exceeded. (속도 제한을 초과했습니다.)",
}


def _err(status: int, code: str, message: str | None = None) -> JSONResponse:
    return JSONResponse({"errorMessage": message or ERRORS[code], "errorCode": code}, status_code=status)


def _words(s: str) -> list[str]:
    return [w for w in re.split(r"\s+", (s or "").lower().replace("-", "")) if w]


class NaverSearchSandbox:
    def __init__(self, client_id: str = SANDBOX_CLIENT_ID, client_secret: str = SANDBOX_CLIENT_SECRET, *,
                 daily_limit: int = 25_000, per_second: int = 10, offers: list[dict[str, Any]] | None = None):
        self.client_id, self.client_secret = client_id, client_secret
        self.daily_limit, self.per_second = daily_limit, per_second
        self.offers: list[dict[str, Any]] = list(offers or [])
        self.lock = threading.Lock()
        self.day_calls: Counter[tuple[str, str]] = Counter()
        self.recent: dict[str, deque] = {}
        self.faults: deque[tuple[int, str, str]] = deque()
        self.requests: list[dict[str, Any]] = []  # accepted searches: query, display, sort, start
        self.status_counts: Counter[int] = Counter()
        self.app = Starlette(routes=[
            Route("/v1/search/shop.json", self.shop, methods=["GET"]),
            Route("/v1/search/{rest:path}", self.unknown, methods=["GET", "POST"]),
            Route("/__offers", self.admin_offers, methods=["POST", "GET"]),
            Route("/__market_from_products", self.admin_market, methods=["POST"]),
            Route("/__faults", self.admin_faults, methods=["POST"]),
            Route("/__calls", self.admin_calls, methods=["GET"]),
        ])

    # ---- the API ------------------------------------------------------------------------------

    async def unknown(self, request: Request):
        return self._count(_err(404, "SE05"))

    def _gate(self, request: Request) -> JSONResponse | None:
        cid = request.headers.get("x-naver-client-id")
        secret = request.headers.get("x-naver-client-secret")
        if cid != self.client_id or secret != self.client_secret:
            return _err(401, "024")
        with self.lock:
            if self.faults:
                status, code, msg = self.faults.popleft()
                return _err(status, code, msg or ERRORS.get(code, "error"))
            day = datetime.now(KST).date().isoformat()
            if self.day_calls[(cid, day)] >= self.daily_limit:
                return _err(429, "010")
            if self.per_second:
                q = self.recent.setdefault(cid, deque())
                now = time.monotonic()
                while q and now - q[0] >= 1.0:
                    q.popleft()
                if len(q) >= self.per_second:
                    return _err(429, "012")
                q.append(now)
            self.day_calls[(cid, day)] += 1
        return None

    def _count(self, resp: JSONResponse) -> JSONResponse:
        with self.lock:
            self.status_counts[resp.status_code] += 1
        return resp

    async def shop(self, request: Request):
        denied = self._gate(request)
        if denied is not None:
            return self._count(denied)
        p = request.query_params
        query = p.get("query", "").strip()
        if not query:
            return self._count(_err(400, "SE01"))
        try:
            display, start = int(p.get("display", "10")), int(p.get("start", "1"))
        except ValueError:
            return self._count(_err(400, "SE02"))
        if not 1 <= display <= 100:
            return self._count(_err(400, "SE02"))
        if not 1 <= start <= 1000:
            return self._count(_err(400, "SE03"))
        sort = p.get("sort", "sim")
        if sort not in SORTS:
            return self._count(_err(400, "SE04"))
        with self.lock:
            self.requests.append({"query": query, "display": display, "start": start, "sort": sort})
        hits = self.search(query, sort)
        page = hits[start - 1:start - 1 + display]
        body = {"lastBuildDate": datetime.now(KST).strftime("%a, %d %b %Y %H:%M:%S +0900"), "total": len(hits),
                "start": start, "display": len(page), "items": [self._render(o, query) for o in page]}
        return self._count(JSONResponse(body))

    def search(self, query: str, sort: str) -> list[dict[str, Any]]:
        words = _words(query)
        scored = []
        for i, o in enumerate(self.offers):
            hay = " ".join(_words(f"{o['title']} {o.get('brand', '')} {o.get('maker', '')}"))
            hits = sum(1 for w in words if w in hay)
            if hits == len(words):
                scored.append((hits, i, o))
        if sort == "asc":
            scored.sort(key=lambda t: int(t[2]["lprice"] or 0))
        elif sort == "dsc":
            scored.sort(key=lambda t: -int(t[2]["lprice"] or 0))
        elif sort == "date":
            scored.sort(key=lambda t: -t[1])
        return [o for _, _, o in scored]

    @staticmethod
    def _render(o: dict[str, Any], query: str) -> dict[str, Any]:
        title = o["title"]
        for w in sorted(set(query.split()), key=len, reverse=True):
            title = re.sub(re.escape(w), lambda m: f"<b>{m.group(0)}</b>", title, flags=re.IGNORECASE)
        out = {k: ("" if v is None else str(v)) for k, v in o.items()}
        out["title"] = title.replace("&", "&amp;")
        return out

    # ---- admin --------------------------------------------------------------------------------

    async def admin_offers(self, request: Request):
        if request.method == "POST":
            self.offers = list(await request.json())
        return JSONResponse({"offers": len(self.offers)})

    async def admin_market(self, request: Request):
        doc = await request.json()
        self.offers = market_from_products(doc.get("products", []), seed=int(doc.get("seed", 1)))
        return JSONResponse({"offers": len(self.offers)})

    async def admin_faults(self, request: Request):
        doc = await request.json()
        with self.lock:
            for _ in range(int(doc.get("times", 1))):
                self.faults.append((int(doc.get("status", 500)), str(doc.get("code", "SE99")), doc.get("message")))
        return JSONResponse({"queued": len(self.faults)})

    async def admin_calls(self, request: Request):
        with self.lock:
            return JSONResponse({"by_day": {f"{k[0]}|{k[1]}": v for k, v in self.day_calls.items()},
                                 "by_status": {str(k): v for k, v in self.status_counts.items()},
                                 "searches": len(self.requests)})


def create_app(**kw: Any) -> Starlette:
    return NaverSearchSandbox(**kw).app


def seed_from_store(sandbox_url: str, database_url: str, seed: int = 7) -> int:
    """Demo set-up: give the sandbox a market built from the products in the store, over HTTP."""
    import httpx
    import psycopg

    with psycopg.connect(database_url) as conn:
        products = [{"name": n, "brand": b, "cost": c, "category_path": ""} for n, b, c in conn.execute(
            "SELECT raw_data->>'name', coalesce(raw_data->>'brand', raw_data->>'manufacturer'),"
            " (raw_data->>'cost')::numeric::int FROM source_data WHERE status <> 'deleted'"
            " AND jsonb_typeof(raw_data->'cost') = 'number'")]
    r = httpx.post(f"{sandbox_url}/__market_from_products", json={"products": products, "seed": seed}, timeout=60)
    r.raise_for_status()
    return int(r.json()["offers"])


# ---- a plausible market for a catalog -----------------------------------------------------------

MALLS = ("쿠팡", "11번가", "G마켓", "옥션", "SSG닷컴", "위메프", "리빙마켓", "홈앤데코", "생활백화점", "스마트몰")


def _offer(title, lprice, mall, pid, ptype, brand, cats, hprice=None) -> dict[str, Any]:
    doc = {"title": title, "link": f"https://search.shopping.naver.com/catalog/{pid}", "image": "",
           "lprice": int(lprice), "hprice": hprice if hprice is not None else "", "mallName": mall,
           "productId": pid, "productType": ptype, "brand": brand, "maker": brand}
    for i in range(4):
        doc[f"category{i + 1}"] = cats[i] if i < len(cats) else ""
    return doc


def _round10(x: float) -> int:
    return int(round(x / 10.0)) * 10


def market_from_products(products: list[dict[str, Any]], seed: int = 1) -> list[dict[str, Any]]:
    """Offers for a catalog. Each product is {"name", "brand", "cost", "category_path"}. One
    market per distinct product: names equal after dropping promo text are the same product,
    priced from the median of their costs (several wholesalers may carry it). Its share of the
    market is fixed by a hash of the name and `seed`:

    45% no offer; 35% exact offers priced 1.4-1.9 x cost (sellers who buy dearer than a
    wholesale-sourcing dropshipper); 6% a cheaper exact offer (1.15-1.25 x cost) among dearer
    ones; 14% decoys only (accessory, 2-pack bundle, used item). Every product with offers also
    gets one decoy."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in products:
        name = str(p.get("name") or "")
        if name and int(p.get("cost") or 0) > 0:
            groups.setdefault(_market_name(name), []).append(p)
    offers: list[dict[str, Any]] = []
    for title0, ps in sorted(groups.items()):
        costs = sorted(int(p["cost"]) for p in ps)
        offers.extend(_offers_for(title0, str(ps[0].get("brand") or ""), costs[len(costs) // 2],
                                  str(ps[0].get("category_path") or ""), seed))
    return offers


_PROMO_WORDS = ("최저가", "특가", "무료배송", "당일발송", "당일출고", "정품", "신상", "인기", "초특가")


def _market_name(name: str) -> str:
    base = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", name)
    return " ".join(w for w in base.split() if w not in _PROMO_WORDS)


def _offers_for(base: str, brand: str, cost: int, category_path: str, seed: int) -> list[dict[str, Any]]:
    h = hashlib.sha256(f"{seed}:{base}".encode()).digest()
    bucket, r = h[0] * 100 // 256, [b / 255 for b in h[1:12]]
    cats = [c for c in re.split(r"\s*>\s*", category_path) if c][:4]
    title = base if not brand or brand in base else f"{brand} {base}"
    pid = int.from_bytes(h[12:17], "big") % 10**11
    decoys = [_offer(f"{title} 전용 보호 케이스", _round10(cost * 0.3), MALLS[h[17] % 10], str(pid + 1), 2, "", cats),
              _offer(f"{title} 2개 세트", _round10(cost * 2.4), MALLS[h[18] % 10], str(pid + 2), 2, brand, cats),
              _offer(title, _round10(cost * 0.7), "중고나라", str(pid + 3), 5, brand, cats)]
    if bucket < 45:
        return []
    if bucket >= 86:
        return decoys
    n = 1 + int(r[0] * 4)
    prices = [cost * (1.4 + 0.5 * r[1 + i]) for i in range(n)]
    if 80 <= bucket < 86:
        prices.append(cost * (1.15 + 0.10 * r[6]))
    out = []
    for i, pr in enumerate(prices):
        catalog = i == 0 and n >= 3
        out.append(_offer(title, _round10(pr), "네이버" if catalog else MALLS[(h[19] + i) % 10],
                          str(pid + 10 + i), 1 if catalog else 3, brand, cats,
                          hprice=_round10(max(prices) * 1.1) if catalog else None))
    out.append(decoys[int(r[7] * 3) % 3])
    return out
