-- Which client started which invoice of a reusable link, so that one client opening a link in a
-- loop is stopped by the invoices it keeps open, and cannot lock the link for everyone.
CREATE TABLE link_invoices (
    invoice_id  TEXT PRIMARY KEY REFERENCES invoices (id),
    link_id     TEXT NOT NULL REFERENCES links (id),
    client      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX link_invoices_by_client ON link_invoices (link_id, client);
