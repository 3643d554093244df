-- Every payment the gateway holds for an invoice: the first, and one per coin the payer picked
-- afterwards. The invoice's own gateway columns describe the current one; money sent to an
-- earlier one still counts.
CREATE TABLE invoice_payments (
    gateway_uuid      TEXT PRIMARY KEY,
    invoice_id        TEXT NOT NULL REFERENCES invoices (id),
    gateway_order_id  TEXT NOT NULL,
    gateway_status    TEXT NOT NULL,
    payer_amount      TEXT,
    payer_currency    TEXT,
    network           TEXT,
    address           TEXT,
    expires_at        BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);

CREATE INDEX invoice_payments_by_invoice ON invoice_payments (invoice_id);

INSERT INTO invoice_payments (gateway_uuid, invoice_id, gateway_order_id, gateway_status,
    payer_amount, payer_currency, network, address, expires_at, created_at)
SELECT gateway_uuid, id, id, COALESCE(gateway_status, 'check'), payer_amount, payer_currency,
    network, address, COALESCE(expires_at, created_at), created_at
FROM invoices WHERE gateway_uuid IS NOT NULL;
