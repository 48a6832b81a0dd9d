"""A local Coupang category prediction API (`POST .../categorization/predict`), strict like the
real one where the documentation says so (contracts: market-evidence.md section 4).

- CEA HMAC, checked from the documentation with this module's own HMAC code (not the client's):
  header `CEA algorithm=HmacSHA256, access-key=…, signed-date=yyMMddTHHmmssZ, signature=hex`,
  signature = hex(HMAC-SHA256(secret, signed-date + METHOD + path + query)); a known access key,
  a fresh signed-date (5 minutes), the signature recomputed from the raw path and query. The
  reference vectors in `REFERENCE_VECTORS` were computed with `openssl dgst -sha256 -hmac`.
- Rate limit per vendorId (the documented ">10 calls per second"): 429 beyond `rate` per second.
- Body: JSON object with a non-empty `productName` (400 otherwise), answer
  `{"code": 200, "message": "OK", "data": {autoCategorizationPredictionResultType,
  predictedCategoryId, predictedCategoryName, comment}}`.
- Prediction by its own simple rule: the Coupang leaf whose name (or a "/" part of it) is a
  whole word of the product name, the longest such word winning; none → FAILURE; a name of
  fewer than two words → INSUFFICIENT_INFORMATION.
- Fault injection: `fail_next(status, n)` answers the next n calls with that status.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import hmac
import re
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PATH = "/v2/providers/openapi/apis/api/v1/categorization/predict"
ACCESS_KEY = "sandbox-access-key"
SECRET_KEY = "sandbox-secret-key"
VENDOR_ID = "A00000001"
FRESH_S = 300
AUTH_RE = re.compile(r"^CEA algorithm=HmacSHA256, access-key=([^,\s]+), "
                     r"signed-date=(\d{6}T\d{6}Z), signature=([0-9a-f]{64})$")
# (secret, message, expected hex HMAC-SHA256), computed with openssl
REFERENCE_VECTORS = (
    ("sandbox-secret-key", "261201T093000ZPOST" + PATH,
     "72c57ee5bf49268875d8fad50ea4500233ded4a9759006ad3dc5dd745f686f2f"),
    ("sandbox-secret-key", "261201T093000ZGET/v2/providers/seller_api/apis/api/v1/marketplace/"
     "seller-productsvendorId=A00000001&maxPerPage=1",
     "539f531661ebdaf3baa3962971e9cf97367bee189aa1b9562587b0078b648999"),
)
TREE_CSV = Path(__file__).resolve().parents[1] / "dropship_core" / "ai" / "data" / "coupang_categories_partial.csv"


def expected_signature(secret: str, signed_date: str, method: str, path: str, query: str) -> str:
    msg = (signed_date + method + path + query).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), msg, hashlib.sha256).hexdigest()


def self_check() -> None:
    for secret, msg, want in REFERENCE_VECTORS:
        got = hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()
        if got != want:
            raise AssertionError(f"HMAC reference vector failed: {msg!r}")


def _words(text: str) -> list[str]:
    return re.sub(r"[^0-9a-z가-힣]+", " ", text.lower()).split()


class PredictSandbox:
    def __init__(self, *, rate: int = 10, keys: dict[str, tuple[str, str]] | None = None,
                 clock=time.time):
        self_check()
        self.keys = keys or {ACCESS_KEY: (SECRET_KEY, VENDOR_ID)}
        self.rate, self.clock = rate, clock
        self.calls = 0
        self.log: list[dict] = []
        self._recent: dict[str, deque] = defaultdict(deque)
        self._faults: list[int] = []
        self._lock = threading.Lock()
        self._leaves = self._load_leaves()
        self.app = Starlette(routes=[Route(PATH, self.predict, methods=["POST"])])

    @staticmethod
    def _load_leaves() -> dict[str, tuple[str, str]]:
        """word → (displayCategoryCode, leaf name); the shortest path wins a shared word."""
        out: dict[str, tuple[str, str, int]] = {}
        with open(TREE_CSV, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                path = r["full_path"].strip()
                leaf = path.split(">")[-1]
                for part in {leaf, *leaf.split("/")}:
                    w = "".join(_words(part))
                    if len(w) >= 2 and (w not in out or len(path) < out[w][2]):
                        out[w] = (r["display_category_code"].strip(), leaf, len(path))
        return {w: (c, n) for w, (c, n, _) in out.items()}

    def fail_next(self, status: int, n: int = 1) -> None:
        with self._lock:
            self._faults += [status] * n

    def _auth(self, request: Request) -> tuple[str | None, JSONResponse | None]:
        m = AUTH_RE.match(request.headers.get("authorization", ""))
        if not m:
            return None, JSONResponse({"code": 401, "message": "Invalid authorization header."}, 401)
        key, date, sig = m.groups()
        if key not in self.keys:
            return None, JSONResponse({"code": 401, "message": "Invalid access key."}, 401)
        try:
            signed = calendar.timegm(time.strptime(date, "%y%m%dT%H%M%SZ"))
        except ValueError:
            return None, JSONResponse({"code": 401, "message": "Invalid signed-date."}, 401)
        if abs(self.clock() - signed) > FRESH_S:
            return None, JSONResponse({"code": 401, "message": "Request is expired."}, 401)
        secret, vendor = self.keys[key]
        want = expected_signature(secret, date, request.method, request.url.path, request.url.query)
        if not hmac.compare_digest(want, sig):
            return None, JSONResponse({"code": 401, "message": "Invalid signature."}, 401)
        return vendor, None

    def _limited(self, vendor: str) -> bool:
        now = self.clock()
        q = self._recent[vendor]
        while q and now - q[0] >= 1.0:
            q.popleft()
        if len(q) >= self.rate:
            return True
        q.append(now)
        return False

    async def predict(self, request: Request) -> JSONResponse:
        with self._lock:
            self.calls += 1
            fault = self._faults.pop(0) if self._faults else None
        if fault:
            return JSONResponse({"code": fault, "message": "injected fault"}, fault)
        vendor, err = self._auth(request)
        if err:
            return err
        with self._lock:
            if self._limited(vendor):
                # Retry-After is this sandbox's courtesy; whether Coupang sends one is UNVERIFIED
                return JSONResponse({"code": 429, "message": "Too many requests."}, 429,
                                    headers={"Retry-After": "1"})
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"code": 400, "message": "body is not JSON"}, 400)
        name = body.get("productName") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            return JSONResponse({"code": 400, "message": "productName is required"}, 400)
        self.log.append(body)
        return JSONResponse({"code": 200, "message": "OK", "data": self._predict(name)})

    def _predict(self, name: str) -> dict:
        words = _words(name)
        if len(words) < 2:
            return {"autoCategorizationPredictionResultType": "INSUFFICIENT_INFORMATION",
                    "predictedCategoryId": None, "predictedCategoryName": None,
                    "comment": "product name too short"}
        hits = [self._leaves[w] + (len(w),) for w in words if w in self._leaves]
        if not hits:
            return {"autoCategorizationPredictionResultType": "FAILURE", "predictedCategoryId": None,
                    "predictedCategoryName": None, "comment": None}
        code, leaf, _ = max(hits, key=lambda h: h[2])
        return {"autoCategorizationPredictionResultType": "SUCCESS", "predictedCategoryId": code,
                "predictedCategoryName": leaf, "comment": None}


def main() -> None:  # pragma: no cover - manual use
    from dropship_core.serve import ServerThread

    ServerThread(PredictSandbox().app, port=8790).serve_until_interrupted(
        "Coupang category prediction sandbox on {url}")


if __name__ == "__main__":  # pragma: no cover
    main()
