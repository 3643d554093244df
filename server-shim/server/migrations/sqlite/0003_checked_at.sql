-- When the reconciler last asked the gateway about the invoice (webhooks can be lost).
ALTER TABLE invoices ADD COLUMN checked_at INTEGER;
CREATE INDEX invoices_open_by_check ON invoices (status, checked_at);
