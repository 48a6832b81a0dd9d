-- The digest of the supplier-file row a product was built from, as "<row digest>@<content hash>"
-- (the Excel reader, for a product of one row): a forced re-read of an unchanged file skips
-- building such products again. Valid only while its content hash is the product's: any other
-- change of the product leaves it stale, and a stale one is never used. NULL for the rest.
ALTER TABLE source_data ADD COLUMN IF NOT EXISTS source_row_digest TEXT;
