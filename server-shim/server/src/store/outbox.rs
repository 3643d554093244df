//! The outbox: signed callbacks to shops, claimed by workers under a lease, retried until
//! delivered or given up. Invoice callbacks queue in `outbox`; deposit and payout callbacks in
//! `event_callbacks`.

use super::{Store, StoreError};
use crate::domain::ShopId;
use shim_api::InvoiceId;
use sqlx::Row;

/// Turns a row of `outbox` into a job, for either backend.
macro_rules! job_row {
    ($row:expr, $status:expr, $last_error:expr) => {{
        let row = $row;
        Ok(OutboxJob {
            id: row.try_get("id")?,
            shop_id: ShopId(row.try_get("shop_id")?),
            invoice_id: InvoiceId::parse(row.try_get::<&str, _>("invoice_id")?)
                .ok_or_else(|| StoreError::Corrupt("outbox invoice id".into()))?,
            version: row.try_get("version")?,
            attempts: row.try_get("attempts")?,
            status: $status,
            last_error: $last_error,
        })
    }};
}

/// One try at telling a shop about an invoice: its callback, or its platform's order update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// The invoice told about.
    pub invoice_id: InvoiceId,
    /// The outbox job it was for.
    pub job_id: i64,
    /// The invoice's version it told of.
    pub version: i64,
    /// `callback`, or the platform's name (`woocommerce`...).
    pub target: String,
    /// Where it went: the callback URL's origin, or the platform and its site.
    pub destination: String,
    /// What was sent, in words.
    pub sent: String,
    /// The HTTP status of the answer, when there was one.
    pub http_status: Option<u16>,
    /// The start of the answer, or why there was none.
    pub answer: Option<String>,
    /// Whether it went through.
    pub delivered: bool,
    /// When, unix seconds.
    pub at: i64,
}

/// A queued callback to a shop about one version of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxJob {
    /// Its id.
    pub id: i64,
    /// The shop to tell.
    pub shop_id: ShopId,
    /// The invoice that changed.
    pub invoice_id: InvoiceId,
    /// The invoice version the change made.
    pub version: i64,
    /// Attempts made so far.
    pub attempts: i64,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// The callbacks a worker claims from queue `table`: the due ones, oldest first, at most
/// [`PER_SHOP`] of each shop (so that one shop's backlog cannot fill a claim), `$3` in all; on
/// PostgreSQL skipping rows another worker is claiming. `$1` is now.
pub(super) fn due_ids(table: &str, lock: &str) -> String {
    format!(
        "SELECT id FROM {table} WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
         (PARTITION BY shop_id ORDER BY id) AS n FROM {table} \
         WHERE status = 'pending' AND next_attempt_at <= $1) ranked WHERE n <= {PER_SHOP}) \
         ORDER BY id LIMIT $3{lock}"
    )
}

/// Callbacks of one shop a worker claims at once.
pub const PER_SHOP: i64 = 5;

/// The two callback queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallbackQueue {
    /// Invoice callbacks and platform updates (`outbox`).
    Invoices,
    /// Deposit and payout callbacks (`event_callbacks`).
    Events,
}

impl CallbackQueue {
    fn table(self) -> &'static str {
        match self {
            Self::Invoices => "outbox",
            Self::Events => "event_callbacks",
        }
    }
}

/// A callback to tell a shop of a deposit or a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCallback {
    /// Its id.
    pub id: i64,
    /// The shop.
    pub shop_id: ShopId,
    /// `deposit` or `payout`.
    pub kind: String,
    /// The deposit's gateway uuid, or the payout's id.
    pub subject: String,
    /// The status it reached, which this callback tells of.
    pub subject_status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// `pending`, `delivered` or `failed` (given up).
    pub status: String,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// Turns a row of `event_callbacks` into a callback, for either backend.
macro_rules! event_callback_row {
    ($row:expr) => {{
        let row = $row;
        EventCallback {
            id: row.try_get("id")?,
            shop_id: ShopId(row.try_get("shop_id")?),
            kind: row.try_get("kind")?,
            subject: row.try_get("subject")?,
            subject_status: row.try_get("subject_status")?,
            attempts: row.try_get("attempts")?,
            status: row.try_get("status")?,
            last_error: row.try_get("last_error")?,
        }
    }};
}

