"""SmartStore (Naver Commerce API): client, request bodies, listing rules, sync adapter."""

from dropship_core.markets.smartstore.client import (NAVER_CDN_PREFIX, SmartStoreClient,
                                                     canonical_bcrypt_salt, client_secret_sign,
                                                     parse_naver_error)

__all__ = ["NAVER_CDN_PREFIX", "SmartStoreClient", "canonical_bcrypt_salt", "client_secret_sign",
           "parse_naver_error"]
