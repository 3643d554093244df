//! The change feed: which invoices and deposit wallets just changed, for the live streams of every
//! shim process.
//!
//! On SQLite (one process) it is an in-process broadcast. On PostgreSQL each change is a `NOTIFY`
//! on [`CHANNEL`], and every process `LISTEN`s and rebroadcasts locally, so a stream opened on one
//! process follows a webhook applied by another.

use crate::store::Store;
use shim_api::InvoiceId;
use sqlx::postgres::{PgListener, PgPool};
use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL notification channel of invoices.
pub const CHANNEL: &str = "shim_invoice_changes";
/// The PostgreSQL notification channel of deposit wallets.
pub const WALLET_CHANNEL: &str = "shim_wallet_changes";

/// Changes buffered per receiver before it must catch up by re-reading.
const BUFFER: usize = 1024;

/// Publishes and follows invoice changes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    local: broadcast::Sender<InvoiceId>,
    wallets: broadcast::Sender<String>,
    store: Store,
}

impl ChangeFeed {
    /// A feed over `store`; on PostgreSQL, starts listening for other processes' changes.
    pub fn start(store: Store) -> Self {
        let local = broadcast::channel(BUFFER).0;
        let wallets = broadcast::channel(BUFFER).0;
        if let Store::Postgres(pool) = &store {
            tokio::spawn(listen(pool.clone(), local.clone(), wallets.clone()));
        }
        Self {
            local,
            wallets,
            store,
        }
    }

    /// Every deposit wallet's change from now on, by wallet id.
    pub fn subscribe_wallets(&self) -> broadcast::Receiver<String> {
        self.wallets.subscribe()
    }

    /// Tells every follower, in every process, that wallet `id` changed (a deposit arrived or
    /// moved, or it was blocked).
    pub async fn publish_wallet(&self, id: &str) {
        if let Store::Postgres(pool) = &self.store {
            let notified = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(WALLET_CHANNEL)
                .bind(id)
                .execute(pool)
                .await;
            match notified {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "could not notify other shim processes of a deposit")
                }
            }
        }
        let _ = self.wallets.send(id.to_owned());
    }

    /// Every change from now on, by invoice id.
    pub fn subscribe(&self) -> broadcast::Receiver<InvoiceId> {
        self.local.subscribe()
    }

    /// Tells every follower, in every process, that `id` changed.
    pub async fn publish(&self, id: &InvoiceId) {
        if let Store::Postgres(pool) = &self.store {
            let notified = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(id.as_str())
                .execute(pool)
                .await;
            match notified {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "could not notify other shim processes of a change")
                }
            }
        }
        // No receiver (no open stream) is not an error.
        let _ = self.local.send(id.clone());
    }
}

/// Rebroadcasts notifications until the process ends, reconnecting after failures.
async fn listen(
    pool: PgPool,
    local: broadcast::Sender<InvoiceId>,
    wallets: broadcast::Sender<String>,
) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen_all([CHANNEL, WALLET_CHANNEL]).await {
                Ok(()) => loop {
                    match listener.recv().await {
                        Ok(notification) if notification.channel() == WALLET_CHANNEL => {
                            let _ = wallets.send(notification.payload().to_owned());
                        }
                        Ok(notification) => {
                            if let Some(id) = InvoiceId::parse(notification.payload()) {
                                let _ = local.send(id);
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "lost the change feed; reconnecting");
                            break;
                        }
                    }
                },
                Err(e) => tracing::warn!(error = %e, "cannot listen for changes"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot connect the change listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
