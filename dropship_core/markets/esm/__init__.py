"""ESM 2.0 (Gmarket / Auction): client, request bodies, listing rules, sync adapter."""

from dropship_core.markets.esm.client import (ESM_AUDIENCE, EsmClient, ci_get, make_jwt,
                                              parse_esm_error, result_code, validate_ssi)

__all__ = ["ESM_AUDIENCE", "EsmClient", "ci_get", "make_jwt", "parse_esm_error", "result_code",
           "validate_ssi"]
