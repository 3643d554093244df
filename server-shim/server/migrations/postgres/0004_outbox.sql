-- Shops may be told of their invoices' changes: a signed HTTP callback, delivered from a durable
-- outbox at least once.
ALTER TABLE shops ADD COLUMN callback_url TEXT;
ALTER TABLE shops ADD COLUMN callback_secret TEXT;

CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    invoice_id       TEXT NOT NULL REFERENCES invoices (id),
    version          BIGINT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    UNIQUE (invoice_id, version)
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
