"""Local stand-ins for the supplier, marketplace and market-data APIs: they speak the real wire
format and check requests the way the documentation says the real services do."""
