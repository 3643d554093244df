-- Pay buttons: a price defined here that any page on the button's allowed origins can start a
-- payment for, through embed.js. The page never sets the price.
CREATE TABLE buttons (
    id               TEXT PRIMARY KEY,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    amount           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    description      TEXT NOT NULL,
    -- Space-separated origins (scheme://host[:port]) whose pages may start payments.
    allowed_origins  TEXT NOT NULL,
    url_success      TEXT,
    enabled          INTEGER NOT NULL DEFAULT 1,
    uses             BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);

CREATE INDEX buttons_by_shop ON buttons (shop_id, created_at);

-- Which client started which button invoice, so that one client looping on a button is stopped
-- by the invoices it keeps open.
CREATE TABLE button_invoices (
    invoice_id  TEXT PRIMARY KEY REFERENCES invoices (id),
    button_id   TEXT NOT NULL REFERENCES buttons (id),
    client      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX button_invoices_by_client ON button_invoices (button_id, client);
