//! The JSON shapes Cryptomus sends and receives. These types carry the provider's name and do not
//! leave the gateway crate and the sandbox; [`crate::types`] holds what the rest of the shim sees.

use crate::PaymentStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Body of `POST /v1/payment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusCreatePayment {
    /// Decimal string.
    pub amount: String,
    /// Currency code.
    pub currency: String,
    /// Merchant's order id.
    pub order_id: String,
    /// Network code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Return link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_return: Option<String>,
    /// Success link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_success: Option<String>,
    /// Webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_callback: Option<String>,
    /// Whether top-ups are allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_payment_multiple: Option<bool>,
    /// Seconds until expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u32>,
    /// Coin the payer pays in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_currency: Option<String>,
    /// Merchant's free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<String>,
    /// Tolerance in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_payment_percent: Option<String>,
    /// Payer's share of the commission, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtract: Option<u8>,
    /// Discount percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<i8>,
    /// Coins offered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub currencies: Vec<CryptomusCoin>,
    /// Coins excluded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except_currencies: Vec<CryptomusCoin>,
    /// Rate source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course_source: Option<String>,
    /// Referral code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_referral_code: Option<String>,
    /// Renew an expired invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_refresh: Option<bool>,
}

/// `{"currency":"USDT","network":"tron"}` in `currencies` and `except_currencies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusCoin {
    /// Coin code.
    pub currency: String,
    /// Network code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// Body of `POST /v1/payment/info`: one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CryptomusPaymentRef {
    /// Payment uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Merchant's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

/// The invoice object of `/v1/payment` and `/v1/payment/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusInvoice {
    /// Payment uuid.
    pub uuid: String,
    /// Merchant's order id.
    pub order_id: String,
    /// Price, decimal string.
    pub amount: String,
    /// What arrived so far, decimal string.
    pub payment_amount: Option<String>,
    /// What the payer must send.
    pub payer_amount: Option<String>,
    /// Discount percent.
    #[serde(default)]
    pub discount_percent: Option<i64>,
    /// Discount amount.
    #[serde(default)]
    pub discount: Option<String>,
    /// Coin the payer sends.
    pub payer_currency: Option<String>,
    /// Price currency.
    pub currency: String,
    /// What the merchant gets after commission.
    #[serde(default)]
    pub merchant_amount: Option<String>,
    /// Network code.
    pub network: Option<String>,
    /// Deposit address.
    pub address: Option<String>,
    /// Sender address.
    #[serde(default)]
    pub from: Option<String>,
    /// Transaction id.
    #[serde(default)]
    pub txid: Option<String>,
    /// Payment status.
    pub payment_status: PaymentStatus,
    /// Hosted page.
    pub url: String,
    /// Expiry, unix seconds.
    pub expired_at: i64,
    /// Status (same values as `payment_status`).
    pub status: PaymentStatus,
    /// Whether the payment is over.
    pub is_final: bool,
    /// Merchant's free text.
    #[serde(default)]
    pub additional_data: Option<String>,
    /// ISO-8601 with the gateway's local offset.
    #[serde(default)]
    pub created_at: Option<String>,
    /// ISO-8601 with the gateway's local offset.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `{"state":0,"result":...}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CryptomusSuccess<T> {
    /// Always 0.
    pub state: u8,
    /// The payload.
    pub result: T,
}

/// `{"state":1,"message":"..."}` or `{"state":1,"errors":{"field":["..."]}}`; a bad signature answers
/// `{"message":"Invalid Sign."}` without `state`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CryptomusFailure {
    /// 1 when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<u8>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Per-field validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

/// The message the gateway answers a wrong signature with.
pub const INVALID_SIGN: &str = "Invalid Sign.";

/// Body of `POST /v1/payment/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusPaymentListRequest {
    /// `Y-m-d H:i:s`, the gateway's local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_from: Option<String>,
    /// `Y-m-d H:i:s`, the gateway's local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_to: Option<String>,
    /// Page cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Result of `POST /v1/payment/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusPaymentList {
    /// The payments.
    pub items: Vec<CryptomusInvoice>,
    /// Paging.
    pub paginate: CryptomusPaginate,
}

/// Paging of list results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CryptomusPaginate {
    /// Items on this page.
    pub count: u64,
    /// Whether there is more than one page.
    pub has_pages: bool,
    /// The next page.
    pub next_cursor: Option<String>,
    /// The previous page.
    pub previous_cursor: Option<String>,
    /// Page size.
    pub per_page: u64,
}

