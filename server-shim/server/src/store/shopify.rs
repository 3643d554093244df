//! Shopify payments app sessions: payment and refund sessions and the invoices that pay them.

use super::{Store, StoreError};
use crate::domain::ShopId;
use shim_api::InvoiceId;
use sqlx::Row;

/// A payment session of Shopify's payments app, and the invoice that pays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSession {
    /// Shopify's id for it (the idempotency key).
    pub id: String,
    /// The shop.
    pub shop_id: ShopId,
    /// `gid://shopify/PaymentSession/...`.
    pub gid: String,
    /// The invoice the buyer pays.
    pub invoice_id: InvoiceId,
    /// As Shopify asked.
    pub amount: String,
    /// As Shopify asked.
    pub currency: String,
    /// Back to checkout.
    pub cancel_url: String,
    /// A test order.
    pub test: bool,
    /// `open`, `pending`, `resolved` or `rejected`.
    pub state: String,
    /// Where the buyer goes next, once Shopify said.
    pub next_url: Option<String>,
    /// When Shopify started it.
    pub created_at: i64,
}

/// How a payment session is looked up.
#[derive(Debug, Clone, Copy)]
pub enum SessionKey<'a> {
    /// By Shopify's id.
    Id(&'a str),
    /// By the invoice that pays it.
    Invoice(&'a InvoiceId),
}

impl Store {
    /// Records a Shopify payment session for `invoice` (once: `false` if it was already there).
    pub async fn insert_payment_session(
        &self,
        session: &PaymentSession,
    ) -> Result<bool, StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO shopify_payment_sessions (id, shop_id, gid, invoice_id, amount, currency, \
                 cancel_url, test, state, next_url, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&session.id)
            .bind(&session.shop_id.0)
            .bind(&session.gid)
            .bind(session.invoice_id.as_str())
            .bind(&session.amount)
            .bind(&session.currency)
            .bind(&session.cancel_url)
            .bind(i32::from(session.test))
            .bind(&session.state)
            .bind(&session.next_url)
            .bind(session.created_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// The payment session Shopify calls `id`, or the one that `invoice` pays.
    pub async fn payment_session(
        &self,
        by: SessionKey<'_>,
    ) -> Result<Option<PaymentSession>, StoreError> {
        macro_rules! select {
            ($column:literal) => {
                concat!(
                    "SELECT id, shop_id, gid, invoice_id, amount, currency, cancel_url, test, state, ",
                    "next_url, created_at FROM shopify_payment_sessions WHERE ",
                    $column,
                    " = $1"
                )
            };
        }
        let (sql, value) = match by {
            SessionKey::Id(id) => (select!("id"), id),
            SessionKey::Invoice(invoice) => (select!("invoice_id"), invoice.as_str()),
        };
        with_pool!(self, pool => {
            let row = sqlx::query(sql)
            .bind(value)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            Ok(Some(PaymentSession {
                id: row.try_get("id")?,
                shop_id: ShopId(row.try_get("shop_id")?),
                gid: row.try_get("gid")?,
                invoice_id: InvoiceId::parse(row.try_get::<&str, _>("invoice_id")?)
                    .ok_or_else(|| StoreError::Corrupt("payment session invoice".into()))?,
                amount: row.try_get("amount")?,
                currency: row.try_get("currency")?,
                cancel_url: row.try_get("cancel_url")?,
                test: row.try_get::<i32, _>("test")? != 0,
                state: row.try_get("state")?,
                next_url: row.try_get("next_url")?,
                created_at: row.try_get("created_at")?,
            }))
        })
    }

    /// Moves payment session `id` forward to `state` (`pending` only from `open`; `resolved` and
    /// `rejected` from either, and never out of them), with where the buyer goes next when
    /// Shopify said.
    pub async fn advance_payment_session(
        &self,
        id: &str,
        state: &str,
        next_url: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE shopify_payment_sessions SET state = $2, next_url = COALESCE($3, next_url), \
                 updated_at = $4 WHERE id = $1 AND (state = 'open' OR (state = 'pending' AND $2 <> 'pending'))",
            )
            .bind(id)
            .bind(state)
            .bind(next_url)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records a Shopify refund session (once: `false` if it was already there).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_refund_session(
        &self,
        id: &str,
        shop: &ShopId,
        gid: &str,
        payment_id: &str,
        amount: &str,
        currency: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO shopify_refund_sessions (id, shop_id, gid, payment_id, amount, currency, state, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(&shop.0)
            .bind(gid)
            .bind(payment_id)
            .bind(amount)
            .bind(currency)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Where refund session `id` stands, if there is one.
    pub async fn refund_session_state(&self, id: &str) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT state FROM shopify_refund_sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.map(|row| row.try_get("state")).transpose().map_err(Into::into)
        })
    }

    /// Moves refund session `id` to `state`.
    pub async fn set_refund_session_state(&self, id: &str, state: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE shopify_refund_sessions SET state = $2 WHERE id = $1")
                .bind(id)
                .bind(state)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
