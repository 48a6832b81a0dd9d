"""A marketplace that echoes the request (headers, token form) in its error body: nothing stored
from that answer (last_error, events) holds the credentials."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dropship_core.http import RetryPolicy
from dropship_core.markets.coupang.client import CoupangClient
from dropship_core.markets.errors import MarketError
from dropship_core.markets.settings import SANDBOX_SELLER
from dropship_core.markets.smartstore.client import SmartStoreClient
from dropship_core.markets.sync import sync_listing
from dropship_core.serve import ServerThread
from markets_testkit import MemoryRecorder, make_entry, make_listing

ACCESS = "a1b2c3d4-ACCESS-KEY-0001"
SECRET = "s3cr3t-COUPANG-SECRET-0002"
NAVER_SECRET = "$2a$04$abcdefghijklmnopqrstuv"


async def echo(request: Request):
    body = (await request.body()).decode("utf-8", "replace")
    headers = dict(request.headers)
    return JSONResponse({"code": "ERROR", "message": f"bad request {request.method} {request.url.path}; "
                         f"Authorization: {headers.get('authorization')}; body={body}",
                         "echo": {"headers": headers, "body": body, "query": str(request.url.query)}},
                        status_code=400)


@pytest.fixture
def echo_server():
    srv = ServerThread(Starlette(routes=[Route("/{p:path}", echo, methods=["GET", "POST", "PUT"])])).start()
    yield srv
    srv.stop()


def _no_secret_in(text: str, *secrets: str):
    for s in secrets:
        assert s not in text, s
    assert "signature=" not in text.replace("signature=***", "")


def test_coupang_error_echoing_headers_is_redacted_before_storing(echo_server):
    client = CoupangClient(ACCESS, SECRET, "A00000001", base_url=echo_server.url,
                           retry=RetryPolicy(max_attempts=1), seller=SANDBOX_SELLER)
    with pytest.raises(MarketError) as ei:
        client.get_seller_product(1)
    stored = json.dumps(ei.value.to_dict(), ensure_ascii=False) + str(ei.value)
    assert "bad request" in stored  # the answer itself is kept
    _no_secret_in(stored, ACCESS)

    entry = make_entry(make_listing())
    rec = MemoryRecorder(entry)
    out = sync_listing(client, "coupang", entry, rec)
    assert not out.ok
    everything = json.dumps([entry, rec.__dict__, out.to_dict()], ensure_ascii=False, default=str)
    _no_secret_in(everything, ACCESS)
    assert "last_error" in entry and "bad request" in json.dumps(entry["last_error"], ensure_ascii=False)


def test_smartstore_token_form_echo_is_redacted(echo_server):
    client = SmartStoreClient("naver-client-id-0003", NAVER_SECRET, base_url=echo_server.url,
                              retry=RetryPolicy(max_attempts=1))
    with pytest.raises(MarketError) as ei:
        client.get_token()
    stored = json.dumps(ei.value.to_dict(), ensure_ascii=False) + str(ei.value)
    assert "client_secret_sign" in stored  # the field name is there, its value is not
    _no_secret_in(stored)
    form = ei.value.to_dict()["response"]["echo"]["body"]
    assert "client_secret_sign=***" in form, form
