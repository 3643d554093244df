//! Payouts from the merchant's balance, and which shops may make them.

use super::{Store, StoreError, decimal};
use crate::domain::ShopId;
use rust_decimal::Decimal;
use sqlx::Row;

/// A payout a shop asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRecord {
    /// `pay_` and 24 hex digits; the gateway's order id for it.
    pub id: String,
    /// The shop.
    pub shop_id: ShopId,
    /// The shop's own id for it (asking again with it returns this payout).
    pub order_id: String,
    /// How much.
    pub amount: Decimal,
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// Where it goes.
    pub address: String,
    /// The gateway's fee from the balance (true) or from the amount sent (false).
    pub is_subtract: bool,
    /// The gateway's payout uuid, once made there.
    pub gateway_uuid: Option<String>,
    /// Where it stands: [`REQUESTED`], [`SUBMITTED`], then the gateway's (`process`, `paid`,
    /// `fail`...), or [`REJECTED`].
    pub status: String,
    /// The gateway's fee it costs the balance on top of `amount` (with `is_subtract`; an
    /// estimate from the gateway's payout services when it was asked for), else zero.
    pub fee: Decimal,
    /// Why the gateway refused it ([`REJECTED`]).
    pub error: Option<String>,
    /// When it was last sent to the gateway.
    pub submitted_at: Option<i64>,
    /// The chain transaction, once sent.
    pub txid: Option<String>,
    /// The status will not change any more.
    pub is_final: bool,
    /// When it was asked for.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

macro_rules! payout_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<_, StoreError>(PayoutRecord {
            id: row.try_get("id")?,
            shop_id: ShopId(row.try_get("shop_id")?),
            order_id: row.try_get("order_id")?,
            amount: decimal(row.try_get("amount")?)?,
            currency: row.try_get("currency")?,
            network: row.try_get("network")?,
            address: row.try_get("address")?,
            is_subtract: row.try_get::<i32, _>("is_subtract")? != 0,
            gateway_uuid: row.try_get("gateway_uuid")?,
            status: row.try_get("status")?,
            fee: decimal(row.try_get("fee")?)?,
            error: row.try_get("error")?,
            submitted_at: row.try_get("submitted_at")?,
            txid: row.try_get("txid")?,
            is_final: row.try_get::<i32, _>("is_final")? != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }};
}

const PAYOUT_COLUMNS: &str = "id, shop_id, order_id, amount, currency, network, address, \
    is_subtract, gateway_uuid, status, fee, error, submitted_at, txid, is_final, created_at, updated_at";

/// Stored, not sent to the gateway yet.
pub const REQUESTED: &str = "requested";
/// Sent to the gateway, whose answer is not known: it may have the payout.
pub const SUBMITTED: &str = "submitted";
/// Refused by the gateway, which does not know it: final.
pub const REJECTED: &str = "rejected";

/// Payout statuses that took nothing from the balance.
const UNPAID: &str = "('rejected', 'fail', 'cancel', 'system_fail')";

impl PayoutRecord {
    /// What it takes from the merchant's balance: the amount, and the fee when the balance
    /// bears it.
    pub fn debit(&self) -> Decimal {
        if self.is_subtract {
            self.amount + self.fee
        } else {
            self.amount
        }
    }
}

/// What the operator lets a shop pay out beyond its own ledger (`shops allow-payouts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PayoutPolicy {
    /// The most it may pay out per coin in any 24 hours (coin code to decimal string).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub daily_caps: std::collections::BTreeMap<String, String>,
    /// The only addresses it may pay to; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
}

impl PayoutPolicy {
    /// The cap on `currency` over any 24 hours, if the operator set one.
    pub fn daily_cap(&self, currency: &str) -> Option<Decimal> {
        self.daily_caps
            .get(currency)
            .and_then(|cap| cap.parse().ok())
    }
}

/// A shop's account of one coin at the gateway, from the shim's own records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ledger {
    /// What its invoices' payments brought in, after the gateway's commission.
    pub invoices: Decimal,
    /// What its wallets' credited deposits brought in, after the gateway's commission.
    pub deposits: Decimal,
    /// What its payouts took or hold (fees included), all but the refused and failed ones.
    pub payouts: Decimal,
    /// What its payouts asked for in the last 24 hours (fees not included).
    pub paid_out_today: Decimal,
}

impl Ledger {
    /// What the shop may still pay out.
    pub fn available(&self) -> Decimal {
        self.invoices + self.deposits - self.payouts
    }
}

/// What [`Store::reserve_payout`] did.
#[derive(Debug)]
pub enum Reservation {
    /// Stored, [`REQUESTED`]: the caller sends it.
    Stored(PayoutRecord),
    /// The shop already has a payout with this order id.
    Existing(PayoutRecord),
    /// The check refused it: its message.
    Refused(String),
}

