"""The order sandboxes check auth from the documentation with independent reference vectors
(bcrypt, hmac and PyJWT called here, never the connectors' signing code) and are strict about
page and batch sizes, the ESM 5-second rule and the state machines."""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import time

import bcrypt
import httpx
import jwt

from dropship_sandbox import coupang as sb_cp
from dropship_sandbox import esm as sb_esm
from dropship_sandbox import smartstore as sb_ss
from dropship_core.serve import ServerThread
from dropship_sandbox import esm_orders
from dropship_sandbox.coupang_orders import verify
from dropship_sandbox.order_seed import fake_buyer
from dropship_sandbox.smartstore_orders import sign_ok

NAVER_VECTOR = ("aaaabbbbcccc", "$2a$10$abcdefghijklmnopqrstuv", "1643961623299",
                "JDJhJDEwJGFiY2RlZmdoaWprbG1ub3BxcnN0dXVCVldZSk42T0VPdEx1OFY0cDQxa2IuTnpVaUEzbmsy")
PO = "/v1/pay-order/seller/product-orders"


def test_naver_sign_check_accepts_the_official_vector_only():
    cid, secret, ts, sign = NAVER_VECTOR
    assert sign_ok(cid, secret, ts, sign)
    assert not sign_ok(cid, secret, "1643961623300", sign)
    assert not sign_ok(cid, "$2a$10$zzzzzzzzzzzzzzzzzzzzzu", ts, sign)


def _naver_token(url: str, *, in_query: bool = False, bad: bool = False) -> httpx.Response:
    ts = str(int(time.time() * 1000))
    hashed = bcrypt.hashpw(f"{sb_ss.SANDBOX_CLIENT_ID}_{ts}".encode(),
                           bcrypt.gensalt(4) if bad else b"$2a$04$sandboxsandboxsandboxe")  # low bits of "s" cleared
    form = {"client_id": sb_ss.SANDBOX_CLIENT_ID, "timestamp": ts, "grant_type": "client_credentials",
            "client_secret_sign": base64.b64encode(hashed).decode(), "type": "SELF"}
    if in_query:
        return httpx.post(f"{url}/v1/oauth2/token", params=form)
    return httpx.post(f"{url}/v1/oauth2/token", data=form)


def test_naver_token_rules_and_limits(stack):
    url = stack.url("smartstore")
    assert _naver_token(url, in_query=True).json()["code"] == "GW.QUOTA_LIMIT"
    assert _naver_token(url, bad=True).status_code == 401
    tok = _naver_token(url).json()["access_token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert httpx.get(f"{url}{PO}/last-changed-statuses", headers={"Authorization": "Bearer x"},
                     params={"lastChangedFrom": "2026-12-01T00:00:00.000+09:00"}).status_code == 401
    r = httpx.get(f"{url}{PO}/last-changed-statuses", headers=h,
                  params={"lastChangedFrom": "2026-12-01T00:00:00.000+09:00", "limitCount": 301})
    assert r.status_code == 400 and r.json()["invalidInputs"][0]["name"] == "limitCount"
    r = httpx.get(f"{url}{PO}/last-changed-statuses", headers=h,
                  params={"lastChangedFrom": "2026-12-01T00:00:00.000+09:00",
                          "lastChangedTo": "2026-12-02T00:00:01.000+09:00"})
    assert r.status_code == 400
    for path, key, n in (("query", "productOrderIds", 301), ("confirm", "productOrderIds", 31),
                         ("dispatch", "dispatchProductOrders", 31)):
        r = httpx.post(f"{url}{PO}/{path}", headers=h, json={key: [str(i) for i in range(n)]})
        assert r.status_code == 400, path
    pid = stack.orders["smartstore"].seed({"seller_code": "x", "buyer": fake_buyer(1)})
    d = {"productOrderId": pid, "deliveryMethod": "DELIVERY", "deliveryCompanyCode": "CJGLS",
         "trackingNumber": "123456789012", "dispatchDate": "2026-01-01T00:00:00.000+09:00"}
    r = httpx.post(f"{url}{PO}/dispatch", headers=h, json={"dispatchProductOrders": [d]})
    assert r.json()["data"]["failProductOrderInfos"][0]["code"] == "INVALID_STATUS"  # not confirmed
    httpx.post(f"{url}{PO}/confirm", headers=h, json={"productOrderIds": [pid]})
    r = httpx.post(f"{url}{PO}/dispatch", headers=h,
                   json={"dispatchProductOrders": [dict(d, deliveryCompanyCode="LOTTE")]})
    assert r.json()["data"]["failProductOrderInfos"][0]["code"] == "INVALID_DELIVERY_COMPANY"
    r = httpx.post(f"{url}{PO}/dispatch", headers=h, json={"dispatchProductOrders": [d]})
    assert r.json()["data"]["successProductOrderIds"] == [pid]


