-- Whether an invoice pays an order of the shop's platform (1), which the shim checks and moves
-- there, or stands on its own (0): a payment link's, a pay button's, a Shopify payment session's.
ALTER TABLE invoices ADD COLUMN shop_order INTEGER NOT NULL DEFAULT 1;
