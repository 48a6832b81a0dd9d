"""Fetching a URL that came from a supplier (product images) without letting it reach inside.

A supplier workbook or feed decides the URL, so it is treated as hostile:

- only `http` and `https`, no credentials in the URL;
- the host is resolved and every address must be public: loopback, private, link-local (and the
  cloud metadata address 169.254.169.254), carrier-grade NAT, multicast, reserved and
  unspecified ranges are refused. The connection goes to the address that was checked (the
  Host header and TLS name stay the URL's host), so a second DNS answer cannot swap it;
- redirects are followed by hand, at most `max_redirects`, each target checked the same way;
- a size cap read while streaming (the body never exceeds `max_bytes` in memory) and one
  overall deadline besides the connect/read timeouts.

Hosts in DROPSHIP_FETCH_ALLOW_HOSTS (`host` or `host:port`, comma-separated) skip the address
check: for local sandboxes and tests only.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from dropship_core import config

MAX_BYTES = 10 * 1024 * 1024
TIMEOUT_S = 15.0
MAX_REDIRECTS = 3
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class UnsafeURL(ValueError):
    """The URL may not be fetched (scheme, address, size or time)."""


@dataclass
class Fetched:
    url: str
    content: bytes
    content_type: str


def _allowed_hosts() -> set[str]:
    raw = config.get("DROPSHIP_FETCH_ALLOW_HOSTS") or ""
    return {h.strip().lower() for h in raw.split(",") if h.strip()}


def address_problem(ip: str) -> str | None:
    """Why an address is not public (None when it is)."""
    a = ipaddress.ip_address(ip)
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
        a = a.ipv4_mapped
    for flag in ("is_loopback", "is_link_local", "is_unspecified", "is_multicast", "is_private",
                 "is_reserved"):
        if getattr(a, flag):
            return flag[3:].replace("_", "-")
    if isinstance(a, ipaddress.IPv4Address) and a in _CGNAT:
        return "shared address space"
    if not a.is_global:
        return "not a public address"
    return None


def check_url(url: str, resolve=socket.getaddrinfo) -> tuple[str, int, str | None]:
    """(host, port, pinned address or None when allow-listed) for a fetchable URL, else UnsafeURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise UnsafeURL(f"not a URL: {url[:200]!r} ({e})") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(f"only http(s) URLs are fetched, not {parts.scheme or 'no scheme'!r}: {url[:200]}")
    if parts.username or parts.password:
        raise UnsafeURL(f"URL with credentials refused: {parts.hostname}")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeURL(f"URL without a host: {url[:200]}")
    port = port or (443 if parts.scheme == "https" else 80)
    allow = _allowed_hosts()
    if host in allow or f"{host}:{port}" in allow:
        return host, port, None
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise UnsafeURL(f"cannot resolve {host}: {e}") from None
    addrs = sorted({i[4][0] for i in infos})
    if not addrs:
        raise UnsafeURL(f"cannot resolve {host}")
    for ip in addrs:
        why = address_problem(ip.split("%")[0])
        if why:
            raise UnsafeURL(f"{host} resolves to {ip} ({why}); only public addresses are fetched")
    return host, port, addrs[0]


def _pinned_request(client: httpx.Client, url: str, host: str, port: int, ip: str | None) -> httpx.Request:
    if ip is None:
        return client.build_request("GET", url)
    parts = urlsplit(url)
    netloc = f"[{ip}]" if ":" in ip else ip
    target = parts._replace(netloc=f"{netloc}:{port}").geturl()
    default = 443 if parts.scheme == "https" else 80
    headers = {"Host": host if port == default else f"{host}:{port}"}
    req = client.build_request("GET", target, headers=headers)
    if parts.scheme == "https":
        req.extensions["sni_hostname"] = host
    return req


def _read_capped(r: httpx.Response, url: str, max_bytes: int, deadline: float, timeout_s: float) -> bytes:
    declared = r.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise UnsafeURL(f"{url[:200]}: {declared} bytes is over the {max_bytes}-byte cap")
    chunks, size = [], 0
    for chunk in r.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise UnsafeURL(f"{url[:200]}: body over the {max_bytes}-byte cap")
        if time.monotonic() > deadline:
            raise UnsafeURL(f"{url[:200]}: not received within {timeout_s:.0f}s")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch_public(url: str, *, max_bytes: int = MAX_BYTES, timeout_s: float = TIMEOUT_S,
                 max_redirects: int = MAX_REDIRECTS, transport: httpx.BaseTransport | None = None) -> Fetched:
    """GET `url` under the rules above; UnsafeURL for a refused URL, httpx errors for the rest."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
                      follow_redirects=False, transport=transport) as client:
        for _ in range(max_redirects + 1):
            host, port, ip = check_url(url)
            r = client.send(_pinned_request(client, url, host, port, ip), stream=True)
            try:
                if r.is_redirect:
                    loc = r.headers.get("location")
                    if not loc:
                        raise UnsafeURL(f"redirect without a location from {url[:200]}")
                    url = urljoin(url, loc)
                    continue
                r.raise_for_status()
                return Fetched(url, _read_capped(r, url, max_bytes, deadline, timeout_s),
                               r.headers.get("content-type", "application/octet-stream"))
            finally:
                r.close()
        raise UnsafeURL(f"more than {max_redirects} redirects from {url[:200]}")
