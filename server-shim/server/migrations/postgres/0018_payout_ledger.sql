-- A payout's life is stored before the gateway is called: requested (stored, not sent yet), then
-- submitted (sent: the gateway may have it), then the gateway's statuses, or rejected (the gateway
-- refused it and does not know it). A payout row is never deleted.
UPDATE payouts SET status = 'requested' WHERE status = 'new';
ALTER TABLE payouts ADD COLUMN fee TEXT NOT NULL DEFAULT '0';
ALTER TABLE payouts ADD COLUMN error TEXT;
ALTER TABLE payouts ADD COLUMN submitted_at BIGINT;

CREATE INDEX payouts_by_shop_currency ON payouts (shop_id, currency);

-- What the operator lets a shop pay out, on top of its own ledger: caps per coin over any 24
-- hours and the only addresses it may pay to (JSON; NULL: no cap, any address).
ALTER TABLE shops ADD COLUMN payout_policy TEXT;

-- What each gateway payment of a shop's invoices brought to the merchant's balance after the
-- gateway's commission, as the gateway reported it: the income side of the shop's ledger.
CREATE TABLE shop_credits (
    gateway_uuid  TEXT PRIMARY KEY,
    shop_id       TEXT NOT NULL REFERENCES shops (id),
    currency      TEXT NOT NULL,
    amount        TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX shop_credits_by_shop ON shop_credits (shop_id, currency);
