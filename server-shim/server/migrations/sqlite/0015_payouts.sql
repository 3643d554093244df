-- Payouts from the merchant's balance, for shops allowed to make them (`shops allow-payouts`).
ALTER TABLE shops ADD COLUMN payouts_allowed INTEGER NOT NULL DEFAULT 0;

-- Each payout a shop asked for, by its own order id (asking again returns the same one); the
-- gateway's order id for it is the payout's id.
CREATE TABLE payouts (
    id            TEXT PRIMARY KEY,
    shop_id       TEXT NOT NULL REFERENCES shops (id),
    order_id      TEXT NOT NULL,
    amount        TEXT NOT NULL,
    currency      TEXT NOT NULL,
    network       TEXT NOT NULL,
    address       TEXT NOT NULL,
    is_subtract   INTEGER NOT NULL,
    gateway_uuid  TEXT,
    status        TEXT NOT NULL,
    txid          TEXT,
    is_final      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (shop_id, order_id)
);
