//! Refunds asked for through the shim: one row per attempt, for the one-refund rule and the
//! invoice's story.

use super::{Store, StoreError, decimal};
use rust_decimal::Decimal;
use shim_api::InvoiceId;
use sqlx::Row;

/// Whether the gateway took a refund request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    /// Sent (or about to be); no answer yet, or the answer was lost.
    Requested,
    /// The gateway took it; the invoice follows the refund from here.
    Accepted,
    /// The gateway refused it; another may be asked for.
    Refused,
}

impl RefundState {
    /// Its name in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Accepted => "accepted",
            Self::Refused => "refused",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "requested" => Ok(Self::Requested),
            "accepted" => Ok(Self::Accepted),
            "refused" => Ok(Self::Refused),
            other => Err(StoreError::Corrupt(format!("refund state {other:?}"))),
        }
    }
}

/// One refund attempt of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// The invoice refunded.
    pub invoice_id: InvoiceId,
    /// 1 for the first attempt, then one more after each failure.
    pub attempt: i64,
    /// The gateway payment refunded.
    pub gateway_uuid: String,
    /// Where the money goes.
    pub address: String,
    /// How much goes back, in the payer's coin.
    pub amount: Decimal,
    /// That coin.
    pub currency: String,
    /// Who asked: `api` (a shop token) or a console user's email.
    pub requested_by: String,
    /// When, unix seconds.
    pub requested_at: i64,
    /// Whether the gateway took it.
    pub state: RefundState,
    /// The gateway's reason, when it refused.
    pub error: Option<String>,
}

impl Store {
    /// Stores refund attempt `refund`; `false` when that attempt exists already (another request
    /// asked for it first).
    pub async fn insert_refund(&self, refund: &RefundRecord) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO invoice_refunds (invoice_id, attempt, gateway_uuid, address, amount, \
                 currency, requested_by, requested_at, state, error) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (invoice_id, attempt) DO NOTHING",
            )
            .bind(refund.invoice_id.as_str())
            .bind(refund.attempt)
            .bind(&refund.gateway_uuid)
            .bind(&refund.address)
            .bind(refund.amount.to_string())
            .bind(&refund.currency)
            .bind(&refund.requested_by)
            .bind(refund.requested_at)
            .bind(refund.state.as_str())
            .bind(&refund.error)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Records the gateway's answer to refund attempt `attempt` of invoice `id`.
    pub async fn settle_refund(
        &self,
        id: &InvoiceId,
        attempt: i64,
        state: RefundState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE invoice_refunds SET state = $3, error = $4 WHERE invoice_id = $1 AND attempt = $2",
            )
            .bind(id.as_str())
            .bind(attempt)
            .bind(state.as_str())
            .bind(error)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Invoice `id`'s refund attempts, first first.
    pub async fn refunds(&self, id: &InvoiceId) -> Result<Vec<RefundRecord>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT invoice_id, attempt, gateway_uuid, address, amount, currency, requested_by, \
                 requested_at, state, error FROM invoice_refunds WHERE invoice_id = $1 ORDER BY attempt",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let invoice_id: String = row.try_get("invoice_id")?;
                    Ok(RefundRecord {
                        invoice_id: InvoiceId::parse(&invoice_id)
                            .ok_or_else(|| StoreError::Corrupt(format!("invoice id {invoice_id:?}")))?,
                        attempt: row.try_get("attempt")?,
                        gateway_uuid: row.try_get("gateway_uuid")?,
                        address: row.try_get("address")?,
                        amount: decimal(row.try_get("amount")?)?,
                        currency: row.try_get("currency")?,
                        requested_by: row.try_get("requested_by")?,
                        requested_at: row.try_get("requested_at")?,
                        state: RefundState::parse(row.try_get("state")?)?,
                        error: row.try_get("error")?,
                    })
                })
                .collect()
        })
    }
}
