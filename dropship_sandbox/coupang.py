"""A local Coupang WING Open API that checks what the real one checks.

- CEA HMAC: header format, known access key, signed-date freshness, and the HMAC recomputed
  from the raw path and raw query string as received (so a query encoded differently from what
  was signed fails with "Invalid signature.", as on Coupang);
- optional IP allow-list (403 "[FORBIDDEN] Not allowed IP"), per-vendor rate limit (429);
- seller products: required fields and limits, 10-won prices, approval flow (vendorItemIds only
  once approved: on the first GET after an approval request, or after `approval_delay` s),
  price/quantity/sales per vendorItemId with the -50%..+100% price guard unless forced.

Default credentials (docs/markets.md): SANDBOX_ACCESS_KEY / SANDBOX_SECRET_KEY / SANDBOX_VENDOR_ID.
"""

from __future__ import annotations

import calendar
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_core.markets.coupang import API
from dropship_sandbox import market_meta as meta
from dropship_sandbox.market_auth import coupang_signature
from dropship_sandbox.coupang_rules import validate_product
from dropship_sandbox.market_rules import RuleBook
from dropship_sandbox.market_common import SandboxState, admin_routes, api, bulk_create_route

SANDBOX_ACCESS_KEY = "sandbox-access-key"
SANDBOX_SECRET_KEY = "sandbox-secret-key"
SANDBOX_VENDOR_ID = "A00000001"
SIGNATURE_TTL_S = 5 * 60        # freshness window (the exact Coupang window is UNVERIFIED)
AUTH_RE = re.compile(r"^CEA algorithm=HmacSHA256, ?access-key=([^,\s]+), ?"
                     r"signed-date=(\d{6}T\d{6}Z), ?signature=([0-9a-f]{64})$")


def error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"code": "ERROR", "message": message,
                         "transactionId": str(uuid.uuid4()), **extra}, status_code=status)


def _fault_error(status: int, message: str) -> Response:
    return error(status, message)


def parse_signed_date(s: str) -> float:
    return calendar.timegm(time.strptime(s, "%y%m%dT%H%M%SZ"))


SANDBOX_RETURN_CENTERS = ("1000000001",)   # registered in WING (반품지)
SANDBOX_OUTBOUND_PLACES = ("74010",)       # registered in WING (출고지)


