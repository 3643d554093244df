-- Why an invoice is in review: only a hold by the gateway clears by itself; money after expiry and
-- a payment that is not what was asked wait for a person.
ALTER TABLE invoices ADD COLUMN review_reason TEXT;
