//! The use cases: create an invoice at the gateway, show it to the payer, and take the gateway's
//! webhooks. HTTP lives in `routes`; this module only knows the store and the gateway.

use crate::domain::{InvoiceRecord, NewInvoice, Shop, new_invoice_id};
use crate::payment_uri::payment_uri;
use crate::store::{GatewayDetails, InvoiceEvent, InvoiceUpdate, Store, StoreError};
use rust_decimal::Decimal;
use shim_api::{CreateInvoiceRequest, InvoiceId, InvoiceStatus, InvoiceView};
use shim_gateway::{
    ApiKey, CreateInvoice, CryptomusClient, GatewayError, GatewayInvoice, PaymentRef, WebhookError,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

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
    /// Not a payment webhook (static wallets arrive later); acknowledged.
    Ignored,
}

/// The current unix time.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The checkout service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Checkout {
    store: Store,
    gateway: CryptomusClient,
    payment_key: ApiKey,
    public_url: String,
}

impl Checkout {
    /// `public_url` is where the gateway and payers reach this shim (no trailing slash).
    pub fn new(
        store: Store,
        gateway: CryptomusClient,
        payment_key: ApiKey,
        public_url: &str,
    ) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Self {
            store,
            gateway,
            payment_key,
            public_url,
        }
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
    #[tracing::instrument(skip_all, fields(shop = %shop.name))]
    pub async fn create_invoice(
        &self,
        shop: &Shop,
        request: CreateInvoiceRequest,
    ) -> Result<(InvoiceRecord, bool), CheckoutError> {
        let new = NewInvoice::parse(new_invoice_id()?, shop.id.clone(), request)
            .map_err(CheckoutError::Invalid)?;
        let (mut record, created) = self.store.insert_invoice(&new, now()).await?;
        if !created && !new.same_payment_as(&record) {
            return Err(CheckoutError::Conflict(format!(
                "order {} already has an invoice for {} {}; use a new order_id for another payment",
                record.order_id, record.amount, record.currency
            )));
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
            is_payment_multiple: None,
        }
    }

    /// The public view of an invoice.
    pub async fn view(&self, id: &InvoiceId) -> Result<InvoiceView, CheckoutError> {
        let record = self
            .store
            .invoice(id)
            .await?
            .ok_or(CheckoutError::NotFound)?;
        Ok(invoice_view(&record, now()))
    }

    /// Takes a webhook: verifies it over the raw body, re-fetches the payment from the gateway
    /// (the webhook is only a hint), and applies what changed. Duplicates and stale webhooks change
    /// nothing but the event log.
    #[tracing::instrument(skip_all)]
    pub async fn handle_ipn(&self, raw: &[u8]) -> Result<IpnOutcome, IpnError> {
        let hook = shim_gateway::verify_webhook(raw, &self.payment_key)?;
        if hook.kind != "payment" {
            tracing::info!(kind = %hook.kind, "ignoring non-payment webhook");
            return Ok(IpnOutcome::Ignored);
        }
        let Some(id) = InvoiceId::parse(&hook.order_id) else {
            tracing::warn!(order_id = %hook.order_id, "webhook for an order id the shim never issued");
            return Ok(IpnOutcome::UnknownInvoice);
        };
        let Some(known) = self.store.invoice(&id).await? else {
            tracing::warn!(invoice = %id, "webhook for an unknown invoice");
            return Ok(IpnOutcome::UnknownInvoice);
        };
        let fetched = self
            .gateway
            .payment_info(&PaymentRef::Uuid(hook.uuid.clone()))
            .await
            .map_err(IpnError::GatewayUnavailable)?;
        // The gateway's own record must be the payment we created for this invoice.
        let ours = fetched.order_id == id.as_str()
            && known
                .gateway_uuid
                .as_deref()
                .is_none_or(|uuid| uuid == fetched.uuid);
        if !ours {
            tracing::warn!(invoice = %id, "webhook names a payment that is not this invoice's");
            let event = InvoiceEvent {
                source: "ipn".into(),
                gateway_status: Some(fetched.status.as_str().to_owned()),
                outcome: "ignored: the payment belongs to another order".into(),
                version: known.version,
            };
            self.store.record_event(&id, &event, now()).await?;
            return Ok(IpnOutcome::Ignored);
        }

        // A concurrent webhook for the same invoice may win the version race; decide again.
        for _ in 0..5 {
            let current = self
                .store
                .invoice(&id)
                .await?
                .ok_or(StoreError::Corrupt("invoice vanished".into()))?;
            let now = now();
            let (outcome, update) = decide(&current, &fetched);
            if let Some(update) = &update
                && !self
                    .store
                    .apply_update(&id, current.version, update, now)
                    .await?
            {
                continue;
            }
            let event = InvoiceEvent {
                source: "ipn".into(),
                gateway_status: Some(fetched.status.as_str().to_owned()),
                outcome: describe(&outcome, hook.status.as_str()),
                version: current.version + i64::from(update.is_some()),
            };
            self.store.record_event(&id, &event, now).await?;
            tracing::info!(invoice = %id, ?outcome, "webhook processed");
            return Ok(outcome);
        }
        Err(IpnError::Store(StoreError::Corrupt(
            "too many concurrent updates".into(),
        )))
    }
}

fn describe(outcome: &IpnOutcome, hinted: &str) -> String {
    format!("{outcome} (webhook said {hinted})")
}

impl std::fmt::Display for IpnOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IpnOutcome::Applied(status) => write!(f, "applied: {status}"),
            IpnOutcome::Unchanged => f.write_str("unchanged"),
            IpnOutcome::Refused(status) => write!(f, "refused: invoice is final ({status})"),
            IpnOutcome::UnknownInvoice => f.write_str("unknown invoice"),
            IpnOutcome::Ignored => f.write_str("ignored"),
        }
    }
}

/// What the gateway's view of a payment means for our invoice. Pure, so every path is tested.
///
/// Final statuses never change; money reported after expiry sends the invoice to `review`; a
/// payment whose amount or currency differs from what we asked for goes to `review` too.
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
    let target = if !integrity_ok || money_after_expiry {
        InvoiceStatus::Review
    } else {
        reported
    };
    let paid = fetched.payment_amount.unwrap_or(current.paid_amount);
    let details_changed = paid != current.paid_amount
        || (fetched.payer_amount.is_some() && fetched.payer_amount != current.payer_amount)
        || (fetched.address.is_some() && fetched.address != current.address);
    let status_changed = target != current.status;
    if !status_changed && !details_changed {
        return (IpnOutcome::Unchanged, None);
    }
    let allowed = if status_changed {
        current.status.can_move_to(target)
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
    };
    (IpnOutcome::Applied(target), Some(update))
}

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The payer's view of an invoice at `now`.
pub fn invoice_view(record: &InvoiceRecord, now: i64) -> InvoiceView {
    let expires_at = record
        .expires_at
        .unwrap_or(record.created_at + record.lifetime.map_or(DEFAULT_LIFETIME, i64::from));
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
            gateway_uuid: Some("u".into()),
            gateway_status: Some("check".into()),
            payer_amount: Some(d("15.000000")),
            payer_currency: Some("USDT".into()),
            address: Some("TAddr".into()),
            paid_amount: Decimal::ZERO,
            status,
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
            network: Some("tron".into()),
            address: Some("TAddr".into()),
            txid: None,
            status: PaymentStatus::parse(status),
            is_final: false,
            url: String::new(),
            expires_at: 1000,
        }
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
