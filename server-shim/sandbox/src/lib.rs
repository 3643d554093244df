//! A Cryptomus-compatible server, so that the demo and every test run the real protocol offline.
//!
//! # Layout
//! - [`Sandbox`] and [`SandboxConfig`]: the merchant identity and keys, the shared state, and the
//!   axum [`Sandbox::router`].
//! - `routes`: the Cryptomus paths (`/v1/payment`, `/v1/payment/info`) with the real header checks,
//!   envelopes and error shapes, and the controls under `/sandbox/` that simulate payers.
//! - `ledger`: the pure payment state machine: what arrived, and which status follows.
//! - `coins`: the currencies, networks and the fixed exchange-rate table.
//! - `addresses`: deterministic addresses in each network's real format.
//! - `webhooks`: signed IPN delivery with retries, and its log.
//! - `ids`: deterministic uuids and digests from the sandbox's seed.
//! - `qr_png`: QR codes as PNG `data:` URIs.
//! - `wallets`: static deposit addresses and their deposits.
//! - `payouts`: money leaving the merchant's balance.
//! - `persistence`: the optional SQLite copy of the state, so a demo survives a restart.

mod addresses;
mod coins;
mod ids;
mod ledger;
mod payouts;
mod persistence;
mod qr_png;
mod routes;
mod wallets;
mod webhooks;

use shim_gateway::{ApiKey, MerchantId};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use persistence::SandboxError;
pub use webhooks::Delivery;

/// Who the sandbox is to its clients.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The merchant uuid clients must send.
    pub merchant: MerchantId,
    /// Signs invoice requests and payment webhooks.
    pub payment_key: ApiKey,
    /// Signs payout requests and payout webhooks.
    pub payout_key: ApiKey,
    /// Seeds the uuids and addresses, so a run can be repeated.
    pub seed: u64,
    /// The sandbox's own URL as clients reach it, for the `url` field of invoices.
    pub public_url: String,
    /// First delay between webhook delivery attempts; doubles after each failure.
    pub webhook_retry_base: Duration,
    /// Delivery attempts per webhook.
    pub webhook_attempts: u32,
}

impl SandboxConfig {
    /// A fresh identity with random merchant uuid, keys and seed.
    pub fn generate(public_url: impl Into<String>) -> Self {
        let mut bytes = [0u8; 56];
        // The OS random source failing is not recoverable and would make every id collide.
        if getrandom::fill(&mut bytes).is_err() {
            tracing::error!("the operating system's random source failed; using the clock");
            let nanos = time::OffsetDateTime::now_utc()
                .unix_timestamp_nanos()
                .to_le_bytes();
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = nanos[i % nanos.len()].wrapping_add(i as u8);
            }
        }
        let seed = u64::from_le_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]);
        Self {
            merchant: MerchantId::new(ids::uuid_from(&bytes[8..24])),
            payment_key: ApiKey::new(hex::encode(&bytes[24..40])),
            payout_key: ApiKey::new(hex::encode(&bytes[40..56])),
            seed,
            public_url: public_url.into(),
            webhook_retry_base: Duration::from_secs(1),
            webhook_attempts: 8,
        }
    }
}

/// A running sandbox: configuration plus in-memory state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SandboxConfig,
    payments: Mutex<ledger::Payments>,
    wallets: Mutex<wallets::Wallets>,
    payouts: Mutex<payouts::Payouts>,
    deliveries: Mutex<webhooks::DeliveryLog>,
    /// Webhooks waiting per payment uuid, delivered one after the other in the order sent.
    queues: Mutex<std::collections::HashMap<String, std::collections::VecDeque<webhooks::Pending>>>,
    http: reqwest::Client,
    clock_offset: AtomicI64,
    /// While set, webhooks are logged as lost instead of sent (`/sandbox/webhooks/outage`).
    webhooks_lost: std::sync::atomic::AtomicBool,
    /// Per API path, how many more answers are lost after the work is done
    /// (`/sandbox/lose-answers`): what a client sees when the network drops a reply.
    answers_lost: Mutex<std::collections::HashMap<String, u32>>,
    persistence: Option<persistence::Persistence>,
}

