"""Auth on the wire: Naver's official bcrypt vector, Coupang's CEA HMAC (incl. a Korean query,
checked by the sandbox from the raw query it received), ESM's JWT as pyjwt decodes it."""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import re
import time
import uuid

import bcrypt
import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dropship_core.markets import coupang, esm, smartstore
from dropship_core.markets.errors import MarketAuthError
from dropship_sandbox import coupang as sb_coupang
from dropship_sandbox import esm as sb_esm

NAVER_VECTOR = {
    "client_id": "aaaabbbbcccc",
    "client_secret": "$2a$10$abcdefghijklmnopqrstuv",
    "timestamp": 1643961623299,
    "expected": "JDJhJDEwJGFiY2RlZmdoaWprbG1ub3BxcnN0dXVCVldZSk42T0VPdEx1OFY0cDQxa2IuTnpVaUEzbmsy",
}


def test_naver_official_vector():
    v = NAVER_VECTOR
    assert smartstore.client_secret_sign(v["client_id"], v["client_secret"], v["timestamp"]) == \
        v["expected"]


def test_naver_vector_needs_the_salt_fallback_on_modern_bcrypt():
    v = NAVER_VECTOR
    with pytest.raises(ValueError):
        bcrypt.hashpw(b"aaaabbbbcccc_1643961623299", v["client_secret"].encode())
    assert smartstore.canonical_bcrypt_salt(v["client_secret"]) == "$2a$10$abcdefghijklmnopqrstuu"
    decoded = base64.standard_b64decode(v["expected"]).decode()
    assert decoded.startswith("$2a$10$abcdefghijklmnopqrstuu")


def test_naver_sign_with_a_canonical_salt_is_plain_bcrypt():
    salt = bcrypt.gensalt(rounds=4).decode()
    sign = smartstore.client_secret_sign("cid", salt, 1700000000000)
    hashed = base64.standard_b64decode(sign)
    assert bcrypt.checkpw(b"cid_1700000000000", hashed)
    assert smartstore.canonical_bcrypt_salt(salt) == salt


def test_naver_invalid_secret_does_not_echo_it():
    with pytest.raises(ValueError) as ei:
        smartstore.client_secret_sign("cid", "not-a-salt-TOPSECRETVALUE", 1)
    assert "TOPSECRETVALUE" not in str(ei.value)


def test_coupang_signed_date_is_utc_two_digit_year():
    epoch = calendar.timegm((2022, 2, 4, 8, 0, 23, 0, 0, 0))
    assert coupang.signed_date(epoch) == "220204T080023Z"


def test_coupang_signature_is_the_published_formula():
    date = "220204T080023Z"
    path = coupang.API + "/seller-products"
    query = "vendorId=A00012345&maxPerPage=1"
    message = (date + "GET" + path + query).encode()
    want = hmac.new(b"secret", message, hashlib.sha256).hexdigest()
    assert coupang.signature("secret", date, "get", path, query) == want
    header = coupang.authorization("ak", "secret", "GET", path, query,
                                   calendar.timegm((2022, 2, 4, 8, 0, 23, 0, 0, 0)))
    assert header == (f"CEA algorithm=HmacSHA256, access-key=ak, signed-date={date}, "
                      f"signature={want}")
    assert re.fullmatch(r"[0-9a-f]{64}", want)


def test_coupang_korean_query_is_percent_encoded_utf8():
    q = coupang.encode_query([("vendorId", "A1"), ("sellerProductName", "한글 상품")])
    assert q == "vendorId=A1&sellerProductName=%ED%95%9C%EA%B8%80%20%EC%83%81%ED%92%88"


def test_coupang_korean_query_accepted_by_sandbox(sandboxes):
    with sandboxes.client("coupang") as c:
        from markets_testkit import make_listing
        from dropship_core.markets import builders as b

        tag = uuid.uuid4().hex[:6]
        listing = make_listing(title=f"한글 텀블러 {tag} 상품", market="coupang")
        c.create_seller_product(b.build_coupang_product(listing, c.seller))
        res = c.list_seller_products(name=f"한글 텀블러 {tag}")
        assert [p["sellerProductName"] for p in res["data"]] == [f"한글 텀블러 {tag} 상품"]


def _raw_get(url: str, headers: dict) -> httpx.Response:
    with httpx.Client(timeout=5) as h:
        return h.get(url, headers=headers)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1,
                    max_size=20))
