"""Carriers: our names are Naver's codes; Coupang uses the same names with digit-count rules, ESM
uses numbers (contracts: Naver HYUNDAI = 롯데택배, KGB = 로젠; LOTTE/LOGEN are wrong for Naver)."""

from __future__ import annotations

# supplier-side names (OwnerClan shippingCompanyName, purchase-order sheets) -> our code
BY_NAME = {
    "cj대한통운": "CJGLS", "cj": "CJGLS", "대한통운": "CJGLS", "cjgls": "CJGLS",
    "한진택배": "HANJIN", "한진": "HANJIN", "hanjin": "HANJIN",
    "롯데택배": "HYUNDAI", "롯데": "HYUNDAI", "lotte": "HYUNDAI", "hyundai": "HYUNDAI",
    "로젠택배": "KGB", "로젠": "KGB", "logen": "KGB", "kgb": "KGB",
    "우체국택배": "EPOST", "우체국": "EPOST", "epost": "EPOST",
    "경동택배": "KDEXP", "경동": "KDEXP", "kdexp": "KDEXP",
    "일양로지스": "ILYANG", "ilyang": "ILYANG", "천일택배": "CHUNIL", "chunil": "CHUNIL",
    "대신택배": "DAESIN", "daesin": "DAESIN",
}
# Coupang's carrier table: allowed invoice digit counts
COUPANG_DIGITS = {"CJGLS": (10, 12), "HANJIN": (10, 12), "HYUNDAI": (10, 12, 13), "KGB": (10, 11),
                  "EPOST": (13,)}
ESM_CODES = {"CJGLS": 10013, "HANJIN": 10007, "HYUNDAI": 10008, "EPOST": 10001, "KGB": 10003,
             "KDEXP": 10016}
NAVER_CODES = {"CJGLS", "HANJIN", "HYUNDAI", "KGB", "EPOST", "KDEXP", "ILYANG", "CHUNIL", "DAESIN",
               "CH1"}


class CarrierError(ValueError):
    pass


def normalize(name_or_code: str | None) -> str:
    """A supplier's carrier name or code -> our code; unknown -> CarrierError."""
    s = (name_or_code or "").strip()
    if s.upper() in NAVER_CODES:
        return s.upper()
    code = BY_NAME.get(s.lower().replace(" ", ""))
    if code is None:
        raise CarrierError(f"unknown carrier {name_or_code!r}")
    return code


def for_market(market: str, carrier: str, tracking: str) -> str | int:
    """The market's carrier code for `carrier`, after checking the tracking number."""
    digits = "".join(ch for ch in tracking if ch.isdigit())
    if not digits or digits != tracking.replace("-", ""):
        raise CarrierError(f"tracking number {tracking!r} must be digits")
    if market == "smartstore":
        if carrier not in NAVER_CODES:
            raise CarrierError(f"no Naver code for {carrier}")
        return carrier
    if market == "coupang":
        allowed = COUPANG_DIGITS.get(carrier)
        if allowed and len(digits) not in allowed:
            raise CarrierError(f"{carrier} invoice numbers have {allowed} digits, not {len(digits)}")
        return carrier
    if market == "gmarket":
        if carrier not in ESM_CODES:
            raise CarrierError(f"no ESM code for {carrier}")
        return ESM_CODES[carrier]
    raise CarrierError(f"unknown market {market}")