/// Shop `$shop`'s [`Ledger`] in `$currency` on connection `$conn`, "today" being the 24 hours
/// before `$now`. Amounts are summed here, exactly, not in SQL.
macro_rules! ledger_of {
    ($conn:expr, $shop:expr, $currency:expr, $now:expr) => {{
        let (shop, currency, now): (&ShopId, &str, i64) = ($shop, $currency, $now);
        let conn = $conn;
        let mut ledger = Ledger::default();
        let rows =
            sqlx::query("SELECT amount FROM shop_credits WHERE shop_id = $1 AND currency = $2")
                .bind(&shop.0)
                .bind(currency)
                .fetch_all(&mut *conn)
                .await?;
        for row in &rows {
            ledger.invoices += decimal(row.try_get("amount")?)?;
        }
        let rows = sqlx::query(
            "SELECT d.merchant_amount FROM wallet_deposits d JOIN wallets w ON w.id = d.wallet_id \
             WHERE w.shop_id = $1 AND d.currency = $2 AND d.credited = 1",
        )
        .bind(&shop.0)
        .bind(currency)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            ledger.deposits += decimal(row.try_get("merchant_amount")?)?;
        }
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT amount, fee, is_subtract, created_at FROM payouts \
             WHERE shop_id = $1 AND currency = $2 AND status NOT IN {UNPAID}"
        )))
        .bind(&shop.0)
        .bind(currency)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            let amount = decimal(row.try_get("amount")?)?;
            ledger.payouts += amount;
            if row.try_get::<i32, _>("is_subtract")? != 0 {
                ledger.payouts += decimal(row.try_get("fee")?)?;
            }
            if row.try_get::<i64, _>("created_at")? > now - 86_400 {
                ledger.paid_out_today += amount;
            }
        }
        Ok::<Ledger, StoreError>(ledger)
    }};
}

