-- The same signed body taken in twice (a replay, or the gateway sending it again) is one row: its
-- SHA-256, unique. Rows from before have none, which the index does not count.
ALTER TABLE webhook_inbox ADD COLUMN body_hash TEXT;
CREATE UNIQUE INDEX webhook_inbox_body_hash ON webhook_inbox (body_hash);
