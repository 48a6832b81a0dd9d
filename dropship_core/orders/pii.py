"""Buyer data encrypted at rest: AES-256-GCM, application level, with key rotation.

`DROPSHIP_PII_KEY` holds one or more keys, `"<key id>:<base64 32 bytes>"`, comma-separated; the
FIRST encrypts, all decrypt (rotation: put the new key first, run `OrderStore.rotate_pii()`, then
drop the old one). Without the variable a key file `pii.key` (mode 0600) is created under
DROPSHIP_HOME once, and a warning says so: fine for a laptop, not for a shared server.

Ciphertext: `v1.<key id>.<base64(nonce 12 bytes || ciphertext+tag)>`; the associated data is the
order line's identity (`market:line id`), so a blob copied onto another row does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class PiiKeyError(RuntimeError):
    pass


def _home() -> Path:
    return Path(os.environ.get("DROPSHIP_HOME") or (Path.cwd() / ".dropship"))


def _parse(spec: str) -> list[tuple[str, bytes]]:
    keys = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        kid, sep, b64 = part.partition(":")
        if not sep or not kid or "." in kid:
            raise PiiKeyError("DROPSHIP_PII_KEY entries look like '<key id>:<base64 32 bytes>'")
        try:
            raw = base64.b64decode(b64, validate=True)
        except ValueError:
            raise PiiKeyError(f"DROPSHIP_PII_KEY key {kid!r} is not base64") from None
        if len(raw) != 32:
            raise PiiKeyError(f"DROPSHIP_PII_KEY key {kid!r} must be 32 bytes")
        keys.append((kid, raw))
    if not keys:
        raise PiiKeyError("DROPSHIP_PII_KEY is empty")
    return keys


def new_key_spec(kid: str | None = None) -> str:
    return f"{kid or 'k' + secrets.token_hex(3)}:{base64.b64encode(AESGCM.generate_key(256)).decode()}"


def _local_key_file() -> str:
    path = _home() / "pii.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = new_key_spec("local1")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:          # another process or thread made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(spec + "\n")
    print(f"DROPSHIP_PII_KEY is not set: created a local buyer-data key in {path} (mode 0600). "
          "Back it up; set DROPSHIP_PII_KEY on a shared server.", file=sys.stderr)
    return spec


class PiiCipher:
    def __init__(self, spec: str | None = None):
        spec = spec if spec is not None else (os.environ.get("DROPSHIP_PII_KEY") or _local_key_file())
        keys = _parse(spec)
        self.current = keys[0][0]
        self._keys = {kid: AESGCM(raw) for kid, raw in keys}
        # the hash key is derived, so a hash never reveals the plain value to someone without it
        self._mac = hashlib.sha256(b"dropship-pii-hash:" + keys[0][1]).digest()

    def __repr__(self) -> str:
        return f"PiiCipher(current={self.current!r}, keys={sorted(self._keys)!r})"

    def encrypt(self, value: Any, aad: str) -> str | None:
        if value is None:
            return None
        data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
        nonce = os.urandom(12)
        ct = self._keys[self.current].encrypt(nonce, data, aad.encode())
        return f"{PREFIX}.{self.current}.{base64.b64encode(nonce + ct).decode()}"

    def key_id(self, blob: str | None) -> str | None:
        return blob.split(".", 2)[1] if blob else None

    def decrypt(self, blob: str | None, aad: str) -> Any:
        if not blob:
            return None
        prefix, kid, b64 = blob.split(".", 2)
        if prefix != PREFIX:
            raise PiiKeyError(f"unknown buyer-data format {prefix!r}")
        aes = self._keys.get(kid)
        if aes is None:
            raise PiiKeyError(f"buyer data was encrypted with key {kid!r}, which is not configured")
        raw = base64.b64decode(b64)
        return json.loads(aes.decrypt(raw[:12], raw[12:], aad.encode()))

    def digest(self, value: Any) -> str:
        data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
        return hmac.new(self._mac, data, hashlib.sha256).hexdigest()[:32]


# -- masking for people (CLI, logs of counts) -------------------------------------------------

def mask_name(name: str | None) -> str:
    if not name:
        return ""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}-****-{digits[-4:]}"


def mask_address(addr: str | None) -> str:
    words = (addr or "").split()
    return " ".join(words[:2] + (["***"] if len(words) > 2 else []))


def masked(pii: dict | None) -> dict:
    pii = pii or {}
    return {"buyer": mask_name(pii.get("buyer_name")), "receiver": mask_name(pii.get("receiver_name")),
            "phone": mask_phone(pii.get("receiver_phone")),
            "address": mask_address(pii.get("address1"))}
