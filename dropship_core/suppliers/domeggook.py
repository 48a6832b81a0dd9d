"""Domeggook / Domeme (도매꾹 / 도매매) Open API connector: getItemList paging + getItemView details.

Wire contract: contracts/marketplaces-and-suppliers.md §4 and examples/domeggook.md.
- Every call is `GET {base_url}?ver=..&mode=..&aid=<key>&om=json&...`; errors come as
  `{"errors": {code, message, dmessage}}`, often with HTTP 200.
- More than 180 calls a minute blocks the key for 3 minutes (HTTP 429, no Retry-After): we pace at
  ~150/min and, if blocked anyway, wait `block_backoff_s` a bounded number of times.
- Domeggook has no change feed. A sync lists the account's catalog (sz ≤ 200 per page, cheap)
  and fetches details for items that are new, whose list fingerprint (title, price, fee) changed,
  that left the list (sold out or ended: never a silent disappearance), plus a rotating slice of
  `refresh_per_run` unchanged items so stock-only changes are seen over time. The cursor holds a
  fingerprint per item (compressed).

UNVERIFIED: the getItemView 4.5/4.6 field list (we read the documented v4.0 fields tolerantly),
the `selectOpt` key layout for multi-dimension options, `hid` meanings, the error code for a
missing item (`not_found_codes`), and `price.resale` as the consumer price.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import httpx

from dropship_core.http import (RetriesExhausted, Retryable, redact, short)
from dropship_core.model import CanonicalProduct
from dropship_core.suppliers.base import http_parts, SYNC_FULL, SYNC_INCREMENTAL, FetchResult, Reject, SupplierError
from dropship_core.suppliers.domeggook_items import (  # noqa: F401 (parsers re-exported)
    _as_list, _int, normalize_view, parse_select_opt, parse_tiers)

SERVICE = "domeggook"  # the metrics label of this supplier API (never the account key)

PRODUCTION_BASE_URL = "https://domeggook.com/ssl/api/"


class _Blocked(Exception):
    pass


class ItemNotFound(SupplierError):
    pass


@dataclass
class DomeggookSettings:
    api_key: str = field(repr=False)  # never in a repr, log line or exception
    base_url: str = PRODUCTION_BASE_URL
    market: str = "supply"            # "dome" (도매꾹) or "supply" (도매매, the dropshipping channel)
    list_ver: str = "4.1"
    view_ver: str = "4.5"
    page_size: int = 200              # getItemList sz, 1..200
    list_params: dict[str, str] = field(default_factory=dict)  # e.g. {"id": "<seller id>"} or {"ca": ...}
    timeout_s: float = 30.0
    min_interval_s: float = 0.4       # 150 calls/minute, under the 180/minute block
    max_retries: int = 5
    backoff_base_s: float = 1.0
    max_backoff_s: float = 60.0
    block_backoff_s: float = 65.0     # wait after a 429 block (no Retry-After is sent)
    max_block_waits: int = 3          # per fetch; then fail cleanly (the block lasts 3 minutes)
    refresh_per_run: int = 100        # unchanged items re-read per incremental run (stock drift)
    not_found_codes: tuple[str, ...] = ("ITEM_NOT_FOUND", "NOT_FOUND", "NO_ITEM")
    max_pages: int = 10_000


def _fp(*parts: Any) -> str:
    return hashlib.blake2b(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode(),
                           digest_size=6).hexdigest()


def list_fingerprint(entry: dict) -> str:
    deli = entry.get("deli") or {}
    return _fp(entry.get("title"), entry.get("price"), entry.get("unitQty"),
               deli.get("fee") if isinstance(deli, dict) else deli)


def encode_cursor(fps: dict[str, list[str]], rot: int) -> str:
    doc = json.dumps({"v": 1, "fp": fps, "rot": rot}, separators=(",", ":")).encode()
    return "z1:" + base64.b64encode(zlib.compress(doc, 9)).decode()


def decode_cursor(cursor: str | None) -> tuple[dict[str, list[str]], int] | None:
    if not cursor or not cursor.startswith("z1:"):
        return None
    try:
        d = json.loads(zlib.decompress(base64.b64decode(cursor[3:])))
        return {str(k): list(v) for k, v in d["fp"].items()}, int(d.get("rot", 0))
    except (ValueError, KeyError, TypeError, zlib.error):
        return None


class DomeggookConnector:
    """`SupplierConnector` for one Domeggook/Domeme API key (and optional list filters)."""

    def __init__(self, supplier_key: str, settings: DomeggookSettings,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not settings.api_key:
            raise SupplierError(f"{supplier_key}: Domeggook API key is required")
        if settings.market not in ("dome", "supply"):
            raise SupplierError(f"{supplier_key}: market must be 'dome' or 'supply'")
        self.supplier_key = supplier_key
        self.s = settings
        self.retry, self.pacer, self.client = http_parts(settings, transport, SERVICE)
        self.requests = 0
        self._block_waits = 0

    def _fail(self, message: str, cls: type[SupplierError] = SupplierError) -> SupplierError:
        return cls(redact(f"{self.supplier_key}: {message}", [self.s.api_key]))

    def _once(self, params: dict[str, Any]) -> dict:
        self.pacer.wait()
        self.requests += 1
        try:
            resp = self.client.get(self.s.base_url, params=dict(params, aid=self.s.api_key, om="json"))
        except httpx.TimeoutException as e:
            raise Retryable(f"timeout ({type(e).__name__})")
        except httpx.HTTPError as e:
            raise Retryable(f"connection error ({type(e).__name__})")
        if resp.status_code == 429:
            raise _Blocked()
        if resp.status_code >= 500:
            raise Retryable(f"HTTP {resp.status_code}", resp.headers.get("retry-after"))
        try:
            doc = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            if resp.status_code >= 400:
                raise self._fail(f"Domeggook HTTP {resp.status_code}: {short(resp.text)}")
            raise Retryable(f"malformed JSON response ({len(resp.content)} bytes)")
        if not isinstance(doc, dict):
            raise Retryable("response is not a JSON object")
        err = doc.get("errors")
        if err:
            e = err if isinstance(err, dict) else {"message": str(err)}
            code = str(e.get("code", ""))
            text = f"{code} {e.get('message', '')} {e.get('dmessage', '')}".strip()
            if code in self.s.not_found_codes:
                raise self._fail(f"Domeggook: {short(text)}", ItemNotFound)
            raise self._fail(f"Domeggook error (HTTP {resp.status_code}): {short(text)}")
        if resp.status_code >= 400:
            raise self._fail(f"Domeggook HTTP {resp.status_code}: {short(resp.text)}")
        return doc

    def call(self, params: dict[str, Any]) -> dict:
        """One API call with bounded retries (transient faults) and bounded block waits (429,
        which do not use up a retry)."""

        def attempt(_n: int) -> dict:
            while True:
                try:
                    return self._once(params)
                except _Blocked:
                    self._block_waits += 1
                    if self._block_waits > self.s.max_block_waits:
                        raise self._fail("Domeggook rate limit: the API key is blocked (HTTP 429,"
                                         " over 180 calls a minute); gave up after "
                                         f"{self.s.max_block_waits} waits")
                    time.sleep(self.s.block_backoff_s)

        try:
            return self.retry.run(attempt, service=SERVICE)
        except RetriesExhausted as e:
            raise self._fail(f"Domeggook request failed after {e.attempts} attempts: "
                             f"{e.last}") from None

    # ----------------------------------------------------------------- sync

    def list_all(self) -> dict[str, dict]:
        """Every on-sale item of the account's listing, by item number, in list order."""
        out: dict[str, dict] = {}
        sz = max(1, min(int(self.s.page_size), 200))
        for pg in range(1, self.s.max_pages + 1):
            doc = self.call(dict(self.s.list_params, ver=self.s.list_ver, mode="getItemList",
                                 market=self.s.market, sz=sz, pg=pg))
            body = doc.get("domeggook") or {}
            header = body.get("header") or {}
            entries = _as_list((body.get("list") or {}).get("item"))
            for e in entries:
                if isinstance(e, dict) and e.get("no") not in (None, ""):
                    out.setdefault(str(e["no"]), e)
            total = _int(header.get("numberOfItems"))
            if len(entries) < sz or (total is not None and pg * sz >= total):
                return out
        raise self._fail(f"getItemList: more than {self.s.max_pages} pages")

    def view(self, no: str) -> dict:
        return self.call({"ver": self.s.view_ver, "mode": "getItemView", "no": no, "market": self.s.market})

    def fetch(self, mode: str, cursor: str | None) -> FetchResult:
        if mode not in (SYNC_FULL, SYNC_INCREMENTAL):
            raise SupplierError(f"{self.supplier_key}: unknown sync mode {mode!r}")
        t0 = time.monotonic()
        req0 = self.requests
        self._block_waits = 0
        prev = decode_cursor(cursor)
        full = mode == SYNC_FULL or prev is None
        old_fps, rot = prev if prev else ({}, 0)
        listing = self.list_all()
        current = {no: list_fingerprint(e) for no, e in listing.items()}
        vanished = [no for no in old_fps if no not in current]
        rotation: list[str] = []
        if full:
            targets = list(current)
        else:
            changed = [no for no, fp in current.items() if old_fps.get(no, [None])[0] != fp]
            unchanged = sorted(no for no in current if no in old_fps and no not in set(changed))
            n = min(self.s.refresh_per_run, len(unchanged))
            if n:
                start = rot % len(unchanged)
                rotation = (unchanged + unchanged)[start:start + n]
                rot = start + n
            targets = changed + rotation
        targets += vanished
        products: list[CanonicalProduct] = []
        rejects: list[Reject] = []
        deleted: list[str] = []
        new_fps: dict[str, list[str]] = {no: [fp, old_fps.get(no, ["", ""])[1]] for no, fp in current.items()}
        rotation_set = set(rotation)
        for no in targets:
            try:
                payload = self.view(no)
            except ItemNotFound:
                deleted.append(no)
                new_fps.pop(no, None)
                continue
            r = normalize_view(self.supplier_key, payload, self.s.market, f"getItemView no={no}")
            if isinstance(r, Reject):
                rejects.append(r)
                continue
            detail_fp = _fp(r.to_dict())
            if no in current:
                new_fps[no] = [current[no], detail_fp]
            if no in rotation_set and old_fps.get(no, ["", ""])[1] == detail_fp:
                continue  # re-read, nothing changed: not a change
            products.append(r)
        stats = {"mode": "full" if full else "incremental", "listed": len(listing), "details": len(targets),
                 "vanished": len(vanished), "refreshed": len(rotation),
                 "requests": self.requests - req0, "seconds": round(time.monotonic() - t0, 3),
                 "products": len(products), "rejects": len(rejects), "deleted": len(deleted)}
        if full and mode == SYNC_INCREMENTAL:
            stats["fallback"] = "full sync: no usable cursor"
        return FetchResult(products=products, rejects=rejects, deleted_ids=deleted,
                           next_cursor=encode_cursor(new_fps, rot), complete=full, stats=stats)

    def ping(self) -> str:
        doc = self.call(dict(self.s.list_params, ver=self.s.list_ver, mode="getItemList",
                             market=self.s.market, sz=1, pg=1))
        total = ((doc.get("domeggook") or {}).get("header") or {}).get("numberOfItems")
        return f"Domeggook ({self.s.market}): API key accepted; {total} items listed"

    def close(self) -> None:
        self.client.close()
