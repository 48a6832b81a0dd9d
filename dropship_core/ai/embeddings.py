"""Local text embeddings with nothing to download: hashed character n-grams.

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
