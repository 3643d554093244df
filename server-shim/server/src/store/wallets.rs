//! Static deposit addresses, what reaches them, and the callbacks that tell shops.

use super::{Store, StoreError, decimal};
use crate::domain::ShopId;
use rust_decimal::Decimal;
use sqlx::Row;

/// A static deposit address of one shop's customer, for one coin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletRecord {
    /// `wal_` and 24 hex digits; also the gateway's `order_id` for it.
    pub id: String,
    /// The shop.
    pub shop_id: ShopId,
    /// The shop's reference for its customer.
    pub customer: String,
    /// Coin code, upper case.
    pub currency: String,
    /// Network code, lower case.
    pub network: String,
    /// The gateway's wallet uuid, once made there.
    pub gateway_uuid: Option<String>,
    /// The address, once made there.
    pub address: Option<String>,
    /// Takes no more deposits.
    pub blocked: bool,
    /// When it was asked for.
    pub created_at: i64,
}

/// Coins that reached a wallet: one per gateway payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositRecord {
    /// The gateway's payment uuid.
    pub gateway_uuid: String,
    /// The wallet.
    pub wallet_id: String,
    /// The chain transaction.
    pub txid: Option<String>,
    /// What the payer sent.
    pub amount: Decimal,
    /// What the shop gets after the gateway's commission.
    pub merchant_amount: Decimal,
    /// Coin code.
    pub currency: String,
    /// The gateway's status (`paid`, `confirm_check`...), or `review`.
    pub status: String,
    /// Why it is in review: what did not agree.
    pub review_reason: Option<String>,
    /// Final and paid: counts in the customer's credit.
    pub credited: bool,
    /// The gateway's status will not change any more.
    pub is_final: bool,
    /// When it was first heard of.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// What recording a deposit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositChange {
    /// A deposit not seen before.
    New,
    /// A known deposit moved on (e.g. confirmed, so now credited).
    Advanced,
    /// Nothing new: a repeated or older webhook.
    Unchanged,
}

macro_rules! wallet_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<_, StoreError>(WalletRecord {
            id: row.try_get("id")?,
            shop_id: ShopId(row.try_get("shop_id")?),
            customer: row.try_get("customer")?,
            currency: row.try_get("currency")?,
            network: row.try_get("network")?,
            gateway_uuid: row.try_get("gateway_uuid")?,
            address: row.try_get("address")?,
            blocked: row.try_get::<i32, _>("blocked")? != 0,
            created_at: row.try_get("created_at")?,
        })
    }};
}

macro_rules! deposit_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<_, StoreError>(DepositRecord {
            gateway_uuid: row.try_get("gateway_uuid")?,
            wallet_id: row.try_get("wallet_id")?,
            txid: row.try_get("txid")?,
            amount: decimal(row.try_get("amount")?)?,
            merchant_amount: decimal(row.try_get("merchant_amount")?)?,
            currency: row.try_get("currency")?,
            status: row.try_get("status")?,
            review_reason: row.try_get("review_reason")?,
            credited: row.try_get::<i32, _>("credited")? != 0,
            is_final: row.try_get::<i32, _>("is_final")? != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }};
}

const WALLET_COLUMNS: &str =
    "id, shop_id, customer, currency, network, gateway_uuid, address, blocked, created_at";

const DEPOSIT_COLUMNS: &str = "gateway_uuid, wallet_id, txid, amount, merchant_amount, currency, \
    status, review_reason, credited, is_final, created_at, updated_at";

