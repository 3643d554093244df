//! Optional persistence of the sandbox's state in SQLite, so that a demo survives a restart.
//!
//! The whole state is one JSON snapshot in one row, rewritten shortly after each change. Webhooks
//! still waiting for delivery are not kept: after a restart, `/v1/payment/resend` sends them again.

use crate::ledger::Payments;
use crate::payouts::Payouts;
use crate::wallets::Wallets;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use tokio::sync::Notify;

/// Why the state could not be kept or read back.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The database failed.
    #[error("sandbox state database error")]
    Store(#[from] sqlx::Error),
    /// The stored state cannot be read by this build.
    #[error("the stored sandbox state cannot be read: {0}")]
    Corrupt(String),
}

/// Everything the sandbox knows.
#[derive(Serialize, Deserialize)]
pub(crate) struct Snapshot {
    pub payments: Payments,
    pub wallets: Wallets,
    pub payouts: Payouts,
    pub clock_offset: i64,
    /// The merchant identity the state belongs to (test keys of a local sandbox).
    #[serde(default)]
    pub identity: Option<Identity>,
}

/// Who the sandbox was, so that clients configured against it keep working after a restart.
#[derive(Serialize, Deserialize, Clone)]
pub(crate) struct Identity {
    pub merchant: String,
    pub payment_key: String,
    pub payout_key: String,
    pub seed: u64,
}

/// Where the state is kept, and a signal that it changed.
#[derive(Debug)]
pub(crate) struct Persistence {
    pool: SqlitePool,
    pub dirty: Notify,
}

impl Persistence {
    /// Opens (or creates) the state database at `url` and reads the last snapshot, if any.
    pub(crate) async fn open(url: &str) -> Result<(Self, Option<Snapshot>), SandboxError> {
        let options = SqliteConnectOptions::from_str(url)?.create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS sandbox_state (id INTEGER PRIMARY KEY CHECK (id = 1), \
             state TEXT NOT NULL, saved_at INTEGER NOT NULL)",
        )
        .execute(&pool)
        .await?;
        let row: Option<(String,)> = sqlx::query_as("SELECT state FROM sandbox_state WHERE id = 1")
            .fetch_optional(&pool)
            .await?;
        let snapshot = row
            .map(|(json,)| {
                serde_json::from_str(&json).map_err(|e| SandboxError::Corrupt(e.to_string()))
            })
            .transpose()?;
        Ok((
            Self {
                pool,
                dirty: Notify::new(),
            },
            snapshot,
        ))
    }

    /// Writes `snapshot` as the current state.
    pub(crate) async fn save(&self, snapshot: &str, now: i64) -> Result<(), SandboxError> {
        sqlx::query(
            "INSERT INTO sandbox_state (id, state, saved_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at",
        )
        .bind(snapshot)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
