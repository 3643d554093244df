//! Durable state: shops, invoices and their event log, in SQLite (the default) or PostgreSQL.
//!
//! The backend is picked from the URL scheme. Both run the same SQL (`$1` placeholders work in
//! both); each owns its migrations under `migrations/<backend>/`. Queries are written once and
//! expanded per backend by [`with_pool!`], so a row is decoded with the concrete driver's types.

use crate::domain::{InvoiceRecord, NewInvoice, Shop, ShopId};
use rust_decimal::Decimal;
use shim_api::{InvoiceId, InvoiceStatus};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, SqlSafeStr};
use std::str::FromStr;
use std::time::Duration;

/// What can fail in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL has a scheme we do not support.
    #[error("unsupported database url scheme (use sqlite://... or postgres://...)")]
    UnsupportedUrl,
    /// The database refused or failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row holds something this build cannot read.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A shop with that name exists.
    #[error("a shop named {0:?} already exists")]
    DuplicateShop(String),
}

/// The store: a pool of one backend. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite, one file (or memory) per shim; an in-memory database comes with the connection
    /// that keeps it alive.
    Sqlite(SqlitePool, Option<MemoryKeeper>),
    /// PostgreSQL, shared by several shims.
    Postgres(PgPool),
}

/// The connection that keeps an in-memory SQLite database alive (see [`Store::connect`]).
#[derive(Debug, Clone)]
pub struct MemoryKeeper {
    _connection: std::sync::Arc<std::sync::Mutex<sqlx::SqliteConnection>>,
}

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool, _) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

