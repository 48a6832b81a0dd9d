"""ESM 2.0 Trading API (Gmarket / Auction): JWT auth and goods.

Wire facts: contracts section 3. API host `https://sa2.esmplus.com`. ESM mixes camelCase and
PascalCase in responses, so everything read here goes through `ci_get` (case-insensitive).
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable

import httpx
import jwt

from dropship_core.http import BaseClient, RetryPolicy, TokenBucket, response_body
from dropship_core.markets.errors import MarketAuthError, MarketError
from dropship_core.markets.http import MarketHttp
from dropship_core.markets.names import GMARKET
from dropship_core.markets.settings import DEFAULT_BASE_URLS, Secret, SellerSettings

ESM_AUDIENCE = "sa.esmplus.com"
_SSI = re.compile(r"^(?:[AG]:[^,:]+)(?:,[AG]:[^,:]+)?$")


def ci_get(obj: Any, *path: str, default: Any = None) -> Any:
    """Nested dict lookup with case-insensitive keys: ci_get(r, "siteDetail", "gmkt")."""
    cur = obj
    for key in path:
        if not isinstance(cur, dict):
            return default
        if key in cur:
            cur = cur[key]
            continue
        low = key.lower()
        for k, v in cur.items():
            if isinstance(k, str) and k.lower() == low:
                cur = v
                break
        else:
            return default
    return cur


def validate_ssi(site_ids: str) -> str:
    """`A:<auctionId>,G:<gmarketId>`, one or both, at most one of each."""
    ssi = site_ids.replace(" ", "")
    if not _SSI.match(ssi) or (ssi.count("A:") > 1 or ssi.count("G:") > 1):
        raise ValueError("ESM site ids must look like 'A:<auctionId>,G:<gmarketId>' (one or both)")
    return ssi


def make_jwt(master_id: str, secret_key: str, site_ids: str, issuer: str = "dropship",
             iat: int | None = None) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": master_id}
    payload = {"iss": issuer, "sub": "sell", "aud": ESM_AUDIENCE,
               "iat": int(time.time()) if iat is None else iat, "ssi": validate_ssi(site_ids)}
    return jwt.encode(payload, secret_key, algorithm="HS256", headers=header)


def result_code(body: Any) -> Any:
    return ci_get(body, "resultCode")


def parse_esm_error(resp: httpx.Response, method: str, path: str) -> MarketError:
    body = response_body(resp)
    status_obj = ci_get(body, "status")
    if isinstance(status_obj, dict):   # {"status":{"message":..., "status_code":401}}
        message = ci_get(status_obj, "message")
        code = ci_get(status_obj, "status_code")
    else:
        message = ci_get(body, "message")
        code = result_code(body)
    cls = MarketAuthError if resp.status_code in (401, 403) else MarketError
    return cls(GMARKET, str(message or resp.reason_phrase), status=resp.status_code,
               code=str(code) if code is not None else None, response=body, method=method,
               path=path)


class EsmClient(BaseClient):
    repr_fields = ("master_id",)
    market = GMARKET

    def __init__(self, master_id: str, secret_key: str, site_ids: str,
                 base_url: str | None = None, *, issuer: str = "dropship",
                 timeout: float = 30.0, connect_timeout: float = 5.0, rate: float = 5.0,
                 burst: float | None = 5.0, search_per_minute: float = 30.0,
                 retry: RetryPolicy | None = None, seller: SellerSettings | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.master_id = master_id
        self._secret = Secret(secret_key)
        self.site_ids = validate_ssi(site_ids)
        self.issuer = issuer
        self.seller = seller or SellerSettings()
        # no general ESM limit is published; goods search is documented at 30/min
        self.http = MarketHttp(GMARKET, base_url or DEFAULT_BASE_URLS[GMARKET], timeout=timeout,
                               connect_timeout=connect_timeout, rate=rate, burst=burst,
                               retry=retry, parse_error=parse_esm_error, sleep=sleep)
        self.search_bucket = TokenBucket(search_per_minute / 60.0, 1.0, sleep=sleep, service="gmarket")

    def _sign(self, method: str, path: str, query: str) -> dict[str, str]:
        token = make_jwt(self.master_id, self._secret.get(), self.site_ids, self.issuer)
        return {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, *, json: Any = None, route: str | None = None,
              idempotent: bool | None = None, query: str = "") -> Any:
        resp = self.http.request(method, path, json=json, sign=self._sign, route=route,
                                 idempotent=idempotent, query=query)
        body = response_body(resp)
        rc = result_code(body)
        if rc not in (None, 0, "0"):
            raise MarketError(GMARKET, str(ci_get(body, "message") or "error"),
                              status=resp.status_code, code=str(rc), response=body,
                              method=method, path=path)
        return body

    def ping(self) -> dict:
        """The cheapest authenticated call: one row of goods search (UNVERIFIED body)."""
        self.search_goods({"pageIndex": 1, "pageSize": 1})
        return {"market": GMARKET, "ok": True}

    def create_goods(self, body: dict) -> dict:
        res = self._call("POST", "/item/v1/goods", json=body, route="POST /item/v1/goods",
                         idempotent=False)
        return goods_ids(res)

    def update_goods(self, goods_no: int, body: dict) -> Any:
        return self._call("PUT", f"/item/v1/goods/{goods_no}", json=body,
                          route="PUT /item/v1/goods/{no}")

    def get_sell_status(self, goods_no: int) -> Any:
        return self._call("GET", f"/item/v1/goods/{goods_no}/sell-status",
                          route="GET /item/v1/goods/{no}/sell-status")

    def set_sell_status(self, goods_no: int, body: dict) -> Any:
        return self._call("PUT", f"/item/v1/goods/{goods_no}/sell-status", json=body,
                          route="PUT /item/v1/goods/{no}/sell-status")

    def search_goods(self, query: dict) -> Any:
        self.search_bucket.acquire()
        return self._call("POST", "/item/v1/goods/search", json=query,
                          route="POST /item/v1/goods/search", idempotent=True)

    def find_by_managed_code(self, managed_code: str) -> list[dict]:
        """Goods whose managedCode is `managed_code` (reconciling a lost create).

        UNVERIFIED: the search body key `managedCode` and the result list key are not in the
        contracts; results are read case-insensitively from `goods`/`items`/`data`.
        """
        res = self.search_goods({"managedCode": managed_code, "pageIndex": 1, "pageSize": 10})
        rows = ci_get(res, "goods") or ci_get(res, "items") or ci_get(res, "data") or []
        out = []
        for r in rows if isinstance(rows, list) else []:
            if str(ci_get(r, "managedCode") or "") == managed_code and ci_get(r, "goodsNo"):
                out.append({"goodsNo": int(ci_get(r, "goodsNo"))})
        return out

    # -- metadata (market-metadata.md section 3; shapes from public clients, UNVERIFIED) ---

    def site_cats(self, parent: str | None = None) -> list[dict]:
        """One level of the site category tree: `[{catCode, catName, isLeaf}]`."""
        path = "/item/v1/categories/site-cats" + (f"/{parent}" if parent else "")
        res = self._call("GET", path, route="GET /item/v1/categories/site-cats/{code}")
        return ci_get(res, "subCats") or []

    def recommended_opts(self, cat_code: str) -> list[dict]:
        res = self._call("GET", "/item/v1/options/recommended-opts", query=f"catCode={cat_code}",
                         route="GET /item/v1/options/recommended-opts")
        return ci_get(res, "details") or []

    def recommended_opt_values(self, opt_no: int) -> list[dict]:
        res = self._call("GET", f"/item/v1/options/recommended-opts/{opt_no}",
                         route="GET /item/v1/options/recommended-opts/{no}")
        if isinstance(res, dict):   # the list key is unconfirmed
            res = ci_get(res, "details") or ci_get(res, "values") or ci_get(res, "data") or []
        return res if isinstance(res, list) else []

    def notice_groups(self) -> list[dict]:
        res = self._call("GET", "/item/v1/official-notice/groups",
                         route="GET /item/v1/official-notice/groups")
        return ci_get(res, "groups") or []

    def notice_codes(self, group_no: int) -> list[dict]:
        res = self._call("GET", f"/item/v1/official-notice/groups/{group_no}/codes",
                         route="GET /item/v1/official-notice/groups/{no}/codes")
        return ci_get(res, "codes") or []


def goods_ids(res: Any) -> dict:
    """The external ids a goods create answers: goodsNo and each site's goods number."""
    goods_no = ci_get(res, "goodsNo")
    if goods_no is None:
        raise MarketError(GMARKET, "create answered without goodsNo", response=res)
    ext = {"goodsNo": int(goods_no)}
    for site in ("gmkt", "iac"):
        sgn = ci_get(res, "siteDetail", site, "SiteGoodsNo")
        if sgn:
            ext[f"siteGoodsNo_{site}"] = str(sgn)
    return ext