impl Sandbox {
    /// A sandbox with no payments yet, keeping its state in memory.
    pub fn new(config: SandboxConfig) -> Self {
        Self::with_persistence(config, None, None)
    }

    /// A sandbox whose state is kept in SQLite at `state_url` (`sqlite://sandbox.db`), starting
    /// from what is stored there. With `keep_identity`, a stored merchant uuid, keys and seed
    /// replace those of `config`, so that clients configured against the sandbox keep working.
    /// Changes are written shortly after they happen; call [`Sandbox::persist_now`] before exiting
    /// to keep the last ones.
    pub async fn open(
        mut config: SandboxConfig,
        state_url: &str,
        keep_identity: bool,
    ) -> Result<Self, SandboxError> {
        let (persistence, snapshot) = persistence::Persistence::open(state_url).await?;
        if let Some(identity) = snapshot
            .as_ref()
            .and_then(|s| s.identity.clone())
            .filter(|_| keep_identity)
        {
            config.merchant = MerchantId::new(identity.merchant);
            config.payment_key = ApiKey::new(identity.payment_key);
            config.payout_key = ApiKey::new(identity.payout_key);
            config.seed = identity.seed;
        }
        let sandbox = Self::with_persistence(config, Some(persistence), snapshot);
        let saver = sandbox.clone();
        tokio::spawn(async move {
            loop {
                if let Some(p) = &saver.inner.persistence {
                    p.dirty.notified().await;
                }
                // Coalesce a burst of changes into one write.
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Err(e) = saver.persist_now().await {
                    tracing::error!(error = %e, "could not save the sandbox state");
                }
            }
        });
        Ok(sandbox)
    }

    fn with_persistence(
        config: SandboxConfig,
        persistence: Option<persistence::Persistence>,
        snapshot: Option<persistence::Snapshot>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let (payments, wallets, payouts, offset) = match snapshot {
            Some(s) => (s.payments, s.wallets, s.payouts, s.clock_offset),
            None => Default::default(),
        };
        Self {
            inner: Arc::new(Inner {
                config,
                payments: Mutex::new(payments),
                wallets: Mutex::new(wallets),
                payouts: Mutex::new(payouts),
                deliveries: Mutex::default(),
                queues: Mutex::default(),
                http,
                clock_offset: AtomicI64::new(offset),
                webhooks_lost: std::sync::atomic::AtomicBool::new(false),
                answers_lost: Mutex::default(),
                persistence,
            }),
        }
    }

