-- A merchant connecting a WooCommerce shop without copying keys: the shim sends them to
-- /wc-auth/v1/authorize with a one-time code, and WooCommerce posts the new key back with it.
CREATE TABLE platform_connects (
    code        TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    site        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
