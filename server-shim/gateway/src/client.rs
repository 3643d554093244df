//! The HTTP client for the Cryptomus merchant API.

use crate::types::CoinChoice;
use crate::types::{
    Balance, BalanceOwner, CreatePayout, CreateWallet, ExchangeRate, GatewayPayout, GatewayWallet,
    PaymentListQuery, PaymentPage, Service, TestWebhook,
};
use crate::wire::CryptomusCoin;
use crate::wire::{
    CryptomusBalances, CryptomusBlockWallet, CryptomusBlockedRefund, CryptomusBlockedRefundResult,
    CryptomusCreatePayment, CryptomusCreatePayout, CryptomusCreateWallet, CryptomusExchangeRate,
    CryptomusFailure, CryptomusInvoice, CryptomusPaymentList, CryptomusPaymentListRequest,
    CryptomusPaymentRef, CryptomusPayout, CryptomusQr, CryptomusQrRequest, CryptomusRefund,
    CryptomusService, CryptomusSuccess, CryptomusTestWebhook, CryptomusWallet,
    CryptomusWalletQrRequest, INVALID_SIGN,
};
use crate::{ApiKey, CreateInvoice, GatewayInvoice, MerchantId, PaymentRef, sign};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

/// The real service.
pub const CRYPTOMUS_API_URL: &str = "https://api.cryptomus.com/";

/// Where the gateway is and who we are to it.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Base URL; the real service is [`CRYPTOMUS_API_URL`], the sandbox wherever it listens.
    pub base_url: String,
    /// The merchant uuid.
    pub merchant: MerchantId,
    /// The payment key (invoices, static wallets and their webhooks).
    pub payment_key: ApiKey,
    /// The payout key (payouts and their webhooks); payouts are refused without it.
    pub payout_key: Option<ApiKey>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How many times a call that is safe to repeat is tried in all.
    pub attempts: u32,
}

impl GatewayConfig {
    /// A config with the defaults: 10 s timeout, 3 attempts.
    pub fn new(base_url: impl Into<String>, merchant: MerchantId, payment_key: ApiKey) -> Self {
        Self {
            base_url: base_url.into(),
            merchant,
            payment_key,
            payout_key: None,
            timeout: Duration::from_secs(10),
            attempts: 3,
        }
    }
}

/// What can go wrong talking to the gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Our request breaks a documented limit; nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The gateway could not be reached, timed out, or answered 5xx / 429.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    /// The gateway says our signature is wrong: the merchant uuid or payment key is misconfigured.
    #[error("the gateway refused our signature (check the merchant uuid and payment key)")]
    InvalidSign,
    /// The gateway's validation refused fields.
    #[error("the gateway refused the request: {}", format_errors(.0))]
    Validation(BTreeMap<String, Vec<String>>),
    /// The gateway does not know the payment.
    #[error("not found at the gateway: {0}")]
    NotFound(String),
    /// Any other refusal, with the gateway's message.
    #[error("the gateway refused the request: {0}")]
    Rejected(String),
    /// The gateway answered something we cannot read.
    #[error("unreadable gateway response: {0}")]
    Decode(String),
}