    /// The identity clients must use.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    /// The sandbox's clock: the system's plus whatever `/sandbox/advance` added.
    pub fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
            + self.inner.clock_offset.load(Ordering::Relaxed)
    }

    /// Writes the state now, if it is kept in SQLite.
    pub async fn persist_now(&self) -> Result<(), SandboxError> {
        let Some(persistence) = &self.inner.persistence else {
            return Ok(());
        };
        // Each part is copied under its own lock, one after the other.
        let payments = serde_json::to_value(&*self.payments());
        let wallets = serde_json::to_value(&*self.wallets());
        let payouts = serde_json::to_value(&*self.payouts());
        let (Ok(payments), Ok(wallets), Ok(payouts)) = (payments, wallets, payouts) else {
            return Err(SandboxError::Corrupt(
                "the state could not be encoded".into(),
            ));
        };
        let snapshot = serde_json::json!({
            "payments": payments,
            "wallets": wallets,
            "payouts": payouts,
                        "clock_offset": self.inner.clock_offset.load(Ordering::Relaxed),
            "identity": {
                "merchant": self.config().merchant.as_str(),
                "payment_key": secrecy::ExposeSecret::expose_secret(self.config().payment_key.expose()),
                "payout_key": secrecy::ExposeSecret::expose_secret(self.config().payout_key.expose()),
                "seed": self.config().seed,
            },
        });
        persistence.save(&snapshot.to_string(), self.now()).await
    }

    /// Notes that the state changed, so that it is written soon.
    fn changed(&self) {
        if let Some(persistence) = &self.inner.persistence {
            persistence.dirty.notify_one();
        }
    }

    /// Every webhook sent so far, with its delivery outcome.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.inner.deliveries).to_vec()
    }

    /// Expires, as the real service does on its own, every open payment whose lifetime has passed.
    /// Runs until the process ends; call once per sandbox.
    pub fn spawn_expiry(&self) -> tokio::task::JoinHandle<()> {
        let sandbox = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                sandbox.expire_due();
            }
        })
    }

    fn expire_due(&self) {
        let now = self.now();
        if let Ok(changes) = self.apply(|payments| Ok(payments.expire_due(now)))
            && !changes.is_empty()
        {
            self.changed();
        }
    }

    /// Runs `change` on the payments and queues the webhooks of what it changed before letting go
    /// of them, so that one payment's webhooks are queued in the order its statuses changed.
    pub(crate) fn apply(
        &self,
        change: impl FnOnce(&mut ledger::Payments) -> Result<Vec<ledger::Payment>, ledger::ControlError>,
    ) -> Result<Vec<ledger::Payment>, ledger::ControlError> {
        let mut payments = self.payments();
        let changes = change(&mut payments)?;
        for payment in &changes {
            self.send_webhook(payment);
        }
        drop(payments);
        Ok(changes)
    }

    fn payments(&self) -> MutexGuard<'_, ledger::Payments> {
        lock(&self.inner.payments)
    }

    fn wallets(&self) -> MutexGuard<'_, wallets::Wallets> {
        lock(&self.inner.wallets)
    }

    /// Loses the answers of the next `count` calls to `path` (see `/sandbox/lose-answers`).
    pub fn lose_answers(&self, path: &str, count: u32) {
        let mut lost = self
            .inner
            .answers_lost
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if count == 0 {
            lost.remove(path);
        } else {
            lost.insert(path.to_owned(), count);
        }
    }

    /// Whether the answer of this call to `path` is to be lost; counts it.
    fn answer_lost(&self, path: &str) -> bool {
        let mut lost = self
            .inner
            .answers_lost
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match lost.get_mut(path) {
            Some(left) if *left > 0 => {
                *left -= 1;
                if *left == 0 {
                    lost.remove(path);
                }
                true
            }
            _ => false,
        }
    }

    fn payouts(&self) -> MutexGuard<'_, payouts::Payouts> {
        lock(&self.inner.payouts)
    }

    /// What is left of the merchant's balance in `code`, with the payouts locked by the caller.
    fn available(&self, payouts: &payouts::Payouts, code: &str) -> rust_decimal::Decimal {
        self.balances(payouts)
            .into_iter()
            .find(|(c, _)| *c == code)
            .map_or(rust_decimal::Decimal::ZERO, |(_, b)| b)
    }

    /// The merchant's balance per coin: payments and deposits, less payouts. Takes the payment and
    /// wallet locks one after the other, never both.
    fn balances(&self, payouts: &payouts::Payouts) -> Vec<(&'static str, rust_decimal::Decimal)> {
        let mut totals = self.payments().balances();
        for (code, amount) in self.wallets().balances() {
            match totals.iter_mut().find(|(c, _)| *c == code) {
                Some((_, total)) => *total += amount,
                None => totals.push((code, amount)),
            }
        }
        for (code, total) in &mut totals {
            *total -= payouts.committed(code);
        }
        totals.retain(|(_, total)| !total.is_zero());
        totals.sort_by_key(|(code, _)| *code);
        totals
    }
}

/// A poisoned lock only means another request panicked mid-update; the data is still the best we
/// have, and refusing every later request would be worse.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub use routes::router;
