"""The SmartStore sandbox's body checks (contract section 2): required fields, limits, images,
delivery, notice, options. The category-driven checks are in `market_rules.RuleBook`."""

from __future__ import annotations

from typing import Any

from dropship_core.markets.metadata.families import FAMILIES
from dropship_core.markets.smartstore import NAVER_CDN_PREFIX

NOTICE_COMMON = ("returnCostReason", "noRefundReason", "qualityAssuranceStandard",
                 "compensationProcedure", "troubleShootingContents")


def validate_product(body: Any, create: bool, require_cdn: bool,
                     address_ids: set[int] | None = None) -> list[tuple[str, str]]:
    p: list[tuple[str, str]] = []
    if not isinstance(body, dict):
        return [("body", "JSON object required")]
    o = body.get("originProduct")
    if not isinstance(o, dict):
        return [("originProduct", "required")]
    if create:
        ch = body.get("smartstoreChannelProduct")
        if not isinstance(ch, dict):
            p.append(("smartstoreChannelProduct", "required"))
        else:
            if "naverShoppingRegistration" not in ch:
                p.append(("smartstoreChannelProduct.naverShoppingRegistration", "required"))
            if ch.get("channelProductDisplayStatusType") not in ("ON", "SUSPENSION"):
                p.append(("smartstoreChannelProduct.channelProductDisplayStatusType",
                          "ON or SUSPENSION"))
    if o.get("statusType") not in ("SALE", "SUSPENSION", "OUTOFSTOCK"):
        p.append(("originProduct.statusType", "SALE required"))
    name = o.get("name")
    if not name or not isinstance(name, str):
        p.append(("originProduct.name", "required"))
    elif len(name) > 100:
        p.append(("originProduct.name", "100자 이하로 입력해 주세요."))
    if not o.get("detailContent"):
        p.append(("originProduct.detailContent", "required"))
    if create and not o.get("leafCategoryId"):
        p.append(("originProduct.leafCategoryId", "required"))
    price = o.get("salePrice")
    if not isinstance(price, int) or price <= 0 or price > 999_999_990:
        p.append(("originProduct.salePrice", "1 ~ 999,999,990"))
    stock = o.get("stockQuantity")
    if create and stock is None:
        p.append(("originProduct.stockQuantity", "required"))
    elif stock is not None and (not isinstance(stock, int) or not 0 <= stock <= 99_999_999):
        p.append(("originProduct.stockQuantity", "0 ~ 99,999,999"))
    imgs = o.get("images") or {}
    rep = (imgs.get("representativeImage") or {}).get("url")
    optional = imgs.get("optionalImages") or []
    if not rep:
        p.append(("originProduct.images.representativeImage.url", "required"))
    if len(optional) > 9:
        p.append(("originProduct.images.optionalImages", "최대 9개"))
    if require_cdn:
        for i, u in enumerate([rep] + [x.get("url") for x in optional]):
            if u and not str(u).startswith(NAVER_CDN_PREFIX):
                p.append((f"originProduct.images[{i}].url",
                          "이미지 업로드 API로 등록한 이미지만 사용할 수 있습니다."))
    return (p + _delivery_problems(o.get("deliveryInfo"), address_ids)
            + _detail_problems(o.get("detailAttribute")))


def _delivery_problems(d: Any, address_ids: set[int] | None) -> list[tuple[str, str]]:
    p: list[tuple[str, str]] = []
    if isinstance(d, dict):
        if d.get("deliveryType") not in ("DELIVERY", "DIRECT"):
            p.append(("originProduct.deliveryInfo.deliveryType", "DELIVERY or DIRECT"))
        if d.get("deliveryType") == "DELIVERY" and not d.get("deliveryCompany"):
            p.append(("originProduct.deliveryInfo.deliveryCompany", "required"))
        if d.get("deliveryCompany") == "LOTTE":
            p.append(("originProduct.deliveryInfo.deliveryCompany", "롯데택배 is HYUNDAI"))
        fee = d.get("deliveryFee") or {}
        if fee.get("deliveryFeeType") not in ("FREE", "CONDITIONAL_FREE", "PAID",
                                              "UNIT_QUANTITY_PAID", "RANGE_QUANTITY_PAID"):
            p.append(("originProduct.deliveryInfo.deliveryFee.deliveryFeeType", "invalid"))
        if int(fee.get("baseFee") or 0) > 100_000:
            p.append(("originProduct.deliveryInfo.deliveryFee.baseFee", "최대 100,000"))
        claim = d.get("claimDeliveryInfo") or {}
        for k in ("shippingAddressId", "returnAddressId"):
            if address_ids is not None and claim.get(k) not in address_ids:
                p.append((f"originProduct.deliveryInfo.claimDeliveryInfo.{k}",
                          "등록되지 않은 주소록입니다."))
    return p


def _detail_problems(da: Any) -> list[tuple[str, str]]:
    p: list[tuple[str, str]] = []
    if not isinstance(da, dict):
        p.append(("originProduct.detailAttribute", "required"))
        return p
    if not da.get("afterServiceInfo"):
        p.append(("originProduct.detailAttribute.afterServiceInfo", "required"))
    if not da.get("originAreaInfo"):
        p.append(("originProduct.detailAttribute.originAreaInfo", "required"))
    if da.get("taxType") not in (None, "TAX", "DUTYFREE", "SMALL"):
        p.append(("originProduct.detailAttribute.taxType", "TAX, DUTYFREE or SMALL"))
    notice = da.get("productInfoProvidedNotice") or {}
    ntype = notice.get("productInfoProvidedNoticeType")
    if not ntype:
        p.append(("originProduct.detailAttribute.productInfoProvidedNotice", "required"))
    else:
        group = notice.get(_camel(ntype)) or {}
        for f in NOTICE_COMMON:
            if not group.get(f):
                p.append((f"originProduct.detailAttribute.productInfoProvidedNotice."
                          f"{_camel(ntype)}.{f}", "required"))
    tags = ((da.get("seoInfo") or {}).get("sellerTags")) or []
    if len(tags) > 10:
        p.append(("originProduct.detailAttribute.seoInfo.sellerTags", "최대 10개"))
    opt = da.get("optionInfo")
    if isinstance(opt, dict) and opt.get("optionCombinations"):
        names = opt.get("optionCombinationGroupNames") or {}
        if not names.get("optionGroupName1"):
            p.append(("originProduct.detailAttribute.optionInfo.optionCombinationGroupNames",
                      "required"))
        if any(k not in ("optionGroupName1", "optionGroupName2", "optionGroupName3")
               for k in names):
            p.append(("originProduct.detailAttribute.optionInfo.optionCombinationGroupNames",
                      "최대 3개"))
        seen = set()
        for i, c in enumerate(opt["optionCombinations"]):
            key = (c.get("optionName1"), c.get("optionName2"), c.get("optionName3"))
            if key in seen:
                p.append((f"originProduct.detailAttribute.optionInfo.optionCombinations[{i}]",
                          "중복된 옵션"))
            seen.add(key)
            if not isinstance(c.get("stockQuantity"), int) or c["stockQuantity"] < 0:
                p.append((f"originProduct.detailAttribute.optionInfo.optionCombinations[{i}]"
                          ".stockQuantity", "required"))
    return p


def _camel(notice_type: str) -> str:
    if notice_type in FAMILIES:          # the documented keys (MICROELECTRONICS -> microElectronics)
        return FAMILIES[notice_type].naver_key
    parts = notice_type.lower().split("_")
    return parts[0] + "".join(x.title() for x in parts[1:])
