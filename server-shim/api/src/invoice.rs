//! Invoices on the wire: what a shop sends to create one, and what the widget shows.

use crate::InvoiceStatus;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The shim's own invoice id. It is also the `order_id` the shim gives the gateway, so it only uses
/// characters the gateway accepts there (`[A-Za-z0-9_-]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct InvoiceId(String);

impl InvoiceId {
    /// Accepts `inv_` followed by 1 to 64 ASCII letters or digits; `None` otherwise.
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("inv_")?;
        let ok =
            !rest.is_empty() && rest.len() <= 64 && rest.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| Self(s.to_owned()))
    }

    /// A fresh id from 16 random bytes: `inv_` and 32 lowercase hex digits.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut id = String::with_capacity(36);
        id.push_str("inv_");
        for b in bytes {
            id.push(HEX[(b >> 4) as usize] as char);
            id.push(HEX[(b & 15) as usize] as char);
        }
        Self(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `POST /v1/invoices`: what a shop asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInvoiceRequest {
    /// The shop's order id; invoice creation is idempotent per shop and order id.
    pub order_id: String,
    /// The price as a decimal string, in `currency`.
    pub amount: String,
    /// The price's currency: a fiat code (`USD`) or a coin (`USDT`).
    pub currency: String,
    /// The network the payer sends on (`tron`, `eth`, `btc`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// The coin the payer pays in, when `currency` is fiat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_currency: Option<String>,
    /// Seconds until the invoice expires (300 to 43200; the gateway's default is 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u32>,
    /// Where "return to store" leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_return: Option<String>,
    /// Where the payer goes after a successful payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_success: Option<String>,
    /// The platform's own reference for the order (WooCommerce order id, Shopify gid, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_order_ref: Option<String>,
}

/// `GET /v1/invoices/{id}`: everything the widget renders, and nothing secret or personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceView {
    /// The invoice id.
    pub id: InvoiceId,
    /// Where the invoice stands.
    pub status: InvoiceStatus,
    /// Whether `status` is final: the widget stops listening.
    pub is_final: bool,
    /// The order's price, decimal string.
    pub amount: String,
    /// The order's currency.
    pub currency: String,
    /// What the payer must send in total, decimal string; `None` until a coin is chosen.
    pub payer_amount: Option<String>,
    /// The coin the payer sends.
    pub payer_currency: Option<String>,
    /// The network the payer sends on.
    pub network: Option<String>,
    /// The deposit address.
    pub address: Option<String>,
    /// What arrived so far, in `payer_currency`, decimal string.
    pub paid_amount: String,
    /// What is still due, in `payer_currency`; `None` until a coin is chosen.
    pub remaining_amount: Option<String>,
    /// A URI wallet apps understand (BIP21, EIP-681) or the bare address; what the QR code carries.
    pub payment_uri: Option<String>,
    /// When the invoice expires, RFC 3339 in UTC.
    pub expires_at: String,
    /// Seconds until expiry, as of the response; the widget counts down from it.
    pub seconds_left: u64,
    /// Where "return to store" leads.
    pub url_return: Option<String>,
    /// Where the payer goes after paying.
    pub url_success: Option<String>,
    /// Grows by one with every accepted change; lets clients drop stale updates.
    pub version: u64,
    /// Whether the payer may still pick another coin (`POST /v1/invoices/{id}/coin`): nothing was
    /// paid yet and the invoice is open.
    #[serde(default)]
    pub can_change_coin: bool,
}

/// `POST /v1/invoices/{id}/coin`: the coin and network the payer picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChooseCoinRequest {
    /// Coin code, as in the coin list (`USDT`).
    pub currency: String,
    /// Network code, as in the coin list (`tron`).
    pub network: String,
}

/// One coin the payer may pick, from `GET /v1/invoices/{id}/coins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoinOption {
    /// Coin code.
    pub currency: String,
    /// Network code.
    pub network: String,
    /// The smallest payment the gateway takes in it, in the coin, decimal string.
    pub min_amount: String,
    /// The largest, in the coin, decimal string.
    pub max_amount: String,
}

/// `GET /v1/invoices/{id}/coins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoinList {
    /// What the payer may pick, ordered by coin then network.
    pub coins: Vec<CoinOption>,
}

/// `GET /v1/invoices`: one of the shop's invoices in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceSummary {
    /// The invoice as the payer sees it.
    #[serde(flatten)]
    pub invoice: InvoiceView,
    /// The shop's order id.
    pub order_id: String,
    /// The payer's transaction id, as the gateway last reported it.
    pub txid: Option<String>,
    /// When it was made, RFC 3339 in UTC.
    pub created_at: String,
}

/// `GET /v1/invoices`: a page of the shop's invoices, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoicePage {
    /// This page.
    pub invoices: Vec<InvoiceSummary>,
    /// Pass as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// `GET /v1/invoices/{id}/history`: what happened to an invoice, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceHistory {
    /// The invoice.
    pub id: InvoiceId,
    /// Each line of its history.
    pub events: Vec<HistoryEntry>,
}

