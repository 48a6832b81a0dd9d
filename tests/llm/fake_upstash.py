"""Local servers speaking Upstash's REST wire formats, for the `upstash-redis` and
`upstash-vector` SDKs.

- Upstash Redis: a command is a JSON array POSTed to the base URL (`/pipeline` and `/multi-exec`
  take an array of them); the answer is `{"result": ...}` or `{"error": "..."}`, with strings
  base64-encoded when the client sends `Upstash-Encoding: base64`. Commands are executed on the
  real Redis at 127.0.0.1:6379 (under a key prefix), so the semantics are Redis's own.
- Upstash Vector: `/upsert`, `/query`, `/fetch`, `/delete`, `/reset`, `/info` (optionally
  `/<path>/<namespace>`), cosine similarity scored as Upstash does ((1 + cos) / 2), and metadata
  filters with `=`, `!=`, `IN (...)` joined by AND.
Both check the bearer token.
"""

from __future__ import annotations

import base64
import math
import re
from typing import Any

import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# commands whose arguments at these positions are keys (enough for what the memory store sends)
_KEY_ARGS = {"RPUSH": [1], "LPUSH": [1], "LRANGE": [1], "LTRIM": [1], "LLEN": [1], "EXPIRE": [1], "DEL": "all",
             "GET": [1], "SET": [1], "TTL": [1], "EXISTS": "all"}


def _b64(v: Any) -> Any:
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, str):
        return "OK" if v == "OK" else base64.b64encode(v.encode()).decode()
    if isinstance(v, list):
        return [_b64(x) for x in v]
    return v


