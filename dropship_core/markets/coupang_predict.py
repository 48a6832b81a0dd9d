"""Coupang's own category prediction (WING Open API), as a `CategoryPredictor`.

`POST /v2/providers/openapi/apis/api/v1/categorization/predict` with `{productName, brand?}`;
the answer is `{code: 200, data: {autoCategorizationPredictionResultType, predictedCategoryId,
predictedCategoryName, comment}}` (contracts: market-evidence.md section 4, market-metadata.md).
Only SUCCESS is acted on; FAILURE and INSUFFICIENT_INFORMATION give no candidate. There is no
score in the answer: a SUCCESS is reported with score 1.0 and the decider weighs the source by
its assumed reliability. Signing, rate limit (under the documented >10 calls/s per vendorId)
and retries are the Coupang client's (markets/coupang.py); wrap the predictor in
`predictors.CachedPredictor` to cache answers per normalised name in Postgres.
"""

from __future__ import annotations

from dropship_core.markets.coupang import CoupangClient

PREDICT_PATH = "/v2/providers/openapi/apis/api/v1/categorization/predict"


class CoupangCategoryPredictor:
    source = "coupang_predict"

    def __init__(self, client: CoupangClient):
        self.client = client

    @classmethod
    def from_env(cls, **kw) -> "CoupangCategoryPredictor | None":
        """The predictor when COUPANG_ACCESS_KEY / _SECRET_KEY / _VENDOR_ID are set, else None."""
        from dropship_core.markets.factory import client_from_env

        try:
            return cls(client_from_env("coupang", **kw))
        except ValueError:
            return None

    def raw(self, name: str, brand: str | None = None) -> dict:
        body: dict = {"productName": name}
        if brand:
            body["brand"] = brand
        return self.client._call("POST", PREDICT_PATH, json=body, route="categorization/predict",
                                 idempotent=True)

    def predict(self, name: str, brand: str | None = None) -> list[tuple[str, float]]:
        data = (self.raw(name, brand) or {}).get("data") or {}
        cid = data.get("predictedCategoryId")
        if data.get("autoCategorizationPredictionResultType") == "SUCCESS" and cid:
            return [(str(cid), 1.0)]
        return []

    def close(self) -> None:
        self.client.close()
