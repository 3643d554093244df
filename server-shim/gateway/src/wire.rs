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
