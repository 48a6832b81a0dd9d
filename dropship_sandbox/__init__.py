"""Local fake servers of suppliers and marketplaces (sandboxes) for tests and demos."""
