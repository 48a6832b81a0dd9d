"""Coupang WING Open API: CEA HMAC signing and seller products.

Wire facts: contracts section 1. Base URL `https://api-gateway.coupang.com`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, Callable
from urllib.parse import quote

import httpx

from dropship_core.http import BaseClient, RetryPolicy, response_body
from dropship_core.markets.errors import MarketAuthError, MarketError
from dropship_core.markets.http import MarketHttp
from dropship_core.markets.names import COUPANG
from dropship_core.markets.settings import DEFAULT_BASE_URLS, Secret, SellerSettings

API = "/v2/providers/seller_api/apis/api/v1/marketplace"
# heavy calls (product create/edit) may ask the gateway for a longer timeout [OFFICIAL article]
EXTENDED_TIMEOUT = {"X-EXTENDED-TIMEOUT": "90000"}


def signed_date(epoch: float | None = None) -> str:
    """yyMMdd'T'HHmmss'Z' in UTC, 2-digit year."""
    t = time.gmtime(time.time() if epoch is None else epoch)
    return time.strftime("%y%m%d", t) + "T" + time.strftime("%H%M%S", t) + "Z"


def encode_query(params: dict[str, Any] | list[tuple[str, Any]] | None) -> str:
    """The query string exactly as sent and signed: UTF-8 percent-encoding, %20 for spaces."""
    if not params:
        return ""
    items = params.items() if isinstance(params, dict) else params
    return "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in items
                    if v is not None)


def signature(secret_key: str, date: str, method: str, path: str, query: str) -> str:
    """hex(HMAC-SHA256(secret, signed-date + METHOD + path + query)); query without '?'."""
    message = f"{date}{method.upper()}{path}{query}"
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def authorization(access_key: str, secret_key: str, method: str, path: str, query: str,
                  epoch: float | None = None) -> str:
    date = signed_date(epoch)
    sig = signature(secret_key, date, method, path, query)
    return (f"CEA algorithm=HmacSHA256, access-key={access_key}, signed-date={date}, "
            f"signature={sig}")


def parse_coupang_error(resp: httpx.Response, method: str, path: str) -> MarketError:
    body = response_body(resp)
    if isinstance(body, dict):
        message = body.get("message") or resp.reason_phrase
        code = body.get("code")
    else:  # Akamai's HTML "Access Denied" and other non-JSON bodies
        message, code = (str(body)[:200] or resp.reason_phrase), None
    cls = MarketAuthError if resp.status_code in (401, 403) else MarketError
    details = body.get("details") or body.get("errorItems") if isinstance(body, dict) else None
    return cls(COUPANG, message, status=resp.status_code, code=code, response=body,
               method=method, path=path,
               invalid_inputs=[{"name": "item", "message": str(d)} for d in details]
               if isinstance(details, list) else None)


class CoupangClient(BaseClient):
    repr_fields = ("vendor_id",)
    market = COUPANG

    def __init__(self, access_key: str, secret_key: str, vendor_id: str,
                 base_url: str | None = None, *, timeout: float = 30.0,
                 connect_timeout: float = 5.0, rate: float = 5.0, burst: float | None = 5.0,
                 retry: RetryPolicy | None = None, seller: SellerSettings | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time):
        self.access_key = access_key
        self._secret = Secret(secret_key)
        self.vendor_id = vendor_id
        self.seller = seller or SellerSettings(coupang_vendor_id=vendor_id)
        if not self.seller.coupang_vendor_id:
            self.seller.coupang_vendor_id = vendor_id
        self.clock = clock
        # the documented threshold is ">10 calls per second" per vendorId; we stay well under
        self.http = MarketHttp(COUPANG, base_url or DEFAULT_BASE_URLS[COUPANG], timeout=timeout,
                               connect_timeout=connect_timeout, rate=rate, burst=burst,
                               retry=retry, parse_error=parse_coupang_error, sleep=sleep,
                               default_headers={"Content-Type": "application/json;charset=UTF-8",
                                                "X-Requested-By": vendor_id})

    def _sign(self, method: str, path: str, query: str) -> dict[str, str]:
        return {"Authorization": authorization(self.access_key, self._secret.get(), method, path,
                                               query, self.clock())}

    def _call(self, method: str, path: str, *, params=None, json: Any = None,
              route: str | None = None, idempotent: bool | None = None,
              headers: dict | None = None) -> Any:
        query = encode_query(params)
        resp = self.http.request(method, path, query=query, json=json, sign=self._sign,
                                 route=route, idempotent=idempotent, headers=headers)
        body = response_body(resp)
        if isinstance(body, dict) and body.get("code") not in (None, "SUCCESS", 200, "200"):
            raise MarketError(COUPANG, body.get("message") or "error", status=resp.status_code,
                              code=body.get("code"), response=body, method=method, path=path)
        return body

    def ping(self) -> dict:
        """The cheapest authenticated call: one page of one seller product."""
        self.list_seller_products(max_per_page=1)
        return {"market": COUPANG, "ok": True}

    # -- seller products -------------------------------------------------------------------

    def create_seller_product(self, body: dict) -> int:
        res = self._call("POST", f"{API}/seller-products", json=body,
                         route="POST seller-products", idempotent=False,
                         headers=EXTENDED_TIMEOUT)
        return int(res["data"])

    def update_seller_product(self, body: dict) -> Any:
        """Full update: PUT seller-products with sellerProductId and items[].vendorItemId.

        The path is Coupang's documented product-modification API; it is not in the contracts
        file (UNVERIFIED here). An edit of an approved product goes back to approval.
        """
        return self._call("PUT", f"{API}/seller-products", json=body, route="PUT seller-products",
                          headers=EXTENDED_TIMEOUT)

    def get_seller_product(self, seller_product_id: int) -> dict:
        return self._call("GET", f"{API}/seller-products/{seller_product_id}",
                          route="GET seller-products/{id}")["data"]

    def request_approval(self, seller_product_id: int) -> Any:
        return self._call("PUT", f"{API}/seller-products/{seller_product_id}/approvals",
                          route="PUT seller-products/{id}/approvals")

    def list_seller_products(self, *, name: str | None = None, status: str | None = None,
                             max_per_page: int = 50, next_token: str | None = None) -> dict:
        params = [("vendorId", self.vendor_id), ("nextToken", next_token or ""),
                  ("maxPerPage", max_per_page)]
        if name:
            params.append(("sellerProductName", name))
        if status:
            params.append(("status", status))
        return self._call("GET", f"{API}/seller-products", params=params,
                          route="GET seller-products")

    def find_by_external_sku(self, external_vendor_sku: str) -> list[dict]:
        """Seller products carrying `externalVendorSku`, to reconcile a create whose response was lost.

        UNVERIFIED: `GET seller-products/external-vendor-sku-codes/{code}` is the path public
        clients use for Coupang's "상품 요약 정보 조회"; the response is read tolerantly
        (`data` as a list or one object, `sellerProductId` per entry).
        """
        try:
            res = self._call("GET",
                             f"{API}/seller-products/external-vendor-sku-codes/"
                             f"{quote(external_vendor_sku, safe='')}",
                             route="GET seller-products/external-vendor-sku-codes/{sku}")
        except MarketError as exc:
            if exc.status == 404:
                return []
            raise
        data = res.get("data")
        if isinstance(data, dict):
            data = [data]
        return [d for d in (data or []) if d.get("sellerProductId")]

    # -- per option (vendorItemId) ---------------------------------------------------------

    def update_price(self, vendor_item_id: int, price: int, force: bool = True) -> Any:
        # force: without it a change is limited to -50%..+100% of the current price
        return self._call("PUT", f"{API}/vendor-items/{vendor_item_id}/prices/{int(price)}",
                          params={"forceSalePriceUpdate": "true"} if force else None,
                          route="PUT vendor-items/{id}/prices/{price}")

    def update_quantity(self, vendor_item_id: int, quantity: int) -> Any:
        return self._call("PUT", f"{API}/vendor-items/{vendor_item_id}/quantities/{int(quantity)}",
                          route="PUT vendor-items/{id}/quantities/{q}")

    def stop_sales(self, vendor_item_id: int) -> Any:
        return self._call("PUT", f"{API}/vendor-items/{vendor_item_id}/sales/stop",
                          route="PUT vendor-items/{id}/sales/stop")

    def resume_sales(self, vendor_item_id: int) -> Any:
        return self._call("PUT", f"{API}/vendor-items/{vendor_item_id}/sales/resume",
                          route="PUT vendor-items/{id}/sales/resume")

    def get_inventory(self, vendor_item_id: int) -> dict:
        return self._call("GET", f"{API}/vendor-items/{vendor_item_id}/inventories",
                          route="GET vendor-items/{id}/inventories")["data"]


    # -- metadata (market-metadata.md section 2) ------------------------------------------

    def display_categories(self) -> dict:
        """The whole display-category tree (`data` = ROOT with nested `child[]`)."""
        return self._call("GET", f"{API}/meta/display-categories",
                          route="GET meta/display-categories")["data"]

    def category_metas(self, code: str | int) -> dict:
        """Required attributes / purchase options, notice categories, documents,
        certifications and isAllowSingleItem of one leaf."""
        return self._call("GET", f"{API}/meta/category-related-metas/display-category-codes/"
                                 f"{code}", route="GET meta/category-related-metas/{code}")["data"]

    def auto_category_agreed(self) -> bool:
        """Whether the vendor agreed to automatic category matching (then displayCategoryCode
        may be omitted and Coupang assigns one)."""
        res = self._call("GET", f"{API}/vendors/{self.vendor_id}/check-auto-category-agreed",
                         route="GET vendors/{id}/check-auto-category-agreed")
        return str(res.get("data")).lower() == "true"


def vendor_items_by_sku(product: dict) -> dict[str, int]:
    """{externalVendorSku: vendorItemId} from GET seller-products/{id}; empty before approval."""
    out = {}
    for item in product.get("items") or []:
        vid = item.get("vendorItemId")
        if vid:
            out[str(item.get("externalVendorSku") or item.get("itemName"))] = int(vid)
    return out