class CoupangSandbox:
    def __init__(self, keys: dict[str, tuple[str, str]], rate: float | None,
                 approval: str, approval_delay: float, allowed_ips: set[str] | None,
                 return_centers: set[str], outbound_places: set[str]):
        self.return_centers = return_centers
        self.outbound_places = outbound_places
        self.book = RuleBook("coupang")
        self.auto_category = True     # the sandbox vendor agreed to automatic category matching
        self.keys = keys                  # access key -> (secret key, vendorId)
        self.state = SandboxState(rate, rate)
        self.approval = approval          # "on_get" | "delay" | "manual"
        self.approval_delay = approval_delay
        self.allowed_ips = allowed_ips
        self.lock = threading.Lock()
        self.products: dict[int, dict] = {}
        self.items: dict[int, tuple[int, int]] = {}   # vendorItemId -> (sellerProductId, index)
        self.ids = itertools.count(1_320_000_001)
        self.vids = itertools.count(3_572_000_001)

    def _auth(self, request: Request) -> tuple[str | None, Response | None]:
        if self.allowed_ips is not None and request.client and \
                request.client.host not in self.allowed_ips:
            return None, error(403, f"[FORBIDDEN] Not allowed IP: {request.client.host}")
        m = AUTH_RE.match(request.headers.get("authorization", ""))
        if not m:
            return None, error(401, "HMAC format is invalid.")
        ak, date, sig = m.groups()
        key = self.keys.get(ak)
        if key is None:
            return None, error(401, "Invalid signature.")
        try:
            when = parse_signed_date(date)
        except ValueError:
            return None, error(401, "HMAC format is invalid.")
        if abs(time.time() - when) > SIGNATURE_TTL_S:
            return None, error(401, "Specified signature is expired.")
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        raw_path = raw_path.split(b"?", 1)[0]
        query = request.scope.get("query_string", b"")
        expected = coupang_signature(key[0], date, request.method, raw_path.decode("latin-1"),
                             query.decode("latin-1"))
        if not hmac.compare_digest(expected, sig):
            return None, error(401, "Invalid signature.")
        if not self.state.rate_ok(key[1]):
            return None, error(429, "Too Many Requests")
        return key[1], None

    async def _json(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    def _maybe_approve(self, prod: dict, on_get: bool) -> None:
        if prod["status"] not in ("APPROVING",):
            return
        due = (self.approval == "on_get" and on_get) or (
            self.approval == "delay" and time.time() - prod["requested_at"] >= self.approval_delay)
        if due:
            prod["status"] = "APPROVED"
            for i, it in enumerate(prod["body"]["items"]):
                if not it.get("vendorItemId"):
                    it["vendorItemId"] = next(self.vids)
                    it.setdefault("_onSale", True)
                self.items[it["vendorItemId"]] = (prod["id"], i)

    def _request_approval(self, prod: dict) -> None:
        prod["status"] = "APPROVING"
        prod["requested_at"] = time.time()

    # -- seller products -------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        vendor, err = self._auth(request)
        return err or self.create_body(vendor, await self._json(request))

    def create_body(self, vendor: str, body: Any) -> Response:
        """The create handler after authentication: validation, then storage."""
        problems = validate_product(body, vendor, self.return_centers, self.outbound_places)
        problems = problems or self.book.coupang_problems(body, self.auto_category)
        if problems:
            return error(400, problems[0], details=problems)
        with self.lock:
            pid = next(self.ids)
            for it in body["items"]:
                it.pop("vendorItemId", None)
            prod = {"id": pid, "vendor": vendor, "body": body, "status": "SAVED",
                    "requested_at": None, "created_at": time.time(), "updates": 0}
            self.products[pid] = prod
            if body.get("requested"):
                self._request_approval(prod)
        return JSONResponse({"code": "SUCCESS", "message": "", "data": pid})

    def create_and_read(self, vendor: str, body: Any) -> Response:
        """Bench setup (`/__bulk_create`): a create, then the GET the sync's after-create step
        sends (which approves on the first read); answers the create's response with the read
        product under `product`."""
        resp = self.create_body(vendor, body)
        if resp.status_code != 200:
            return resp
        pid = json.loads(resp.body)["data"]
        with self.lock:
            prod = self.products[pid]
            self._maybe_approve(prod, on_get=True)
            return JSONResponse({"code": "SUCCESS", "message": "", "data": pid,
                                 "product": self._view(prod)})

    def _product(self, request: Request, vendor: str) -> dict | None:
        try:
            prod = self.products.get(int(request.path_params["id"]))
        except ValueError:
            return None
        return prod if prod and prod["vendor"] == vendor else None

    def _view(self, prod: dict) -> dict:
        b = prod["body"]
        items = [{k: v for k, v in it.items() if not k.startswith("_")} for it in b["items"]]
        return {**{k: v for k, v in b.items() if k != "items"}, "sellerProductId": prod["id"],
                "statusName": {"SAVED": "임시저장", "APPROVING": "승인대기중",
                               "APPROVED": "승인완료"}[prod["status"]],
                "items": items}

    def _on_product(self, request: Request, act) -> Response:
        """Authenticate, find the vendor's product (404 in Coupang's words when it is not theirs)
        and apply `act(product)` under the lock."""
        vendor, err = self._auth(request)
        if err:
            return err
        with self.lock:
            prod = self._product(request, vendor)
            if prod is None:
                return error(404, "상품이 존재하지 않습니다.")
            return act(prod)

    async def get(self, request: Request) -> Response:
        def show(prod: dict) -> Response:
            self._maybe_approve(prod, on_get=True)
            return JSONResponse({"code": "SUCCESS", "message": "", "data": self._view(prod)})

        return self._on_product(request, show)

    async def update(self, request: Request) -> Response:
        vendor, err = self._auth(request)
        if err:
            return err
        body = await self._json(request)
        problems = validate_product(body, vendor, self.return_centers, self.outbound_places)
        pid = body.get("sellerProductId") if isinstance(body, dict) else None
        if pid is None:
            problems.insert(0, "sellerProductId is required")
        problems = problems or self.book.coupang_problems(body, self.auto_category)
        if problems:
            return error(400, problems[0], details=problems)
        with self.lock:
            prod = self.products.get(int(pid))
            if prod is None or prod["vendor"] != vendor:
                return error(404, "상품이 존재하지 않습니다.")
            known = {it.get("vendorItemId") for it in prod["body"]["items"]}
            for it in body["items"]:
                if it.get("vendorItemId") and it["vendorItemId"] not in known:
                    return error(400, f"vendorItemId {it['vendorItemId']} is not in this product")
            old_sale = {it.get("vendorItemId"): it.get("_onSale", True)
                        for it in prod["body"]["items"]}
            for it in body["items"]:
                if it.get("vendorItemId"):
                    it["_onSale"] = old_sale.get(it["vendorItemId"], True)
            prod["body"] = {k: v for k, v in body.items() if k != "sellerProductId"}
            prod["updates"] += 1
            self.items = {vid: v for vid, v in self.items.items() if v[0] != prod["id"]}
            for i, it in enumerate(prod["body"]["items"]):
                if it.get("vendorItemId"):
                    self.items[it["vendorItemId"]] = (prod["id"], i)
            if body.get("requested") or prod["status"] == "APPROVED":
                self._request_approval(prod)   # an edit of an approved product is re-approved
        return JSONResponse({"code": "SUCCESS", "message": "", "data": prod["id"]})

    async def approvals(self, request: Request) -> Response:
        def request_approval(prod: dict) -> Response:
            self._request_approval(prod)
            return JSONResponse({"code": "SUCCESS", "message": f"{prod['id']} 승인 요청되었습니다.",
                                 "data": str(prod["id"])})

        return self._on_product(request, request_approval)

    async def list_products(self, request: Request) -> Response:
        vendor, err = self._auth(request)
        if err:
            return err
        q = dict(parse_qsl(request.scope.get("query_string", b"").decode("latin-1"),
                           keep_blank_values=True))
        if q.get("vendorId") != vendor:
            return error(400, "vendorId is required and must match the access key")
        name = q.get("sellerProductName")
        size = max(1, min(100, int(q.get("maxPerPage") or 50)))
        with self.lock:
            rows = [p for p in self.products.values() if p["vendor"] == vendor and (
                not name or name in (p["body"].get("sellerProductName") or ""))]
        return JSONResponse({"code": "SUCCESS", "message": "", "nextToken": "",
                             "data": [{"sellerProductId": p["id"],
                                       "sellerProductName": p["body"].get("sellerProductName"),
                                       "statusName": self._view(p)["statusName"]}
                                      for p in rows[:size]]})

    async def by_external_sku(self, request: Request) -> Response:
        vendor, err = self._auth(request)
        if err:
            return err
        sku = request.path_params["sku"]      # already percent-decoded by the server
        with self.lock:
            rows = [p for p in self.products.values() if p["vendor"] == vendor and any(
                it.get("externalVendorSku") == sku for it in p["body"]["items"])]
        return JSONResponse({"code": "SUCCESS", "message": "",
                             "data": [{"sellerProductId": p["id"],
                                       "sellerProductName": p["body"].get("sellerProductName"),
                                       "statusName": self._view(p)["statusName"]} for p in rows]})

    # -- vendor items ----------------------------------------------------------------------

    def _item(self, request: Request, vendor: str) -> dict | None:
        try:
            ref = self.items.get(int(request.path_params["vid"]))
        except ValueError:
            return None
        if ref is None or self.products[ref[0]]["vendor"] != vendor:
            return None
        return self.products[ref[0]]["body"]["items"][ref[1]]

    def _on_item(self, request: Request, act) -> Response:
        """Authenticate, find the vendor's item (404 in Coupang's words when it is not theirs) and
        apply `act(item)` under the lock."""
        vendor, err = self._auth(request)
        if err:
            return err
        with self.lock:
            it = self._item(request, vendor)
            if it is None:
                return error(404, "옵션ID가 존재하지 않습니다.")
            return act(it)

    async def price(self, request: Request) -> Response:
        def change(it: dict) -> Response:
            new = int(request.path_params["price"])
            force = request.query_params.get("forceSalePriceUpdate") == "true"
            if new <= 0 or new % 10:
                return error(400, "가격변경에 실패했습니다. 판매가는 10원 단위로 입력해 주세요.")
            old = int(it["salePrice"])
            if not force and not (old * 0.5 <= new <= old * 2):
                return error(400, f"가격변경에 실패했습니다. [옵션ID[{it['vendorItemId']}] : 판매가 "
                                  "변경이 불가능합니다. 변경전 판매가의 최대 50% 인하/최대 100%"
                                  "인상까지 변경가능합니다.]")
            it["salePrice"] = new
            it["originalPrice"] = max(int(it.get("originalPrice") or 0), new)
            return JSONResponse({"code": "SUCCESS", "message": "Completed price change.", "data": None})

        return self._on_item(request, change)

    async def quantity(self, request: Request) -> Response:
        def change(it: dict) -> Response:
            q = int(request.path_params["q"])
            if q < 0:
                return error(400, "재고는 0 이상이어야 합니다.")
            it["maximumBuyCount"] = q
            return JSONResponse({"code": "SUCCESS", "message": "재고 변경을 완료했습니다."})

        return self._on_item(request, change)

    async def sales(self, request: Request) -> Response:
        def change(it: dict) -> Response:
            if request.path_params["action"] not in ("stop", "resume"):
                return error(404, "Not Found")
            it["_onSale"] = request.path_params["action"] == "resume"
            return JSONResponse({"code": "SUCCESS", "message": "", "data": None})

        return self._on_item(request, change)

    async def inventories(self, request: Request) -> Response:
        return self._on_item(request, lambda it: JSONResponse({"code": "SUCCESS", "message": "", "data": {
            "sellerItemId": it["vendorItemId"], "amountInStock": it.get("maximumBuyCount"),
            "salePrice": it.get("salePrice"), "onSale": it.get("_onSale", True)}}))

    async def metadata(self, request: Request) -> Response:
        """meta/display-categories, category-related-metas, check-auto-category-agreed."""
        vendor, err = self._auth(request)
        if err:
            return err
        path = request.url.path
        if path.endswith("/check-auto-category-agreed"):
            if request.path_params.get("vendor") != vendor:
                return error(403, "vendorId does not match the access key")
            return JSONResponse({"code": "SUCCESS", "message": "", "data": self.auto_category})
        if "category-related-metas" in path:
            found = meta.coupang_metas(self.book, request.path_params["code"])
            return JSONResponse(found) if found else error(
                400, f"displayCategoryCode {request.path_params['code']} is not a leaf category")
        return JSONResponse(meta.coupang_tree(self.book))

    def dump(self) -> dict:
        with self.lock:
            by_sku: dict[str, int] = {}
            for p in self.products.values():
                sku = p["body"]["items"][0].get("externalVendorSku") or ""
                by_sku[sku] = by_sku.get(sku, 0) + 1
            return {"products": {str(pid): {
                "sellerProductId": pid, "status": p["status"], "updates": p["updates"],
                "name": p["body"].get("sellerProductName"),
                "items": [{"externalVendorSku": it.get("externalVendorSku"),
                           "vendorItemId": it.get("vendorItemId"), "salePrice": it.get("salePrice"),
                           "maximumBuyCount": it.get("maximumBuyCount"),
                           "onSale": it.get("_onSale", True)} for it in p["body"]["items"]]}
                for pid, p in self.products.items()}, "by_first_sku": by_sku}


def create_app(keys: dict[str, tuple[str, str]] | None = None, *, rate: float | None = 10.0,
               approval: str = "on_get", approval_delay: float = 0.0,
               allowed_ips: set[str] | None = None, return_centers: set[str] | None = None,
               outbound_places: set[str] | None = None) -> Starlette:
    """The Coupang sandbox. `keys` maps access key -> (secret key, vendorId). `approval`:
    "on_get" (approved at the first GET after the approval request), "delay" (approved
    `approval_delay` s after the request) or "manual" (never)."""
    sb = CoupangSandbox(keys or {SANDBOX_ACCESS_KEY: (SANDBOX_SECRET_KEY, SANDBOX_VENDOR_ID)},
                        rate, approval, approval_delay, allowed_ips,
                        set(return_centers or SANDBOX_RETURN_CENTERS),
                        set(outbound_places or SANDBOX_OUTBOUND_PLACES))
    st = sb.state

    def r(path, name, fn, methods, create=False):
        return Route(API + path, api(st, name, fn, error=_fault_error, is_create=create),
                     methods=methods)

    routes = [
        r("/seller-products", "POST seller-products", sb.create, ["POST"], create=True),
        r("/seller-products", "PUT seller-products", sb.update, ["PUT"]),
        r("/seller-products", "GET seller-products", sb.list_products, ["GET"]),
        r("/seller-products/external-vendor-sku-codes/{sku:path}",
          "GET seller-products/external-vendor-sku-codes/{sku}", sb.by_external_sku, ["GET"]),
        r("/seller-products/{id}", "GET seller-products/{id}", sb.get, ["GET"]),
        r("/seller-products/{id}/approvals", "PUT seller-products/{id}/approvals", sb.approvals,
          ["PUT"]),
        r("/vendor-items/{vid}/prices/{price}", "PUT vendor-items/{id}/prices/{price}", sb.price,
          ["PUT"]),
        r("/vendor-items/{vid}/quantities/{q}", "PUT vendor-items/{id}/quantities/{q}",
          sb.quantity, ["PUT"]),
        r("/vendor-items/{vid}/sales/{action:str}", "PUT vendor-items/{id}/sales/{action}",
          sb.sales, ["PUT"]),
        r("/vendor-items/{vid}/inventories", "GET vendor-items/{id}/inventories", sb.inventories,
          ["GET"]),
        r("/meta/display-categories", "GET meta/display-categories", sb.metadata, ["GET"]),
        r("/meta/category-related-metas/display-category-codes/{code}",
          "GET meta/category-related-metas/{code}", sb.metadata, ["GET"]),
        r("/vendors/{vendor}/check-auto-category-agreed",
          "GET vendors/{id}/check-auto-category-agreed", sb.metadata, ["GET"]),
    ] + admin_routes(st, sb.dump, [bulk_create_route(
        sb.keys.__contains__, lambda ak, body: sb.create_and_read(sb.keys[ak][1], body))])

    async def not_found(request: Request, exc) -> Response:
        return error(404, "Not Found")

    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.state.sandbox = sb
    return app