impl Store {
    /// Stores a new wallet, unless the shop has one for that customer and coin: `false` then.
    pub async fn insert_wallet(&self, wallet: &WalletRecord) -> Result<bool, StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO wallets (id, shop_id, customer, currency, network, blocked, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6) \
                 ON CONFLICT (shop_id, customer, currency, network) DO NOTHING",
            )
            .bind(&wallet.id)
            .bind(&wallet.shop_id.0)
            .bind(&wallet.customer)
            .bind(&wallet.currency)
            .bind(&wallet.network)
            .bind(wallet.created_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Wallet `id`.
    pub async fn wallet(&self, id: &str) -> Result<Option<WalletRecord>, StoreError> {
        let sql = format!("SELECT {WALLET_COLUMNS} FROM wallets WHERE id = $1");
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.map(|row| wallet_row!(row)).transpose()
        })
    }

    /// The shop's wallet for `customer` and a coin.
    pub async fn wallet_for(
        &self,
        shop: &ShopId,
        customer: &str,
        currency: &str,
        network: &str,
    ) -> Result<Option<WalletRecord>, StoreError> {
        let sql = format!(
            "SELECT {WALLET_COLUMNS} FROM wallets WHERE shop_id = $1 AND customer = $2 \
             AND currency = $3 AND network = $4"
        );
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&shop.0)
                .bind(customer)
                .bind(currency)
                .bind(network)
                .fetch_optional(pool)
                .await?;
            row.map(|row| wallet_row!(row)).transpose()
        })
    }

    /// The shop's wallets, newest first; only `customer`'s when given.
    pub async fn wallets(
        &self,
        shop: &ShopId,
        customer: Option<&str>,
    ) -> Result<Vec<WalletRecord>, StoreError> {
        let sql = format!(
            "SELECT {WALLET_COLUMNS} FROM wallets WHERE shop_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR customer = $2) ORDER BY created_at DESC, id LIMIT 500"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&shop.0)
                .bind(customer)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| wallet_row!(row)).collect()
        })
    }

    /// Records the gateway's wallet for `id`.
    pub async fn attach_wallet(
        &self,
        id: &str,
        gateway_uuid: &str,
        address: &str,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE wallets SET gateway_uuid = $2, address = $3 WHERE id = $1")
                .bind(id)
                .bind(gateway_uuid)
                .bind(address)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Forgets wallet `id` if the gateway never made it (a refused request).
    pub async fn delete_unattached_wallet(&self, id: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM wallets WHERE id = $1 AND gateway_uuid IS NULL")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Marks wallet `id` blocked.
    pub async fn block_wallet(&self, id: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE wallets SET blocked = 1 WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The wallet's deposits, oldest first.
    pub async fn deposits(&self, wallet: &str) -> Result<Vec<DepositRecord>, StoreError> {
        let sql = format!(
            "SELECT {DEPOSIT_COLUMNS} FROM wallet_deposits WHERE wallet_id = $1 \
             ORDER BY created_at, gateway_uuid"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(wallet).fetch_all(pool).await?;
            rows.iter().map(|row| deposit_row!(row)).collect()
        })
    }

    /// Deposit `uuid`.
    pub async fn deposit(&self, uuid: &str) -> Result<Option<DepositRecord>, StoreError> {
        let sql = format!("SELECT {DEPOSIT_COLUMNS} FROM wallet_deposits WHERE gateway_uuid = $1");
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(uuid).fetch_optional(pool).await?;
            row.map(|row| deposit_row!(row)).transpose()
        })
    }

    /// Records what a wallet webhook says of a deposit, in one transaction with what follows:
    /// a deposit seen for the first time is stored; a known one (by its uuid, or by its
    /// transaction under another uuid) only moves forward: a final deposit never changes again,
    /// and a repeated status changes nothing unless it is the final word; each change queues a
    /// callback to the shop when it has a callback URL; and the inbox webhook is marked done.
    pub async fn record_deposit(
        &self,
        deposit: &DepositRecord,
        shop: &ShopId,
        inbox: Option<(i64, &str)>,
        now: i64,
    ) -> Result<DepositChange, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO wallet_deposits (gateway_uuid, wallet_id, txid, amount, merchant_amount, \
                 currency, status, credited, created_at, updated_at, is_final, review_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) ON CONFLICT DO NOTHING",
            )
            .bind(&deposit.gateway_uuid)
            .bind(&deposit.wallet_id)
            .bind(&deposit.txid)
            .bind(deposit.amount.to_string())
            .bind(deposit.merchant_amount.to_string())
            .bind(&deposit.currency)
            .bind(&deposit.status)
            .bind(i32::from(deposit.credited))
            .bind(now)
            .bind(i32::from(deposit.is_final))
            .bind(&deposit.review_reason)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            // The entry this deposit is: its own uuid, or the transaction's entry under another.
            let subject: Option<String> = if inserted {
                Some(deposit.gateway_uuid.clone())
            } else {
                sqlx::query(
                    "SELECT gateway_uuid FROM wallet_deposits WHERE gateway_uuid = $1 \
                     OR (wallet_id = $2 AND txid = $3) ORDER BY created_at LIMIT 1",
                )
                .bind(&deposit.gateway_uuid)
                .bind(&deposit.wallet_id)
                .bind(&deposit.txid)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get::<String, _>("gateway_uuid"))
                .transpose()?
            };
            let change = match &subject {
                _ if inserted => DepositChange::New,
                None => DepositChange::Unchanged,
                Some(stored) => {
                    if *stored != deposit.gateway_uuid {
                        tracing::warn!(deposit = %deposit.gateway_uuid, entry = %stored,
                            "a deposit reported under a second uuid for the same transaction: one entry");
                    }
                    // News only while it is not final, and only if the status moved or this is
                    // the final word on it.
                    let updated = sqlx::query(
                        "UPDATE wallet_deposits SET status = $2, credited = $3, merchant_amount = $4, \
                         updated_at = $5, is_final = $6, txid = COALESCE(txid, $7), review_reason = $8 \
                         WHERE gateway_uuid = $1 AND is_final = 0 AND (status <> $2 OR $6 = 1)",
                    )
                    .bind(stored)
                    .bind(&deposit.status)
                    .bind(i32::from(deposit.credited))
                    .bind(deposit.merchant_amount.to_string())
                    .bind(now)
                    .bind(i32::from(deposit.is_final))
                    .bind(&deposit.txid)
                    .bind(&deposit.review_reason)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if updated == 1 {
                        DepositChange::Advanced
                    } else {
                        DepositChange::Unchanged
                    }
                }
            };
            if let (Some(subject), true) = (&subject, change != DepositChange::Unchanged) {
                queue_event!(tx, &shop.0, "deposit", subject, &deposit.status, now);
            }
            if let Some((webhook, outcome)) = inbox {
                mark_webhook_done!(tx, webhook, outcome, now);
            }
            tx.commit().await?;
            Ok(change)
        })
    }
}
