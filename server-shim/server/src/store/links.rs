//! Payment links and the invoices they started.

use super::{Store, StoreError, decimal};
use crate::domain::ShopId;
use rust_decimal::Decimal;
use shim_api::InvoiceId;
use sqlx::Row;

/// A payment link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// `lnk_` and hex; also the order id of a one-time link's invoice.
    pub id: String,
    /// The shop it takes payments for.
    pub shop_id: ShopId,
    /// A fresh invoice on every visit, or one invoice for good.
    pub reusable: bool,
    /// The price.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// What is paid for, shown above the widget.
    pub description: String,
    /// After this (unix seconds) the link starts no invoice.
    pub expires_at: Option<i64>,
    /// A disabled link starts nothing and says so.
    pub enabled: bool,
    /// Invoices a reusable link started.
    pub uses: i64,
    /// When it was made.
    pub created_at: i64,
}

impl Store {
    /// Stores a new payment link.
    pub async fn create_link(&self, link: &Link) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO links (id, shop_id, reusable, amount, currency, description, expires_at, enabled, uses, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)",
            )
            .bind(&link.id)
            .bind(&link.shop_id.0)
            .bind(i32::from(link.reusable))
            .bind(link.amount.to_string())
            .bind(&link.currency)
            .bind(&link.description)
            .bind(link.expires_at)
            .bind(i32::from(link.enabled))
            .bind(link.created_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Link `id` (of shop `shop`, when given).
    pub async fn link(&self, id: &str, shop: Option<&ShopId>) -> Result<Option<Link>, StoreError> {
        Ok(self
            .links_where(
                "id = $1 AND ($2 IS NULL OR shop_id = $2)",
                id,
                shop.map(|s| s.0.as_str()),
            )
            .await?
            .pop())
    }

    /// A shop's links, newest first.
    pub async fn links(&self, shop: &ShopId) -> Result<Vec<Link>, StoreError> {
        self.links_where("shop_id = $1 AND shop_id = $2", &shop.0, Some(&shop.0))
            .await
    }

    pub(super) async fn links_where(
        &self,
        condition: &str,
        first: &str,
        second: Option<&str>,
    ) -> Result<Vec<Link>, StoreError> {
        let sql = format!(
            "SELECT id, shop_id, reusable, amount, currency, description, expires_at, enabled, uses, created_at \
             FROM links WHERE {condition} ORDER BY created_at DESC, id"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(first).bind(second).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(Link {
                        id: row.try_get("id")?,
                        shop_id: ShopId(row.try_get("shop_id")?),
                        reusable: row.try_get::<i32, _>("reusable")? != 0,
                        amount: decimal(row.try_get("amount")?)?,
                        currency: row.try_get("currency")?,
                        description: row.try_get("description")?,
                        expires_at: row.try_get("expires_at")?,
                        enabled: row.try_get::<i32, _>("enabled")? != 0,
                        uses: row.try_get("uses")?,
                        created_at: row.try_get("created_at")?,
                    })
                })
                .collect()
        })
    }

    /// Enables or disables shop `shop`'s link `id`; `false` if it has no such link.
    pub async fn set_link_enabled(
        &self,
        shop: &ShopId,
        id: &str,
        enabled: bool,
    ) -> Result<bool, StoreError> {
        self.set_enabled("links", shop, id, enabled).await
    }

    pub(super) async fn set_enabled(
        &self,
        table: &'static str,
        shop: &ShopId,
        id: &str,
        enabled: bool,
    ) -> Result<bool, StoreError> {
        let sql = format!("UPDATE {table} SET enabled = $3 WHERE id = $1 AND shop_id = $2");
        let affected = with_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(&shop.0)
                .bind(i32::from(enabled))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// How many invoices of shop `shop` started by reusable link `link` still wait for payment.
    pub async fn open_link_invoices(&self, shop: &ShopId, link: &str) -> Result<i64, StoreError> {
        let prefix = format!("{link}-");
        // Not LIKE: `_` in the ids would be a wildcard.
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM invoices WHERE shop_id = $1 AND status = 'pending' \
                 AND SUBSTR(order_id, 1, $3) = $2",
            )
            .bind(&shop.0)
            .bind(&prefix)
            .bind(prefix.chars().count() as i32)
            .fetch_one(pool)
            .await?;
            Ok(row.try_get("n")?)
        })
    }

    /// Invoices of reusable link `link` still waiting for payment that `client` started.
    pub async fn open_link_invoices_of(&self, link: &str, client: &str) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM link_invoices l JOIN invoices i ON i.id = l.invoice_id \
                 WHERE l.link_id = $1 AND l.client = $2 AND i.status = 'pending'",
            )
            .bind(link)
            .bind(client)
            .fetch_one(pool)
            .await?;
            Ok(row.try_get("n")?)
        })
    }

    /// Notes that `client` started invoice `invoice` through reusable link `link`.
    pub async fn record_link_invoice(
        &self,
        invoice: &InvoiceId,
        link: &str,
        client: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO link_invoices (invoice_id, link_id, client, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (invoice_id) DO NOTHING",
            )
            .bind(invoice.as_str())
            .bind(link)
            .bind(client)
            .bind(at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Counts one more invoice started by reusable link `id`; the new count.
    pub async fn next_link_use(&self, id: &str) -> Result<i64, StoreError> {
        self.next_use("links", id).await
    }

    pub(super) async fn next_use(&self, table: &'static str, id: &str) -> Result<i64, StoreError> {
        let sql = format!("UPDATE {table} SET uses = uses + 1 WHERE id = $1 RETURNING uses");
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_one(pool)
                .await?;
            Ok(row.try_get("uses")?)
        })
    }
}
