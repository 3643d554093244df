//! Pay buttons and the invoices they started.

use super::{Store, StoreError, decimal};
use crate::domain::ShopId;
use rust_decimal::Decimal;
use shim_api::InvoiceId;
use sqlx::Row;

/// A pay button: a price any page on its allowed origins may start a payment for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// `btn_` and hex; order ids of its invoices are `<id>-<n>`.
    pub id: String,
    /// The shop it takes payments for.
    pub shop_id: ShopId,
    /// The price.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// What is paid for, shown above the widget.
    pub description: String,
    /// Origins (`https://shop.example`) whose pages may start payments.
    pub allowed_origins: Vec<String>,
    /// Where the payer goes after paying, if anywhere.
    pub url_success: Option<String>,
    /// A disabled button starts nothing and says so.
    pub enabled: bool,
    /// Invoices it started.
    pub uses: i64,
    /// When it was made.
    pub created_at: i64,
}

impl Store {
    /// Enables or disables shop `shop`'s button `id`; `false` if it has no such button.
    pub async fn set_button_enabled(
        &self,
        shop: &ShopId,
        id: &str,
        enabled: bool,
    ) -> Result<bool, StoreError> {
        self.set_enabled("buttons", shop, id, enabled).await
    }

    /// Stores a new pay button.
    pub async fn create_button(&self, button: &Button) -> Result<(), StoreError> {
        self.insert_button(button, "").await
    }

    /// Stores a pay button, replacing the definition of one with its id (keeping its uses).
    pub async fn put_button(&self, button: &Button) -> Result<(), StoreError> {
        self.insert_button(
            button,
            " ON CONFLICT (id) DO UPDATE SET shop_id = excluded.shop_id, amount = excluded.amount, \
             currency = excluded.currency, description = excluded.description, \
             allowed_origins = excluded.allowed_origins, url_success = excluded.url_success, \
             enabled = excluded.enabled",
        )
        .await
    }

    pub(super) async fn insert_button(
        &self,
        button: &Button,
        on_conflict: &str,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO buttons (id, shop_id, amount, currency, description, allowed_origins, url_success, enabled, uses, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9){on_conflict}"
        );
        with_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&button.id)
            .bind(&button.shop_id.0)
            .bind(button.amount.to_string())
            .bind(&button.currency)
            .bind(&button.description)
            .bind(button.allowed_origins.join(" "))
            .bind(&button.url_success)
            .bind(i32::from(button.enabled))
            .bind(button.created_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Button `id` (of shop `shop`, when given).
    pub async fn button(
        &self,
        id: &str,
        shop: Option<&ShopId>,
    ) -> Result<Option<Button>, StoreError> {
        Ok(self
            .buttons_where(
                "id = $1 AND ($2 IS NULL OR shop_id = $2)",
                id,
                shop.map(|s| s.0.as_str()),
            )
            .await?
            .pop())
    }

    /// A shop's buttons, newest first.
    pub async fn buttons(&self, shop: &ShopId) -> Result<Vec<Button>, StoreError> {
        self.buttons_where("shop_id = $1 AND shop_id = $2", &shop.0, Some(&shop.0))
            .await
    }

    pub(super) async fn buttons_where(
        &self,
        condition: &str,
        first: &str,
        second: Option<&str>,
    ) -> Result<Vec<Button>, StoreError> {
        let sql = format!(
            "SELECT id, shop_id, amount, currency, description, allowed_origins, url_success, enabled, uses, created_at \
             FROM buttons WHERE {condition} ORDER BY created_at DESC, id"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(first).bind(second).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let origins: String = row.try_get("allowed_origins")?;
                    Ok(Button {
                        id: row.try_get("id")?,
                        shop_id: ShopId(row.try_get("shop_id")?),
                        amount: decimal(row.try_get("amount")?)?,
                        currency: row.try_get("currency")?,
                        description: row.try_get("description")?,
                        allowed_origins: origins.split_whitespace().map(str::to_owned).collect(),
                        url_success: row.try_get("url_success")?,
                        enabled: row.try_get::<i32, _>("enabled")? != 0,
                        uses: row.try_get("uses")?,
                        created_at: row.try_get("created_at")?,
                    })
                })
                .collect()
        })
    }

    /// Counts one more invoice started by button `id`; the new count.
    pub async fn next_button_use(&self, id: &str) -> Result<i64, StoreError> {
        self.next_use("buttons", id).await
    }

    /// Invoices of button `button` still waiting for payment: (started by `client`, in all).
    pub async fn open_button_invoices(
        &self,
        button: &str,
        client: &str,
    ) -> Result<(i64, i64), StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(CASE WHEN b.client = $2 THEN 1 END) AS mine, COUNT(*) AS all_open \
                 FROM button_invoices b JOIN invoices i ON i.id = b.invoice_id \
                 WHERE b.button_id = $1 AND i.status = 'pending'",
            )
            .bind(button)
            .bind(client)
            .fetch_one(pool)
            .await?;
            Ok((row.try_get("mine")?, row.try_get("all_open")?))
        })
    }

    /// Notes that `client` started invoice `invoice` through button `button`.
    pub async fn record_button_invoice(
        &self,
        invoice: &InvoiceId,
        button: &str,
        client: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO button_invoices (invoice_id, button_id, client, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (invoice_id) DO NOTHING",
            )
            .bind(invoice.as_str())
            .bind(button)
            .bind(client)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