impl GatewayError {
    /// Whether trying again later can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

fn format_errors(errors: &BTreeMap<String, Vec<String>>) -> String {
    errors
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A Cryptomus API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CryptomusClient {
    http: reqwest::Client,
    config: GatewayConfig,
}

impl CryptomusClient {
    /// Builds a client; fails only if the TLS stack cannot start.
    pub fn new(mut config: GatewayConfig) -> Result<Self, GatewayError> {
        if !config.base_url.ends_with('/') {
            config.base_url.push('/');
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        Ok(Self { http, config })
    }

    /// `POST /v1/payment`. Retried on transient failures: the gateway returns the existing
    /// invoice for an `order_id` it has seen, so a repeat cannot create a second one.
    pub async fn create_invoice(
        &self,
        req: &CreateInvoice,
    ) -> Result<GatewayInvoice, GatewayError> {
        let body = validate_create(req)?;
        let invoice: CryptomusInvoice = self.post("v1/payment", &body, Retry::Safe).await?;
        invoice.try_into()
    }

    /// `POST /v1/payment/info`. A read, so retried on transient failures.
    pub async fn payment_info(&self, payment: &PaymentRef) -> Result<GatewayInvoice, GatewayError> {
        let invoice: CryptomusInvoice = self
            .post("v1/payment/info", &payment_ref(payment), Retry::Safe)
            .await?;
        invoice.try_into()
    }

    /// `POST /v1/payment/list`: one cursor page of payments, newest first. A read, retried.
    pub async fn list_payments(
        &self,
        query: &PaymentListQuery,
    ) -> Result<PaymentPage, GatewayError> {
        let body = CryptomusPaymentListRequest {
            date_from: query.date_from.map(gateway_date).transpose()?,
            date_to: query.date_to.map(gateway_date).transpose()?,
            cursor: query.cursor.clone(),
        };
        let page: CryptomusPaymentList = self.post("v1/payment/list", &body, Retry::Safe).await?;
        Ok(PaymentPage {
            items: page
                .items
                .into_iter()
                .map(GatewayInvoice::try_from)
                .collect::<Result<_, _>>()?,
            next_cursor: page.paginate.next_cursor,
            previous_cursor: page.paginate.previous_cursor,
        })
    }

    /// `POST /v1/payment/services`: coins, networks, limits and commissions. A read, retried.
    pub async fn services(&self) -> Result<Vec<Service>, GatewayError> {
        let list: Vec<CryptomusService> = self
            .post("v1/payment/services", &EMPTY, Retry::Safe)
            .await?;
        list.into_iter().map(Service::try_from).collect()
    }

    /// `POST /v1/payout/services`, signed with the payout key: the networks payouts can use,
    /// their limits and commissions. A read, retried.
    pub async fn payout_services(&self) -> Result<Vec<Service>, GatewayError> {
        let list: Vec<CryptomusService> = self
            .post_with(
                self.payout_key()?,
                "v1/payout/services",
                &EMPTY,
                Retry::Safe,
            )
            .await?;
        list.into_iter().map(Service::try_from).collect()
    }

    /// `POST /v1/payment/resend`: asks the gateway to send the payment's webhook again. Not
    /// retried: a repeat would send it twice.
    pub async fn resend_webhook(&self, payment: &PaymentRef) -> Result<(), GatewayError> {
        let _: serde_json::Value = self
            .post("v1/payment/resend", &payment_ref(payment), Retry::Never)
            .await?;
        Ok(())
    }

    /// `POST /v1/test-webhook/payment`: the gateway sends one signed test webhook. Not retried.
    pub async fn test_webhook(&self, test: &TestWebhook) -> Result<(), GatewayError> {
        let body = test_webhook_body(test);
        let _: serde_json::Value = self
            .post("v1/test-webhook/payment", &body, Retry::Never)
            .await?;
        Ok(())
    }

    /// `POST /v1/test-webhook/wallet`: the gateway sends one signed test `wallet` webhook (for
    /// the static wallet `test.payment` names, if any). Not retried.
    pub async fn test_wallet_webhook(&self, test: &TestWebhook) -> Result<(), GatewayError> {
        let body = test_webhook_body(test);
        let _: serde_json::Value = self
            .post("v1/test-webhook/wallet", &body, Retry::Never)
            .await?;
        Ok(())
    }

    /// `POST /v1/test-webhook/payout`, signed with the payout key: the gateway sends one payout
    /// webhook (signed with the payout key). Not retried.
    pub async fn test_payout_webhook(&self, test: &TestWebhook) -> Result<(), GatewayError> {
        let body = test_webhook_body(test);
        let _: serde_json::Value = self
            .post_with(
                self.payout_key()?,
                "v1/test-webhook/payout",
                &body,
                Retry::Never,
            )
            .await?;
        Ok(())
    }

    /// `POST /v1/payment/refund`: refunds a paid payment to `address`; `is_subtract` takes the
    /// commission from the merchant's balance instead of the refunded amount. Not retried.
    pub async fn refund(
        &self,
        payment: &PaymentRef,
        address: &str,
        is_subtract: bool,
    ) -> Result<(), GatewayError> {
        let reference = payment_ref(payment);
        let body = CryptomusRefund {
            uuid: reference.uuid,
            order_id: reference.order_id,
            address: address.to_owned(),
            is_subtract,
        };
        let _: serde_json::Value = self.post("v1/payment/refund", &body, Retry::Never).await?;
        Ok(())
    }

    /// `POST /v1/payment/qr`: a PNG QR code of the payment's address, as a `data:` URI. Retried.
    pub async fn payment_qr(&self, payment_uuid: &str) -> Result<String, GatewayError> {
        let body = CryptomusQrRequest {
            merchant_payment_uuid: payment_uuid.to_owned(),
        };
        let qr: CryptomusQr = self.post("v1/payment/qr", &body, Retry::Safe).await?;
        Ok(qr.image)
    }

    /// `POST /v1/balance`: the merchant's and the user's balances per coin. Retried.
    pub async fn balance(&self) -> Result<Vec<Balance>, GatewayError> {
        let result: Vec<CryptomusBalances> = self.post("v1/balance", &EMPTY, Retry::Safe).await?;
        let mut balances = Vec::new();
        for entry in result {
            for (owner, list) in [
                (BalanceOwner::Merchant, entry.balance.merchant),
                (BalanceOwner::User, entry.balance.user),
            ] {
                for item in list {
                    balances.push(Balance {
                        owner,
                        currency: item.currency_code,
                        balance: decimal("balance", &item.balance)?,
                        balance_usd: decimal("balance_usd", &item.balance_usd)?,
                    });
                }
            }
        }
        Ok(balances)
    }

    /// `GET /v1/exchange-rate/{currency}/list`: what one unit of `currency` buys of each other.
    /// Public (unsigned) and a read, so retried.
    pub async fn exchange_rates(&self, currency: &str) -> Result<Vec<ExchangeRate>, GatewayError> {
        if currency.is_empty() || !currency.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(GatewayError::InvalidRequest(
                "currency must be a currency code".into(),
            ));
        }
        let path = format!("v1/exchange-rate/{currency}/list");
        let rates: Vec<CryptomusExchangeRate> = self.call(&path, None, Retry::Safe).await?;
        rates
            .into_iter()
            .map(|r| {
                Ok(ExchangeRate {
                    rate: decimal("course", &r.course)?,
                    from: r.from,
                    to: r.to,
                })
            })
            .collect()
    }

    /// `POST /v1/wallet`: a static deposit address for `order_id`. The gateway returns the same
    /// wallet for the same order id, so a repeat is safe and retried.
    pub async fn create_wallet(
        &self,
        wallet: &CreateWallet,
    ) -> Result<GatewayWallet, GatewayError> {
        if !valid_order_id(&wallet.order_id) {
            return Err(GatewayError::InvalidRequest(
                "order_id must be 1 to 128 of A-Z a-z 0-9 _ -".into(),
            ));
        }
        let body = CryptomusCreateWallet {
            currency: wallet.currency.clone(),
            network: wallet.network.clone(),
            order_id: wallet.order_id.clone(),
            url_callback: wallet.url_callback.clone(),
        };
        let wire: CryptomusWallet = self.post("v1/wallet", &body, Retry::Safe).await?;
        Ok(GatewayWallet {
            uuid: wire.uuid,
            order_id: wire.order_id,
            currency: wire.currency,
            network: wire.network,
            address: wire.address,
        })
    }

    /// `POST /v1/wallet/block-address`: the wallet takes no more deposits; `force_refund` sends
    /// later arrivals back. Repeating is harmless, so retried.
    pub async fn block_wallet(
        &self,
        wallet: &PaymentRef,
        force_refund: bool,
    ) -> Result<(), GatewayError> {
        let reference = payment_ref(wallet);
        let body = CryptomusBlockWallet {
            uuid: reference.uuid,
            order_id: reference.order_id,
            is_force_refund: force_refund,
        };
        let _: serde_json::Value = self
            .post("v1/wallet/block-address", &body, Retry::Safe)
            .await?;
        Ok(())
    }

    /// `POST /v1/wallet/blocked-address-refund`: the one refund of a blocked wallet's money to
    /// `address`. Returns (commission, amount). Not retried: it is allowed once.
    pub async fn refund_blocked_wallet(
        &self,
        wallet: &PaymentRef,
        address: &str,
    ) -> Result<(Decimal, Decimal), GatewayError> {
        let reference = payment_ref(wallet);
        let body = CryptomusBlockedRefund {
            uuid: reference.uuid,
            order_id: reference.order_id,
            address: address.to_owned(),
        };
        let wire: CryptomusBlockedRefundResult = self
            .post("v1/wallet/blocked-address-refund", &body, Retry::Never)
            .await?;
        Ok((
            decimal("commission", &wire.commission)?,
            decimal("amount", &wire.amount)?,
        ))
    }

    /// `POST /v1/wallet/qr`: a PNG QR code of the wallet's address, as a `data:` URI. Retried.
    pub async fn wallet_qr(&self, wallet_uuid: &str) -> Result<String, GatewayError> {
        let body = CryptomusWalletQrRequest {
            wallet_address_uuid: wallet_uuid.to_owned(),
        };
        let qr: CryptomusQr = self.post("v1/wallet/qr", &body, Retry::Safe).await?;
        Ok(qr.image)
    }

    /// `POST /v1/payout`, signed with the payout key. Retried on transient failures: the gateway
    /// returns the existing payout for an `order_id` it has seen, so a repeat pays nothing twice.
    pub async fn create_payout(
        &self,
        payout: &CreatePayout,
    ) -> Result<GatewayPayout, GatewayError> {
        if !valid_order_id(&payout.order_id) {
            return Err(GatewayError::InvalidRequest(
                "order_id must be 1 to 128 of A-Z a-z 0-9 _ -".into(),
            ));
        }
        if payout.amount <= Decimal::ZERO {
            return Err(GatewayError::InvalidRequest(
                "amount must be positive".into(),
            ));
        }
        let body = CryptomusCreatePayout {
            amount: payout.amount.normalize().to_string(),
            currency: payout.currency.clone(),
            order_id: payout.order_id.clone(),
            address: payout.address.clone(),
            is_subtract: payout.is_subtract,
            network: payout.network.clone(),
            url_callback: payout.url_callback.clone(),
            to_currency: payout.to_currency.clone(),
        };
        let wire: CryptomusPayout = self
            .post_with(self.payout_key()?, "v1/payout", &body, Retry::Safe)
            .await?;
        wire.try_into()
    }

    /// `POST /v1/payout/info`, signed with the payout key. A read, retried.
    pub async fn payout_info(&self, payout: &PaymentRef) -> Result<GatewayPayout, GatewayError> {
        let wire: CryptomusPayout = self
            .post_with(
                self.payout_key()?,
                "v1/payout/info",
                &payment_ref(payout),
                Retry::Safe,
            )
            .await?;
        wire.try_into()
    }

    /// The payout key, when one is configured: payout webhooks are signed with it.
    pub fn payout_webhook_key(&self) -> Option<&ApiKey> {
        self.config.payout_key.as_ref()
    }

    fn payout_key(&self) -> Result<&ApiKey, GatewayError> {
        self.config
            .payout_key
            .as_ref()
            .ok_or_else(|| GatewayError::InvalidRequest("no payout key is configured".into()))
    }

    /// Posts a signed body; retries transient failures with exponential backoff when `retry`
    /// says the call is safe to repeat.
    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        retry: Retry,
    ) -> Result<R, GatewayError> {
        self.post_with(&self.config.payment_key, path, body, retry)
            .await
    }

    /// [`Self::post`] signed with `key`.
    async fn post_with<B: Serialize, R: DeserializeOwned>(
        &self,
        key: &ApiKey,
        path: &str,
        body: &B,
        retry: Retry,
    ) -> Result<R, GatewayError> {
        let bytes =
            serde_json::to_vec(body).map_err(|e| GatewayError::InvalidRequest(e.to_string()))?;
        self.call(path, Some((bytes, key)), retry).await
    }

    /// One API call: a signed POST with `body`, or an unsigned GET without.
    async fn call<R: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<(Vec<u8>, &ApiKey)>,
        retry: Retry,
    ) -> Result<R, GatewayError> {
        let attempts = match retry {
            Retry::Safe => self.config.attempts.max(1),
            Retry::Never => 1,
        };
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match self.send(path, body.clone()).await {
                Err(e) if e.is_transient() && attempt < attempts => {
                    tracing::warn!(path, attempt, error = %e, "gateway call failed, retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send<R: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<(Vec<u8>, &ApiKey)>,
    ) -> Result<R, GatewayError> {
        let url = format!("{}{path}", self.config.base_url);
        let request = match body {
            Some((body, key)) => self
                .http
                .post(url)
                .header("merchant", self.config.merchant.as_str())
                .header("sign", sign::sign(&body, key))
                .header("content-type", "application/json")
                .body(body),
            None => self.http.get(url),
        };
        let response = request
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(without_url(&e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| GatewayError::Unavailable(without_url(&e)))?;
        decode_response(status, &bytes)
    }
}

/// Whether a call may be repeated after a transient failure.
#[derive(Debug, Clone, Copy)]
enum Retry {
    /// Reads, and writes the gateway makes idempotent (`order_id`).
    Safe,
    /// Writes whose repeat would act twice.
    Never,
}

/// An empty parameter list, sent as `{}`.
#[derive(Serialize)]
struct Empty {}

const EMPTY: Empty = Empty {};

fn payment_ref(payment: &PaymentRef) -> CryptomusPaymentRef {
    match payment {
        PaymentRef::Uuid(uuid) => CryptomusPaymentRef {
            uuid: Some(uuid.clone()),
            ..Default::default()
        },
        PaymentRef::OrderId(id) => CryptomusPaymentRef {
            order_id: Some(id.clone()),
            ..Default::default()
        },
    }
}

fn test_webhook_body(test: &TestWebhook) -> CryptomusTestWebhook {
    let (uuid, order_id) = match &test.payment {
        Some(PaymentRef::Uuid(uuid)) => (Some(uuid.clone()), None),
        Some(PaymentRef::OrderId(order)) => (None, Some(order.clone())),
        None => (None, None),
    };
    CryptomusTestWebhook {
        url_callback: test.url_callback.clone(),
        currency: test.currency.clone(),
        network: test.network.clone(),
        uuid,
        order_id,
        status: test.status.as_str().to_owned(),
    }
}

/// The gateway's date parameters: `Y-m-d H:i:s` in its +03:00 time.
fn gateway_date(unix: i64) -> Result<String, GatewayError> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(time::macros::offset!(+3)))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .ok_or_else(|| GatewayError::InvalidRequest(format!("date out of range: {unix}")))
}

/// A short, uniform description of a transport failure.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        e.to_string()
    }
}

