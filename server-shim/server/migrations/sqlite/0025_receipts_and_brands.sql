-- Receipts: every transaction the gateway named for an invoice (the invoice keeps only the last),
-- and when it was paid. Brands: what payers see of a shop (its display name, logo and accent colour).
CREATE TABLE invoice_transactions (
    invoice_id  TEXT NOT NULL REFERENCES invoices (id),
    txid        TEXT NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (invoice_id, txid)
);

INSERT INTO invoice_transactions (invoice_id, txid, seen_at)
    SELECT id, txid, updated_at FROM invoices WHERE txid IS NOT NULL AND txid <> '';

ALTER TABLE invoices ADD COLUMN paid_at INTEGER;

UPDATE invoices SET paid_at = updated_at
    WHERE status IN ('paid', 'overpaid', 'refunding', 'refunded', 'refund_failed');

ALTER TABLE shops ADD COLUMN display_name TEXT;
ALTER TABLE shops ADD COLUMN accent_color TEXT;
ALTER TABLE shops ADD COLUMN logo BLOB;
ALTER TABLE shops ADD COLUMN logo_type TEXT;
ALTER TABLE shops ADD COLUMN logo_version TEXT;
