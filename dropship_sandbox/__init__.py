"""Local servers that speak the wire format of the suppliers, marketplaces and market-data APIs."""
