"""From a marketplace listing (`market_data[market]["listing"]`, see docs/data-shapes.md) and the
seller's settings to each marketplace's exact request body, plus the listing rules.

Pure functions: no I/O, no Dagster. The example bodies in the contracts (naver_*, coupang_*,
esm_*) are the templates followed here key for key.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import datetime, timezone
from typing import Any

from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE, TITLE_LIMITS
from dropship_core.markets.settings import SellerSettings

UNTRACKED_STOCK = 999          # a listing with stock None (supplier does not track it)

NAVER_MAX_PRICE = 999_999_990
NAVER_MAX_STOCK = 99_999_999
NAVER_MAX_BASE_FEE = 100_000
NAVER_MAX_OPTIONAL_IMAGES = 9
NAVER_MAX_OPTION_GROUPS = 3
NAVER_NAME_MAX = TITLE_LIMITS[SMARTSTORE]["chars"]
COUPANG_NAME_MAX = TITLE_LIMITS[COUPANG]["chars"]
COUPANG_ITEM_NAME_MAX = 150
COUPANG_MAX_ITEMS = 200
COUPANG_MAX_DETAIL_IMAGES = 9
COUPANG_VENDOR_PATH_MAX = 150
ESM_NAME_MAX_BYTES = TITLE_LIMITS[GMARKET]["bytes"]   # one client's truncation, UNVERIFIED
ESM_MAX_ADD_IMAGES = 14
ESM_SITE_TYPE = {"Iac": 1, "Gmkt": 2}

# fields whose change is a price/stock update, not a content update
OFFER_FIELDS = ("price", "stock")
STATE_FIELDS = ("state",)
# listing fields no marketplace body carries (our own bookkeeping): changing them alone is no
# reason to call a marketplace
INTERNAL_FIELDS = ("cost", "margin", "category_path")


# -- listing parts -------------------------------------------------------------------------

def _stock(v: Any) -> int:
    return UNTRACKED_STOCK if v is None else max(0, int(v))


def variants(listing: dict) -> list[dict]:
    """The listing's real options: a single variant without option values is no option."""
    opts = [o for o in (listing.get("options") or []) if o.get("options")]
    return opts


def option_groups(listing: dict) -> list[str]:
    names: list[str] = []
    for o in variants(listing):
        for k in o["options"]:
            if k not in names:
                names.append(k)
    return names


def total_stock(listing: dict) -> int:
    vs = variants(listing)
    if vs:
        return sum(_stock(v.get("stock")) for v in vs)
    return _stock(listing.get("stock"))


def item_key(listing: dict, variant: dict | None) -> str:
    """The seller code of one sellable unit: the product's seller code, plus the option SKU."""
    code = str(listing.get("seller_code") or "")
    return f"{code}#{variant['sku']}" if variant else code


def offer_of(listing: dict) -> dict:
    """What a price/stock-only update changes: {"price": p, "items": {key: [price, stock]}}."""
    base = int(listing.get("price") or 0)
    vs = variants(listing)
    items = {item_key(listing, v): [base + int(v.get("price_delta") or 0), _stock(v.get("stock"))]
             for v in vs} if vs else {item_key(listing, None): [base, _stock(listing.get("stock"))]}
    return {"price": base, "items": items}


def content_of(listing: dict) -> dict:
    """The listing without price, stock and state: a change here needs a full update."""
    c = {k: v for k, v in listing.items()
         if k not in OFFER_FIELDS + STATE_FIELDS + INTERNAL_FIELDS and not k.startswith("_")}
    c["options"] = [{k: v for k, v in o.items() if k not in ("price_delta", "stock")}
                    for o in listing.get("options") or []]
    return c