def _cea(method: str, path: str, query: str, secret: str = sb_cp.SANDBOX_SECRET_KEY) -> dict:
    date = time.strftime("%y%m%dT%H%M%SZ", time.gmtime())
    sig = hmac.new(secret.encode(), f"{date}{method}{path}{query}".encode(),
                   hashlib.sha256).hexdigest()
    return {"Authorization": f"CEA algorithm=HmacSHA256, access-key={sb_cp.SANDBOX_ACCESS_KEY}, "
                             f"signed-date={date}, signature={sig}",
            "Content-Type": "application/json"}


def test_coupang_hmac_vector_and_limits(stack):
    url, v = stack.url("coupang"), sb_cp.SANDBOX_VENDOR_ID
    # reference vector for the published formula, computed with `openssl dgst -sha256 -hmac`
    ref = ("CEA algorithm=HmacSHA256, access-key=ak, signed-date=220204T080023Z, signature="
           "810dfb34123e76def6b0922f5e075196f9d69174d409498805b2b602bead26eb")
    when = calendar.timegm(time.strptime("220204T080023Z", "%y%m%dT%H%M%SZ"))
    keys = {"ak": ("secret", "A1")}
    p1 = "/v2/providers/openapi/apis/api/v5/vendors/A1/ordersheets"
    assert verify(ref, "GET", p1, "status=ACCEPT", keys, now=when) == "A1"
    assert verify(ref, "GET", p1, "status=INSTRUCT", keys, now=when) is None
    assert verify(ref, "GET", p1, "status=ACCEPT", keys, now=when + 301) is None
    path = f"/v2/providers/openapi/apis/api/v5/vendors/{v}/ordersheets"
    today = time.strftime("%Y-%m-%d")
    q = f"createdAtFrom={today}&createdAtTo={today}&status=ACCEPT&maxPerPage=50"
    assert httpx.get(f"{url}{path}?{q}", headers=_cea("GET", path, q)).status_code == 200
    assert httpx.get(f"{url}{path}?{q}", headers=_cea("GET", path, q, "wrong")).status_code == 401
    q51 = q.replace("maxPerPage=50", "maxPerPage=51")
    assert httpx.get(f"{url}{path}?{q51}", headers=_cea("GET", path, q51)).status_code == 400
    box = stack.orders["coupang"].seed({"external_sku": "x", "buyer": fake_buyer(2)})
    r = httpx.get(f"{url}{path}/{box}", headers=_cea("GET", f"{path}/{box}", ""))
    assert f'"shipmentBoxId":{box}' in r.text and len(str(box)) == 18       # an integer, exact
    ack = f"/v2/providers/openapi/apis/api/v4/vendors/{v}/ordersheets/acknowledgement"
    r = httpx.put(f"{url}{ack}", headers=_cea("PUT", ack, ""),
                  json={"vendorId": v, "shipmentBoxIds": list(range(51))})
    assert r.status_code == 400
    inv = f"/v2/providers/openapi/apis/api/v4/vendors/{v}/orders/invoices"
    sheet = stack.orders["coupang"].boxes[box]
    dto = {"shipmentBoxId": box, "orderId": sheet["orderId"],
           "vendorItemId": sheet["orderItems"][0]["vendorItemId"], "deliveryCompanyCode": "CJGLS",
           "invoiceNumber": "123456789012", "splitShipping": False, "preSplitShipped": False,
           "estimatedShippingDate": ""}
    body = {"vendorId": v, "orderSheetInvoiceApplyDtos": [dto]}
    r = httpx.post(f"{url}{inv}", headers=_cea("POST", inv, ""), json=body)
    assert r.json()["data"]["responseList"][0]["resultCode"] == "INVALID_STATUS"  # still ACCEPT
    httpx.put(f"{url}{ack}", headers=_cea("PUT", ack, ""), json={"vendorId": v, "shipmentBoxIds": [box]})
    bad = dict(body, orderSheetInvoiceApplyDtos=[dict(dto, invoiceNumber="12345")])
    r = httpx.post(f"{url}{inv}", headers=_cea("POST", inv, ""), json=bad)
    assert r.json()["data"]["responseList"][0]["resultCode"] == "INVALID_INVOICE_NUMBER"
    r = httpx.post(f"{url}{inv}", headers=_cea("POST", inv, ""), json=body)
    assert r.json()["data"]["responseList"][0]["succeed"] is True


def _esm_jwt(secret: str = sb_esm.SANDBOX_SECRET_KEY, aud: str = "sa.esmplus.com") -> dict:
    tok = jwt.encode({"iss": "www.esmplus.com", "sub": "sell", "aud": aud, "iat": int(time.time()),
                      "ssi": sb_esm.SANDBOX_SITE_IDS}, secret, algorithm="HS256",
                     headers={"kid": sb_esm.SANDBOX_MASTER_ID})
    return {"Authorization": f"Bearer {tok}"}


