//! `POST /v1/invoices/{id}/refund`: sending a paid invoice's money back to the payer.

use crate::invoice::InvoiceView;
use serde::{Deserialize, Serialize};

/// What a shop asks for. The gateway refunds a payment whole, its commission taken from the
/// merchant's balance, so the payer gets back all they paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Where the money goes: an address on the network the invoice was paid on.
    pub address: String,
    /// How much, in the coin paid, as a check: when given, it must be the amount paid (the
    /// gateway refunds whole payments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
}

/// A refund attempt, as the shim asked the gateway for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundView {
    /// 1 for the first; one more for each attempt after a failed refund.
    pub attempt: i64,
    /// Where the money goes.
    pub address: String,
    /// How much, decimal string, in `currency`.
    pub amount: String,
    /// The coin paid.
    pub currency: String,
    /// Whether the gateway took the request: `requested` (no answer yet: asking again with the
    /// same address sends it again), `accepted` or `refused`. The invoice's status says how the
    /// refund itself goes (`refunding`, `refunded`, `refund_failed`).
    pub state: String,
    /// The gateway's reason, when it refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Who asked: `api`, or a console user's email.
    pub requested_by: String,
    /// When, RFC 3339 in UTC.
    pub requested_at: String,
}

/// The answer to a refund request: the invoice as it now stands, and the refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundAnswer {
    /// The invoice.
    pub invoice: InvoiceView,
    /// The refund asked for.
    pub refund: RefundView,
}
