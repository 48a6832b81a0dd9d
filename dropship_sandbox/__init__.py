"""Local fakes of the suppliers and marketplaces the pipeline talks to (tests and demo only)."""
