"""Keeping secrets out of what we write: logs, alerts, events, errors."""

from __future__ import annotations

import os
import re
from typing import Iterable

SECRET_SUFFIXES = ("_KEY", "_SECRET", "_TOKEN", "_PASSWORD", "_DSN")


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    vals = [v for k, v in env.items() if k.upper().endswith(SECRET_SUFFIXES) and len(v) >= 4]
    return sorted(set(vals), key=len, reverse=True)


_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]+)(@)")
_AUTH_HEADER = re.compile(r"((?:authorization|x-api-key|api-key)[\"']?\s*[:=]\s*[\"']?)"
                          r"(?:(?:bearer|basic)\s+[^\s\"',]+|CEA\s[^\"'\r\n]*?signature=\w+"
                          r"|[^\s\"',]+)", re.IGNORECASE)
_SIGNATURE = re.compile(r"((?:signature|client_secret_sign|access_token|client_secret)"
                        r"[\"']?\s*[=:]\s*[\"']?)[^\"'&,\s}]+", re.IGNORECASE)
QUERY_SECRET = re.compile(r"((?:aid|api_?key|apikey|token|password|secret)=)[^&\s\"']+",
                           re.IGNORECASE)


def redact(text: str, secrets: Iterable[str | None] = (), *,
           environ: dict[str, str] | None = None, min_len: int = 3) -> str:
    """`text` with every secret replaced by ***: the given `secrets`, secret-looking environment
    values (`*_KEY`, `*_SECRET`, `*_TOKEN`, `*_PASSWORD`, `*_DSN`), URL passwords, JWTs,
    authorization headers, signatures and secret query parameters."""
    out = str(text)
    known = [s for s in secrets if s and len(s) >= min_len] + secret_values(environ)
    for s in sorted(set(known), key=len, reverse=True):
        out = out.replace(s, "***")
    out = _URL_PASSWORD.sub(r"\1***\3", out)
    out = _AUTH_HEADER.sub(r"\1***", out)
    out = _SIGNATURE.sub(r"\1***", out)
    out = QUERY_SECRET.sub(r"\1***", out)
    return _JWT.sub("***", out)




# Buyer personal data as the marketplaces name it (contracts/orders.md, "Buyer PII"): a key in
# this set (compared lower-case without `_`/`-`) never leaves the process in an error report.
BUYER_FIELDS = frozenset({
    "buyer", "buyername", "orderer", "orderername", "orderertel", "ordererid", "orderernote",
    "receiver", "receivername", "recipient", "sender", "shippingaddress", "destinationaddress",
    "baseaddress", "detailedaddress", "address", "addr1", "addr2", "delfulladdress", "delfrontaddress",
    "delbackaddress", "zipcode", "postcode", "postalcode", "hpno", "telno", "tel1", "tel2", "phone",
    "phonenumber", "safenumber", "email", "shippingmemo", "entrymethodcontent",
    "individualcustomuniquecode", "personalcustomsclearancecode",
})
# Secret-bearing keys (besides any `*_KEY`/`*_SECRET`/`*_TOKEN`/`*_PASSWORD`/`*_DSN` name).
SECRET_FIELDS = frozenset({
    "authorization", "proxyauthorization", "cookie", "setcookie", "password", "passwd", "secret",
    "clientsecret", "clientsecretsign", "accesskey", "secretkey", "apikey", "xapikey", "token",
    "accesstoken", "refreshtoken", "signature", "xdropshipsignature", "dsn", "databaseurl",
})
# Buyer data recognisable by its shape: phone numbers (incl. 0502/0503 safe numbers), e-mail
# addresses, resident registration numbers and personal customs clearance codes.
BUYER_PATTERNS = (
    re.compile(r"(?<!\d)0\d{1,3}[-. ]?\d{3,4}[-. ]?\d{4}(?!\d)"),
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    re.compile(r"(?<!\d)\d{6}-?[1-4]\d{6}(?!\d)"),
    re.compile(r"\bP\d{12}\b"),
)


def field_is_sensitive(key: str) -> bool:
    k = str(key)
    if k.upper().endswith(SECRET_SUFFIXES):
        return True
    norm = k.lower().replace("_", "").replace("-", "")
    return norm in BUYER_FIELDS or norm in SECRET_FIELDS


# `key: value` / `key=value` inside text (a dict or JSON quoted in an error message); the value
# may be a flat {...} or [...] block, a quoted string or a bare token
_KEY_VALUE = re.compile(r"""(["']?)([A-Za-z][A-Za-z0-9_-]*)\1(\s*[:=]\s*)"""
                        r"""(\{[^{}]*\}|\[[^\[\]]*\]|"[^"]*"|'[^']*'|[^\s,;&}\]]+)""")


def _hide_sensitive_value(mt: re.Match) -> str:
    if not field_is_sensitive(mt.group(2)):
        return mt.group(0)
    return f"{mt.group(1)}{mt.group(2)}{mt.group(1)}{mt.group(3)}[Filtered]"


def redact_buyer(text: str) -> str:
    """`redact` plus buyer data: the value of any secret or buyer key written out in the text,
    and whatever has a buyer datum's shape (phones, e-mails, ID numbers)."""
    out = _KEY_VALUE.sub(_hide_sensitive_value, redact(text))
    for pat in BUYER_PATTERNS:
        out = pat.sub("[buyer]", out)
    return out
