//! Telling shops what happened: signed HTTP callbacks from a durable outbox, delivered at least
//! once with exponential backoff. Each shop's callbacks go out in order, in a task of their own,
//! so that one slow shop holds up nobody else.
//!
//! A status change and its callback are written in one transaction ([`Store::apply_update`]). A
//! worker claims due callbacks (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several shims
//! never send the same one at once), posts the invoice's current view to the shop's callback URL,
//! and retries failures: 1, 2, 4... times `first_retry`, up to an hour, `max_attempts` in all.
//!
//! Every callback carries `X-Checkout-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>" under the shop's callback secret>`, and `X-Checkout-Delivery: <callback id>` for
//! deduplication. See [`sign`] and [`verify`].

use crate::platforms::PlatformConfig;
use crate::services::{Services, invoice_view, now};
use crate::store::{CallbackQueue, DeliveryAttempt, EventCallback, OutboxJob, Store, StoreError};
use hmac::{KeyInit, Mac};
use shim_api::{Callback, InvoiceUpdated, PayoutUpdated, WalletDeposit};
use shop_adapters::platform::PaymentFacts;
use std::time::Duration;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-checkout-signature";
/// How old a signed callback may be when checked by [`verify`].
pub const TOLERANCE_SECONDS: i64 = 300;

/// How the worker delivers.
#[derive(Debug, Clone, Copy)]
pub struct OutboxPolicy {
    /// Between two passes of the worker.
    pub every: Duration,
    /// The first wait after a failure; it doubles with each further failure, up to an hour.
    pub first_retry: Duration,
    /// Attempts before a callback is given up (and left for `server-shim outbox replay`).
    pub max_attempts: i64,
    /// How long a claimed callback stays hidden from other workers; renewed while it is sent.
    pub lease: Duration,
    /// Shops whose callbacks are sent at once.
    pub shops_at_once: usize,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(1),
            first_retry: Duration::from_secs(10),
            max_attempts: 12,
            lease: Duration::from_secs(60),
            shops_at_once: 16,
        }
    }
}

impl OutboxPolicy {
    /// A pass every 100 ms and the first retry after 100 ms: for shims on this machine (tests,
    /// experiments), whose shops are there at once or not at all.
    pub fn eager() -> Self {
        Self {
            every: Duration::from_millis(100),
            first_retry: Duration::from_millis(100),
            ..Self::default()
        }
    }
}

/// The MAC of `"<timestamp>.<body>"` under `secret`. HMAC takes keys of any length, so this only
/// fails in theory.
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Option<HmacSha256> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("t={timestamp},v1={digest}")
}

/// Whether `header` signs `body` under `secret`, made within [`TOLERANCE_SECONDS`] of `now`.
/// Compared in constant time. For shops (and the demo store) receiving callbacks.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    let mut timestamp = None;
    let mut given = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => given = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(timestamp), Some(given)) = (timestamp, given) else {
        return false;
    };
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return false;
    }
    mac(secret, timestamp, body).is_some_and(|mac| mac.verify_slice(&given).is_ok())
}

/// The outbox worker.
#[derive(Debug, Clone)]
pub struct Outbox {
    services: Services,
    http: reqwest::Client,
    policy: OutboxPolicy,
    /// The shops whose callbacks a task of this worker is sending.
    in_flight: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// Where deliveries are counted, when the worker serves a shim.
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
}

/// Callbacks claimed at once, per queue.
const CLAIM: i64 = 50;

/// A claimed callback of either queue.
#[derive(Debug)]
enum Job {
    Invoice(OutboxJob),
    Event(EventCallback),
}

impl Job {
    fn shop(&self) -> &crate::domain::ShopId {
        match self {
            Job::Invoice(job) => &job.shop_id,
            Job::Event(job) => &job.shop_id,
        }
    }

    fn id(&self) -> i64 {
        match self {
            Job::Invoice(job) => job.id,
            Job::Event(job) => job.id,
        }
    }

    fn queue(&self) -> CallbackQueue {
        match self {
            Job::Invoice(_) => CallbackQueue::Invoices,
            Job::Event(_) => CallbackQueue::Events,
        }
    }

    /// The ids of `jobs`, per queue.
    fn ids(jobs: &[Job]) -> Vec<(CallbackQueue, Vec<i64>)> {
        [CallbackQueue::Invoices, CallbackQueue::Events]
            .into_iter()
            .map(|queue| {
                let ids = jobs
                    .iter()
                    .filter(|j| j.queue() == queue)
                    .map(Job::id)
                    .collect();
                (queue, ids)
            })
            .collect()
    }
}

