"""Text embeddings: OpenAI embeddings when configured (`OpenAIEmbedder`), else the offline
fallback below (`HashEmbedder`): hashed character n-grams, nothing to download.

Each text becomes a fixed-size vector: character 2- and 3-grams of the normalised text (Korean
syllables and Latin letters alike) plus whole words, hashed into `dim` buckets with a signed
hash, then L2-normalised, so cosine similarity is a dot product. It is not a language model,
but texts that share words and word pieces ("텀블러 가격" / "텀블러 500ml 가격 인하") land close,
which is what conversation recall and related-context lookup need. Deterministic across processes
(blake2b, not Python's salted hash).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata

DIM = 256
_WORD = re.compile(r"[\w가-힣]+", re.UNICODE)


def _bucket(token: str, dim: int) -> tuple[int, float]:
    h = hashlib.blake2b(token.encode(), digest_size=8).digest()
    n = int.from_bytes(h, "little")
    return n % dim, (1.0 if (n >> 63) & 1 else -1.0)


def tokens(text: str) -> list[str]:
    t = unicodedata.normalize("NFKC", text or "").lower()
    words = _WORD.findall(t)
    out = [f"w:{w}" for w in words]
    for w in words:
        padded = f" {w} "
        for n in (2, 3):
            out.extend(f"c{n}:{padded[i:i + n]}" for i in range(len(padded) - n + 1))
    return out


def embed(text: str, dim: int = DIM) -> list[float]:
    v = [0.0] * dim
    for tok in tokens(text):
        i, sign = _bucket(tok, dim)
        # whole words weigh more than their pieces
        v[i] += sign * (2.0 if tok.startswith("w:") else 1.0)
    norm = math.sqrt(sum(x * x for x in v))
    if norm == 0:
        return v
    return [x / norm for x in v]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


def to_pgvector(v: list[float]) -> str:
    """The text form pgvector parses: '[0.1,0.2,...]'."""
    return "[" + ",".join(f"{x:.6g}" for x in v) + "]"


# ---- embedders: which model turns text into vectors -------------------------------------------


class HashEmbedder:
    """The offline fallback: hashed character n-grams (lexical similarity only)."""

    def __init__(self, dim: int = DIM):
        self.dim = dim
        self.id = f"ngram-hash-{dim}"

    def embed_many(self, texts: list[str]) -> list[list[float]]:
        return [embed(t, self.dim) for t in texts]


class OpenAIEmbedder:
    """OpenAI embeddings through the official SDK (`client.embeddings.create`). `dimensions`
    shortens text-embedding-3 vectors server-side; the result is L2-normalised again."""

    def __init__(self, api_key: str, model: str = "text-embedding-3-small", dim: int = DIM,
                 base_url: str | None = None, timeout: float = 30.0, max_retries: int = 2):
        import openai

        self.model, self.dim = model, dim
        self.id = f"openai-{model}-{dim}"
        self._sdk = openai.OpenAI(api_key=api_key, base_url=base_url or None, timeout=timeout,
                                  max_retries=max_retries)

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.model!r}, dim={self.dim})"

    def embed_many(self, texts: list[str]) -> list[list[float]]:
        res = self._sdk.embeddings.create(model=self.model, input=[t or " " for t in texts], dimensions=self.dim)
        out = []
        for d in sorted(res.data, key=lambda d: d.index):
            v = list(d.embedding)
            n = math.sqrt(sum(x * x for x in v)) or 1.0
            out.append([x / n for x in v])
        return out


def embedder_from_env(env: dict[str, str] | None = None):
    """EMBEDDING_PROVIDER openai | hash (default: openai when LLM_PROVIDER is openai and
    OPENAI_API_KEY is set, else hash),
    EMBEDDING_MODEL (text-embedding-3-small), EMBEDDING_DIM (256), OPENAI_BASE_URL or LLM_BASE_URL."""
    import os

    e = os.environ if env is None else env
    default = "openai" if e.get("LLM_PROVIDER") == "openai" and e.get("OPENAI_API_KEY") else "hash"
    provider = (e.get("EMBEDDING_PROVIDER") or default).lower()
    dim = int(e.get("EMBEDDING_DIM") or DIM)
    if provider == "hash":
        return HashEmbedder(dim)
    if provider != "openai":
        raise ValueError(f"unknown EMBEDDING_PROVIDER {provider!r}; choose openai or hash")
    if not e.get("OPENAI_API_KEY"):
        raise ValueError("EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY")
    return OpenAIEmbedder(e["OPENAI_API_KEY"], e.get("EMBEDDING_MODEL") or "text-embedding-3-small", dim,
                          e.get("OPENAI_BASE_URL") or e.get("LLM_BASE_URL") or None)
