"""Coupang (WING Open API): client, request bodies, listing rules, sync adapter."""

from dropship_core.markets.coupang.client import (API, CoupangClient, authorization, encode_query,
                                                  parse_coupang_error, signature, signed_date,
                                                  vendor_items_by_sku)

__all__ = ["API", "CoupangClient", "authorization", "encode_query", "parse_coupang_error",
           "signature", "signed_date", "vendor_items_by_sku"]
