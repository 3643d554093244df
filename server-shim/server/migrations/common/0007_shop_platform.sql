-- A shop may be connected to its platform (WooCommerce, ...): the outbox then moves its orders
-- through the platform's API. `platform_config` is JSON with the credentials (never logged).
ALTER TABLE shops ADD COLUMN platform_config TEXT;
