"""Webhook receiver for supplier push events (item changed, stock changed, item deleted).

    POST /webhooks/{supplier_key}
    X-Dropship-Timestamp: <unix seconds>
    X-Dropship-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
    {"id": "evt-1", "type": "item.changed", "item_id": "W000010", "occurred_at": "...", "data": {...}}

Answers: 202 accepted (also for a redelivery, which lands once: `duplicate: true`), 401 bad or
missing signature / timestamp outside the window, 413 body too large, 400 malformed JSON or event
or a payload that cannot be stored (nested deeper than MAX_DEPTH, NaN/Infinity, NUL characters,
unpaired surrogates: retrying would never help, so no 503), 404 for a key that is not an enabled
`kind: webhook` supplier of suppliers.yaml (re-read every few seconds; or the `suppliers` given).
Secrets: a supplier's own secret from the environment variable its account names
(`secret_env:`) or WEBHOOK_SECRET_<KEY> (key upper-cased, '-' and '.' as '_'), else the
shared WEBHOOK_SECRET. Accepted events are written to
`webhook_inbox` in one transaction; the sync itself happens later (inbox sensor), so the sender
gets its answer fast.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from typing import Any

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_core import metrics

SIGNATURE_HEADER = "X-Dropship-Signature"
TIMESTAMP_HEADER = "X-Dropship-Timestamp"
EVENT_TYPES = ("item.changed", "item.stock_changed", "item.deleted")
# the bounded `reason` label of dropship_webhook_refused_total, by answer
REFUSAL_REASON = {404: "unknown_supplier", 413: "too_large", 401: "unauthorized", 400: "malformed"}
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, *,
           tolerance_s: float = 300, now: float | None = None) -> str | None:
    """None when the delivery is authentic and fresh, else the reason it is not."""
    if not timestamp or not signature:
        return f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}"
    try:
        ts = int(timestamp)
    except ValueError:
        return "timestamp is not unix seconds"
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance_s:
        return f"timestamp outside the {int(tolerance_s)} s window (stale or replayed)"
    want = sign(secret, ts, body)
    got = signature.strip()
    if not got.startswith("sha256="):
        got = "sha256=" + got
    if not hmac.compare_digest(want.encode(), got.encode()):
        return "signature does not match"
    return None


MAX_DEPTH = 32
ACTIVE_WEBHOOK_SUPPLIERS = "suppliers.yaml"  # the default of create_app(suppliers=...)
_REGISTRY_TTL_S = 5.0


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a storable number")


def parse_storable(body: bytes) -> tuple[Any, str | None]:
    """The JSON document of `body`, or why it cannot be stored as jsonb (None, reason)."""
    try:
        doc = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        return None, f"JSON nested deeper than {MAX_DEPTH} levels"
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
        if "storable" in str(e):
            return None, str(e)
        return None, "body is not valid JSON"
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > MAX_DEPTH:
            return None, f"JSON nested deeper than {MAX_DEPTH} levels"
        if isinstance(v, dict):
            stack.extend((k, depth) for k in v)
            stack.extend((x, depth + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)
        elif isinstance(v, str):
            if "\x00" in v:
                return None, "NUL character (\\u0000) cannot be stored"
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return None, "unpaired surrogate in a string cannot be stored"
    return doc, None


def _env_key(key: str) -> str:
    return "WEBHOOK_SECRET_" + re.sub(r"[^A-Z0-9]", "_", key.upper())


class _Registry:
    """Enabled webhook accounts of suppliers.yaml (key -> secret env name), re-read after a TTL."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.at = 0.0
        self.accounts: dict[str, str | None] = {}

    def get(self) -> dict[str, str | None]:
        now = time.monotonic()
        if now - self.at > _REGISTRY_TTL_S:
            from dropship_core.suppliers.registry import ConfigError, load_accounts

            try:
                self.accounts = {a.key: a.setting("secret_env") for a in load_accounts(self.path)
                                 if a.enabled and a.kind == "webhook"}
            except (ConfigError, OSError):
                self.accounts = {}
            self.at = now
        return self.accounts


def validate_event(doc: Any) -> tuple[dict | None, str | None]:
    if not isinstance(doc, dict):
        return None, "event must be a JSON object"
    eid = doc.get("id")
    if not isinstance(eid, str) or not eid.strip() or len(eid) > 200:
        return None, "event 'id' must be a non-empty string (at most 200 characters)"
    etype = doc.get("type")
    if etype not in EVENT_TYPES:
        return None, f"event 'type' must be one of {', '.join(EVENT_TYPES)}"
    item = doc.get("item_id")
    if not isinstance(item, (str, int)) or isinstance(item, bool) or str(item).strip() == "":
        return None, "event 'item_id' is required"
    if "data" in doc and not isinstance(doc["data"], dict):
        return None, "event 'data' must be an object"
    return doc, None