def test_esm_jwt_and_the_five_second_rule():
    app = esm_orders.create_app({sb_esm.SANDBOX_MASTER_ID: (sb_esm.SANDBOX_SECRET_KEY,
                                                            sb_esm.SANDBOX_SITE_IDS)},
                                query_interval_s=5.0)
    with ServerThread(app) as srv:
        url = f"{srv.url}/shipping/v1/Order/RequestOrders"
        q = {"siteType": 2, "orderStatus": 1, "requestDateType": 2, "pageIndex": 1,
             "pageSize": 100, "requestDateFrom": "2026-12-01 00:00",
             "requestDateTo": "2026-12-01 23:59"}
        assert httpx.post(url, json=q, headers=_esm_jwt(aud="other")).status_code == 401
        assert httpx.post(url, json=q, headers=_esm_jwt(secret="x" * 40)).status_code == 401
        assert httpx.post(url, json=q, headers=_esm_jwt()).json()["ResultCode"] == 0
        r = httpx.post(url, json=q, headers=_esm_jwt())
        assert r.status_code == 429 and r.json()["ResultCode"] == -1
        no = app.state.orders.seed({"goods_no": "G1", "buyer": fake_buyer(3)})
        by_no = {"siteType": 2, "orderStatus": 0, "orderNo": no}        # lookups are exempt
        assert httpx.post(url, json=by_no, headers=_esm_jwt()).json()["Data"]["TotalCount"] == 1
        ship = {"OrderNo": no, "ShippingDate": "2026-12-01T10:00:00",
                "DeliveryCompanyCode": 10013, "InvoiceNo": "123456789012"}
        r = httpx.post(f"{srv.url}/shipping/v1/Delivery/ShippingInfo", json=ship, headers=_esm_jwt())
        assert r.status_code == 400                                        # not yet OrderCheck
        httpx.post(f"{srv.url}/shipping/v1/Order/OrderCheck/{no}", json={}, headers=_esm_jwt())
        r = httpx.post(f"{srv.url}/shipping/v1/Delivery/ShippingInfo",
                       json=dict(ship, DeliveryCompanyCode="CJGLS"), headers=_esm_jwt())
        assert r.status_code == 400                                        # numeric codes only
        r = httpx.post(f"{srv.url}/shipping/v1/Delivery/ShippingInfo", json=ship, headers=_esm_jwt())
        assert r.json()["ResultCode"] == 0


def _oc(stack, query: str, variables: dict | None = None, token: str | None = None):
    if token is None:
        token = httpx.post(f"{stack.url('ownerclan')}/auth",
                           json={"service": "ownerclan", "userType": "seller",
                                 "username": "sandbox-seller", "password": "sandbox-pass"}).text
    return httpx.post(f"{stack.url('ownerclan')}/v1/graphql",
                      json={"query": query, "variables": variables or {}},
                      headers={"Authorization": f"Bearer {token}"})


def test_ownerclan_orders_strict(stack):
    base = stack.base["ownerclan"]
    key = next(k for k in base.order if not base.item(k)["options"][0]["optionAttributes"])
    forged = jwt.encode({"sub": "sandbox-seller", "exp": time.time() + 60}, "not-the-key",
                        algorithm="HS256")
    assert _oc(stack, "query { allOrders(first: 1) { edges { cursor } } }",
               token=forged).status_code == 401
    r = _oc(stack, "query { allOrders(first: 1001) { edges { cursor } } }")
    assert "between 1 and 1000" in r.json()["errors"][0]["message"]
    inp = {"sender": {"name": "s", "phoneNumber": "010-1111-2222"},
           "recipient": {"name": "홍길동", "phoneNumber": "010-0000-0000",
                         "destinationAddress": {"addr1": "서울", "addr2": "", "postalCode": "04524"}},
           "products": [{"quantity": 1, "itemKey": key,
                         "optionAttributes": [{"name": "색상", "value": "없는색"}]}],
           "note": "smartstore-1"}
    m = "mutation($i: OrderInput!) { createOrder(input: $i) { key } }"
    assert "no option" in _oc(stack, m, {"i": inp}).json()["errors"][0]["message"]
    inp["products"][0]["optionAttributes"] = []
    bad_zip = json.loads(json.dumps(inp))
    bad_zip["recipient"]["destinationAddress"]["postalCode"] = "4524"
    assert "postalCode" in _oc(stack, m, {"i": bad_zip}).json()["errors"][0]["message"]
    assert _oc(stack, m, {"i": inp}).json()["data"]["createOrder"][0]["key"]
    assert _oc(stack, m, {"i": inp}).json()["data"]["createOrder"][0]["key"]   # accepted twice
    assert stack.orders["ownerclan"].dump()["duplicate_notes"] == {"smartstore-1": 2}
    found = _oc(stack, 'query { allOrders(note: "smartstore-1") { edges { node { key } } } }')
    assert len(found.json()["data"]["allOrders"]["edges"]) == 2
    # the catalog is still served by the catalog sandbox on the same path
    assert _oc(stack, "query { allItems(first: 1) { edges { node { key } } } }").json()["data"]
