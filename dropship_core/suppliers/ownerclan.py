"""OwnerClan (오너클랜) seller API connector: JWT auth + GraphQL, full and incremental sync.

Wire contract: contracts/marketplaces-and-suppliers.md §4 and examples/ownerclan.md.
- Auth: POST {auth_url} JSON {"service":"ownerclan","userType":"seller",username,password};
  the body is the JWT as plain text. On 401 or an UNAUTHENTICATED GraphQL error we re-authenticate
  once per request.
- Full sync: `allItems(first ≤ 1000, after)` until `hasNextPage` is false -> `complete=True`.
- Incremental: `itemHistories(dateFrom)` (which items changed) plus `allItems(dateFrom)` (new or
  updated items), then the changed items by key. An item no longer returned is a deletion.
- GraphQL errors arrive with HTTP 200; `Too many requests.` is a rate limit, retried with backoff.

UNVERIFIED (tolerated, configurable): whether `dateFrom` is seconds or milliseconds (`date_unit`),
whether the batch query is `items` or `itemsByKeys` (`batch_query`), and whether `allItems(dateFrom)`
filters on createdAt or updatedAt (we union it with itemHistories either way).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from dropship_core.http import (RetriesExhausted, Retryable, redact, short)
from dropship_core.model import STATUS_ACTIVE, STATUS_DELETED, STATUS_SOLDOUT, CanonicalProduct, Variant
from dropship_core.suppliers.base import http_parts, SYNC_FULL, SYNC_INCREMENTAL, FetchResult, Reject, SupplierError

SERVICE = "ownerclan"  # the metrics label of this supplier API (never the account key)

PRODUCTION_AUTH_URL = "https://auth.ownerclan.com/auth"
PRODUCTION_API_URL = "https://api.ownerclan.com/v1/graphql"
NOT_TRACKED = 9999  # OwnerClan's "재고파악안함" quantity

ITEM_FIELDS = """
fragment ItemFields on Item {
  createdAt updatedAt key id name model production origin price pricePolicy fixedPrice
  searchKeywords category { key name fullName } content shippingFee shippingType
  images(size: large) status options { optionAttributes { name value } price quantity key }
  taxFree adultOnly returnable noReturnReason guaranteedShippingPeriod openmarketSellable
  boxQuantity attributes closingTime metadata
}
"""
ALL_ITEMS = """
query AllItems($first: Int, $after: String, $dateFrom: Float) {
  allItems(first: $first, after: $after, dateFrom: $dateFrom) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...ItemFields } }
  }
}
""" + ITEM_FIELDS
ITEM_HISTORIES = """
query ItemHistories($first: Int, $after: String, $dateFrom: Float) {
  itemHistories(first: $first, after: $after, dateFrom: $dateFrom) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { createdAt kind itemKey } }
  }
}
"""
ITEMS_BY_KEYS = """
query ItemsByKeys($keys: [String!]!) { %s(keys: $keys) { ...ItemFields } }
""" + ITEM_FIELDS
PING = "query Ping { allItems(first: 1) { pageInfo { hasNextPage } } }"

_STATUS = {"available": STATUS_ACTIVE, "soldout": STATUS_SOLDOUT, "unavailable": STATUS_SOLDOUT,
           "discontinued": STATUS_DELETED}
_AUTH_WORDS = ("unauthenticated", "unauthorized", "jwt", "token", "인증")


class _AuthExpired(Exception):
    pass


@dataclass
class OwnerClanSettings:
    username: str
    password: str = field(repr=False)  # never in a repr, log line or exception
    auth_url: str = PRODUCTION_AUTH_URL
    api_url: str = PRODUCTION_API_URL
    page_size: int = 1000            # allItems/itemHistories `first`, capped at 1000 by OwnerClan
    batch_size: int = 200            # keys per items(keys:) request
    timeout_s: float = 30.0
    min_interval_s: float = 0.4      # ~150 requests/minute; OwnerClan starts refusing near 190
    max_retries: int = 5
    backoff_base_s: float = 1.0
    max_backoff_s: float = 60.0
    date_unit: str = "ms"            # UNVERIFIED: "ms" or "s" for dateFrom
    batch_query: str = "items"       # UNVERIFIED: "items" or "itemsByKeys"
    full_sync_overlap_s: float = 300.0
    token_refresh_margin_s: float = 60.0  # re-authenticate this long before the JWT's exp
    history_max_age_days: float = 85.0  # itemHistories reaches back ~3 months; older cursor -> full sync
    max_pages: int = 100_000


def _encode_cursor(since_ms: int, seen: list[str]) -> str:
    return json.dumps({"v": 1, "since_ms": since_ms, "seen": sorted(seen)}, separators=(",", ":"))


def _decode_cursor(cursor: str | None) -> tuple[int, set[str]] | None:
    if not cursor:
        return None
    try:
        d = json.loads(cursor)
        return int(d["since_ms"]), set(d.get("seen", []))
    except (ValueError, KeyError, TypeError):
        return None


def _int(v: Any) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return int(v)
    try:
        return int(float(str(v).replace(",", "").strip()))
    except ValueError:
        return None


def normalize_item(supplier_key: str, node: Any, source: str = "") -> CanonicalProduct | Reject:
    """One OwnerClan item node -> a canonical product, or a Reject saying why not."""
    if not isinstance(node, dict):
        return Reject("item is not an object", {"value": node}, source)
    key = node.get("key")
    if not key or not isinstance(key, str):
        return Reject("missing item key", node, source)
    name = (node.get("name") or "").strip()
    if not name:
        return Reject(f"item {key}: empty name", node, source)
    price = _int(node.get("price"))
    if price is None or price <= 0:
        return Reject(f"item {key}: price {node.get('price')!r} is not a positive amount", node, source)
    status = _STATUS.get(str(node.get("status") or "available"))
    if status is None:
        return Reject(f"item {key}: unknown status {node.get('status')!r}", node, source)
    variants: list[Variant] = []
    options = node.get("options") or []
    single_stock: int | None = None
    for i, opt in enumerate(options):
        if not isinstance(opt, dict):
            return Reject(f"item {key}: option {i} is not an object", node, source)
        qty = _int(opt.get("quantity"))
        stock = None if qty is None or qty >= NOT_TRACKED else max(0, qty)
        attrs = {str(a.get("name", "")).strip(): str(a.get("value", "")).strip()
                 for a in (opt.get("optionAttributes") or []) if isinstance(a, dict)}
        attrs = {k: v for k, v in attrs.items() if k}
        if not attrs:
            single_stock = stock
            continue
        opt_price = _int(opt.get("price"))
        variants.append(Variant(sku=f"{key}-{opt.get('key', i)}", options=attrs,
                                price_delta=(opt_price - price) if opt_price is not None else 0, stock=stock))
    if variants:
        tracked = [v.stock for v in variants if v.stock is not None]
        stock_total = sum(tracked) if tracked else None
    else:
        stock_total = single_stock
    meta = node.get("metadata") if isinstance(node.get("metadata"), dict) else {}
    notice: dict[str, Any] = {}
    if meta.get("productNotificationInformation"):
        notice["ownerclan"] = meta["productNotificationInformation"]
    if meta.get("certificateInformation"):
        notice["certificates"] = meta["certificateInformation"]
    category = node.get("category") if isinstance(node.get("category"), dict) else {}
    category_path = category.get("fullName") or category.get("name")
    fixed = _int(node.get("fixedPrice"))
    production = (node.get("production") or "").strip() or None
    return CanonicalProduct(
        supplier_key=supplier_key,
        supplier_item_id=key,
        name=name,
        cost=price,
        consumer_price=fixed,
        suggested_price=fixed if node.get("pricePolicy") == "fixed" else None,
        shipping_fee=_int(node.get("shippingFee")) or 0,
        return_fee=_int(meta.get("returnShippingFee")),
        stock=stock_total,
        brand=production,  # OwnerClan has one maker field (`production`), used for both
        manufacturer=production,
        model=(node.get("model") or "").strip() or None,
        origin=(node.get("origin") or "").strip() or None,
        tax_type="FREE" if node.get("taxFree") else "TAX",
        adult=bool(node.get("adultOnly")),
        images=[u for u in (node.get("images") or []) if isinstance(u, str) and u],
        category_path=category_path,
        description=node.get("content"),
        keywords=[k for k in (node.get("searchKeywords") or []) if isinstance(k, str)],
        notice=notice,
        variants=variants,
        status=status,
        raw=node,
    )


class OwnerClanConnector:
    """`SupplierConnector` for one OwnerClan seller account."""

    def __init__(self, supplier_key: str, settings: OwnerClanSettings,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not settings.username or not settings.password:
            raise SupplierError(f"{supplier_key}: OwnerClan username and password are required")
        self.supplier_key = supplier_key
        self.s = settings
        self.retry, self.pacer, self.client = http_parts(settings, transport, SERVICE)
        self._token: str | None = None
        self.requests = 0
        self.auth_calls = 0

    # ----------------------------------------------------------------- transport

    def _fail(self, message: str) -> SupplierError:
        return SupplierError(redact(f"{self.supplier_key}: {message}", [self.s.password, self._token]))

    def authenticate(self) -> str:
        body = {"service": "ownerclan", "userType": "seller", "username": self.s.username,
                "password": self.s.password}

        def attempt(_n: int) -> str:
            self.pacer.wait()
            self.auth_calls += 1
            try:
                resp = self.client.post(self.s.auth_url, json=body)
            except httpx.HTTPError as e:
                raise Retryable(f"auth request failed: {type(e).__name__}")
            if resp.status_code == 429 or resp.status_code >= 500:
                raise Retryable(f"auth HTTP {resp.status_code}", resp.headers.get("retry-after"))
            if resp.status_code != 200:
                raise self._fail(f"OwnerClan authentication refused (HTTP {resp.status_code}): "
                                 f"{short(resp.text)}")
            token = resp.text.strip().strip('"')
            if token.count(".") != 2:
                raise self._fail("OwnerClan authentication returned no JWT")
            return token

        try:
            self._token = self.retry.run(attempt, service=SERVICE)
        except RetriesExhausted as e:
            raise self._fail(f"OwnerClan authentication failed after {e.attempts} attempts: "
                             f"{e.last}") from None
        return self._token

    def _once(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if self._token is None:
            self.authenticate()
        else:
            exp = token_expiry(self._token)
            if exp is not None and exp - time.time() < self.s.token_refresh_margin_s:  # refresh before it lapses mid-sync
                self.authenticate()
        self.pacer.wait()
        self.requests += 1
        try:
            resp = self.client.post(self.s.api_url, json={"query": query, "variables": variables},
                                    headers={"Authorization": f"Bearer {self._token}"})
        except httpx.TimeoutException as e:
            raise Retryable(f"timeout ({type(e).__name__})")
        except httpx.HTTPError as e:
            raise Retryable(f"connection error ({type(e).__name__})")
        if resp.status_code == 401:
            raise _AuthExpired(short(resp.text))
        if resp.status_code == 429 or resp.status_code >= 500:
            raise Retryable(f"HTTP {resp.status_code}", resp.headers.get("retry-after"))
        if resp.status_code >= 400:
            raise self._fail(f"OwnerClan HTTP {resp.status_code}: {short(resp.text)}")
        try:
            doc = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise Retryable(f"malformed JSON response ({len(resp.content)} bytes)")
        if not isinstance(doc, dict):
            raise Retryable("response is not a JSON object")
        errors = doc.get("errors") or []
        if errors:
            msgs = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            codes = " ".join(str((e.get("extensions") or {}).get("code", "")) for e in errors if isinstance(e, dict))
            low = f"{msgs} {codes}".lower()
            if "too many requests" in low:
                raise Retryable("rate limited: Too many requests.")
            if any(w in low for w in _AUTH_WORDS):
                raise _AuthExpired(msgs)
            if "internal_server_error" in low or "internal server error" in low:
                raise Retryable(f"GraphQL server error: {short(msgs)}")
            raise self._fail(f"OwnerClan GraphQL error: {short(msgs, 500)}")
        data = doc.get("data")
        if not isinstance(data, dict):
            raise Retryable("response has no data")
        return data

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """One GraphQL operation with bounded retries; re-authenticates once if the token expired
        (the re-authentication does not use up a retry)."""
        variables = variables or {}
        reauthed = False

        def attempt(_n: int) -> dict[str, Any]:
            nonlocal reauthed
            while True:
                try:
                    return self._once(query, variables)
                except _AuthExpired as e:
                    if reauthed:
                        raise self._fail(f"OwnerClan rejected a fresh token: {short(str(e))}")
                    reauthed = True
                    self._token = None

        try:
            return self.retry.run(attempt, service=SERVICE)
        except RetriesExhausted as e:
            raise self._fail(f"OwnerClan request failed after {e.attempts} attempts: "
                             f"{e.last}") from None

    # ----------------------------------------------------------------- sync

    def _date(self, ms: int) -> float:
        return ms if self.s.date_unit == "ms" else ms // 1000

    def _paged(self, query: str, field: str, variables: dict[str, Any]):
        after = None
        for page in range(1, self.s.max_pages + 1):
            data = self.graphql(query, dict(variables, first=min(self.s.page_size, 1000), after=after))
            conn = data.get(field)
            if not isinstance(conn, dict):
                raise self._fail(f"{field} page {page}: no connection in response")
            yield page, [e.get("node") for e in conn.get("edges") or [] if isinstance(e, dict)]
            info = conn.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            nxt = info.get("endCursor")
            if not nxt or nxt == after:
                raise self._fail(f"{field} page {page}: hasNextPage without a new endCursor")
            after = nxt
        raise self._fail(f"{field}: more than {self.s.max_pages} pages")

    def _add(self, node: Any, source: str, out: dict[str, CanonicalProduct], rejects: list[Reject]) -> None:
        r = normalize_item(self.supplier_key, node, source)
        if isinstance(r, Reject):
            rejects.append(r)
        else:
            out[r.supplier_item_id] = r  # one product per key even if a page repeats it

    def fetch(self, mode: str, cursor: str | None) -> FetchResult:
        t0 = time.monotonic()
        req0 = self.requests
        if mode == SYNC_INCREMENTAL:
            state = _decode_cursor(cursor)
            too_old = state is not None and (
                time.time() * 1000 - state[0] > self.s.history_max_age_days * 86400 * 1000)
            if state is None or too_old:
                result = self._full()
                result.stats["fallback"] = "full sync: " + ("cursor older than itemHistories reaches"
                                                            if too_old else "no usable cursor")
            else:
                result = self._incremental(*state)
        elif mode == SYNC_FULL:
            result = self._full()
        else:
            raise SupplierError(f"{self.supplier_key}: unknown sync mode {mode!r}")
        result.stats.update(requests=self.requests - req0, seconds=round(time.monotonic() - t0, 3),
                            products=len(result.products), rejects=len(result.rejects),
                            deleted=len(result.deleted_ids))
        return result

    def _full(self) -> FetchResult:
        start_ms = int(time.time() * 1000)
        out: dict[str, CanonicalProduct] = {}
        rejects: list[Reject] = []
        pages = 0
        for page, nodes in self._paged(ALL_ITEMS, "allItems", {}):
            pages = page
            for node in nodes:
                self._add(node, f"allItems page {page}", out, rejects)
        # Start a little before the sync began: changes made while it ran are picked up again.
        since = start_ms - int(self.s.full_sync_overlap_s * 1000)
        return FetchResult(products=list(out.values()), rejects=rejects, complete=True,
                           next_cursor=_encode_cursor(since, []), stats={"mode": "full", "pages": pages})

    def _incremental(self, since_ms: int, seen: set[str]) -> FetchResult:
        changed: dict[str, None] = {}
        out: dict[str, CanonicalProduct] = {}
        rejects: list[Reject] = []
        max_ts = since_ms
        at_max: set[str] = set(seen)

        def observe(tag: str, ts: int) -> bool:
            nonlocal max_ts, at_max
            if ts < since_ms or tag in seen:
                return False
            if ts > max_ts:
                max_ts, at_max = ts, {tag}
            elif ts == max_ts:
                at_max.add(tag)
            return True

        date_from = self._date(since_ms)
        for _page, nodes in self._paged(ITEM_HISTORIES, "itemHistories", {"dateFrom": date_from}):
            for h in nodes:
                if not isinstance(h, dict) or not h.get("itemKey"):
                    continue
                ts = _int(h.get("createdAt")) or 0
                if observe(f"h|{h['itemKey']}|{h.get('kind')}|{ts}", ts):
                    changed[h["itemKey"]] = None
        for page, nodes in self._paged(ALL_ITEMS, "allItems", {"dateFrom": date_from}):
            for node in nodes:
                if not isinstance(node, dict):
                    continue
                ts = _int(node.get("updatedAt")) or 0
                if observe(f"u|{node.get('key')}|{ts}", ts):
                    self._add(node, f"allItems(dateFrom) page {page}", out, rejects)
                    changed.pop(node.get("key"), None)
        deleted: list[str] = []
        wanted = [k for k in changed if k not in out]
        step = max(1, min(self.s.batch_size, 1000))
        for i in range(0, len(wanted), step):
            keys = wanted[i:i + step]
            data = self.graphql(ITEMS_BY_KEYS % self.s.batch_query, {"keys": keys})
            nodes = data.get(self.s.batch_query) or []
            found = set()
            for node in nodes:
                if isinstance(node, dict) and node.get("key"):
                    found.add(node["key"])
                    self._add(node, f"{self.s.batch_query}(keys) batch {i // step + 1}", out, rejects)
            deleted.extend(k for k in keys if k not in found)  # gone from OwnerClan entirely
        return FetchResult(products=list(out.values()), rejects=rejects, deleted_ids=deleted,
                           next_cursor=_encode_cursor(max_ts, sorted(at_max)), complete=False,
                           stats={"mode": "incremental", "changed_keys": len(changed) + len(out)})

    def ping(self) -> str:
        self._token = None
        self.authenticate()
        data = self.graphql(PING)
        more = bool((data.get("allItems") or {}).get("pageInfo", {}).get("hasNextPage"))
        return f"OwnerClan: authenticated as {self.s.username}; catalog reachable (items: {'yes' if more else 'few or none'})"

    def close(self) -> None:
        self.client.close()


def token_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, unverified (only to decide when to refresh)."""
    try:
        body = token.split(".")[1]
        return float(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None