impl Store {
    /// Lets shop `name` make payouts, or stops it; `false` if there is no such shop.
    pub async fn set_payouts_allowed(&self, name: &str, allowed: bool) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET payouts_allowed = $2 WHERE name = $1")
                .bind(name)
                .bind(i32::from(allowed))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Sets what shop `name` may pay out beyond its ledger (see [`PayoutPolicy`]); `false` if
    /// there is no such shop.
    pub async fn set_payout_policy(
        &self,
        name: &str,
        policy: &PayoutPolicy,
    ) -> Result<bool, StoreError> {
        let json = (policy != &PayoutPolicy::default())
            .then(|| serde_json::to_string(policy))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET payout_policy = $2 WHERE name = $1")
                .bind(name)
                .bind(&json)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// What shop `id` may pay out: `None` if the operator did not allow it payouts.
    pub async fn payout_permission(&self, id: &ShopId) -> Result<Option<PayoutPolicy>, StoreError> {
        let row = with_pool!(self, pool => {
            let row = sqlx::query("SELECT payouts_allowed, payout_policy FROM shops WHERE id = $1")
                .bind(&id.0)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Some((
                    row.try_get::<i32, _>("payouts_allowed")? != 0,
                    row.try_get::<Option<String>, _>("payout_policy")?,
                )),
                None => None,
            }
        });
        match row {
            Some((true, policy)) => Ok(Some(match policy {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("payout policy: {e}")))?,
                None => PayoutPolicy::default(),
            })),
            _ => Ok(None),
        }
    }

    /// Shop `shop`'s ledger in `currency`, with "today" the 24 hours before `now`.
    pub async fn ledger(
        &self,
        shop: &ShopId,
        currency: &str,
        now: i64,
    ) -> Result<Ledger, StoreError> {
        with_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            ledger_of!(&mut *conn, shop, currency, now)
        })
    }

    /// Stores `payout` as [`REQUESTED`] if `check` accepts the shop's ledger in its coin, unless
    /// the shop has a payout with that order id. One shop's reservations run one at a time (the
    /// shop's row is locked), so two payouts cannot both spend the same money.
    pub async fn reserve_payout(
        &self,
        payout: &PayoutRecord,
        check: impl FnOnce(&Ledger) -> Result<(), String>,
    ) -> Result<Reservation, StoreError> {
        let by_order =
            format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE shop_id = $1 AND order_id = $2");
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // A write first: it locks the shop's row (PostgreSQL) or the database (SQLite) until
            // the transaction ends.
            sqlx::query("UPDATE shops SET payouts_allowed = payouts_allowed WHERE id = $1")
                .bind(&payout.shop_id.0)
                .execute(&mut *tx)
                .await?;
            let existing = sqlx::query(sqlx::AssertSqlSafe(by_order))
                .bind(&payout.shop_id.0)
                .bind(&payout.order_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = existing {
                return Ok(Reservation::Existing(payout_row!(row)?));
            }
            let ledger = ledger_of!(&mut *tx, &payout.shop_id, &payout.currency, payout.created_at)?;
            if let Err(message) = check(&ledger) {
                return Ok(Reservation::Refused(message));
            }
            sqlx::query(
                "INSERT INTO payouts (id, shop_id, order_id, amount, currency, network, address, \
                 is_subtract, status, fee, is_final, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $11)",
            )
            .bind(&payout.id)
            .bind(&payout.shop_id.0)
            .bind(&payout.order_id)
            .bind(payout.amount.to_string())
            .bind(&payout.currency)
            .bind(&payout.network)
            .bind(&payout.address)
            .bind(i32::from(payout.is_subtract))
            .bind(REQUESTED)
            .bind(payout.fee.to_string())
            .bind(payout.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(Reservation::Stored(PayoutRecord {
            status: REQUESTED.into(),
            ..payout.clone()
        }))
    }

    /// Takes the right to send payout `id` to the gateway: from [`REQUESTED`], or from a
    /// [`SUBMITTED`] last sent at `last_sent` (a resend, once the gateway said it does not know
    /// it). Only one caller wins; `true` for it.
    pub async fn claim_payout(
        &self,
        id: &str,
        last_sent: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE payouts SET status = 'submitted', submitted_at = $2, updated_at = $2 \
                 WHERE id = $1 AND is_final = 0 AND gateway_uuid IS NULL AND \
                 (status = 'requested' OR (status = 'submitted' AND submitted_at = $3))",
            )
            .bind(id)
            .bind(now)
            .bind(last_sent)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Payout `id` was refused by the gateway, which does not know it: final, with `error`.
    pub async fn reject_payout(&self, id: &str, error: &str, now: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE payouts SET status = 'rejected', error = $2, is_final = 1, updated_at = $3 \
                 WHERE id = $1 AND gateway_uuid IS NULL AND is_final = 0",
            )
            .bind(id)
            .bind(error)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records what the gateway says payment `gateway_uuid` of shop `shop`'s invoices brought to
    /// the merchant's balance in `currency` (the gateway's latest word replaces the earlier).
    pub async fn record_credit(
        &self,
        shop: &ShopId,
        gateway_uuid: &str,
        currency: &str,
        amount: Decimal,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO shop_credits (gateway_uuid, shop_id, currency, amount, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (gateway_uuid) DO UPDATE \
                 SET amount = excluded.amount, updated_at = excluded.updated_at",
            )
            .bind(gateway_uuid)
            .bind(&shop.0)
            .bind(currency)
            .bind(amount.to_string())
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Payout `id`.
    pub async fn payout(&self, id: &str) -> Result<Option<PayoutRecord>, StoreError> {
        let sql = format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE id = $1");
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.map(|row| payout_row!(row)).transpose()
        })
    }

    /// The shop's payout with its order id `order_id`.
    pub async fn payout_by_order(
        &self,
        shop: &ShopId,
        order_id: &str,
    ) -> Result<Option<PayoutRecord>, StoreError> {
        let sql =
            format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE shop_id = $1 AND order_id = $2");
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&shop.0)
                .bind(order_id)
                .fetch_optional(pool)
                .await?;
            row.map(|row| payout_row!(row)).transpose()
        })
    }

    /// The shop's payouts, newest first (500 at most).
    pub async fn payouts(&self, shop: &ShopId) -> Result<Vec<PayoutRecord>, StoreError> {
        let sql = format!(
            "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE shop_id = $1 \
             ORDER BY created_at DESC, id LIMIT 500"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&shop.0).fetch_all(pool).await?;
            rows.iter().map(|row| payout_row!(row)).collect()
        })
    }

    /// Payouts that are not final and have not changed since `before`: the reconciler asks the
    /// gateway about them (a webhook may have been lost) and sends those it never got (the
    /// request that stored them stopped). Oldest first, `limit` at most.
    pub async fn stale_payouts(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<PayoutRecord>, StoreError> {
        let sql = format!(
            "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE is_final = 0 AND updated_at < $1 ORDER BY updated_at LIMIT $2"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(before)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| payout_row!(row)).collect()
        })
    }

    /// Records what the gateway says of payout `id`, unless it is final already; queues a
    /// callback to the shop when the status changed. `true` if it changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_payout(
        &self,
        id: &str,
        gateway_uuid: &str,
        status: &str,
        txid: Option<&str>,
        is_final: bool,
        inbox: Option<(i64, &str)>,
        now: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE payouts SET gateway_uuid = $2, status = $3, txid = COALESCE($4, txid), \
                 is_final = $5, updated_at = $6 WHERE id = $1 AND is_final = 0 \
                 AND (status <> $3 OR gateway_uuid IS NULL OR (CAST($4 AS TEXT) IS NOT NULL AND txid IS NULL))",
            )
            .bind(id)
            .bind(gateway_uuid)
            .bind(status)
            .bind(txid)
            .bind(i32::from(is_final))
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if changed {
                let shop: String = sqlx::query("SELECT shop_id FROM payouts WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("shop_id")?;
                queue_event!(tx, shop, "payout", id, status, now);
            }
            if let Some((webhook, outcome)) = inbox {
                mark_webhook_done!(tx, webhook, outcome, now);
            }
            tx.commit().await?;
            Ok(changed)
        })
    }
}
