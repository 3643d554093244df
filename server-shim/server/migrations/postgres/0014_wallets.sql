-- Static deposit addresses: one per shop, customer and coin, made at the gateway's /v1/wallet
-- with the wallet's id as its order id.
CREATE TABLE wallets (
    id            TEXT PRIMARY KEY,
    shop_id       TEXT NOT NULL REFERENCES shops (id),
    customer      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    network       TEXT NOT NULL,
    gateway_uuid  TEXT,
    address       TEXT,
    blocked       INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    UNIQUE (shop_id, customer, currency, network)
);

-- What reached a wallet: one entry per gateway payment (and per transaction), however often and
-- in whatever order its webhooks come.
CREATE TABLE wallet_deposits (
    gateway_uuid     TEXT PRIMARY KEY,
    wallet_id        TEXT NOT NULL REFERENCES wallets (id),
    txid             TEXT,
    amount           TEXT NOT NULL,
    merchant_amount  TEXT NOT NULL,
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL,
    credited         INTEGER NOT NULL,
    is_final         INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE UNIQUE INDEX wallet_deposits_by_txid ON wallet_deposits (wallet_id, txid);
CREATE INDEX wallet_deposits_by_wallet ON wallet_deposits (wallet_id, created_at);

-- Telling shops of deposits and payouts, from a durable outbox like the invoices' one:
-- one callback per subject and status it reached.
CREATE TABLE event_callbacks (
    id               BIGSERIAL PRIMARY KEY,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    kind             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    subject_status   TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    UNIQUE (kind, subject, subject_status)
);

CREATE INDEX event_callbacks_due ON event_callbacks (status, next_attempt_at);
