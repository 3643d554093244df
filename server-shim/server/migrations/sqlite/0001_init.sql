CREATE TABLE shops (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE invoices (
    id                  TEXT PRIMARY KEY,
    shop_id             TEXT NOT NULL REFERENCES shops (id),
    order_id            TEXT NOT NULL,
    amount              TEXT NOT NULL,
    currency            TEXT NOT NULL,
    network             TEXT,
    to_currency         TEXT,
    lifetime            INTEGER,
    url_return          TEXT,
    url_success         TEXT,
    platform_order_ref  TEXT,
    gateway_uuid        TEXT UNIQUE,
    gateway_status      TEXT,
    payer_amount        TEXT,
    payer_currency      TEXT,
    address             TEXT,
    paid_amount         TEXT NOT NULL DEFAULT '0',
    status              TEXT NOT NULL,
    version             INTEGER NOT NULL,
    expires_at          INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (shop_id, order_id)
);

CREATE TABLE invoice_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id      TEXT NOT NULL REFERENCES invoices (id),
    source          TEXT NOT NULL,
    gateway_status  TEXT,
    outcome         TEXT NOT NULL,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE INDEX invoice_events_by_invoice ON invoice_events (invoice_id, id);