/// Why a delivery did not happen.
#[derive(Debug)]
enum Failure {
    /// Worth trying again later (the shop was down, busy, slow).
    Retry(String),
    /// Refused by the shop's platform (credentials, permissions, no such order, an answer that
    /// is not the plugin's): no retry helps until someone fixes it, so the callback fails at
    /// once with the platform's words, and is replayed from `outbox replay` once fixed.
    Refused(String),
}

impl From<String> for Failure {
    fn from(error: String) -> Self {
        Failure::Retry(error)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Retry(error) => f.write_str(error),
            Failure::Refused(error) => write!(f, "refused, not retried: {error}"),
        }
    }
}

/// What a shop's callback endpoint answered.
#[derive(Debug, Default)]
struct Answer {
    /// Its HTTP status.
    status: Option<u16>,
    /// The start of its body.
    excerpt: Option<String>,
}

/// One try at telling the shop, before it is kept.
#[derive(Debug)]
struct Attempt<'a> {
    target: &'a str,
    destination: String,
    sent: String,
    http_status: Option<u16>,
    answer: Option<String>,
    delivered: bool,
}

/// Characters of an answer kept for the timeline.
const EXCERPT: usize = 200;

/// The start of `response`'s body as text (at most [`EXCERPT`] characters, read no further than
/// needed), line breaks and control characters as spaces; `None` when it is empty.
async fn excerpt(response: &mut reqwest::Response) -> Option<String> {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT * 4 {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text: String = String::from_utf8_lossy(&bytes)
        .chars()
        .take(EXCERPT)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `url`'s scheme, host and port: where a callback went, without its path or query (which may
/// carry a secret of the shop's).
fn origin(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(
        |_| "(not a URL)".to_owned(),
        |url| url.origin().ascii_serialization(),
    )
}

impl Outbox {
    /// Brings the shop's order in line with the invoice through the shop's platform.
    async fn sync_platform(
        &self,
        config: &PlatformConfig,
        record: &crate::domain::InvoiceRecord,
    ) -> Result<String, Failure> {
        let adapter = config
            .adapter(self.services.egress())
            .map_err(|e| Failure::Refused(e.to_string()))?;
        // The platform's own order id, else the shop's order id.
        let reference = record
            .platform_order_ref
            .clone()
            .unwrap_or_else(|| record.order_id.clone());
        let facts = PaymentFacts {
            invoice_id: record.id.as_str().to_owned(),
            status: record.status,
            // The gateway's payment id: what the merchant finds in the gateway's dashboard.
            txid: record.gateway_uuid.clone(),
            paid: format!(
                "{} {}",
                record.paid_amount.normalize(),
                record.payer_currency.as_deref().unwrap_or_default()
            ),
        };
        let synced = adapter.sync(&reference, &facts).await.map_err(|e| {
            let error = format!("{}: {e}", config.name());
            if e.retry_helps() {
                Failure::Retry(error)
            } else {
                Failure::Refused(error)
            }
        })?;
        tracing::info!(platform = config.name(), order = %reference, invoice = %record.id, ?synced, "shop order synced");
        Ok(match synced {
            shop_adapters::platform::Synced::AlreadyInLine(state) => {
                format!("order {reference} already {state:?}: nothing written")
            }
            shop_adapters::platform::Synced::Applied(action) => {
                format!("order {reference}: {action:?} done")
            }
        })
    }

    /// When the invoice pays a payment session of Shopify's payments app: tells Shopify.
    async fn settle_shopify_session(
        &self,
        config: &PlatformConfig,
        record: &crate::domain::InvoiceRecord,
    ) -> Result<(), String> {
        let Some(session) = self
            .store()
            .payment_session(crate::store::SessionKey::Invoice(&record.id))
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        let Some(shopify) = config
            .shopify_payments(self.services.egress())
            .map_err(|e| e.to_string())?
        else {
            return Err(
                "a Shopify payment session, but the shop's payments app is no longer connected"
                    .into(),
            );
        };
        crate::shopify_payments::settle(&self.services, &shopify, &session, record.status)
            .await
            .map_err(|e| format!("shopify payments: {e}"))
    }

    /// A worker over the services' store.
    pub fn new(services: Services, policy: OutboxPolicy) -> Self {
        // No redirects, and only where the operator lets the shim call on a shop's behalf.
        let http = services
            .egress()
            .client(Duration::from_secs(10))
            .unwrap_or_default();
        Self {
            services,
            http,
            policy,
            in_flight: std::sync::Arc::default(),
            metrics: None,
        }
    }

    /// Counts its deliveries in `metrics` (`shim_callbacks_sent_total`).
    pub fn with_metrics(self, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Self {
        Self {
            metrics: Some(metrics),
            ..self
        }
    }

    fn count_sent(&self) {
        if let Some(metrics) = &self.metrics {
            metrics.callback_sent();
        }
    }

    fn store(&self) -> &Store {
        self.services.store()
    }

    /// One pass: claims the callbacks that are due (a few per shop) and delivers each shop's in a
    /// task of its own, one after the other in the order they were made, so that a slow or
    /// unreachable shop holds up only itself. A shop whose earlier callbacks are still being
    /// sent, or beyond [`OutboxPolicy::shops_at_once`], is handed back for a later pass. While a
    /// task runs, it keeps renewing the leases of the callbacks it holds, so that no other worker
    /// (another process on the same database) takes them. Returns how many callbacks it claimed.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let now = now();
        let lease = self.lease_seconds();
        let store = self.store();
        let mut jobs: Vec<Job> = store
            .claim_event_callbacks(now, now + lease, CLAIM)
            .await?
            .into_iter()
            .map(Job::Event)
            .collect();
        jobs.extend(
            store
                .claim_jobs(now, now + lease, CLAIM)
                .await?
                .into_iter()
                .map(Job::Invoice),
        );
        let claimed = jobs.len();
        let mut by_shop: std::collections::BTreeMap<String, Vec<Job>> = Default::default();
        for job in jobs {
            by_shop.entry(job.shop().0.clone()).or_default().push(job);
        }
        for (shop, jobs) in by_shop {
            let start = {
                let mut busy = self.busy();
                let start = !busy.contains(&shop) && busy.len() < self.policy.shops_at_once.max(1);
                if start {
                    busy.insert(shop.clone());
                }
                start
            };
            if !start {
                for (queue, ids) in Job::ids(&jobs) {
                    store.extend_leases(queue, &ids, now).await?;
                }
                continue;
            }
            let this = self.clone();
            tokio::spawn(async move {
                this.deliver_shop(jobs).await;
                this.busy().remove(&shop);
            });
        }
        Ok(claimed)
    }

    /// Waits until no shop's callbacks are being sent (for an orderly stop).
    pub async fn idle(&self) {
        while !self.busy().is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn busy(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lease_seconds(&self) -> i64 {
        i64::try_from(self.policy.lease.as_secs())
            .unwrap_or(60)
            .max(3)
    }

    /// Delivers one shop's callbacks in order, renewing the leases of those not done yet every
    /// third of a lease.
    async fn deliver_shop(&self, jobs: Vec<Job>) {
        let left =
            std::sync::Mutex::new(jobs.iter().map(|j| (j.queue(), j.id())).collect::<Vec<_>>());
        let work = async {
            for job in &jobs {
                if let Err(e) = self.deliver_one(job).await {
                    tracing::warn!(error = %e, callback = job.id(), "outbox: could not record a delivery");
                }
                left.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .retain(|(queue, id)| (*queue, *id) != (job.queue(), job.id()));
            }
        };
        let renew = async {
            let every =
                Duration::from_secs(u64::try_from(self.lease_seconds() / 3).unwrap_or(1).max(1));
            loop {
                tokio::time::sleep(every).await;
                let held = left
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                let until = now() + self.lease_seconds();
                for queue in [CallbackQueue::Invoices, CallbackQueue::Events] {
                    let ids: Vec<i64> = held
                        .iter()
                        .filter(|(q, _)| *q == queue)
                        .map(|(_, id)| *id)
                        .collect();
                    if let Err(e) = self.store().extend_leases(queue, &ids, until).await {
                        tracing::warn!(error = %e, "outbox: could not renew a lease");
                    }
                }
            }
        };
        tokio::select! {
            () = work => {}
            () = renew => {}
        }
    }

    /// Delivers one callback and records how it went.
    async fn deliver_one(&self, job: &Job) -> Result<(), StoreError> {
        let now = now();
        match job {
            Job::Event(job) => match self.deliver_event(job).await {
                Ok(()) => {
                    self.count_sent();
                    self.store()
                        .finish_callback(CallbackQueue::Events, job.id, true, None, None, now)
                        .await
                }
                Err(error) => {
                    let retry_at = self.retry_at(job.attempts + 1, now);
                    tracing::warn!(callback = job.id, kind = %job.kind, error = %error, given_up = retry_at.is_none(), "shop callback failed");
                    self.store()
                        .finish_callback(
                            CallbackQueue::Events,
                            job.id,
                            false,
                            Some(&error),
                            retry_at,
                            now,
                        )
                        .await
                }
            },
            Job::Invoice(job) => {
                let attempts = job.attempts + 1;
                match self.deliver(job).await {
                    Ok(()) => {
                        self.count_sent();
                        self.store().finish_job(job.id, true, None, None, now).await
                    }
                    Err(refused @ Failure::Refused(_)) => {
                        let error = refused.to_string();
                        tracing::warn!(callback = job.id, attempts, error = %error, "the shop's platform refused: not retried; replay it once fixed");
                        self.store()
                            .finish_job(job.id, false, Some(&error), None, now)
                            .await
                    }
                    Err(Failure::Retry(error)) => {
                        let retry_at = self.retry_at(attempts, now);
                        tracing::warn!(callback = job.id, attempts, error = %error, given_up = retry_at.is_none(), "shop callback failed");
                        self.store()
                            .finish_job(job.id, false, Some(&error), retry_at, now)
                            .await
                    }
                }
            }
        }
    }

    /// When a failed delivery (the `attempts`-th) is tried again: `None` when given up.
    fn retry_at(&self, attempts: i64, now: i64) -> Option<i64> {
        (attempts < self.policy.max_attempts).then(|| {
            let wait = self.policy.first_retry.as_secs_f64() * 2f64.powi(attempts as i32 - 1);
            now + wait.min(3600.0).ceil() as i64
        })
    }

    /// Posts a deposit (with its wallet as it stands now) or a payout to the shop's callback URL.
    async fn deliver_event(&self, job: &crate::store::EventCallback) -> Result<(), String> {
        let store = self.store();
        let Some((url, secret)) = store
            .shop_callback(&job.shop_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Err("the shop has no callback URL any more".into());
        };
        let delivery = format!("{}-{}", job.kind, job.id);
        if job.kind == "payout" {
            let payout = self
                .services
                .payouts
                .payout(&job.subject, &job.shop_id)
                .await
                .map_err(|e| e.to_string())?;
            let body = Callback::PayoutUpdated(PayoutUpdated {
                delivery_id: delivery.clone(),
                status: job.subject_status.clone(),
                payout: crate::services::payouts::payout_view(&payout),
            });
            return self.post(&url, &secret, &delivery, &body).await.0;
        }
        let deposit = store
            .deposit(&job.subject)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("deposit not found")?;
        let wallet = self
            .services
            .wallets
            .wallet(&deposit.wallet_id, Some(&job.shop_id))
            .await
            .map_err(|e| e.to_string())?;
        let view = self
            .services
            .wallets
            .wallet_view(&wallet)
            .await
            .map_err(|e| e.to_string())?;
        let deposit_view = view
            .deposits
            .iter()
            .find(|d| d.id == deposit.gateway_uuid)
            .cloned();
        // `status` is what this callback tells of; `deposit` and `wallet` are as they stand now
        // (a late callback may find the deposit further on). Credit once per deposit id.
        let body = Callback::WalletDeposit(WalletDeposit {
            delivery_id: delivery.clone(),
            status: job.subject_status.clone(),
            customer: wallet.customer,
            deposit: deposit_view,
            wallet: view,
        });
        self.post(&url, &secret, &delivery, &body).await.0
    }

    /// Posts `body`, signed, to a shop's callback `url`: whether the shop took it, and what it
    /// answered (its HTTP status and the start of its answer, or why there was no answer).
    async fn post(
        &self,
        url: &str,
        secret: &str,
        delivery: &str,
        body: &Callback,
    ) -> (Result<(), String>, Answer) {
        let mut answer = Answer::default();
        let result = async {
            self.services
                .egress()
                .check(url)
                .await
                .map_err(|e| e.to_string())?;
            let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
            let mut response = self
                .http
                .post(url)
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, sign(secret, now(), &body))
                .header("x-checkout-delivery", delivery)
                .body(body)
                .send()
                .await
                .map_err(|e| {
                    if e.is_timeout() {
                        "timed out".to_owned()
                    } else {
                        "connection failed".to_owned()
                    }
                })?;
            let status = response.status();
            answer.status = Some(status.as_u16());
            answer.excerpt = excerpt(&mut response).await;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("the shop answered {}", status.as_u16()))
            }
        }
        .await;
        (result, answer)
    }

    /// Keeps one try at telling the shop about job `job`'s invoice, for its timeline.
    async fn note(&self, job: &OutboxJob, attempt: Attempt<'_>) {
        let attempt = DeliveryAttempt {
            invoice_id: job.invoice_id.clone(),
            job_id: job.id,
            version: job.version,
            target: attempt.target.to_owned(),
            destination: attempt.destination,
            sent: attempt.sent,
            http_status: attempt.http_status,
            answer: attempt.answer,
            delivered: attempt.delivered,
            at: now(),
        };
        if let Err(e) = self.store().record_attempt(&attempt).await {
            tracing::warn!(error = %e, "could not keep a delivery attempt for the timeline");
        }
    }

    /// Tells the shop: moves its order through its platform's API when it is connected to one,
    /// and posts the signed callback when it has a callback URL. Both are safe to repeat (the
    /// platform sync reads before it writes; callbacks carry their delivery id).
    async fn deliver(&self, job: &OutboxJob) -> Result<(), Failure> {
        let store = self.store();
        let callback = store
            .shop_callback(&job.shop_id)
            .await
            .map_err(|e| e.to_string())?;
        let platform = match store.shop_platform(&job.shop_id).await {
            Ok(platform) => platform,
            Err(crate::store::StoreError::Corrupt(_)) => {
                return Err(Failure::Refused(
                    "the shop's platform settings cannot be read".to_owned(),
                ));
            }
            Err(e) => return Err(e.to_string().into()),
        };
        if callback.is_none() && platform.is_none() {
            return Err(Failure::Refused(
                "the shop has no callback URL or platform any more".into(),
            ));
        }
        let record = store
            .invoice(&job.invoice_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "invoice not found".to_owned())?;
        if let Some(platform) = platform {
            let (sent, result) = if record.shop_order {
                let sent = format!("the order to {}", record.status);
                (sent, self.sync_platform(&platform, &record).await)
            } else {
                let sent = format!("the payment session to {}", record.status);
                let result = self.settle_shopify_session(&platform, &record).await;
                (
                    sent,
                    result.map(|()| "done".to_owned()).map_err(Failure::Retry),
                )
            };
            let answer = match &result {
                Ok(done) => done.clone(),
                Err(failure) => failure.to_string(),
            };
            let attempt = Attempt {
                target: platform.name(),
                destination: platform.describe(),
                sent,
                http_status: None,
                answer: Some(answer),
                delivered: result.is_ok(),
            };
            self.note(job, attempt).await;
            result?;
        }
        let Some((url, secret)) = callback else {
            return Ok(());
        };
        let body = Callback::InvoiceUpdated(InvoiceUpdated {
            delivery_id: job.id,
            order_id: record.order_id.clone(),
            platform_order_ref: record.platform_order_ref.clone(),
            invoice: invoice_view(&record, now()),
        });
        let (result, answer) = self.post(&url, &secret, &job.id.to_string(), &body).await;
        let attempt = Attempt {
            target: "callback",
            destination: origin(&url),
            sent: format!("invoice.updated: {}", record.status),
            http_status: answer.status,
            answer: answer.excerpt.or_else(|| result.as_ref().err().cloned()),
            delivered: result.is_ok(),
        };
        self.note(job, attempt).await;
        Ok(result?)
    }
}

/// Posts a signed `test` callback to `shop`'s callback URL now, for the console: where it went
/// and what the shop answered (the HTTP status and the start of the answer), or why it could not
/// be sent.
pub async fn test_callback(
    services: &Services,
    shop: &crate::domain::Shop,
) -> Result<String, String> {
    let Some((url, secret)) = services
        .store()
        .shop_callback(&shop.id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Err("the shop has no callback URL".into());
    };
    let outbox = Outbox::new(services.clone(), OutboxPolicy::default());
    let delivery = format!("test-{}", now());
    let body = Callback::Test(shim_api::TestCallback {
        delivery_id: delivery.clone(),
        shop: shop.name.clone(),
    });
    let (result, answer) = outbox.post(&url, &secret, &delivery, &body).await;
    let mut said = format!("sent to {}", origin(&url));
    if let Some(status) = answer.status {
        said.push_str(&format!(": HTTP {status}"));
    }
    if let Some(excerpt) = answer.excerpt {
        said.push_str(&format!("; answer: {excerpt}"));
    }
    match result {
        Ok(()) => Ok(said),
        Err(_) if answer.status.is_some() => Err(said),
        Err(e) => Err(format!("{said}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_expire() {
        let header = sign("whsec_x", 1000, b"{}");
        assert!(header.starts_with("t=1000,v1="));
        assert!(verify("whsec_x", &header, b"{}", 1100));
        assert!(!verify("whsec_y", &header, b"{}", 1100), "another secret");
        assert!(!verify("whsec_x", &header, b"{ }", 1100), "another body");
        assert!(
            !verify("whsec_x", &header, b"{}", 1000 + TOLERANCE_SECONDS + 1),
            "too old"
        );
        assert!(!verify("whsec_x", "t=1000", b"{}", 1000));
        assert!(!verify("whsec_x", "garbage", b"{}", 1000));
    }
}