fn decode_response<R: DeserializeOwned>(
    status: StatusCode,
    bytes: &[u8],
) -> Result<R, GatewayError> {
    if status.is_success()
        && let Ok(success) = serde_json::from_slice::<CryptomusSuccess<R>>(bytes)
        && success.state == 0
    {
        return Ok(success.result);
    }
    let failure: CryptomusFailure = serde_json::from_slice(bytes).unwrap_or_default();
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Err(GatewayError::Unavailable(format!(
            "http {}",
            status.as_u16()
        )));
    }
    if let Some(errors) = failure.errors {
        return Err(GatewayError::Validation(errors));
    }
    match failure.message {
        Some(m) if m == INVALID_SIGN => Err(GatewayError::InvalidSign),
        Some(m) if m.to_ascii_lowercase().contains("not found") => Err(GatewayError::NotFound(m)),
        Some(m) => Err(GatewayError::Rejected(m)),
        None if status.is_success() => {
            Err(GatewayError::Decode("unexpected response shape".into()))
        }
        None => Err(GatewayError::Rejected(format!("http {}", status.as_u16()))),
    }
}

/// The gateway's rule for `order_id`: 1 to 128 of `[A-Za-z0-9_-]`.
fn valid_order_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn validate_create(req: &CreateInvoice) -> Result<CryptomusCreatePayment, GatewayError> {
    let invalid = |m: &str| Err(GatewayError::InvalidRequest(m.to_owned()));
    let id = &req.order_id;
    if id.is_empty()
        || id.len() > 128
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return invalid("order_id must be 1 to 128 of A-Z a-z 0-9 _ -");
    }
    if req.amount <= Decimal::ZERO {
        return invalid("amount must be positive");
    }
    if let Some(lifetime) = req.lifetime
        && !(300..=43200).contains(&lifetime)
    {
        return invalid("lifetime must be between 300 and 43200 seconds");
    }
    if let Some(url) = &req.url_callback
        && !(6..=255).contains(&url.len())
    {
        return invalid("url_callback must be 6 to 255 characters");
    }
    if req
        .additional_data
        .as_ref()
        .is_some_and(|d| d.chars().count() > 255)
    {
        return invalid("additional_data must be at most 255 characters");
    }
    if req
        .accuracy_payment_percent
        .is_some_and(|p| p < Decimal::ZERO || p > Decimal::from(5))
    {
        return invalid("accuracy_payment_percent must be between 0 and 5");
    }
    if req.subtract.is_some_and(|s| s > 100) {
        return invalid("subtract must be between 0 and 100");
    }
    if req
        .discount_percent
        .is_some_and(|d| !(-99..=100).contains(&d))
    {
        return invalid("discount_percent must be between -99 and 100");
    }
    let coins = |list: &[CoinChoice]| {
        list.iter()
            .map(|c| CryptomusCoin {
                currency: c.currency.clone(),
                network: c.network.clone(),
            })
            .collect::<Vec<_>>()
    };
    Ok(CryptomusCreatePayment {
        amount: req.amount.normalize().to_string(),
        currency: req.currency.clone(),
        order_id: req.order_id.clone(),
        network: req.network.clone(),
        url_return: req.url_return.clone(),
        url_success: req.url_success.clone(),
        url_callback: req.url_callback.clone(),
        is_payment_multiple: req.is_payment_multiple,
        lifetime: req.lifetime,
        to_currency: req.to_currency.clone(),
        additional_data: req.additional_data.clone(),
        accuracy_payment_percent: req
            .accuracy_payment_percent
            .map(|p| p.normalize().to_string()),
        subtract: req.subtract,
        discount_percent: req.discount_percent,
        currencies: coins(&req.currencies),
        except_currencies: coins(&req.except_currencies),
        course_source: req.course_source.clone(),
        from_referral_code: req.from_referral_code.clone(),
        is_refresh: req.is_refresh,
    })
}

