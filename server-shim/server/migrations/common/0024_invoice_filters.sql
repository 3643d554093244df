-- What the invoice list's filters and the console's "needs you" look up: a shop's invoices in one
-- status, or paid in one coin, newest first, without walking all of the shop's invoices.
CREATE INDEX invoices_by_shop_status ON invoices (shop_id, status, created_at, id);
CREATE INDEX invoices_by_shop_coin ON invoices (shop_id, payer_currency, created_at, id);
