"""Serve an order sandbox on the same host as an existing sandbox: requests the order app owns
go to it, everything else to the existing app unchanged (the minimal hook: no edit to it)."""

from __future__ import annotations

import re
from typing import Callable

Decide = Callable[[dict, bytes], bool]


class Overlay:
    def __init__(self, base, orders, owns: Decide, *, needs_body: bool = False):
        self.base, self.orders, self.owns, self.needs_body = base, orders, owns, needs_body
        self.state = getattr(base, "state", None)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.base(scope, receive, send)
        if not self.needs_body:
            app = self.orders if self.owns(scope, b"") else self.base
            return await app(scope, receive, send)
        chunks, more = [], True
        while more:
            msg = await receive()
            chunks.append(msg.get("body", b""))
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        app = self.orders if self.owns(scope, body) else self.base
        return await app(scope, replay, send)


def by_prefix(*prefixes: str) -> Decide:
    return lambda scope, body: scope["path"].startswith(prefixes)


_ORDER_OPS = re.compile(rb"\b(simulateCreateOrder|createOrder|allOrders|order|cancelOrder|"
                        rb"requestOrderCancellation)\s*[({]")


def graphql_orders(scope: dict, body: bytes) -> bool:
    if scope["path"].startswith("/__orders"):
        return True
    if scope["path"] != "/v1/graphql":
        return False
    text = body or scope.get("query_string", b"")
    from urllib.parse import unquote_to_bytes

    return bool(_ORDER_OPS.search(unquote_to_bytes(text)))
