//! The use cases: create an invoice at the gateway, show it to the payer, and take the gateway's
//! webhooks. HTTP lives in `routes`; this module only knows the store and the gateway.

use crate::changes::ChangeFeed;
use crate::domain::{InvoiceRecord, NewInvoice, ReviewReason, Shop, ShopId, new_invoice_id};
use crate::payment_uri::payment_uri;
use crate::store::{
    GatewayDetails, InboxWebhook, InvoiceEvent, InvoicePayment, InvoiceUpdate, NewWebhook, Store,
    StoreError, WithChange,
};
use rust_decimal::Decimal;
use shim_api::{
    ChooseCoinRequest, CoinOption, CreateInvoiceRequest, InvoiceId, InvoiceStatus, InvoiceView,
};
use shim_gateway::{
    ApiKey, CreateInvoice, CryptomusClient, GatewayError, GatewayInvoice, PaymentRef,
    PaymentStatus, WebhookError,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How long a cached invoice may serve views without a change notice.
const VIEW_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// Invoices the view cache holds before it starts over.
const VIEW_CACHE_SIZE: usize = 10_000;

/// Seconds a webhook's receiver holds it before the inbox worker may take it over (the receiver
/// died, or the gateway is slow).
pub const WEBHOOK_LEASE: i64 = 15;
/// Processing attempts before a webhook is given up (the reconciler still watches its invoice).
const WEBHOOK_ATTEMPTS: i64 = 40;
/// Processed webhooks are kept this long, for audit.
const WEBHOOK_RETENTION: i64 = 30 * 24 * 3600;

/// How long the gateway's list of coins is trusted.
const COINS_TTL: std::time::Duration = std::time::Duration::from_secs(600);
/// Payments one invoice may have at the gateway: the first, and one per coin picked after.
const MAX_PAYMENTS: usize = 8;
/// The gateway's shortest and longest invoice lifetimes, seconds.
const LIFETIME_RANGE: (i64, i64) = (300, 43_200);

/// The gateway's default invoice lifetime, used until it tells us the real expiry.
const DEFAULT_LIFETIME: i64 = 3600;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
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

/// Why a webhook was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IpnError {
    /// Not signed by the gateway (or not a webhook at all); nothing was written.
    #[error(transparent)]
    Rejected(#[from] WebhookError),
    /// The gateway could not be asked for the payment's state; the webhook should be sent again.
    #[error("could not confirm the payment with the gateway")]
    GatewayUnavailable(#[source] GatewayError),
    /// The gateway refused our re-fetch (credentials, or an answer we cannot read); the webhook
    /// should be sent again once the merchant fixes the configuration.
    #[error("the gateway refused to confirm the payment")]
    Gateway(#[source] GatewayError),
    /// The store failed; the webhook should be sent again.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a webhook led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpnOutcome {
    /// The invoice moved; its new status.
    Applied(InvoiceStatus),
    /// Nothing new (a duplicate or a stale webhook).
    Unchanged,
    /// The invoice is final and the gateway reports something else; kept, logged.
    Refused(InvoiceStatus),
    /// No invoice of ours has that id; acknowledged and logged.
    UnknownInvoice,
    /// A deposit to a static wallet was recorded or moved on; its status.
    Deposit(String),
    /// A payout moved on; its status.
    Payout(String),
    /// Not a webhook the shim acts on; acknowledged.
    Ignored,
}

/// The current unix time.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The checkout service. Cheap to clone (one shared allocation): every request's handler and
/// middleware takes a clone.
#[derive(Debug, Clone)]
pub struct Checkout(Arc<CheckoutInner>);

impl std::ops::Deref for Checkout {
    type Target = CheckoutInner;

    fn deref(&self) -> &CheckoutInner {
        &self.0
    }
}

/// What a [`Checkout`] holds.
#[derive(Debug)]
pub struct CheckoutInner {
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

/// An invoice read for the public view, and its JSON for one second.
#[derive(Debug)]
struct CachedView {
    read_at: std::time::Instant,
    record: InvoiceRecord,
    json: Option<(i64, bytes::Bytes)>,
}

impl Checkout {
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
        Self(Arc::new(CheckoutInner {
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

    /// Where the shim may connect on a shop's behalf (its platform, its callbacks).
    pub fn egress(&self) -> &shop_adapters::egress::Egress {
        &self.egress
    }

    /// Every invoice change from now on, by id, from every shim process sharing the database. A
    /// receiver that falls behind gets `Lagged` and should re-read the invoices it follows.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<InvoiceId> {
        self.changes.subscribe()
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

    /// Creates (or returns) the shop's invoice for an order. Idempotent per shop and order id:
    /// the same request returns the same invoice; another amount or currency is a conflict.
    /// Returns the invoice and whether this call created it.
    pub async fn create_invoice(
        &self,
        shop: &Shop,
        request: CreateInvoiceRequest,
    ) -> Result<(InvoiceRecord, bool), CheckoutError> {
        self.create(shop, request, true).await
    }

    /// Like [`Checkout::create_invoice`], for an invoice that pays no order of the shop's platform
    /// (a payment link's, a pay button's, a Shopify payment session's): the platform is neither
    /// asked about it nor told.
    pub async fn create_standalone_invoice(
        &self,
        shop: &Shop,
        request: CreateInvoiceRequest,
    ) -> Result<(InvoiceRecord, bool), CheckoutError> {
        self.create(shop, request, false).await
    }

    #[tracing::instrument(skip_all, fields(shop = %shop.name))]
    async fn create(
        &self,
        shop: &Shop,
        request: CreateInvoiceRequest,
        shop_order: bool,
    ) -> Result<(InvoiceRecord, bool), CheckoutError> {
        let mut new = NewInvoice::parse(new_invoice_id()?, shop.id.clone(), request)
            .map_err(CheckoutError::Invalid)?;
        new.shop_order = shop_order;
        let (mut record, created) = self.store.insert_invoice(&new, now()).await?;
        if !created && !new.same_payment_as(&record) {
            return Err(CheckoutError::Conflict(format!(
                "order {} already has an invoice for {} {}; use a new order_id for another payment",
                record.order_id, record.amount, record.currency
            )));
        }
        if created
            && record.shop_order
            && let Err(e) = self.check_with_platform(&record).await
        {
            self.store.delete_unattached(&record.id).await?;
            return Err(e);
        }
        // Also reached when an earlier attempt stored the invoice but the gateway call failed:
        // the gateway returns the same payment for the same order id, so repeating is safe.
        if record.gateway_uuid.is_none() {
            let gateway = match self
                .gateway
                .create_invoice(&self.gateway_request(&record))
                .await
            {
                Ok(gateway) => gateway,
                Err(e @ (GatewayError::InvalidRequest(_) | GatewayError::Validation(_))) => {
                    // Nothing exists at the gateway: forget the order, so a corrected request
                    // with the same order id starts afresh.
                    self.store.delete_unattached(&record.id).await?;
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            };
            let details = GatewayDetails {
                status: gateway.status.as_str().to_owned(),
                uuid: gateway.uuid,
                payer_amount: gateway.payer_amount,
                payer_currency: gateway.payer_currency,
                network: gateway.network,
                address: gateway.address,
                expires_at: gateway.expires_at,
            };
            let now = now();
            self.store.attach_gateway(&record.id, &details, now).await?;
            self.forget(&record.id);
            self.changes.publish(&record.id).await;
            record = self
                .store
                .invoice(&record.id)
                .await?
                .ok_or(CheckoutError::NotFound)?;
            let event = InvoiceEvent {
                source: "create".into(),
                gateway_status: Some(details.status),
                outcome: "created at gateway".into(),
                version: record.version,
            };
            self.store.record_event(&record.id, &event, now).await?;
            tracing::info!(invoice = %record.id, "invoice created");
        }
        Ok((record, created))
    }

    /// The coins a payer may pick, from the gateway's services list (cached for a while).
    pub async fn coins(&self) -> Result<Arc<Vec<CoinOption>>, CheckoutError> {
        let cached = || {
            self.coins
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((at, coins)) = &*cached()
            && at.elapsed() < COINS_TTL
        {
            return Ok(coins.clone());
        }
        let mut coins: Vec<CoinOption> = self
            .gateway
            .services()
            .await?
            .into_iter()
            .filter(|service| service.available)
            .map(|service| CoinOption {
                currency: service.currency,
                network: service.network,
                min_amount: service.min_amount.normalize().to_string(),
                max_amount: service.max_amount.normalize().to_string(),
            })
            .collect();
        coins.sort_by(|a, b| (&a.currency, &a.network).cmp(&(&b.currency, &b.network)));
        let coins = Arc::new(coins);
        *cached() = Some((std::time::Instant::now(), coins.clone()));
        Ok(coins)
    }

    /// The payer picks a coin and network: the invoice gets a payment at the gateway in that
    /// coin (a new one, or the one made when the payer picked it before) and shows it. The
    /// earlier payments stay valid at the gateway: money sent to them still counts. Only while
    /// nothing is paid and the invoice is open; picking the current coin again changes nothing.
    #[tracing::instrument(skip_all, fields(invoice = %id))]
    pub async fn choose_coin(
        &self,
        id: &InvoiceId,
        choice: &ChooseCoinRequest,
    ) -> Result<InvoiceView, CheckoutError> {
        let currency = choice.currency.trim().to_ascii_uppercase();
        let network = choice.network.trim().to_ascii_lowercase();
        // Webhooks of this invoice wait: a payment arriving meanwhile is applied after.
        let lock = self.invoice_lock(id);
        let _guard = lock.lock().await;
        let record = self
            .store
            .invoice(id)
            .await?
            .ok_or(CheckoutError::NotFound)?;
        let now = now();
        let view = invoice_view(&record, now);
        let same = |coin: &Option<String>, net: &Option<String>| {
            coin.as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(&currency))
                && net
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&network))
        };
        if same(&record.payer_currency, &record.network) {
            return Ok(view);
        }
        if !view.can_change_coin {
            return Err(CheckoutError::Conflict(
                if record.status != InvoiceStatus::Pending {
                    format!(
                        "the invoice is {}: its coin can no longer change",
                        record.status
                    )
                } else if !record.paid_amount.is_zero() {
                    "a payment has arrived: the coin can no longer change".to_owned()
                } else {
                    "the invoice has expired".to_owned()
                },
            ));
        }
        let coins = self.coins().await?;
        if !coins
            .iter()
            .any(|c| c.currency == currency && c.network == network)
        {
            return Err(CheckoutError::Invalid(format!(
                "{currency} on {network} is not offered; pick one from GET /v1/invoices/{id}/coins"
            )));
        }
        let payments = self.store.payments(id).await?;
        let earlier = payments.iter().find(|p| {
            same(&p.details.payer_currency, &p.details.network) && p.details.expires_at > now
        });
        let payment = match earlier {
            Some(payment) => payment.clone(),
            None => {
                if payments.len() >= MAX_PAYMENTS {
                    return Err(CheckoutError::Conflict(format!(
                        "the coin of this invoice was changed {MAX_PAYMENTS} times; pick one already tried"
                    )));
                }
                let gateway_order_id = format!("{id}-{}", payments.len() + 1);
                // The new payment ends when the invoice does: picking a coin buys no time.
                let expires_at = view_expiry(&record);
                let lifetime = (expires_at - now).clamp(LIFETIME_RANGE.0, LIFETIME_RANGE.1);
                let request = CreateInvoice {
                    order_id: gateway_order_id.clone(),
                    to_currency: Some(currency.clone()),
                    network: Some(network.clone()),
                    lifetime: Some(lifetime as u32),
                    ..self.gateway_request(&record)
                };
                let created = self.gateway.create_invoice(&request).await?;
                InvoicePayment {
                    gateway_order_id,
                    details: GatewayDetails {
                        uuid: created.uuid,
                        status: created.status.as_str().to_owned(),
                        payer_amount: created.payer_amount,
                        payer_currency: created.payer_currency.or(Some(currency.clone())),
                        network: created.network.or(Some(network.clone())),
                        address: created.address,
                        expires_at: created.expires_at,
                    },
                }
            }
        };
        if !self
            .store
            .switch_payment(id, record.version, &payment, now)
            .await?
        {
            return Err(CheckoutError::Conflict(
                "the invoice changed meanwhile; try again".into(),
            ));
        }
        self.forget(id);
        self.changes.publish(id).await;
        let event = InvoiceEvent {
            source: "payer".into(),
            gateway_status: Some(payment.details.status.clone()),
            outcome: format!("coin changed to {currency} on {network}"),
            version: record.version + 1,
        };
        self.store.record_event(id, &event, now).await?;
        tracing::info!(%currency, %network, "payer changed the coin");
        self.fresh_view(id).await
    }

    /// For a shop connected to its platform: the order must exist there with the same total and
    /// currency, so a tampered checkout cannot ask for less than the order costs.
    async fn check_with_platform(&self, record: &InvoiceRecord) -> Result<(), CheckoutError> {
        let Some(config) = self.store.shop_platform(&record.shop_id).await? else {
            return Ok(());
        };
        let reference = record
            .platform_order_ref
            .as_deref()
            .unwrap_or(&record.order_id);
        let adapter = config
            .adapter(&self.egress)
            .map_err(|e| CheckoutError::ShopUnavailable(e.to_string()))?;
        let order = match adapter.order(reference).await {
            Ok(order) => order,
            Err(e) if e.retry_helps() => {
                return Err(CheckoutError::ShopUnavailable(format!(
                    "the shop's {} could not be asked about order {reference}: {e}",
                    config.name()
                )));
            }
            Err(e) => {
                return Err(CheckoutError::Conflict(format!(
                    "the shop's {} does not confirm order {reference}: {e}",
                    config.name()
                )));
            }
        };
        let total = order.total.parse::<Decimal>().ok();
        if total != Some(record.amount) || !order.currency.eq_ignore_ascii_case(&record.currency) {
            return Err(CheckoutError::Conflict(format!(
                "order {reference} totals {} {} at the shop's {}, not {} {}",
                order.total,
                order.currency,
                config.name(),
                record.amount,
                record.currency
            )));
        }
        Ok(())
    }

    fn gateway_request(&self, record: &InvoiceRecord) -> CreateInvoice {
        CreateInvoice {
            amount: record.amount,
            currency: record.currency.clone(),
            order_id: record.id.as_str().to_owned(),
            network: record.network.clone(),
            to_currency: record.to_currency.clone(),
            lifetime: record.lifetime,
            url_callback: Some(format!("{}/v1/ipn/cryptomus", self.public_url)),
            url_return: record.url_return.clone(),
            url_success: record.url_success.clone(),
            ..CreateInvoice::default()
        }
    }

    /// Drops a cached invoice before its change is announced, so nobody told of the change can
    /// read the old one from the cache.
    fn forget(&self, id: &InvoiceId) {
        self.cached_views().remove(id);
    }

    /// The public view of an invoice, read from the database (for live streams, which must see
    /// the change they were told of).
    pub async fn fresh_view(&self, id: &InvoiceId) -> Result<InvoiceView, CheckoutError> {
        let record = self
            .store
            .invoice(id)
            .await?
            .ok_or(CheckoutError::NotFound)?;
        Ok(invoice_view(&record, now()))
    }

    fn cached_views(&self) -> std::sync::MutexGuard<'_, HashMap<InvoiceId, CachedView>> {
        self.views
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The public view of an invoice as JSON, from a short-lived cache when possible. The
    /// encoded body is kept for the second it was made in (its countdown is in seconds), so a
    /// burst of polls encodes it once.
    pub async fn view_json(&self, id: &InvoiceId) -> Result<bytes::Bytes, CheckoutError> {
        let encode = |view: &InvoiceView| {
            serde_json::to_vec(view)
                .map(bytes::Bytes::from)
                .map_err(|e| CheckoutError::Store(StoreError::Corrupt(e.to_string())))
        };
        let now = now();
        if let Some(cached) = self.cached_views().get_mut(id)
            && cached.read_at.elapsed() < VIEW_CACHE_TTL
        {
            if let Some((second, json)) = &cached.json
                && *second == now
            {
                return Ok(json.clone());
            }
            let json = encode(&invoice_view(&cached.record, now))?;
            cached.json = Some((now, json.clone()));
            return Ok(json);
        }
        encode(&self.view(id).await?)
    }

    /// The public view of an invoice, from a short-lived cache when possible.
    pub async fn view(&self, id: &InvoiceId) -> Result<InvoiceView, CheckoutError> {
        if let Some(cached) = self.cached_views().get(id)
            && cached.read_at.elapsed() < VIEW_CACHE_TTL
        {
            return Ok(invoice_view(&cached.record, now()));
        }
        let record = self
            .store
            .invoice(id)
            .await?
            .ok_or(CheckoutError::NotFound)?;
        let view = invoice_view(&record, now());
        let mut cache = self.cached_views();
        if cache.len() >= VIEW_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(
            id.clone(),
            CachedView {
                read_at: std::time::Instant::now(),
                record,
                json: None,
            },
        );
        Ok(view)
    }

    /// The lock serialising webhooks of one invoice. Entries nobody holds are dropped as new
    /// ones are made, so the map only holds invoices with a webhook in progress.
    fn invoice_lock(&self, id: &InvoiceId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .ipn_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(id.clone()).or_default().clone()
    }

    /// Takes a webhook in: verifies it over the raw body and writes it to the inbox, leased to the
    /// caller for [`WEBHOOK_LEASE`] seconds. Once this returns, the webhook is durable and may be
    /// acknowledged; [`Checkout::process_webhook`] then applies it (or the inbox worker does, if the
    /// caller dies first). `true` with it: the same body was taken in before, and that row is
    /// applied (or will be) instead; there is nothing more to do.
    pub async fn receive_webhook(&self, raw: &[u8]) -> Result<(InboxWebhook, bool), IpnError> {
        let body = String::from_utf8_lossy(raw).into_owned();
        let webhook = match shim_gateway::verify_webhook(raw, &self.payment_key) {
            // A payout's is signed with the payout key, and says so.
            Ok(hook) if hook.kind == "payout" => return Err(WebhookError::BadSignature.into()),
            Ok(hook) => NewWebhook {
                kind: hook.kind,
                order_id: hook.order_id,
                gateway_uuid: hook.uuid,
                gateway_status: hook.status.as_str().to_owned(),
                // Verified, so it parsed as JSON, so it is UTF-8.
                body,
            },
            Err(payment_error) => {
                let Some(payout_key) = self.gateway.payout_webhook_key() else {
                    return Err(payment_error.into());
                };
                let hook = shim_gateway::verify_payout_webhook(raw, payout_key)
                    .map_err(|_| payment_error)?;
                NewWebhook {
                    kind: "payout".into(),
                    order_id: hook.order_id,
                    gateway_uuid: hook.uuid,
                    gateway_status: hook.status.as_str().to_owned(),
                    body,
                }
            }
        };
        let now = now();
        let (id, duplicate) = self
            .store
            .insert_webhook(&webhook, now, now + WEBHOOK_LEASE)
            .await?;
        let received = InboxWebhook {
            id,
            webhook,
            attempts: 0,
            received_at: now,
            processed_at: None,
            outcome: None,
        };
        Ok((received, duplicate))
    }

    /// Applies a webhook from the inbox and records the outcome there: done, or retried later with
    /// backoff when the gateway or the store failed.
    #[tracing::instrument(skip_all, fields(webhook = webhook.id))]
    pub async fn process_webhook(&self, webhook: &InboxWebhook) -> Result<IpnOutcome, IpnError> {
        let result = self.apply_webhook(&webhook.webhook, webhook.id).await;
        let now = now();
        let (outcome, retry_at) = match &result {
            // Marked processed in the same transaction as the change it made.
            Ok((outcome, true)) => return Ok(outcome.clone()),
            Ok((outcome, false)) => (outcome.to_string(), None),
            Err(e) => {
                let attempts = webhook.attempts + 1;
                let retry_at = (attempts < WEBHOOK_ATTEMPTS)
                    .then(|| now + (5 * 2i64.pow(attempts.clamp(1, 9) as u32 - 1)).min(900));
                tracing::warn!(error = %e, attempts, given_up = retry_at.is_none(), "webhook not applied yet");
                let verb = if retry_at.is_some() {
                    "retrying"
                } else {
                    "given up"
                };
                (format!("{verb}: {e}"), retry_at)
            }
        };
        self.store
            .finish_webhook(webhook.id, &outcome, retry_at, now)
            .await?;
        result.map(|(outcome, _)| outcome)
    }

    /// Re-fetches the payment a webhook names from the gateway (the webhook is only a hint) and
    /// applies what changed. Duplicates and stale webhooks change nothing but the event log.
    async fn apply_webhook(
        &self,
        hook: &NewWebhook,
        inbox: i64,
    ) -> Result<(IpnOutcome, bool), IpnError> {
        if hook.kind == "wallet" {
            return self.apply_deposit(hook, inbox).await;
        }
        if hook.kind == "payout" {
            return self.apply_payout(hook, inbox).await;
        }
        if hook.kind != "payment" {
            tracing::info!(kind = %hook.kind, "ignoring a webhook neither of a payment nor of a deposit");
            return Ok((IpnOutcome::Ignored, false));
        }
        // `<invoice id>-<n>` names the payment for the n-th coin the payer picked.
        let invoice = hook
            .order_id
            .split_once('-')
            .map_or(hook.order_id.as_str(), |(invoice, _)| invoice);
        let Some(id) = InvoiceId::parse(invoice) else {
            tracing::warn!(order_id = %hook.order_id, "webhook for an order id the shim never issued");
            return Ok((IpnOutcome::UnknownInvoice, false));
        };
        let Some(known) = self.store.invoice(&id).await? else {
            tracing::warn!(invoice = %id, "webhook for an unknown invoice");
            return Ok((IpnOutcome::UnknownInvoice, false));
        };
        self.refresh(
            &known,
            &hook.gateway_uuid,
            &format!("webhook said {}", hook.gateway_status),
            Some(inbox),
        )
        .await
    }

    /// One pass of the inbox worker: applies webhooks whose receiver did not finish them (it died,
    /// or the gateway was unavailable), and forgets old processed ones. Returns how many it tried.
    pub async fn process_inbox(&self) -> Result<usize, StoreError> {
        let now = now();
        let due = self.store.claim_webhooks(now, now + 60, 50).await?;
        for webhook in &due {
            match self.process_webhook(webhook).await {
                Ok(outcome) => {
                    tracing::info!(webhook = webhook.id, %outcome, "webhook applied from the inbox")
                }
                Err(IpnError::GatewayUnavailable(_)) => break,
                Err(_) => {}
            }
        }
        self.store.prune_webhooks(now - WEBHOOK_RETENTION).await?;
        Ok(due.len())
    }

    /// Keeps the shop's ledger: what the gateway says payment `fetched` brought to the merchant's
    /// balance once it is over (nothing once refunded), whatever the invoice does with it.
    async fn record_credit(
        &self,
        shop: &ShopId,
        fetched: &GatewayInvoice,
    ) -> Result<(), StoreError> {
        let credited = match fetched.status {
            PaymentStatus::Paid
            | PaymentStatus::PaidOver
            | PaymentStatus::WrongAmount
            | PaymentStatus::RefundFail => fetched.merchant_amount,
            PaymentStatus::RefundProcess | PaymentStatus::RefundPaid => Some(Decimal::ZERO),
            _ => None,
        };
        if let (Some(amount), Some(currency)) = (credited, fetched.payer_currency.as_deref()) {
            self.store
                .record_credit(shop, &fetched.uuid, currency, amount, now())
                .await?;
        }
        Ok(())
    }

    /// Re-fetches the gateway's payment `uuid` for invoice `known` and applies what changed.
    /// `why` goes into the event log. Shared by webhooks and the reconciler.
    async fn refresh(
        &self,
        known: &InvoiceRecord,
        uuid: &str,
        why: &str,
        inbox: Option<i64>,
    ) -> Result<(IpnOutcome, bool), IpnError> {
        let id = &known.id;
        // One refresh per invoice at a time: fetching and applying under the same lock means an
        // older snapshot of the payment can never be applied after a newer one.
        let lock = self.invoice_lock(id);
        // When nobody held the lock, the first decision uses the caller's read of the invoice
        // rather than reading it again: should it be stale after all (a change made just before,
        // or by another process), the versioned update fails and the loop below reads afresh.
        let (_guard, mut latest) = match lock.clone().try_lock_owned() {
            Ok(guard) => (guard, Some(known.clone())),
            Err(_) => (lock.lock_owned().await, None),
        };
        let source = if why.starts_with("webhook") {
            "ipn"
        } else {
            "reconcile"
        };
        let ignore = |outcome: &str, gateway_status: Option<String>| InvoiceEvent {
            source: source.into(),
            gateway_status,
            outcome: outcome.into(),
            version: known.version,
        };
        let fetched = match self
            .gateway
            .payment_info(&PaymentRef::Uuid(uuid.to_owned()))
            .await
        {
            Ok(fetched) => fetched,
            Err(GatewayError::NotFound(_)) => {
                // A test webhook (`/v1/test-webhook/payment` stores nothing) or a forged uuid.
                tracing::warn!(invoice = %id, "the gateway does not know the payment");
                let event = ignore("ignored: the gateway does not know the payment", None);
                self.store.record_event(id, &event, now()).await?;
                return Ok((IpnOutcome::Ignored, false));
            }
            Err(e) if e.is_transient() => return Err(IpnError::GatewayUnavailable(e)),
            Err(e) => return Err(IpnError::Gateway(e)),
        };
        // The gateway's own record must be one of the payments we created for this invoice: the
        // first one (the common case, no query), or one made for a coin the payer picked later.
        let first = fetched.order_id == id.as_str()
            && known
                .gateway_uuid
                .as_deref()
                .is_none_or(|uuid| uuid == fetched.uuid);
        let ours =
            first
                || self.store.payments(id).await?.iter().any(|p| {
                    p.details.uuid == fetched.uuid && p.gateway_order_id == fetched.order_id
                });
        if !ours {
            tracing::warn!(invoice = %id, "a webhook names a payment that is not this invoice's");
            let event = ignore(
                "ignored: the payment belongs to another order",
                Some(fetched.status.as_str().to_owned()),
            );
            self.store.record_event(id, &event, now()).await?;
            return Ok((IpnOutcome::Ignored, false));
        }
        self.record_credit(&known.shop_id, &fetched).await?;

        // A concurrent writer (another process) may win the version race; decide again.
        for _ in 0..5 {
            let current = match latest.take() {
                Some(current) => current,
                None => self
                    .store
                    .invoice(id)
                    .await?
                    .ok_or(StoreError::Corrupt("invoice vanished".into()))?,
            };
            let now = now();
            // A payment for a coin the payer picked earlier: money sent there counts (the
            // invoice follows that payment from now on); anything else (its expiry) is noise.
            if current
                .gateway_uuid
                .as_deref()
                .is_some_and(|uuid| uuid != fetched.uuid)
            {
                let money = fetched.payment_amount.is_some_and(|p| p > Decimal::ZERO)
                    || matches!(
                        InvoiceStatus::from(&fetched.status),
                        InvoiceStatus::Confirming
                            | InvoiceStatus::PartiallyPaid
                            | InvoiceStatus::Paid
                            | InvoiceStatus::Overpaid
                            | InvoiceStatus::Underpaid
                    );
                if !money {
                    if source != "reconcile" {
                        let event = ignore(
                            "ignored: a payment for a coin the payer no longer uses",
                            Some(fetched.status.as_str().to_owned()),
                        );
                        self.store.record_event(id, &event, now).await?;
                    }
                    return Ok((IpnOutcome::Ignored, false));
                }
                let late = ReviewReason::MoneyAfterFinal.as_str();
                if current.review_reason.as_deref() == Some(late) {
                    // In review for such money already: the invoice keeps its coin.
                    let event = ignore(
                        "unchanged: more money on an earlier coin; the invoice is in review for it",
                        Some(fetched.status.as_str().to_owned()),
                    );
                    self.store.record_event(id, &event, now).await?;
                    return Ok((IpnOutcome::Unchanged, false));
                }
                if current.status.is_final() && current.status != InvoiceStatus::Expired {
                    // Over already: the invoice keeps its coin, and the money goes to review,
                    // the shop told, for the merchant to refund or keep.
                    let outcome = IpnOutcome::Applied(InvoiceStatus::Review);
                    let update = InvoiceUpdate {
                        status: InvoiceStatus::Review,
                        gateway_status: current
                            .gateway_status
                            .clone()
                            .unwrap_or_else(|| fetched.status.as_str().to_owned()),
                        paid_amount: current.paid_amount,
                        payer_amount: None,
                        address: None,
                        review_reason: Some(late.to_owned()),
                    };
                    let event = InvoiceEvent {
                        source: source.into(),
                        gateway_status: Some(fetched.status.as_str().to_owned()),
                        outcome: format!(
                            "{outcome} (money reached the address of a coin used earlier, after the invoice was {}; {why})",
                            current.status
                        ),
                        version: current.version + 1,
                    };
                    let with = WithChange {
                        notify_shop: true,
                        event: Some(&event),
                        webhook: inbox.map(|id| (id, outcome.to_string())),
                    };
                    if !self
                        .store
                        .apply_update(id, current.version, &update, now, with)
                        .await?
                    {
                        continue;
                    }
                    tracing::warn!(invoice = %id, "money on an earlier coin after the invoice was over: review");
                    self.forget(id);
                    self.changes.publish(id).await;
                    return Ok((outcome, inbox.is_some()));
                }
                let payment = InvoicePayment {
                    gateway_order_id: fetched.order_id.clone(),
                    details: GatewayDetails {
                        uuid: fetched.uuid.clone(),
                        status: fetched.status.as_str().to_owned(),
                        payer_amount: fetched.payer_amount,
                        payer_currency: fetched.payer_currency.clone(),
                        network: fetched.network.clone(),
                        address: fetched.address.clone(),
                        expires_at: fetched.expires_at,
                    },
                };
                tracing::info!(invoice = %id, "money arrived on an earlier coin's payment; following it");
                self.store
                    .switch_payment(id, current.version, &payment, now)
                    .await?;
                continue;
            }
            let (outcome, update) = decide(&current, &fetched);
            let event = InvoiceEvent {
                source: source.into(),
                gateway_status: Some(fetched.status.as_str().to_owned()),
                outcome: format!("{outcome} ({why})"),
                version: current.version + i64::from(update.is_some()),
            };
            if let Some(update) = &update {
                // The change, its line in the history and its callback: one transaction.
                if !self
                    .store
                    .apply_update(
                        id,
                        current.version,
                        update,
                        now,
                        WithChange {
                            notify_shop: update.status != current.status,
                            event: Some(&event),
                            webhook: inbox.map(|id| (id, outcome.to_string())),
                        },
                    )
                    .await?
                {
                    continue;
                }
                self.forget(id);
                self.changes.publish(id).await;
            } else if source == "reconcile" {
                // A reconciler check that found nothing new is not worth a line in the history.
                return Ok((outcome, false));
            } else {
                self.store.record_event(id, &event, now).await?;
            }
            tracing::info!(invoice = %id, %outcome, source, "payment refreshed");
            return Ok((outcome, update.is_some() && inbox.is_some()));
        }
        Err(IpnError::Store(StoreError::Corrupt(
            "too many concurrent updates".into(),
        )))
    }

    /// One reconciliation pass: asks the gateway about open invoices that are due a check (webhooks
    /// can be lost), and applies what changed. Invoices that changed recently are checked often,
    /// quiet ones less and less. Returns how many invoices it checked.
    pub async fn reconcile(&self, now: i64, policy: &ReconcilePolicy) -> Result<usize, StoreError> {
        let mut checked = 0;
        for invoice in self.store.open_invoices(RECONCILE_BATCH).await? {
            let Some(uuid) = invoice.gateway_uuid.clone() else {
                continue;
            };
            if !reconcile_due(&invoice, now, policy) {
                continue;
            }
            // Another process may be checking it right now; only one asks the gateway.
            if !self
                .store
                .claim_check(&invoice.id, invoice.checked_at, now)
                .await?
            {
                continue;
            }
            // Payments for coins the payer picked earlier first: money may have gone there.
            let mut uuids: Vec<String> = self
                .store
                .payments(&invoice.id)
                .await?
                .into_iter()
                .map(|p| p.details.uuid)
                .filter(|u| *u != uuid)
                .collect();
            uuids.push(uuid);
            for uuid in &uuids {
                match self.refresh(&invoice, uuid, "reconciled", None).await {
                    Ok(_) => {}
                    Err(IpnError::GatewayUnavailable(e)) => {
                        tracing::warn!(error = %e, "gateway unavailable; reconciling later");
                        return Ok(checked);
                    }
                    Err(e) => {
                        tracing::warn!(invoice = %invoice.id, error = %e, "could not reconcile an invoice")
                    }
                }
            }
            checked += 1;
        }
        Ok(checked)
    }
}

/// Open invoices looked at per reconciliation pass.
const RECONCILE_BATCH: i64 = 200;

/// How often the reconciler runs, and how often it may ask about one invoice.
#[derive(Debug, Clone, Copy)]
pub struct ReconcilePolicy {
    /// Between two passes.
    pub every: std::time::Duration,
    /// The shortest wait between two checks of one invoice, seconds.
    pub min_recheck: i64,
    /// The longest wait between two checks of one invoice, seconds.
    pub max_recheck: i64,
}

impl Default for ReconcilePolicy {
    fn default() -> Self {
        Self {
            every: std::time::Duration::from_secs(30),
            min_recheck: 30,
            max_recheck: 1800,
        }
    }
}

/// Whether an open invoice is due a check with the gateway: a quarter of its quiet time since the
/// last change, within the policy's bounds, after the last check. Past expiry it is due once more,
/// so the gateway's final word arrives even when its webhook did not.
pub fn reconcile_due(invoice: &InvoiceRecord, now: i64, policy: &ReconcilePolicy) -> bool {
    let Some(checked_at) = invoice.checked_at else {
        return true;
    };
    if invoice
        .expires_at
        .is_some_and(|expiry| now >= expiry && checked_at < expiry)
    {
        return true;
    }
    let quiet = (now - invoice.updated_at).max(0);
    let interval = (quiet / 4).clamp(
        policy.min_recheck,
        policy.max_recheck.max(policy.min_recheck),
    );
    now - checked_at >= interval
}

impl std::fmt::Display for IpnOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IpnOutcome::Applied(status) => write!(f, "applied: {status}"),
            IpnOutcome::Unchanged => f.write_str("unchanged"),
            IpnOutcome::Refused(status) => write!(f, "refused: invoice is final ({status})"),
            IpnOutcome::UnknownInvoice => f.write_str("unknown invoice"),
            IpnOutcome::Deposit(status) => write!(f, "deposit: {status}"),
            IpnOutcome::Payout(status) => write!(f, "payout: {status}"),
            IpnOutcome::Ignored => f.write_str("ignored"),
        }
    }
}

/// What the gateway's view of a payment means for our invoice. Pure, so every path is tested.
///
/// Final statuses never change. Money reported after expiry sends the invoice to `review`, and so
/// does a payment whose amount or currency differs from what was asked; such a review only ends
/// with a refund or a person, never with the next webhook. A hold by the gateway (`locked`) is a
/// review that clears when the gateway moves on. The paid amount never goes down.
pub fn decide(
    current: &InvoiceRecord,
    fetched: &GatewayInvoice,
) -> (IpnOutcome, Option<InvoiceUpdate>) {
    let integrity_ok = fetched.amount == current.amount
        && fetched.currency.eq_ignore_ascii_case(&current.currency);
    let reported = InvoiceStatus::from(&fetched.status);
    let money_after_expiry = current.status == InvoiceStatus::Expired
        && matches!(
            reported,
            InvoiceStatus::Paid
                | InvoiceStatus::Overpaid
                | InvoiceStatus::Underpaid
                | InvoiceStatus::PartiallyPaid
                | InvoiceStatus::Confirming
        );
    let (target, reason) = if !integrity_ok {
        (InvoiceStatus::Review, Some(ReviewReason::AmountMismatch))
    } else if money_after_expiry {
        (InvoiceStatus::Review, Some(ReviewReason::PaidAfterExpiry))
    } else if reported == InvoiceStatus::Review {
        (InvoiceStatus::Review, Some(ReviewReason::GatewayHold))
    } else {
        (reported, None)
    };
    let sticky_review = current.status == InvoiceStatus::Review
        && !ReviewReason::clears_itself(current.review_reason.as_deref())
        && !matches!(
            target,
            InvoiceStatus::Refunding | InvoiceStatus::Refunded | InvoiceStatus::RefundFailed
        );
    let (target, reason) = if sticky_review {
        (InvoiceStatus::Review, current.review_reason.clone())
    } else {
        (target, reason.map(|r| r.as_str().to_owned()))
    };
    let paid = fetched
        .payment_amount
        .map_or(current.paid_amount, |p| p.max(current.paid_amount));
    let details_changed = paid != current.paid_amount
        || (fetched.payer_amount.is_some() && fetched.payer_amount != current.payer_amount)
        || (fetched.address.is_some() && fetched.address != current.address);
    let status_changed = target != current.status;
    if !status_changed && !details_changed {
        return (IpnOutcome::Unchanged, None);
    }
    let allowed = if status_changed {
        // A final invoice goes to review only for money on an earlier coin (see `refresh`).
        let reopened = current.status.is_final()
            && current.status != InvoiceStatus::Expired
            && target == InvoiceStatus::Review;
        current.status.can_move_to(target) && !reopened
    } else {
        !current.status.is_final()
    };
    if !allowed {
        return (IpnOutcome::Refused(current.status), None);
    }
    let update = InvoiceUpdate {
        status: target,
        gateway_status: fetched.status.as_str().to_owned(),
        paid_amount: paid,
        payer_amount: fetched.payer_amount,
        address: fetched.address.clone(),
        review_reason: reason.filter(|_| target == InvoiceStatus::Review),
    };
    (IpnOutcome::Applied(target), Some(update))
}

pub(crate) fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The payer's view of an invoice at `now`.
/// When the invoice expires, unix seconds: the gateway's word, or the lifetime asked for.
fn view_expiry(record: &InvoiceRecord) -> i64 {
    record
        .expires_at
        .unwrap_or(record.created_at + record.lifetime.map_or(DEFAULT_LIFETIME, i64::from))
}

/// What the payer sees of an invoice at `now`.
pub fn invoice_view(record: &InvoiceRecord, now: i64) -> InvoiceView {
    let expires_at = view_expiry(record);
    let remaining = record
        .payer_amount
        .map(|due| (due - record.paid_amount).max(Decimal::ZERO));
    let payment_uri = match (&record.network, &record.payer_currency, &record.address) {
        (Some(network), Some(coin), Some(address)) => {
            Some(payment_uri(network, coin, address, remaining))
        }
        (_, _, Some(address)) => Some(address.clone()),
        _ => None,
    };
    let seconds_left = if record.status.is_final() {
        0
    } else {
        (expires_at - now).max(0) as u64
    };
    InvoiceView {
        id: record.id.clone(),
        status: record.status,
        is_final: record.status.is_final(),
        amount: record.amount.to_string(),
        currency: record.currency.clone(),
        payer_amount: record.payer_amount.map(|a| a.to_string()),
        payer_currency: record.payer_currency.clone(),
        network: record.network.clone(),
        address: record.address.clone(),
        paid_amount: record.paid_amount.to_string(),
        remaining_amount: remaining.map(|r| r.to_string()),
        payment_uri,
        expires_at: rfc3339(expires_at),
        seconds_left,
        url_return: record.url_return.clone(),
        url_success: record.url_success.clone(),
        version: record.version.max(0) as u64,
        can_change_coin: record.status == InvoiceStatus::Pending
            && record.paid_amount.is_zero()
            && seconds_left > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ShopId;
    use shim_gateway::PaymentStatus;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn record(status: InvoiceStatus) -> InvoiceRecord {
        InvoiceRecord {
            id: InvoiceId::parse("inv_1").unwrap(),
            shop_id: ShopId("s".into()),
            order_id: "1".into(),
            amount: d("15"),
            currency: "USD".into(),
            network: Some("tron".into()),
            to_currency: Some("USDT".into()),
            lifetime: None,
            url_return: None,
            url_success: None,
            platform_order_ref: None,
            shop_order: true,
            gateway_uuid: Some("u".into()),
            gateway_status: Some("check".into()),
            payer_amount: Some(d("15.000000")),
            payer_currency: Some("USDT".into()),
            address: Some("TAddr".into()),
            paid_amount: Decimal::ZERO,
            status,
            review_reason: None,
            checked_at: None,
            version: 1,
            expires_at: Some(1000),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn fetched(status: &str, paid: Option<&str>) -> GatewayInvoice {
        GatewayInvoice {
            uuid: "u".into(),
            order_id: "inv_1".into(),
            amount: d("15.00"),
            currency: "USD".into(),
            payer_amount: Some(d("15.000000")),
            payer_currency: Some("USDT".into()),
            payment_amount: paid.map(d),
            merchant_amount: None,
            network: Some("tron".into()),
            address: Some("TAddr".into()),
            txid: None,
            status: PaymentStatus::parse(status),
            is_final: false,
            url: String::new(),
            expires_at: 1000,
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn quiet_invoices_are_checked_less_often() {
        let mut invoice = record(InvoiceStatus::Pending);
        invoice.checked_at = None;
        let p = ReconcilePolicy::default();
        assert!(reconcile_due(&invoice, 0, &p), "never checked");
        invoice.updated_at = 100;
        invoice.checked_at = Some(110);
        assert!(!reconcile_due(&invoice, 130, &p), "30 s at least");
        assert!(reconcile_due(&invoice, 140, &p));
        invoice.checked_at = Some(800);
        assert!(
            !reconcile_due(&invoice, 900, &p),
            "quiet for 800 s: every 200 s"
        );
        assert!(
            reconcile_due(&invoice, 1000, &p),
            "past expiry (1000) once more"
        );
        invoice.expires_at = Some(100_000);
        invoice.checked_at = Some(50_000);
        assert!(!reconcile_due(&invoice, 51_000, &p), "at most every 30 min");
        assert!(reconcile_due(&invoice, 51_800, &p));
    }

    #[test]
    fn paid_is_applied_once() {
        let (outcome, update) = decide(
            &record(InvoiceStatus::Pending),
            &fetched("paid", Some("15")),
        );
        assert_eq!(outcome, IpnOutcome::Applied(InvoiceStatus::Paid));
        assert_eq!(update.unwrap().paid_amount, d("15"));
        let mut paid = record(InvoiceStatus::Paid);
        paid.paid_amount = d("15");
        assert_eq!(
            decide(&paid, &fetched("paid", Some("15"))).0,
            IpnOutcome::Unchanged
        );
    }

    #[test]
    fn final_statuses_do_not_move() {
        let (outcome, update) = decide(&record(InvoiceStatus::Paid), &fetched("check", None));
        assert_eq!(outcome, IpnOutcome::Refused(InvoiceStatus::Paid));
        assert!(update.is_none());
    }

    #[test]
    fn money_after_expiry_needs_review() {
        let (outcome, _) = decide(
            &record(InvoiceStatus::Expired),
            &fetched("paid", Some("15")),
        );
        assert_eq!(outcome, IpnOutcome::Applied(InvoiceStatus::Review));
    }

    #[test]
    fn a_review_for_late_money_does_not_end_with_the_next_webhook() {
        let (_, update) = decide(
            &record(InvoiceStatus::Expired),
            &fetched("confirm_check", Some("15")),
        );
        let update = update.unwrap();
        assert_eq!(update.review_reason.as_deref(), Some("paid_after_expiry"));
        let mut review = record(InvoiceStatus::Review);
        review.review_reason = update.review_reason;
        review.paid_amount = d("15");
        assert_eq!(
            decide(&review, &fetched("paid", Some("15"))).0,
            IpnOutcome::Unchanged
        );
        assert_eq!(
            decide(&review, &fetched("refund_process", Some("15"))).0,
            IpnOutcome::Applied(InvoiceStatus::Refunding),
            "a refund still ends it"
        );
    }

    #[test]
    fn a_gateway_hold_clears_when_the_gateway_moves_on() {
        let (outcome, update) = decide(
            &record(InvoiceStatus::Pending),
            &fetched("locked", Some("15")),
        );
        assert_eq!(outcome, IpnOutcome::Applied(InvoiceStatus::Review));
        let mut held = record(InvoiceStatus::Review);
        held.review_reason = update.unwrap().review_reason;
        held.paid_amount = d("15");
        assert_eq!(
            decide(&held, &fetched("paid", Some("15"))).0,
            IpnOutcome::Applied(InvoiceStatus::Paid)
        );
    }

    #[test]
    fn a_stale_report_never_lowers_the_paid_amount() {
        let mut partial = record(InvoiceStatus::PartiallyPaid);
        partial.paid_amount = d("5");
        let (_, update) = decide(&partial, &fetched("confirm_check", Some("3")));
        assert_eq!(update.unwrap().paid_amount, d("5"));
    }

    #[test]
    fn top_ups_update_the_paid_amount() {
        let mut partial = record(InvoiceStatus::PartiallyPaid);
        partial.paid_amount = d("5");
        let (outcome, update) = decide(&partial, &fetched("wrong_amount_waiting", Some("10")));
        assert_eq!(outcome, IpnOutcome::Applied(InvoiceStatus::PartiallyPaid));
        assert_eq!(update.unwrap().paid_amount, d("10"));
    }

    #[test]
    fn a_different_amount_at_the_gateway_needs_review() {
        let mut other = fetched("paid", Some("1"));
        other.amount = d("1");
        assert_eq!(
            decide(&record(InvoiceStatus::Pending), &other).0,
            IpnOutcome::Applied(InvoiceStatus::Review)
        );
    }

    #[test]
    fn the_view_counts_down_and_shows_what_is_due() {
        let mut partial = record(InvoiceStatus::PartiallyPaid);
        partial.paid_amount = d("5");
        let view = invoice_view(&partial, 400);
        assert_eq!(view.seconds_left, 600);
        assert_eq!(view.remaining_amount.as_deref(), Some("10.000000"));
        assert_eq!(view.expires_at, "1970-01-01T00:16:40Z");
        assert_eq!(view.payment_uri.as_deref(), Some("TAddr"));
        assert!(!view.is_final);
        let done = invoice_view(&record(InvoiceStatus::Expired), 400);
        assert_eq!((done.seconds_left, done.is_final), (0, true));
    }
}
