"""Market evidence: what comparable items sell for on the market, and how fast ours sell."""
