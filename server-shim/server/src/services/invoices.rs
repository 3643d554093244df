//! Invoices: create one at the gateway (checked against the shop's platform), let the payer pick
//! a coin, show it (cached for a second), and bring it up to date with the gateway's word.

use super::decide::{invoice_view, view_expiry};
use super::{Invoices, ServiceError, now, rfc3339};
use crate::domain::{InvoiceRecord, NewInvoice, Shop, ShopId, new_invoice_id};
use crate::store::{GatewayDetails, InvoiceEvent, InvoiceFilter, InvoicePayment, StoreError};
use rust_decimal::Decimal;
use shim_api::{
    ChooseCoinRequest, CoinOption, CreateInvoiceRequest, HistoryEntry, InvoiceHistory, InvoiceId,
    InvoicePage, InvoiceStatus, InvoiceSummary, InvoiceView, PaymentReport, ReportLine,
};
use shim_gateway::{CreateInvoice, GatewayError};
use std::collections::HashMap;
use std::sync::Arc;

/// How long a cached invoice may serve views without a change notice.
const VIEW_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Invoices the view cache holds before it starts over.
const VIEW_CACHE_SIZE: usize = 10_000;

/// How long the gateway's list of coins is trusted.
const COINS_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// Payments one invoice may have at the gateway: the first, and one per coin picked after.
const MAX_PAYMENTS: usize = 8;

/// The gateway's shortest and longest invoice lifetimes, seconds.
const LIFETIME_RANGE: (i64, i64) = (300, 43_200);

/// An invoice read for the public view, and its JSON for one second.
#[derive(Debug)]
pub(crate) struct CachedView {
    read_at: std::time::Instant,
    record: InvoiceRecord,
    json: Option<(i64, bytes::Bytes)>,
}

/// An invoice's receipt: what the payer paid, when, and by which transactions (to whom is the
/// shop's brand).
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The invoice.
    pub record: InvoiceRecord,
    /// When it was paid, unix seconds; `None` while it is not.
    pub paid_at: Option<i64>,
    /// Every transaction the gateway named for it, in the order seen.
    pub transactions: Vec<String>,
}

impl Invoices {
    /// Invoice `id` as stored.
    pub async fn record(&self, id: &InvoiceId) -> Result<Option<InvoiceRecord>, StoreError> {
        self.store.invoice(id).await
    }

    /// What invoice `id`'s receipt shows, if there is such an invoice.
    pub async fn receipt(&self, id: &InvoiceId) -> Result<Option<Receipt>, StoreError> {
        let Some(record) = self.store.invoice(id).await? else {
            return Ok(None);
        };
        let (paid_at, mut transactions) = self.store.receipt_facts(id).await?;
        // Kept before receipts were: the last transaction is on the invoice itself.
        if let Some(txid) = record.txid.as_ref().filter(|t| !t.is_empty())
            && !transactions.contains(txid)
        {
            transactions.push(txid.clone());
        }
        let paid_at = paid_at.or(record.status.is_settled_paid().then_some(record.updated_at));
        Ok(Some(Receipt {
            record,
            paid_at,
            transactions,
        }))
    }

    /// Creates (or returns) the shop's invoice for an order. Idempotent per shop and order id:
    /// the same request returns the same invoice; another amount or currency is a conflict.
    /// Returns the invoice and whether this call created it.
    pub async fn create_invoice(
        &self,
        shop: &Shop,
        request: CreateInvoiceRequest,
    ) -> Result<(InvoiceRecord, bool), ServiceError> {
        self.create(shop, request, true).await
    }

    /// Like [`Invoices::create_invoice`], for an invoice that pays no order of the shop's platform
    /// (a payment link's, a pay button's, a Shopify payment session's): the platform is neither
    /// asked about it nor told.
    pub async fn create_standalone_invoice(
        &self,
        shop: &Shop,
        request: CreateInvoiceRequest,
    ) -> Result<(InvoiceRecord, bool), ServiceError> {
        self.create(shop, request, false).await
    }

