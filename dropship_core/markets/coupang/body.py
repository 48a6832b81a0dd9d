"""Coupang request bodies: POST / PUT seller-products.

The example bodies in the contracts (coupang_*) are the templates followed here key for key.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from dropship_core.markets.common import detail_html, item_key, stock_of, tags_of, variants
from dropship_core.markets.notices import render_coupang
from dropship_core.markets.settings import SellerSettings

COUPANG_MAX_DETAIL_IMAGES = 9


def coupang_item_name(listing: dict, v: dict | None) -> str:
    if not v:
        return str(listing.get("title") or "")
    return " ".join(str(x) for x in v["options"].values()) or str(v["sku"])


def _coupang_notices(listing: dict, seller: SellerSettings) -> list[dict]:
    given = (listing.get("notice") or {}).get("coupang")
    if given:
        return given
    if listing.get("notice_plan"):
        return render_coupang(listing["notice_plan"], seller)
    d = seller.notice_default
    cat = "기타 재화"
    return [
        {"noticeCategoryName": cat, "noticeCategoryDetailName": "품명 및 모델명",
         "content": listing.get("model") or d},
        {"noticeCategoryName": cat, "noticeCategoryDetailName": "인증/허가 사항", "content": d},
        {"noticeCategoryName": cat, "noticeCategoryDetailName": "제조국(원산지)",
         "content": listing.get("origin") or d},
        {"noticeCategoryName": cat, "noticeCategoryDetailName": "제조자(수입자)",
         "content": listing.get("manufacturer") or d},
        {"noticeCategoryName": cat, "noticeCategoryDetailName": "소비자상담 관련 전화번호",
         "content": seller.as_phone},
    ]


def _item_common(listing: dict, seller: SellerSettings) -> dict:
    """The per-item fields that are the same for every option of the product."""
    images = list(listing.get("images") or [])
    img = [{"imageOrder": 0, "imageType": "REPRESENTATION", "vendorPath": images[0]}] if images else []
    img += [{"imageOrder": i + 1, "imageType": "DETAIL", "vendorPath": u}
            for i, u in enumerate(images[1:1 + COUPANG_MAX_DETAIL_IMAGES])]
    return {
        "maximumBuyForPerson": 0,
        "maximumBuyForPersonPeriod": 1,
        "outboundShippingTimeDay": seller.outbound_shipping_days,
        "unitCount": 0,
        "adultOnly": "ADULT_ONLY" if listing.get("adult") else "EVERYONE",
        "taxType": "FREE" if listing.get("tax_type") == "FREE" else "TAX",
        "parallelImported": "NOT_PARALLEL_IMPORTED",
        "overseasPurchased": "NOT_OVERSEAS_PURCHASED",
        "pccNeeded": False,
        "barcode": "",
        "emptyBarcode": True,
        "emptyBarcodeReason": "상품확인불가_바코드없음사유",
        "modelNo": listing.get("model") or "",
        "certifications": [{"certificationType": c["type"], "certificationCode": c["number"]}
                           for c in listing.get("certifications") or []]
        or [{"certificationType": "NOT_REQUIRED", "certificationCode": ""}],
        "searchTags": tags_of(listing, 20, 20),
        "images": img,
        "notices": _coupang_notices(listing, seller),
        "contents": [{"contentsType": "TEXT",
                      "contentDetails": [{"content": detail_html(listing), "detailType": "TEXT"}]}],
        "offerCondition": "NEW",
        "offerDescription": "",
    }


def _attributes(listing: dict, v: dict | None) -> list[dict]:
    """The category's purchase options (mapped at listing time), else the option values."""
    mapped = listing.get("coupang_attributes")
    if mapped is not None:
        return list(mapped.get(str(v["sku"]) if v else "") or [])
    return ([{"attributeTypeName": k, "attributeValueName": str(val), "exposed": "EXPOSED"}
             for k, val in v["options"].items()] if v else [])


def coupang_items(listing: dict, seller: SellerSettings,
                  vendor_items: dict[str, int] | None = None) -> list[dict]:
    """One item per option (one item for an option-less product)."""
    base = int(listing.get("price") or 0)
    consumer = int(listing.get("consumer_price") or 0)
    common = _item_common(listing, seller)
    items = []
    for v in variants(listing) or [None]:
        sale = base + (int(v.get("price_delta") or 0) if v else 0)
        sku = item_key(listing, v)
        item = {
            "itemName": coupang_item_name(listing, v),
            "originalPrice": max(sale, consumer),
            "salePrice": sale,
            # Coupang's maximumBuyCount is the sellable quantity (stock)
            "maximumBuyCount": min(stock_of(v.get("stock") if v else listing.get("stock")),
                                   seller.coupang_max_buy_count),
            "externalVendorSku": sku,
            "attributes": _attributes(listing, v),
            **common,
        }
        if vendor_items and sku in vendor_items:
            item["vendorItemId"] = vendor_items[sku]
        items.append(item)
    return items


def build_coupang_product(listing: dict, seller: SellerSettings, *,
                          seller_product_id: int | None = None,
                          vendor_items: dict[str, int] | None = None,
                          now: datetime | None = None) -> dict:
    """POST seller-products body; with `seller_product_id` the PUT (full update) body, whose items
    carry their `vendorItemId` (keyed by externalVendorSku in `vendor_items`)."""
    now = now or datetime.now(timezone.utc)
    ship = int(listing.get("shipping_fee") or 0)
    ret = int(listing.get("return_fee") if listing.get("return_fee") is not None else ship)
    items = coupang_items(listing, seller, vendor_items)
    body: dict[str, Any] = {
        "displayCategoryCode": int(listing["category_id"]) if str(
            listing.get("category_id") or "").isdigit() else listing.get("category_id"),
        "sellerProductName": listing.get("title"),
        "vendorId": seller.coupang_vendor_id,
        "saleStartedAt": now.strftime("%Y-%m-%dT00:00:00"),
        "saleEndedAt": "2099-01-01T23:59:59",
        "displayProductName": listing.get("title"),
        "brand": listing.get("brand") or "",
        "generalProductName": listing.get("title"),
        "deliveryMethod": seller.coupang_delivery_method,
        "deliveryCompanyCode": seller.delivery_company,
        "deliveryChargeType": "FREE" if ship == 0 else "NOT_FREE",
        "deliveryCharge": ship,
        "freeShipOverAmount": 0,
        "deliveryChargeOnReturn": ret,
        "remoteAreaDeliverable": "N",
        "unionDeliveryType": "NOT_UNION_DELIVERY",
        "returnCenterCode": seller.coupang_return_center_code,
        "returnChargeName": seller.coupang_return_charge_name,
        "companyContactNumber": seller.company_contact_number,
        "returnZipCode": seller.coupang_return_zip_code,
        "returnAddress": seller.coupang_return_address,
        "returnAddressDetail": seller.coupang_return_address_detail,
        "returnCharge": ret,
        "outboundShippingPlaceCode": seller.coupang_outbound_shipping_place_code,
        "vendorUserId": seller.coupang_vendor_user_id,
        "requested": seller.coupang_request_approval,
        "items": items,
        "requiredDocuments": [],
    }
    if listing.get("coupang_auto_category"):
        # automatic category matching: no category, no notices; Coupang fills both
        body.pop("displayCategoryCode")
        for item in items:
            item.pop("notices", None)
    if seller_product_id is not None:
        body = {"sellerProductId": seller_product_id, **body}
    return body

