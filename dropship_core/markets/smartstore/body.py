"""SmartStore request bodies: POST /v2/products (and PUT origin-products), option-stock.

The example bodies in the contracts (naver_*) are the templates followed here key for key.
"""

from __future__ import annotations

from typing import Any

from dropship_core.markets.common import (detail_html, option_groups, stock_of, tags_of,
                                          total_stock, variants)
from dropship_core.markets.notices import render_naver
from dropship_core.markets.settings import SellerSettings

NAVER_MAX_OPTIONAL_IMAGES = 9


def _naver_notice(listing: dict, seller: SellerSettings) -> dict:
    given = (listing.get("notice") or {}).get("productInfoProvidedNotice")
    if given:
        return given
    if listing.get("notice_plan"):
        return render_naver(listing["notice_plan"], seller)
    d = seller.notice_default
    return {
        "productInfoProvidedNoticeType": "ETC",
        "etc": {
            "returnCostReason": "상세페이지 참조", "noRefundReason": "상세페이지 참조",
            "qualityAssuranceStandard": "상세페이지 참조", "compensationProcedure": "상세페이지 참조",
            "troubleShootingContents": "상세페이지 참조",
            "itemName": d,
            "modelName": listing.get("model") or d,
            "certificateDetails": d,
            "manufacturer": listing.get("manufacturer") or d,
            "afterServiceDirector": seller.as_phone,
            "customerServicePhoneNumber": seller.as_phone,
        },
    }


def naver_certifications(listing: dict) -> dict:
    """KC data when the supplier gave it (then the product is not excluded from KC), else the
    exclusion flag for a category that needs none (a KC-target category without it is blocked
    before this)."""
    certs = listing.get("certifications") or []
    if not certs:
        return {"certificationTargetExcludeContent": {"kcCertifiedProductExclusionYn": "TRUE"}}
    infos = []
    for c in certs[:5]:
        info = {"certificationKindType": "KC_CERTIFICATION" if c["type"].startswith("KC")
                else c["type"], "name": c["name"], "certificationNumber": c["number"]}
        if c.get("info_id"):
            info["certificationInfoId"] = int(c["info_id"]) if str(c["info_id"]).isdigit() \
                else c["info_id"]
        infos.append(info)
    return {"productCertificationInfos": infos,
            "certificationTargetExcludeContent": {"kcCertifiedProductExclusionYn": "FALSE"}}


def naver_option_info(listing: dict) -> dict | None:
    vs = variants(listing)
    if not vs:
        return None
    groups = option_groups(listing)
    combos = []
    for v in vs:
        c = {f"optionName{i + 1}": str(v["options"].get(g, "")) for i, g in enumerate(groups)}
        c.update({"stockQuantity": stock_of(v.get("stock")), "price": int(v.get("price_delta") or 0),
                  "sellerManagerCode": str(v["sku"]), "usable": True})
        combos.append(c)
    return {
        "optionCombinationSortType": "CREATE",
        "optionCombinationGroupNames": {f"optionGroupName{i + 1}": g for i, g in enumerate(groups)},
        "optionCombinations": combos,
        "useStockManagement": True,
    }


def build_smartstore_product(listing: dict, seller: SellerSettings,
                             image_urls: list[str] | None = None) -> dict:
    """POST /v2/products (and PUT /v2/products/origin-products/{no}) body.

    `image_urls` are the Naver-CDN URLs of the listing's images (uploaded first); the listing's
    own URLs are used when not given.
    """
    images = image_urls if image_urls is not None else list(listing.get("images") or [])
    ship = int(listing.get("shipping_fee") or 0)
    ret = int(listing.get("return_fee") if listing.get("return_fee") is not None else ship)
    exch = seller.exchange_fee if seller.exchange_fee is not None else 2 * ret
    detail: dict[str, Any] = {
        "afterServiceInfo": {"afterServiceTelephoneNumber": seller.as_phone,
                             "afterServiceGuideContent": seller.as_guide},
        "originAreaInfo": {"originAreaCode": "03",
                           "content": listing.get("origin") or "상세설명에 표시", "plural": False},
        "sellerCodeInfo": {"sellerManagementCode": str(listing.get("seller_code") or "")},
        "taxType": "DUTYFREE" if listing.get("tax_type") == "FREE" else "TAX",
        "minorPurchasable": not bool(listing.get("adult")),
        "productInfoProvidedNotice": _naver_notice(listing, seller),
        **naver_certifications(listing),
    }
    opt = naver_option_info(listing)
    if opt:
        detail["optionInfo"] = opt
    tags = tags_of(listing)
    if tags:
        detail["seoInfo"] = {"sellerTags": [{"text": t} for t in tags]}
    origin: dict[str, Any] = {
        "statusType": "SALE",
        "saleType": "NEW",
        "leafCategoryId": str(listing.get("category_id") or ""),
        "name": listing.get("title"),
        "detailContent": detail_html(listing),
        "images": {"representativeImage": {"url": images[0] if images else ""},
                   "optionalImages": [{"url": u} for u in images[1:1 + NAVER_MAX_OPTIONAL_IMAGES]]},
        "salePrice": int(listing.get("price") or 0),
        "stockQuantity": total_stock(listing),
        "deliveryInfo": {
            "deliveryType": "DELIVERY",
            "deliveryAttributeType": "NORMAL",
            "deliveryCompany": seller.delivery_company,
            "deliveryBundleGroupUsable": False,
            "deliveryFee": ({"deliveryFeeType": "FREE", "baseFee": 0} if ship == 0 else
                            {"deliveryFeeType": "PAID", "baseFee": ship,
                             "deliveryFeePayType": "PREPAID"}),
            "claimDeliveryInfo": {
                "returnDeliveryCompanyPriorityType": "PRIMARY",
                "returnDeliveryFee": ret, "exchangeDeliveryFee": exch,
                "shippingAddressId": seller.naver_shipping_address_id,
                "returnAddressId": seller.naver_return_address_id,
            },
        },
        "detailAttribute": detail,
    }
    return {
        "originProduct": origin,
        "smartstoreChannelProduct": {
            "naverShoppingRegistration": seller.naver_naver_shopping,
            "channelProductDisplayStatusType": "ON",
            "channelProductName": listing.get("title"),
            "storeKeepExclusiveProduct": False,
        },
    }


def build_smartstore_option_stock(listing: dict, option_ids: dict[str, int] | None) -> dict:
    """PUT /v1/products/origin-products/{no}/option-stock body.

    `option_ids` maps option SKU (sellerManagerCode) to Naver's optionCombination id.
    """
    body: dict[str, Any] = {"productSalePrice": {"salePrice": int(listing.get("price") or 0)}}
    vs = variants(listing)
    if vs:
        ids = option_ids or {}
        body["optionInfo"] = {
            "optionCombinations": [
                {"id": ids[str(v["sku"])], "stockQuantity": stock_of(v.get("stock")),
                 "price": int(v.get("price_delta") or 0), "usable": True}
                for v in vs if str(v["sku"]) in ids],
            "useStockManagement": True,
        }
    else:
        body["stockQuantity"] = total_stock(listing)
    return body

