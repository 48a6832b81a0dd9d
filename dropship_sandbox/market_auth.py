"""Signature checks of the sandbox marketplaces, written from the documentation
(marketplaces-and-suppliers.md), independent of the clients' signing code: a signing bug in a
client fails here instead of passing. Reference vectors: tests/markets/test_market_auth_vectors.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import bcrypt

_BCRYPT_B64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _bcrypt_b64_decode(text: str) -> bytes:
    bits = "".join(format(_BCRYPT_B64.index(c), "06b") for c in text)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits) - len(bits) % 8, 8))


def _bcrypt_b64_encode(data: bytes) -> str:
    bits = "".join(format(b, "08b") for b in data)
    bits += "0" * (-len(bits) % 6)
    return "".join(_BCRYPT_B64[int(bits[i:i + 6], 2)] for i in range(0, len(bits), 6))


def naver_salt(secret: str) -> bytes:
    """The 16 salt bytes of a `$2a$10$...` secret, re-encoded: 22 characters carry 132 bits, the
    last 4 are not part of the salt (OpenBSD and jBCrypt ignore them)."""
    head, body = secret[:7], secret[7:29]
    raw = _bcrypt_b64_decode(body)[:16]
    return (head + _bcrypt_b64_encode(raw)[:22]).encode()


def naver_client_secret_sign(client_id: str, client_secret: str, timestamp: int | str) -> str:
    """base64(bcrypt(password = f"{client_id}_{timestamp}", salt = client_secret))."""
    hashed = bcrypt.hashpw(f"{client_id}_{timestamp}".encode(), naver_salt(client_secret))
    return base64.b64encode(hashed).decode()


def coupang_signature(secret_key: str, signed_date: str, method: str, path: str,
                      query: str) -> str:
    """hex(HMAC-SHA256(secretKey, signed-date + METHOD + path + query)), query without '?'."""
    msg = (signed_date + method.upper() + path + query).encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), msg, hashlib.sha256).hexdigest()