fn decimal(field: &str, value: &str) -> Result<Decimal, GatewayError> {
    Decimal::from_str(value)
        .map_err(|_| GatewayError::Decode(format!("{field} is not a decimal: {value:?}")))
}

fn optional_decimal(field: &str, value: Option<&str>) -> Result<Option<Decimal>, GatewayError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| decimal(field, v))
        .transpose()
}

impl TryFrom<CryptomusPayout> for GatewayPayout {
    type Error = GatewayError;

    fn try_from(wire: CryptomusPayout) -> Result<Self, Self::Error> {
        Ok(GatewayPayout {
            amount: decimal("amount", &wire.amount)?,
            balance: wire
                .balance
                .as_deref()
                .map(|b| decimal("balance", b))
                .transpose()?,
            payer_amount: optional_decimal("payer_amount", wire.payer_amount.as_deref())?,
            payer_currency: wire.payer_currency,
            uuid: wire.uuid,
            order_id: wire.order_id,
            currency: wire.currency,
            network: wire.network,
            address: wire.address,
            txid: wire.txid,
            status: wire.status,
            is_final: wire.is_final,
        })
    }
}

impl TryFrom<CryptomusService> for Service {
    type Error = GatewayError;

    fn try_from(wire: CryptomusService) -> Result<Self, Self::Error> {
        Ok(Service {
            min_amount: decimal("min_amount", &wire.limit.min_amount)?,
            max_amount: decimal("max_amount", &wire.limit.max_amount)?,
            fee_amount: decimal("fee_amount", &wire.commission.fee_amount)?,
            fee_percent: decimal("percent", &wire.commission.percent)?,
            network: wire.network,
            currency: wire.currency,
            available: wire.is_available,
        })
    }
}