class FakeUpstashRedis:
    def __init__(self, token: str, redis_url: str = "redis://127.0.0.1:6379/0", prefix: str = "fake-upstash"):
        self.token, self.prefix = token, prefix
        self.redis = redis.Redis.from_url(redis_url)
        self.commands: list[list[Any]] = []
        self.app = Starlette(routes=[
            Route("/", self._single, methods=["POST"]),
            Route("/pipeline", self._many, methods=["POST"]),
            Route("/multi-exec", self._many, methods=["POST"]),
        ])

    def _run(self, cmd: list[Any], encode: bool) -> dict[str, Any]:
        self.commands.append(cmd)
        name = str(cmd[0]).upper()
        if name not in _KEY_ARGS:
            return {"error": f"ERR unknown command '{name}'"}
        args = list(cmd)
        pos = range(1, len(args)) if _KEY_ARGS[name] == "all" else _KEY_ARGS[name]
        for i in pos:
            args[i] = f"{self.prefix}:{args[i]}"
        try:
            res = self.redis.execute_command(*args)
        except redis.ResponseError as e:
            return {"error": str(e)}
        if isinstance(res, bool):
            res = "OK" if res and name == "SET" else int(res)
        return {"result": _b64(res) if encode else (res.decode() if isinstance(res, bytes) else
                                                     [x.decode() if isinstance(x, bytes) else x for x in res]
                                                     if isinstance(res, list) else res)}

    def _auth(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        return None

    async def _single(self, request: Request):
        if (bad := self._auth(request)) is not None:
            return bad
        out = self._run(await request.json(), request.headers.get("upstash-encoding") == "base64")
        return JSONResponse(out, status_code=400 if "error" in out else 200)

    async def _many(self, request: Request):
        if (bad := self._auth(request)) is not None:
            return bad
        enc = request.headers.get("upstash-encoding") == "base64"
        return JSONResponse([self._run(c, enc) for c in await request.json()])

    def flush(self) -> None:
        for k in self.redis.scan_iter(f"{self.prefix}:*", count=500):
            self.redis.delete(k)


_CLAUSE = re.compile(r"^\s*(\w+)\s*(=|!=|IN)\s*(.+?)\s*$", re.IGNORECASE)
_STR = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _unquote(s: str) -> Any:
    m = _STR.fullmatch(s.strip())
    if m:
        return m.group(1).replace("\\'", "'").replace("\\\\", "\\")
    return float(s) if "." in s else int(s)


def _match(filter_: str, md: dict[str, Any]) -> bool:
    if not filter_.strip():
        return True
    for clause in re.split(r"\s+AND\s+", filter_, flags=re.IGNORECASE):
        m = _CLAUSE.match(clause)
        if not m:
            raise ValueError(f"unsupported filter: {clause}")
        field, op, value = m.group(1), m.group(2).upper(), m.group(3)
        have = md.get(field)
        if op == "IN":
            options = [x.replace("\\'", "'").replace("\\\\", "\\") for x in _STR.findall(value)]
            if have not in options:
                return False
        elif op == "=" and have != _unquote(value):
            return False
        elif op == "!=" and have == _unquote(value):
            return False
    return True


class FakeUpstashVector:
    def __init__(self, token: str, dimension: int = 256):
        self.token, self.dimension = token, dimension
        self.ns: dict[str, dict[str, dict[str, Any]]] = {}
        self.requests: list[tuple[str, Any]] = []
        routes = []
        for path, fn in (("/upsert", self._upsert), ("/query", self._query), ("/fetch", self._fetch),
                         ("/delete", self._delete), ("/reset", self._reset), ("/info", self._info)):
            routes.append(Route(path, fn, methods=["POST", "GET", "DELETE"]))
            routes.append(Route(path + "/{namespace}", fn, methods=["POST", "GET", "DELETE"]))
        self.app = Starlette(routes=routes)

    async def _body(self, request: Request) -> tuple[str, Any]:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            raise PermissionError
        raw = await request.body()
        import json

        body = json.loads(raw) if raw else None
        self.requests.append((request.url.path, body))
        return request.path_params.get("namespace", ""), body

    def _guard(fn):  # noqa: N805
        async def wrapped(self, request: Request):
            try:
                ns, body = await self._body(request)
                return JSONResponse({"result": fn(self, ns, body)})
            except PermissionError:
                return JSONResponse({"error": "Unauthorized"}, status_code=401)
            except ValueError as e:
                return JSONResponse({"error": str(e)}, status_code=400)
        return wrapped

    @_guard
    def _upsert(self, ns, body):
        items = body if isinstance(body, list) else [body]
        store = self.ns.setdefault(ns, {})
        for v in items:
            if v.get("vector") is None or len(v["vector"]) != self.dimension:
                raise ValueError(f"Invalid vector dimension: {len(v.get('vector') or [])}, expected: {self.dimension}")
            store[str(v["id"])] = {"id": str(v["id"]), "vector": v["vector"], "metadata": v.get("metadata"),
                                   "data": v.get("data")}
        return "Success"

    @_guard
    def _query(self, ns, body):
        q = body["vector"]
        if len(q) != self.dimension:
            raise ValueError(f"Invalid vector dimension: {len(q)}, expected: {self.dimension}")
        qn = math.sqrt(sum(x * x for x in q)) or 1.0
        scored = []
        for v in self.ns.get(ns, {}).values():
            if not _match(body.get("filter") or "", v.get("metadata") or {}):
                continue
            vn = math.sqrt(sum(x * x for x in v["vector"])) or 1.0
            cos = sum(a * b for a, b in zip(q, v["vector"])) / (qn * vn)
            scored.append(((1 + cos) / 2, v))
        scored.sort(key=lambda t: -t[0])
        out = []
        for score, v in scored[: body.get("topK", 10)]:
            r: dict[str, Any] = {"id": v["id"], "score": score}
            if body.get("includeMetadata") and v.get("metadata") is not None:
                r["metadata"] = v["metadata"]
            if body.get("includeData") and v.get("data") is not None:
                r["data"] = v["data"]
            if body.get("includeVectors"):
                r["vector"] = v["vector"]
            out.append(r)
        return out

    @_guard
    def _fetch(self, ns, body):
        store = self.ns.get(ns, {})
        return [store.get(str(i)) for i in body.get("ids", [])]

    @_guard
    def _delete(self, ns, body):
        store = self.ns.get(ns, {})
        ids = body.get("ids", []) if isinstance(body, dict) else body
        n = sum(1 for i in ids if store.pop(str(i), None) is not None)
        return {"deleted": n}

    @_guard
    def _reset(self, ns, body):
        self.ns.pop(ns, None)
        return "Success"

    @_guard
    def _info(self, ns, body):
        return {"vectorCount": sum(len(v) for v in self.ns.values()), "pendingVectorCount": 0,
                "indexSize": 0, "dimension": self.dimension, "similarityFunction": "COSINE",
                "namespaces": {k: {"vectorCount": len(v), "pendingVectorCount": 0} for k, v in self.ns.items()}}
