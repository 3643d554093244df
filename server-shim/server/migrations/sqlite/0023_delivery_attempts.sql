-- Every try at telling a shop about an invoice, for the invoice's timeline: its signed callback
-- (where to, the HTTP status, the start of the answer) and its platform's order update (what was
-- asked, what the platform answered).
CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id   TEXT NOT NULL REFERENCES invoices (id),
    job_id       INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    target       TEXT NOT NULL,
    destination  TEXT NOT NULL,
    sent         TEXT NOT NULL,
    http_status  INTEGER,
    answer       TEXT,
    delivered    INTEGER NOT NULL,
    at           INTEGER NOT NULL
);

CREATE INDEX delivery_attempts_by_invoice ON delivery_attempts (invoice_id, id);
