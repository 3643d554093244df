-- Shops may be told of their invoices' changes: a signed HTTP callback, delivered from a durable
-- outbox at least once.
ALTER TABLE shops ADD COLUMN callback_url TEXT;
ALTER TABLE shops ADD COLUMN callback_secret TEXT;

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    invoice_id       TEXT NOT NULL REFERENCES invoices (id),
    version          INTEGER NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER,
    UNIQUE (invoice_id, version)
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