async def read_capped(request: Request, max_body_bytes: int) -> tuple[bytes | None, int, str]:
    """(body, 0, "") or (None, status, reason) when it is over the cap or its length is bad."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > max_body_bytes:
                return None, 413, f"body larger than {max_body_bytes} bytes"
        except ValueError:
            return None, 400, "bad Content-Length"
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body_bytes:
            return None, 413, f"body larger than {max_body_bytes} bytes"
        chunks.append(chunk)
    return b"".join(chunks), 0, ""


async def _insert_event(database_url: str, conn_kwargs: dict[str, Any], supplier_key: str, event: dict,
                        ts: str | None) -> tuple[tuple | None, tuple[str, int, str] | None]:
    """Store one event in the inbox: (the new row, or None for a duplicate; None) on success, else
    (None, (metric reason, status, error)). A payload the database refuses is permanent (400);
    an unavailable database is not (503, the sender keeps the event and retries)."""
    try:
        async with await psycopg.AsyncConnection.connect(database_url, **conn_kwargs) as conn:
            async with conn.transaction():
                cur = await conn.execute(
                    "INSERT INTO webhook_inbox (supplier_key, event_id, event_type, supplier_item_id,"
                    " payload, signed_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s)"
                    " ON CONFLICT (supplier_key, event_id) DO NOTHING RETURNING id",
                    (supplier_key, event["id"], event["type"], str(event["item_id"]),
                     json.dumps(event, ensure_ascii=False), int(ts or 0)))
                return await cur.fetchone(), None
    except psycopg.DataError as e:
        return None, (REFUSAL_REASON.get(400, "other"), 400, f"payload cannot be stored ({type(e).__name__})")
    except psycopg.Error as e:
        return None, ("inbox_unavailable", 503, f"inbox unavailable ({type(e).__name__})")


def create_app(database_url: str | None = None, secret: str | None = None, *,
               secrets: dict[str, str] | None = None,
               suppliers: set[str] | str | None = ACTIVE_WEBHOOK_SUPPLIERS, suppliers_path: str | None = None,
               max_body_bytes: int = 256 * 1024, tolerance_s: float = 300,
               schema: str | None = None) -> Starlette:
    """`secret` defaults to WEBHOOK_SECRET; `secrets` may give one secret per supplier key.
    `suppliers`: the keys accepted (others get 404); by default the enabled webhook accounts of
    suppliers.yaml (`suppliers_path`, else DROPSHIP_SUPPLIERS); None accepts any well-formed key
    (local sandboxes). `schema` sets the search_path."""
    if not database_url:
        from dropship_core.db import database_url as store_url

        database_url = store_url()
    secret = secret if secret is not None else os.environ.get("WEBHOOK_SECRET", "")
    secrets = dict(secrets or {})
    if not secret and not secrets:
        raise ValueError("webhook receiver needs a secret (WEBHOOK_SECRET)")
    conn_kwargs: dict[str, Any] = {"autocommit": False}
    if schema:
        conn_kwargs["options"] = f"-c search_path={schema}"

    registry = _Registry(suppliers_path) if suppliers == ACTIVE_WEBHOOK_SUPPLIERS else None

    def refuse(status: int, reason: str) -> JSONResponse:
        metrics.WEBHOOK_REFUSED.labels(REFUSAL_REASON.get(status, "other")).inc()
        return JSONResponse({"accepted": False, "error": reason}, status_code=status)

    def known(key: str) -> bool:
        if registry is not None:
            return key in registry.get()
        return suppliers is None or key in suppliers

    def secret_for(key: str) -> str:
        if key in secrets:
            return secrets[key]
        named = registry.get().get(key) if registry is not None else None
        return (os.environ.get(named) if named else None) or os.environ.get(_env_key(key)) or secret

    async def receive(request: Request) -> Response:
        supplier_key = request.path_params["supplier_key"]
        if not _KEY_RE.match(supplier_key) or not known(supplier_key):
            return refuse(404, "not an enabled webhook supplier")
        body, status, why = await read_capped(request, max_body_bytes)
        if body is None:
            return refuse(status, why)
        key_secret = secret_for(supplier_key)
        if not key_secret:
            return refuse(401, "no secret configured for this supplier")
        ts = request.headers.get(TIMESTAMP_HEADER)
        why = verify(key_secret, ts, request.headers.get(SIGNATURE_HEADER), body, tolerance_s=tolerance_s)
        if why:
            return refuse(401, why)
        doc, why = parse_storable(body)
        if why:
            return refuse(400, why)
        event, why = validate_event(doc)
        if why:
            return refuse(400, why)
        assert event is not None
        row, failure = await _insert_event(database_url, conn_kwargs, supplier_key, event, ts)
        if failure is not None:
            metrics.WEBHOOK_REFUSED.labels(failure[0]).inc()
            return JSONResponse({"accepted": False, "error": failure[2]}, status_code=failure[1],
                                headers={"Retry-After": "30"} if failure[1] == 503 else None)
        metrics.WEBHOOK_ACCEPTED.labels("true" if row is None else "false").inc()
        return JSONResponse({"accepted": True, "duplicate": row is None, "inbox_id": row[0] if row else None},
                            status_code=202)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/webhooks/{supplier_key}", receive, methods=["POST"]),
                             Route("/healthz", health, methods=["GET"])])


def main(argv: list[str] | None = None) -> None:
    """Serve the receiver: WEBHOOK_SECRET and DATABASE_URL from the environment."""
    import argparse

    from dropship_core.error_reporting import init_sentry
    from dropship_core.serve import ServerThread

    init_sentry("webhook_server")

    ap = argparse.ArgumentParser(description="supplier webhook receiver")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8703)
    args = ap.parse_args(argv)
    ServerThread(create_app(), host=args.host, port=args.port).serve_until_interrupted(
        "webhook receiver: POST {url}/webhooks/<supplier_key>")


if __name__ == "__main__":
    main()
