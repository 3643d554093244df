-- The payer's transaction id, as the gateway last reported it, and what the invoice list and its
-- search look up: a shop's invoices newest first, and invoices by address or transaction id.
ALTER TABLE invoices ADD COLUMN txid TEXT;
CREATE INDEX invoices_by_shop_created ON invoices (shop_id, created_at, id);
CREATE INDEX invoices_by_address ON invoices (address);
CREATE INDEX invoices_by_txid ON invoices (txid);
CREATE INDEX invoice_payments_by_address ON invoice_payments (address);