def test_coupang_any_unicode_query_is_signed_as_sent(sandboxes, name):
    """Whatever the keyword (Hangul, spaces, '&', '+', '%', emoji), the query we sign is the query
    the sandbox receives, so the signature verifies."""
    with sandboxes.client("coupang") as c:
        res = c.list_seller_products(name=name)
        assert res["code"] == "SUCCESS"


def test_coupang_sandbox_rejects_a_query_encoded_differently_from_what_was_signed(sandboxes):
    path = coupang.API + "/seller-products"
    signed_query = "vendorId=A00000001&sellerProductName=%ED%95%9C%EA%B8%80%20%EC%83%81"
    sent_query = "vendorId=A00000001&sellerProductName=%ED%95%9C%EA%B8%80+%EC%83%81"
    auth = coupang.authorization(sb_coupang.SANDBOX_ACCESS_KEY, sb_coupang.SANDBOX_SECRET_KEY,
                                 "GET", path, signed_query)
    ok = _raw_get(sandboxes.url("coupang") + path + "?" + signed_query, {"Authorization": auth})
    assert ok.status_code == 200, ok.text
    bad = _raw_get(sandboxes.url("coupang") + path + "?" + sent_query, {"Authorization": auth})
    assert bad.status_code == 401
    assert bad.json()["message"] == "Invalid signature."


def test_coupang_sandbox_checks_format_and_freshness(sandboxes):
    path = coupang.API + "/seller-products"
    query = "vendorId=A00000001"
    url = sandboxes.url("coupang") + path + "?" + query
    r = _raw_get(url, {"Authorization": "CEA algorithm=HmacSHA256 access-key=x"})
    assert (r.status_code, r.json()["message"]) == (401, "HMAC format is invalid.")
    old = time.time() - 3600
    auth = coupang.authorization(sb_coupang.SANDBOX_ACCESS_KEY, sb_coupang.SANDBOX_SECRET_KEY,
                                 "GET", path, query, old)
    r = _raw_get(url, {"Authorization": auth})
    assert (r.status_code, r.json()["message"]) == (401, "Specified signature is expired.")
    # the Java sample's format without spaces is accepted too
    auth = coupang.authorization(sb_coupang.SANDBOX_ACCESS_KEY, sb_coupang.SANDBOX_SECRET_KEY,
                                 "GET", path, query).replace(", ", ",")
    assert _raw_get(url, {"Authorization": auth}).status_code == 200


def test_esm_jwt_decodes_with_pyjwt():
    token = esm.make_jwt("master-1", "s3cret-s3cret-s3cret-s3cret-s3cret", "A:auc1,G:gmk1",
                         issuer="shop.example.com", iat=1700000000)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "typ": "JWT", "kid": "master-1"}
    claims = jwt.decode(token, "s3cret-s3cret-s3cret-s3cret-s3cret", algorithms=["HS256"],
                        audience="sa.esmplus.com")
    assert claims == {"iss": "shop.example.com", "sub": "sell", "aud": "sa.esmplus.com",
                      "iat": 1700000000, "ssi": "A:auc1,G:gmk1"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "other-key-other-key-other-key-xx", algorithms=["HS256"],
                   audience="sa.esmplus.com")


@pytest.mark.parametrize("ssi", ["G:x", "A:y", "A:y,G:x", "G:x,A:y"])
def test_esm_site_ids_valid(ssi):
    assert esm.validate_ssi(ssi) == ssi


@pytest.mark.parametrize("ssi", ["", "G:x,G:y", "X:1", "G:", "A:1,G:2,A:3"])
def test_esm_site_ids_invalid(ssi):
    with pytest.raises(ValueError):
        esm.validate_ssi(ssi)


def test_esm_sandbox_rejects_wrong_secret_with_documented_shape(sandboxes):
    c = esm.EsmClient(sb_esm.SANDBOX_MASTER_ID, "wrong-secret-wrong-secret-wrong-secret",
                      sb_esm.SANDBOX_SITE_IDS, sandboxes.url("gmarket"))
    with pytest.raises(MarketAuthError) as ei:
        c.ping()
    assert ei.value.status == 401
    assert ei.value.response == {"status": {
        "message": "The user does not have right access to the api", "status_code": 401}}
    # a site id not registered to this master is refused too
    c2 = esm.EsmClient(sb_esm.SANDBOX_MASTER_ID, sb_esm.SANDBOX_SECRET_KEY, "G:someone_else",
                       sandboxes.url("gmarket"))
    with pytest.raises(MarketAuthError):
        c2.ping()