def digest(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def detail_html(listing: dict) -> str:
    desc = listing.get("description") or listing.get("title") or ""
    if "<" in desc and ">" in desc:
        body = desc
    else:
        body = "".join(f"<p>{html.escape(line)}</p>" for line in desc.splitlines() if line.strip())
    imgs = "".join(f'<img src="{html.escape(u, quote=True)}"/>' for u in listing.get("images") or [])
    return body + imgs


def _tags(listing: dict, max_n: int = 10, max_len: int = 10) -> list[str]:
    out = []
    for t in listing.get("tags") or listing.get("keywords") or []:
        t = "".join(ch for ch in str(t) if ch.isalnum())
        if t and len(t) <= max_len and t not in out:
            out.append(t)
    return out[:max_n]


# -- validation ----------------------------------------------------------------------------

def validate_listing(market: str, listing: dict) -> list[str]:
    """Why `market` cannot take this listing (empty list: it can)."""
    reasons: list[str] = []
    title = (listing.get("title") or "").strip()
    price = listing.get("price")
    images = listing.get("images") or []
    vs = variants(listing)
    if not title:
        reasons.append("missing title")
    if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
        reasons.append(f"price must be a positive whole number of won (got {price!r})")
        price = None
    if not listing.get("category_id"):
        reasons.append("no category id")
    if not images:
        reasons.append("no image")
    if not listing.get("seller_code"):
        reasons.append("missing seller_code")
    prices = [price + int(v.get("price_delta") or 0) for v in vs] if price else []
    if any(p <= 0 for p in prices):
        reasons.append("an option's price (price + price_delta) is not positive")

    if market == SMARTSTORE:
        if len(title) > NAVER_NAME_MAX:
            reasons.append(f"name too long: {len(title)} > {NAVER_NAME_MAX} characters")
        if price and price > NAVER_MAX_PRICE:
            reasons.append(f"salePrice {price} above {NAVER_MAX_PRICE}")
        if total_stock(listing) > NAVER_MAX_STOCK:
            reasons.append(f"stockQuantity above {NAVER_MAX_STOCK}")
        if len(images) > 1 + NAVER_MAX_OPTIONAL_IMAGES:
            reasons.append(f"too many images: {len(images)} > {1 + NAVER_MAX_OPTIONAL_IMAGES}")
        if len(option_groups(listing)) > NAVER_MAX_OPTION_GROUPS:
            reasons.append(f"too many option groups: {len(option_groups(listing))} > "
                           f"{NAVER_MAX_OPTION_GROUPS}")
        if int(listing.get("shipping_fee") or 0) > NAVER_MAX_BASE_FEE:
            reasons.append(f"delivery baseFee above {NAVER_MAX_BASE_FEE}")
    elif market == COUPANG:
        if len(title) > COUPANG_NAME_MAX:
            reasons.append(f"name too long: {len(title)} > {COUPANG_NAME_MAX} characters")
        if price and price % 10:
            reasons.append(f"salePrice {price} is not in 10-won units")
        if any(p % 10 for p in prices):
            reasons.append("an option's salePrice is not in 10-won units")
        if len(vs) > COUPANG_MAX_ITEMS:
            reasons.append(f"too many options: {len(vs)} > {COUPANG_MAX_ITEMS} items")
        if len(images) > 1 + COUPANG_MAX_DETAIL_IMAGES:
            reasons.append(f"too many images: {len(images)} > {1 + COUPANG_MAX_DETAIL_IMAGES}")
        if any(len(u) > COUPANG_VENDOR_PATH_MAX for u in images):
            reasons.append(f"image URL longer than {COUPANG_VENDOR_PATH_MAX} characters")
        if any(len(_coupang_item_name(listing, v)) > COUPANG_ITEM_NAME_MAX for v in vs):
            reasons.append(f"option item name longer than {COUPANG_ITEM_NAME_MAX} characters")
    elif market == GMARKET:
        n = len(title.encode("utf-8"))
        if n > ESM_NAME_MAX_BYTES:
            reasons.append(f"name too long: {n} > {ESM_NAME_MAX_BYTES} bytes (UTF-8)")
        if len(images) > 1 + ESM_MAX_ADD_IMAGES:
            reasons.append(f"too many images: {len(images)} > {1 + ESM_MAX_ADD_IMAGES}")
        if len(vs) > 1 and not listing.get("esm_recommended_opts"):
            reasons.append("ESM options must map to the category's recommended options "
                           "(esm_recommended_opts); free-text options are a restricted API")
    else:
        reasons.append(f"unknown market {market!r}")
    return reasons


# -- Naver SmartStore ----------------------------------------------------------------------

def _naver_notice(listing: dict, seller: SellerSettings) -> dict:
    given = (listing.get("notice") or {}).get("productInfoProvidedNotice")
    if given:
        return given
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


def naver_option_info(listing: dict) -> dict | None:
    vs = variants(listing)
    if not vs:
        return None
    groups = option_groups(listing)
    combos = []
    for v in vs:
        c = {f"optionName{i + 1}": str(v["options"].get(g, "")) for i, g in enumerate(groups)}
        c.update({"stockQuantity": _stock(v.get("stock")), "price": int(v.get("price_delta") or 0),
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
        "certificationTargetExcludeContent": {"kcCertifiedProductExclusionYn": "TRUE"},
        "productInfoProvidedNotice": _naver_notice(listing, seller),
    }
    opt = naver_option_info(listing)
    if opt:
        detail["optionInfo"] = opt
    tags = _tags(listing)
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
                {"id": ids[str(v["sku"])], "stockQuantity": _stock(v.get("stock")),
                 "price": int(v.get("price_delta") or 0), "usable": True}
                for v in vs if str(v["sku"]) in ids],
            "useStockManagement": True,
        }
    else:
        body["stockQuantity"] = total_stock(listing)
    return body


