//! The use cases, as small services over one set of shared dependencies ([`Deps`]: the store,
//! the gateway client, the change feed, the egress policy):
//!
//! - [`Invoices`]: create an invoice, pick a coin, show it, refresh it from the gateway.
//! - [`Intake`]: the gateway's webhooks (inbox, then apply) and the reconciler.
//! - [`Links`] and [`Buttons`]: payment links and pay buttons, the no-code ways to take payments.
//! - [`Wallets`]: static deposit addresses and their deposits, checked against the gateway.
//! - [`Payouts`]: payouts for the shops the operator allows, within each shop's ledger.
//! - [`Shops`]: who a token is, each shop's platform connection, Shopify's shops and sessions.
//!
//! HTTP lives in `routes`, which calls these and never the store; [`decide`] is the pure decision
//! of what a gateway report means for an invoice. Every service is one `Arc` clone of the same
//! [`Deps`], so handlers and workers clone them freely.

use crate::changes::ChangeFeed;
use crate::store::{Store, StoreError};
use shim_api::{CoinOption, InvoiceId};
use shim_gateway::{ApiKey, CryptomusClient, GatewayError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub mod buttons;
pub mod console;
pub mod decide;
pub mod intake;
pub mod invoices;
pub mod links;
pub mod payouts;
pub mod refresh;
pub mod refunds;
pub mod review;
pub mod shops;
pub mod wallets;

pub use decide::{decide, invoice_view};
pub use intake::{IpnError, IpnOutcome, ReconcilePolicy, WEBHOOK_LEASE, reconcile_due};
use invoices::CachedView;
pub use refunds::refund_view;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is invalid; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The order already has an invoice for another payment.
    #[error("{0}")]
    Conflict(String),
    /// No such invoice.
    #[error("invoice not found")]
    NotFound,
    /// The shop's platform could not be asked (it may answer later).
    #[error("{0}")]
    ShopUnavailable(String),
    /// The gateway failed or refused.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operating system's random source failed.
    #[error("random source failed")]
    Random(#[from] getrandom::Error),
}

/// The current unix time.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `unix` seconds as RFC 3339 in UTC (empty if out of range).
pub(crate) fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// What every service shares: the store, the gateway, the change feed, the caches and where the
/// shim may connect.
#[derive(Debug)]
pub struct Deps {
    store: Store,
    gateway: CryptomusClient,
    payment_key: ApiKey,
    public_url: String,
    /// One lock per invoice with a webhook in progress.
    ipn_locks: Arc<Mutex<HashMap<InvoiceId, Arc<tokio::sync::Mutex<()>>>>>,
    /// Recently read invoices for the public view, dropped on every change and after
    /// [`VIEW_CACHE_TTL`] (in case a notification from another process was lost).
    views: Arc<Mutex<HashMap<InvoiceId, CachedView>>>,
    /// Which invoices just changed, for the live streams.
    changes: ChangeFeed,
    /// The coins the gateway takes, as last fetched.
    coins: Mutex<Option<(std::time::Instant, Arc<Vec<CoinOption>>)>>,
    /// Where the shim may connect on a shop's behalf.
    egress: shop_adapters::egress::Egress,
}

/// Declares the services: each is one clone of the shared [`Deps`], which it reads through.
macro_rules! services {
    ($($(#[$doc:meta])* $field:ident: $name:ident,)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone)]
            pub struct $name(Arc<Deps>);

            impl std::ops::Deref for $name {
                type Target = Deps;

                fn deref(&self) -> &Deps {
                    &self.0
                }
            }

            impl Service for $name {
                fn over(deps: Arc<Deps>) -> Self {
                    Self(deps)
                }

                fn deps(&self) -> &Arc<Deps> {
                    &self.0
                }
            }
        )*

        /// Every service, over one set of dependencies.
        #[derive(Debug, Clone)]
        pub struct Services {
            $(
                $(#[$doc])*
                pub $field: $name,
            )*
        }

        impl Services {
            fn over(deps: Arc<Deps>) -> Self {
                Self { $($field: $name(deps.clone()),)* }
            }
        }
    };
}

impl std::ops::Deref for Services {
    type Target = Deps;

    fn deref(&self) -> &Deps {
        &self.invoices
    }
}

/// A service over the shared dependencies; one service reaches another with [`Service::peer`].
trait Service: Sized {
    fn over(deps: Arc<Deps>) -> Self;

    fn deps(&self) -> &Arc<Deps>;

    /// Another service over the same dependencies.
    fn peer<S: Service>(&self) -> S {
        S::over(self.deps().clone())
    }
}

services! {
    /// Invoices: create, pick a coin, view, refresh.
    invoices: Invoices,
    /// The gateway's webhooks and the reconciler.
    intake: Intake,
    /// Payment links.
    links: Links,
    /// Pay buttons.
    buttons: Buttons,
    /// Static deposit addresses.
    wallets: Wallets,
    /// Payouts.
    payouts: Payouts,
    /// Shops and their platform connections.
    shops: Shops,
    /// The console's users and sessions.
    console: Console,
}

impl Services {
    /// `public_url` is where the gateway and payers reach this shim (no trailing slash); shops'
    /// platforms and callbacks are called only where `egress` allows.
    pub fn new(
        store: Store,
        gateway: CryptomusClient,
        payment_key: ApiKey,
        public_url: &str,
        egress: shop_adapters::egress::Egress,
    ) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        let changes = ChangeFeed::start(store.clone());
        let views: Arc<Mutex<HashMap<InvoiceId, CachedView>>> = Arc::default();
        // Forget a cached invoice the moment it changes, in this process or (PostgreSQL) another.
        let (mut feed, cache) = (changes.subscribe(), Arc::downgrade(&views));
        tokio::spawn(async move {
            loop {
                let changed = feed.recv().await;
                let Some(cache) = cache.upgrade() else { return };
                let mut cache = cache
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match changed {
                    Ok(id) => {
                        cache.remove(&id);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => cache.clear(),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Self::over(Arc::new(Deps {
            store,
            gateway,
            payment_key,
            public_url,
            ipn_locks: Arc::default(),
            changes,
            views,
            coins: Mutex::default(),
            egress,
        }))
    }
}

impl Deps {
    /// Where the shim may connect on a shop's behalf (its platform, its callbacks).
    pub fn egress(&self) -> &shop_adapters::egress::Egress {
        &self.egress
    }

    /// Every invoice change from now on, by id, from every shim process sharing the database. A
    /// receiver that falls behind gets `Lagged` and should re-read the invoices it follows.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<InvoiceId> {
        self.changes.subscribe()
    }

    /// Every deposit wallet's change from now on, by wallet id, from every shim process.
    pub fn subscribe_wallets(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.changes.subscribe_wallets()
    }

    /// The gateway client.
    pub(crate) fn gateway(&self) -> &CryptomusClient {
        &self.gateway
    }

    /// Where the gateway and payers reach this shim.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The store, for the routes that only read.
    pub fn store(&self) -> &Store {
        &self.store
    }
}
