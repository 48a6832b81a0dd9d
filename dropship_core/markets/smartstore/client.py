"""Naver Commerce API (SmartStore): signing, token, products.

Wire facts: the marketplace contract, section 2 (docs/markets.md has the user-facing summary). Base URL `https://api.commerce.naver.com/external`.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any, Callable

import bcrypt
import httpx

from dropship_core.http import BaseClient, RetryPolicy, response_body
from dropship_core.markets.errors import MarketAuthError, MarketError
from dropship_core.markets.http import MarketHttp
from dropship_core.markets.names import SMARTSTORE
from dropship_core.markets.settings import DEFAULT_BASE_URLS, Secret, SellerSettings

BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
TOKEN_REFRESH_MARGIN_S = 30 * 60   # re-issue only once less than 30 min remain
NAVER_CDN_PREFIX = "https://shop-phinf.pstatic.net/"


def canonical_bcrypt_salt(salt: str) -> str:
    """Clear the unused low 4 bits of the 22nd salt character.

    A bcrypt salt is 16 bytes = 128 bits in 22 base64 characters (132 bits); the last character
    carries 2 meaningful bits. OpenBSD, jBCrypt and node-bcrypt ignore the rest; the Rust core of
    python-bcrypt >= 4 rejects them ("Invalid salt"). Naver's sample secret `...stuv` is such a
    salt and the official output was made with the bits cleared (`...stuu`).
    """
    prefix, rest = salt[:7], salt[7:]          # "$2a$10$"
    if len(rest) < 22:
        return salt
    last = rest[21]
    idx = BCRYPT_ALPHABET.find(last)
    if idx < 0:
        return salt
    return prefix + rest[:21] + BCRYPT_ALPHABET[idx & 0x30] + rest[22:]


def client_secret_sign(client_id: str, client_secret: str, timestamp_ms: int | str) -> str:
    """base64(bcrypt.hashpw(f"{client_id}_{timestamp}", salt=client_secret)), standard base64."""
    password = f"{client_id}_{timestamp_ms}".encode()
    try:
        hashed = bcrypt.hashpw(password, client_secret.encode())
    except ValueError:
        # "Invalid salt": canonicalise like the reference implementations do, then retry once.
        # Never echo the secret in the message.
        try:
            hashed = bcrypt.hashpw(password, canonical_bcrypt_salt(client_secret).encode())
        except ValueError:
            raise ValueError("SmartStore client secret is not a valid bcrypt salt") from None
    return base64.standard_b64encode(hashed).decode()


def parse_naver_error(resp: httpx.Response, method: str, path: str) -> MarketError:
    body = response_body(resp)
    code = message = None
    invalid = None
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message")
        invalid = body.get("invalidInputs")
    message = message or resp.reason_phrase or "error"
    cls = MarketAuthError if resp.status_code in (401, 403) else MarketError
    return cls(SMARTSTORE, message, status=resp.status_code, code=code, response=body,
               method=method, path=path, trace_id=resp.headers.get("GNCP-GW-Trace-ID"),
               invalid_inputs=invalid if isinstance(invalid, list) else None)


def _naver_retryable(resp: httpx.Response) -> bool:
    # GW.QUOTA_LIMIT lasts an hour (or two weeks after a bad token request): never hammer it.
    if resp.status_code == 429:
        body = response_body(resp)
        return not (isinstance(body, dict) and body.get("code") == "GW.QUOTA_LIMIT")
    return True


class SmartStoreClient(BaseClient):
    repr_fields = ("client_id",)
    market = SMARTSTORE

    def __init__(self, client_id: str, client_secret: str, base_url: str | None = None, *,
                 timeout: float = 30.0, connect_timeout: float = 5.0, rate: float = 2.0,
                 burst: float | None = 4.0, retry: RetryPolicy | None = None,
                 seller: SellerSettings | None = None, account_type: str = "SELF",
                 account_id: str | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 image_fetch_timeout: float = 15.0):
        self.client_id = client_id
        self._secret = Secret(client_secret)
        self.seller = seller or SellerSettings()
        self.account_type = account_type
        self.account_id = account_id
        self.clock = clock
        self.http = MarketHttp(SMARTSTORE, base_url or DEFAULT_BASE_URLS[SMARTSTORE],
                               timeout=timeout, connect_timeout=connect_timeout, rate=rate,
                               burst=burst, retry=retry, parse_error=parse_naver_error,
                               is_retryable=_naver_retryable, sleep=sleep)
        self._token: Secret | None = None
        self._token_expires_at = 0.0
        self._token_lock = threading.Lock()
        self.tokens_issued = 0
        self.image_fetch_timeout = image_fetch_timeout

    # -- auth ------------------------------------------------------------------------------

    def get_token(self, force: bool = False) -> str:
        with self._token_lock:
            now = self.clock()
            if (not force and self._token is not None
                    and self._token_expires_at - now > TOKEN_REFRESH_MARGIN_S):
                return self._token.get()
            ts = int(now * 1000)
            form = {
                "client_id": self.client_id,
                "timestamp": str(ts),
                "client_secret_sign": client_secret_sign(self.client_id, self._secret.get(), ts),
                "grant_type": "client_credentials",
                "type": self.account_type,
            }
            if self.account_type == "SELLER" and self.account_id:
                form["account_id"] = self.account_id
            # form-urlencoded BODY: Naver throttles apps that put these in the query string
            resp = self.http.request("POST", "/v1/oauth2/token", data=form,
                                     route="POST /v1/oauth2/token", idempotent=True)
            body = resp.json()
            token = body.get("access_token")
            if not token:
                raise MarketAuthError(SMARTSTORE, "token response without access_token",
                                      status=resp.status_code,
                                      response={k: v for k, v in body.items() if k != "access_token"})
            self._token = Secret(token)
            self._token_expires_at = now + float(body.get("expires_in") or 10800)
            self.tokens_issued += 1
            return token

    def _call(self, method: str, path: str, *, json: Any = None, route: str | None = None,
              idempotent: bool | None = None, files: Any = None, query: str = "") -> Any:
        for attempt in (0, 1):
            token = self.get_token(force=attempt == 1)
            try:
                resp = self.http.request(method, path, json=json, files=files, route=route,
                                         idempotent=idempotent, query=query,
                                         headers={"Authorization": f"Bearer {token}"})
            except MarketAuthError as exc:
                # 401 GW.AUTHN: the token expired or was revoked -> re-issue and retry once
                if attempt == 0 and exc.status == 401 and exc.code == "GW.AUTHN":
                    continue
                raise
            self._adapt_rate(resp)
            return response_body(resp) if resp.content else None
        raise AssertionError("unreachable")

    def _adapt_rate(self, resp: httpx.Response) -> None:
        rate = resp.headers.get("GNCP-GW-RateLimit-Replenish-Rate")
        burst = resp.headers.get("GNCP-GW-RateLimit-Burst-Capacity")
        try:
            r = float(rate) if rate else None
        except ValueError:
            r = None
        if r and 0 < r < self.http.bucket.rate:
            self.http.bucket.set_rate(r, float(burst) if burst else None)

    def ping(self) -> dict:
        """The cheapest authenticated call: issue a token."""
        self.get_token(force=True)
        return {"market": SMARTSTORE, "ok": True, "token_expires_in_s":
                int(self._token_expires_at - self.clock())}

    # -- products --------------------------------------------------------------------------

    def create_product(self, body: dict) -> dict:
        return self._call("POST", "/v2/products", json=body, route="POST /v2/products",
                          idempotent=False)

    def update_product(self, origin_product_no: int, body: dict) -> dict:
        return self._call("PUT", f"/v2/products/origin-products/{origin_product_no}", json=body,
                          route="PUT /v2/products/origin-products/{no}")

    def get_product(self, origin_product_no: int) -> dict:
        return self._call("GET", f"/v2/products/origin-products/{origin_product_no}",
                          route="GET /v2/products/origin-products/{no}")

    def update_option_stock(self, origin_product_no: int, body: dict) -> Any:
        return self._call("PUT", f"/v1/products/origin-products/{origin_product_no}/option-stock",
                          json=body, route="PUT /v1/products/origin-products/{no}/option-stock")

    def change_status(self, origin_product_no: int, status_type: str) -> Any:
        return self._call("PUT", f"/v1/products/origin-products/{origin_product_no}/change-status",
                          json={"statusType": status_type},
                          route="PUT /v1/products/origin-products/{no}/change-status")

    def search_by_seller_code(self, seller_code: str) -> list[dict]:
        """Products whose seller management code is `seller_code`.

        UNVERIFIED: `POST /v1/products/search` with `searchKeywordType=SELLER_CODE` and
        `sellerManagementCode` follows Naver's product-list API as described by public clients;
        the response is read tolerantly (`contents[].originProductNo`, `channelProducts[]`).
        """
        body = self._call("POST", "/v1/products/search", route="POST /v1/products/search",
                          json={"searchKeywordType": "SELLER_CODE",
                                "sellerManagementCode": seller_code, "page": 1, "size": 50},
                          idempotent=True)
        out = []
        for c in (body or {}).get("contents") or []:
            ext = {"originProductNo": c.get("originProductNo")}
            chans = c.get("channelProducts") or []
            if chans:
                ext["smartstoreChannelProductNo"] = chans[0].get("channelProductNo")
            out.append(ext)
        return out

    def upload_images(self, files: list[tuple[str, bytes, str]]) -> list[str]:
        """POST /v1/product-images/upload, multipart field `imageFiles`, at most 10 per call."""
        urls: list[str] = []
        for i in range(0, len(files), 10):
            chunk = [("imageFiles", f) for f in files[i:i + 10]]
            body = self._call("POST", "/v1/product-images/upload", files=chunk,
                              route="POST /v1/product-images/upload", idempotent=True)
            urls.extend(img["url"] for img in (body or {}).get("images", []))
        return urls

    def fetch_image(self, url: str) -> tuple[str, bytes, str]:
        """Download a supplier image (no credentials sent) to upload it to Naver."""
        with httpx.Client(timeout=self.image_fetch_timeout, follow_redirects=True) as c:
            r = c.get(url)
            r.raise_for_status()
        name = url.rsplit("/", 1)[-1].split("?")[0] or "image.jpg"
        return (name, r.content, r.headers.get("content-type", "application/octet-stream"))

    # -- metadata (market-metadata.md section 1) ------------------------------------------

    def categories(self, last_only: bool = False) -> list[dict]:
        """GET /v1/categories: flat `[{id, name, wholeCategoryName, last}]`."""
        return self._call("GET", "/v1/categories", query="last=true" if last_only else "",
                          route="GET /v1/categories") or []

    def category(self, category_id: str) -> dict:
        """GET /v1/categories/{id}: + exceptionalCategories, certificationInfos."""
        return self._call("GET", f"/v1/categories/{category_id}",
                          route="GET /v1/categories/{id}") or {}

    def notice_types(self, category_id: str | None = None) -> list[dict]:
        """GET /v1/products-for-provided-notice (categoryId = the top-level category)."""
        q = f"categoryId={category_id}" if category_id else ""
        return self._call("GET", "/v1/products-for-provided-notice", query=q,
                          route="GET /v1/products-for-provided-notice") or []
