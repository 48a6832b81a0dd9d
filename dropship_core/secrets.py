"""Keeping secrets out of what we write: logs, alerts, events, errors."""

from __future__ import annotations

import os
import re

SECRET_SUFFIXES = ("_KEY", "_SECRET", "_TOKEN", "_PASSWORD", "_DSN")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]+)(@)")


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    vals = [v for k, v in env.items() if k.upper().endswith(SECRET_SUFFIXES) and len(v) >= 4]
    return sorted(set(vals), key=len, reverse=True)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """Replace every secret-looking environment value and every URL password by ***."""
    out = _URL_PASSWORD.sub(r"\1***\3", text)
    for v in secret_values(environ):
        out = out.replace(v, "***")
    return out