const EVENT_CALLBACK_COLUMNS: &str =
    "id, shop_id, kind, subject, subject_status, attempts, status, last_error";

/// Queues a callback to shop `$1` (when it has a callback URL) of `$2` (`deposit`, `payout`) `$3`
/// having reached status `$4`, at `$5`; once per subject and status.
pub(super) const QUEUE_EVENT: &str = "INSERT INTO event_callbacks (shop_id, kind, subject, \
    subject_status, status, next_attempt_at, created_at) \
    SELECT s.id, $2, $3, $4, 'pending', $5, $5 FROM shops s \
    WHERE s.id = $1 AND s.callback_url IS NOT NULL \
    ON CONFLICT (kind, subject, subject_status) DO NOTHING";

impl Store {
    /// Claims up to `limit` due callbacks: each is hidden from other workers until `lease_until`.
    /// On PostgreSQL rows another worker is claiming are skipped (`FOR UPDATE SKIP LOCKED`).
    pub async fn claim_jobs(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxJob>, StoreError> {
        let due = due_ids("outbox", self.skip_locked());
        let sql = format!(
            "UPDATE outbox SET next_attempt_at = $2 WHERE id IN ({due}) \
             RETURNING id, shop_id, invoice_id, version, attempts"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(lease_until).bind(limit).fetch_all(pool).await?;
            let mut jobs: Vec<OutboxJob> = rows
                .iter()
                .map(|row| job_row!(row, "pending".into(), None))
                .collect::<Result<_, StoreError>>()?;
            jobs.sort_by_key(|job| job.id);
            Ok(jobs)
        })
    }

