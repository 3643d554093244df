//! The webhook inbox: verified gateway webhooks, kept until processed and then for audit.

use super::{Store, StoreError};
use shim_gateway::WebhookKind;
use sqlx::Row;

/// Turns a row of `webhook_inbox` into a webhook, for either backend.
macro_rules! inbox_row {
    ($row:expr) => {{
        let row = $row;
        Ok(InboxWebhook {
            id: row.try_get("id")?,
            webhook: NewWebhook {
                kind: WebhookKind::parse(row.try_get::<&str, _>("kind")?),
                order_id: row.try_get("order_id")?,
                gateway_uuid: row.try_get("gateway_uuid")?,
                gateway_status: row.try_get("gateway_status")?,
                body: row.try_get("body")?,
            },
            attempts: row.try_get("attempts")?,
            received_at: row.try_get("received_at")?,
            processed_at: row.try_get("processed_at")?,
            outcome: row.try_get("outcome")?,
        })
    }};
}

pub(super) const INBOX_COLUMNS: &str = "id, kind, order_id, gateway_uuid, gateway_status, body, received_at, \
    attempts, processed_at, outcome";

/// A verified gateway webhook as received, before it is processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// `payment`, `wallet`, ...
    pub kind: WebhookKind,
    /// The order id it names (ours, for invoices the shim created).
    pub order_id: String,
    /// The gateway's payment uuid.
    pub gateway_uuid: String,
    /// The status it reports.
    pub gateway_status: String,
    /// The raw body, kept for audit.
    pub body: String,
}

/// A webhook in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxWebhook {
    /// Its id.
    pub id: i64,
    /// What was received.
    pub webhook: NewWebhook,
    /// Processing attempts so far.
    pub attempts: i64,
    /// When it was received, unix seconds.
    pub received_at: i64,
    /// When it was processed, if it was.
    pub processed_at: Option<i64>,
    /// What processing made of it.
    pub outcome: Option<String>,
}

/// Marks inbox webhook `$1` done with outcome `$2` at `$3`, in the transaction of the change it
/// made.
pub(super) const MARK_WEBHOOK_DONE: &str = "UPDATE webhook_inbox SET attempts = attempts + 1, outcome = $2, processed_at = $3 WHERE id = $1";

impl Store {
    /// Writes a verified webhook to the inbox, leased to its receiver until `lease_until`; returns
    /// its id, and whether the same body was there already (then nothing is written: the row that
    /// has it is processed, or will be). Once this returns, the webhook is durable and may be
    /// acknowledged.
    pub async fn insert_webhook(
        &self,
        webhook: &NewWebhook,
        now: i64,
        lease_until: i64,
    ) -> Result<(i64, bool), StoreError> {
        use sha2::Digest as _;
        let hash = hex::encode(sha2::Sha256::digest(webhook.body.as_bytes()));
        with_pool!(self, pool => {
            let row = sqlx::query(
                "INSERT INTO webhook_inbox (kind, order_id, gateway_uuid, gateway_status, body, \
                 received_at, next_attempt_at, body_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (body_hash) DO NOTHING RETURNING id",
            )
            .bind(webhook.kind.as_str())
            .bind(&webhook.order_id)
            .bind(&webhook.gateway_uuid)
            .bind(&webhook.gateway_status)
            .bind(&webhook.body)
            .bind(now)
            .bind(lease_until)
            .bind(&hash)
            .fetch_optional(pool)
            .await?;
            if let Some(row) = row {
                return Ok((row.try_get("id")?, false));
            }
            let row = sqlx::query("SELECT id FROM webhook_inbox WHERE body_hash = $1")
                .bind(&hash)
                .fetch_one(pool)
                .await?;
            Ok((row.try_get("id")?, true))
        })
    }

    /// Hands unprocessed webhook `id` to the inbox worker at once: due from `at`, whoever held it.
    pub async fn release_webhook(&self, id: i64, at: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_inbox SET next_attempt_at = $2 WHERE id = $1 AND processed_at IS NULL",
            )
            .bind(id)
            .bind(at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Processes webhook `id` again, from `now` (the operator's replay: each processing re-reads
    /// the gateway, so a second one changes only what the gateway says changed); `false` if
    /// there is no such webhook.
    pub async fn replay_webhook(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_inbox SET processed_at = NULL, next_attempt_at = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Claims up to `limit` unprocessed webhooks that are due, each leased until `lease_until`
    /// (skipping rows another process is claiming, on PostgreSQL).
    pub async fn claim_webhooks(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<InboxWebhook>, StoreError> {
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE webhook_inbox SET next_attempt_at = $2 WHERE id IN (SELECT id FROM webhook_inbox \
             WHERE processed_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $3{lock}) \
             RETURNING {INBOX_COLUMNS}"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(lease_until).bind(limit).fetch_all(pool).await?;
            let mut webhooks: Vec<InboxWebhook> =
                rows.iter().map(|row| inbox_row!(row)).collect::<Result<_, StoreError>>()?;
            webhooks.sort_by_key(|webhook| webhook.id);
            Ok(webhooks)
        })
    }

    /// Records one processing attempt: done with `outcome`, or to be retried at `retry_at`.
    pub async fn finish_webhook(
        &self,
        id: i64,
        outcome: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_inbox SET attempts = attempts + 1, outcome = $2, \
                 processed_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END, \
                 next_attempt_at = COALESCE($3, next_attempt_at) WHERE id = $1",
            )
            .bind(id)
            .bind(outcome)
            .bind(retry_at)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Webhooks, newest first; only unprocessed ones when `pending`.
    pub async fn webhooks(
        &self,
        pending: bool,
        limit: i64,
    ) -> Result<Vec<InboxWebhook>, StoreError> {
        let sql = format!(
            "SELECT {INBOX_COLUMNS} FROM webhook_inbox WHERE ($1 = 0 OR processed_at IS NULL) \
             ORDER BY id DESC LIMIT $2"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(pending)).bind(limit).fetch_all(pool).await?;
            rows.iter().map(|row| inbox_row!(row)).collect()
        })
    }

    /// How many webhooks wait to be processed.
    pub async fn pending_webhooks(&self) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM webhook_inbox WHERE processed_at IS NULL")
                .fetch_one(pool)
                .await?;
            Ok(row.try_get("n")?)
        })
    }

    /// Forgets processed webhooks received before `before`; returns how many.
    pub async fn prune_webhooks(&self, before: i64) -> Result<u64, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query("DELETE FROM webhook_inbox WHERE processed_at IS NOT NULL AND received_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected)
    }
}