/// An ISO-8601 time with any offset, as unix seconds (UTC).
fn unix_time(field: &str, value: Option<&str>) -> Result<Option<i64>, GatewayError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                .map(|t| t.unix_timestamp())
                .map_err(|_| GatewayError::Decode(format!("{field} is not an ISO-8601 time")))
        })
        .transpose()
}

impl TryFrom<CryptomusInvoice> for GatewayInvoice {
    type Error = GatewayError;

    fn try_from(wire: CryptomusInvoice) -> Result<Self, Self::Error> {
        Ok(GatewayInvoice {
            amount: decimal("amount", &wire.amount)?,
            payer_amount: optional_decimal("payer_amount", wire.payer_amount.as_deref())?,
            payment_amount: optional_decimal("payment_amount", wire.payment_amount.as_deref())?,
            merchant_amount: optional_decimal("merchant_amount", wire.merchant_amount.as_deref())?,
            uuid: wire.uuid,
            order_id: wire.order_id,
            currency: wire.currency,
            payer_currency: wire.payer_currency,
            network: wire.network,
            address: wire.address,
            txid: wire.txid,
            status: wire.payment_status,
            is_final: wire.is_final,
            url: wire.url,
            expires_at: wire.expired_at,
            created_at: unix_time("created_at", wire.created_at.as_deref())?,
            updated_at: unix_time("updated_at", wire.updated_at.as_deref())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_apart() {
        let e = decode_response::<()>(StatusCode::UNAUTHORIZED, br#"{"message":"Invalid Sign."}"#);
        assert!(matches!(e, Err(GatewayError::InvalidSign)));
        let e = decode_response::<()>(
            StatusCode::UNPROCESSABLE_ENTITY,
            br#"{"state":1,"errors":{"amount":["bad"]}}"#,
        );
        assert!(matches!(e, Err(GatewayError::Validation(ref m)) if m["amount"] == ["bad"]));
        let e = decode_response::<()>(
            StatusCode::OK,
            br#"{"state":1,"message":"Payment was not found"}"#,
        );
        assert!(matches!(e, Err(GatewayError::NotFound(_))));
        let e = decode_response::<()>(StatusCode::BAD_GATEWAY, b"<html>");
        assert!(matches!(e, Err(ref err) if err.is_transient()));
        let e = decode_response::<()>(StatusCode::TOO_MANY_REQUESTS, b"");
        assert!(matches!(e, Err(ref err) if err.is_transient()));
        let ok = decode_response::<u32>(StatusCode::OK, br#"{"state":0,"result":7}"#);
        assert_eq!(ok.unwrap(), 7);
    }

    #[test]
    fn limits_are_checked_before_sending() {
        let base = CreateInvoice {
            amount: Decimal::new(1500, 2),
            currency: "USD".into(),
            order_id: "inv_1".into(),
            network: None,
            to_currency: None,
            lifetime: None,
            url_callback: None,
            url_return: None,
            url_success: None,
            is_payment_multiple: None,
            ..Default::default()
        };
        assert_eq!(validate_create(&base).unwrap().amount, "15");
        for bad in [
            CreateInvoice {
                order_id: "a b".into(),
                ..base.clone()
            },
            CreateInvoice {
                order_id: "x".repeat(129),
                ..base.clone()
            },
            CreateInvoice {
                amount: Decimal::ZERO,
                ..base.clone()
            },
            CreateInvoice {
                lifetime: Some(299),
                ..base.clone()
            },
            CreateInvoice {
                url_callback: Some("http".into()),
                ..base.clone()
            },
            CreateInvoice {
                additional_data: Some("x".repeat(256)),
                ..base.clone()
            },
            CreateInvoice {
                accuracy_payment_percent: Some(Decimal::from(6)),
                ..base.clone()
            },
            CreateInvoice {
                subtract: Some(101),
                ..base.clone()
            },
            CreateInvoice {
                discount_percent: Some(-100),
                ..base.clone()
            },
        ] {
            assert!(
                matches!(validate_create(&bad), Err(GatewayError::InvalidRequest(_))),
                "{bad:?}"
            );
        }
    }
}
