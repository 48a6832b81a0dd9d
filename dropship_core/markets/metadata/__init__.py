"""Market metadata: category trees and per-category rules (notices, purchase / recommended
options, certifications), from the markets' APIs or the shipped snapshot."""

from dropship_core.markets.metadata.model import (CategoryRules, Certification, MarketMetadata,
                                                  PurchaseOption, RecommendedOpt)
from dropship_core.markets.metadata.snapshot import shipped

__all__ = ["CategoryRules", "Certification", "MarketMetadata", "PurchaseOption",
           "RecommendedOpt", "shipped"]