def test_esm_case_insensitive_keys():
    body = {"ResultCode": 0, "SiteDetail": {"GMKT": {"siteGoodsNo": "G1"}}}
    assert esm.ci_get(body, "resultCode") == 0
    assert esm.ci_get(body, "siteDetail", "gmkt", "SiteGoodsNo") == "G1"
    assert esm.ci_get(body, "missing", default="d") == "d"


def test_naver_token_is_form_body_and_cached(sandboxes):
    before = sandboxes.state("smartstore")["token_requests"]
    with sandboxes.client("smartstore") as c:
        t1 = c.get_token()
        t2 = c.get_token()
        assert t1 == t2 and c.tokens_issued == 1
        assert sandboxes.state("smartstore")["token_requests"] - before == 1


def test_naver_token_fields_in_query_string_are_throttled(sandboxes):
    with httpx.Client(timeout=5) as h:
        r = h.post(sandboxes.url("smartstore") + "/v1/oauth2/token",
                   params={"client_id": "sandbox-client", "timestamp": "1",
                           "client_secret_sign": "x", "grant_type": "client_credentials",
                           "type": "SELF"})
    assert r.status_code == 429 and r.json()["code"] == "GW.QUOTA_LIMIT"


def test_naver_token_reissued_once_on_401(sandboxes):
    with sandboxes.client("smartstore") as c:
        c.get_token()
        sandboxes.http.post(sandboxes.url("smartstore") + "/__expire_tokens")
        assert c.search_by_seller_code("nothing") == []
        assert c.tokens_issued == 2


def test_naver_token_not_reissued_while_30_min_remain(make_sandboxes):
    # a token that lives 30 min + 1.5 s: reused at once, re-issued once under 30 min remain
    sb = make_sandboxes(token_ttl=30 * 60 + 1.5)
    with sb.client("smartstore") as c:
        c.get_token()
        c.get_token()
        assert c.tokens_issued == 1
        time.sleep(1.6)
        c.get_token()
        assert c.tokens_issued == 2


def test_naver_sandbox_checks_timestamp_and_sign(sandboxes):
    from dropship_sandbox import smartstore as sb_smartstore

    url = sandboxes.url("smartstore") + "/v1/oauth2/token"
    cid, secret = sb_smartstore.SANDBOX_CLIENT_ID, sb_smartstore.SANDBOX_CLIENT_SECRET
    old = int(time.time() * 1000) - 10 * 60 * 1000
    form = {"client_id": cid, "timestamp": str(old), "grant_type": "client_credentials",
            "type": "SELF", "client_secret_sign": smartstore.client_secret_sign(cid, secret, old)}
    with httpx.Client(timeout=5) as h:
        r = h.post(url, data=form)
        assert r.status_code == 400 and r.json()["invalidInputs"][0]["name"] == "timestamp"
        now = int(time.time() * 1000)
        form.update(timestamp=str(now),
                    client_secret_sign=smartstore.client_secret_sign(cid, secret, now - 1))
        r = h.post(url, data=form)
        assert r.status_code == 401 and r.json()["code"] == "GW.AUTHN"
        form["client_secret_sign"] = smartstore.client_secret_sign(cid, secret, now)
        r = h.post(url, data=form)
        assert r.status_code == 200 and r.json()["expires_in"] == 10800
        assert r.json()["token_type"] == "Bearer"


def test_coupang_sandbox_ip_allow_list():
    from dropship_core.serve import ServerThread

    with ServerThread(sb_coupang.create_app(allowed_ips={"10.1.2.3"})) as srv:
        c = coupang.CoupangClient(sb_coupang.SANDBOX_ACCESS_KEY, sb_coupang.SANDBOX_SECRET_KEY,
                                  sb_coupang.SANDBOX_VENDOR_ID, srv.url)
        with pytest.raises(MarketAuthError) as ei:
            c.ping()
        assert ei.value.status == 403 and "[FORBIDDEN] Not allowed IP" in ei.value.message
        assert ei.value.retryable is False