/// Turns a row of `invoices` into a record, for either backend.
macro_rules! invoice_row {
    ($row:expr) => {{
        let row = $row;
        InvoiceRecord {
            id: InvoiceId::parse(row.try_get::<&str, _>("id")?)
                .ok_or_else(|| StoreError::Corrupt("invoice id".into()))?,
            shop_id: ShopId(row.try_get("shop_id")?),
            order_id: row.try_get("order_id")?,
            amount: decimal(row.try_get("amount")?)?,
            currency: row.try_get("currency")?,
            network: row.try_get("network")?,
            to_currency: row.try_get("to_currency")?,
            lifetime: row.try_get::<Option<i64>, _>("lifetime")?.map(|l| l as u32),
            url_return: row.try_get("url_return")?,
            url_success: row.try_get("url_success")?,
            platform_order_ref: row.try_get("platform_order_ref")?,
            shop_order: row.try_get::<i32, _>("shop_order")? != 0,
            gateway_uuid: row.try_get("gateway_uuid")?,
            gateway_status: row.try_get("gateway_status")?,
            payer_amount: row
                .try_get::<Option<String>, _>("payer_amount")?
                .map(decimal)
                .transpose()?,
            payer_currency: row.try_get("payer_currency")?,
            address: row.try_get("address")?,
            paid_amount: decimal(row.try_get("paid_amount")?)?,
            status: InvoiceStatus::parse(row.try_get::<&str, _>("status")?)
                .ok_or_else(|| StoreError::Corrupt("invoice status".into()))?,
            review_reason: row.try_get("review_reason")?,
            checked_at: row.try_get("checked_at")?,
            version: row.try_get("version")?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

/// Turns a row of `webhook_inbox` into a webhook, for either backend.
macro_rules! inbox_row {
    ($row:expr) => {{
        let row = $row;
        Ok(InboxWebhook {
            id: row.try_get("id")?,
            webhook: NewWebhook {
                kind: row.try_get("kind")?,
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

const INBOX_COLUMNS: &str = "id, kind, order_id, gateway_uuid, gateway_status, body, received_at, \
    attempts, processed_at, outcome";

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

fn decimal(text: String) -> Result<Decimal, StoreError> {
    Decimal::from_str(&text).map_err(|_| StoreError::Corrupt(format!("decimal {text:?}")))
}

/// What the gateway said about an invoice when it was created there.
#[derive(Debug, Clone)]
pub struct GatewayDetails {
    /// The gateway's payment uuid.
    pub uuid: String,
    /// The gateway's status.
    pub status: String,
    /// What the payer must send.
    pub payer_amount: Option<Decimal>,
    /// The payer's coin.
    pub payer_currency: Option<String>,
    /// The network.
    pub network: Option<String>,
    /// The deposit address.
    pub address: Option<String>,
    /// Expiry, unix seconds.
    pub expires_at: i64,
}

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

/// One of an invoice's payments at the gateway (one per coin the payer picked).
#[derive(Debug, Clone)]
pub struct InvoicePayment {
    /// The order id the gateway knows it by: the invoice id, then `<invoice id>-<n>`.
    pub gateway_order_id: String,
    /// What the gateway said when it was made.
    pub details: GatewayDetails,
}

/// What is written with an invoice change, in the same transaction.
#[derive(Debug, Default)]
pub struct WithChange<'a> {
    /// Queue a callback to the shop (the status changed).
    pub notify_shop: bool,
    /// The change's line in the invoice's history.
    pub event: Option<&'a InvoiceEvent>,
    /// The inbox webhook that brought the change, and what became of it.
    pub webhook: Option<(i64, String)>,
}

/// A change to apply to an invoice, guarded by the version it was computed from.
#[derive(Debug, Clone)]
pub struct InvoiceUpdate {
    /// The new status.
    pub status: InvoiceStatus,
    /// The gateway's status as reported.
    pub gateway_status: String,
    /// Everything received so far.
    pub paid_amount: Decimal,
    /// The payer's amount, if the gateway changed it (a coin was picked).
    pub payer_amount: Option<Decimal>,
    /// The deposit address, if the gateway set it.
    pub address: Option<String>,
    /// Why the invoice needs review, when `status` is `review`.
    pub review_reason: Option<String>,
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

/// A verified gateway webhook as received, before it is processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// `payment`, `wallet`, ...
    pub kind: String,
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

/// One line of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceEvent {
    /// Where it came from (`ipn`, `create`, ...).
    pub source: String,
    /// The gateway's status at the time.
    pub gateway_status: Option<String>,
    /// What the shim did with it.
    pub outcome: String,
    /// The invoice version after the event.
    pub version: i64,
}

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

/// Marks inbox webhook `$1` done with outcome `$2` at `$3`, in the transaction of the change it
/// made.
const MARK_WEBHOOK_DONE: &str = "UPDATE webhook_inbox SET attempts = attempts + 1, outcome = $2, processed_at = $3 WHERE id = $1";

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "review reason",
        include_str!("../../migrations/sqlite/0002_review_reason.sql"),
    ),
    (
        3,
        "checked at",
        include_str!("../../migrations/sqlite/0003_checked_at.sql"),
    ),
    (
        4,
        "outbox",
        include_str!("../../migrations/sqlite/0004_outbox.sql"),
    ),
    (
        5,
        "webhook inbox",
        include_str!("../../migrations/sqlite/0005_webhook_inbox.sql"),
    ),
    (
        6,
        "invoice payments",
        include_str!("../../migrations/sqlite/0006_invoice_payments.sql"),
    ),
    (
        7,
        "shop platform",
        include_str!("../../migrations/sqlite/0007_shop_platform.sql"),
    ),
    (
        8,
        "platform connects",
        include_str!("../../migrations/sqlite/0008_platform_connects.sql"),
    ),
    (
        9,
        "links",
        include_str!("../../migrations/sqlite/0009_links.sql"),
    ),
    (
        10,
        "buttons",
        include_str!("../../migrations/sqlite/0010_buttons.sql"),
    ),
    (
        11,
        "platform webhooks",
        include_str!("../../migrations/sqlite/0011_platform_webhooks.sql"),
    ),
    (
        12,
        "shop order",
        include_str!("../../migrations/sqlite/0012_shop_order.sql"),
    ),
    (
        13,
        "shopify sessions",
        include_str!("../../migrations/sqlite/0013_shopify_sessions.sql"),
    ),
    (
        14,
        "wallets",
        include_str!("../../migrations/sqlite/0014_wallets.sql"),
    ),
    (
        15,
        "payouts",
        include_str!("../../migrations/sqlite/0015_payouts.sql"),
    ),
    (
        16,
        "webhook hash",
        include_str!("../../migrations/sqlite/0016_webhook_hash.sql"),
    ),
    (
        17,
        "link invoices",
        include_str!("../../migrations/sqlite/0017_link_invoices.sql"),
    ),
    (
        18,
        "payout ledger",
        include_str!("../../migrations/sqlite/0018_payout_ledger.sql"),
    ),
    (
        19,
        "deposit review",
        include_str!("../../migrations/sqlite/0019_deposit_review.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "review reason",
        include_str!("../../migrations/postgres/0002_review_reason.sql"),
    ),
    (
        3,
        "checked at",
        include_str!("../../migrations/postgres/0003_checked_at.sql"),
    ),
    (
        4,
        "outbox",
        include_str!("../../migrations/postgres/0004_outbox.sql"),
    ),
    (
        5,
        "webhook inbox",
        include_str!("../../migrations/postgres/0005_webhook_inbox.sql"),
    ),
    (
        6,
        "invoice payments",
        include_str!("../../migrations/postgres/0006_invoice_payments.sql"),
    ),
    (
        7,
        "shop platform",
        include_str!("../../migrations/postgres/0007_shop_platform.sql"),
    ),
    (
        8,
        "platform connects",
        include_str!("../../migrations/postgres/0008_platform_connects.sql"),
    ),
    (
        9,
        "links",
        include_str!("../../migrations/postgres/0009_links.sql"),
    ),
    (
        10,
        "buttons",
        include_str!("../../migrations/postgres/0010_buttons.sql"),
    ),
    (
        11,
        "platform webhooks",
        include_str!("../../migrations/postgres/0011_platform_webhooks.sql"),
    ),
    (
        12,
        "shop order",
        include_str!("../../migrations/postgres/0012_shop_order.sql"),
    ),
    (
        13,
        "shopify sessions",
        include_str!("../../migrations/postgres/0013_shopify_sessions.sql"),
    ),
    (
        14,
        "wallets",
        include_str!("../../migrations/postgres/0014_wallets.sql"),
    ),
    (
        15,
        "payouts",
        include_str!("../../migrations/postgres/0015_payouts.sql"),
    ),
    (
        16,
        "webhook hash",
        include_str!("../../migrations/postgres/0016_webhook_hash.sql"),
    ),
    (
        17,
        "link invoices",
        include_str!("../../migrations/postgres/0017_link_invoices.sql"),
    ),
    (
        18,
        "payout ledger",
        include_str!("../../migrations/postgres/0018_payout_ledger.sql"),
    ),
    (
        19,
        "deposit review",
        include_str!("../../migrations/postgres/0019_deposit_review.sql"),
    ),
];

fn migrator(migrations: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        migrations
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    (*description).into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

const INVOICE_COLUMNS: &str = "id, shop_id, order_id, amount, currency, network, to_currency, lifetime, \
    url_return, url_success, platform_order_ref, shop_order, gateway_uuid, gateway_status, payer_amount, \
    payer_currency, address, paid_amount, status, review_reason, checked_at, version, expires_at, \
    created_at, updated_at";

impl Store {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://...`). SQLite files are
    /// created on first use and run in WAL mode.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(if memory {
                    SqliteJournalMode::Memory
                } else {
                    SqliteJournalMode::Wal
                })
                .foreign_keys(true)
                // With WAL, NORMAL never corrupts the file; a power cut may lose the last
                // commits, which the gateway's retries and the reconciler bring back.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            // An in-memory database lives as long as a connection to it is open. The pool's own
            // connection is not enough: a query dropped half-way (a payer who leaves during a
            // read) makes the pool close that connection and open a fresh one, to an empty
            // database. A connection of our own, never used, keeps it.
            let keeper = if memory {
                let connection = sqlx::ConnectOptions::connect(&options).await?;
                Some(MemoryKeeper {
                    _connection: std::sync::Arc::new(std::sync::Mutex::new(connection)),
                })
            } else {
                None
            };
            let pool = if memory {
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
            } else {
                // Each SQLite connection is a thread of its own, and writes take turns anyway:
                // more connections than twice the cores only add context switches (measured
                // with the intake benchmark: 8 on 2 cores took 10-20% more time than 4).
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
                SqlitePoolOptions::new().max_connections((cores * 2).clamp(2, 8))
            };
            Ok(Store::Sqlite(pool.connect_with(options).await?, keeper))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// Which backend this is, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(..) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Applies the backend's pending migrations (locked, so concurrent starts are safe).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool, _) => migrator(SQLITE_MIGRATIONS).run(pool).await?,
            Store::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }

    /// Registers a shop with the hash of its token.
    pub async fn create_shop(
        &self,
        shop: &Shop,
        token_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let result = with_pool!(self, pool => {
            sqlx::query("INSERT INTO shops (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&shop.id.0)
                .bind(&shop.name)
                .bind(token_hash)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::DuplicateShop(shop.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Gives the shop named `name` a new token hash, creating the shop if needed.
    pub async fn upsert_shop_token(
        &self,
        shop: &Shop,
        token_hash: &str,
        now: i64,
    ) -> Result<Shop, StoreError> {
        let row = with_pool!(self, pool => {
            let row = sqlx::query(
                "INSERT INTO shops (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash RETURNING id, name",
            )
            .bind(&shop.id.0)
            .bind(&shop.name)
            .bind(token_hash)
            .bind(now)
            .fetch_one(pool)
            .await?;
            Shop { id: ShopId(row.try_get("id")?), name: row.try_get("name")? }
        });
        Ok(row)
    }

    /// The shop whose token hashes to `token_hash`.
    pub async fn shop_by_token_hash(&self, token_hash: &str) -> Result<Option<Shop>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT id, name FROM shops WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?;
            row.map(|row| Ok(Shop { id: ShopId(row.try_get("id")?), name: row.try_get("name")? })).transpose()
        })
    }

    /// Replaces the token of the shop named `name`; `false` if there is no such shop. The old
    /// token stops working at once.
    pub async fn rotate_shop_token(
        &self,
        name: &str,
        token_hash: &str,
    ) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET token_hash = $2 WHERE name = $1")
                .bind(name)
                .bind(token_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Removes the shop named `name` if it never created an invoice (invoices keep their shop for
    /// the record). `Ok(None)` when there is no such shop, `Ok(Some(n))` with the number of
    /// invoices that keep it when it was not removed, `Ok(Some(0))` when it was.
    pub async fn remove_shop(&self, name: &str) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT s.id, (SELECT COUNT(*) FROM invoices i WHERE i.shop_id = s.id) AS invoices \
                 FROM shops s WHERE s.name = $1",
            )
            .bind(name)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let (id, invoices): (String, i64) = (row.try_get("id")?, row.try_get("invoices")?);
            if invoices > 0 {
                return Ok(Some(invoices));
            }
            sqlx::query("DELETE FROM shops WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM invoices WHERE shop_id = $1)")
                .bind(&id)
                .execute(pool)
                .await?;
            Ok(Some(0))
        })
    }

    /// Every shop, by name.
    pub async fn list_shops(&self) -> Result<Vec<Shop>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, name FROM shops ORDER BY name").fetch_all(pool).await?;
            rows.iter()
                .map(|row| Ok(Shop { id: ShopId(row.try_get("id")?), name: row.try_get("name")? }))
                .collect()
        })
    }

    /// Inserts a new invoice unless the shop already has one for that order id. Returns the
    /// invoice stored for the order, and whether this call created it.
    pub async fn insert_invoice(
        &self,
        new: &NewInvoice,
        now: i64,
    ) -> Result<(InvoiceRecord, bool), StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO invoices (id, shop_id, order_id, amount, currency, network, to_currency, \
                 lifetime, url_return, url_success, platform_order_ref, status, version, created_at, updated_at, shop_order) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $13, $14) \
                 ON CONFLICT (shop_id, order_id) DO NOTHING",
            )
            .bind(new.id.as_str())
            .bind(&new.shop_id.0)
            .bind(&new.order_id)
            .bind(new.amount.to_string())
            .bind(&new.currency)
            .bind(&new.network)
            .bind(&new.to_currency)
            .bind(new.lifetime.map(i64::from))
            .bind(&new.url_return)
            .bind(&new.url_success)
            .bind(&new.platform_order_ref)
            .bind(InvoiceStatus::Pending.as_str())
            .bind(now)
            .bind(i32::from(new.shop_order))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        });
        let record = self
            .invoice_by_order(&new.shop_id, &new.order_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("invoice vanished after insert".into()))?;
        Ok((record, inserted))
    }

    /// The shop's invoice for `order_id`, if there is one.
    pub async fn invoice_by_order(
        &self,
        shop: &ShopId,
        order_id: &str,
    ) -> Result<Option<InvoiceRecord>, StoreError> {
        with_pool!(self, pool => {
            let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE shop_id = $1 AND order_id = $2");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&shop.0).bind(order_id).fetch_optional(pool).await?;
            row.map(|row| Ok(invoice_row!(&row))).transpose()
        })
    }

    /// The invoice with id `id`.
    pub async fn invoice(&self, id: &InvoiceId) -> Result<Option<InvoiceRecord>, StoreError> {
        with_pool!(self, pool => {
            let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_str()).fetch_optional(pool).await?;
            row.map(|row| Ok(invoice_row!(&row))).transpose()
        })
    }

    /// Records the gateway's invoice on ours; the first change the payer can see (version 1).
    pub async fn attach_gateway(
        &self,
        id: &InvoiceId,
        gw: &GatewayDetails,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE invoices SET gateway_uuid = $2, gateway_status = $3, payer_amount = $4, payer_currency = $5, \
                 network = COALESCE($6, network), address = $7, expires_at = $8, version = version + 1, updated_at = $9 \
                 WHERE id = $1 AND gateway_uuid IS NULL",
            )
            .bind(id.as_str())
            .bind(&gw.uuid)
            .bind(&gw.status)
            .bind(gw.payer_amount.map(|a| a.to_string()))
            .bind(&gw.payer_currency)
            .bind(&gw.network)
            .bind(&gw.address)
            .bind(gw.expires_at)
            .bind(now)
            .execute(pool)
            .await?;
        });
        self.insert_payment(
            id,
            &InvoicePayment {
                gateway_order_id: id.as_str().to_owned(),
                details: gw.clone(),
            },
            now,
        )
        .await
    }

    async fn insert_payment(
        &self,
        id: &InvoiceId,
        payment: &InvoicePayment,
        now: i64,
    ) -> Result<(), StoreError> {
        let gw = &payment.details;
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO invoice_payments (gateway_uuid, invoice_id, gateway_order_id, gateway_status, \
                 payer_amount, payer_currency, network, address, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (gateway_uuid) DO NOTHING",
            )
            .bind(&gw.uuid)
            .bind(id.as_str())
            .bind(&payment.gateway_order_id)
            .bind(&gw.status)
            .bind(gw.payer_amount.map(|a| a.to_string()))
            .bind(&gw.payer_currency)
            .bind(&gw.network)
            .bind(&gw.address)
            .bind(gw.expires_at)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The invoice's payments at the gateway, oldest first.
    pub async fn payments(&self, id: &InvoiceId) -> Result<Vec<InvoicePayment>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT gateway_uuid, gateway_order_id, gateway_status, payer_amount, payer_currency, \
                 network, address, expires_at FROM invoice_payments WHERE invoice_id = $1 \
                 ORDER BY created_at, gateway_order_id",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(InvoicePayment {
                        gateway_order_id: row.try_get("gateway_order_id")?,
                        details: GatewayDetails {
                            uuid: row.try_get("gateway_uuid")?,
                            status: row.try_get("gateway_status")?,
                            payer_amount: row
                                .try_get::<Option<String>, _>("payer_amount")?
                                .map(decimal)
                                .transpose()?,
                            payer_currency: row.try_get("payer_currency")?,
                            network: row.try_get("network")?,
                            address: row.try_get("address")?,
                            expires_at: row.try_get("expires_at")?,
                        },
                    })
                })
                .collect()
        })
    }

    /// Makes `payment` the invoice's current one (recording it first if it is new), if the
    /// invoice is still at `expected_version`; `false` if someone changed it since.
    pub async fn switch_payment(
        &self,
        id: &InvoiceId,
        expected_version: i64,
        payment: &InvoicePayment,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.insert_payment(id, payment, now).await?;
        let gw = &payment.details;
        let affected = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE invoices SET gateway_uuid = $3, gateway_status = $4, payer_amount = $5, \
                 payer_currency = $6, network = $7, address = $8, expires_at = $9, \
                 version = version + 1, updated_at = $10 WHERE id = $1 AND version = $2",
            )
            .bind(id.as_str())
            .bind(expected_version)
            .bind(&gw.uuid)
            .bind(&gw.status)
            .bind(gw.payer_amount.map(|a| a.to_string()))
            .bind(&gw.payer_currency)
            .bind(&gw.network)
            .bind(&gw.address)
            .bind(gw.expires_at)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Deletes an invoice the gateway never accepted (no gateway uuid, no history).
    pub async fn delete_unattached(&self, id: &InvoiceId) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM invoices WHERE id = $1 AND gateway_uuid IS NULL")
                .bind(id.as_str())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Applies `update` if the invoice is still at `expected_version`; returns whether it was.
    /// With `notify_shop`, the same transaction queues a callback to the shop (when it has a
    /// callback URL), so a change is never applied without its notice.
    pub async fn apply_update(
        &self,
        id: &InvoiceId,
        expected_version: i64,
        update: &InvoiceUpdate,
        now: i64,
        with: WithChange<'_>,
    ) -> Result<bool, StoreError> {
        let WithChange {
            notify_shop,
            event,
            webhook: inbox,
        } = with;
        let affected = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let affected = sqlx::query(
                "UPDATE invoices SET status = $3, gateway_status = $4, paid_amount = $5, \
                 payer_amount = COALESCE($6, payer_amount), address = COALESCE($7, address), \
                 review_reason = $9, version = version + 1, updated_at = $8 WHERE id = $1 AND version = $2",
            )
            .bind(id.as_str())
            .bind(expected_version)
            .bind(update.status.as_str())
            .bind(&update.gateway_status)
            .bind(update.paid_amount.to_string())
            .bind(update.payer_amount.map(|a| a.to_string()))
            .bind(&update.address)
            .bind(now)
                        .bind(&update.review_reason)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if affected == 1 && notify_shop {
                sqlx::query(
                    "INSERT INTO outbox (shop_id, invoice_id, version, status, next_attempt_at, created_at) \
                     SELECT i.shop_id, i.id, i.version, 'pending', $2, $2 FROM invoices i \
                     JOIN shops s ON s.id = i.shop_id WHERE i.id = $1 \
                     AND (s.callback_url IS NOT NULL OR s.platform_config IS NOT NULL)",
                )
                .bind(id.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(event) = event.filter(|_| affected == 1) {
                sqlx::query(
                    "INSERT INTO invoice_events (invoice_id, source, gateway_status, outcome, version, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id.as_str())
                .bind(&event.source)
                .bind(&event.gateway_status)
                .bind(&event.outcome)
                .bind(event.version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            // The webhook that brought the change is done in the same breath.
            if let Some((webhook, outcome)) = inbox.as_ref().filter(|_| affected == 1) {
                sqlx::query(MARK_WEBHOOK_DONE)
                .bind(webhook)
                .bind(outcome)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            affected
        });
        Ok(affected == 1)
    }

    /// Sets (or, with `None`, clears) where a shop is told of changes, and the secret that signs
    /// the callbacks; `false` if there is no such shop.
    pub async fn set_shop_callback(
        &self,
        name: &str,
        callback: Option<(&str, &str)>,
    ) -> Result<bool, StoreError> {
        let (url, secret) = callback.unzip();
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET callback_url = $2, callback_secret = $3 WHERE name = $1")
                .bind(name)
                .bind(url)
                .bind(secret)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// A shop's callback URL and signing secret, if it has one.
    pub async fn shop_callback(
        &self,
        shop: &ShopId,
    ) -> Result<Option<(String, String)>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT callback_url, callback_secret FROM shops WHERE id = $1")
                .bind(&shop.0)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(None) };
            let url: Option<String> = row.try_get("callback_url")?;
            let secret: Option<String> = row.try_get("callback_secret")?;
            Ok(url.zip(secret))
        })
    }

    /// Connects (or with `None` disconnects) a shop's platform; `false` if there is no such shop.
    pub async fn set_shop_platform(
        &self,
        name: &str,
        config: Option<&str>,
    ) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET platform_config = $2 WHERE name = $1")
                .bind(name)
                .bind(config)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Replaces shop `shop`'s platform settings (JSON) with `config`, as long as they are still
    /// `expected` (a merchant connecting the shop anew meanwhile wins); whether they were.
    pub async fn replace_shop_platform(
        &self,
        shop: &ShopId,
        expected: &str,
        config: &str,
    ) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET platform_config = $3 WHERE id = $1 AND platform_config = $2")
                .bind(&shop.0)
                .bind(expected)
                .bind(config)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Every connected shop's platform settings (JSON), by shop.
    pub async fn platform_configs(&self) -> Result<Vec<(ShopId, String)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, platform_config FROM shops WHERE platform_config IS NOT NULL ORDER BY created_at",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| Ok((ShopId(row.try_get("id")?), row.try_get("platform_config")?)))
                .collect()
        })
    }

    /// Records webhook `id` from `platform`: `false` when it was already recorded (a redelivery).
    /// Forgets those older than `forget_before`.
    pub async fn record_platform_webhook(
        &self,
        platform: &str,
        id: &str,
        shop: &ShopId,
        topic: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<bool, StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query("DELETE FROM platform_webhooks WHERE received_at < $1")
                .bind(forget_before)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO platform_webhooks (platform, id, shop_id, topic, received_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform, id) DO NOTHING",
            )
            .bind(platform)
            .bind(id)
            .bind(&shop.0)
            .bind(topic)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

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

    /// Remembers a one-time code for connecting `shop` to the site `site`.
    pub async fn insert_connect(
        &self,
        code: &str,
        shop: &ShopId,
        site: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO platform_connects (code, shop_id, site, created_at) VALUES ($1, $2, $3, $4)")
                .bind(code)
                .bind(&shop.0)
                .bind(site)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Uses up a connect code made after `not_before`: the shop's name and the site, once.
    pub async fn take_connect(
        &self,
        code: &str,
        not_before: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "DELETE FROM platform_connects WHERE code = $1 RETURNING shop_id, site, created_at",
            )
            .bind(code)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let created: i64 = row.try_get("created_at")?;
            if created < not_before {
                return Ok(None);
            }
            let shop: String = row.try_get("shop_id")?;
            let site: String = row.try_get("site")?;
            let name = sqlx::query("SELECT name FROM shops WHERE id = $1")
                .bind(&shop)
                .fetch_one(pool)
                .await?;
            Ok(Some((name.try_get("name")?, site)))
        })
    }

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

    async fn links_where(
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

    /// Enables or disables shop `shop`'s button `id`; `false` if it has no such button.
    pub async fn set_button_enabled(
        &self,
        shop: &ShopId,
        id: &str,
        enabled: bool,
    ) -> Result<bool, StoreError> {
        self.set_enabled("buttons", shop, id, enabled).await
    }

    async fn set_enabled(
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

    async fn next_use(&self, table: &'static str, id: &str) -> Result<i64, StoreError> {
        let sql = format!("UPDATE {table} SET uses = uses + 1 WHERE id = $1 RETURNING uses");
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_one(pool)
                .await?;
            Ok(row.try_get("uses")?)
        })
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

    async fn insert_button(&self, button: &Button, on_conflict: &str) -> Result<(), StoreError> {
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

    async fn buttons_where(
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

    /// The shop `id`.
    pub async fn shop(&self, id: &ShopId) -> Result<Option<Shop>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT id, name FROM shops WHERE id = $1")
                .bind(&id.0)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(None) };
            Ok(Some(Shop { id: ShopId(row.try_get("id")?), name: row.try_get("name")? }))
        })
    }

    /// A shop's platform connection (JSON), if it has one.
    pub async fn shop_platform(&self, shop: &ShopId) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT platform_config FROM shops WHERE id = $1")
                .bind(&shop.0)
                .fetch_optional(pool)
                .await?;
            Ok(match row {
                Some(row) => row.try_get("platform_config")?,
                None => None,
            })
        })
    }

    /// The clause that lets several processes claim rows of one queue without waiting for each
    /// other (PostgreSQL); SQLite has one writer at a time and needs none.
    fn skip_locked(&self) -> &'static str {
        match self {
            Store::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Store::Sqlite(..) => "",
        }
    }
}

