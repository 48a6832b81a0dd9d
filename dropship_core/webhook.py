"""Webhook receiver for supplier push events (item changed, stock changed, item deleted).

    POST /webhooks/{supplier_key}
    X-Dropship-Timestamp: <unix seconds>
    X-Dropship-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
    {"id": "evt-1", "type": "item.changed", "item_id": "W000010", "occurred_at": "...", "data": {...}}

Answers: 202 accepted (also for a redelivery, which lands once: `duplicate: true`), 401 bad or
missing signature / timestamp outside the window, 413 body too large, 400 malformed JSON or event,
404 unknown supplier (when a list of suppliers is given). Accepted events are written to
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


def create_app(database_url: str | None = None, secret: str | None = None, *,
               secrets: dict[str, str] | None = None, suppliers: set[str] | None = None,
               max_body_bytes: int = 256 * 1024, tolerance_s: float = 300,
               schema: str | None = None) -> Starlette:
    """`secret` defaults to WEBHOOK_SECRET; `secrets` may give one secret per supplier key.
    `suppliers` limits which keys are accepted (others get 404). `schema` sets the search_path."""
    database_url = database_url or os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    secret = secret if secret is not None else os.environ.get("WEBHOOK_SECRET", "")
    secrets = dict(secrets or {})
    if not secret and not secrets:
        raise ValueError("webhook receiver needs a secret (WEBHOOK_SECRET)")
    conn_kwargs: dict[str, Any] = {"autocommit": False}
    if schema:
        conn_kwargs["options"] = f"-c search_path={schema}"

    def refuse(status: int, reason: str) -> JSONResponse:
        metrics.WEBHOOK_REFUSED.labels(REFUSAL_REASON.get(status, "other")).inc()
        return JSONResponse({"accepted": False, "error": reason}, status_code=status)

    async def receive(request: Request) -> Response:
        supplier_key = request.path_params["supplier_key"]
        if not _KEY_RE.match(supplier_key) or (suppliers is not None and supplier_key not in suppliers):
            return refuse(404, "unknown supplier")
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > max_body_bytes:
                    return refuse(413, f"body larger than {max_body_bytes} bytes")
            except ValueError:
                return refuse(400, "bad Content-Length")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                return refuse(413, f"body larger than {max_body_bytes} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
        key_secret = secrets.get(supplier_key, secret)
        if not key_secret:
            return refuse(401, "no secret configured for this supplier")
        ts = request.headers.get(TIMESTAMP_HEADER)
        why = verify(key_secret, ts, request.headers.get(SIGNATURE_HEADER), body, tolerance_s=tolerance_s)
        if why:
            return refuse(401, why)
        try:
            doc = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return refuse(400, "body is not valid JSON")
        event, why = validate_event(doc)
        if why:
            return refuse(400, why)
        assert event is not None
        try:
            async with await psycopg.AsyncConnection.connect(database_url, **conn_kwargs) as conn:
                async with conn.transaction():
                    cur = await conn.execute(
                        "INSERT INTO webhook_inbox (supplier_key, event_id, event_type, supplier_item_id,"
                        " payload, signed_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s)"
                        " ON CONFLICT (supplier_key, event_id) DO NOTHING RETURNING id",
                        (supplier_key, event["id"], event["type"], str(event["item_id"]),
                         json.dumps(event, ensure_ascii=False), int(ts or 0)))
                    row = await cur.fetchone()
        except psycopg.Error as e:
            # not accepted: the sender keeps the event and retries later
            metrics.WEBHOOK_REFUSED.labels("inbox_unavailable").inc()
            return JSONResponse({"accepted": False, "error": f"inbox unavailable ({type(e).__name__})"},
                                status_code=503, headers={"Retry-After": "30"})
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
