-- Webhooks a shop platform sent (Shopify), by the platform's own id for them: the platform may
-- deliver one more than once, and each is acted on once.
CREATE TABLE platform_webhooks (
    platform     TEXT NOT NULL,
    id           TEXT NOT NULL,
    shop_id      TEXT NOT NULL REFERENCES shops (id),
    topic        TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (platform, id)
);

CREATE INDEX platform_webhooks_by_age ON platform_webhooks (received_at);
