-- Shopify's payments app: each payment session Shopify started, by its own id (a repeated request
-- gets the same answer), with the invoice the buyer pays and where the session stands there:
-- open, pending (paid, confirming), resolved or rejected; and where the buyer goes next.
CREATE TABLE shopify_payment_sessions (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    gid         TEXT NOT NULL,
    invoice_id  TEXT NOT NULL UNIQUE REFERENCES invoices (id),
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    cancel_url  TEXT NOT NULL,
    test        INTEGER NOT NULL,
    state       TEXT NOT NULL,
    next_url    TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Refund sessions, by Shopify's id: crypto refunds are made from the gateway's dashboard, so each
-- is answered once, and rejected with a word for the merchant.
CREATE TABLE shopify_refund_sessions (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    gid         TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
