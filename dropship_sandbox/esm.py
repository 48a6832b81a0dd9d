"""A local ESM 2.0 Trading API (Gmarket / Auction) that checks what the real one checks.

- JWT HS256 verified with pyjwt: header `kid` = a registered master id, signature with its
  secret, `aud` = sa.esmplus.com, `sub` = "sell", `ssi` = A:/G: ids registered to that master;
  anything else gets `{"status":{"message":"The user does not have right access to the api",
  "status_code":401}}`;
- goods: required nested keys (the spec's own `itemAddtionalInfo`), name <= 100 UTF-8 bytes
  (UNVERIFIED limit), site maps, registered dispatch policy / places (prerequisites), image
  slots, official notice; keys are matched case-insensitively, answers mix camelCase and
  PascalCase like ESM does;
- goods search (used to reconcile by managedCode) limited to 30 calls a minute per master id.

Default credentials (docs/markets.md): SANDBOX_MASTER_ID / SANDBOX_SECRET_KEY / SANDBOX_SITE_IDS.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_core.markets.esm import ESM_AUDIENCE, ci_get
from dropship_sandbox import market_meta as meta
from dropship_sandbox.market_rules import RuleBook
from dropship_sandbox.market_common import (Bucket, SandboxState, admin_routes, api,
                                            bulk_create_route)

SANDBOX_MASTER_ID = "sandbox-master"
SANDBOX_SECRET_KEY = "sandbox-esm-secret-key-0123456789abcdef"
SANDBOX_SITE_IDS = "G:sandbox_gmkt"
SANDBOX_DISPATCH_POLICY_NO = 100001
SANDBOX_PLACE_NOS = (111, 222)
UNAUTHORIZED = {"status": {"message": "The user does not have right access to the api",
                           "status_code": 401}}
SITE_KEYS = {"gmkt": 2, "iac": 1}


def fail(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"resultCode": code, "message": message}, status_code=status)


def _fault_error(status: int, message: str) -> Response:
    return fail(status, 9999, message)


def _site_keys(m: Any) -> set[str]:
    return {k.lower() for k in m} if isinstance(m, dict) else set()


class EsmSandbox:
    def __init__(self, masters: dict[str, tuple[str, str]], rate: float | None,
                 search_per_minute: float, dispatch_policies: set[int], places: set[int]):
        self.masters = masters          # master id -> (secret, "A:..,G:..")
        self.state = SandboxState(rate, rate)
        self.search_per_minute = search_per_minute
        self.search_buckets: dict[str, Bucket] = {}
        self.dispatch_policies = dispatch_policies
        self.places = places
        self.book = RuleBook("gmarket")
        self.lock = threading.Lock()
        self.goods: dict[int, dict] = {}
        self.ids = itertools.count(2_000_000_001)

    def _auth(self, request: Request) -> tuple[str | None, Response | None]:
        h = request.headers.get("authorization", "")
        if not h.startswith("Bearer "):
            return None, JSONResponse(UNAUTHORIZED, status_code=401)
        token = h[7:]
        try:
            header = jwt.get_unverified_header(token)
            master = header.get("kid")
            if header.get("alg") != "HS256" or master not in self.masters:
                raise jwt.InvalidTokenError("unknown kid")
            secret, allowed = self.masters[master]
            claims = jwt.decode(token, secret, algorithms=["HS256"], audience=ESM_AUDIENCE,
                                options={"require": ["iss", "sub", "aud", "ssi"]})
            if claims.get("sub") != "sell":
                raise jwt.InvalidTokenError("sub")
            ssi = str(claims["ssi"]).split(",")
            allowed_ids = set(allowed.split(","))
            if not ssi or len({s[:2] for s in ssi}) != len(ssi) or not set(ssi) <= allowed_ids:
                raise jwt.InvalidTokenError("ssi")
        except jwt.PyJWTError:
            return None, JSONResponse(UNAUTHORIZED, status_code=401)
        if not self.state.rate_ok(master):
            return None, fail(429, 429, "Too Many Requests")
        return master, None

    async def _json(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    def validate(self, b: Any) -> list[str]:
        if not isinstance(b, dict):
            return ["body must be a JSON object"]
        p: list[str] = []
        basic = ci_get(b, "itemBasicInfo")
        add = ci_get(b, "itemAddtionalInfo")
        if not isinstance(basic, dict):
            p.append("itemBasicInfo is required")
            basic = {}
        if not isinstance(add, dict):
            p.append("itemAddtionalInfo is required")
            add = {}
        name = ci_get(basic, "goodsName", "kor")
        if not name:
            p.append("itemBasicInfo.goodsName.kor is required")
        elif len(str(name).encode("utf-8")) > 100:
            p.append("itemBasicInfo.goodsName.kor must be at most 100 bytes")
        sites = ci_get(basic, "category", "site") or []
        site_types = set()
        for s in sites if isinstance(sites, list) else []:
            st = ci_get(s, "siteType")
            if st not in (1, 2) or not ci_get(s, "catCode"):
                p.append("itemBasicInfo.category.site needs siteType 1|2 and catCode")
            site_types.add(st)
        if not site_types:
            p.append("itemBasicInfo.category.site is required")
        want = {k for k, v in SITE_KEYS.items() if v in site_types}
        for key in ("price", "stock", "sellingPeriod"):
            m = ci_get(add, key)
            if not want <= _site_keys(m):
                p.append(f"itemAddtionalInfo.{key} needs a value per site {sorted(want)}")
        for site, price in (ci_get(add, "price") or {}).items():
            if not isinstance(price, int) or price <= 0:
                p.append(f"itemAddtionalInfo.price.{site} must be a positive integer")
        ship = ci_get(add, "shipping") or {}
        disp = ci_get(ship, "dispatchPolicyNo") or {}
        for site, no in (disp.items() if isinstance(disp, dict) else []):
            if no not in self.dispatch_policies:
                p.append(f"shipping.dispatchPolicyNo.{site} {no} is not registered (발송정책)")
        for k in ("placeNo", "returnPlaceNo"):
            if ci_get(ship, "policy", k) not in self.places:
                p.append(f"shipping.policy.{k} is not a registered place (출하지/주소록)")
        if ci_get(ship, "policy", "each", "feeType") not in (1, 2, 3):
            p.append("shipping.policy.each.feeType must be 1, 2 or 3")
        notice = ci_get(add, "officialNotice") or {}
        if not ci_get(notice, "officialNoticeNo") or not ci_get(notice, "details"):
            p.append("itemAddtionalInfo.officialNotice is required")
        imgs = ci_get(add, "images") or {}
        if not ci_get(imgs, "basicImgURL"):
            p.append("itemAddtionalInfo.images.basicImgURL is required")
        if len([k for k in imgs if k.lower() != "basicimgurl"]) > 14:
            p.append("itemAddtionalInfo.images: at most 14 additional images")
        if not ci_get(add, "descriptions", "kor", "html"):
            p.append("itemAddtionalInfo.descriptions.kor.html is required")
        opts = ci_get(add, "recommendedOpts") or {}
        if ci_get(opts, "type") not in (0, 1, 2, 3):
            p.append("itemAddtionalInfo.recommendedOpts.type must be 0..3")
        return p or self.book.esm_problems(b)

    async def metadata(self, request: Request) -> Response:
        """site-cats, recommended-opts, official-notice groups and codes (market-metadata.md)."""
        _, err = self._auth(request)
        if err:
            return err
        path, pp = request.url.path, request.path_params
        if path.startswith("/item/v1/categories/site-cats"):
            return JSONResponse(meta.esm_site_cats(self.book, pp.get("code")))
        if path == "/item/v1/options/recommended-opts":
            found = meta.esm_recommended_opts(self.book, request.query_params.get("catCode", ""))
        elif path.startswith("/item/v1/options/recommended-opts/"):
            found = meta.esm_recommended_values(self.book, int(pp["no"]))
        elif path == "/item/v1/official-notice/groups":
            found = meta.esm_notice_groups()
        else:
            found = meta.esm_notice_codes(int(pp["no"]))
        return JSONResponse(found) if found is not None else fail(404, 2000, "없는 코드입니다.")

    def _goods(self, request: Request, master: str) -> dict | None:
        try:
            g = self.goods.get(int(request.path_params["no"]))
        except ValueError:
            return None
        return g if g and g["master"] == master else None

    async def _valid_goods(self, request: Request) -> tuple[str | None, dict | None, Response | None]:
        """(master id, goods body, None) for an authenticated request with a valid body; else the
        error ESM answers."""
        master, err = self._auth(request)
        if err:
            return None, None, err
        body = await self._json(request)
        problems = self.validate(body)
        if problems:
            return None, None, fail(400, 1000, "; ".join(problems))
        return master, body, None

    async def create(self, request: Request) -> Response:
        master, err = self._auth(request)
        return err or self.create_body(master, await self._json(request))

    def create_body(self, master: str, body: Any) -> Response:
        """The create handler after authentication: validation, then storage."""
        problems = self.validate(body)
        if problems:
            return fail(400, 1000, "; ".join(problems))
        with self.lock:
            no = next(self.ids)
            add = ci_get(body, "itemAddtionalInfo")
            self.goods[no] = {"goodsNo": no, "master": master, "body": body, "updates": 0,
                              "created_at": time.time(),
                              "isSell": {k.lower(): True for k in ci_get(add, "price")},
                              "price": {k.lower(): v for k, v in ci_get(add, "price").items()},
                              "stock": {k.lower(): v for k, v in ci_get(add, "stock").items()}}
        detail = {site: {"SiteGoodsNo": f"{'G' if site == 'gmkt' else 'A'}{no}"}
                  for site in self.goods[no]["price"]}
        return JSONResponse({"resultCode": 0, "message": "SUCCESS", "goodsNo": no,
                             "siteDetail": detail})

    async def update(self, request: Request) -> Response:
        master, body, err = await self._valid_goods(request)
        if err is not None:
            return err
        with self.lock:
            g = self._goods(request, master)
            if g is None:
                return fail(404, 2000, "상품이 존재하지 않습니다.")
            add = ci_get(body, "itemAddtionalInfo")
            g["body"] = body
            g["price"] = {k.lower(): v for k, v in ci_get(add, "price").items()}
            g["stock"] = {k.lower(): v for k, v in ci_get(add, "stock").items()}
            g["updates"] += 1
        return JSONResponse({"ResultCode": 0, "Message": "SUCCESS", "GoodsNo": g["goodsNo"]})

    async def get_sell_status(self, request: Request) -> Response:
        master, err = self._auth(request)
        if err:
            return err
        with self.lock:
            g = self._goods(request, master)
            if g is None:
                return fail(404, 2000, "상품이 존재하지 않습니다.")
            return JSONResponse({"ResultCode": 0, "IsSell": dict(g["isSell"]),
                                 "ItemBasicInfo": {"Price": dict(g["price"]),
                                                   "Stock": dict(g["stock"]),
                                                   "SellingPeriod": {k: -1 for k in g["price"]}}})

    async def set_sell_status(self, request: Request) -> Response:
        master, err = self._auth(request)
        if err:
            return err
        body = await self._json(request) or {}
        with self.lock:
            g = self._goods(request, master)
            if g is None:
                return fail(404, 2000, "상품이 존재하지 않습니다.")
            is_sell = ci_get(body, "isSell")
            if not isinstance(is_sell, dict) or not is_sell:
                return fail(400, 1000, "isSell is required")
            price = ci_get(body, "itemBasicInfo", "price") or {}
            for site, v in price.items():
                if site.lower() in g["price"] and (not isinstance(v, int) or v <= 0):
                    return fail(400, 1000, f"itemBasicInfo.price.{site} must be positive")
            for site, v in is_sell.items():
                if site.lower() in g["isSell"]:
                    g["isSell"][site.lower()] = bool(v)
            for site, v in price.items():
                if site.lower() in g["price"]:
                    g["price"][site.lower()] = v
            for site, v in (ci_get(body, "itemBasicInfo", "stock") or {}).items():
                if site.lower() in g["stock"]:
                    g["stock"][site.lower()] = v
        return JSONResponse({"resultCode": 0, "message": "SUCCESS"})

    async def search(self, request: Request) -> Response:
        master, err = self._auth(request)
        if err:
            return err
        with self.lock:
            b = self.search_buckets.get(master)
            if b is None:
                b = self.search_buckets[master] = Bucket(self.search_per_minute / 60.0,
                                                         self.search_per_minute)
            allowed = b.take()
        if not allowed:
            return fail(429, 429, "goods search is limited to 30 calls per minute")
        body = await self._json(request) or {}
        code = ci_get(body, "managedCode")
        size = int(ci_get(body, "pageSize") or 100)
        with self.lock:
            rows = [g for g in self.goods.values() if g["master"] == master and (
                code is None or ci_get(g["body"], "itemBasicInfo", "managedCode") == code)]
        return JSONResponse({"ResultCode": 0, "TotalCount": len(rows), "Goods": [
            {"GoodsNo": g["goodsNo"],
             "ManagedCode": ci_get(g["body"], "itemBasicInfo", "managedCode"),
             "GoodsName": ci_get(g["body"], "itemBasicInfo", "goodsName", "kor")}
            for g in rows[:size]]})

    def dump(self) -> dict:
        with self.lock:
            by_code: dict[str, int] = {}
            for g in self.goods.values():
                c = str(ci_get(g["body"], "itemBasicInfo", "managedCode") or "")
                by_code[c] = by_code.get(c, 0) + 1
            return {"goods": {str(no): {"goodsNo": no, "updates": g["updates"],
                                        "isSell": g["isSell"], "price": g["price"],
                                        "stock": g["stock"],
                                        "managedCode": ci_get(g["body"], "itemBasicInfo",
                                                              "managedCode"),
                                        "name": ci_get(g["body"], "itemBasicInfo", "goodsName",
                                                       "kor")}
                              for no, g in self.goods.items()},
                    "by_managed_code": by_code}


def create_app(masters: dict[str, tuple[str, str]] | None = None, *, rate: float | None = 10.0,
               search_per_minute: float = 30.0,
               dispatch_policies: set[int] | None = None,
               places: set[int] | None = None) -> Starlette:
    """The ESM sandbox. `masters` maps master id -> (secret key, "A:..,G:.." site ids)."""
    sb = EsmSandbox(masters or {SANDBOX_MASTER_ID: (SANDBOX_SECRET_KEY, SANDBOX_SITE_IDS)}, rate,
                    search_per_minute, dispatch_policies or {SANDBOX_DISPATCH_POLICY_NO},
                    places or set(SANDBOX_PLACE_NOS))
    st = sb.state

    def r(path, name, fn, methods, create=False):
        return Route(path, api(st, name, fn, error=_fault_error, is_create=create),
                     methods=methods)

    routes = [
        r("/item/v1/goods", "POST /item/v1/goods", sb.create, ["POST"], create=True),
        r("/item/v1/goods/search", "POST /item/v1/goods/search", sb.search, ["POST"]),
        r("/item/v1/goods/{no:int}", "PUT /item/v1/goods/{no}", sb.update, ["PUT"]),
        r("/item/v1/goods/{no:int}/sell-status", "GET /item/v1/goods/{no}/sell-status",
          sb.get_sell_status, ["GET"]),
        r("/item/v1/goods/{no:int}/sell-status", "PUT /item/v1/goods/{no}/sell-status",
          sb.set_sell_status, ["PUT"]),
        r("/item/v1/categories/site-cats", "GET /item/v1/categories/site-cats/{code}",
          sb.metadata, ["GET"]),
        r("/item/v1/categories/site-cats/{code}", "GET /item/v1/categories/site-cats/{code}",
          sb.metadata, ["GET"]),
        r("/item/v1/options/recommended-opts", "GET /item/v1/options/recommended-opts",
          sb.metadata, ["GET"]),
        r("/item/v1/options/recommended-opts/{no:int}",
          "GET /item/v1/options/recommended-opts/{no}", sb.metadata, ["GET"]),
        r("/item/v1/official-notice/groups", "GET /item/v1/official-notice/groups", sb.metadata,
          ["GET"]),
        r("/item/v1/official-notice/groups/{no:int}/codes",
          "GET /item/v1/official-notice/groups/{no}/codes", sb.metadata, ["GET"]),
    ] + admin_routes(st, sb.dump, [bulk_create_route(sb.masters.__contains__, sb.create_body)])

    async def not_found(request: Request, exc) -> Response:
        return fail(404, 404, "Not Found")

    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.state.sandbox = sb
    return app