    /// Keeps callbacks `ids` of queue `table` (`outbox`, `event_callbacks`) hidden from other
    /// workers until `until` while they are being sent (or, with `until` now, hands them back).
    pub async fn extend_leases(
        &self,
        table: CallbackQueue,
        ids: &[i64],
        until: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE {} SET next_attempt_at = $2 WHERE id = $1 AND status = 'pending'",
            table.table()
        );
        with_pool!(self, pool => {
            for id in ids {
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(id)
                    .bind(until)
                    .execute(pool)
                    .await?;
            }
        });
        Ok(())
    }

    /// Records the outcome of one delivery attempt: delivered, or failed and retried at `retry_at`
    /// (`None`: given up).
    pub async fn finish_job(
        &self,
        id: i64,
        delivered: bool,
        error: Option<&str>,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.finish_callback(CallbackQueue::Invoices, id, delivered, error, retry_at, now)
            .await
    }

    /// Records one delivery attempt at row `id` of callback queue `queue`: delivered, or retried at `retry_at` (`None`: given up).
    pub async fn finish_callback(
        &self,
        queue: CallbackQueue,
        id: i64,
        delivered: bool,
        error: Option<&str>,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let status = match (delivered, retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        let queue = queue.table();
        let sql = format!(
            "UPDATE {queue} SET status = $2, attempts = attempts + 1, last_error = $3, \
             next_attempt_at = COALESCE($4, next_attempt_at), \
             delivered_at = CASE WHEN $2 = 'delivered' THEN $5 ELSE delivered_at END WHERE id = $1"
        );
        with_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(status)
                .bind(error)
                .bind(retry_at)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Callbacks, newest first, optionally only those in `status`.
    pub async fn jobs(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxJob>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, shop_id, invoice_id, version, attempts, status, last_error FROM outbox \
                 WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2",
            )
            .bind(status)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| job_row!(row, row.try_get("status")?, row.try_get("last_error")?))
                .collect()
        })
    }

    /// The callbacks queued about invoice `id`, oldest first, each with when it was queued and
    /// when it was delivered.
    pub async fn invoice_jobs(
        &self,
        id: &InvoiceId,
    ) -> Result<Vec<(OutboxJob, i64, Option<i64>)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, shop_id, invoice_id, version, attempts, status, last_error, created_at, \
                 delivered_at FROM outbox WHERE invoice_id = $1 ORDER BY id",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let job: Result<OutboxJob, StoreError> =
                        job_row!(row, row.try_get("status")?, row.try_get("last_error")?);
                    Ok((job?, row.try_get("created_at")?, row.try_get("delivered_at")?))
                })
                .collect()
        })
    }

    /// Keeps `attempt` for its invoice's timeline.
    pub async fn record_attempt(&self, attempt: &DeliveryAttempt) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO delivery_attempts (invoice_id, job_id, version, target, destination, \
                 sent, http_status, answer, delivered, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(attempt.invoice_id.as_str())
            .bind(attempt.job_id)
            .bind(attempt.version)
            .bind(&attempt.target)
            .bind(&attempt.destination)
            .bind(&attempt.sent)
            .bind(attempt.http_status.map(i32::from))
            .bind(&attempt.answer)
            .bind(i32::from(attempt.delivered))
            .bind(attempt.at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every try at telling the shop about invoice `id`, oldest first.
    pub async fn delivery_attempts(
        &self,
        id: &InvoiceId,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT job_id, version, target, destination, sent, http_status, answer, delivered, at \
                 FROM delivery_attempts WHERE invoice_id = $1 ORDER BY id",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(DeliveryAttempt {
                        invoice_id: id.clone(),
                        job_id: row.try_get("job_id")?,
                        version: row.try_get("version")?,
                        target: row.try_get("target")?,
                        destination: row.try_get("destination")?,
                        sent: row.try_get("sent")?,
                        http_status: row
                            .try_get::<Option<i32>, _>("http_status")?
                            .and_then(|s| u16::try_from(s).ok()),
                        answer: row.try_get("answer")?,
                        delivered: row.try_get::<i32, _>("delivered")? != 0,
                        at: row.try_get("at")?,
                    })
                })
                .collect()
        })
    }

    /// How many callbacks are in each state.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status")
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| Ok((row.try_get("status")?, row.try_get("n")?))).collect()
        })
    }

    /// Queues callback `id` again for delivery now (after it failed, or to send it once more);
    /// `false` if there is no such callback.
    pub async fn replay_job(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        self.requeue("outbox", id, now).await
    }

    /// Puts row `id` of a callback queue (`outbox`, `event_callbacks`) back to be sent now, with
    /// its attempts counted afresh; `false` if there is no such row.
    pub(super) async fn requeue(
        &self,
        queue: &'static str,
        id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE {queue} SET status = 'pending', attempts = 0, next_attempt_at = $2 WHERE id = $1"
        );
        let affected = with_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Claims up to `limit` due deposit and payout callbacks, hidden from other workers until
    /// `lease_until`.
    pub async fn claim_event_callbacks(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<EventCallback>, StoreError> {
        let due = due_ids("event_callbacks", self.skip_locked());
        let sql = format!(
            "UPDATE event_callbacks SET next_attempt_at = $2 WHERE id IN ({due}) \
             RETURNING {EVENT_CALLBACK_COLUMNS}"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let mut jobs = rows
                .iter()
                .map(|row| Ok(event_callback_row!(row)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            jobs.sort_by_key(|job| job.id);
            Ok(jobs)
        })
    }

    /// Deposit and payout callbacks, newest first, at most `limit`; only those in `status` if
    /// given (`pending`, `delivered`, `failed`).
    pub async fn event_callbacks(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EventCallback>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_CALLBACK_COLUMNS} FROM event_callbacks \
             WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(status)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| Ok(event_callback_row!(row))).collect()
        })
    }

    /// How many deposit and payout callbacks are in each state: (kind, status, count).
    pub async fn event_callback_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT kind, status, COUNT(*) AS n FROM event_callbacks \
                 GROUP BY kind, status ORDER BY kind, status",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| Ok((row.try_get("kind")?, row.try_get("status")?, row.try_get("n")?)))
                .collect()
        })
    }

    /// Queues deposit or payout callback `id` again for delivery now (after it failed, or to
    /// send it once more); `false` if there is no such callback.
    pub async fn replay_event_callback(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        self.requeue("event_callbacks", id, now).await
    }
}
