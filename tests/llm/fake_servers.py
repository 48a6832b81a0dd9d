"""Local servers speaking the OpenAI and Anthropic wire formats, scripted per test.

`FakeLLM` holds a queue of `Step`s; each request to `/v1/chat/completions` (OpenAI) or
`/v1/messages` (Anthropic) takes the next step (or the default responder when the queue is
empty) and answers in that provider's real JSON shape: ids, usage, finish/stop reasons, tool_use
blocks, refusal fields, error bodies with status codes and retry-after headers. Every request
body and its headers are recorded so tests can assert what the SDK sent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import struct
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Step:
    """What the next request gets.

    kind: valid (answer `data`) | raw (answer the literal text `text`) | refusal | status
          (HTTP error `status` with `headers`) | text (plain prose, no tool_use / no JSON).
    delay: seconds to wait before answering (for timeouts).
    """

    kind: str = "valid"
    data: Any = None
    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    error_message: str = "error"


def _tokens(s: str) -> int:
    return max(1, len(s) // 4)


class FakeLLM:
    def __init__(self, default: Callable[[dict[str, Any]], Step] | None = None):
        self.steps: deque[Step] = deque()
        self.default = default or (lambda body: Step("valid", data={}))
        self.requests: list[dict[str, Any]] = []  # {"path", "body", "headers"}
        self._ids = itertools.count(1)
        self.app = Starlette(routes=[
            Route("/v1/chat/completions", self._openai, methods=["POST"]),
            Route("/v1/messages", self._anthropic, methods=["POST"]),
            Route("/v1/embeddings", self._embeddings, methods=["POST"]),
        ])

    def script(self, *steps: Step) -> "FakeLLM":
        self.steps.extend(steps)
        return self

    def count(self, path_suffix: str = "") -> int:
        return sum(1 for r in self.requests if r["path"].endswith(path_suffix))

    async def _next(self, request: Request) -> tuple[dict[str, Any], Step]:
        body = await request.json()
        self.requests.append({"path": request.url.path, "body": body, "headers": dict(request.headers)})
        if not (request.headers.get("authorization", "").startswith("Bearer ") or request.headers.get("x-api-key")):
            return body, Step("status", status=401, error_message="missing credentials")
        step = self.steps.popleft() if self.steps else self.default(body)
        if step.delay:
            await asyncio.sleep(step.delay)
        return body, step

    # ---- OpenAI /v1/chat/completions --------------------------------------------------------

    async def _openai(self, request: Request):
        body, step = await self._next(request)
        if step.kind == "status":
            err_type = {429: "rate_limit_exceeded", 401: "invalid_request_error"}.get(step.status, "server_error")
            return JSONResponse({"error": {"message": step.error_message, "type": err_type, "param": None,
                                           "code": err_type}}, status_code=step.status, headers=step.headers)
        prompt = json.dumps(body.get("messages", []), ensure_ascii=False)
        content: str | None
        refusal = None
        finish = "stop"
        if step.kind == "valid":
            content = json.dumps(step.data, ensure_ascii=False)
        elif step.kind in ("raw", "text"):
            content = step.text
        elif step.kind == "refusal":
            content, refusal = None, step.text or "I'm sorry, I can't help with that."
        else:
            raise ValueError(step.kind)
        completion = content or refusal or ""
        pt, ct = _tokens(prompt), _tokens(completion)
        return JSONResponse({
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1764150000,
            "model": body.get("model"),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": finish,
            }],
            "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                    "accepted_prediction_tokens": 0,
                                                    "rejected_prediction_tokens": 0}},
            "service_tier": "default",
            "system_fingerprint": "fp_local",
        })

    # ---- OpenAI /v1/embeddings -------------------------------------------------------------

    async def _embeddings(self, request: Request):
        """Deterministic vectors: each word adds a pseudo-random direction (sha256 of the word), so
        texts sharing words are close; `dimensions` truncates, `encoding_format` base64 packs
        little-endian float32 as the real API does."""
        body = await request.json()
        self.requests.append({"path": request.url.path, "body": body, "headers": dict(request.headers)})
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"error": {"message": "missing credentials", "type": "invalid_request_error",
                                           "param": None, "code": "invalid_api_key"}}, status_code=401)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dim = int(body.get("dimensions") or 1536)
        data = []
        for i, text in enumerate(inputs):
            v = [0.0] * dim
            for w in str(text).lower().split():
                h = hashlib.sha256(w.encode()).digest()
                for j in range(dim):
                    v[j] += (h[j % 32] - 127.5) / 127.5 * (1 if (j // 32) % 2 == 0 else -1)
            emb: Any = v
            if body.get("encoding_format") == "base64":
                emb = base64.b64encode(struct.pack(f"<{dim}f", *v)).decode()
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(_tokens(str(t)) for t in inputs)
        return JSONResponse({"object": "list", "data": data, "model": body.get("model"),
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    # ---- Anthropic /v1/messages -------------------------------------------------------------

    async def _anthropic(self, request: Request):
        body, step = await self._next(request)
        if step.kind == "status":
            err_type = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error",
                        400: "invalid_request_error"}.get(step.status, "api_error")
            return JSONResponse({"type": "error", "error": {"type": err_type, "message": step.error_message},
                                 "request_id": f"req_{next(self._ids)}"},
                                status_code=step.status, headers=step.headers)
        prompt = json.dumps([body.get("system"), body.get("messages")], ensure_ascii=False)
        tools = body.get("tools") or []
        tool_name = (body.get("tool_choice") or {}).get("name") or (tools[0]["name"] if tools else None)
        content: list[dict[str, Any]]
        stop = "end_turn"
        if step.kind == "valid" and tool_name:
            content = [{"type": "tool_use", "id": f"toolu_{next(self._ids):08d}", "name": tool_name,
                        "input": step.data}]
            stop = "tool_use"
        elif step.kind == "valid":
            content = [{"type": "text", "text": step.data if isinstance(step.data, str) else json.dumps(step.data)}]
        elif step.kind == "raw":
            # a tool_use whose input is not what the schema asked for cannot be non-JSON on the
            # wire, so "raw" is prose where a tool call was required
            content = [{"type": "text", "text": step.text}]
        elif step.kind == "text":
            content = [{"type": "text", "text": step.text}]
        elif step.kind == "refusal":
            content = [{"type": "text", "text": step.text or "I can't help with that."}] if step.text else []
            stop = "refusal"
        else:
            raise ValueError(step.kind)
        out = json.dumps(content, ensure_ascii=False)
        return JSONResponse({
            "id": f"msg_{next(self._ids):08d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": _tokens(prompt), "output_tokens": _tokens(out),
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                      "service_tier": "standard"},
        })
