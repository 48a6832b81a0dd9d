"""SQL models; the .sql files and schema.yaml here ship as package data."""