/// One entry of `POST /v1/payment/services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusService {
    /// Network code.
    pub network: String,
    /// Coin code.
    pub currency: String,
    /// Whether it is offered now.
    pub is_available: bool,
    /// Limits.
    pub limit: CryptomusLimit,
    /// Commission.
    pub commission: CryptomusCommission,
}

/// Payment limits, decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusLimit {
    /// Smallest.
    pub min_amount: String,
    /// Largest.
    pub max_amount: String,
}

/// Commission, decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusCommission {
    /// Fixed part.
    pub fee_amount: String,
    /// Percent.
    pub percent: String,
}

/// Body of `POST /v1/payment/refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusRefund {
    /// Payment uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Merchant's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Where the refund goes.
    pub address: String,
    /// Commission from the balance (true) or from the refunded amount (false).
    pub is_subtract: bool,
}

/// Body of `POST /v1/test-webhook/payment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusTestWebhook {
    /// Where to send it.
    pub url_callback: String,
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// Payment uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Merchant's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Status to report.
    pub status: String,
}

/// Body of `POST /v1/payment/qr`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusQrRequest {
    /// Payment uuid.
    pub merchant_payment_uuid: String,
}

/// Result of the QR endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusQr {
    /// `data:image/png;base64,...`.
    pub image: String,
}

/// One element of `POST /v1/balance`'s result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusBalances {
    /// The balances.
    pub balance: CryptomusBalanceGroups,
}

/// Merchant and user balances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusBalanceGroups {
    /// Business balances.
    #[serde(default)]
    pub merchant: Vec<CryptomusBalance>,
    /// Personal balances.
    #[serde(default)]
    pub user: Vec<CryptomusBalance>,
}

/// A balance in one coin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusBalance {
    /// Wallet uuid.
    pub uuid: String,
    /// Amount, decimal string.
    pub balance: String,
    /// Coin code.
    pub currency_code: String,
    /// Worth in US dollars, decimal string.
    pub balance_usd: String,
}

/// One entry of `GET /v1/exchange-rate/{currency}/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusExchangeRate {
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Rate, decimal string.
    pub course: String,
}

/// Body of `POST /v1/wallet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusCreateWallet {
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// Merchant's id for the wallet (a customer, usually).
    pub order_id: String,
    /// Where deposit webhooks go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_callback: Option<String>,
}

/// Result of `POST /v1/wallet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusWallet {
    /// Wallet uuid.
    pub uuid: String,
    /// Merchant's id for it.
    pub order_id: String,
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// The static address.
    pub address: String,
}

/// Body of `POST /v1/wallet/block-address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusBlockWallet {
    /// Wallet uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Merchant's id for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Send later deposits back.
    pub is_force_refund: bool,
}

/// Body of `POST /v1/wallet/blocked-address-refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusBlockedRefund {
    /// Wallet uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Merchant's id for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Where the money goes.
    pub address: String,
}

/// Result of `POST /v1/wallet/blocked-address-refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusBlockedRefundResult {
    /// Commission, decimal string.
    pub commission: String,
    /// Amount refunded, decimal string.
    pub amount: String,
}

/// Body of `POST /v1/wallet/qr`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusWalletQrRequest {
    /// Wallet uuid.
    pub wallet_address_uuid: String,
}

/// Body of `POST /v1/payout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusCreatePayout {
    /// Decimal string.
    pub amount: String,
    /// Coin code.
    pub currency: String,
    /// Merchant's id for the payout; the same id returns the same payout.
    pub order_id: String,
    /// Where the money goes.
    pub address: String,
    /// Commission from the balance (true) or from the amount (false).
    pub is_subtract: bool,
    /// Network code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Where payout webhooks go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_callback: Option<String>,
    /// The coin to send when `currency` is a fiat currency (`USD` converted to `USDT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_currency: Option<String>,
}

/// The payout object of `/v1/payout` and `/v1/payout/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptomusPayout {
    /// Payout uuid.
    pub uuid: String,
    /// Merchant's id for it.
    #[serde(default)]
    pub order_id: Option<String>,
    /// Decimal string.
    pub amount: String,
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// Destination.
    pub address: String,
    /// Transaction id, once sent.
    pub txid: Option<String>,
    /// Payout status.
    pub status: PaymentStatus,
    /// Whether it is over.
    pub is_final: bool,
    /// The balance left, decimal string.
    #[serde(default)]
    pub balance: Option<String>,
    /// The coin sent (for a payout asked in a fiat currency), when the gateway says.
    #[serde(default)]
    pub payer_currency: Option<String>,
    /// How much of it, decimal string.
    #[serde(default)]
    pub payer_amount: Option<String>,
}