/// The callbacks a worker claims from queue `table`: the due ones, oldest first, at most
/// [`PER_SHOP`] of each shop (so that one shop's backlog cannot fill a claim), `$3` in all; on
/// PostgreSQL skipping rows another worker is claiming. `$1` is now.
fn due_ids(table: &str, lock: &str) -> String {
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
        self.finish_attempt("outbox", id, delivered, error, retry_at, now)
            .await
    }

    /// Records one delivery attempt at row `id` of a callback queue (`outbox`,
    /// `event_callbacks`): delivered, or retried at `retry_at` (`None`: given up).
    pub(super) async fn finish_attempt(
        &self,
        queue: &'static str,
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

    /// Invoices the gateway may still move, least recently checked first, at most `limit`.
    pub async fn open_invoices(&self, limit: i64) -> Result<Vec<InvoiceRecord>, StoreError> {
        with_pool!(self, pool => {
            let sql = format!(
                "SELECT {INVOICE_COLUMNS} FROM invoices \
                 WHERE status IN ('pending', 'confirming', 'partially_paid', 'review', 'refunding') \
                 AND gateway_uuid IS NOT NULL ORDER BY COALESCE(checked_at, 0), id LIMIT $1"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?;
            rows.iter().map(|row| Ok(invoice_row!(row))).collect()
        })
    }

    /// Claims the reconciler's check of an invoice at `now`, if nobody checked it since
    /// `seen_checked_at` (what the claimer read). Several processes may pick the same invoice; only
    /// one wins the claim, so the gateway is asked once.
    pub async fn claim_check(
        &self,
        id: &InvoiceId,
        seen_checked_at: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE invoices SET checked_at = $2 WHERE id = $1 AND COALESCE(checked_at, -1) = $3",
            )
            .bind(id.as_str())
            .bind(now)
            .bind(seen_checked_at.unwrap_or(-1))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

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
            .bind(&webhook.kind)
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

    /// Appends a line to the invoice's history.
    pub async fn record_event(
        &self,
        id: &InvoiceId,
        event: &InvoiceEvent,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO invoice_events (invoice_id, source, gateway_status, outcome, version, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.as_str())
            .bind(&event.source)
            .bind(&event.gateway_status)
            .bind(&event.outcome)
            .bind(event.version)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The invoice's history, oldest first.
    pub async fn events(&self, id: &InvoiceId) -> Result<Vec<InvoiceEvent>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT source, gateway_status, outcome, version FROM invoice_events WHERE invoice_id = $1 ORDER BY id",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(InvoiceEvent {
                        source: row.try_get("source")?,
                        gateway_status: row.try_get("gateway_status")?,
                        outcome: row.try_get("outcome")?,
            version: row.try_get("version")?,
                    })
                })
                .collect()
        })
    }
}

mod payouts;
mod wallets;
pub use payouts::{
    Ledger, PayoutPolicy, PayoutRecord, REJECTED, REQUESTED, Reservation, SUBMITTED,
};
pub use wallets::{DepositChange, DepositRecord, EventCallback, WalletRecord};
