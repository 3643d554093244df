-- Whether an invoice pays an order of the shop's platform (1), which the shim checks and moves
-- there, or stands on its own (0): a payment link's, a pay button's, a Shopify payment session's.
ALTER TABLE invoices ADD COLUMN shop_order INTEGER NOT NULL DEFAULT 1;

-- The links' and buttons' invoices made before this column stand on their own too.
UPDATE invoices SET shop_order = 0
WHERE id IN (SELECT invoice_id FROM button_invoices)
   OR EXISTS (SELECT 1 FROM links
              WHERE links.shop_id = invoices.shop_id
                AND (invoices.order_id = links.id OR invoices.order_id LIKE links.id || '-%'));
