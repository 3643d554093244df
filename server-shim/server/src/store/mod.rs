//! Durable state: shops, invoices and their event log, in SQLite (the default) or PostgreSQL.
//!
//! The backend is picked from the URL scheme. Both run the same SQL (`$1` placeholders work in
//! both); each owns its migrations under `migrations/<backend>/`. Queries are written once and
//! expanded per backend by [`with_pool!`], so a row is decoded with the concrete driver's types.
//!
//! One module per aggregate: shops, invoices (with their payments and history),
//! the webhook inbox, the outbox (invoice, deposit and payout callbacks), links, buttons, wallets
//! and their deposits, payouts, and Shopify's payment sessions.

use rust_decimal::Decimal;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
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
    /// A newer server-shim migrated this database: this one would not understand it.
    #[error(
        "this database was migrated by a newer server-shim (it has migration {found}; this one knows up to {known}): run that version or a later one, or restore the backup made before the upgrade"
    )]
    NewerSchema {
        /// The newest migration the database has.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
}

/// Where a database stands with this build's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions applied, oldest first.
    pub applied: Vec<i64>,
    /// This build's migrations not applied yet: version and description.
    pub pending: Vec<(i64, &'static str)>,
    /// Versions applied that this build does not know (a newer build applied them).
    pub unknown: Vec<i64>,
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

/// In transaction `$tx`, marks inbox webhook `$webhook` done with `$outcome`: the change it made
/// and its end are one commit.
macro_rules! mark_webhook_done {
    ($tx:ident, $webhook:expr, $outcome:expr, $now:expr) => {
        sqlx::query(super::MARK_WEBHOOK_DONE)
            .bind($webhook)
            .bind($outcome)
            .bind($now)
            .execute(&mut *$tx)
            .await?
    };
}

/// In transaction `$tx`, queues a `$kind` (`deposit`, `payout`) callback to shop `$shop` about
/// `$subject` reaching `$status`.
macro_rules! queue_event {
    ($tx:ident, $shop:expr, $kind:literal, $subject:expr, $status:expr, $now:expr) => {
        sqlx::query(super::QUEUE_EVENT)
            .bind($shop)
            .bind($kind)
            .bind($subject)
            .bind($status)
            .bind($now)
            .execute(&mut *$tx)
            .await?
    };
}

pub(super) fn decimal(text: String) -> Result<Decimal, StoreError> {
    Decimal::from_str(&text).map_err(|_| StoreError::Corrupt(format!("decimal {text:?}")))
}

mod brands;
mod buttons;
mod console;
mod inbox;
mod invoices;
mod links;
mod outbox;
mod payouts;
mod refunds;
mod shopify;
mod shops;
mod wallets;

use inbox::MARK_WEBHOOK_DONE;
use outbox::QUEUE_EVENT;

pub use brands::{Brand, BrandChange, Logo};
pub use buttons::Button;
pub use console::{ConsoleRole, ConsoleUser};
pub use inbox::{InboxWebhook, NewWebhook};
pub use invoices::{
    GatewayDetails, InvoiceEvent, InvoiceFilter, InvoicePayment, InvoiceUpdate, WithChange,
};
pub use links::Link;
pub use outbox::{CallbackQueue, DeliveryAttempt, EventCallback, OutboxJob, PER_SHOP};
pub use payouts::{
    Ledger, PayoutPolicy, PayoutRecord, REJECTED, REQUESTED, Reservation, SUBMITTED,
};
pub use refunds::{RefundRecord, RefundState};
pub use shopify::{PaymentSession, SessionKey};
pub use shops::ShopPlatform;
pub use wallets::{DepositChange, DepositRecord, WalletRecord};

/// Every migration, in order: version, description, where its file is (`own`: one per backend
/// under `migrations/<backend>/`; `common`: the same SQL for both, under `migrations/common/`),
/// file name. One list serves both backends.
macro_rules! migrations {
    ($backend:literal) => {
        migrations!(@each $backend;
            1 "init" own "0001_init"
            2 "review reason" common "0002_review_reason"
            3 "checked at" own "0003_checked_at"
            4 "outbox" own "0004_outbox"
            5 "webhook inbox" own "0005_webhook_inbox"
            6 "invoice payments" own "0006_invoice_payments"
            7 "shop platform" common "0007_shop_platform"
            8 "platform connects" own "0008_platform_connects"
            9 "links" own "0009_links"
            10 "buttons" own "0010_buttons"
            11 "platform webhooks" common "0011_platform_webhooks"
            12 "shop order" common "0012_shop_order"
            13 "shopify sessions" common "0013_shopify_sessions"
            14 "wallets" own "0014_wallets"
            15 "payouts" own "0015_payouts"
            16 "webhook hash" common "0016_webhook_hash"
            17 "link invoices" own "0017_link_invoices"
            18 "payout ledger" own "0018_payout_ledger"
            19 "deposit review" common "0019_deposit_review"
            20 "invoice search" common "0020_invoice_search"
            21 "refunds" common "0021_refunds"
            22 "console" common "0022_console"
            23 "delivery attempts" own "0023_delivery_attempts"
            24 "invoice filters" common "0024_invoice_filters"
            25 "receipts and brands" own "0025_receipts_and_brands"
        )
    };
    (@each $backend:literal; $($version:literal $description:literal $place:ident $file:literal)*) => {
        &[$(($version, $description, migrations!(@sql $place $backend $file))),*]
    };
    (@sql own $backend:literal $file:literal) => {
        include_str!(concat!("../../migrations/", $backend, "/", $file, ".sql"))
    };
    (@sql common $backend:literal $file:literal) => {
        include_str!(concat!("../../migrations/common/", $file, ".sql"))
    };
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = migrations!("sqlite");
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = migrations!("postgres");

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

    /// This build's migrations.
    fn migrations(&self) -> &'static [(i64, &'static str, &'static str)] {
        match self {
            Store::Sqlite(..) => SQLITE_MIGRATIONS,
            Store::Postgres(_) => POSTGRES_MIGRATIONS,
        }
    }

    /// Which of this build's migrations the database has, which it lacks, and which it has that
    /// this build does not know.
    pub async fn migration_status(&self) -> Result<MigrationStatus, StoreError> {
        let exists = match self {
            Store::Sqlite(pool, _) => sqlx::query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_optional(pool)
            .await?
            .is_some(),
            Store::Postgres(pool) => sqlx::query(
                "SELECT 1 FROM pg_tables WHERE tablename = '_sqlx_migrations' AND schemaname = current_schema()",
            )
            .fetch_optional(pool)
            .await?
            .is_some(),
        };
        let applied: Vec<i64> = if exists {
            use sqlx::Row as _;
            with_pool!(self, pool => {
                let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(|row| row.try_get("version")).collect::<Result<_, _>>()?
            })
        } else {
            Vec::new()
        };
        let known = self.migrations();
        Ok(MigrationStatus {
            pending: known
                .iter()
                .filter(|(version, _, _)| !applied.contains(version))
                .map(|(version, description, _)| (*version, *description))
                .collect(),
            unknown: applied
                .iter()
                .copied()
                .filter(|version| !known.iter().any(|(known, _, _)| known == version))
                .collect(),
            applied,
        })
    }

    /// Applies this build's migrations up to `version` only, leaving the schema as an older
    /// version of the shim left it: for the upgrade tests, which fill such a database and then
    /// migrate it the rest of the way.
    #[doc(hidden)]
    pub async fn migrate_up_to(&self, version: i64) -> Result<(), StoreError> {
        let older: Vec<(i64, &'static str, &'static str)> = self
            .migrations()
            .iter()
            .filter(|(v, _, _)| *v <= version)
            .copied()
            .collect();
        match self {
            Store::Sqlite(pool, _) => migrator(&older).run(pool).await?,
            Store::Postgres(pool) => migrator(&older).run(pool).await?,
        }
        Ok(())
    }

    /// Applies the backend's pending migrations (locked, so concurrent starts are safe). Refuses
    /// a database a newer build migrated.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let status = self.migration_status().await?;
        if let Some(found) = status.unknown.iter().max() {
            let known = self
                .migrations()
                .last()
                .map_or(0, |(version, _, _)| *version);
            return Err(StoreError::NewerSchema {
                found: *found,
                known,
            });
        }
        match self {
            Store::Sqlite(pool, _) => migrator(SQLITE_MIGRATIONS).run(pool).await?,
            Store::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
        }
        Ok(())
    }

    /// Writes a consistent copy of the SQLite database to `path` while it is in use (`VACUUM
    /// INTO`: one read transaction, so the copy is the database at one instant, whatever is being
    /// written meanwhile). `false` on PostgreSQL, which has no such statement (`pg_dump` does it).
    pub async fn backup_sqlite(&self, path: &std::path::Path) -> Result<bool, StoreError> {
        let Store::Sqlite(pool, _) = self else {
            return Ok(false);
        };
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(pool)
            .await?;
        Ok(true)
    }

    /// How many invoices the database holds (0 when it has no tables yet).
    pub async fn invoice_count(&self) -> Result<i64, StoreError> {
        use sqlx::Row as _;
        if self.migration_status().await?.applied.is_empty() {
            return Ok(0);
        }
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM invoices").fetch_one(pool).await?;
            Ok(row.try_get("n")?)
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }

    /// The clause that lets several processes claim rows of one queue without waiting for each
    /// other (PostgreSQL); SQLite has one writer at a time and needs none.
    pub(super) fn skip_locked(&self) -> &'static str {
        match self {
            Store::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Store::Sqlite(..) => "",
        }
    }
}
