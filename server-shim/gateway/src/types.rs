//! Identifiers, keys, and the domain side of requests and invoices.

use crate::PaymentStatus;
use rust_decimal::Decimal;
use secrecy::SecretString;
use std::fmt;

/// The merchant's uuid, sent in the `merchant` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantId(String);

impl MerchantId {
    /// Wraps a merchant uuid as given by the gateway's dashboard.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The uuid as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MerchantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A payment or payout API key. Its `Debug` output is redacted.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: String) -> Self {
        Self(SecretString::from(key))
    }

    /// The secret, for signing.
    pub fn expose(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// How to name a payment to the gateway: by its uuid or by the merchant's `order_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentRef {
    /// The gateway's payment uuid.
    Uuid(String),
    /// The merchant's order id (for the shim: its own invoice id).
    OrderId(String),
}

/// A coin on a network, to offer or to exclude on the gateway's payment page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinChoice {
    /// Coin code.
    pub currency: String,
    /// Network code; `None` for every network of the coin.
    pub network: Option<String>,
}

/// What the shim asks the gateway to create. Validated against the gateway's limits before sending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateInvoice {
    /// The price.
    pub amount: Decimal,
    /// Its currency (fiat or coin code).
    pub currency: String,
    /// Unique per merchant, 1 to 128 of `[A-Za-z0-9_-]`; re-sending it returns the same invoice.
    pub order_id: String,
    /// The network the payer sends on.
    pub network: Option<String>,
    /// The coin the payer pays in.
    pub to_currency: Option<String>,
    /// Seconds until expiry, 300 to 43200.
    pub lifetime: Option<u32>,
    /// Where the gateway sends webhooks.
    pub url_callback: Option<String>,
    /// The "return to store" link on the gateway's own page.
    pub url_return: Option<String>,
    /// Where the gateway's page sends the payer after paying.
    pub url_success: Option<String>,
    /// Whether the payer may top up an underpayment (the gateway's default is yes).
    pub is_payment_multiple: Option<bool>,
    /// Free text for the merchant, up to 255 characters.
    pub additional_data: Option<String>,
    /// How far below the amount still counts as paid, 0 to 5 percent.
    pub accuracy_payment_percent: Option<Decimal>,
    /// The share of the commission the payer bears, 0 to 100 percent.
    pub subtract: Option<u8>,
    /// Discount (positive) or surcharge (negative) for the payer, -99 to 100 percent.
    pub discount_percent: Option<i8>,
    /// Coins the payer may choose from.
    pub currencies: Vec<CoinChoice>,
    /// Coins the payer may not choose.
    pub except_currencies: Vec<CoinChoice>,
    /// The exchange whose rate converts the price (`Binance`, `Kucoin`, ...).
    pub course_source: Option<String>,
    /// A referral code.
    pub from_referral_code: Option<String>,
    /// Renew an expired invoice's address and lifetime instead of refusing it.
    pub is_refresh: Option<bool>,
}

/// An invoice as the gateway reports it, parsed into decimals and typed statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayInvoice {
    /// The gateway's payment uuid.
    pub uuid: String,
    /// The merchant's order id.
    pub order_id: String,
    /// The price.
    pub amount: Decimal,
    /// The price's currency.
    pub currency: String,
    /// What the payer must send; `None` until a coin is chosen.
    pub payer_amount: Option<Decimal>,
    /// The coin the payer sends.
    pub payer_currency: Option<String>,
    /// What the payer sent so far, in `payer_currency`.
    pub payment_amount: Option<Decimal>,
    /// What reaches the merchant's balance after the gateway's commission, in `payer_currency`.
    pub merchant_amount: Option<Decimal>,
    /// The network.
    pub network: Option<String>,
    /// The deposit address; `None` until a coin is chosen.
    pub address: Option<String>,
    /// The last transaction id seen.
    pub txid: Option<String>,
    /// The gateway's status.
    pub status: PaymentStatus,
    /// Whether the gateway considers the payment over.
    pub is_final: bool,
    /// The gateway's hosted payment page.
    pub url: String,
    /// Expiry as unix seconds.
    pub expires_at: i64,
    /// Creation, unix seconds (the gateway's local time normalised to UTC).
    pub created_at: Option<i64>,
    /// Last change, unix seconds (UTC).
    pub updated_at: Option<i64>,
}

