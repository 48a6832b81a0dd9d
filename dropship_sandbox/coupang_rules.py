"""The Coupang sandbox's body checks (contract section 1): required fields, enums, dates,
delivery and return places, items. The category-driven checks are in `market_rules.RuleBook`."""

from __future__ import annotations

import re
from typing import Any

DELIVERY_METHODS = ("SEQUENCIAL", "VENDOR_DIRECT", "MAKE_ORDER", "INSTRUCTURE", "AGENT_BUY",
                    "COLD_FRESH", "MAKE_ORDER_DIRECT")
CHARGE_TYPES = ("FREE", "NOT_FREE", "CHARGE_RECEIVED", "FREE_DELIVERY_OVER_9800",
                "CONDITIONAL_FREE")
REQUIRED_TOP = ("sellerProductName", "vendorId", "saleStartedAt", "saleEndedAt", "deliveryMethod",
                "deliveryCompanyCode", "deliveryChargeType", "deliveryCharge",
                "deliveryChargeOnReturn", "remoteAreaDeliverable", "unionDeliveryType",
                "returnCenterCode", "returnChargeName", "companyContactNumber", "returnZipCode",
                "returnAddress", "returnAddressDetail", "returnCharge",
                "outboundShippingPlaceCode", "vendorUserId", "items")
REQUIRED_ITEM = ("itemName", "originalPrice", "salePrice", "maximumBuyCount",
                 "maximumBuyForPerson", "maximumBuyForPersonPeriod", "outboundShippingTimeDay",
                 "adultOnly", "taxType", "images")   # notices: required unless auto-category
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def validate_product(b: Any, vendor_id: str, return_centers: set[str] | None = None,
                     outbound_places: set[str] | None = None) -> list[str]:
    if not isinstance(b, dict):
        return ["body must be a JSON object"]
    p = [f"{k} is required" for k in REQUIRED_TOP if b.get(k) in (None, "")]
    if return_centers is not None and b.get("returnCenterCode") and \
            str(b["returnCenterCode"]) not in return_centers:
        p.append(f"returnCenterCode {b['returnCenterCode']} is not a registered return center")
    if outbound_places is not None and b.get("outboundShippingPlaceCode") and \
            str(b["outboundShippingPlaceCode"]) not in outbound_places:
        p.append(f"outboundShippingPlaceCode {b['outboundShippingPlaceCode']} is not registered")
    if b.get("vendorId") not in (None, vendor_id):
        p.append("vendorId does not match the access key's vendor")
    name = b.get("sellerProductName") or ""
    if len(name) > 100:
        p.append("sellerProductName must be at most 100 characters")
    if len(b.get("displayProductName") or "") > 100:
        p.append("displayProductName must be at most 100 characters")
    for k in ("saleStartedAt", "saleEndedAt"):
        v = b.get(k)
        if v and (not DATE_RE.match(str(v)) or str(v)[:4] > "2099"):
            p.append(f"{k} must be yyyy-MM-dd'T'HH:mm:ss up to 2099")
    if b.get("deliveryMethod") and b["deliveryMethod"] not in DELIVERY_METHODS:
        p.append("deliveryMethod is invalid")
    if b.get("deliveryChargeType") and b["deliveryChargeType"] not in CHARGE_TYPES:
        p.append("deliveryChargeType is invalid")
    if b.get("remoteAreaDeliverable") not in (None, "Y", "N"):
        p.append("remoteAreaDeliverable must be Y or N")
    first = b.get("deliveryChargeOnReturn")
    ret = b.get("returnCharge")
    if isinstance(first, int) and isinstance(ret, int) and first > 0 and not (
            first <= ret <= first * 1.5):
        p.append("[code: VALIDATION , error : 일반배송상품의 경우, 반품배송비는 초도반품비의 "
                 "100%~150%까지만 입력가능합니다.]")
    items = b.get("items") or []
    if not isinstance(items, list) or not items:
        p.append("items must have at least one item")
        return p
    if len(items) > 200:
        p.append("items: at most 200 options per product")
    skus = set()
    for i, it in enumerate(items):
        p += [f"items[{i}].{k} is required" for k in REQUIRED_ITEM if it.get(k) in (None, "")]
        if len(str(it.get("itemName") or "")) > 150:
            p.append(f"items[{i}].itemName must be at most 150 characters")
        sale, orig = it.get("salePrice"), it.get("originalPrice")
        if not isinstance(sale, int) or sale <= 0:
            p.append(f"items[{i}].salePrice must be a positive integer")
        elif sale % 10:
            p.append(f"items[{i}].salePrice must be in 10-won units")
        if isinstance(orig, int) and isinstance(sale, int) and orig < sale:
            p.append(f"items[{i}].originalPrice must not be below salePrice")
        if it.get("adultOnly") not in (None, "EVERYONE", "ADULT_ONLY"):
            p.append(f"items[{i}].adultOnly is invalid")
        if it.get("taxType") not in (None, "TAX", "FREE"):
            p.append(f"items[{i}].taxType is invalid")
        imgs = it.get("images") or []
        reps = [x for x in imgs if x.get("imageType") == "REPRESENTATION"]
        if len(reps) != 1:
            p.append(f"items[{i}].images needs exactly one REPRESENTATION image")
        if len([x for x in imgs if x.get("imageType") == "DETAIL"]) > 9:
            p.append(f"items[{i}].images: at most 9 DETAIL images")
        for x in imgs:
            path = x.get("vendorPath") or x.get("cdnPath") or ""
            if not path:
                p.append(f"items[{i}].images: vendorPath or cdnPath required")
            elif len(path) > 150:
                p.append(f"items[{i}].images: vendorPath must be at most 150 characters")
        sku = it.get("externalVendorSku")
        if sku:
            if sku in skus:
                p.append(f"items[{i}].externalVendorSku is duplicated in this product")
            skus.add(sku)
        for n in it.get("notices") or []:
            if not n.get("noticeCategoryName") or not n.get("noticeCategoryDetailName"):
                p.append(f"items[{i}].notices: noticeCategoryName/DetailName required")
        for a in it.get("attributes") or []:
            if a.get("exposed") not in (None, "EXPOSED", "NONE"):
                p.append(f"items[{i}].attributes.exposed must be EXPOSED or NONE")
    return p
