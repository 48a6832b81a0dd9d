"""Supplier image URLs: only public http(s) addresses, redirects re-checked, size and time capped."""

import socket

import pytest
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from dropship_core.safe_fetch import UnsafeURL, address_problem, check_url, fetch_public
from dropship_core.serve import ServerThread

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def img(request):
    return Response(PNG, media_type="image/png")


async def hop(request):
    return RedirectResponse(request.query_params["to"], status_code=302)


async def huge(request):
    async def body():
        for _ in range(1000):
            yield b"\x00" * 65536  # 64 MB if read to the end

    return StreamingResponse(body(), media_type="image/png")


@pytest.fixture
def host():
    srv = ServerThread(Starlette(routes=[Route("/img.png", img), Route("/hop", hop),
                                         Route("/huge", huge)])).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("ip,why", [("127.0.0.1", "loopback"), ("10.1.2.3", "private"),
                                    ("192.168.0.10", "private"), ("169.254.169.254", "link-local"),
                                    ("100.64.0.1", "shared address space"), ("::1", "loopback"),
                                    ("::ffff:127.0.0.1", "loopback"), ("0.0.0.0", "private"),
                                    ("fe80::1", "private"), ("224.0.0.1", "multicast")])
def test_non_public_addresses_are_named(ip, why):
    assert address_problem(ip) is not None


def test_public_address_passes():
    assert address_problem("8.8.8.8") is None and address_problem("2606:4700::1111") is None


@pytest.mark.parametrize("url,msg", [("file:///etc/passwd", "only http"), ("gopher://x/", "only http"),
                                     ("ftp://example.com/a.png", "only http"),
                                     ("http://user:pw@example.com/a.png", "credentials"),
                                     ("http://127.0.0.1:8080/admin", "loopback"),
                                     ("http://169.254.169.254/latest/meta-data/", "link-local"),
                                     ("http://[::1]/x", "loopback")])
def test_refused_urls(url, msg):
    with pytest.raises(UnsafeURL, match=msg):
        check_url(url)


def test_a_name_resolving_to_a_private_address_is_refused():
    def resolve(host, port, type=0):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    with pytest.raises(UnsafeURL, match="10.0.0.5"):
        check_url("https://images.example.com/a.png", resolve=resolve)


def test_loopback_host_refused_then_allowed_by_name(host, monkeypatch):
    with pytest.raises(UnsafeURL, match="loopback"):
        fetch_public(f"{host.url}/img.png")
    monkeypatch.setenv("DROPSHIP_FETCH_ALLOW_HOSTS", host.url.split("//")[1])
    assert fetch_public(f"{host.url}/img.png").content == PNG


def test_redirect_target_is_checked_again(host, monkeypatch):
    monkeypatch.setenv("DROPSHIP_FETCH_ALLOW_HOSTS", host.url.split("//")[1])
    with pytest.raises(UnsafeURL, match="link-local"):
        fetch_public(f"{host.url}/hop?to=http://169.254.169.254/latest/meta-data/")
    with pytest.raises(UnsafeURL, match="only http"):
        fetch_public(f"{host.url}/hop?to=file:///etc/passwd")
    assert fetch_public(f"{host.url}/hop?to={host.url}/img.png").content == PNG


def test_size_cap_stops_reading(host, monkeypatch):
    monkeypatch.setenv("DROPSHIP_FETCH_ALLOW_HOSTS", host.url.split("//")[1])
    with pytest.raises(UnsafeURL, match="cap"):
        fetch_public(f"{host.url}/huge", max_bytes=1024 * 1024)


def test_smartstore_client_uses_the_safe_fetch(host):
    from dropship_core.markets.smartstore.client import SmartStoreClient

    c = SmartStoreClient("id", "$2a$04$abcdefghijklmnopqrstuv", base_url="http://127.0.0.1:9")
    with pytest.raises(UnsafeURL, match="loopback"):
        c.fetch_image(f"{host.url}/img.png")