# -- Coupang -------------------------------------------------------------------------------

def _coupang_item_name(listing: dict, v: dict | None) -> str:
    if not v:
        return str(listing.get("title") or "")
    return " ".join(str(x) for x in v["options"].values()) or str(v["sku"])


def _coupang_notices(listing: dict, seller: SellerSettings) -> list[dict]:
    given = (listing.get("notice") or {}).get("coupang")
    if given:
        return given
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


def build_coupang_product(listing: dict, seller: SellerSettings, *,
                          seller_product_id: int | None = None,
                          vendor_items: dict[str, int] | None = None,
                          now: datetime | None = None) -> dict:
    """POST seller-products body; with `seller_product_id` the PUT (full update) body, whose items
    carry their `vendorItemId` (keyed by externalVendorSku in `vendor_items`)."""
    now = now or datetime.now(timezone.utc)
    ship = int(listing.get("shipping_fee") or 0)
    ret = int(listing.get("return_fee") if listing.get("return_fee") is not None else ship)
    base = int(listing.get("price") or 0)
    consumer = int(listing.get("consumer_price") or 0)
    images = list(listing.get("images") or [])
    img = [{"imageOrder": 0, "imageType": "REPRESENTATION", "vendorPath": images[0]}] if images else []
    img += [{"imageOrder": i + 1, "imageType": "DETAIL", "vendorPath": u}
            for i, u in enumerate(images[1:1 + COUPANG_MAX_DETAIL_IMAGES])]
    common = {
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
        "certifications": [{"certificationType": "NOT_REQUIRED", "certificationCode": ""}],
        "searchTags": _tags(listing, 20, 20),
        "images": img,
        "notices": _coupang_notices(listing, seller),
        "contents": [{"contentsType": "TEXT",
                      "contentDetails": [{"content": detail_html(listing), "detailType": "TEXT"}]}],
        "offerCondition": "NEW",
        "offerDescription": "",
    }
    items = []
    for v in variants(listing) or [None]:
        sale = base + (int(v.get("price_delta") or 0) if v else 0)
        sku = item_key(listing, v)
        item = {
            "itemName": _coupang_item_name(listing, v),
            "originalPrice": max(sale, consumer),
            "salePrice": sale,
            # Coupang's maximumBuyCount is the sellable quantity (stock)
            "maximumBuyCount": min(_stock(v.get("stock") if v else listing.get("stock")),
                                   seller.coupang_max_buy_count),
            "externalVendorSku": sku,
            "attributes": ([{"attributeTypeName": k, "attributeValueName": str(val),
                             "exposed": "EXPOSED"} for k, val in v["options"].items()] if v else []),
            **common,
        }
        if vendor_items and sku in vendor_items:
            item["vendorItemId"] = vendor_items[sku]
        items.append(item)
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
    if seller_product_id is not None:
        body = {"sellerProductId": seller_product_id, **body}
    return body


# -- ESM (Gmarket / Auction) ---------------------------------------------------------------

def _site_map(seller: SellerSettings, value: Any) -> dict:
    return {s: value for s in seller.esm_sites}


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
    notice = (listing.get("notice") or {}).get("esm") or {
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
            "recommendedOpts": listing.get("esm_recommended_opts") or {"type": 0},
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


def build_body(market: str, listing: dict, seller: SellerSettings) -> dict:
    """The create body for `market`."""
    if market == SMARTSTORE:
        return build_smartstore_product(listing, seller)
    if market == COUPANG:
        return build_coupang_product(listing, seller)
    if market == GMARKET:
        return build_esm_goods(listing, seller)
    raise ValueError(f"unknown market {market!r}")