/// Which payments `/v1/payment/list` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentListQuery {
    /// Created at or after, unix seconds.
    pub date_from: Option<i64>,
    /// Created at or before, unix seconds.
    pub date_to: Option<i64>,
    /// The page to fetch: a cursor from an earlier page, or `None` for the first.
    pub cursor: Option<String>,
}

/// One page of payments, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPage {
    /// The payments.
    pub items: Vec<GatewayInvoice>,
    /// The next (older) page, if any.
    pub next_cursor: Option<String>,
    /// The previous (newer) page, if any.
    pub previous_cursor: Option<String>,
}

/// A coin on a network, as the gateway offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Network code.
    pub network: String,
    /// Coin code.
    pub currency: String,
    /// Whether payments can be taken in it now.
    pub available: bool,
    /// Smallest payment, in the coin.
    pub min_amount: Decimal,
    /// Largest payment, in the coin.
    pub max_amount: Decimal,
    /// Fixed commission, in the coin.
    pub fee_amount: Decimal,
    /// Commission in percent.
    pub fee_percent: Decimal,
}

/// Whose balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceOwner {
    /// The merchant's business balance.
    Merchant,
    /// The user's personal balance.
    User,
}

/// A balance in one coin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Whose.
    pub owner: BalanceOwner,
    /// Coin code.
    pub currency: String,
    /// Amount in the coin.
    pub balance: Decimal,
    /// Its worth in US dollars.
    pub balance_usd: Decimal,
}

/// One exchange rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRate {
    /// From this currency...
    pub from: String,
    /// ...to this one.
    pub to: String,
    /// Units of `to` per unit of `from`.
    pub rate: Decimal,
}

/// A test webhook to have the gateway send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestWebhook {
    /// Where to send it.
    pub url_callback: String,
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// A payment of the merchant's to describe, or none for a made-up one.
    pub payment: Option<PaymentRef>,
    /// The status it reports.
    pub status: PaymentStatus,
}

/// A static deposit address to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateWallet {
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// The merchant's id for it (1 to 128 of `[A-Za-z0-9_-]`).
    pub order_id: String,
    /// Where deposit webhooks go.
    pub url_callback: Option<String>,
}

/// A static deposit address at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayWallet {
    /// Wallet uuid.
    pub uuid: String,
    /// The merchant's id for it.
    pub order_id: String,
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// The address.
    pub address: String,
}

/// A payout to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePayout {
    /// Amount in `currency`.
    pub amount: Decimal,
    /// Coin code.
    pub currency: String,
    /// The merchant's id for it; the gateway returns the same payout for the same id.
    pub order_id: String,
    /// Destination address.
    pub address: String,
    /// Commission from the balance (true) or from the amount sent (false).
    pub is_subtract: bool,
    /// Network code.
    pub network: Option<String>,
    /// Where payout webhooks go.
    pub url_callback: Option<String>,
    /// With `currency` a fiat currency (`USD`): the coin to send, converted at the gateway's rate.
    pub to_currency: Option<String>,
}

/// A payout at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayPayout {
    /// Payout uuid.
    pub uuid: String,
    /// The merchant's id for it.
    pub order_id: Option<String>,
    /// Amount.
    pub amount: Decimal,
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// Destination.
    pub address: String,
    /// Transaction id, once sent.
    pub txid: Option<String>,
    /// Status (`process`, `check`, `paid`, `fail`, `cancel`, `system_fail`).
    pub status: PaymentStatus,
    /// Whether it is over.
    pub is_final: bool,
    /// The balance left after it, when the gateway says.
    pub balance: Option<Decimal>,
    /// The coin sent, when the gateway says (it differs from `currency` for a payout asked in a
    /// fiat currency).
    pub payer_currency: Option<String>,
    /// How much of it.
    pub payer_amount: Option<Decimal>,
}
