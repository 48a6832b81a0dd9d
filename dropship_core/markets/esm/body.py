"""ESM (Gmarket / Auction) request bodies: POST / PUT goods, sell-status.

The example bodies in the contracts (esm_*) are the templates followed here key for key. Note
the spec's own spelling `itemAddtionalInfo`.
"""

from __future__ import annotations

from typing import Any

from dropship_core.markets.common import detail_html, total_stock
from dropship_core.markets.notices import render_esm
from dropship_core.markets.settings import SellerSettings

ESM_MAX_ADD_IMAGES = 14
ESM_SITE_TYPE = {"Iac": 1, "Gmkt": 2}


def _site_map(seller: SellerSettings, value: Any) -> dict:
    return {s: value for s in seller.esm_sites}


def esm_options(listing: dict, seller: SellerSettings) -> dict:
    """The listing's recommendedOpts with each row's `qty` per selling site."""
    ro = listing.get("esm_recommended_opts") or {"type": 0}
    sites = [s.lower() for s in seller.esm_sites]

    def rows(details: list[dict]) -> list[dict]:
        return [dict(d, qty={s: d["qty"] for s in sites}) if isinstance(d.get("qty"), int) else d
                for d in details]

    if "combination" in ro:
        return dict(ro, combination=dict(ro["combination"],
                                         details=rows(ro["combination"].get("details") or [])))
    if "independent" in ro:
        return dict(ro, independent=dict(ro["independent"],
                                         details=rows(ro["independent"].get("details") or [])))
    return ro


def build_esm_goods(listing: dict, seller: SellerSettings) -> dict:
    """POST /item/v1/goods (and PUT /item/v1/goods/{goodsNo}) body. Note the spec's own spelling
    `itemAddtionalInfo`."""
    ship = int(listing.get("shipping_fee") or 0)
    images = list(listing.get("images") or [])
    cat = str(listing.get("category_id") or "")
    site_cats = []
    for s in seller.esm_sites:
        code = cat if s == "Gmkt" else str(listing.get("iac_category_id") or cat)
        site_cats.append({"siteType": ESM_SITE_TYPE[s], "catCode": code})
    category: dict[str, Any] = {"site": site_cats}
    if listing.get("esm_category_id"):
        category["esm"] = {"catCode": str(listing["esm_category_id"])}
    img: dict[str, Any] = {"basicImgURL": images[0] if images else ""}
    for i, u in enumerate(images[1:1 + ESM_MAX_ADD_IMAGES]):
        img[f"addImg{i + 1}URL"] = u    # additional slot key names UNVERIFIED
    notice = (listing.get("notice") or {}).get("esm") or (
        render_esm(listing["notice_plan"], seller) if listing.get("notice_plan") else None) or {
        "officialNoticeNo": seller.esm_official_notice_no,
        "details": [{"officialNoticeItemelementCode": seller.esm_notice_element_code,
                     "value": "[상세설명참조]"}],
    }
    return {
        "itemBasicInfo": {
            "goodsName": {"kor": listing.get("title")},
            "category": category,
            "catalog": {"modelName": listing.get("model") or "", "brandNo": 0, "barCode": ""},
            "managedCode": str(listing.get("seller_code") or ""),
        },
        "itemAddtionalInfo": {
            "price": _site_map(seller, int(listing.get("price") or 0)),
            "stock": _site_map(seller, total_stock(listing)),
            "sellingPeriod": _site_map(seller, -1),
            "buyableQuantity": {"type": "Unlimited", "qty": 0, "unitDate": 0},
            "recommendedOpts": esm_options(listing, seller),
            "shipping": {
                "type": 1,
                "companyNo": seller.esm_company_no,
                "dispatchPolicyNo": _site_map(seller, seller.esm_dispatch_policy_no),
                "policy": {"feeType": 2, "placeNo": seller.esm_place_no,
                           "returnPlaceNo": seller.esm_return_place_no,
                           "each": {"feeType": 1 if ship == 0 else 2, "fee": ship}},
            },
            "officialNotice": notice,
            "images": img,
            "descriptions": {"kor": {"type": 2, "html": detail_html(listing)}},
            "isAdultProduct": bool(listing.get("adult")),
            "isVatFree": listing.get("tax_type") == "FREE",
            "asPhone": seller.as_phone,
        },
    }


def build_esm_sell_status(listing: dict, seller: SellerSettings, on_sale: bool) -> dict:
    """PUT /item/v1/goods/{goodsNo}/sell-status body (casing per the public client; ESM matches
    keys case-insensitively, UNVERIFIED)."""
    sites = [s.lower() for s in seller.esm_sites]
    return {
        "isSell": {s: on_sale for s in sites},
        "itemBasicInfo": {
            "price": {s: int(listing.get("price") or 0) for s in sites},
            "stock": {s: total_stock(listing) for s in sites},
            "sellingPeriod": {s: -1 for s in sites},
        },
    }

