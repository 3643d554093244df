-- Payment links: a price a merchant sends by email or messenger. A one-time link has one invoice
-- (its order id is the link's id); a reusable one starts a fresh invoice on every visit.
CREATE TABLE links (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops (id),
    reusable     INTEGER NOT NULL,
    amount       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    description  TEXT NOT NULL,
    expires_at   BIGINT,
    enabled      INTEGER NOT NULL DEFAULT 1,
    uses         BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

CREATE INDEX links_by_shop ON links (shop_id, created_at);
