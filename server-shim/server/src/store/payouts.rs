//! Payouts from the merchant's balance, and which shops may make them.

use super::wallets::QUEUE_EVENT;
use super::{MARK_WEBHOOK_DONE, Store, StoreError, decimal};
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
    /// `new` before the gateway took it; then the gateway's (`process`, `paid`, `fail`...).
    pub status: String,
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
            txid: row.try_get("txid")?,
            is_final: row.try_get::<i32, _>("is_final")? != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }};
}

const PAYOUT_COLUMNS: &str = "id, shop_id, order_id, amount, currency, network, address, \
    is_subtract, gateway_uuid, status, txid, is_final, created_at, updated_at";

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

    /// Whether shop `id` may make payouts.
    pub async fn payouts_allowed(&self, id: &ShopId) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT payouts_allowed FROM shops WHERE id = $1")
                .bind(&id.0)
                .fetch_optional(pool)
                .await?;
            Ok(match row {
                Some(row) => row.try_get::<i32, _>("payouts_allowed")? != 0,
                None => false,
            })
        })
    }

    /// Stores a new payout, unless the shop has one with that order id: `false` then.
    pub async fn insert_payout(&self, payout: &PayoutRecord) -> Result<bool, StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO payouts (id, shop_id, order_id, amount, currency, network, address, \
                 is_subtract, status, is_final, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10) \
                 ON CONFLICT (shop_id, order_id) DO NOTHING",
            )
            .bind(&payout.id)
            .bind(&payout.shop_id.0)
            .bind(&payout.order_id)
            .bind(payout.amount.to_string())
            .bind(&payout.currency)
            .bind(&payout.network)
            .bind(&payout.address)
            .bind(i32::from(payout.is_subtract))
            .bind(&payout.status)
            .bind(payout.created_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
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

    /// Payouts the gateway took that are not final and have not changed since `before`: the
    /// reconciler asks about them, in case a webhook was lost. Oldest first, `limit` at most.
    pub async fn stale_payouts(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<PayoutRecord>, StoreError> {
        let sql = format!(
            "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE is_final = 0 AND gateway_uuid IS NOT NULL \
             AND updated_at < $1 ORDER BY updated_at LIMIT $2"
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

    /// Forgets payout `id` if the gateway never took it (a refused request), so that a corrected
    /// request with the same order id starts afresh.
    pub async fn delete_unsent_payout(&self, id: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM payouts WHERE id = $1 AND gateway_uuid IS NULL")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
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
                sqlx::query(QUEUE_EVENT)
                    .bind(
                        sqlx::query("SELECT shop_id FROM payouts WHERE id = $1")
                            .bind(id)
                            .fetch_one(&mut *tx)
                            .await?
                            .try_get::<String, _>("shop_id")?,
                    )
                    .bind("payout")
                    .bind(id)
                    .bind(status)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((webhook, outcome)) = inbox {
                sqlx::query(MARK_WEBHOOK_DONE)
                .bind(webhook)
                .bind(outcome)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }
}
