-- Refunds asked for through the shim (`POST /v1/invoices/{id}/refund`), one row per attempt: a
-- second attempt only after the first failed. The gateway's word on the refund moves the invoice
-- itself (refunding, then refunded or refund_failed); a row says what was asked, by whom, and
-- whether the gateway took it (`requested`: no answer yet, `accepted`, `refused`).
CREATE TABLE invoice_refunds (
    invoice_id    TEXT NOT NULL REFERENCES invoices (id),
    attempt       BIGINT NOT NULL,
    gateway_uuid  TEXT NOT NULL,
    address       TEXT NOT NULL,
    amount        TEXT NOT NULL,
    currency      TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    requested_at  BIGINT NOT NULL,
    state         TEXT NOT NULL,
    error         TEXT,
    PRIMARY KEY (invoice_id, attempt)
);