/// One line of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// When, RFC 3339 in UTC.
    pub at: String,
    /// Where it came from: `create`, `payer` (a coin picked), `ipn` (a gateway webhook),
    /// `reconcile` (the shim asked the gateway), `refund` (a refund asked for), `console` (a
    /// re-check or a review resolved by someone in the console), `callback` (a try at the shop's
    /// callback URL), or the shop's platform (`woocommerce`, `prestashop`, `opencart`, `shopify`:
    /// a try at updating its order).
    pub source: String,
    /// The gateway's status at the time, if it said one.
    pub gateway_status: Option<String>,
    /// What the shim made of it.
    pub outcome: String,
    /// The invoice's version after it (for a try at telling the shop: the version it told of).
    pub version: i64,
}

/// `GET /v1/reports/payments`: one line per invoice of the shop, oldest first; the same as CSV at
/// `GET /v1/reports/payments.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentReport {
    /// The invoices, oldest first.
    pub invoices: Vec<ReportLine>,
}

/// One invoice in a report. The CSV has these columns, in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportLine {
    /// The invoice id.
    pub invoice_id: String,
    /// The shop's order id.
    pub order_id: String,
    /// The shop platform's own order id, if the shop gave one.
    pub platform_order_ref: Option<String>,
    /// Where the invoice stands.
    pub status: InvoiceStatus,
    /// The price, decimal string.
    pub amount: String,
    /// The price's currency.
    pub currency: String,
    /// What the payer was asked to send, in `payer_currency`.
    pub payer_amount: Option<String>,
    /// The payer's coin.
    pub payer_currency: Option<String>,
    /// Its network.
    pub network: Option<String>,
    /// What arrived, in `payer_currency`.
    pub paid_amount: String,
    /// What reached the merchant's balance after the gateway's commission, in `payer_currency`,
    /// once the gateway said (for a final payment).
    pub credited: Option<String>,
    /// The gateway's commission: `paid_amount` less `credited`.
    pub commission: Option<String>,
    /// The payer's transaction id, as the gateway last reported it.
    pub txid: Option<String>,
    /// When the invoice was made, RFC 3339 in UTC.
    pub created_at: String,
    /// When it last changed, RFC 3339 in UTC.
    pub updated_at: String,
}

impl ReportLine {
    /// The CSV header: the field names, in order.
    pub const COLUMNS: [&'static str; 15] = [
        "invoice_id",
        "order_id",
        "platform_order_ref",
        "status",
        "amount",
        "currency",
        "payer_amount",
        "payer_currency",
        "network",
        "paid_amount",
        "credited",
        "commission",
        "txid",
        "created_at",
        "updated_at",
    ];

    /// The fields as the CSV writes them, in [`ReportLine::COLUMNS`]' order (absent ones empty).
    pub fn fields(&self) -> [&str; 15] {
        fn text(value: &Option<String>) -> &str {
            value.as_deref().unwrap_or("")
        }
        [
            &self.invoice_id,
            &self.order_id,
            text(&self.platform_order_ref),
            self.status.as_str(),
            &self.amount,
            &self.currency,
            text(&self.payer_amount),
            text(&self.payer_currency),
            text(&self.network),
            &self.paid_amount,
            text(&self.credited),
            text(&self.commission),
            text(&self.txid),
            &self.created_at,
            &self.updated_at,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_ids_are_gateway_safe() {
        assert!(InvoiceId::parse("inv_0123abcXYZ").is_some());
        let random = InvoiceId::from_random([0xab; 16]);
        assert_eq!(InvoiceId::parse(random.as_str()), Some(random));
        for bad in [
            "",
            "inv_",
            "0123",
            "inv_a-b",
            "inv_a/b",
            "inv_é",
            &format!("inv_{}", "a".repeat(65)),
        ] {
            assert!(InvoiceId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn create_request_rejects_unknown_fields() {
        let json = r#"{"order_id":"1","amount":"1","currency":"USD","amout":"2"}"#;
        let err = serde_json::from_str::<CreateInvoiceRequest>(json).unwrap_err();
        assert!(err.to_string().contains("amout"), "{err}");
    }

    /// The CSV's columns are the JSON's fields, and `fields` gives each under its own name.
    #[test]
    fn csv_columns_follow_the_json_fields() {
        let line = ReportLine {
            invoice_id: "inv_1".into(),
            order_id: "o-1".into(),
            platform_order_ref: Some("77".into()),
            status: InvoiceStatus::Paid,
            amount: "15.00".into(),
            currency: "USD".into(),
            payer_amount: Some("15.000000".into()),
            payer_currency: Some("USDT".into()),
            network: Some("tron".into()),
            paid_amount: "15".into(),
            credited: Some("14.7".into()),
            commission: Some("0.3".into()),
            txid: None,
            created_at: "2026-12-04T00:00:00Z".into(),
            updated_at: "2026-12-04T00:01:00Z".into(),
        };
        let json = serde_json::to_value(&line).unwrap();
        let object = json.as_object().unwrap();
        assert_eq!(object.len(), ReportLine::COLUMNS.len());
        for (column, field) in ReportLine::COLUMNS.iter().zip(line.fields()) {
            let value = &object[*column];
            assert_eq!(value.as_str().unwrap_or(""), field, "{column}");
        }
    }
}
