"""Reference vectors for the sandboxes' own signature checks (dropship_sandbox.market_auth),
which are written from the documentation and share no code with the clients.

- Naver: the official vector published with the Commerce API docs (contract section 2).
- Coupang publishes no vector; these were computed outside Python with
  `printf '%s' MESSAGE | openssl dgst -sha256 -hmac KEY`.
"""

from __future__ import annotations

import pytest

from dropship_core.markets import coupang, smartstore
from dropship_sandbox.market_auth import (coupang_signature, naver_client_secret_sign,
                                          naver_salt)

NAVER = {"client_id": "aaaabbbbcccc", "client_secret": "$2a$10$abcdefghijklmnopqrstuv",
         "timestamp": 1643961623299,
         "sign": "JDJhJDEwJGFiY2RlZmdoaWprbG1ub3BxcnN0dXVCVldZSk42T0VPdEx1OFY0cDQxa2IuTnpVaUEzbmsy"}

COUPANG_PATH = "/v2/providers/seller_api/apis/api/v1/marketplace/seller-products"
COUPANG = [
    ("sandbox-secret-key", "260101T093000Z", "GET", COUPANG_PATH,
     "vendorId=A00012345&nextToken=&maxPerPage=1&sellerProductName=%ED%95%9C%EA%B8%80",
     "a83676ed0072c4f4449bd62f8071bcb740d6cd04cfb144b177ed1875b43a17cc"),
    ("sandbox-secret-key", "260101T093000Z", "POST", COUPANG_PATH, "",
     "8574a8a61d9db1b06cf70f042661a948136330c458e0e7ee984ee9b8520f52e0"),
]


def test_naver_official_vector_in_the_sandbox_check():
    assert naver_client_secret_sign(NAVER["client_id"], NAVER["client_secret"],
                                    NAVER["timestamp"]) == NAVER["sign"]
    # the unused low bits of the 22nd salt character are cleared: ...stuv -> ...stuu
    assert naver_salt(NAVER["client_secret"]) == b"$2a$10$abcdefghijklmnopqrstuu"


@pytest.mark.parametrize("key,date,method,path,query,want", COUPANG)
def test_coupang_vectors_in_the_sandbox_check(key, date, method, path, query, want):
    assert coupang_signature(key, date, method, path, query) == want


@pytest.mark.parametrize("key,date,method,path,query,want", COUPANG)
def test_clients_sign_like_the_vectors(key, date, method, path, query, want):
    """The clients' signing, checked against the same independent vectors."""
    assert coupang.signature(key, date, method, path, query) == want
    assert smartstore.client_secret_sign(NAVER["client_id"], NAVER["client_secret"],
                                         NAVER["timestamp"]) == NAVER["sign"]


def test_a_client_signing_bug_fails_the_sandbox_check():
    """A signature over the query with a leading '?' (a classic bug) is not what the sandbox
    computes from the documented formula."""
    key, date, method, path, query, want = COUPANG[0]
    buggy = coupang.signature(key, date, method, path, "?" + query)
    assert buggy != coupang_signature(key, date, method, path, query)
