"""A local Naver Commerce API (SmartStore) that checks what the real one checks.

- token: form-urlencoded body only (token fields in the query string get GW.QUOTA_LIMIT, as Naver
  does to non-standard token requests), timestamp within 5 minutes, `client_secret_sign`
  recomputed with bcrypt from the configured client secret;
- every other call needs a live Bearer token (401 GW.AUTHN otherwise) and passes a per-app
  token bucket (429 GW.RATE_LIMIT, with the GNCP-GW-RateLimit-* headers);
- products: required fields and limits from the contracts, images only from the Naver CDN
  (upload first), stock 0 -> OUTOFSTOCK, option combination ids, status changes;
- error shapes: gateway `{"code":"GW.*","message","timestamp","traceId"}` and API
  `{"code":"BAD_REQUEST","message","invalidInputs":[...],"timestamp"}`.

Default credentials (documented in docs/markets.md): SANDBOX_CLIENT_ID / SANDBOX_CLIENT_SECRET.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_core.markets.smartstore import NAVER_CDN_PREFIX
from dropship_sandbox.smartstore_rules import _camel, validate_product  # noqa: F401
from dropship_sandbox import market_meta as meta
from dropship_sandbox.market_auth import naver_client_secret_sign
from dropship_sandbox.market_rules import RuleBook
from dropship_sandbox.market_common import SandboxState, admin_routes, api, bulk_create_route

SANDBOX_CLIENT_ID = "sandbox-client"
# a bcrypt salt whose 22nd character has its unused bits set, like Naver's own sample secret
SANDBOX_CLIENT_SECRET = "$2a$04$sandboxsandboxsandboxs"
TOKEN_TTL_S = 10800
TIMESTAMP_WINDOW_MS = 5 * 60 * 1000
KST = timezone(timedelta(hours=9))
TOKEN_FIELDS = ("client_id", "timestamp", "client_secret_sign", "grant_type", "type")
IMAGE_MAGIC = {b"\xff\xd8\xff": "JPG", b"GIF8": "GIF", b"\x89PNG": "PNG", b"BM": "BMP"}


def _ts() -> str:
    return datetime.now(KST).isoformat(timespec="milliseconds")


def gw_error(status: int, code: str, message: str) -> JSONResponse:
    trace = f"sandbox-{uuid.uuid4().hex[:12]}"
    return JSONResponse({"code": code, "message": message, "timestamp": _ts(), "traceId": trace},
                        status_code=status, headers={"GNCP-GW-Trace-ID": trace})


def bad_request(problems: list[tuple[str, str]], message: str = "요청 값이 올바르지 않습니다.",
                status: int = 400, code: str = "BAD_REQUEST") -> JSONResponse:
    return JSONResponse({"code": code, "message": message,
                         "invalidInputs": [{"name": n, "type": "NotValid", "message": m}
                                           for n, m in problems],
                         "timestamp": _ts()}, status_code=status)


def _fault_error(status: int, message: str) -> Response:
    code = {429: "GW.RATE_LIMIT", 503: "GW.TIMEOUT.01"}.get(status, "GW.INTERNAL_SERVER_ERROR")
    return gw_error(status, code, message)


SANDBOX_ADDRESS_IDS = (100001, 100002)     # the seller's registered shipping/return addresses


class SmartStoreSandbox:
    def __init__(self, clients: dict[str, str], rate: float | None, burst: float | None,
                 require_cdn_images: bool, token_ttl: int, address_ids: set[int]):
        self.address_ids = address_ids
        self.book = RuleBook("smartstore")
        self.clients = clients
        self.state = SandboxState(rate, burst)
        self.require_cdn = require_cdn_images
        self.token_ttl = token_ttl
        self.tokens: dict[str, tuple[str, float]] = {}
        self.products: dict[int, dict] = {}
        self.lock = threading.Lock()
        self.ids = itertools.count(10_000_000_001)
        self.option_ids = itertools.count(30_000_000_001)
        self.images: dict[str, str] = {}
        self.token_requests = 0

    # -- auth ------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        if any(f in request.query_params for f in TOKEN_FIELDS):
            return gw_error(429, "GW.QUOTA_LIMIT",
                            "비표준 토큰 요청: 토큰 발급 값은 form-urlencoded 본문으로 보내야 합니다.")
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            return bad_request([("Content-Type", "application/x-www-form-urlencoded required")])
        form = await request.form()
        cid = form.get("client_id") or ""
        problems = [(f, "required") for f in ("client_id", "timestamp", "client_secret_sign",
                                               "grant_type", "type") if not form.get(f)]
        if problems:
            return bad_request(problems)
        if form.get("grant_type") != "client_credentials":
            return bad_request([("grant_type", "client_credentials")])
        if form.get("type") not in ("SELF", "SELLER"):
            return bad_request([("type", "SELF or SELLER")])
        if form.get("type") == "SELLER" and not form.get("account_id"):
            return bad_request([("account_id", "required for type=SELLER")])
        secret = self.clients.get(cid)
        if secret is None:
            return bad_request([("client_id", "등록되지 않은 애플리케이션입니다.")], status=401,
                               code="GW.AUTHN")
        try:
            ts = int(form["timestamp"])
        except ValueError:
            return bad_request([("timestamp", "밀리초 단위 숫자")])
        if abs(time.time() * 1000 - ts) > TIMESTAMP_WINDOW_MS:
            return bad_request([("timestamp", "timestamp가 유효하지 않습니다 (5분).")])
        expected = naver_client_secret_sign(cid, secret, ts)
        if not hmac.compare_digest(expected, str(form["client_secret_sign"])):
            return bad_request([("client_secret_sign", "client_secret_sign이 유효하지 않습니다.")],
                               status=401, code="GW.AUTHN")
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (cid, time.time() + self.token_ttl)
        return JSONResponse({"access_token": token, "expires_in": self.token_ttl,
                             "token_type": "Bearer"})

    def _auth(self, request: Request) -> tuple[str | None, Response | None]:
        h = request.headers.get("authorization", "")
        tok = h[7:] if h.startswith("Bearer ") else None
        with self.lock:
            rec = self.tokens.get(tok) if tok else None
        if rec is None or rec[1] < time.time():
            return None, gw_error(401, "GW.AUTHN", "요청을 보낼 권한이 없습니다.")
        if not self.state.rate_ok(rec[0]):
            r = gw_error(429, "GW.RATE_LIMIT", "요청이 많아 서비스를 일시적으로 사용할 수 없습니다.")
            r.headers.update(self._rate_headers("0"))
            return None, r
        return rec[0], None

    def _rate_headers(self, remaining: str) -> dict[str, str]:
        if not self.state.rate:
            return {}
        return {"GNCP-GW-RateLimit-Replenish-Rate": str(self.state.rate),
                "GNCP-GW-RateLimit-Burst-Capacity": str(self.state.burst),
                "GNCP-GW-RateLimit-Remaining": remaining}

    def _ok(self, body: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers={
            "GNCP-GW-Trace-ID": f"sandbox-{uuid.uuid4().hex[:12]}", **self._rate_headers("1")})

    async def _json(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    def _get(self, request: Request) -> dict | None:
        try:
            return self.products.get(int(request.path_params["no"]))
        except ValueError:
            return None

    # -- products --------------------------------------------------------------------------

    def _store_options(self, origin: dict, previous: dict | None) -> None:
        opt = (origin.get("detailAttribute") or {}).get("optionInfo")
        if not isinstance(opt, dict):
            return
        old = {}
        if previous:
            for c in ((previous.get("detailAttribute") or {}).get("optionInfo") or {}).get(
                    "optionCombinations") or []:
                old[c.get("sellerManagerCode") or (c.get("optionName1"), c.get("optionName2"),
                                                   c.get("optionName3"))] = c["id"]
        for c in opt.get("optionCombinations") or []:
            key = c.get("sellerManagerCode") or (c.get("optionName1"), c.get("optionName2"),
                                                 c.get("optionName3"))
            c["id"] = old.get(key) or next(self.option_ids)
        origin["stockQuantity"] = sum(int(c.get("stockQuantity") or 0)
                                      for c in opt.get("optionCombinations") or [])

    def _set_status(self, origin: dict) -> None:
        if origin.get("statusType") in ("SALE", "OUTOFSTOCK"):
            origin["statusType"] = "OUTOFSTOCK" if int(origin.get("stockQuantity") or 0) == 0 \
                else "SALE"

    async def create(self, request: Request) -> Response:
        _, err = self._auth(request)
        return err or self.create_body(await self._json(request))

    def create_body(self, body: Any) -> Response:
        """The create handler after authentication: validation, then storage."""
        problems = validate_product(body, True, self.require_cdn, self.address_ids)
        problems = problems or self.book.naver_problems(body["originProduct"])
        if problems:
            return bad_request(problems)
        origin = body["originProduct"]
        origin["statusType"] = "SALE"      # create accepts only SALE; SUSPENSION is stored as SALE
        with self.lock:
            no = next(self.ids)
            self._store_options(origin, None)
            self._set_status(origin)
            self.products[no] = {"originProductNo": no, "smartstoreChannelProductNo": no + 7,
                                 "originProduct": origin,
                                 "smartstoreChannelProduct": body["smartstoreChannelProduct"],
                                 "created_at": time.time(), "updates": 0}
        return self._ok({"originProductNo": no, "smartstoreChannelProductNo": no + 7})

    def _authed_product(self, request: Request) -> tuple[dict | None, Response | None]:
        """The product named in the path, after the token check; Naver's 404 when there is none."""
        _, err = self._auth(request)
        if err:
            return None, err
        prod = self._get(request)
        if prod is None:
            return None, bad_request([("originProductNo", "상품이 존재하지 않습니다.")], status=404,
                                     code="NOT_FOUND")
        return prod, None

    async def get(self, request: Request) -> Response:
        prod, err = self._authed_product(request)
        if err is not None:
            return err
        return self._ok({"originProduct": prod["originProduct"],
                         "smartstoreChannelProduct": prod["smartstoreChannelProduct"]})

    async def update(self, request: Request) -> Response:
        prod, err = self._authed_product(request)
        if err is not None:
            return err
        body = await self._json(request)
        problems = validate_product(body, False, self.require_cdn, self.address_ids)
        problems = problems or self.book.naver_problems(
            dict(body["originProduct"], leafCategoryId=body["originProduct"].get(
                "leafCategoryId") or prod["originProduct"].get("leafCategoryId")))
        if problems:
            return bad_request(problems)
        with self.lock:
            origin = body["originProduct"]
            prev = prod["originProduct"]
            origin.setdefault("leafCategoryId", prev.get("leafCategoryId"))
            if origin.get("stockQuantity") is None:
                origin["stockQuantity"] = prev.get("stockQuantity")
            if prev.get("statusType") == "SUSPENSION":
                origin["statusType"] = "SUSPENSION"
            self._store_options(origin, prev)
            self._set_status(origin)
            prod["originProduct"] = origin
            if body.get("smartstoreChannelProduct"):
                prod["smartstoreChannelProduct"] = body["smartstoreChannelProduct"]
            prod["updates"] += 1
        return self._ok({"originProductNo": prod["originProductNo"],
                         "smartstoreChannelProductNo": prod["smartstoreChannelProductNo"]})

    async def option_stock(self, request: Request) -> Response:
        prod, err = self._authed_product(request)
        if err is not None:
            return err
        body = await self._json(request) or {}
        origin = prod["originProduct"]
        problems = []
        price = (body.get("productSalePrice") or {}).get("salePrice")
        if price is not None and (not isinstance(price, int) or not 0 < price <= 999_999_990):
            problems.append(("productSalePrice.salePrice", "1 ~ 999,999,990"))
        combos = ((body.get("optionInfo") or {}).get("optionCombinations")) or []
        existing = {c["id"]: c for c in (((origin.get("detailAttribute") or {}).get("optionInfo")
                                          or {}).get("optionCombinations") or [])}
        for i, c in enumerate(combos):
            if c.get("id") not in existing:
                problems.append((f"optionInfo.optionCombinations[{i}].id", "존재하지 않는 옵션"))
            if not isinstance(c.get("stockQuantity"), int) or c["stockQuantity"] < 0:
                problems.append((f"optionInfo.optionCombinations[{i}].stockQuantity", "required"))
        if problems:
            return bad_request(problems)
        with self.lock:
            if price is not None:
                origin["salePrice"] = price
            for c in combos:
                existing[c["id"]].update({k: c[k] for k in ("stockQuantity", "price", "usable")
                                          if k in c})
            if existing:
                origin["stockQuantity"] = sum(int(c.get("stockQuantity") or 0)
                                              for c in existing.values())
            elif "stockQuantity" in body:
                origin["stockQuantity"] = int(body["stockQuantity"])
            self._set_status(origin)
            prod["updates"] += 1
        return Response(status_code=200, headers=self._rate_headers("1"))

    async def change_status(self, request: Request) -> Response:
        prod, err = self._authed_product(request)
        if err is not None:
            return err
        body = await self._json(request) or {}
        st = body.get("statusType")
        if st not in ("SALE", "SUSPENSION"):
            return bad_request([("statusType", "SALE or SUSPENSION")])
        with self.lock:
            prod["originProduct"]["statusType"] = st
            self._set_status(prod["originProduct"])
        return self._ok({"originProductNo": prod["originProductNo"],
                         "statusType": prod["originProduct"]["statusType"]})

    async def search(self, request: Request) -> Response:
        _, err = self._auth(request)
        if err:
            return err
        body = await self._json(request) or {}
        code = body.get("sellerManagementCode")
        with self.lock:
            hits = [p for p in self.products.values()
                    if code is None or _seller_code(p) == code]
        return self._ok({"contents": [
            {"originProductNo": p["originProductNo"],
             "channelProducts": [{"channelProductNo": p["smartstoreChannelProductNo"],
                                  "name": p["originProduct"].get("name"),
                                  "sellerManagementCode": _seller_code(p),
                                  "statusType": p["originProduct"].get("statusType")}]}
            for p in hits[:50]], "page": 1, "size": 50, "totalElements": len(hits)})

    async def upload(self, request: Request) -> Response:
        _, err = self._auth(request)
        if err:
            return err
        form = await request.form()
        files = form.getlist("imageFiles")
        if not files:
            return bad_request([("imageFiles", "required")])
        if len(files) > 10:
            return bad_request([("imageFiles", "최대 10개")])
        out = []
        for f in files:
            data = await f.read()
            kind = next((k for m, k in IMAGE_MAGIC.items() if data.startswith(m)), None)
            if kind is None:
                return bad_request([("imageFiles", f"{f.filename}: JPG, GIF, PNG, BMP만 가능합니다.")])
            digest = hashlib.sha1(data).hexdigest()[:20]
            url = f"{NAVER_CDN_PREFIX}sandbox/{digest}.{kind}"
            self.images[url] = f.filename or ""
            out.append({"url": url})
        return self._ok({"images": out})

    async def metadata(self, request: Request) -> Response:
        """GET /v1/categories[/{id}], /v1/products-for-provided-notice (market-metadata.md)."""
        _, err = self._auth(request)
        if err:
            return err
        path, q = request.url.path, request.query_params
        if path == "/v1/categories":
            return self._ok(meta.naver_categories(self.book, q.get("last") == "true"))
        if path.startswith("/v1/categories/"):
            found = meta.naver_category(self.book, request.path_params["id"])
            return self._ok(found) if found else bad_request(
                [("categoryId", "존재하지 않는 카테고리입니다.")], status=404, code="NOT_FOUND")
        return self._ok(meta.naver_notice_types(self.book, q.get("categoryId")))

    async def expire_tokens(self, request: Request) -> Response:
        with self.lock:
            self.tokens.clear()
        return JSONResponse({"ok": True})

    def dump(self) -> dict:
        with self.lock:
            by_code: dict[str, int] = {}
            for p in self.products.values():
                by_code[_seller_code(p)] = by_code.get(_seller_code(p), 0) + 1
            return {"products": {str(k): {"originProductNo": k,
                                          "name": v["originProduct"].get("name"),
                                          "salePrice": v["originProduct"].get("salePrice"),
                                          "stockQuantity": v["originProduct"].get("stockQuantity"),
                                          "statusType": v["originProduct"].get("statusType"),
                                          "sellerManagementCode": _seller_code(v),
                                          "updates": v["updates"],
                                          "optionCombinations": ((v["originProduct"].get(
                                              "detailAttribute") or {}).get("optionInfo") or {}
                                          ).get("optionCombinations") or []}
                                 for k, v in self.products.items()},
                    "by_seller_code": by_code, "token_requests": self.token_requests}


