-- Every verified gateway webhook, written before it is acknowledged and processed after, so an
-- acknowledged webhook is never lost: a crash between the answer and the processing leaves the
-- row due, and the inbox worker takes it again.
CREATE TABLE webhook_inbox (
    id               BIGSERIAL PRIMARY KEY,
    kind             TEXT NOT NULL,
    order_id         TEXT NOT NULL,
    gateway_uuid     TEXT NOT NULL,
    gateway_status   TEXT NOT NULL,
    body             TEXT NOT NULL,
    received_at      BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    -- When it may be taken (again): a lease while someone processes it, then the retry time.
    next_attempt_at  BIGINT NOT NULL,
    processed_at     BIGINT,
    outcome          TEXT
);

CREATE INDEX webhook_inbox_due ON webhook_inbox (processed_at, next_attempt_at);