    #[tracing::instrument(skip_all, fields(shop = %shop.name))]
    async fn create(
        &self,
        shop: &Shop,
        request: CreateInvoiceRequest,
        shop_order: bool,
    ) -> Result<(InvoiceRecord, bool), ServiceError> {
        let mut new = NewInvoice::parse(new_invoice_id()?, shop.id.clone(), request)
            .map_err(ServiceError::Invalid)?;
        new.shop_order = shop_order;
        let (mut record, created) = self.store.insert_invoice(&new, now()).await?;
        if !created && !new.same_payment_as(&record) {
            return Err(ServiceError::Conflict(format!(
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
                .ok_or(ServiceError::NotFound)?;
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
    pub async fn coins(&self) -> Result<Arc<Vec<CoinOption>>, ServiceError> {
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
    ) -> Result<InvoiceView, ServiceError> {
        let currency = choice.currency.trim().to_ascii_uppercase();
        let network = choice.network.trim().to_ascii_lowercase();
        // Webhooks of this invoice wait: a payment arriving meanwhile is applied after.
        let lock = self.invoice_lock(id);
        let _guard = lock.lock().await;
        let record = self
            .store
            .invoice(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
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
            return Err(ServiceError::Conflict(
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
            return Err(ServiceError::Invalid(format!(
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
                    return Err(ServiceError::Conflict(format!(
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
            return Err(ServiceError::Conflict(
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
    async fn check_with_platform(&self, record: &InvoiceRecord) -> Result<(), ServiceError> {
        let Some(config) = self.store.shop_platform(&record.shop_id).await? else {
            return Ok(());
        };
        let reference = record
            .platform_order_ref
            .as_deref()
            .unwrap_or(&record.order_id);
        let adapter = config
            .adapter(&self.egress)
            .map_err(|e| ServiceError::ShopUnavailable(e.to_string()))?;
        let order = match adapter.order(reference).await {
            Ok(order) => order,
            Err(e) if e.retry_helps() => {
                return Err(ServiceError::ShopUnavailable(format!(
                    "the shop's {} could not be asked about order {reference}: {e}",
                    config.name()
                )));
            }
            Err(e) => {
                return Err(ServiceError::Conflict(format!(
                    "the shop's {} does not confirm order {reference}: {e}",
                    config.name()
                )));
            }
        };
        let total = order.total.parse::<Decimal>().ok();
        if total != Some(record.amount) || !order.currency.eq_ignore_ascii_case(&record.currency) {
            return Err(ServiceError::Conflict(format!(
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
    pub(crate) fn forget(&self, id: &InvoiceId) {
        self.cached_views().remove(id);
    }

    /// The public view of an invoice, read from the database (for live streams, which must see
    /// the change they were told of).
    pub async fn fresh_view(&self, id: &InvoiceId) -> Result<InvoiceView, ServiceError> {
        let record = self
            .store
            .invoice(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
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
    pub async fn view_json(&self, id: &InvoiceId) -> Result<bytes::Bytes, ServiceError> {
        let encode = |view: &InvoiceView| {
            serde_json::to_vec(view)
                .map(bytes::Bytes::from)
                .map_err(|e| ServiceError::Store(StoreError::Corrupt(e.to_string())))
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
    pub async fn view(&self, id: &InvoiceId) -> Result<InvoiceView, ServiceError> {
        if let Some(cached) = self.cached_views().get(id)
            && cached.read_at.elapsed() < VIEW_CACHE_TTL
        {
            return Ok(invoice_view(&cached.record, now()));
        }
        let record = self
            .store
            .invoice(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
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
    pub(crate) fn invoice_lock(&self, id: &InvoiceId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .ipn_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(id.clone()).or_default().clone()
    }
}

/// Invoices a page of the list holds at most.
pub const MAX_PAGE: i64 = 100;

impl Invoices {
    /// A page of `shop`'s invoices, newest first, those `filter` lets through; `cursor` is the
    /// `next_cursor` of the page before.
    pub async fn list(
        &self,
        shop: &ShopId,
        filter: &InvoiceFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<InvoicePage, ServiceError> {
        let after = cursor.map(parse_cursor).transpose()?;
        let limit = limit.clamp(1, MAX_PAGE);
        // One more than asked: whether there is a next page.
        let mut records = self
            .store
            .list_invoices(
                shop,
                filter,
                after.as_ref().map(|(at, id)| (*at, id.as_str())),
                limit + 1,
            )
            .await?;
        let more = records.len() as i64 > limit;
        records.truncate(limit as usize);
        let next_cursor = records.last().filter(|_| more).map(cursor_of);
        let now = now();
        let invoices = records
            .iter()
            .map(|record| InvoiceSummary {
                invoice: invoice_view(record, now),
                order_id: record.order_id.clone(),
                txid: record.txid.clone(),
                created_at: rfc3339(record.created_at),
            })
            .collect();
        Ok(InvoicePage {
            invoices,
            next_cursor,
        })
    }

    /// What happened to invoice `id`, if it is `shop`'s.
    pub async fn history(
        &self,
        shop: &ShopId,
        id: &InvoiceId,
    ) -> Result<InvoiceHistory, ServiceError> {
        let record = self.shop_invoice(shop, id).await?;
        let mut lines: Vec<(i64, HistoryEntry)> = self
            .store
            .history(&record.id)
            .await?
            .into_iter()
            .map(|(event, at)| {
                let entry = HistoryEntry {
                    at: rfc3339(at),
                    source: event.source,
                    gateway_status: event.gateway_status,
                    outcome: event.outcome,
                    version: event.version,
                };
                (at, entry)
            })
            .collect();
        // Every try at telling the shop, in among the rest by time.
        for attempt in self.store.delivery_attempts(&record.id).await? {
            let mut outcome = format!(
                "{} to {}: {}",
                attempt.sent,
                attempt.destination,
                if attempt.delivered {
                    "delivered"
                } else {
                    "failed"
                }
            );
            if let Some(status) = attempt.http_status {
                outcome.push_str(&format!(" (HTTP {status})"));
            }
            if let Some(answer) = &attempt.answer {
                outcome.push_str(&format!("; answer: {answer}"));
            }
            let entry = HistoryEntry {
                at: rfc3339(attempt.at),
                source: attempt.target,
                gateway_status: None,
                outcome,
                version: attempt.version,
            };
            lines.push((attempt.at, entry));
        }
        lines.sort_by_key(|(at, _)| *at);
        let events = lines.into_iter().map(|(_, entry)| entry).collect();
        Ok(InvoiceHistory {
            id: record.id,
            events,
        })
    }
}

/// Invoices a report holds at most; a longer range is refused, with the advice to narrow it.
pub const MAX_REPORT: usize = 200_000;

impl Invoices {
    /// Every invoice of `shop` that `filter` takes (a time range, a status, a search...), oldest
    /// first, one line each.
    pub async fn report(
        &self,
        shop: &ShopId,
        filter: &InvoiceFilter,
    ) -> Result<PaymentReport, ServiceError> {
        let (from, before) = (filter.created_from, filter.created_before);
        let mut lines = Vec::new();
        let mut after: Option<(i64, InvoiceId)> = None;
        loop {
            let page = self
                .store
                .list_invoices(
                    shop,
                    filter,
                    after.as_ref().map(|(at, id)| (*at, id.as_str())),
                    1_000,
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.created_at, last.id.clone()));
            lines.extend(page.iter().map(report_line));
            if lines.len() > MAX_REPORT {
                return Err(ServiceError::Invalid(format!(
                    "a report holds at most {MAX_REPORT} invoices: narrow it to a shorter time range"
                )));
            }
        }
        lines.reverse();
        // What reached the merchant, in each invoice's coin, and so the gateway's commission.
        let mut credited: HashMap<(String, String), Decimal> = HashMap::new();
        for (invoice, currency, amount) in self.store.credits(shop, from, before).await? {
            *credited.entry((invoice, currency)).or_default() += amount;
        }
        for line in &mut lines {
            let Some(coin) = line.payer_currency.clone() else {
                continue;
            };
            let Some(credit) = credited.get(&(line.invoice_id.clone(), coin)) else {
                continue;
            };
            let paid: Decimal = line.paid_amount.parse().unwrap_or_default();
            line.credited = Some(credit.normalize().to_string());
            line.commission = Some((paid - credit).normalize().to_string());
        }
        Ok(PaymentReport { invoices: lines })
    }
}

/// An invoice's line in a report (what reached the merchant is filled in after).
fn report_line(record: &InvoiceRecord) -> ReportLine {
    ReportLine {
        invoice_id: record.id.to_string(),
        order_id: record.order_id.clone(),
        platform_order_ref: record.platform_order_ref.clone(),
        status: record.status,
        amount: record.amount.to_string(),
        currency: record.currency.clone(),
        payer_amount: record.payer_amount.map(|a| a.to_string()),
        payer_currency: record.payer_currency.clone(),
        network: record.network.clone(),
        paid_amount: record.paid_amount.to_string(),
        credited: None,
        commission: None,
        txid: record.txid.clone(),
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
    }
}

/// Where a page ends: the last invoice's time and id.
fn cursor_of(record: &InvoiceRecord) -> String {
    format!("{}.{}", record.created_at, record.id)
}

/// The page end a cursor names.
fn parse_cursor(cursor: &str) -> Result<(i64, InvoiceId), ServiceError> {
    cursor
        .split_once('.')
        .and_then(|(at, id)| Some((at.parse().ok()?, InvoiceId::parse(id)?)))
        .ok_or_else(|| {
            ServiceError::Invalid(
                "cursor must be the next_cursor of a page of this list".to_owned(),
            )
        })
}
