"""Seller settings (what every listing shares: delivery, returns, A/S) and market credentials.

Seller settings are plain data loaded from config (a dict or YAML); credentials come from the
environment and are kept out of repr() so they never reach a log line or an exception.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_BASE_URLS = {
    "smartstore": "https://api.commerce.naver.com/external",
    "coupang": "https://api-gateway.coupang.com",
    "gmarket": "https://sa2.esmplus.com",
}


@dataclass
class SellerSettings:
    # shared
    delivery_company: str = "CJGLS"           # Naver deliveryCompany / Coupang deliveryCompanyCode
    as_phone: str = "010-0000-0000"
    as_guide: str = "판매자 문의"
    company_contact_number: str = "02-0000-0000"
    exchange_fee: int | None = None           # default: 2 x return fee
    outbound_shipping_days: int = 2
    notice_default: str = "상품상세참조"
    # Naver
    naver_shipping_address_id: int = 0
    naver_return_address_id: int = 0
    naver_naver_shopping: bool = False
    naver_upload_images: bool = True          # upload supplier images to Naver's CDN first
    # Coupang
    coupang_vendor_id: str = ""
    coupang_vendor_user_id: str = ""
    coupang_return_center_code: str = ""
    coupang_return_charge_name: str = "반품지"
    coupang_return_zip_code: str = ""
    coupang_return_address: str = ""
    coupang_return_address_detail: str = ""
    coupang_outbound_shipping_place_code: str = ""
    coupang_delivery_method: str = "SEQUENCIAL"
    coupang_request_approval: bool = True
    coupang_max_buy_count: int = 9999
    # ESM (Gmarket / Auction)
    esm_sites: tuple[str, ...] = ("Gmkt",)    # Gmkt (siteType 2) and/or Iac (siteType 1)
    esm_company_no: int = 10013               # delivery company number (CJ) [UNVERIFIED mapping]
    esm_dispatch_policy_no: int = 0
    esm_place_no: int = 0
    esm_return_place_no: int = 0
    esm_official_notice_no: int = 35          # 35 = 기타 재화
    esm_notice_element_code: str = "999-5"

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "SellerSettings":
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown seller settings: {sorted(unknown)}")
        if "esm_sites" in d:
            d["esm_sites"] = tuple(d["esm_sites"])
        return cls(**d)

    @classmethod
    def from_yaml(cls, path: str, base: "SellerSettings | None" = None) -> "SellerSettings":
        import dataclasses

        import yaml

        with open(path, encoding="utf-8") as fh:
            d = yaml.safe_load(fh) or {}
        if base is None:
            return cls.from_dict(d)
        cls.from_dict(d)   # validates the keys
        if "esm_sites" in d:
            d["esm_sites"] = tuple(d["esm_sites"])
        return dataclasses.replace(base, **d)


# Defaults that match the sandboxes' pre-registered addresses/places, for `make demo`.
SANDBOX_SELLER = SellerSettings(
    naver_shipping_address_id=100001, naver_return_address_id=100002,
    coupang_vendor_id="A00000001", coupang_vendor_user_id="sandbox_wing",
    coupang_return_center_code="1000000001", coupang_return_zip_code="06164",
    coupang_return_address="서울특별시 강남구 테헤란로 1", coupang_return_address_detail="1층",
    coupang_outbound_shipping_place_code="74010",
    esm_dispatch_policy_no=100001, esm_place_no=111, esm_return_place_no=222,
    # the demo's supplier images are not downloadable offline; the demo sandbox accepts them
    naver_upload_images=False,
)


@dataclass
class Secret:
    """A credential that prints as ***."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def get(self) -> str:
        return self.value


def env(name: str, default: str | None = None) -> str | None:
    v = os.environ.get(name)
    return v if v not in (None, "") else default


PRESETS = {"default": SellerSettings(), "sandbox": SANDBOX_SELLER}


def preset(name: str | None) -> SellerSettings:
    """A named base for seller settings: "default" or "sandbox" (matches the sandboxes' data)."""
    import dataclasses

    try:
        return dataclasses.replace(PRESETS[name or "default"])
    except KeyError:
        raise ValueError(f"unknown seller settings preset {name!r}; one of {sorted(PRESETS)}") \
            from None