def _seller_code(p: dict) -> str:
    return str((((p["originProduct"].get("detailAttribute") or {}).get("sellerCodeInfo") or {})
                .get("sellerManagementCode")) or "")


def create_app(clients: dict[str, str] | None = None, *, rate: float | None = 2.0,
               burst: float | None = 4.0, require_cdn_images: bool = True,
               token_ttl: int = TOKEN_TTL_S, address_ids: set[int] | None = None) -> Starlette:
    """The SmartStore sandbox. `clients` maps client_id -> client_secret (bcrypt salt);
    `rate`/`burst` is the per-app token bucket (None: unlimited); `address_ids` are the seller's
    registered address-book ids (claimDeliveryInfo)."""
    sb = SmartStoreSandbox(clients or {SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET}, rate, burst,
                           require_cdn_images, token_ttl,
                           set(address_ids or SANDBOX_ADDRESS_IDS))
    st = sb.state

    def r(path, name, fn, methods, create=False):
        return Route(path, api(st, name, fn, error=_fault_error, is_create=create), methods=methods)

    routes = [
        r("/v1/oauth2/token", "POST /v1/oauth2/token", sb.token, ["POST"]),
        r("/v2/products", "POST /v2/products", sb.create, ["POST"], create=True),
        r("/v2/products/origin-products/{no}", "GET /v2/products/origin-products/{no}", sb.get,
          ["GET"]),
        r("/v2/products/origin-products/{no}", "PUT /v2/products/origin-products/{no}", sb.update,
          ["PUT"]),
        r("/v1/products/origin-products/{no}/option-stock",
          "PUT /v1/products/origin-products/{no}/option-stock", sb.option_stock, ["PUT"]),
        r("/v1/products/origin-products/{no}/change-status",
          "PUT /v1/products/origin-products/{no}/change-status", sb.change_status, ["PUT"]),
        r("/v1/products/search", "POST /v1/products/search", sb.search, ["POST"]),
        r("/v1/product-images/upload", "POST /v1/product-images/upload", sb.upload, ["POST"]),
        r("/v1/categories", "GET /v1/categories", sb.metadata, ["GET"]),
        r("/v1/categories/{id}", "GET /v1/categories/{id}", sb.metadata, ["GET"]),
        r("/v1/products-for-provided-notice", "GET /v1/products-for-provided-notice",
          sb.metadata, ["GET"]),
    ] + admin_routes(st, sb.dump, [Route("/__expire_tokens", sb.expire_tokens, methods=["POST"]),
                                   bulk_create_route(sb.clients.__contains__,
                                                     lambda _, body: sb.create_body(body))])

    async def not_found(request: Request, exc) -> Response:
        return gw_error(404, "GW.NOT_FOUND", "요청하신 리소스를 찾을 수 없습니다.")

    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.state.sandbox = sb
    return app
